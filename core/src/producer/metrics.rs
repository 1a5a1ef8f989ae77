//! Producer metrics under Kafka's names (`SenderMetricsRegistry`, `Sender.SenderMetrics`,
//! `BufferPool`, `producer.md` §7). `-avg`/`-max` are over the whole run here, where Kafka
//! keeps a 30-second window.

use super::accumulator::ProducerBatch;
use super::buffer_pool::BufferPool;
use serde::Serialize;

/// Running sums from which the `-avg` metrics are derived.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ProducerMetrics {
    pub record_send_total: u64,
    pub record_retry_total: u64,
    pub record_error_total: u64,
    pub batch_split_total: u64,
    pub request_total: u64,
    pub batches: u64,
    pub batch_bytes: u64,
    pub batch_bytes_max: u64,
    pub queue_time_ms: u64,
    pub queue_time_max_ms: u64,
    /// Σ over batches of the largest record's upper-bound size (`maxRecordSize`).
    pub record_size_sum: u64,
    pub record_size_max: u64,
    pub responses: u64,
    pub latency_ms: u64,
    pub latency_max_ms: u64,
    /// Σ compression ratios of drained batches (f64 sum of Java floats).
    pub compression_ratios: f64,
}

/// The metrics as the result JSON reports them.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ProducerMetricsReport {
    #[serde(rename = "record-send-total")]
    pub record_send_total: u64,
    #[serde(rename = "record-retry-total")]
    pub record_retry_total: u64,
    #[serde(rename = "record-error-total")]
    pub record_error_total: u64,
    #[serde(rename = "batch-split-total")]
    pub batch_split_total: u64,
    #[serde(rename = "batch-size-avg")]
    pub batch_size_avg: f64,
    #[serde(rename = "batch-size-max")]
    pub batch_size_max: u64,
    #[serde(rename = "records-per-request-avg")]
    pub records_per_request_avg: f64,
    #[serde(rename = "request-total")]
    pub request_total: u64,
    #[serde(rename = "response-total")]
    pub response_total: u64,
    #[serde(rename = "requests-in-flight")]
    pub requests_in_flight: u64,
    #[serde(rename = "request-latency-avg")]
    pub request_latency_avg: f64,
    #[serde(rename = "request-latency-max")]
    pub request_latency_max: u64,
    #[serde(rename = "record-queue-time-avg")]
    pub record_queue_time_avg: f64,
    #[serde(rename = "record-queue-time-max")]
    pub record_queue_time_max: u64,
    #[serde(rename = "record-size-avg")]
    pub record_size_avg: f64,
    #[serde(rename = "record-size-max")]
    pub record_size_max: u64,
    #[serde(rename = "compression-rate-avg")]
    pub compression_rate_avg: f64,
    #[serde(rename = "buffer-total-bytes")]
    pub buffer_total_bytes: u64,
    #[serde(rename = "buffer-available-bytes")]
    pub buffer_available_bytes: u64,
    #[serde(rename = "waiting-threads")]
    pub waiting_threads: u64,
    #[serde(rename = "buffer-exhausted-total")]
    pub buffer_exhausted_total: u64,
    #[serde(rename = "bufferpool-wait-time-ns-total")]
    pub bufferpool_wait_time_ns_total: u64,
    /// The deprecated twin Kafka still registers, also in nanoseconds.
    #[serde(rename = "bufferpool-wait-time-total")]
    pub bufferpool_wait_time_total: u64,
}

fn avg(sum: f64, n: u64) -> f64 {
    if n == 0 {
        0.0
    } else {
        sum / n as f64
    }
}

impl ProducerMetrics {
    /// `updateProduceRequestMetrics`: recorded for each request as its batches are
    /// drained (a retried batch counts again).
    pub fn record_request<'a>(
        &mut self,
        now: u64,
        batches: impl IntoIterator<Item = &'a ProducerBatch>,
    ) {
        self.request_total += 1;
        for b in batches {
            let bytes = b.size_in_bytes as u64;
            let queued = now.saturating_sub(b.created_ms);
            self.record_send_total += b.records.len() as u64;
            self.batches += 1;
            self.batch_bytes += bytes;
            self.batch_bytes_max = self.batch_bytes_max.max(bytes);
            self.queue_time_ms += queued;
            self.queue_time_max_ms = self.queue_time_max_ms.max(queued);
            self.record_size_sum += b.max_record_size as u64;
            self.record_size_max = self.record_size_max.max(b.max_record_size as u64);
            self.compression_ratios +=
                b.encoded.as_ref().map_or(1.0, |e| e.compression_ratio()) as f64;
        }
    }

    pub fn record_response(&mut self, latency_ms: u64) {
        self.responses += 1;
        self.latency_ms += latency_ms;
        self.latency_max_ms = self.latency_max_ms.max(latency_ms);
    }

    pub fn report(&self, pool: &BufferPool, requests_in_flight: usize) -> ProducerMetricsReport {
        ProducerMetricsReport {
            record_send_total: self.record_send_total,
            record_retry_total: self.record_retry_total,
            record_error_total: self.record_error_total,
            batch_split_total: self.batch_split_total,
            batch_size_avg: avg(self.batch_bytes as f64, self.batches),
            batch_size_max: self.batch_bytes_max,
            records_per_request_avg: avg(self.record_send_total as f64, self.request_total),
            request_total: self.request_total,
            response_total: self.responses,
            requests_in_flight: requests_in_flight as u64,
            request_latency_avg: avg(self.latency_ms as f64, self.responses),
            request_latency_max: self.latency_max_ms,
            record_queue_time_avg: avg(self.queue_time_ms as f64, self.batches),
            record_queue_time_max: self.queue_time_max_ms,
            record_size_avg: avg(self.record_size_sum as f64, self.batches),
            record_size_max: self.record_size_max,
            compression_rate_avg: avg(self.compression_ratios, self.batches),
            buffer_total_bytes: pool.total_memory(),
            buffer_available_bytes: pool.available_memory(),
            waiting_threads: pool.queued() as u64,
            buffer_exhausted_total: pool.exhausted_total(),
            bufferpool_wait_time_ns_total: pool.wait_time_ns_total(),
            bufferpool_wait_time_total: pool.wait_time_ns_total(),
        }
    }
}

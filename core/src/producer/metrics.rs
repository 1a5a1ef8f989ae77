//! Producer metrics under Kafka's names (`SenderMetricsRegistry`, `Sender.SenderMetrics`).

use super::buffer_pool::BufferPool;
use serde::Serialize;

/// Running sums from which the `-avg` metrics are derived.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ProducerMetrics {
    pub record_send_total: u64,
    pub record_retry_total: u64,
    pub record_error_total: u64,
    pub request_total: u64,
    pub batches: u64,
    pub batch_bytes: u64,
    pub queue_time_ms: u64,
    pub responses: u64,
    pub latency_ms: u64,
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
    #[serde(rename = "batch-size-avg")]
    pub batch_size_avg: f64,
    #[serde(rename = "records-per-request-avg")]
    pub records_per_request_avg: f64,
    #[serde(rename = "request-total")]
    pub request_total: u64,
    #[serde(rename = "request-latency-avg")]
    pub request_latency_avg: f64,
    #[serde(rename = "record-queue-time-avg")]
    pub record_queue_time_avg: f64,
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
}

fn avg(sum: u64, n: u64) -> f64 {
    if n == 0 {
        0.0
    } else {
        sum as f64 / n as f64
    }
}

impl ProducerMetrics {
    /// `updateProduceRequestMetrics`: recorded when batches are drained into a request.
    pub fn record_request(
        &mut self,
        records: u64,
        batch_bytes: &[u32],
        queue_times: &[u64],
        compression_ratios: &[f32],
    ) {
        self.compression_ratios += compression_ratios.iter().map(|&r| r as f64).sum::<f64>();
        self.request_total += 1;
        self.record_send_total += records;
        self.batches += batch_bytes.len() as u64;
        self.batch_bytes += batch_bytes.iter().map(|&b| b as u64).sum::<u64>();
        self.queue_time_ms += queue_times.iter().sum::<u64>();
    }

    pub fn record_response(&mut self, latency_ms: u64) {
        self.responses += 1;
        self.latency_ms += latency_ms;
    }

    pub fn report(&self, pool: &BufferPool) -> ProducerMetricsReport {
        ProducerMetricsReport {
            record_send_total: self.record_send_total,
            record_retry_total: self.record_retry_total,
            record_error_total: self.record_error_total,
            batch_size_avg: avg(self.batch_bytes, self.batches),
            records_per_request_avg: avg(self.record_send_total, self.request_total),
            request_total: self.request_total,
            request_latency_avg: avg(self.latency_ms, self.responses),
            record_queue_time_avg: avg(self.queue_time_ms, self.batches),
            compression_rate_avg: if self.batches == 0 {
                0.0
            } else {
                self.compression_ratios / self.batches as f64
            },
            buffer_total_bytes: pool.total_memory(),
            buffer_available_bytes: pool.available_memory(),
            waiting_threads: pool.queued() as u64,
            buffer_exhausted_total: pool.exhausted_total(),
            bufferpool_wait_time_ns_total: pool.wait_time_ns_total(),
        }
    }
}

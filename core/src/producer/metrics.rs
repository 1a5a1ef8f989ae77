//! Producer metrics under Kafka's names (`SenderMetricsRegistry`, `Sender.SenderMetrics`,
//! `BufferPool`, `producer.md` §7). The report's `-avg`/`-max` are over the whole run;
//! the sensors keep them per window too, for the charts (`crate::metrics`).

use super::accumulator::ProducerBatch;
use super::buffer_pool::BufferPool;
use crate::metrics::SampledStat;

/// The sensors behind the windowed `-rate`, `-avg` and `-max` metrics (`Sender.SenderMetrics`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ProducerSensors {
    /// Records per produce request (`records-per-request`): `records-per-request-avg`, and
    /// as a meter `record-send-rate`.
    pub records_per_request: SampledStat,
    /// Bytes per drained batch: `batch-size-avg`, and as a meter the topic's `byte-rate`.
    pub batch_size: SampledStat,
    /// Milliseconds from a produce request's send to its response: `request-latency-avg/max`.
    pub request_latency: SampledStat,
    /// Records re-enqueued: `record-retry-rate`.
    pub record_retries: SampledStat,
    /// Records failed: `record-error-rate`.
    pub record_errors: SampledStat,
}

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
    pub sensors: ProducerSensors,
}

/// The metrics as the result JSON reports them (under Kafka's names: `crate::result`).
#[derive(Clone, Debug, PartialEq)]
pub struct ProducerMetricsReport {
    pub record_send_total: u64,
    pub record_retry_total: u64,
    pub record_error_total: u64,
    pub batch_split_total: u64,
    pub batch_size_avg: f64,
    pub batch_size_max: u64,
    pub records_per_request_avg: f64,
    pub request_total: u64,
    pub response_total: u64,
    pub requests_in_flight: u64,
    pub request_latency_avg: f64,
    pub request_latency_max: u64,
    pub record_queue_time_avg: f64,
    pub record_queue_time_max: u64,
    pub record_size_avg: f64,
    pub record_size_max: u64,
    pub compression_rate_avg: f64,
    pub buffer_total_bytes: u64,
    pub buffer_available_bytes: u64,
    pub waiting_threads: u64,
    pub buffer_exhausted_total: u64,
    pub bufferpool_wait_time_ns_total: u64,
    /// The deprecated twin Kafka still registers, also in nanoseconds.
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
        let mut records = 0;
        for b in batches {
            records += b.records.len();
            self.sensors.batch_size.record(b.size_in_bytes as f64, now);
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
            self.compression_ratios += b.compression_ratio().unwrap_or(1.0) as f64;
        }
        self.sensors.records_per_request.record(records as f64, now);
    }

    pub fn record_response(&mut self, now: u64, latency_ms: u64) {
        self.sensors.request_latency.record(latency_ms as f64, now);
        self.responses += 1;
        self.latency_ms += latency_ms;
        self.latency_max_ms = self.latency_max_ms.max(latency_ms);
    }

    pub fn record_retries(&mut self, now: u64, records: usize) {
        self.record_retry_total += records as u64;
        self.sensors.record_retries.record(records as f64, now);
    }

    pub fn record_errors(&mut self, now: u64, records: usize) {
        self.record_error_total += records as u64;
        self.sensors.record_errors.record(records as f64, now);
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

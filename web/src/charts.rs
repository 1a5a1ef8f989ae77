//! The run's metrics as small multiples under Kafka's names (issue 6 §6): throughput,
//! request latency, batch size, records per request, retries and errors, ISR sizes and
//! the delivery ledger, one sparkline each. The series come from the core's metrics
//! windows (`kafka_lab::metrics`), so they are the same however the run got to the moment
//! on screen. `Charts` re-renders only when its data changes, which is when a window
//! closes; the cursor at the moment on screen is a CSS variable set on a parent, so the
//! animation frames in between touch no chart.

use crate::decimal::{svg, within, Fixed};
use crate::i18n::Lang;
use kafka_lab::metrics::{LedgerCounts, MAX_WINDOWS, METRIC_CONFIG};
use kafka_lab::Simulation;
use std::rc::Rc;
use yew::prelude::*;

/// One value per closed window; `None` where Kafka's measure is NaN (nothing recorded).
type Series = Vec<Option<f64>>;

/// Plot size in SVG units; the SVG stretches to its box (`preserveAspectRatio="none"`).
const PW: f64 = 300.0;
const PH: f64 = 60.0;

/// Everything the charts draw, read from the simulation once per closed window.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ChartData {
    /// Closed windows kept: `first..first + n`; window k ends at (k + 1) × window.
    first: u64,
    n: usize,
    /// The x axis, in virtual ms: from the first kept window's start to the run's end.
    from_ms: u64,
    to_ms: u64,
    topic: String,
    batch_size: u32,
    send_rate: Series,
    send_total: u64,
    byte_rate: Series,
    latency_avg: Series,
    latency_max: Series,
    batch_size_avg: Series,
    records_per_request: Series,
    retry_rate: Series,
    retry_total: u64,
    error_rate: Series,
    error_total: u64,
    /// Per partition of the topic: its name, replica count and `InSyncReplicasCount`.
    isr: Vec<(String, usize, Vec<u8>)>,
    under_replicated: Vec<u32>,
    ledger: Vec<LedgerCounts>,
}

impl ChartData {
    /// The series of the first producer and of topic 0, window by window.
    pub fn of(sim: &Simulation) -> ChartData {
        let sampler = sim.sampler();
        let (first, closed) = (sampler.first_kept(), sampler.closed());
        let windows = || first..closed;
        let w = METRIC_CONFIG.sample_window_ms;
        let mut data = ChartData {
            first,
            n: (closed - first) as usize,
            from_ms: first * w,
            to_ms: sim.until_ms().max(first * w + w),
            topic: sim
                .cluster()
                .topics
                .first()
                .map_or(String::new(), |t| t.name.clone()),
            under_replicated: windows()
                .map(|k| sampler.under_replicated.at(k).copied().unwrap_or(0))
                .collect(),
            ledger: windows()
                .map(|k| sampler.ledger.at(k).copied().unwrap_or_default())
                .collect(),
            ..ChartData::default()
        };
        // The x axis shows at most the windows kept.
        data.to_ms = data.to_ms.min(data.from_ms + MAX_WINDOWS as u64 * w);
        if let Some(p) = sim.producers().first() {
            let s = &p.metrics.sensors;
            let m = &p.metrics;
            data.batch_size = p.config.batch_size;
            data.send_rate = windows()
                .map(|k| Some(s.records_per_request.rate(k)))
                .collect();
            data.send_total = m.record_send_total;
            data.byte_rate = windows().map(|k| Some(s.batch_size.rate(k))).collect();
            data.latency_avg = windows().map(|k| s.request_latency.avg(k)).collect();
            data.latency_max = windows().map(|k| s.request_latency.max(k)).collect();
            data.batch_size_avg = windows().map(|k| s.batch_size.avg(k)).collect();
            data.records_per_request = windows().map(|k| s.records_per_request.avg(k)).collect();
            data.retry_rate = windows().map(|k| Some(s.record_retries.rate(k))).collect();
            data.retry_total = m.record_retry_total;
            data.error_rate = windows().map(|k| Some(s.record_errors.rate(k))).collect();
            data.error_total = m.record_error_total;
        }
        let controller = sim.controller();
        for (i, tp) in sampler.partitions().iter().enumerate() {
            if tp.topic != 0 {
                continue;
            }
            let replicas = controller
                .partitions
                .get(tp)
                .map_or(0, |r| r.replicas.len());
            let sizes = windows()
                .map(|k| sampler.in_sync_replicas.at(k).map_or(0, |v| v[i]))
                .collect();
            data.isr.push((sim.cluster().display(*tp), replicas, sizes));
        }
        data
    }

    /// Windows closed when the data was read.
    pub fn closed(&self) -> u64 {
        self.first + self.n as u64
    }

    /// Where window k's end sits on the x axis, 0..PW.
    fn x(&self, i: usize) -> f64 {
        let end = (self.first + i as u64 + 1) * METRIC_CONFIG.sample_window_ms;
        let span = (self.to_ms - self.from_ms).max(1) as f64;
        (end - self.from_ms) as f64 / span * PW
    }

    /// Where the moment on screen sits on the x axis, 0..1 (the charts' cursor).
    pub fn cursor(&self, display_ms: f64) -> f64 {
        let span = (self.to_ms - self.from_ms).max(1) as f64;
        within((display_ms - self.from_ms as f64) / span, 0.0, 1.0)
    }

    /// A polyline through the series (`step`: held until the next window, as a gauge
    /// reads), broken where there is no value; with `area`, closed down to the axis.
    /// Points in the middle of a flat run are left out: a quiet minute is one segment.
    fn path(&self, series: &[Option<f64>], top: f64, step: bool, area: bool) -> String {
        let y = |v: f64| PH - within(v / top, 0.0, 1.0) * (PH - 2.0);
        let mut segments: Vec<Vec<(f64, f64)>> = Vec::new();
        let mut open = false;
        for (i, v) in series.iter().enumerate() {
            let Some(v) = v else {
                open = false;
                continue;
            };
            if !open {
                segments.push(Vec::new());
                open = true;
            }
            let segment = segments.last_mut().expect("just pushed");
            let (x0, x, yv) = (if i == 0 { 0.0 } else { self.x(i - 1) }, self.x(i), y(*v));
            // A gauge holds over its whole window; a measure is a point at its end.
            if step {
                segment.push((x0, yv));
            }
            segment.push((x, yv));
        }
        let mut d = String::new();
        for points in &segments {
            let kept = points.iter().enumerate().filter(|&(i, p)| {
                let flat =
                    |j: Option<usize>| j.and_then(|j| points.get(j)).is_some_and(|q| q.1 == p.1);
                !(flat(i.checked_sub(1)) && flat(Some(i + 1)))
            });
            for (n, (_, (x, y))) in kept.enumerate() {
                d.push_str(&format!(
                    "{}{},{}",
                    if n == 0 { 'M' } else { 'L' },
                    Fixed(*x, 1),
                    Fixed(*y, 1)
                ));
            }
            if let (true, Some(first), Some(last)) = (area, points.first(), points.last()) {
                d.push_str(&format!(
                    "L{},{}L{},{}Z",
                    Fixed(last.0, 1),
                    svg(PH),
                    Fixed(first.0, 1),
                    svg(PH)
                ));
            }
        }
        d
    }
}

/// The smallest 1, 2 or 5 × 10ⁿ at or above `v` (at least `floor`): the y axis' top.
fn nice_top(v: f64, floor: f64) -> f64 {
    let v = v.max(floor);
    // The power of ten at or below `v` by multiplying (exact, as `floor` is at least 1),
    // not `powf(log10)`, which would bring libm's pow and log10 into the wasm.
    let mut magnitude = 1.0;
    while magnitude * 10.0 <= v {
        magnitude *= 10.0;
    }
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|&t| t >= v)
        .unwrap_or(v)
}

fn max_of<'a>(series: impl IntoIterator<Item = &'a Series>) -> f64 {
    series
        .into_iter()
        .flatten()
        .flatten()
        .fold(0.0, |a, &b| a.max(b))
}

/// A number as a chart shows it: no more digits than the eye can use.
fn num(v: f64) -> String {
    if v >= 10_000.0 {
        format!("{}k", num(v / 1000.0))
    } else if v >= 100.0 || v == v.trunc() {
        Fixed(v, 0).to_string()
    } else if v >= 10.0 {
        Fixed(v, 1).to_string()
    } else {
        Fixed(v, 2).to_string()
    }
}

/// Text with `backticked` Kafka identifiers set in monospace.
fn explain(text: &str) -> Html {
    html! {
        <p class="chart-note">
            { for text.split('`').enumerate().map(|(i, part)| if i % 2 == 1 {
                html! { <span class="mono">{ part.to_string() }</span> }
            } else {
                html! { { part.to_string() } }
            }) }
        </p>
    }
}

/// One drawn series: its path and its CSS class (colour).
struct Line {
    d: String,
    class: &'static str,
}

/// A chart's frame: the Kafka metric name, the current value with its unit, the plot with
/// its y range and the cursor, and the one-line explanation.
fn chart(id: &str, name: Html, value: Html, top: f64, lines: Vec<Line>, note: Html) -> Html {
    html! {
        <figure class="chart" id={id.to_string()}>
            <figcaption>
                <span class="chart-name mono">{ name }</span>
                <span class="chart-value">{ value }</span>
            </figcaption>
            <div class="plot">
                <span class="y-top">{ num(top) }</span>
                <span class="y-zero">{ "0" }</span>
                <svg viewBox={format!("0 0 {} {}", svg(PW), svg(PH))} preserveAspectRatio="none" aria-hidden="true">
                    { for lines.into_iter().map(|l| html! { <path class={l.class} d={l.d} /> }) }
                </svg>
                <div class="cursor"></div>
            </div>
            { note }
        </figure>
    }
}

fn last(series: &Series) -> Option<f64> {
    series.last().copied().flatten()
}

fn shown(v: Option<f64>, unit: &str) -> String {
    v.map_or("—".into(), |v| format!("{} {unit}", num(v)))
        .trim_end()
        .to_string()
}

#[derive(Properties, PartialEq)]
pub struct ChartsProps {
    pub data: Rc<ChartData>,
    pub lang: Lang,
}

/// The charts, re-rendered only when `data` or `lang` change.
#[function_component(Charts)]
pub fn charts(props: &ChartsProps) -> Html {
    let d = &*props.data;
    let lang = props.lang;
    let rate = |series: &Series| {
        let top = nice_top(max_of([series]), 1.0);
        (top, d.path(series, top, false, true))
    };
    let (send_top, send_area) = rate(&d.send_rate);
    let send_line = d.path(&d.send_rate, send_top, false, false);
    let (byte_top, byte_area) = rate(&d.byte_rate);
    let byte_line = d.path(&d.byte_rate, byte_top, false, false);
    let latency_top = nice_top(max_of([&d.latency_avg, &d.latency_max]), 1.0);
    let batch_top = nice_top(max_of([&d.batch_size_avg]), 100.0);
    let rpr_top = nice_top(max_of([&d.records_per_request]), 1.0);
    let fault_top = nice_top(max_of([&d.retry_rate, &d.error_rate]), 1.0);
    let ledger_series = |f: fn(&LedgerCounts) -> u64| -> Series {
        d.ledger.iter().map(|l| Some(f(l) as f64)).collect()
    };
    let (dup, reord, lost) = (
        ledger_series(|l| l.duplicated),
        ledger_series(|l| l.reordered),
        ledger_series(|l| l.lost),
    );
    let ledger_top = nice_top(max_of([&dup, &reord, &lost]), 1.0);
    let now = d.ledger.last().copied().unwrap_or_default();
    let urp = d.under_replicated.last().copied().unwrap_or(0);
    let line = |series: &Series, top: f64, class| Line {
        d: d.path(series, top, false, false),
        class,
    };
    let step = |series: &Series, top: f64, class| Line {
        d: d.path(series, top, true, false),
        class,
    };
    let topic = d.topic.as_str();
    let total = lang.pick("total", "누적");
    html! {
        // `data-windows`: how many metrics windows the charts show.
        <div class="charts" data-windows={d.closed().to_string()}>
            { chart("chart-record-send-rate", html! { "record-send-rate" },
                html! { <>{ shown(last(&d.send_rate), "/s") }
                    <span class="chart-total" data-metric="record-send-total">{ format!(" · {} {}", total, d.send_total) }</span></> },
                send_top,
                vec![Line { d: send_area, class: "area" }, Line { d: send_line, class: "line" }],
                explain(lang.pick(
                    "records put into produce requests per second (a retried record counts again)",
                    "초당 프로듀스 요청에 담겨 나간 레코드 수 (재시도한 레코드도 다시 셈)"))) }
            { chart("chart-byte-rate", html! { "byte-rate" },
                html! { shown(last(&d.byte_rate), "B/s") },
                byte_top,
                vec![Line { d: byte_area, class: "area" }, Line { d: byte_line, class: "line" }],
                explain(&match lang {
                    Lang::En => format!("batch bytes sent per second to topic `{topic}`"),
                    Lang::Ko => format!("토픽 `{topic}`으로 보낸 배치 바이트/초"),
                })) }
            { chart("chart-request-latency-avg", html! { <>{ "request-latency-avg" }<span class="alt">{ " / -max" }</span></> },
                html! { <>{ shown(last(&d.latency_avg), "ms") }<span class="alt">{ format!(" / {}", shown(last(&d.latency_max), "ms")) }</span></> },
                latency_top,
                vec![line(&d.latency_max, latency_top, "line alt"), line(&d.latency_avg, latency_top, "line")],
                explain(lang.pick(
                    "ms from sending a produce request to its response; thin line: `-max`",
                    "프로듀스 요청을 보내고 응답을 받기까지 걸린 시간(ms), 가는 선은 `-max`"))) }
            { chart("chart-batch-size-avg", html! { "batch-size-avg" },
                html! { shown(last(&d.batch_size_avg), "B") },
                batch_top,
                vec![line(&d.batch_size_avg, batch_top, "line")],
                explain(&match lang {
                    Lang::En => format!("bytes per batch sent; `batch.size={}` is the ceiling for all but a lone big record", d.batch_size),
                    Lang::Ko => format!("보낸 배치의 평균 바이트 — 큰 레코드 하나짜리 배치가 아니면 `batch.size={}`가 상한", d.batch_size),
                })) }
            { chart("chart-records-per-request-avg", html! { "records-per-request-avg" },
                html! { <span data-metric="records-per-request-avg">{ shown(last(&d.records_per_request), "") }</span> },
                rpr_top,
                vec![line(&d.records_per_request, rpr_top, "line")],
                explain(lang.pick(
                    "records per produce request: a longer `linger.ms` or a bigger `batch.size` raises it",
                    "요청 하나에 담긴 평균 레코드 수 — `linger.ms`를 늘리거나 `batch.size`를 키우면 커짐"))) }
            { chart("chart-record-retry-rate", html! { <>{ "record-retry-rate" }<span class="err">{ " / record-error-rate" }</span></> },
                html! { <>{ shown(last(&d.retry_rate), "/s") }
                    <span class="chart-total" data-metric="record-retry-total">{ format!(" · {} {}", total, d.retry_total) }</span>
                    <span class="chart-total err" data-metric="record-error-total">{ format!(" / {}", d.error_total) }</span></> },
                fault_top,
                vec![line(&d.retry_rate, fault_top, "line warn"), line(&d.error_rate, fault_top, "line err")],
                explain(lang.pick(
                    "records sent again after a retriable error, and records failed for good, per second",
                    "초당 재시도한 레코드 수와 끝내 실패한 레코드 수"))) }
            { isr_chart(d, urp, lang) }
            <figure class="chart" id="chart-ledger">
                <figcaption>
                    <span class="chart-name">{ lang.pick("delivery ledger", "전달 결과") }</span>
                    <span class="chart-value" id="ledger">
                        <span class="value">{ format!("{} · {} · {}", now.duplicated, now.reordered, now.lost) }</span>
                    </span>
                </figcaption>
                <div class="plot">
                    <span class="y-top">{ num(ledger_top) }</span>
                    <span class="y-zero">{ "0" }</span>
                    <svg viewBox={format!("0 0 {} {}", svg(PW), svg(PH))} preserveAspectRatio="none" aria-hidden="true">
                        { for [step(&lost, ledger_top, "line err"), step(&reord, ledger_top, "line purple"), step(&dup, ledger_top, "line warn")]
                            .into_iter().map(|l| html! { <path class={l.class} d={l.d} /> }) }
                    </svg>
                    <div class="cursor"></div>
                </div>
                <p class="chart-note legend">
                    <span class="warn">{ lang.pick("duplicated", "중복") }</span>{ " · " }
                    <span class="purple">{ lang.pick("reordered", "순서 뒤바뀜") }</span>{ " · " }
                    <span class="err">{ lang.pick("lost", "유실") }</span>
                    { lang.pick(" — counted in the committed logs", " — 커밋된 로그 기준") }
                </p>
            </figure>
        </div>
    }
}

/// `InSyncReplicasCount` of each partition, one row each, with `UnderReplicatedPartitions`.
fn isr_chart(d: &ChartData, urp: u32, lang: Lang) -> Html {
    let rows = d.isr.len().max(1);
    html! {
        <figure class="chart" id="chart-isr">
            <figcaption>
                <span class="chart-name mono">{ "InSyncReplicasCount" }</span>
                <span class="chart-value">
                    <span class="mono small">{ "UnderReplicatedPartitions " }</span>
                    <span data-metric="UnderReplicatedPartitions" class={if urp > 0 { "err" } else { "" }}>{ urp }</span>
                </span>
            </figcaption>
            <div class="isr-rows" style={format!("--rows: {rows}")}>
                { for d.isr.iter().map(|(name, replicas, sizes)| {
                    let top = (*replicas).max(1) as f64;
                    let series: Series = sizes.iter().map(|&s| Some(s as f64)).collect();
                    let now = sizes.last().copied().unwrap_or(0);
                    let short = (now as usize) < *replicas;
                    html! {
                        <div class="isr-row">
                            <span class="mono small">{ name.clone() }</span>
                            <div class="plot">
                                <svg viewBox={format!("0 0 {} {}", svg(PW), svg(PH))} preserveAspectRatio="none" aria-hidden="true">
                                    <path class="area" d={d.path(&series, top, true, true)} />
                                    <path class="line" d={d.path(&series, top, true, false)} />
                                </svg>
                                <div class="cursor"></div>
                            </div>
                            <span class={if short { "isr-now err" } else { "isr-now" }}>{ format!("{now}/{replicas}") }</span>
                        </div>
                    }
                }) }
            </div>
            { explain(lang.pick(
                "in-sync replicas of each partition, as its leader reports (0: no leader)",
                "파티션마다 리더가 보고하는 ISR 크기 (0이면 리더 없음)")) }
        </figure>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_tops() {
        assert_eq!(nice_top(0.0, 1.0), 1.0);
        assert_eq!(nice_top(3.2, 1.0), 5.0);
        assert_eq!(nice_top(120.0, 1.0), 200.0);
        assert_eq!(nice_top(1000.0, 1.0), 1000.0);
    }

    #[test]
    fn flat_runs_are_one_segment_and_gaps_break_the_line() {
        let d = ChartData {
            n: 6,
            to_ms: 600,
            ..ChartData::default()
        };
        let series = [Some(1.0), Some(1.0), Some(1.0), Some(2.0), None, Some(2.0)];
        assert_eq!(
            d.path(&series, 2.0, false, false),
            "M50.0,31.0L150.0,31.0L200.0,2.0M300.0,2.0"
        );
        assert_eq!(
            d.path(&series, 2.0, true, false),
            "M0.0,31.0L150.0,31.0L150.0,2.0L200.0,2.0M250.0,2.0L300.0,2.0"
        );
        assert_eq!(
            d.path(&series[..2], 2.0, false, true),
            "M50.0,31.0L100.0,31.0L100.0,60L50.0,60Z"
        );
    }

    #[test]
    fn numbers_fit_the_axis() {
        assert_eq!(num(0.0), "0");
        assert_eq!(num(1.5), "1.50");
        assert_eq!(num(34.21), "34.2");
        assert_eq!(num(5984.4), "5984");
        assert_eq!(num(20_000.0), "20k");
        assert_eq!(num(12_500.0), "12.5k");
    }
}

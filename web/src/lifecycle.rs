//! The lifecycle inspector: a record, a produce request or a producer-state entry as a
//! vertical timeline — each step's virtual time, what happened and why — worked out from
//! the run's trace (`kafka_lab::lifecycle`) each time it is drawn, so it follows the run
//! as it plays, steps back or is scrubbed.

use crate::decimal::Fixed;
use crate::i18n::Lang;
use crate::inspector::{close_button, header_cells, Inspect};
use kafka_lab::config::Acks;
use kafka_lab::lifecycle::{
    producer_state_lifecycle, record_lifecycle, request_lifecycle, PartitionRule, Step,
};
use kafka_lab::metadata::TopicPartition;
use kafka_lab::net::TransactionResult;
use kafka_lab::producer::accumulator::SendReason;
use kafka_lab::producer::Outcome;
use kafka_lab::Simulation;
use web_sys::KeyboardEvent;
use yew::prelude::*;

/// Click and Enter handlers that open `target` in the inspector. The click stops here: a
/// record cell sits inside a clickable replica.
pub fn opener(
    on_inspect: &Callback<Inspect>,
    target: Inspect,
) -> (Callback<MouseEvent>, Callback<KeyboardEvent>) {
    let click = on_inspect.reform(move |e: MouseEvent| {
        e.stop_propagation();
        target
    });
    let on_inspect = on_inspect.clone();
    let key = Callback::from(move |e: KeyboardEvent| {
        if e.key() == "Enter" {
            e.prevent_default();
            e.stop_propagation();
            on_inspect.emit(target);
        }
    });
    (click, key)
}

/// A Kafka identifier inside a sentence.
fn code(text: &str) -> Html {
    html! { <code class="mono" translate="no">{ text.to_string() }</code> }
}

/// A number and the Korean particle after it, chosen by how its last digit is read (영,
/// 일, 삼, 육, 칠, 팔 end in a consonant; so do 십, 백, 천).
fn josa(n: impl std::fmt::Display, after_consonant: &str, after_vowel: &str) -> String {
    let s = n.to_string();
    let consonant = matches!(s.chars().last(), Some('0' | '1' | '3' | '6' | '7' | '8'));
    format!(
        "{s}{}",
        if consonant {
            after_consonant
        } else {
            after_vowel
        }
    )
}

/// A number and 으로/로: after ㄹ (일, 칠, 팔) 로, as after a vowel.
fn euro(n: impl std::fmt::Display) -> String {
    let s = n.to_string();
    let euro = matches!(s.chars().last(), Some('0' | '3' | '6'));
    format!("{s}{}", if euro { "으로" } else { "로" })
}

fn seconds(ms: u64) -> String {
    format!("{} s", Fixed(ms as f64 / 1000.0, 3))
}

/// Up to 32 bytes as hex, then how many more.
fn hex_line(bytes: &[u8], lang: Lang) -> String {
    let mut s: Vec<String> = bytes.iter().take(32).map(|b| format!("{b:02x}")).collect();
    if bytes.len() > 32 {
        s.push(match lang {
            Lang::En => format!("… (+{} B)", bytes.len() - 32),
            Lang::Ko => format!("… (+{} B 더)", bytes.len() - 32),
        });
    }
    s.join(" ")
}

fn partition_name(sim: &Simulation, tp: TopicPartition) -> String {
    sim.cluster().display(tp)
}

/// Why the sender took the batch, in a sentence.
fn reason_text(reason: SendReason, broker: u32, lang: Lang) -> Html {
    match reason {
        SendReason::RetryBackoffOver => {
            html! { <>{ code("retry.backoff.ms") }{ lang.pick(" had passed since the failed attempt", "가 실패 후 지나 다시 보낼 수 있게 됨") }</> }
        }
        SendReason::NewLeader => {
            html! { <>{ lang.pick("its partition has a new leader: from Kafka 3.7 a retry to it does not wait out ", "파티션에 새 리더가 생김: Kafka 3.7부터 새 리더로 가는 재시도는 ") }{ code("retry.backoff.ms") }{ lang.pick(" (KAFKA-15415)", "를 기다리지 않음 (KAFKA-15415)") }</> }
        }
        SendReason::Full => {
            html! { <>{ lang.pick("the batch was full: ", "배치가 가득 참: ") }{ code("batch.size") }{ lang.pick(" reached, or the next record did not fit", "에 닿았거나 다음 레코드가 들어가지 않음") }</> }
        }
        SendReason::LingerExpired => {
            html! { <>{ lang.pick("it had waited ", "") }{ code("linger.ms") }{ lang.pick(" without filling up", "만큼 기다렸지만 다 차지 않아서 보냄") }</> }
        }
        SendReason::Flush => {
            html! { <>{ code("flush()") }{ lang.pick(" was waiting: every batch is sendable at once", "가 기다리는 중: 모든 배치를 바로 보냄") }</> }
        }
        SendReason::Close => {
            html! { <>{ code("close()") }{ lang.pick(" sends what is left", "가 남은 배치를 모두 보냄") }</> }
        }
        SendReason::EndTransaction => {
            html! { <>{ code("commitTransaction()") }{ " / " }{ code("abortTransaction()") }{ lang.pick(" flush the accumulator first", "는 먼저 어큐뮬레이터를 비움(flush)") }</> }
        }
        SendReason::BufferExhausted => {
            html! { <>{ lang.pick("a send() waits for ", "send()가 ") }{ code("buffer.memory") }{ lang.pick(": every batch is sendable, to free memory", "를 기다리는 중: 메모리를 비우려고 모든 배치를 보냄") }</> }
        }
        SendReason::SameLeader => match lang {
            Lang::En => {
                html! { <>{ format!("not ready itself: another batch for broker {broker} was, and the drain takes the first batch of every partition that broker leads (up to ") }{ code("max.request.size") }{ ")" }</> }
            }
            Lang::Ko => {
                html! { <>{ format!("자신은 아직 준비 전이지만 브로커 {broker}로 갈 다른 배치가 준비되어, drain이 그 브로커가 리더인 파티션마다 첫 배치를 함께 담음 (") }{ code("max.request.size") }{ "까지)" }</> }
            }
        },
    }
}

fn rule_text(rule: PartitionRule, partition: Option<u32>, lang: Lang) -> Html {
    let p = partition.map_or("?".to_string(), |p| p.to_string());
    match rule {
        PartitionRule::Explicit => html! { { match lang {
            Lang::En => format!("the application named partition {p}"),
            Lang::Ko => format!("애플리케이션이 파티션 {} 직접 지정", josa(&p, "을", "를")),
        } } },
        PartitionRule::KeyHash { partitions } => {
            html! { <>{ code(&format!("murmur2(key) % {partitions} = {p}")) }{ lang.pick(": the same key always goes to the same partition", ": 같은 키는 언제나 같은 파티션으로") }</> }
        }
        PartitionRule::BuiltInSticky => {
            html! { <>{ lang.pick("no key: the built-in partitioner's sticky partition (KIP-794), kept until ", "키 없음: 내장 파티셔너의 스티키 파티션(KIP-794), ") }{ code("batch.size") }{ lang.pick(" bytes went to it", " 바이트를 보낼 때까지 유지") }</> }
        }
        PartitionRule::DefaultSticky => {
            html! { <>{ lang.pick("no key: ", "키 없음: ") }{ code("DefaultPartitioner") }{ lang.pick("'s sticky partition (KIP-480), changed when a new batch opens", "의 스티키 파티션(KIP-480), 새 배치가 열릴 때 바뀜") }</> }
        }
        PartitionRule::UniformSticky => {
            html! { <>{ code("UniformStickyPartitioner") }{ lang.pick(": sticky, the key ignored", ": 스티키, 키는 무시") }</> }
        }
        PartitionRule::RoundRobin => {
            html! { <>{ code("RoundRobinPartitioner") }{ lang.pick(": the next partition in turn, the key ignored", ": 차례대로 다음 파티션, 키는 무시") }</> }
        }
        PartitionRule::Custom => {
            html! { <>{ lang.pick("the custom ", "사용자 ") }{ code("partitioner.class") }{ lang.pick("'s rule table", "의 규칙 표") }</> }
        }
    }
}

/// A step's kind, for styling and for tests (`data-step`).
fn kind(step: &Step) -> &'static str {
    match step {
        Step::Created { .. } => "created",
        Step::Blocked { .. } => "blocked",
        Step::SendFailed { .. } => "send-failed",
        Step::Batched { .. } => "appended",
        Step::Filled { .. } => "filled",
        Step::Sent { .. } | Step::RequestSent { .. } => "sent",
        Step::RequestDropped { .. } => "request-lost",
        Step::ResponseDropped { .. } => "response-lost",
        Step::TimedOut { .. } => "timed-out",
        Step::ConnectionClosed { .. } => "closed",
        Step::Written { .. } => "written",
        Step::Duplicate { .. } => "duplicate",
        Step::Rejected { .. } => "rejected",
        Step::Replicated { .. } => "replicated",
        Step::Committed { .. } => "committed",
        Step::Truncated { .. } => "truncated",
        Step::Retried { .. } => "retried",
        Step::Split { .. } => "split",
        Step::Acked { .. } => "acked",
        Step::Failed { .. } => "failed",
        Step::Marker { .. } => "marker",
        Step::Consumed { .. } => "consumed",
        Step::Skipped { .. } => "skipped",
        Step::ProducerRestarted => "restarted",
        Step::ProducerIdAssigned { .. } => "producer-id",
        Step::EpochBumped { .. } => "epoch",
    }
}

/// What happened, and why, in `lang`.
fn describe(sim: &Simulation, producer: u16, step: &Step, lang: Lang) -> (Html, Html) {
    let config = sim.producers().get(producer as usize).map(|p| &p.config);
    let acks = config.map_or(Acks::All, |c| c.acks);
    // KAFKA-14317 (3.5): a timed-out request fails as REQUEST_TIMED_OUT, before as any
    // disconnection.
    let timed_out_error = if config.is_none_or(|c| c.version.at_least(3, 5)) {
        "REQUEST_TIMED_OUT"
    } else {
        "NETWORK_EXCEPTION"
    };
    let t = |en: String, ko: String| -> Html {
        html! { { match lang { Lang::En => en, Lang::Ko => ko } } }
    };
    match step {
        Step::Created {
            tp,
            key_bytes,
            value_bytes,
            size,
            rule,
        } => {
            let bytes = |b: &Option<usize>| b.map_or("null".to_string(), |n| format!("{n} B"));
            let (k, v) = (bytes(key_bytes), bytes(value_bytes));
            let what = match (lang, tp) {
                (Lang::En, Some(tp)) => format!("send() called: key {k}, value {v} serialized (≤ {size} B in a batch) → {}", partition_name(sim, *tp)),
                (Lang::Ko, Some(tp)) => format!("send() 호출: 키 {k}, 값 {v} 직렬화 (배치 안에서 최대 {size} B) → {}", partition_name(sim, *tp)),
                (Lang::En, None) => format!("send() called: key {k}, value {v} serialized (≤ {size} B in a batch)"),
                (Lang::Ko, None) => format!("send() 호출: 키 {k}, 값 {v} 직렬화 (배치 안에서 최대 {size} B)"),
            };
            (html! { { what } }, rule_text(*rule, tp.map(|tp| tp.partition), lang))
        }
        Step::Blocked { available } => (
            t(
                format!("send() blocks: a new batch needs memory and only {available} B are free"),
                format!("send()가 멈춤: 새 배치에 메모리가 필요한데 {available} B만 남음"),
            ),
            html! { <>{ code("buffer.memory") }{ lang.pick(" is taken by unsent batches; it waits up to ", "를 아직 못 보낸 배치가 차지함. 최대 ") }{ code("max.block.ms") }{ lang.pick("", "까지 기다림") }</> },
        ),
        Step::SendFailed { error } => (
            html! { <>{ lang.pick("send() failed: ", "send() 실패: ") }{ code(error) }</> },
            t(
                "thrown before the record reached a batch; the callback ran at once".into(),
                "레코드가 배치에 들어가기 전에 예외가 나서 콜백이 바로 호출됨".into(),
            ),
        ),
        Step::Batched { batch, new_batch } => (
            html! { { match (lang, new_batch) {
                (Lang::En, true) => format!("appended to a new batch {batch} in the RecordAccumulator"),
                (Lang::Ko, true) => format!("RecordAccumulator의 새 배치 {batch}에 추가"),
                (Lang::En, false) => format!("appended to open batch {batch} in the RecordAccumulator"),
                (Lang::Ko, false) => format!("RecordAccumulator의 열린 배치 {batch}에 추가"),
            } } },
            if *new_batch {
                html! { <>{ lang.pick("the partition had no open batch with room left under ", "이 파티션에 ") }{ code("batch.size") }{ lang.pick("", " 안에서 자리가 남은 열린 배치가 없음") }</> }
            } else {
                html! { <>{ lang.pick("the partition's last batch still had room under ", "이 파티션의 마지막 배치에 ") }{ code("batch.size") }{ lang.pick("", " 안에서 자리가 남아 있었음") }</> }
            },
        ),
        Step::Filled { records } => (
            t(
                format!("{records} record(s) appended; the last one now"),
                format!("레코드 {records}개 추가, 마지막 레코드가 이때 들어옴"),
            ),
            html! {},
        ),
        Step::Sent {
            request,
            broker,
            batch,
            reason,
            attempt,
        } => (
            t(
                format!("batch {batch} drained into ProduceRequest {request} to broker {broker} (attempt {attempt})"),
                format!("배치 {batch}: ProduceRequest {request}에 담아 브로커 {broker}에 전송 ({attempt}번째 시도)"),
            ),
            reason_text(*reason, *broker, lang),
        ),
        Step::RequestSent {
            broker,
            batches,
            records,
            bytes,
        } => (
            t(
                format!("ProduceRequest to broker {broker}: {} batch(es), {records} records, {bytes} B", batches.len()),
                format!("브로커 {broker}에 ProduceRequest 전송: 배치 {}개, 레코드 {records}개, {bytes} B", batches.len()),
            ),
            html! { <ul class="reasons">{ for batches.iter().map(|(b, r)| html! {
                <li>{ match lang { Lang::En => format!("batch {b}: "), Lang::Ko => format!("배치 {b}: ") } }{ reason_text(*r, *broker, lang) }</li>
            }) }</ul> },
        ),
        Step::RequestDropped { request, broker } => (
            t(
                format!("request {request} lost on its way to broker {broker}"),
                format!("요청 {} 브로커 {broker}에게 가는 길에 유실", josa(request, "이", "가")),
            ),
            html! { <>{ lang.pick("a lost-request fault: the broker never saw it; the producer waits ", "요청 유실 장애: 브로커는 요청을 받지 못했고, 프로듀서는 ") }{ code("request.timeout.ms") }{ lang.pick("", "까지 기다림") }</> },
        ),
        Step::ResponseDropped { request, broker } => (
            t(
                format!("broker {broker}'s answer to request {request} lost"),
                format!("요청 {request}에 대한 브로커 {broker}의 응답 유실"),
            ),
            t(
                "a lost-response fault: the broker has done the work, the producer does not know".into(),
                "응답 유실 장애: 브로커는 이미 처리했지만 프로듀서는 그 사실을 모름".into(),
            ),
        ),
        Step::TimedOut { broker } => (
            html! { <>{ lang.pick("no answer within ", "") }{ code("request.timeout.ms") }{ match lang {
                Lang::En => format!(": connection to broker {broker} closed"),
                Lang::Ko => format!(" 안에 응답이 없어 브로커 {}의 연결을 끊음", josa(broker, "과", "와")),
            } }</> },
            html! { <>{ code("NetworkClient.handleTimedOutRequests") }{ lang.pick(" fails every request in flight on it (", "가 그 연결의 진행 중인 요청을 모두 실패 처리 (") }{ code(timed_out_error) }{ ")" }</> },
        ),
        Step::ConnectionClosed { broker } => (
            t(
                format!("broker {broker}'s process died under the connection"),
                format!("브로커 {broker} 프로세스가 죽어 연결이 끊김"),
            ),
            html! { <>{ lang.pick("requests in flight on it fail with ", "그 연결의 진행 중인 요청은 ") }{ code("NETWORK_EXCEPTION") }{ lang.pick("", "으로 실패") }</> },
        ),
        Step::Written {
            broker,
            request,
            offset,
            leader_epoch,
            ..
        } => {
            let epoch = leader_epoch.map_or(String::new(), |e| match lang {
                Lang::En => format!(", leader epoch {e}"),
                Lang::Ko => format!(", 리더 에포크 {e}"),
            });
            (
                t(
                    format!("leader broker {broker} wrote it at offset {offset}{epoch}"),
                    format!("리더(브로커 {broker})가 오프셋 {offset}에 기록{epoch}"),
                ),
                t(
                    format!("ProduceRequest {request} reached the leader, which appended it to its log — not committed yet"),
                    format!("리더가 ProduceRequest {request}의 배치를 로그에 추가함 — 아직 커밋 전"),
                ),
            )
        }
        Step::Duplicate {
            broker,
            request,
            offset,
        } => (
            t(
                format!("broker {broker} recognised request {request}'s batch as a duplicate: already at offset {offset}"),
                format!("브로커 {broker}: 요청 {request}의 배치가 중복임을 알아봄, 이미 오프셋 {offset}에 있음"),
            ),
            t(
                "same producer id, epoch and sequences as a batch it keeps (the last five per producer): not written again, answered with the original offset".into(),
                "보관 중인 배치(프로듀서별 최근 5개)와 producer id·에포크·시퀀스가 같음: 다시 쓰지 않고 원래 오프셋으로 응답".into(),
            ),
        ),
        Step::Rejected {
            broker,
            request,
            error,
            reason,
        } => (
            html! { <>{ match lang {
                Lang::En => format!("broker {broker} refused request {request}'s batch: "),
                Lang::Ko => format!("브로커 {broker}: 요청 {request}의 배치를 거부 "),
            } }{ code(error) }</> },
            html! { <>{ lang.pick("the broker's reason: ", "브로커가 남긴 이유: ") }<span class="mono" translate="no">{ reason.clone() }</span></> },
        ),
        Step::Replicated { broker, offset } => (
            t(
                format!("follower broker {broker} copied offset {offset}"),
                format!("팔로워(브로커 {broker})가 오프셋 {} 복제", josa(offset, "을", "를")),
            ),
            t(
                "its fetch from the leader brought it: its log end offset passed it".into(),
                "리더에게 보낸 fetch로 받아와 LEO가 이 오프셋을 넘어섬".into(),
            ),
        ),
        Step::Committed {
            broker,
            high_watermark,
            ..
        } => (
            t(
                format!("committed: the high watermark on broker {broker} reached {high_watermark}"),
                format!("커밋됨: 브로커 {broker}의 하이 워터마크가 {high_watermark}에 도달"),
            ),
            t(
                "every in-sync replica has it (the high watermark is the smallest log end offset in the ISR): it survives the leader's loss, and consumers may read it".into(),
                "ISR의 모든 복제본이 가짐(하이 워터마크는 ISR 중 가장 작은 LEO): 리더를 잃어도 남고, 컨슈머가 읽을 수 있음".into(),
            ),
        ),
        Step::Truncated { broker, offset, to } => (
            t(
                format!("broker {broker} cut its log back to {to}: the copy at {offset} is gone there"),
                format!("브로커 {broker}: 로그를 {to}까지 잘라냄, 오프셋 {offset}의 사본이 사라짐"),
            ),
            t(
                "its log diverged from the new leader's (leader epochs): a copy never committed, or an unclean election".into(),
                "새 리더의 로그와 어긋남(리더 에포크): 커밋되지 않았던 사본이거나 언클린 리더 선출".into(),
            ),
        ),
        Step::Retried { error, attempt } => (
            html! { <>{ match lang {
                Lang::En => format!("attempt {attempt} failed with "),
                Lang::Ko => format!("{attempt}번째 시도 실패: "),
            } }{ code(error) }{ lang.pick(": back to the front of its deque", " — 덱의 맨 앞으로 돌아감") }</> },
            html! { <>{ lang.pick("a retriable error, with ", "재시도 가능한 오류이고 ") }{ code("retries") }{ lang.pick(" and ", "와 ") }{ code("delivery.timeout.ms") }{ lang.pick(" left", "가 남아 있음") }</> },
        ),
        Step::Split { into, batch } => (
            html! { <>{ code("MESSAGE_TOO_LARGE") }{ match (lang, batch) {
                (Lang::En, Some(b)) => format!(": the batch was split into {into}; the record is now in batch {b}"),
                (Lang::Ko, Some(b)) => format!(": 배치를 {into}개로 나눔, 레코드는 이제 배치 {b}에"),
                (Lang::En, None) => format!(": the batch was split into {into}"),
                (Lang::Ko, None) => format!(": 배치를 {into}개로 나눔"),
            } }</> },
            html! { <>{ lang.pick("the broker found it larger than ", "브로커가 ") }{ code("max.message.bytes") }{ lang.pick("; the parts go again without spending a retry", "보다 크다고 판단해, 나눈 배치들을 재시도 횟수 소모 없이 다시 보냄") }</> },
        ),
        Step::Acked { offset } if *offset >= 0 => (
            t(
                format!("callback: success, offset {offset}"),
                format!("콜백: 성공, 오프셋 {offset}"),
            ),
            match acks {
                Acks::All => html! { <>{ code("acks=all") }{ lang.pick(": the leader answered once the high watermark passed it", ": 하이 워터마크가 넘어선 뒤에 리더가 응답") }</> },
                _ => html! { <>{ code("acks=1") }{ lang.pick(": the leader answered after its own write, before the followers copied it", ": 리더가 자기 로그에 쓰자마자 응답, 팔로워 복제 전") }</> },
            },
        ),
        Step::Acked { .. } => (
            t(
                "callback: success, offset −1".into(),
                "콜백: 성공, 오프셋 −1".into(),
            ),
            html! { <>{ code("acks=0") }{ lang.pick(": complete once written to the socket; nothing comes back", ": 소켓에 쓰면 바로 완료, 응답은 오지 않음") }</> },
        ),
        Step::Failed { error, message } => (
            html! { <>{ lang.pick("callback: failed with ", "콜백: 실패 ") }{ code(error) }</> },
            html! { <span class="mono" translate="no">{ message.clone().unwrap_or_default() }</span> },
        ),
        Step::Marker {
            broker,
            result,
            marker_offset,
            ..
        } => {
            let word = match result {
                TransactionResult::Commit => "COMMIT",
                TransactionResult::Abort => "ABORT",
            };
            (
                html! { <>{ code(word) }{ match lang {
                    Lang::En => format!(" marker at offset {marker_offset} on broker {broker}: the transaction {}", if *result == TransactionResult::Commit { "committed" } else { "aborted" }),
                    Lang::Ko => format!(" 마커가 브로커 {broker}의 오프셋 {marker_offset}에 기록: 트랜잭션 {}", if *result == TransactionResult::Commit { "커밋" } else { "중단(abort)" }),
                } }</> },
                match result {
                    TransactionResult::Commit => t(
                        "the coordinator writes markers after EndTxn; read_committed consumers may now read it".into(),
                        "코디네이터가 EndTxn 뒤 마커를 씀: 이제 read_committed 컨슈머도 읽을 수 있음".into(),
                    ),
                    TransactionResult::Abort => t(
                        "read_committed consumers skip it; a read_uncommitted one may have read it already".into(),
                        "read_committed 컨슈머는 건너뜀. read_uncommitted 컨슈머는 이미 읽었을 수 있음".into(),
                    ),
                },
            )
        }
        Step::Consumed {
            consumer,
            read_committed,
            ..
        } => {
            let name = sim
                .consumers()
                .get(*consumer as usize)
                .map_or(String::new(), |c| c.name.clone());
            (
                t(
                    format!("consumer {name} got it from poll()"),
                    format!("컨슈머 {name}: poll()로 받음"),
                ),
                if *read_committed {
                    html! { <>{ code("read_committed") }{ lang.pick(" reads up to the last stable offset (LSO)", "는 LSO(마지막 안정 오프셋)까지 읽음") }</> }
                } else {
                    html! { <>{ code("read_uncommitted") }{ lang.pick(" reads up to the high watermark, open transactions included", "는 하이 워터마크까지 읽음, 진행 중인 트랜잭션도 포함") }</> }
                },
            )
        }
        Step::Skipped { consumer, .. } => {
            let name = sim
                .consumers()
                .get(*consumer as usize)
                .map_or(String::new(), |c| c.name.clone());
            (
                html! { <>{ match lang {
                    Lang::En => format!("consumer {name} passed over it ("),
                    Lang::Ko => format!("컨슈머 {name}: 건너뜀 ("),
                } }{ code("read_committed") }{ ")" }</> },
                t(
                    "its transaction was aborted: never returned to the application".into(),
                    "트랜잭션이 중단되어 애플리케이션에 전달되지 않음".into(),
                ),
            )
        }
        Step::ProducerRestarted => (
            t(
                "the application restarted its producer before an answer".into(),
                "응답을 받기 전에 애플리케이션이 프로듀서를 재시작".into(),
            ),
            t(
                "the new instance sends the record again, under a new producer id: a duplicate is possible".into(),
                "새 인스턴스가 레코드를 다시 보냄. producer id가 새로 바뀌므로 중복이 생길 수 있음".into(),
            ),
        ),
        Step::ProducerIdAssigned { producer, epoch } => {
            let name = sim
                .producers()
                .get(*producer as usize)
                .map_or(String::new(), |p| p.name.clone());
            (
                t(
                    format!("producer {name} got this producer id, epoch {epoch}"),
                    format!("프로듀서 {name}: 이 producer id를 받음, 에포크 {epoch}"),
                ),
                html! { <>{ code("InitProducerId") }{ lang.pick(": an idempotent or transactional producer gets its id before its first batch", ": 멱등·트랜잭션 프로듀서는 첫 배치 전에 id를 받음") }</> },
            )
        }
        Step::EpochBumped { epoch } => (
            t(
                format!("the producer moved to epoch {epoch}"),
                format!("프로듀서 에포크가 {} 올라감", euro(epoch)),
            ),
            t(
                "a sequence gap it could not close (KIP-360), or the end of a transaction under transactions V2 (KIP-890)".into(),
                "메울 수 없는 시퀀스 공백(KIP-360), 또는 트랜잭션 V2(KIP-890)에서 트랜잭션 종료".into(),
            ),
        ),
    }
}

/// How many of the latest trace events the app keeps for the inspector (about 20 MB):
/// a run's memory stays bounded however long it plays, and a subject older than that
/// shows only the steps still kept.
pub const TRACE_KEPT: usize = 1 << 18;

/// The most steps a lifecycle draws.
const SHOWN_STEPS: usize = 400;

/// The steps as a vertical timeline, after a note when its beginning is no longer kept
/// (`forgotten`: from when the trace has it). A step that names a produce request links
/// to it.
pub fn timeline(
    sim: &Simulation,
    producer: u16,
    steps: &[(u64, kafka_lab::lifecycle::Step)],
    forgotten: Option<u64>,
    lang: Lang,
    on_inspect: &Callback<Inspect>,
) -> Html {
    let forgotten = forgotten.map(|at| {
        let kept = TRACE_KEPT.to_string();
        let at = seconds(at);
        html! {
            <li class="step forgotten" data-step="forgotten">
                <span class="at mono">{ "…" }</span>
                <span class="what">{ lang.pick("Earlier steps are no longer kept", "이전 단계는 더 이상 보관하지 않음") }</span>
                <span class="why small">{ match lang {
                    Lang::En => format!("The lab keeps the latest {kept} events of a run, so that a long run's memory stays bounded; this history starts at {at}."),
                    Lang::Ko => format!("긴 실행에도 메모리가 한없이 늘지 않도록 실행의 최근 이벤트 {kept}개만 보관: 이 기록은 {at}부터."),
                } }</span>
            </li>
        }
    });
    // A long life (a batch split again and again, KAFKA-8350: a step per attempt, up to
    // hundreds of thousands) shows its first and last steps, and how many lie between.
    let half = SHOWN_STEPS / 2;
    let omitted = steps.len().saturating_sub(SHOWN_STEPS);
    let tail = half + omitted;
    let mut last = None;
    let items = steps
        .iter()
        .enumerate()
        .filter(|(i, _)| *i < half || *i >= tail);
    let items = items.map(|(i, (at, step))| {
        let gap = (i == tail && omitted > 0).then(|| {
            let n = omitted.to_string();
            html! {
                <li class="step forgotten" data-step="omitted">
                    <span class="at mono">{ "…" }</span>
                    <span class="what">{ match lang {
                        Lang::En => format!("{n} more steps, not shown"),
                        Lang::Ko => format!("표시하지 않은 단계 {n}개"),
                    } }</span>
                </li>
            }
        });
        let delta = last.map(|l: u64| at - l);
        last = Some(*at);
        let (what, why) = describe(sim, producer, step, lang);
        let link = match step {
            Step::Sent { request, .. } => {
                let target = Inspect::Request {
                    producer,
                    request: *request,
                    sent_ms: *at,
                };
                let (onclick, onkeydown) = opener(on_inspect, target);
                let label = match lang {
                    Lang::En => format!("request {request}"),
                    Lang::Ko => format!("요청 {request}"),
                };
                html! { <button class="link" {onclick} {onkeydown}>{ format!("{label} ›") }</button> }
            }
            _ => html! {},
        };
        html! { <>{ for gap }
            <li class={classes!("step", kind(step))} data-step={kind(step)} data-at={at.to_string()}>
                <span class="at mono">{ seconds(*at) }
                    if let Some(d) = delta.filter(|&d| d > 0) { <span class="delta">{ format!(" +{d} ms") }</span> }
                </span>
                <span class="what">{ what }{ link }</span>
                <span class="why small">{ why }</span>
            </li>
        </> }
    });
    html! { <ol class="timeline" id="lifecycle-steps">{ for forgotten }{ for items }</ol> }
}

/// The lifecycle inspector for a record, a request or a producer-state entry.
pub fn lifecycle_inspector(
    sim: &Simulation,
    target: Inspect,
    on_close: Callback<MouseEvent>,
    on_inspect: &Callback<Inspect>,
    lang: Lang,
) -> Html {
    let (title, body) = match target {
        Inspect::Record { producer, index } => record_view(sim, producer, index, lang, on_inspect),
        Inspect::Request {
            producer,
            request,
            sent_ms,
        } => request_view(sim, producer, request, sent_ms, lang, on_inspect),
        Inspect::ProducerState {
            broker,
            tp,
            producer_id,
        } => producer_state_view(sim, broker, tp, producer_id, lang, on_inspect),
        _ => return html! {},
    };
    html! {
        <section class="inspector lifecycle" id="lifecycle" aria-label={lang.pick("lifecycle inspector", "생애 주기 인스펙터")}>
            <header>
                <h3>{ title }</h3>
                { close_button(on_close, lang) }
            </header>
            { body }
        </section>
    }
}

fn record_view(
    sim: &Simulation,
    producer: u16,
    index: u32,
    lang: Lang,
    on_inspect: &Callback<Inspect>,
) -> (String, Html) {
    let Some(s) = sim
        .producers()
        .get(producer as usize)
        .and_then(|p| p.sends.get(index as usize))
    else {
        // Stepped back to before the record was sent.
        return (
            match lang {
                Lang::En => format!("Record #{index}"),
                Lang::Ko => format!("레코드 #{index}"),
            },
            html! { <p class="state" id="lifecycle-state">{ lang.pick("Not sent yet at this moment.", "이 시점에는 아직 보내지 않음.") }</p> },
        );
    };
    let life = record_lifecycle(sim, producer, index);
    let tp = s.partition().map(|partition| TopicPartition {
        topic: s.topic,
        partition,
    });
    let title = match (lang, tp) {
        (Lang::En, Some(tp)) => format!("Record #{index} · {}", partition_name(sim, tp)),
        (Lang::Ko, Some(tp)) => format!("레코드 #{index} · {}", partition_name(sim, tp)),
        (Lang::En, None) => format!("Record #{index}"),
        (Lang::Ko, None) => format!("레코드 #{index}"),
    };
    let state = match (s.outcome, lang) {
        (Outcome::Pending, Lang::En) => "waiting for an answer".to_string(),
        (Outcome::Pending, Lang::Ko) => "응답을 기다리는 중".to_string(),
        (Outcome::Acked, Lang::En) if s.offset >= 0 => {
            format!("acknowledged at offset {}", s.offset)
        }
        (Outcome::Acked, Lang::Ko) if s.offset >= 0 => {
            format!("오프셋 {} 확인(ack) 받음", euro(s.offset))
        }
        (Outcome::Acked, Lang::En) => "completed without an answer (acks=0)".to_string(),
        (Outcome::Acked, Lang::Ko) => "응답 없이 완료 (acks=0)".to_string(),
        (Outcome::Failed, Lang::En) => "failed".to_string(),
        (Outcome::Failed, Lang::Ko) => "실패".to_string(),
    };
    let text = |t: Option<&str>| {
        t.map_or("null".to_string(), |t| {
            let short: String = t.chars().take(40).collect();
            if short.len() < t.len() {
                format!("{short}…")
            } else {
                short
            }
        })
    };
    let body = html! {
        <>
            <p class="state" id="lifecycle-state">{ state }</p>
            <dl class="fields">
                <dt>{ lang.pick("key", "키") }</dt><dd class="mono" translate="no">{ text(s.data.key_text().as_deref()) }</dd>
                <dt>{ lang.pick("value", "값") }</dt><dd class="mono" translate="no">{ text(s.data.value_text().as_deref()) }</dd>
                <dt>{ lang.pick("key bytes", "키 바이트") }</dt><dd class="mono hexline">{ s.data.key_bytes().map_or("null".to_string(), |b| hex_line(&b, lang)) }</dd>
                <dt>{ lang.pick("value bytes", "값 바이트") }</dt><dd class="mono hexline">{ s.data.value_bytes().map_or("null".to_string(), |b| hex_line(&b, lang)) }</dd>
                <dt>{ lang.pick("timestamp", "타임스탬프") }</dt><dd class="mono">{ s.data.timestamp.to_string() }</dd>
            </dl>
            { timeline(sim, producer, &life.steps, life.forgotten_before, lang, on_inspect) }
        </>
    };
    (title, body)
}

fn request_view(
    sim: &Simulation,
    producer: u16,
    request: u64,
    sent_ms: u64,
    lang: Lang,
    on_inspect: &Callback<Inspect>,
) -> (String, Html) {
    let title = match lang {
        Lang::En => format!("ProduceRequest {request}"),
        Lang::Ko => format!("ProduceRequest {request}"),
    };
    let life = request_lifecycle(sim, producer, request, sent_ms);
    let in_flight = sim.producers().get(producer as usize).is_some_and(|p| {
        p.sender
            .in_flight
            .values()
            .any(|q| q.iter().any(|r| r.id == request))
    });
    let state = match (life.steps.is_empty(), in_flight, lang) {
        (true, _, Lang::En) => "not sent yet at this moment",
        (true, _, Lang::Ko) => "이 시점에는 아직 보내지 않음",
        (false, true, Lang::En) => "in flight: waiting for the broker's answer",
        (false, true, Lang::Ko) => "진행 중: 브로커의 응답을 기다림",
        (false, false, Lang::En) => "answered, failed or given up: no longer in flight",
        (false, false, Lang::Ko) => "응답을 받았거나 실패·포기: 더는 진행 중이 아님",
    };
    let body = html! {
        <>
            <p class="state" id="lifecycle-state">{ state }</p>
            { timeline(sim, producer, &life.steps, life.forgotten_before, lang, on_inspect) }
        </>
    };
    (title, body)
}

fn producer_state_view(
    sim: &Simulation,
    broker: u32,
    tp: TopicPartition,
    producer_id: i64,
    lang: Lang,
    on_inspect: &Callback<Inspect>,
) -> (String, Html) {
    let title = match lang {
        Lang::En => format!(
            "Producer state · PID {producer_id} · {} on broker {broker}",
            partition_name(sim, tp)
        ),
        Lang::Ko => format!(
            "프로듀서 상태 · PID {producer_id} · 브로커 {broker}의 {}",
            partition_name(sim, tp)
        ),
    };
    let Some(view) = producer_state_lifecycle(sim, broker, tp, producer_id) else {
        return (
            title,
            html! { <p class="state" id="lifecycle-state">{ lang.pick("This replica has no entry for the producer id at this moment.", "이 시점에 이 복제본에는 이 producer id의 항목이 없음.") }</p> },
        );
    };
    let client = view.client.unwrap_or(0);
    let rows = view.batches.iter().map(|b| {
        let record = b.origin.map(|(p, i)| {
            let (onclick, onkeydown) = opener(
                on_inspect,
                Inspect::Record {
                    producer: p,
                    index: i,
                },
            );
            let label = match lang {
                Lang::En => format!("record #{i}"),
                Lang::Ko => format!("레코드 #{i}"),
            };
            html! { <button class="link" {onclick} {onkeydown}>{ label }</button> }
        });
        html! {
            <tr>
                <td class="mono">{ format!("{}–{}", b.first_seq, b.last_seq) }</td>
                <td class="mono">{ format!("@{}", b.first_offset) }</td>
                <td>{ b.written.map_or("—".to_string(), |(batch, request)| match lang {
                    Lang::En => format!("batch {batch} · request {request}"),
                    Lang::Ko => format!("배치 {batch} · 요청 {request}"),
                }) }</td>
                <td class="mono">{ b.appended_ms.map_or("—".to_string(), seconds) }</td>
                <td>{ record.unwrap_or_default() }</td>
            </tr>
        }
    });
    let body = html! {
        <>
            <p class="state" id="lifecycle-state">{ match lang {
                Lang::En => format!("epoch {} · {} batch(es) remembered", view.epoch, view.batches.len()),
                Lang::Ko => format!("에포크 {} · 기억하는 배치 {}개", view.epoch, view.batches.len()),
            } }
                if let Some(o) = view.current_txn_first_offset {
                    { match lang {
                        Lang::En => format!(" · transaction open since offset {o}"),
                        Lang::Ko => format!(" · 오프셋 {o}부터 트랜잭션 진행 중"),
                    } }
                }
            </p>
            <table class="records" id="entry-batches">
                <thead><tr>
                    { header_cells(lang, &[("sequences", "시퀀스"), ("first offset", "첫 오프셋"), ("written from", "기록한 요청"), ("appended here", "이 복제본에 추가"), ("first record", "첫 레코드")]) }
                </tr></thead>
                <tbody>{ for rows }</tbody>
            </table>
            <p class="small">{ lang.pick(
                "The last five batches per producer id: a retry with the same sequences is answered with its original offset; the next batch must continue the last sequence (else OUT_OF_ORDER_SEQUENCE_NUMBER), under this epoch or a newer one (else INVALID_PRODUCER_EPOCH).",
                "producer id마다 최근 5개 배치를 기억: 같은 시퀀스의 재시도는 원래 오프셋으로 응답하고, 다음 배치는 마지막 시퀀스에 이어져야 하며(아니면 OUT_OF_ORDER_SEQUENCE_NUMBER) 에포크는 같거나 더 새로워야 함(아니면 INVALID_PRODUCER_EPOCH).") }</p>
            { timeline(sim, client, &view.steps, view.forgotten_before, lang, on_inspect) }
        </>
    };
    (title, body)
}

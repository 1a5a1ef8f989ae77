//! The event log: one sentence per trace event, in English and in Korean; and the
//! narrator, which hands a screen reader the notable ones at a pace it can follow.

use crate::decimal::Ids;
use crate::i18n::Lang;
use kafka_lab::broker::producer_state::fixes_kafka_15591;
use kafka_lab::controller::Election;
use kafka_lab::net::TransactionResult;
use kafka_lab::trace::TraceEvent;
use kafka_lab::Simulation;
use std::collections::VecDeque;

/// `say!(lang, "english {x}", "한국어 {x}")`: the sentence in the language on screen, with
/// the values captured from the arm's bindings.
macro_rules! say {
    ($lang:expr, $en:literal, $ko:literal) => {
        match $lang {
            Lang::En => format!($en),
            Lang::Ko => format!($ko),
        }
    };
}

/// Why a transactional request goes out, as a short aside.
fn txn_request_why(request: &str, lang: Lang) -> &'static str {
    match (request, lang) {
        ("FindCoordinator", Lang::En) => " (which broker coordinates my transactional.id?)",
        ("FindCoordinator", Lang::Ko) => {
            " (내 transactional.id를 맡은 코디네이터는 어느 브로커인가?)"
        }
        ("InitProducerId", Lang::En) => {
            " (the id's producer id and a new epoch; fences older instances)"
        }
        ("InitProducerId", Lang::Ko) => " (프로듀서 ID와 새 에포크를 받아 이전 인스턴스를 펜싱)",
        ("AddPartitionsToTxn", Lang::En) => {
            " (partitions join the transaction before any record goes there)"
        }
        ("AddPartitionsToTxn", Lang::Ko) => " (레코드를 보내기 전에 파티션을 트랜잭션에 등록)",
        ("EndTxn", Lang::En) => " (commit or abort: the coordinator writes the markers)",
        ("EndTxn", Lang::Ko) => " (커밋 또는 중단: 코디네이터가 마커를 씀)",
        _ => "",
    }
}

/// Whether an OUT_OF_ORDER_SEQUENCE_NUMBER `reason` (`ProducerAppendInfo.checkSequence`'s
/// words) refuses a batch at or below the leader's end sequence: not a duplicate, so never
/// written, though later ones were — which only a leader that had no state for the
/// producer allows (KAFKA-15591). A gap is refused above the end.
fn below_the_end(reason: &str) -> bool {
    let Some((head, tail)) = reason.split_once(" (incoming seq. number), ") else {
        return false;
    };
    let incoming = head.rsplit(' ').next().and_then(|n| n.parse::<i32>().ok());
    let end = tail.split(' ').next().and_then(|n| n.parse::<i32>().ok());
    matches!((incoming, end), (Some(i), Some(e)) if i <= e)
}

/// The sentence for `event` in `lang`.
pub fn describe(sim: &Simulation, event: &TraceEvent, lang: Lang) -> String {
    let cluster = sim.cluster();
    let name = |p: u16| {
        sim.producers()
            .get(p as usize)
            .map_or("?".to_string(), |p| p.name.clone())
    };
    let consumer = |c: u16| {
        sim.consumers()
            .get(c as usize)
            .map_or(c.to_string(), |c| c.name.clone())
    };
    let list = |tps: &mut dyn Iterator<Item = String>| tps.collect::<Vec<_>>().join(", ");
    match event {
        TraceEvent::Send {
            producer,
            index,
            tp,
            batch,
            new_batch,
        } => {
            // A record long settled may have been let go (`Simulation::bound_history`).
            let key = sim.producers()[*producer as usize]
                .sends
                .get(*index as usize)
                .map_or("…".to_string(), |s| {
                    s.data
                        .key_text()
                        .map_or("null".to_string(), |k| format!("\"{k}\""))
                });
            let (p, tp) = (name(*producer), cluster.display(*tp));
            match (lang, new_batch) {
                (Lang::En, true) => format!("{p} send #{index} key={key} → {tp} opens batch {batch}"),
                (Lang::En, false) => format!("{p} send #{index} key={key} → {tp} joins batch {batch}"),
                (Lang::Ko, true) => format!("{p} send #{index} key={key} → {tp}: 새 배치 {batch}를 엶"),
                (Lang::Ko, false) => format!("{p} send #{index} key={key} → {tp}: 배치 {batch}에 합류"),
            }
        }
        TraceEvent::SendFailed {
            producer,
            index,
            error,
        } => {
            let p = name(*producer);
            say!(lang, "{p} send #{index} failed: {error}", "{p} send #{index} 실패: {error}")
        }
        TraceEvent::SendBlocked {
            producer,
            index,
            available,
        } => {
            let p = name(*producer);
            say!(
                lang,
                "{p} send #{index} blocks: a new batch needs memory and buffer.memory has {available} B free (waits up to max.block.ms)",
                "{p} send #{index} 대기: 새 배치에 쓸 메모리가 필요한데 buffer.memory에 {available} B만 남음 (max.block.ms까지 기다림)"
            )
        }
        TraceEvent::RequestSent {
            producer,
            broker,
            batches,
            records,
            bytes,
            ..
        } => {
            let p = name(*producer);
            say!(
                lang,
                "{p} → broker {broker}: ProduceRequest, {batches} batch(es), {records} records, {bytes} B",
                "{p} → 브로커 {broker}: ProduceRequest, 배치 {batches}개, 레코드 {records}개, {bytes} B"
            )
        }
        TraceEvent::Appended {
            broker,
            tp,
            base_offset,
            records,
            ..
        } => {
            let (tp, last) = (cluster.display(*tp), base_offset + *records as u64 - 1);
            say!(
                lang,
                "broker {broker} appends {records} to {tp} at offsets {base_offset}–{last}",
                "브로커 {broker}가 {tp}에 레코드 {records}개 기록 (오프셋 {base_offset}–{last})"
            )
        }
        TraceEvent::HighWatermark {
            broker,
            tp,
            high_watermark,
            ..
        } => {
            let tp = cluster.display(*tp);
            say!(
                lang,
                "broker {broker}: high watermark of {tp} is {high_watermark} — offsets below it are committed",
                "브로커 {broker}: {tp}의 하이 워터마크가 {high_watermark} — 그 아래 오프셋은 커밋됨"
            )
        }
        TraceEvent::MarkerWritten {
            broker,
            tp,
            producer_id,
            result,
            offset,
            ..
        } => {
            let tp = cluster.display(*tp);
            match (lang, result) {
                (Lang::En, TransactionResult::Commit) => format!("broker {broker} writes producer {producer_id}'s COMMIT marker to {tp} at offset {offset}"),
                (Lang::En, TransactionResult::Abort) => format!("broker {broker} writes producer {producer_id}'s ABORT marker to {tp} at offset {offset}"),
                (Lang::Ko, TransactionResult::Commit) => format!("브로커 {broker}가 프로듀서 {producer_id}의 커밋 마커를 {tp} 오프셋 {offset}에 기록: 마커도 오프셋 하나를 차지함"),
                (Lang::Ko, TransactionResult::Abort) => format!("브로커 {broker}가 프로듀서 {producer_id}의 중단(abort) 마커를 {tp} 오프셋 {offset}에 기록: 마커도 오프셋 하나를 차지함"),
            }
        }
        TraceEvent::IsrChanged {
            broker,
            tp,
            isr,
            expanded,
        } => {
            let tp = cluster.display(*tp);
            let isr = Ids(isr);
            let lag = sim.controller().config().replica_lag_time_max_ms;
            match (lang, expanded) {
                (Lang::En, true) => format!("broker {broker}: ISR of {tp} grows to {isr} (a follower caught up)"),
                (Lang::En, false) => format!("broker {broker}: ISR of {tp} shrinks to {isr} (a follower lagged past replica.lag.time.max.ms, {lag} ms)"),
                (Lang::Ko, true) => format!("브로커 {broker}: {tp}의 ISR 확장 → {isr} (팔로워가 HW까지 따라잡음)"),
                (Lang::Ko, false) => format!("브로커 {broker}: {tp}의 ISR 축소 → {isr} (팔로워가 replica.lag.time.max.ms({lag} ms) 넘게 뒤처짐)"),
            }
        }
        TraceEvent::Replicated {
            broker,
            tp,
            log_end_offset,
        } => {
            let tp = cluster.display(*tp);
            say!(
                lang,
                "broker {broker} (follower) fetched {tp}: its log end offset is {log_end_offset}",
                "브로커 {broker}(팔로워)가 {tp}를 fetch: 로그 끝 오프셋(LEO)이 {log_end_offset}"
            )
        }
        TraceEvent::DuplicateBatch {
            broker,
            tp,
            base_offset,
            batch,
            ..
        } => {
            let tp = cluster.display(*tp);
            say!(
                lang,
                "broker {broker}: batch {batch} is a duplicate (same producer id, epoch and sequences); {tp} keeps it once, at offset {base_offset}",
                "브로커 {broker}: 배치 {batch}는 중복 (같은 PID·에포크·시퀀스) — {tp}에 한 번만 저장, 원래 오프셋 {base_offset}로 응답"
            )
        }
        TraceEvent::BatchRejected {
            broker,
            tp,
            batch,
            error,
            reason,
            ..
        } => {
            let tp = cluster.display(*tp);
            let kafka_15591 = *error == "OUT_OF_ORDER_SEQUENCE_NUMBER"
                && !fixes_kafka_15591(sim.version())
                && below_the_end(reason);
            match lang {
                Lang::En if kafka_15591 => format!("broker {broker} rejects batch {batch} for {tp}: {error} — {reason}. {tp} already holds later sequences of this producer: with no state for it, the leader took a later batch first (KAFKA-15591), so this one can never be appended under this epoch"),
                Lang::En => format!("broker {broker} rejects batch {batch} for {tp}: {error} — {reason}"),
                Lang::Ko if kafka_15591 => format!("브로커 {broker}가 {tp}의 배치 {batch}를 거부: {error} — {tp}에는 이 프로듀서의 뒤 시퀀스가 이미 기록됨: 리더가 이 프로듀서의 상태가 없을 때 뒤 배치를 먼저 받아서(KAFKA-15591) 이 배치는 이 에포크로는 기록될 수 없음"),
                Lang::Ko => {
                    let why = match *error {
                        "NOT_LEADER_OR_FOLLOWER" => "리더가 아님 — 메타데이터를 갱신한 뒤 재시도",
                        "NOT_ENOUGH_REPLICAS" => "ISR이 min.insync.replicas보다 작아 acks=all 쓰기를 거부",
                        "OUT_OF_ORDER_SEQUENCE_NUMBER" => "시퀀스에 공백이 있음 — 앞 배치가 아직 기록되지 않음",
                        "INVALID_PRODUCER_EPOCH" => "더 새로운 에포크를 이미 봤음 — 옛 인스턴스의 쓰기",
                        "INVALID_TXN_STATE" => "진행 중인 트랜잭션이 아님",
                        "MESSAGE_TOO_LARGE" => "배치가 max.message.bytes보다 큼",
                        _ => "브로커가 요청을 받아들이지 않음",
                    };
                    format!("브로커 {broker}가 {tp}의 배치 {batch}를 거부: {error} — {why}")
                }
            }
        }
        TraceEvent::RequestDropped {
            broker, request, ..
        } => say!(
            lang,
            "fault: ProduceRequest {request} to broker {broker} is lost on the way",
            "장애: 브로커 {broker}로 가는 ProduceRequest {request}가 도중에 유실됨"
        ),
        TraceEvent::ResponseDropped {
            broker, request, ..
        } => say!(
            lang,
            "fault: broker {broker} handled request {request}, but its response is lost",
            "장애: 브로커 {broker}는 요청 {request}를 처리했지만 응답이 유실됨"
        ),
        TraceEvent::Disconnected {
            producer,
            broker,
            requests,
        } => {
            let p = name(*producer);
            say!(
                lang,
                "{p}: no answer from broker {broker} within request.timeout.ms — connection closed, {requests} request(s) in flight fail",
                "{p}: request.timeout.ms 안에 브로커 {broker}의 응답 없음 — 연결을 닫고, 진행 중 요청 {requests}개 실패"
            )
        }
        TraceEvent::BatchRetried {
            producer,
            batch,
            tp,
            attempts,
            error,
        } => {
            let (p, tp) = (name(*producer), cluster.display(*tp));
            say!(
                lang,
                "{p} retries batch {batch} for {tp} after {error} (attempt {attempts} failed; back to the front of the deque)",
                "{p}가 {tp}의 배치 {batch}를 재시도: {error} ({attempts}번째 시도 실패, 덱 맨 앞으로 돌아감)"
            )
        }
        TraceEvent::BatchSplit {
            producer,
            batch,
            tp,
            into,
            ..
        } => {
            let (p, tp) = (name(*producer), cluster.display(*tp));
            if *into == 1 {
                return say!(
                    lang,
                    "{p}: batch {batch} for {tp} is over max.message.bytes, but a split packs records into batch.size: one batch as large, refused again, until delivery.timeout.ms (KAFKA-8350, unfixed up to 4.0)",
                    "{p}: {tp}의 배치 {batch}가 max.message.bytes 초과지만 분할은 batch.size 단위라 같은 크기로 다시 거부됨 — delivery.timeout.ms까지 반복 (KAFKA-8350, 4.0까지 미수정)"
                );
            }
            say!(
                lang,
                "{p}: batch {batch} for {tp} is over the topic's max.message.bytes (MESSAGE_TOO_LARGE) — split into {into} and sent again",
                "{p}: {tp}의 배치 {batch}가 토픽의 max.message.bytes 초과 (MESSAGE_TOO_LARGE) — {into}개로 나눠 다시 보냄"
            )
        }
        TraceEvent::BatchFailed {
            producer,
            batch,
            tp,
            error,
        } => {
            let (p, tp) = (name(*producer), cluster.display(*tp));
            say!(
                lang,
                "{p} batch {batch} for {tp} failed: {error}",
                "{p}: {tp}의 배치 {batch} 최종 실패 — 콜백이 {error}를 받음"
            )
        }
        TraceEvent::EpochBumpRequested {
            producer,
            batch,
            tp,
            expired,
        } => {
            let (p, tp) = (name(*producer), cluster.display(*tp));
            if *expired {
                say!(
                    lang,
                    "{p}: the failure of batch {batch} for {tp}, already expired, still reaches the TransactionManager before Kafka 3.6 (KAFKA-14884) with retries left, so it asks for an epoch bump: {tp}'s batches still being retried are renumbered from 0, and any of them already written under the old epoch will be written again (KAFKA-14034). Before 3.0.2, 3.1.1 and 3.2.0 the producer told its tracked batches apart by sequence alone (KAFKA-13794), so a batch of the new epoch holding the expired batch's sequence, if any, stops being tracked instead, and keeps its old number",
                    "{p}: 이미 만료된 {tp}의 배치 {batch} 실패가 Kafka 3.6 이전에는 TransactionManager까지 전달되고(KAFKA-14884) 재시도 횟수가 남아 있어 에포크 증가를 요청함: {tp}에서 재시도 중인 배치들의 시퀀스가 0부터 다시 매겨지고, 그중 옛 에포크로 이미 기록된 배치가 있다면 다시 기록됨 (KAFKA-14034). 3.0.2, 3.1.1, 3.2.0 이전에는 추적 중인 배치를 시퀀스만으로 구별해서(KAFKA-13794), 만료된 배치와 같은 시퀀스를 가진 새 에포크의 배치가 있다면 그 배치가 대신 추적에서 빠지고 옛 번호를 그대로 유지함"
                )
            } else {
                say!(
                    lang,
                    "{p}: batch {batch} for {tp} failed with retries left, so its sequence may leave a gap (adjustSequenceNumbers): {p} asks for an epoch bump, and {tp}'s batches still being retried are renumbered from 0 — any of them already written under the old epoch will be written again (KAFKA-14034)",
                    "{p}: {tp}의 배치 {batch}가 재시도 횟수가 남은 채 실패해 시퀀스 공백이 생길 수 있음(adjustSequenceNumbers): {p}가 에포크 증가를 요청하고, {tp}에서 재시도 중인 배치들의 시퀀스가 0부터 다시 매겨짐 — 그중 옛 에포크로 이미 기록된 배치가 있다면 다시 기록됨 (KAFKA-14034)"
                )
            }
        }
        TraceEvent::SequencesAdjusted {
            producer,
            batch,
            tp,
            records,
        } => {
            let (p, tp) = (name(*producer), cluster.display(*tp));
            say!(
                lang,
                "{p}: batch {batch} for {tp} failed with retries left; a transactional producer gives back its {records} sequence number(s), renumbering its later batches so that their retries fill the gap (adjustSequencesDueToFailedBatch)",
                "{p}: {tp}의 배치 {batch}가 재시도 횟수가 남은 채 실패; 트랜잭션 프로듀서는 시퀀스 번호 {records}개를 돌려주고 뒤 배치들의 번호를 내려 재시도가 빈자리를 메움 (adjustSequencesDueToFailedBatch)"
            )
        }
        TraceEvent::BatchCompleted {
            producer,
            batch,
            tp,
            base_offset,
        } => {
            let (p, tp) = (name(*producer), cluster.display(*tp));
            match (lang, *base_offset < 0) {
                (Lang::En, true) => format!("{p} batch {batch} to {tp} done without a response (acks=0, offset -1)"),
                (Lang::En, false) => format!("{p} batch {batch} acknowledged: {tp} offset {base_offset}"),
                (Lang::Ko, true) => format!("{p}: {tp}의 배치 {batch}가 응답 없이 완료 (acks=0, 오프셋 -1)"),
                (Lang::Ko, false) => format!("{p}: 배치 {batch} 확인(ack) 받음 — {tp} 오프셋 {base_offset}"),
            }
        }
        TraceEvent::IsrProposed { broker, tp, isr } => {
            let tp = cluster.display(*tp);
            let isr = Ids(isr);
            say!(
                lang,
                "broker {broker} asks the controller to set the ISR of {tp} to {isr} (AlterPartition; pending until answered)",
                "브로커 {broker}가 {tp}의 ISR을 {isr}로 바꾸자고 컨트롤러에 요청 (AlterPartition, 응답 전까지 보류)"
            )
        }
        TraceEvent::BecameLeaderOrFollower {
            broker,
            tp,
            leader,
            leader_epoch,
            log_end_offset,
        } => {
            let tp = cluster.display(*tp);
            match (lang, leader) {
                (Lang::En, true) => format!("broker {broker} becomes leader of {tp} in leader epoch {leader_epoch} (its log ends at {log_end_offset})"),
                (Lang::En, false) => format!("broker {broker} becomes follower of {tp} in leader epoch {leader_epoch} (its log ends at {log_end_offset})"),
                (Lang::Ko, true) => format!("브로커 {broker}가 {tp}의 리더가 됨 (리더 에포크 {leader_epoch}, 로그 끝 {log_end_offset})"),
                (Lang::Ko, false) => format!("브로커 {broker}가 {tp}의 팔로워가 됨 (리더 에포크 {leader_epoch}, 로그 끝 {log_end_offset})"),
            }
        }
        TraceEvent::Truncated {
            broker,
            tp,
            from,
            to,
        } => {
            let tp = cluster.display(*tp);
            say!(
                lang,
                "broker {broker} truncates {tp} from {from} to {to}: records past where its log and the leader's agree (leader epochs) are dropped",
                "브로커 {broker}가 {tp}를 {from}에서 {to}로 잘라냄: 리더의 로그와 어긋난 꼬리(리더 에포크 기준)를 버림"
            )
        }
        TraceEvent::SegmentsDeleted {
            broker,
            tp,
            segments,
            reason,
            log_start_offset,
        } => {
            let tp = cluster.display(*tp);
            let reason = reason.name();
            say!(
                lang,
                "broker {broker} deletes the {segments} oldest segment(s) of {tp} ({reason}): its log now starts at {log_start_offset}",
                "브로커 {broker}가 {tp}의 가장 오래된 세그먼트 {segments}개를 삭제({reason}): 로그는 이제 {log_start_offset}부터 시작"
            )
        }
        TraceEvent::LogStartOffsetIncremented {
            broker,
            tp,
            log_start_offset,
        } => {
            let tp = cluster.display(*tp);
            say!(
                lang,
                "broker {broker}'s copy of {tp} now starts at {log_start_offset}, as its leader's does",
                "브로커 {broker}의 {tp} 복제본도 리더처럼 {log_start_offset}부터 시작"
            )
        }
        TraceEvent::LogRestarted {
            broker,
            tp,
            from,
            log_start_offset,
        } => {
            let tp = cluster.display(*tp);
            say!(
                lang,
                "broker {broker}'s copy of {tp} ends at {from}, below its leader's log start {log_start_offset}: it empties its log and fetches from there",
                "브로커 {broker}의 {tp} 복제본은 {from}에서 끝나 리더의 로그 시작 {log_start_offset}보다 뒤처짐: 로그를 비우고 거기서부터 가져옴"
            )
        }
        TraceEvent::ProducerStateExpired {
            broker,
            tp,
            producer_id,
            expiration_ms,
            ..
        } => {
            // Only a run on 3.4+ can set an expiry short enough to see (before, it is a
            // week of transactional.id.expiration.ms, past any run's end).
            let tp = cluster.display(*tp);
            say!(
                lang,
                "broker {broker}: producer id {producer_id}'s state on {tp} expired (producer.id.expiration.ms = {expiration_ms} after its last write): a retry is no longer known as a duplicate",
                "브로커 {broker}: {tp}에서 프로듀서 ID {producer_id}의 상태 만료 (마지막 쓰기 후 producer.id.expiration.ms = {expiration_ms}): 재시도를 더는 중복으로 알아보지 못함"
            )
        }
        TraceEvent::BrokerCrashed { broker } => say!(
            lang,
            "fault: broker {broker} crashes — its log stays on disk, its connections close",
            "장애: 브로커 {broker} 다운 — 로그는 디스크에 남고 연결은 끊김"
        ),
        TraceEvent::BrokerRestarted { broker } => say!(
            lang,
            "broker {broker} restarts, recovers its log and registers with the controller",
            "브로커 {broker} 재시작: 로그를 복구하고 컨트롤러에 등록"
        ),
        TraceEvent::BrokerIsolated { broker } => say!(
            lang,
            "fault: broker {broker} is cut off from the network — it keeps running, unaware",
            "장애: 브로커 {broker}가 네트워크에서 격리됨 — 프로세스는 살아 있고 이를 모름"
        ),
        TraceEvent::BrokerHealed { broker } => say!(
            lang,
            "broker {broker} is reachable again and replays the metadata it missed",
            "브로커 {broker} 네트워크 복구: 놓친 메타데이터를 따라잡음"
        ),
        TraceEvent::BrokerFenced { broker } => say!(
            lang,
            "controller: no heartbeat from broker {broker} within the session timeout — fenced, out of every ISR, its partitions get new leaders",
            "컨트롤러: 세션 타임아웃 안에 브로커 {broker}의 하트비트 없음 — 펜싱, 모든 ISR에서 빠지고 그 파티션들은 새 리더를 받음"
        ),
        TraceEvent::BrokerUnfenced { broker } => {
            // Why leadership does not come back with it (students ask).
            let c = sim.controller().config();
            let s = c.leader_imbalance_check_interval_s;
            let until = match (lang, c.auto_leader_rebalance) {
                (_, false) => String::new(),
                (Lang::En, _) => format!(" until the leader balance moves them back (every leader.imbalance.check.interval.seconds: {s} s)"),
                (Lang::Ko, _) => format!(" 리더 밸런싱이 되돌릴 때까지(leader.imbalance.check.interval.seconds {s}초마다 점검)"),
            };
            let on = c.auto_leader_rebalance;
            match lang {
                Lang::En => format!("controller: broker {broker} is registered and caught up — unfenced; auto.leader.rebalance.enable={on}: the partitions it led keep their new leaders{until}"),
                Lang::Ko => format!("컨트롤러: 브로커 {broker}가 등록을 마치고 따라잡음 — 펜싱 해제. auto.leader.rebalance.enable={on}: 이 브로커가 이끌던 파티션은{until} 새 리더를 유지함"),
            }
        }
        TraceEvent::LeaderElected {
            tp,
            leader: Some(l),
            leader_epoch,
            isr,
            election,
        } => {
            let tp = cluster.display(*tp);
            let isr = Ids(isr);
            let s = sim.controller().config().leader_imbalance_check_interval_s;
            match (lang, election) {
                (Lang::En, Election::Unclean) => format!("controller elects broker {l} leader of {tp} (epoch {leader_epoch}, ISR {isr}) — UNCLEAN: it was not in sync, committed records past its log end are lost"),
                (Lang::En, Election::Preferred) => format!("controller moves {tp}'s leader back to broker {l}, its preferred replica (epoch {leader_epoch}, ISR {isr}) — auto.leader.rebalance.enable, checked every leader.imbalance.check.interval.seconds ({s} s)"),
                (Lang::En, _) => format!("controller elects broker {l} leader of {tp} (epoch {leader_epoch}, ISR {isr})"),
                (Lang::Ko, Election::Unclean) => format!("컨트롤러가 브로커 {l}을(를) {tp}의 새 리더로 선출 (에포크 {leader_epoch}, ISR {isr}) — 언클린: ISR 밖 복제본이라 그 로그 끝 너머의 커밋된 레코드가 유실됨"),
                (Lang::Ko, Election::Preferred) => format!("컨트롤러가 {tp}의 리더를 선호 복제본인 브로커 {l}(으)로 되돌림 (에포크 {leader_epoch}, ISR {isr}) — auto.leader.rebalance.enable, leader.imbalance.check.interval.seconds({s}초)마다 점검"),
                (Lang::Ko, _) => format!("컨트롤러가 브로커 {l}을(를) {tp}의 새 리더로 선출 (에포크 {leader_epoch}, ISR {isr}에서 복제본 순서대로)"),
            }
        }
        TraceEvent::LeaderElected {
            tp,
            leader: None,
            leader_epoch,
            ..
        } => {
            let name = cluster.display(*tp);
            let (why_en, why_ko) = if !cluster.topic(*tp).config.unclean_leader_election {
                (
                    "unclean.leader.election.enable is off",
                    "unclean.leader.election.enable이 꺼져 있음",
                )
            } else if !sim.controller().unclean_allowed(tp.topic) {
                (
                    "KRaft before 3.9 ignores unclean.leader.election.enable (KAFKA-12670)",
                    "3.9 이전 KRaft는 unclean.leader.election.enable을 무시함 (KAFKA-12670)",
                )
            } else {
                (
                    "no other replica is alive to elect",
                    "선출할 다른 복제본이 살아 있지 않음",
                )
            };
            match lang {
                Lang::En => format!("controller: {name} has no in-sync replica left alive — offline (epoch {leader_epoch}); {why_en}"),
                Lang::Ko => format!("컨트롤러: {name}에 살아 있는 ISR 복제본이 없음 — 오프라인 (에포크 {leader_epoch}); {why_ko}"),
            }
        }
        TraceEvent::ConnectionClosed {
            producer,
            broker,
            requests,
        } => {
            let p = name(*producer);
            say!(
                lang,
                "{p}: connection to broker {broker} closed (its process died) — {requests} request(s) in flight fail with NETWORK_EXCEPTION",
                "{p}: 브로커 {broker}와의 연결이 끊김 (프로세스가 죽음) — 진행 중 요청 {requests}개가 NETWORK_EXCEPTION으로 실패"
            )
        }
        TraceEvent::MetadataRequested { producer, broker } => {
            let p = name(*producer);
            say!(
                lang,
                "{p} asks broker {broker} for fresh metadata (a leader failed it)",
                "{p}가 브로커 {broker}에 새 메타데이터를 요청 (리더가 실패를 알림)"
            )
        }
        TraceEvent::MetadataUpdated { producer, broker } => {
            let p = name(*producer);
            say!(
                lang,
                "{p} has new metadata from broker {broker}: it sends to the leaders named there",
                "{p}가 브로커 {broker}에서 새 메타데이터를 받음: 거기 적힌 리더에게 보냄"
            )
        }
        TraceEvent::EpochBumped {
            producer,
            producer_id,
            producer_epoch,
        } => {
            let p = name(*producer);
            say!(
                lang,
                "{p} bumps its epoch to {producer_epoch} (producer id {producer_id}): a gap in its sequences could not be closed, so that partition's sequences start again at 0 — its batches waiting to be retried or still in flight are renumbered from 0 (KIP-360)",
                "{p}가 에포크를 {producer_epoch}(으)로 올림 (프로듀서 ID {producer_id}): 시퀀스 공백을 메울 수 없어 그 파티션의 시퀀스를 0부터 다시 시작 — 재시도를 기다리거나 아직 전송 중인 배치도 0부터 다시 번호를 매김 (KIP-360)"
            )
        }
        TraceEvent::ProducerRestarted { producer, resent } => {
            let p = name(*producer);
            say!(
                lang,
                "{p} restarts: a new instance with a new producer id re-sends the {resent} record(s) never acknowledged — the broker cannot tell them from the old ones",
                "{p} 재시작: 새 프로듀서 ID를 받은 새 인스턴스가 확인 못 받은 레코드 {resent}개를 다시 보냄 — 브로커는 옛 레코드와 구별할 수 없음"
            )
        }
        TraceEvent::ProducerIdAssigned {
            producer,
            broker,
            producer_id,
            producer_epoch,
        } => {
            let p = name(*producer);
            say!(
                lang,
                "{p} gets producer id {producer_id}, epoch {producer_epoch} from broker {broker} (InitProducerId): its batches carry them with per-partition sequence numbers",
                "{p}가 브로커 {broker}에서 프로듀서 ID {producer_id}, 에포크 {producer_epoch}를 받음 (InitProducerId): 배치마다 PID·에포크와 파티션별 시퀀스를 붙임"
            )
        }
        TraceEvent::TxnClientState { producer, from, to } => {
            let (p, from, to) = (name(*producer), from.name(), to.name());
            say!(
                lang,
                "{p}: transaction manager {from} → {to}",
                "{p}: 트랜잭션 매니저 상태 {from} → {to}"
            )
        }
        TraceEvent::TxnRequestSent {
            producer,
            broker,
            request,
        } => {
            let (p, why) = (name(*producer), txn_request_why(request, lang));
            say!(
                lang,
                "{p} sends {request} to broker {broker}{why}",
                "{p}가 브로커 {broker}에 {request} 요청{why}"
            )
        }
        TraceEvent::TxnResponseReceived {
            producer,
            broker,
            request,
            error,
        } => {
            let p = name(*producer);
            say!(
                lang,
                "{p}: {request} answered by broker {broker}: {error}",
                "{p}: 브로커 {broker}가 {request}에 응답: {error}"
            )
        }
        TraceEvent::TxnCallReturned {
            producer,
            action,
            error,
        } => {
            let p = name(*producer);
            match (lang, error) {
                (Lang::En, None) => format!("{p}: transactional call #{action} returned"),
                (Lang::En, Some(e)) => format!("{p}: transactional call #{action} returned — threw {e}"),
                (Lang::Ko, None) => format!("{p}: 트랜잭션 호출 #{action} 반환"),
                (Lang::Ko, Some(e)) => format!("{p}: 트랜잭션 호출 #{action} 실패 — {e} 발생"),
            }
        }
        TraceEvent::TxnLogAppend {
            broker,
            transactional_id,
            state,
            producer_epoch,
        } => {
            let state = state.name();
            say!(
                lang,
                "coordinator (broker {broker}) writes {transactional_id} → {state} (epoch {producer_epoch}) to __transaction_state",
                "코디네이터(브로커 {broker})가 __transaction_state에 {transactional_id} → {state} (에포크 {producer_epoch}) 기록"
            )
        }
        TraceEvent::TxnStateChanged {
            broker,
            transactional_id,
            state,
            producer_epoch,
        } => {
            let state = state.name();
            say!(
                lang,
                "coordinator (broker {broker}): {transactional_id} is {state} (epoch {producer_epoch})",
                "코디네이터(브로커 {broker}): {transactional_id} 상태가 {state} (에포크 {producer_epoch})"
            )
        }
        TraceEvent::TxnTimedOut {
            broker,
            transactional_id,
            producer_epoch,
        } => say!(
            lang,
            "coordinator (broker {broker}): {transactional_id}'s transaction is older than transaction.timeout.ms — aborted under epoch {producer_epoch}",
            "코디네이터(브로커 {broker}): {transactional_id}의 트랜잭션이 transaction.timeout.ms를 넘김 — 에포크 {producer_epoch}로 중단(abort)"
        ),
        TraceEvent::TxnVerificationSent {
            broker,
            coordinator,
            producer,
            producer_epoch,
            partitions,
            verify_only,
            ..
        } => {
            let p = name(*producer);
            let parts = list(&mut partitions.iter().map(|tp| cluster.display(*tp)));
            match (lang, verify_only) {
                (Lang::En, true) => format!("broker {broker} holds {p}'s first transactional write to {parts} and asks coordinator (broker {coordinator}) whether its transaction is ongoing there (epoch {producer_epoch}; KIP-890)"),
                (Lang::En, false) => format!("broker {broker} holds {p}'s first transactional write to {parts} and asks coordinator (broker {coordinator}) to add the partition to its transaction (epoch {producer_epoch}; KIP-890, transactions V2: the client sent no AddPartitionsToTxn)"),
                (Lang::Ko, true) => format!("브로커 {broker}가 {p}의 트랜잭션 첫 쓰기({parts})를 붙잡고 코디네이터(브로커 {coordinator})에 트랜잭션이 진행 중인지 확인 (에포크 {producer_epoch}; KIP-890): 중단된 트랜잭션의 늦은 쓰기가 매달린 트랜잭션을 만들지 못하게 함"),
                (Lang::Ko, false) => format!("브로커 {broker}가 {p}의 트랜잭션 첫 쓰기({parts})를 붙잡고 코디네이터(브로커 {coordinator})에 파티션을 트랜잭션에 추가해 달라고 요청 (에포크 {producer_epoch}; KIP-890, 트랜잭션 V2에서는 클라이언트가 AddPartitionsToTxn을 보내지 않음)"),
            }
        }
        TraceEvent::TxnEpochBumped {
            producer,
            producer_epoch,
            ..
        } => {
            let p = name(*producer);
            say!(
                lang,
                "{p}: EndTxn returned epoch {producer_epoch} — under transactions V2 every transaction ends with a new epoch, so a late write of the old one is fenced (KIP-890)",
                "{p}: EndTxn 응답으로 에포크 {producer_epoch}를 받음 — 트랜잭션 V2에서는 트랜잭션마다 에포크가 올라 옛 트랜잭션의 늦은 쓰기가 펜싱됨 (KIP-890)"
            )
        }
        TraceEvent::TxnVerificationAnswered {
            broker,
            producer,
            results,
        } => {
            let p = name(*producer);
            let answers = list(
                &mut results
                    .iter()
                    .map(|(tp, e)| format!("{} {e}", cluster.display(*tp))),
            );
            match (lang, results.iter().all(|(_, e)| *e == "NONE")) {
                (Lang::En, true) => format!("broker {broker}: the coordinator answers for {p}: {answers} — the held request is appended"),
                (Lang::En, false) => format!("broker {broker}: the coordinator answers for {p}: {answers} — those batches are refused, nothing of them reaches the log"),
                (Lang::Ko, true) => format!("브로커 {broker}: 코디네이터가 {p}에 대해 응답 {answers} — 붙잡아 둔 요청을 기록함"),
                (Lang::Ko, false) => format!("브로커 {broker}: 코디네이터가 {p}에 대해 응답 {answers} — 진행 중인 트랜잭션이 아니라서 그 배치는 거부되고 로그에 남지 않음"),
            }
        }
        TraceEvent::GroupOffsetsCompleted {
            broker,
            producer_id,
            partition,
            commit,
        } => match (lang, commit) {
            (Lang::En, true) => format!("group coordinator (broker {broker}, __consumer_offsets-{partition}): producer {producer_id}'s transactional offsets are committed with the transaction"),
            (Lang::En, false) => format!("group coordinator (broker {broker}, __consumer_offsets-{partition}): producer {producer_id}'s transactional offsets are dropped: the transaction aborted"),
            (Lang::Ko, true) => format!("그룹 코디네이터(브로커 {broker}, __consumer_offsets-{partition}): 프로듀서 {producer_id}의 트랜잭션 오프셋이 트랜잭션과 함께 커밋됨"),
            (Lang::Ko, false) => format!("그룹 코디네이터(브로커 {broker}, __consumer_offsets-{partition}): 트랜잭션이 중단되어 프로듀서 {producer_id}의 트랜잭션 오프셋은 버려짐"),
        },
        TraceEvent::CoordinatorMoved {
            partition,
            broker,
            coordinator_epoch,
        } => say!(
            lang,
            "broker {broker} now leads __transaction_state-{partition}: it coordinates those transactional ids (coordinator epoch {coordinator_epoch})",
            "이제 브로커 {broker}가 __transaction_state-{partition}의 리더: 그 transactional.id들의 코디네이터가 됨 (코디네이터 에포크 {coordinator_epoch})"
        ),
        TraceEvent::Consumed {
            consumer: c,
            tp,
            records,
            position,
        } => {
            let (c, tp) = (consumer(*c), cluster.display(*tp));
            if *records == 0 {
                say!(
                    lang,
                    "consumer {c} moves past offsets of {tp} that poll() never returns (transaction markers, aborted records); next offset {position}",
                    "컨슈머 {c}가 {tp}에서 poll()이 돌려주지 않는 오프셋(트랜잭션 마커, 중단된 레코드)을 건너뜀; 다음 오프셋 {position}"
                )
            } else {
                say!(
                    lang,
                    "consumer {c} polls {records} record(s) of {tp} (up to the high watermark); next offset {position}",
                    "컨슈머 {c}가 {tp}에서 레코드 {records}개를 poll (하이 워터마크까지); 다음 오프셋 {position}"
                )
            }
        }
        TraceEvent::ConsumerOffsetReset {
            consumer: c,
            tp,
            from,
            to,
        } => {
            let (c, tp) = (consumer(*c), cluster.display(*tp));
            say!(
                lang,
                "consumer {c}: offset {from} of {tp} is no longer in the log (truncated) — auto.offset.reset moves it to {to}",
                "컨슈머 {c}: {tp}의 오프셋 {from}이 로그에 없음 (잘림) — auto.offset.reset으로 {to}부터 읽음"
            )
        }
    }
}
/// Whether a screen reader should hear `event` while the run plays: faults, failures,
/// elections, fencing and transaction steps, not the per-record stream (sends, appends,
/// fetches, high watermarks, polls) nor the routine requests that follow each step
/// (metadata, ISR proposals, role changes, the transaction manager's requests), which no
/// one could follow aloud.
pub fn notable(event: &TraceEvent) -> bool {
    !matches!(
        event,
        TraceEvent::Send { .. }
            | TraceEvent::RequestSent { .. }
            | TraceEvent::Appended { .. }
            | TraceEvent::HighWatermark { .. }
            | TraceEvent::Replicated { .. }
            | TraceEvent::BatchCompleted { .. }
            | TraceEvent::Consumed { .. }
            | TraceEvent::MetadataRequested { .. }
            | TraceEvent::MetadataUpdated { .. }
            | TraceEvent::IsrProposed { .. }
            | TraceEvent::BecameLeaderOrFollower { .. }
            | TraceEvent::TxnClientState { .. }
            | TraceEvent::TxnRequestSent { .. }
            | TraceEvent::TxnResponseReceived { .. }
            | TraceEvent::TxnLogAppend { .. }
            | TraceEvent::TxnVerificationSent { .. }
            | TraceEvent::TxnVerificationAnswered { .. }
    )
}

/// While playing, at most one announcement per this many ms of wall time.
const NARRATE_EVERY_MS: f64 = 2000.0;
/// How many announcements the live region keeps.
const NARRATED: usize = 4;

/// The narrated event list: what a screen reader is handed, in an `aria-live` region.
#[derive(Default)]
pub struct Narrator {
    pub on: bool,
    /// Events the simulation had traced when the narrator last looked.
    seen: u64,
    /// Wall time of the last announcement while playing.
    spoken_at: Option<f64>,
    /// The latest announcements, oldest first (rendered in the language on screen).
    lines: VecDeque<(u64, TraceEvent)>,
}

impl Narrator {
    pub fn toggle(&mut self, sim: &Simulation) {
        self.on = !self.on;
        self.lines.clear();
        self.skip(sim);
    }

    /// The events traced since the narrator last looked, newest first.
    fn new_events<'a>(&self, sim: &'a Simulation) -> impl Iterator<Item = &'a (u64, TraceEvent)> {
        let new = sim.events_traced().saturating_sub(self.seen);
        sim.recent_events().rev().take(new as usize)
    }

    fn say(&mut self, event: (u64, TraceEvent)) {
        if self.lines.len() == NARRATED {
            self.lines.pop_front();
        }
        self.lines.push_back(event);
    }

    /// After a step: every event it traced, notable or not (the user is following closely).
    pub fn stepped(&mut self, sim: &Simulation) {
        if self.on {
            let new: Vec<_> = self.new_events(sim).cloned().collect();
            for event in new.into_iter().rev() {
                self.say(event);
            }
        }
        self.skip(sim);
    }

    /// While playing, at wall time `now`: the newest notable event since the last
    /// announcement, once `NARRATE_EVERY_MS` have passed; the others are let go.
    pub fn played(&mut self, sim: &Simulation, now: f64) {
        if !self.on {
            return self.skip(sim);
        }
        if self.spoken_at.is_some_and(|t| now - t < NARRATE_EVERY_MS) {
            return;
        }
        if let Some(event) = self.new_events(sim).find(|(_, e)| notable(e)).cloned() {
            self.say(event);
            self.spoken_at = Some(now);
        }
        self.skip(sim);
    }

    /// After a jump (a replay, a seek, a step back): nothing to announce.
    pub fn skip(&mut self, sim: &Simulation) {
        self.seen = sim.events_traced();
    }

    pub fn lines(&self) -> impl Iterator<Item = &(u64, TraceEvent)> {
        self.lines.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kafka_lab::Scenario;

    #[test]
    fn a_split_that_cannot_shrink_names_kafka_8350() {
        let s = r#"{"seed":1,"brokers":1,
            "topics":[{"name":"t","partitions":1,"config":{"max.message.bytes":"2048"}}],
            "producers":[{"name":"p","config":{"linger.ms":"0"}}],
            "actions":[{"at_ms":0,"action":"send","producer":"p","topic":"t","value_bytes":3000,"count":2}],
            "until_ms":100}"#;
        let mut sim = Simulation::new(&Scenario::from_json(s).unwrap()).unwrap();
        sim.record_trace();
        sim.run();
        let split = sim
            .trace()
            .iter()
            .find(|(_, e)| matches!(e, TraceEvent::BatchSplit { into: 1, .. }))
            .expect("the two records split into one batch");
        for lang in [Lang::En, Lang::Ko] {
            assert!(describe(&sim, &split.1, lang).contains("KAFKA-8350"));
        }
    }

    #[test]
    fn a_restarted_broker_is_told_why_it_does_not_lead_again() {
        for (config, interval, off) in [
            ("", "300", false),
            (
                r#""leader.imbalance.check.interval.seconds":"10""#,
                "10",
                false,
            ),
            (r#""auto.leader.rebalance.enable":"false""#, "", true),
        ] {
            let s = format!(
                r#"{{"seed":1,"brokers":3,"broker_config":{{{config}}},
                "topics":[{{"name":"t","partitions":1,"replication_factor":3}}],
                "producers":[{{"name":"p"}}],
                "actions":[{{"at_ms":0,"action":"crash_broker","broker":0}},
                           {{"at_ms":12000,"action":"restart_broker","broker":0}}],
                "until_ms":30000}}"#
            );
            let mut sim = Simulation::new(&Scenario::from_json(&s).unwrap()).unwrap();
            sim.record_trace();
            sim.run();
            let back = sim
                .trace()
                .iter()
                .find(|(_, e)| matches!(e, TraceEvent::BrokerUnfenced { broker: 0 }))
                .expect("broker 0 comes back");
            let (en, ko) = (
                describe(&sim, &back.1, Lang::En),
                describe(&sim, &back.1, Lang::Ko),
            );
            if off {
                assert!(en.contains("auto.leader.rebalance.enable=false") && ko.contains("=false"));
            } else {
                assert!(
                    en.contains(&format!(
                        "leader.imbalance.check.interval.seconds: {interval} s"
                    )),
                    "{en}"
                );
                assert!(ko.contains(&format!("{interval}초마다")), "{ko}");
            }
        }
    }

    #[test]
    fn an_isr_shrink_names_the_runs_own_lag() {
        let s = r#"{"seed":1,"brokers":3,"broker_config":{"replica.lag.time.max.ms":"5000"},
            "topics":[{"name":"t","partitions":1,"replication_factor":3}],
            "producers":[{"name":"p"}],
            "actions":[{"at_ms":0,"action":"send","producer":"p","topic":"t","value":"v","count":100,"interval_ms":100},
                       {"at_ms":1000,"action":"slow_follower","broker":2,"extra_latency_ms":60000}],
            "until_ms":10000}"#;
        let mut sim = Simulation::new(&Scenario::from_json(s).unwrap()).unwrap();
        sim.record_trace();
        sim.run();
        let shrink = sim
            .trace()
            .iter()
            .find(|(_, e)| {
                matches!(
                    e,
                    TraceEvent::IsrChanged {
                        expanded: false,
                        ..
                    }
                )
            })
            .expect("broker 2 leaves the ISR");
        assert!(describe(&sim, &shrink.1, Lang::En).contains("replica.lag.time.max.ms, 5000 ms"));
        assert!(describe(&sim, &shrink.1, Lang::Ko).contains("replica.lag.time.max.ms(5000 ms)"));
    }

    #[test]
    fn an_expired_producer_is_named_with_the_config_that_expired_it() {
        let s = r#"{"seed":1,"kafka_version":"4.0","brokers":1,
            "broker_config":{"producer.id.expiration.ms":"10000","producer.id.expiration.check.interval.ms":"1000"},
            "topics":[{"name":"orders","partitions":1}],
            "producers":[{"name":"p","config":{"linger.ms":"0"}}],
            "actions":[{"at_ms":0,"action":"send","producer":"p","topic":"orders","value":"v"}],
            "until_ms":12000}"#;
        let mut sim = Simulation::new(&Scenario::from_json(s).unwrap()).unwrap();
        sim.record_trace();
        sim.run();
        let expired = sim
            .trace()
            .iter()
            .find(|(_, e)| matches!(e, TraceEvent::ProducerStateExpired { .. }))
            .expect("the idle producer is forgotten");
        let en = describe(&sim, &expired.1, Lang::En);
        assert!(en.starts_with("broker 0: producer id "), "{en}");
        assert!(
            en.contains("on orders-0 expired (producer.id.expiration.ms = 10000"),
            "{en}"
        );
        let ko = describe(&sim, &expired.1, Lang::Ko);
        assert!(
            ko.contains("orders-0에서") && ko.contains("= 10000"),
            "{ko}"
        );
    }

    /// The sentences of every OUT_OF_ORDER_SEQUENCE_NUMBER refusal of one producer sending
    /// one record every `interval_ms`, one request lost at `drop_at_ms`.
    fn out_of_order(count: u32, interval_ms: u64, drop_at_ms: u64, lang: Lang) -> Vec<String> {
        let s = format!(
            r#"{{"seed":1,"kafka_version":"4.0","brokers":1,"network":{{"latency_ms":1}},
            "topics":[{{"name":"t","partitions":1}}],
            "producers":[{{"name":"p","config":{{"linger.ms":"0","request.timeout.ms":"300","delivery.timeout.ms":"3000"}}}}],
            "actions":[{{"at_ms":0,"action":"send","producer":"p","topic":"t","value":"v","count":{count},"interval_ms":{interval_ms}}},
                       {{"at_ms":{drop_at_ms},"action":"drop_requests","broker":0,"count":1}}],
            "until_ms":5000}}"#
        );
        let mut sim = Simulation::new(&Scenario::from_json(&s).unwrap()).unwrap();
        sim.record_trace();
        sim.run();
        sim.trace()
            .iter()
            .filter(|(_, e)| {
                matches!(e, TraceEvent::BatchRejected { error, .. } if *error == "OUT_OF_ORDER_SEQUENCE_NUMBER")
            })
            .map(|(_, e)| describe(&sim, e, lang))
            .collect()
    }

    #[test]
    fn a_new_producers_lost_first_batch_names_kafka_15591() {
        // tests/sender.rs: the first request lost, the second taken with no state for the
        // producer; every retry of the first is refused below the end.
        for lang in [Lang::En, Lang::Ko] {
            let refused = out_of_order(2, 5, 0, lang);
            assert!(!refused.is_empty());
            for text in refused {
                assert!(text.contains("KAFKA-15591"), "{text}");
            }
        }
        // A lost request once the leader knows the producer: the later batches are
        // refused above the end (a gap), which the lost one then fills.
        for lang in [Lang::En, Lang::Ko] {
            let refused = out_of_order(40, 100, 1000, lang);
            assert!(!refused.is_empty());
            for text in refused {
                assert!(!text.contains("KAFKA-15591"), "{text}");
            }
        }
    }
}

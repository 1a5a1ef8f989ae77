//! "What Kafka does here": what the chosen version and config really do, in English and
//! Korean, where the course notes say otherwise or a Kafka defect shows.

use kafka_lab::compression::CompressionType;
use kafka_lab::config::{Acks, PartitionerClass};
use kafka_lab::producer::partitioner::{fixes_kafka_9965, partition_for_key};
use kafka_lab::producer::KafkaProducer;
use kafka_lab::scenario::SendMode;
use kafka_lab::serializer::{Serialized, Serializer};
use kafka_lab::version::KafkaVersion;

/// One fact: English, then Korean.
pub type Fact = (String, &'static str);

/// How this producer picks partitions, and what the notes get wrong about it.
pub fn partitioner_facts(p: &KafkaProducer, v: KafkaVersion, keyed: bool) -> Vec<Fact> {
    let mut facts = Vec::new();
    match p.partitioner.as_ref().map(|part| part.class()) {
        None => {
            facts.push((
                if keyed && !p.config.partitioner_ignore_keys {
                    "Keys: toPositive(murmur2(key bytes)) % partitions — adding partitions moves keys.".into()
                } else {
                    "Null keys (3.3+, KIP-794): the built-in partitioner sticks to one partition until batch.size bytes went there, then picks again.".into()
                },
                "3.3+ 기본 파티셔너는 내장(BuiltInPartitioner): partitioner.class 기본값은 null이며 DefaultPartitioner가 아님.",
            ));
            if p.config.adaptive_partitioning {
                facts.push((
                    "Adaptive partitioning: the next sticky partition is drawn with weights favouring brokers with shorter queues.".into(),
                    "적응형 파티셔닝: 큐가 짧은 브로커의 파티션일수록 더 자주 선택됨.",
                ));
            }
        }
        Some(PartitionerClass::Default) => facts.push((
            format!(
                "DefaultPartitioner (KIP-480): keys by murmur2; null keys stay on one partition until a record needs a new batch (onNewBatch).{}",
                if v.at_least(3, 3) { " Deprecated since 3.3, removed in 4.0." } else { "" }
            ),
            "2.4–3.2 기본값은 DefaultPartitioner (노트의 UniformStickyPartitioner가 아님). 키는 해시, null 키만 스티키.",
        )),
        Some(PartitionerClass::UniformSticky) => facts.push((
            "UniformStickyPartitioner ignores keys: one sticky partition for every record until a new batch is needed. Removed in 4.0.".into(),
            "UniformStickyPartitioner는 키를 보지 않음 (노트와 다름): 같은 키도 다른 파티션으로 갈 수 있음.",
        )),
        Some(PartitionerClass::RoundRobin) if fixes_kafka_9965(v) => facts.push((
            "RoundRobinPartitioner ignores keys. Since 4.0 / 3.9.2 (KAFKA-17632) the second partition() call on a new batch returns the same partition, so the spread is even.".into(),
            "RoundRobinPartitioner는 키를 무시함. 4.0·3.9.2부터 KAFKA-9965가 수정되어 고르게 분배됨.",
        )),
        Some(PartitionerClass::RoundRobin) => facts.push((
            format!(
                "KAFKA-9965 in Kafka {v}: a record that opens a new batch calls partition() twice, so the round-robin counter skips one. With linger.ms=0 and an even partition count, half the partitions get nothing. Fixed in 4.0 and 3.9.2."
            ),
            "KAFKA-9965: 새 배치를 여는 레코드마다 partition()이 두 번 호출되어 카운터가 건너뜀. 파티션 수가 짝수면 절반에만 데이터가 감 (노트의 '균등 분배'와 다름).",
        )),
        Some(PartitionerClass::Custom) => facts.push((
            "CustomPartitioner (seed §4.2): \"Pangyo\" → 0, other keys by murmur2, no key → InvalidRecordException; send() fails at once and the callback gets offset -1.".into(),
            "커스텀 파티셔너: 키가 없으면 InvalidRecordException으로 send()가 즉시 실패함 (콜백에 offset -1).",
        )),
    }
    let ks = p.config.key_serializer;
    if keyed && ks != Serializer::String {
        facts.push((
            format!("{ks}: the key's bytes are what murmur2 hashes, so the key 7 lands elsewhere than the string \"7\"."),
            "파티션은 직렬화된 바이트로 정해짐: 정수 7과 문자열 \"7\"은 다른 파티션으로 갈 수 있음.",
        ));
    }
    facts
}

/// What the application's way of calling `send()` changes (seed §3).
pub fn mode_fact(mode: SendMode) -> Option<Fact> {
    match mode {
        SendMode::Async => None,
        SendMode::Sync => Some((
            "send().get() blocks the caller until the broker answers: the next record waits for linger.ms plus a round trip, so batches hold one record.".into(),
            "동기 전송: get()이 응답까지 스레드를 막으므로 배치에 레코드가 하나씩만 담김.",
        )),
        SendMode::FireAndForget => Some((
            "Fire-and-forget: the producer still sends, retries and acks the same way; only the application never looks at the result, so failures go unnoticed.".into(),
            "보내고 잊기: 프로듀서 동작은 같고, 애플리케이션이 결과를 보지 않아 실패를 알 수 없음.",
        )),
    }
}

/// What acks, in-flight requests, retries and idempotence mean for delivery here, where
/// the notes say otherwise (`seed-corrections.md`: §2.2, §2.3.3, §6, §7).
pub fn delivery_facts(p: &KafkaProducer) -> Vec<Fact> {
    let c = &p.config;
    let mut facts = vec![(
        format!(
            "max.in.flight.requests.per.connection = {}: unanswered produce requests per broker connection, all from the producer's one Sender thread (not threads or connections, as the notes say).",
            c.max_in_flight
        ),
        "요청 수 한도는 브로커 연결당 응답 대기 중인 요청 수. Sender 스레드는 프로듀서당 하나.",
    )];
    if c.acks == Acks::None {
        facts.push((
            "acks=0: the broker sends no response; send() completes when the request is written, offset −1, and broker errors never come back, so retries cannot help.".into(),
            "acks=0: 응답이 없어 오프셋은 −1, 브로커 오류가 돌아오지 않으니 재시도도 소용없음.",
        ));
    } else if c.idempotence {
        facts.push((
            "Idempotent: the leader keeps the last 5 batches per producer id; a retry is answered with its first offset, so a lost response neither duplicates nor reorders (in-flight ≤ 5).".into(),
            "멱등성: 리더가 프로듀서별 최근 5개 배치를 기억해 재시도를 원래 오프셋으로 응답 — 중복·순서 뒤바뀜 없음.",
        ));
    } else if c.max_in_flight > 1 && c.retries > 0 {
        facts.push((
            format!(
                "No idempotence and {} requests in flight: a retried batch lands after younger ones of its partition, and after a lost response it lands twice (try the fault buttons).",
                c.max_in_flight
            ),
            "멱등성 없이 in-flight > 1이면 재시도된 배치가 뒤 배치보다 늦게 기록되고, 응답 유실 시 두 번 기록됨.",
        ));
    } else if c.max_in_flight == 1 {
        facts.push((
            "max.in.flight=1: the sender mutes a partition until its request is answered, so retries keep order — at one request at a time.".into(),
            "in-flight=1: 응답이 올 때까지 파티션을 잠가 순서를 지키지만 처리량이 낮음.",
        ));
    }
    if c.retries == i32::MAX as u32 {
        facts.push((
            format!(
                "retries defaults to 2147483647 (since 2.1): delivery.timeout.ms ({} ms) is what bounds retrying, not a count like the notes' 5.",
                c.delivery_timeout_ms
            ),
            "retries 기본값은 MAX — 실제 한계는 delivery.timeout.ms (노트의 retries=5 권장은 옛 방식).",
        ));
    }
    if c.compression != CompressionType::None {
        facts.push((
            format!(
                "compression.type={}: batch.size counts estimated compressed bytes (uncompressed × ratio estimate × 1.05), so batches take more records as the estimate improves.",
                c.compression
            ),
            "압축 시 batch.size는 추정 압축 크기로 계산 — 압축률 추정이 좋아질수록 배치에 더 많은 레코드가 담김.",
        ));
        if c.compression == CompressionType::Zstd {
            facts.push((
                "zstd here is a pure-Rust encoder with one fast level: its output is up to 60 % larger than Kafka's zstd at level 3, so sizes and ratios are pessimistic.".into(),
                "이 시뮬레이터의 zstd는 순수 Rust 구현(단일 레벨)이라 Kafka의 zstd(레벨 3)보다 최대 60% 큼.",
            ));
        }
    }
    facts
}

/// What `acks` waits for with this replication (`seed-corrections.md` §2.3.5, §2.3.6).
pub fn replication_facts(rf: u32, min_isr: u32, acks: Acks) -> Vec<Fact> {
    match (acks, rf) {
        (Acks::All, 1) => vec![(
            "One replica: the ISR is the leader alone, so acks=all is answered as soon as acks=1 would be.".into(),
            "복제본이 하나면 ISR은 리더뿐이라 acks=all도 acks=1처럼 바로 응답함.",
        )],
        (Acks::All, _) => vec![(
            format!(
                "acks=all waits until every replica in the ISR (now up to {rf}) has the batch, not {min_isr} of them: min.insync.replicas={min_isr} only refuses writes (NotEnoughReplicas) when the ISR is smaller. A slow follower delays every ack until it leaves the ISR."
            ),
            "acks=all은 ISR의 모든 복제본을 기다림 (min.insync.replicas 개수만이 아님). min.insync.replicas는 ISR이 그보다 작을 때 쓰기를 거부하는 기준.",
        )],
        (Acks::Leader, r) if r > 1 => vec![(
            "acks=1: answered after the leader's append; if the leader dies before a follower fetched it, the acknowledged record can be lost.".into(),
            "acks=1: 리더 기록 후 응답 — 팔로워가 복제하기 전에 리더가 죽으면 확인된 레코드도 유실될 수 있음.",
        )],
        _ => Vec::new(),
    }
}

/// Keys whose partition changes with the partition count (`producer.md` §2.2: a key moves
/// iff `h % old ≠ h % new`).
#[derive(Clone, Debug, PartialEq)]
pub struct MovedKeys {
    pub old: u32,
    pub new: u32,
    pub total: usize,
    /// (key as written, old partition, new partition)
    pub moved: Vec<(String, u32, u32)>,
}

pub fn moved_keys(keys: &[Serialized], old: u32, new: u32) -> MovedKeys {
    let moved = keys
        .iter()
        .filter_map(|k| {
            let (a, b) = (
                partition_for_key(&k.bytes, old),
                partition_for_key(&k.bytes, new),
            );
            (a != b).then(|| (k.text.to_string(), a, b))
        })
        .collect();
    MovedKeys {
        old,
        new,
        total: keys.len(),
        moved,
    }
}

/// Transactions as Kafka runs them, where the notes (§7.5, §8) say otherwise.
pub fn transaction_facts(p: &KafkaProducer, v: KafkaVersion) -> Vec<Fact> {
    if p.config.transactional_id.is_none() {
        return Vec::new();
    }
    vec![
        (
            "commitTransaction() sends EndTxn to the transaction coordinator (the leader of the id's __transaction_state partition), which writes a COMMIT or ABORT control record to every partition of the transaction — one marker per partition, each taking an offset (the notes: one extra record from the producer).".into(),
            "커밋은 프로듀서가 레코드를 하나 더 보내는 것이 아님: 트랜잭션 코디네이터가 참여한 모든 파티션에 커밋/중단 마커(컨트롤 레코드)를 쓰고, 마커마다 오프셋을 하나씩 차지함.",
        ),
        (
            "read_committed reads up to the last stable offset (the first offset of the earliest open transaction) and drops aborted records with the fetch's aborted-transactions list; read_uncommitted, the default, reads up to the HW. Neither returns markers.".into(),
            "read_committed는 LSO(가장 이른 열린 트랜잭션의 첫 오프셋)까지만 읽고 중단된 레코드는 버림. 기본값 read_uncommitted는 HW까지, 열린·중단된 트랜잭션의 레코드도 읽음.",
        ),
        (
            "A stable transactional.id keeps its producer id across restarts: initTransactions() bumps the epoch, aborts the previous instance's open transaction and fences it (ProducerFencedException). A random id per start (the notes' UUID) defeats this.".into(),
            "transactional.id가 고정이면 재시작해도 같은 PID: initTransactions()가 에포크를 올려 이전 인스턴스를 펜싱함. 시작할 때마다 UUID를 쓰면(노트의 예) 좀비를 막을 수 없음.",
        ),
        (
            if v.at_least(4, 0) {
                "Transactions V2 (KIP-890, a new 4.0 cluster): the client sends no AddPartitionsToTxn — the partition's leader adds it while verifying the first write — and every EndTxn bumps the epoch, so a late write of an ended transaction is fenced.".into()
            } else if v.at_least(3, 6) {
                format!("Each partition joins the transaction before its first record (AddPartitionsToTxn), and in Kafka {v} the leader checks with the coordinator before taking a transaction's first write (KIP-890 part 1), so a write arriving after its abort is refused.")
            } else {
                format!("Each partition joins the transaction before its first record (AddPartitionsToTxn). Kafka {v} does not verify: a write delayed past its transaction's abort lands after the ABORT marker and hangs the LSO (fixed in 3.6 by KIP-890).")
            },
            "파티션은 첫 레코드 전에 트랜잭션에 등록됨. 3.6부터 리더가 코디네이터에 확인하고, 4.0(트랜잭션 V2)은 EndTxn마다 에포크를 올림. 3.6 이전에는 중단 뒤 늦게 도착한 쓰기가 LSO를 멈추게 할 수 있음.",
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moved_keys_follow_the_modulo() {
        let keys: Vec<Serialized> = ["key1", "key2", "key3"]
            .iter()
            .map(|k| Serializer::String.serialize(Some(k)).unwrap().unwrap())
            .collect();
        let m = moved_keys(&keys, 3, 6);
        assert_eq!(m.total, 3);
        for k in &keys {
            let (a, b) = (
                partition_for_key(&k.bytes, 3),
                partition_for_key(&k.bytes, 6),
            );
            assert_eq!(m.moved.iter().any(|(t, _, _)| **t == *k.text), a != b);
        }
        assert!(moved_keys(&keys, 3, 3).moved.is_empty());
    }

    fn producer(props: &[(&str, &str)]) -> KafkaProducer {
        let props = props
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let config =
            kafka_lab::config::ProducerConfig::parse(&props, KafkaVersion::latest()).unwrap();
        let cluster = kafka_lab::metadata::Cluster {
            brokers: 1,
            topics: Vec::new(),
        };
        KafkaProducer::new(0, "p".into(), config, std::rc::Rc::new(cluster), None)
    }

    #[test]
    fn delivery_facts_follow_the_config() {
        let text = |p: &KafkaProducer| {
            delivery_facts(p)
                .into_iter()
                .map(|(en, _)| en)
                .collect::<String>()
        };
        assert!(text(&producer(&[])).contains("Idempotent"));
        let plain = text(&producer(&[("enable.idempotence", "false")]));
        assert!(plain.contains("lands twice"), "{plain}");
        assert!(text(&producer(&[("acks", "0")])).contains("offset −1"));
        assert!(text(&producer(&[("compression.type", "lz4")])).contains("compressed bytes"));
    }
}

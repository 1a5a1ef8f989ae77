//! "What Kafka does here": what the chosen version and config really do, in English and
//! Korean, where the course notes say otherwise or a Kafka defect shows.

use crate::i18n::Lang;
use kafka_lab::broker::producer_state::fixes_kafka_15591;
use kafka_lab::compression::CompressionType;
use kafka_lab::config::{Acks, PartitionerClass};
use kafka_lab::producer::partitioner::{fixes_kafka_9965, partition_for_key};
use kafka_lab::producer::KafkaProducer;
use kafka_lab::scenario::SendMode;
use kafka_lab::serializer::{Serialized, Serializer};
use kafka_lab::version::KafkaVersion;

/// One fact, in English and in Korean.
#[derive(Clone, Debug, PartialEq)]
pub struct Fact {
    pub en: String,
    pub ko: String,
}

impl Fact {
    fn new(en: impl Into<String>, ko: impl Into<String>) -> Fact {
        Fact {
            en: en.into(),
            ko: ko.into(),
        }
    }

    pub fn text(&self, lang: Lang) -> &str {
        lang.pick(&self.en, &self.ko)
    }
}

/// How this producer picks partitions, and what the notes get wrong about it.
pub fn partitioner_facts(p: &KafkaProducer, v: KafkaVersion, keyed: bool) -> Vec<Fact> {
    let mut facts = Vec::new();
    match p.partitioner.as_ref().map(|part| part.class()) {
        None => {
            facts.push(if keyed && !p.config.partitioner_ignore_keys {
                Fact::new(
                    "Keys: toPositive(murmur2(key bytes)) % partitions — adding partitions moves keys. (3.3+ default: the built-in partitioner; partitioner.class defaults to null, not DefaultPartitioner.)",
                    "키가 있으면 toPositive(murmur2(키 바이트)) % 파티션 수 — 파티션을 늘리면 키가 다른 파티션으로 옮겨감. (3.3+ 기본은 내장 파티셔너: partitioner.class 기본값은 null이며 DefaultPartitioner가 아님)",
                )
            } else {
                Fact::new(
                    "Null keys (3.3+, KIP-794): the built-in partitioner sticks to one partition until batch.size bytes went there, then picks again. partitioner.class defaults to null, not DefaultPartitioner.",
                    "null 키 (3.3+, KIP-794): 내장 파티셔너는 한 파티션에 batch.size 바이트가 갈 때까지 붙어 있다가 다시 고름. partitioner.class 기본값은 null이며 DefaultPartitioner가 아님.",
                )
            });
            if p.config.adaptive_partitioning {
                facts.push(Fact::new(
                    "Adaptive partitioning: the next sticky partition is drawn with weights favouring partitions with shorter batch queues — those on faster brokers.",
                    "적응형 파티셔닝: 다음 스티키 파티션을 고를 때 배치 대기열이 짧은 파티션(더 빠른 브로커의 파티션)에 가중치를 더 줌.",
                ));
            }
        }
        Some(PartitionerClass::Default) => facts.push(Fact::new(
            format!(
                "DefaultPartitioner (KIP-480; the default in 2.4–3.2, not the notes' UniformStickyPartitioner): keys by murmur2; null keys stay on one partition until a record needs a new batch (onNewBatch).{}",
                if v.at_least(3, 3) { " Deprecated since 3.3, removed in 4.0." } else { "" }
            ),
            format!(
                "DefaultPartitioner (KIP-480, 2.4–3.2의 기본값이며 노트의 UniformStickyPartitioner가 아님): 키는 murmur2 해시, null 키만 새 배치가 필요할 때까지(onNewBatch) 한 파티션에 머묾.{}",
                if v.at_least(3, 3) { " 3.3부터 deprecated, 4.0에서 제거됨." } else { "" }
            ),
        )),
        Some(PartitionerClass::UniformSticky) => facts.push(Fact::new(
            "UniformStickyPartitioner ignores keys (unlike the notes): one sticky partition for every record until a new batch is needed, so records with one key can land in different partitions. Removed in 4.0.",
            "UniformStickyPartitioner는 키를 보지 않음 (노트와 다름): 새 배치가 필요할 때까지 모든 레코드가 한 파티션으로 가므로 같은 키도 다른 파티션으로 갈 수 있음. 4.0에서 제거됨.",
        )),
        Some(PartitionerClass::RoundRobin) if fixes_kafka_9965(v) => facts.push(Fact::new(
            "RoundRobinPartitioner ignores keys. Since 4.0 / 3.9.2 (KAFKA-17632) the second partition() call on a new batch returns the same partition, so the spread is even.",
            "RoundRobinPartitioner는 키를 무시함. 4.0·3.9.2부터(KAFKA-17632) 새 배치에서 두 번째 partition() 호출이 같은 파티션을 돌려주어 고르게 분배됨.",
        )),
        Some(PartitionerClass::RoundRobin) => facts.push(Fact::new(
            format!(
                "KAFKA-9965 in Kafka {v}: a record that opens a new batch calls partition() twice, so the round-robin counter skips one. With linger.ms=0 and an even partition count, half the partitions get nothing. Fixed in 4.0 and 3.9.2."
            ),
            format!(
                "Kafka {v}의 KAFKA-9965: 새 배치를 여는 레코드마다 partition()이 두 번 호출되어 라운드 로빈 카운터가 하나씩 건너뜀. linger.ms=0이고 파티션 수가 짝수면 절반에만 데이터가 감 (노트의 '균등 분배'와 다름). 4.0과 3.9.2에서 수정."
            ),
        )),
        Some(PartitionerClass::Custom) => facts.push(Fact::new(
            "CustomPartitioner (seed §4.2): \"Pangyo\" → 0, other keys by murmur2, no key → InvalidRecordException; send() fails at once and the callback gets offset -1.",
            "CustomPartitioner (시드 §4.2): \"Pangyo\" → 0, 나머지 키는 murmur2, 키가 없으면 InvalidRecordException — send()가 즉시 실패하고 콜백은 offset -1을 받음.",
        )),
    }
    let ks = p.config.key_serializer;
    if keyed && ks != Serializer::String {
        facts.push(Fact::new(
            format!("{ks}: the key's bytes are what murmur2 hashes, so the key 7 lands elsewhere than the string \"7\"."),
            format!("{ks}: murmur2가 해시하는 것은 직렬화된 키 바이트라서, 키 7과 문자열 \"7\"은 다른 파티션으로 갈 수 있음."),
        ));
    }
    facts
}

/// What the application's way of calling `send()` changes (seed §3).
pub fn mode_fact(mode: SendMode) -> Option<Fact> {
    match mode {
        SendMode::Async => None,
        SendMode::Sync => Some(Fact::new(
            "send().get() blocks the caller until the broker answers: the next record waits for linger.ms plus a round trip, so batches hold one record.",
            "send().get()은 브로커가 응답할 때까지 호출한 스레드를 막음: 다음 레코드는 linger.ms와 왕복 시간을 기다리므로 배치에 레코드가 하나씩만 담김.",
        )),
        SendMode::FireAndForget => Some(Fact::new(
            "Fire-and-forget: the producer still sends, retries and acks the same way; only the application never looks at the result, so failures go unnoticed.",
            "보내고 잊기(fire-and-forget): 프로듀서는 똑같이 보내고 재시도하고 ack를 받음. 애플리케이션만 결과를 보지 않아 실패를 알아채지 못함.",
        )),
    }
}

/// What acks, in-flight requests, retries and idempotence mean for delivery here, where
/// the notes say otherwise (`seed-corrections.md`: §2.2, §2.3.3, §6, §7).
pub fn delivery_facts(p: &KafkaProducer) -> Vec<Fact> {
    let c = &p.config;
    let v = c.version;
    let mut facts = vec![Fact::new(
        format!(
            "max.in.flight.requests.per.connection = {}: unanswered produce requests per broker connection, all from the producer's one Sender thread (not threads or connections, as the notes say).",
            c.max_in_flight
        ),
        format!(
            "max.in.flight.requests.per.connection = {}: 브로커 연결마다 응답을 기다리는 produce 요청 수. 모두 프로듀서의 Sender 스레드 하나가 보냄 (노트처럼 스레드 수나 연결 수가 아님).",
            c.max_in_flight
        ),
    )];
    if c.acks == Acks::None {
        facts.push(Fact::new(
            "acks=0: the broker sends no response; send() completes when the request is written, offset −1, and broker errors never come back, so retries cannot help.",
            "acks=0: 브로커가 응답하지 않음. 요청을 쓰는 순간 send()가 완료되고 오프셋은 −1, 브로커 오류가 돌아오지 않으니 재시도도 소용없음.",
        ));
    } else if c.idempotence {
        facts.push(Fact::new(
            "Idempotent: the leader keeps the last 5 batches per producer id; a retry is answered with its first offset, so a lost response neither duplicates nor reorders (in-flight ≤ 5).",
            "멱등성: 리더가 프로듀서 ID별로 최근 5개 배치를 기억해 재시도를 원래 오프셋으로 응답 — 응답이 유실돼도 중복·순서 뒤바뀜이 없음 (in-flight ≤ 5).",
        ));
        // It takes two requests to one partition in flight at once; a transactional
        // producer's lost batch fails its transaction rather than vanishing.
        if c.max_in_flight > 1 && c.transactional_id.is_none() && !fixes_kafka_15591(v) {
            facts.push(Fact::new(
                format!(
                    "KAFKA-15591 in Kafka {v}: a leader with no state for a producer id takes a batch at any sequence. If a new producer's (a restarted one's too) first request to a partition is lost and a later batch gets there first, that one is written and the first is refused (OUT_OF_ORDER_SEQUENCE_NUMBER) at every retry until delivery.timeout.ms fails it: lost despite idempotence. If the later batch's response is lost too, the producer bumps its epoch instead and writes both, the later one a second time. Fixed after 4.0 (apache/kafka PR #23234)."
                ),
                format!(
                    "Kafka {v}의 KAFKA-15591: 리더는 상태가 없는 프로듀서 ID의 배치를 시퀀스와 상관없이 받아들임. 새 프로듀서(재시작한 프로듀서 포함)가 파티션에 보낸 첫 요청이 유실되고 뒤 배치가 먼저 도착하면 뒤 배치가 기록되고, 첫 배치는 재시도할 때마다 거부(OUT_OF_ORDER_SEQUENCE_NUMBER)되다가 delivery.timeout.ms가 지나 실패함 — 멱등성을 켜도 유실됨. 뒤 배치의 응답까지 유실되면 대신 에포크를 올려 둘 다 기록하므로 뒤 배치는 두 번 기록됨. 4.0 이후에 수정됨 (apache/kafka PR #23234)."
                ),
            ));
        }
        facts.push(if v.at_least(3, 0) {
            Fact::new(
                "enable.idempotence forces nothing (the notes, §2.2 and §7.6, say it requires or forces retries and acks): acks=all and retries=2147483647 are simply the defaults (since 3.0 and 2.1). With enable.idempotence=true set, acks other than all, retries=0 or in-flight > 5 is a ConfigException, never a silent override.",
                "enable.idempotence는 아무것도 강제하지 않음 (노트 2.2·7.6절은 retries와 acks를 요구하거나 강제한다고 함): acks=all과 retries=2147483647은 그저 기본값 (각각 3.0, 2.1부터). enable.idempotence=true를 직접 설정한 채 acks를 all이 아닌 값으로, retries를 0으로, in-flight를 5보다 크게 하면 ConfigException이 나며, 조용히 바꿔 주는 일은 없음.",
            )
        } else {
            Fact::new(
                format!("enable.idempotence forces nothing (the notes, §2.2 and §7.6, say it requires or forces retries and acks): retries=2147483647 is the default since 2.1, and in Kafka {v} an unset acks becomes all once idempotence is on. An explicit acks other than all, retries=0 or in-flight > 5 is a ConfigException, never a silent override."),
                format!("enable.idempotence는 아무것도 강제하지 않음 (노트 2.2·7.6절은 retries와 acks를 요구하거나 강제한다고 함): retries=2147483647은 2.1부터 기본값이고, Kafka {v}에서는 멱등성을 켜면 설정하지 않은 acks가 all이 됨. acks를 all이 아닌 값으로, retries를 0으로, in-flight를 5보다 크게 직접 설정하면 ConfigException이 나며, 조용히 바꿔 주는 일은 없음."),
            )
        });
    } else if c.max_in_flight > 1 && c.retries > 0 {
        facts.push(Fact::new(
            format!(
                "No idempotence and {} requests in flight: a retried batch lands after younger ones of its partition, and after a lost response it lands twice (try the fault buttons).",
                c.max_in_flight
            ),
            format!(
                "멱등성 없이 요청 {}개가 동시에 날아가면: 재시도된 배치가 같은 파티션의 뒤 배치보다 늦게 기록되고, 응답이 유실되면 두 번 기록됨 (장애 버튼으로 확인해 보세요).",
                c.max_in_flight
            ),
        ));
    } else if c.max_in_flight == 1 {
        facts.push(Fact::new(
            "max.in.flight=1: the sender mutes a partition until its request is answered, so retries keep order — at one request at a time.",
            "max.in.flight=1: 응답이 올 때까지 Sender가 파티션을 잠가 재시도해도 순서가 지켜짐 — 대신 한 번에 요청 하나.",
        ));
    }
    // KAFKA-13673's log line (`ProducerConfig.postProcessAndValidateIdempotenceConfigs`),
    // which only a default enable.idempotence gets; explicit, the same settings throw.
    if c.idempotence_overridden {
        facts.push(Fact::new(
            "Idempotence is off: enable.idempotence was left at its default, so a conflicting setting turned it off with only a log line (KAFKA-13673, since 3.0.1, 3.1.1 and 3.2.0). With enable.idempotence=true set, Kafka refuses the same settings with a ConfigException instead of overriding them.",
            "멱등성 꺼짐: enable.idempotence를 기본값으로 두어서, 충돌하는 설정이 로그 한 줄만 남기고 멱등성을 꺼 버림 (KAFKA-13673, 3.0.1·3.1.1·3.2.0부터). enable.idempotence=true를 직접 설정하면 Kafka는 같은 설정을 덮어쓰지 않고 ConfigException으로 거부함.",
        ));
    }
    if c.retries == i32::MAX as u32 {
        facts.push(Fact::new(
            format!(
                "retries defaults to 2147483647 (since 2.1): delivery.timeout.ms ({} ms) is what bounds retrying, not a count like the notes' 5.",
                c.delivery_timeout_ms
            ),
            format!(
                "retries 기본값은 2147483647 (2.1부터): 재시도를 끝내는 것은 delivery.timeout.ms ({} ms)이지 노트의 5 같은 횟수가 아님.",
                c.delivery_timeout_ms
            ),
        ));
    }
    if c.compression != CompressionType::None {
        facts.push(Fact::new(
            format!(
                "compression.type={}: batch.size counts estimated compressed bytes (uncompressed × ratio estimate × 1.05), so batches take more records as the estimate improves.",
                c.compression
            ),
            format!(
                "compression.type={}: batch.size는 추정 압축 크기(비압축 × 압축률 추정 × 1.05)로 계산 — 추정이 좋아질수록 배치에 더 많은 레코드가 담김.",
                c.compression
            ),
        ));
        if c.compression == CompressionType::Zstd {
            facts.push(Fact::new(
                "zstd here is a pure-Rust encoder with one fast level: its output is up to 60 % larger than Kafka's zstd at level 3, so sizes and ratios are pessimistic.",
                "이 시뮬레이터의 zstd는 빠른 레벨 하나뿐인 순수 Rust 구현이라 Kafka의 zstd(레벨 3)보다 결과가 최대 60% 큼 — 크기와 압축률은 비관적인 값.",
            ));
        }
    }
    facts
}

/// What a `producer.id.expiration.ms` the run sets costs an idempotent producer
/// (`exactly-once.md` §3; `ProducerStateManager.removeExpiredProducers`).
/// `check_ms` is the check interval: with its default of 10 minutes, a short expiry shows
/// only in runs that long, which the fact says.
pub fn expiry_fact(p: &KafkaProducer, expiration_ms: u64, check_ms: u64) -> Option<Fact> {
    p.config.idempotence.then(|| Fact::new(
        format!("producer.id.expiration.ms = {expiration_ms} (default a day): a partition forgets this producer's sequences that long after its last write (the batch's own timestamp), unless it has a transaction open there, at the next check (producer.id.expiration.check.interval.ms = {check_ms}). A retry arriving later is taken as new: written twice despite idempotence."),
        format!("producer.id.expiration.ms = {expiration_ms} (기본값 하루): 파티션은 이 프로듀서의 마지막 쓰기(배치 자신의 타임스탬프) 후 그만큼 지나면 다음 확인(producer.id.expiration.check.interval.ms = {check_ms}) 때 시퀀스 기억을 지움 — 그 파티션에 열린 트랜잭션이 있으면 제외. 그 뒤에 도착한 재시도는 새 배치로 받아들여져 멱등성을 켜도 두 번 기록됨."),
    ))
}

/// What `acks` waits for with this replication (`seed-corrections.md` §2.3.5, §2.3.6).
pub fn replication_facts(rf: u32, min_isr: u32, acks: Acks, v: KafkaVersion) -> Vec<Fact> {
    // Kafka creates such a topic without complaint; the rule bites at write time.
    if min_isr > rf && acks == Acks::All {
        return vec![if v.at_least(3, 7) {
            Fact::new(
                format!("min.insync.replicas={min_isr} is above the replication factor {rf}: since 3.7 the leader caps it at {rf} (KAFKA-15583), so acks=all needs every replica in sync."),
                format!("min.insync.replicas={min_isr}이 복제 계수 {rf}보다 큼: 3.7부터 리더가 {rf}로 낮춰 적용(KAFKA-15583) — acks=all은 모든 복제본이 ISR에 있어야 함."),
            )
        } else {
            Fact::new(
                format!("min.insync.replicas={min_isr} is above the replication factor {rf}: the ISR can never be that big, so every acks=all write fails with NOT_ENOUGH_REPLICAS in {v} (capped at the replication factor only since 3.7, KAFKA-15583)."),
                format!("min.insync.replicas={min_isr}이 복제 계수 {rf}보다 큼: ISR이 그만큼 커질 수 없어 {v}에서는 acks=all 쓰기가 모두 NOT_ENOUGH_REPLICAS로 실패함 (복제 계수로 낮춰 주는 건 3.7부터, KAFKA-15583)."),
            )
        }];
    }
    if min_isr > 1 && acks != Acks::All {
        return vec![Fact::new(
            format!("min.insync.replicas={min_isr} does nothing for acks={}: only acks=all writes are checked against it.", if acks == Acks::Leader { "1" } else { "0" }),
            format!("min.insync.replicas={min_isr}은 acks={}에는 영향 없음: acks=all 쓰기만 이 기준으로 검사함.", if acks == Acks::Leader { "1" } else { "0" }),
        )];
    }
    match (acks, rf) {
        (Acks::All, 1) => vec![Fact::new(
            "One replica: the ISR is the leader alone, so acks=all is answered as soon as acks=1 would be.",
            "복제본이 하나면 ISR은 리더뿐이라 acks=all도 acks=1과 똑같이 바로 응답함.",
        )],
        (Acks::All, _) => vec![Fact::new(
            format!(
                "acks=all waits until every replica in the ISR (now up to {rf}) has the batch, not {min_isr} of them: min.insync.replicas={min_isr} only refuses writes (NotEnoughReplicas) when the ISR is smaller. A slow follower delays every ack until it leaves the ISR."
            ),
            format!(
                "acks=all은 ISR의 모든 복제본(지금 최대 {rf}개)이 배치를 가질 때까지 기다림 — {min_isr}개만이 아님. min.insync.replicas={min_isr}은 ISR이 그보다 작을 때 쓰기를 거부(NotEnoughReplicas)하는 기준일 뿐. 느린 팔로워는 ISR에서 빠질 때까지 모든 ack를 늦춤."
            ),
        )],
        (Acks::Leader, r) if r > 1 => vec![Fact::new(
            "acks=1: answered after the leader's append; if the leader dies before a follower fetched it, the acknowledged record can be lost.",
            "acks=1: 리더가 기록하면 바로 응답 — 팔로워가 가져가기 전에 리더가 죽으면 확인받은 레코드도 유실될 수 있음.",
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
                partition_for_key(&k.bytes(), old),
                partition_for_key(&k.bytes(), new),
            );
            (a != b).then(|| (k.text().to_string(), a, b))
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
        Fact::new(
            "commitTransaction() sends EndTxn to the transaction coordinator (the leader of the id's __transaction_state partition), which writes a COMMIT or ABORT control record to every partition of the transaction — one marker per partition, each taking an offset (the notes: one extra record from the producer).",
            "commitTransaction()은 트랜잭션 코디네이터(transactional.id의 __transaction_state 파티션 리더)에 EndTxn을 보내고, 코디네이터가 트랜잭션의 모든 파티션에 COMMIT 또는 ABORT 컨트롤 레코드를 씀 — 파티션마다 마커 하나, 마커마다 오프셋 하나 (노트처럼 프로듀서가 레코드를 하나 더 보내는 것이 아님).",
        ),
        Fact::new(
            "read_committed reads up to the last stable offset (the first offset of the earliest open transaction) and drops aborted records with the fetch's aborted-transactions list; read_uncommitted, the default, reads up to the HW. Neither returns markers.",
            "read_committed는 LSO(가장 이른 열린 트랜잭션의 첫 오프셋)까지만 읽고, fetch 응답의 중단된 트랜잭션 목록으로 중단된 레코드를 버림. 기본값 read_uncommitted는 HW까지 읽음. 둘 다 마커는 돌려주지 않음.",
        ),
        Fact::new(
            "A stable transactional.id keeps its producer id across restarts: initTransactions() bumps the epoch, aborts the previous instance's open transaction and fences it (ProducerFencedException). A random id per start (the notes' UUID) defeats this.",
            "transactional.id가 고정이면 재시작해도 같은 프로듀서 ID: initTransactions()가 에포크를 올리고, 이전 인스턴스의 열린 트랜잭션을 중단한 뒤 펜싱함 (ProducerFencedException). 시작할 때마다 무작위 ID(노트의 UUID)를 쓰면 이 보호가 사라짐.",
        ),
        Fact::new(
            if v.at_least(4, 0) {
                "Transactions V2 (KIP-890, a new 4.0 cluster): the client sends no AddPartitionsToTxn — the partition's leader adds it while verifying the first write — and every EndTxn bumps the epoch, so a late write of an ended transaction is fenced.".to_string()
            } else if v.at_least(3, 6) {
                format!("Each partition joins the transaction before its first record (AddPartitionsToTxn), and in Kafka {v} the leader checks with the coordinator before taking a transaction's first write (KIP-890 part 1), so a write arriving after its abort is refused.")
            } else {
                format!("Each partition joins the transaction before its first record (AddPartitionsToTxn). Kafka {v} does not verify: a write delayed past its transaction's abort lands after the ABORT marker and hangs the LSO (fixed in 3.6 by KIP-890).")
            },
            if v.at_least(4, 0) {
                "트랜잭션 V2 (KIP-890, 새 4.0 클러스터): 클라이언트는 AddPartitionsToTxn을 보내지 않음 — 파티션 리더가 첫 쓰기를 확인하면서 파티션을 추가함 — 그리고 EndTxn마다 에포크가 올라 끝난 트랜잭션의 늦은 쓰기는 펜싱됨.".to_string()
            } else if v.at_least(3, 6) {
                format!("각 파티션은 첫 레코드 전에 트랜잭션에 등록됨 (AddPartitionsToTxn). Kafka {v}에서는 리더가 트랜잭션의 첫 쓰기를 받기 전에 코디네이터에 확인하므로(KIP-890 1부) 중단 뒤에 도착한 쓰기는 거부됨.")
            } else {
                format!("각 파티션은 첫 레코드 전에 트랜잭션에 등록됨 (AddPartitionsToTxn). Kafka {v}는 확인하지 않음: 트랜잭션 중단보다 늦게 도착한 쓰기가 ABORT 마커 뒤에 기록되어 LSO를 멈춰 세움 (3.6에서 KIP-890으로 수정).")
            },
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
                partition_for_key(&k.bytes(), 3),
                partition_for_key(&k.bytes(), 6),
            );
            assert_eq!(m.moved.iter().any(|(t, _, _)| **t == *k.text()), a != b);
        }
        assert!(moved_keys(&keys, 3, 3).moved.is_empty());
    }

    fn producer(props: &[(&str, &str)]) -> KafkaProducer {
        producer_in(KafkaVersion::latest(), props)
    }

    fn producer_in(v: KafkaVersion, props: &[(&str, &str)]) -> KafkaProducer {
        let props = props
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let config = kafka_lab::config::ProducerConfig::parse(&props, v).unwrap();
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
                .map(|f| f.en)
                .collect::<String>()
        };
        assert!(text(&producer(&[])).contains("Idempotent"));
        let plain = text(&producer(&[("enable.idempotence", "false")]));
        assert!(plain.contains("lands twice"), "{plain}");
        assert!(text(&producer(&[("acks", "0")])).contains("offset −1"));
        assert!(text(&producer(&[("compression.type", "lz4")])).contains("compressed bytes"));
    }

    fn both(facts: Vec<Fact>) -> (String, String) {
        facts
            .into_iter()
            .fold((String::new(), String::new()), |(en, ko), f| {
                (en + &f.en + "\n", ko + &f.ko + "\n")
            })
    }

    fn version(v: &str) -> KafkaVersion {
        KafkaVersion::parse(v).unwrap()
    }

    #[test]
    fn a_short_producer_expiry_is_explained_to_idempotent_producers() {
        let fact = expiry_fact(&producer(&[]), 10_000, 600_000).expect("idempotent by default");
        assert!(fact.en.contains("= 10000") && fact.en.contains("written twice"));
        assert!(fact.en.contains("check.interval.ms = 600000"));
        assert!(fact.ko.contains("= 10000") && fact.ko.contains("두 번 기록됨"));
        assert_eq!(
            expiry_fact(
                &producer(&[("enable.idempotence", "false")]),
                10_000,
                600_000
            ),
            None
        );
    }

    #[test]
    fn kafka_15591_is_named_for_idempotent_producers_with_requests_in_flight() {
        // exactly-once.md §3: every version modelled takes any sequence from a producer
        // id the leader has no state for (tests/sender.rs pins the loss).
        for line in KafkaVersion::supported_lines() {
            let (en, ko) = both(delivery_facts(&producer_in(
                version(&line),
                &[("enable.idempotence", "true")],
            )));
            assert!(
                en.contains(&format!("KAFKA-15591 in Kafka {}", version(&line))),
                "{en}"
            );
            assert!(en.contains("lost despite idempotence"), "{en}");
            assert!(ko.contains("KAFKA-15591") && ko.contains("유실됨"), "{ko}");
        }
        // One request at a time, no idempotence, or a transaction (whose failed batch
        // fails the commit): not this defect.
        for props in [
            &[("max.in.flight.requests.per.connection", "1")][..],
            &[("enable.idempotence", "false")],
            &[("transactional.id", "t")],
        ] {
            let (en, ko) = both(delivery_facts(&producer(props)));
            assert!(
                !en.contains("KAFKA-15591") && !ko.contains("KAFKA-15591"),
                "{props:?}"
            );
        }
        // A version with the fix (none modelled yet) does not get it.
        let mut fixed = producer(&[]);
        fixed.config.version = KafkaVersion::new(4, 5, 0);
        assert!(!both(delivery_facts(&fixed)).0.contains("KAFKA-15591"));
    }

    #[test]
    fn idempotence_is_said_to_force_nothing() {
        // seed-corrections.md §2.2, §7.6: defaults, and a ConfigException on an explicit
        // conflict; 2.x made an unset acks all.
        for (v, since) in [
            ("4.0", "since 3.0 and 2.1"),
            ("2.8", "unset acks becomes all"),
        ] {
            let (en, ko) = both(delivery_facts(&producer_in(
                version(v),
                &[("enable.idempotence", "true")],
            )));
            assert!(
                en.contains("forces nothing") && en.contains(since),
                "{v}: {en}"
            );
            assert!(
                en.contains("ConfigException, never a silent override"),
                "{en}"
            );
            assert!(
                ko.contains("강제하지 않음") && ko.contains("ConfigException"),
                "{ko}"
            );
        }
        let (en, _) = both(delivery_facts(&producer(&[(
            "enable.idempotence",
            "false",
        )])));
        assert!(!en.contains("forces nothing"), "{en}");
    }

    #[test]
    fn a_silently_disabled_idempotence_says_an_explicit_one_would_throw() {
        // KAFKA-13673: acks=1 or retries=0 with enable.idempotence unset turns it off.
        for props in [[("acks", "1")], [("retries", "0")]] {
            let (en, ko) = both(delivery_facts(&producer(&props)));
            assert!(
                en.contains("Idempotence is off") && en.contains("KAFKA-13673"),
                "{en}"
            );
            assert!(
                ko.contains("멱등성 꺼짐") && ko.contains("ConfigException"),
                "{ko}"
            );
        }
        // Turned off by the user, or never on (2.x), it was not overridden.
        for p in [
            producer(&[("enable.idempotence", "false"), ("acks", "1")]),
            producer_in(version("2.8"), &[("acks", "1")]),
            producer(&[]),
        ] {
            assert!(!both(delivery_facts(&p)).0.contains("KAFKA-13673"));
        }
    }

    #[test]
    fn partitioner_facts_correct_the_notes_in_both_languages() {
        // seed-corrections.md §2.2/§4.1: the 2.4–3.2 default is DefaultPartitioner, not
        // UniformStickyPartitioner, which ignores keys; since 3.3 partitioner.class is null.
        let default = "org.apache.kafka.clients.producer.internals.DefaultPartitioner";
        let p = producer_in(version("3.2"), &[("partitioner.class", default)]);
        for keyed in [true, false] {
            let (en, ko) = both(partitioner_facts(&p, version("3.2"), keyed));
            for text in [&en, &ko] {
                assert!(text.contains("2.4–3.2"), "{text}");
                assert!(text.contains("UniformStickyPartitioner"), "{text}");
            }
        }
        let sticky = "org.apache.kafka.clients.producer.UniformStickyPartitioner";
        let p = producer_in(version("3.9"), &[("partitioner.class", sticky)]);
        let (en, ko) = both(partitioner_facts(&p, version("3.9"), true));
        assert!(en.contains("ignores keys (unlike the notes)"), "{en}");
        assert!(ko.contains("키를 보지 않음 (노트와 다름)"), "{ko}");
        for keyed in [true, false] {
            let (en, ko) = both(partitioner_facts(
                &producer(&[]),
                KafkaVersion::latest(),
                keyed,
            ));
            assert!(en.contains("not DefaultPartitioner"), "{en}");
            assert!(ko.contains("DefaultPartitioner가 아님"), "{ko}");
        }
    }
}

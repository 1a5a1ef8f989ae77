//! What the app says about each property it lets you change — broker, topic, producer and
//! consumer, the sections of Kafka's own config docs: Kafka's importance (the order within
//! a section), the values offered, and a line in English and Korean. Defaults come from
//! `broker_default`, `producer_default` (per version), `topic_default` and
//! `consumer_default`.

/// `ConfigDef.Importance`, as `ProducerConfig` defines it today.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Importance {
    High,
    Medium,
    Low,
}

impl Importance {
    pub fn label(self) -> &'static str {
        match self {
            Importance::High => "high importance",
            Importance::Medium => "medium importance",
            Importance::Low => "low importance",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PropertyDoc {
    pub name: &'static str,
    pub importance: Importance,
    /// Values the app offers besides the version's default.
    pub choices: &'static [&'static str],
    pub en: &'static str,
    pub ko: &'static str,
}

const fn doc(
    name: &'static str,
    importance: Importance,
    choices: &'static [&'static str],
    en: &'static str,
    ko: &'static str,
) -> PropertyDoc {
    PropertyDoc {
        name,
        importance,
        choices,
        en,
        ko,
    }
}

use Importance::*;

/// Every producer property the app lets you change, high importance first, then by name,
/// as Kafka's documentation lists them.
pub const PRODUCER_DOCS: &[PropertyDoc] = &[
    doc(
        "buffer.memory",
        High,
        &["2048", "65536", "1048576", "33554432"],
        "Memory for all unsent and unanswered batches; when full, send() blocks.",
        "미전송·응답 대기 배치 전체가 쓰는 메모리. 가득 차면 send()가 대기함.",
    ),
    doc(
        "compression.type",
        High,
        &["none", "gzip", "snappy", "lz4", "zstd"],
        "Compresses each batch's records; batch.size then counts estimated compressed bytes.",
        "배치의 레코드 묶음을 압축. batch.size는 추정 압축 크기로 계산됨.",
    ),
    doc(
        "key.serializer",
        High,
        &[
            "StringSerializer",
            "IntegerSerializer",
            "LongSerializer",
            "DoubleSerializer",
            "ByteArraySerializer",
            "VoidSerializer",
        ],
        "Turns the key into bytes; those bytes are hashed, not the key you wrote.",
        "키를 바이트로 바꿈. 파티션은 이 바이트의 murmur2 해시로 정해짐.",
    ),
    doc(
        "retries",
        High,
        &["0", "1", "3", "2147483647"],
        "How often a retriable failure is resent; delivery.timeout.ms is the real bound. 0 with enable.idempotence=true: ConfigException.",
        "재시도 횟수. 실제 한계는 delivery.timeout.ms (기본 MAX, 2.1부터). enable.idempotence=true와 0을 함께 쓰면 ConfigException.",
    ),
    doc(
        "value.serializer",
        High,
        &["StringSerializer", "ByteArraySerializer"],
        "Turns the value into bytes; sizes and batches count these bytes.",
        "값을 바이트로 바꿈. 배치 크기는 이 바이트로 계산됨.",
    ),
    doc(
        "batch.size",
        Medium,
        &["0", "256", "1024", "4096", "16384", "65536"],
        "Bytes per partition batch; also when the sticky partitioner moves on.",
        "파티션별 배치 크기(바이트). 스티키 파티셔너가 파티션을 바꾸는 기준이기도 함.",
    ),
    doc(
        "delivery.timeout.ms",
        Medium,
        &["1000", "5000", "30000", "120000"],
        "Upper bound from send() to success or failure; ≥ linger.ms + request.timeout.ms.",
        "send()부터 성공/실패까지의 상한. linger.ms + request.timeout.ms 이상이어야 함.",
    ),
    doc(
        "linger.ms",
        Medium,
        &["0", "5", "20", "50", "100", "500"],
        "How long an idle sender waits for a batch to fill (default 5 since 4.0).",
        "배치가 찰 때까지 기다리는 시간 (4.0부터 기본 5ms).",
    ),
    doc(
        "max.block.ms",
        Medium,
        &["0", "10", "1000", "60000"],
        "How long send() may block for memory (or metadata), then fails with a TimeoutException.",
        "send()가 메모리(또는 메타데이터)를 기다리는 최대 시간. 넘으면 예외.",
    ),
    doc(
        "max.request.size",
        Medium,
        &["1024", "16384", "1048576"],
        "Largest produce request; the drain stops before it (a lone batch still goes).",
        "요청 하나의 최대 크기. drain은 이를 넘기 전에 멈춤.",
    ),
    doc(
        "partitioner.class",
        Medium,
        &[
            "org.apache.kafka.clients.producer.internals.DefaultPartitioner",
            "org.apache.kafka.clients.producer.UniformStickyPartitioner",
            "org.apache.kafka.clients.producer.RoundRobinPartitioner",
            "CustomPartitioner",
        ],
        "Unset since 3.3: the built-in partitioner. Any class turns on onNewBatch.",
        "3.3부터 기본값은 null(내장 파티셔너). 클래스를 지정하면 onNewBatch 경로가 켜짐.",
    ),
    doc(
        "partitioner.ignore.keys",
        Medium,
        &["true", "false"],
        "3.3+: treat keyed records like null keys (sticky), no hashing.",
        "3.3+: 키가 있어도 해시하지 않고 스티키 파티셔닝.",
    ),
    doc(
        "request.timeout.ms",
        Medium,
        &["1000", "5000", "30000"],
        "How long the producer waits for a response before it gives the request up.",
        "응답을 기다리는 최대 시간. 넘으면 연결을 끊고 재시도.",
    ),
    doc(
        "acks",
        Low,
        &["all", "-1", "1", "0"],
        "all (= -1), 1 or 0. There is no acks=2. Default all since 3.0.",
        "all(-1)·1·0만 가능 (acks=2는 없음). 3.0부터 기본값 all.",
    ),
    doc(
        "enable.idempotence",
        Low,
        &["true", "false"],
        "Producer id + sequence numbers: retries never duplicate. Default true since 3.0. Set to true, it never overrides what you set: acks≠all or retries=0 is a ConfigException.",
        "PID와 시퀀스 번호로 재시도 중복을 막음. 3.0부터 기본 true. 직접 켜도 사용자가 정한 값을 바꾸지 않음: acks≠all이나 retries=0이면 ConfigException.",
    ),
    doc(
        "max.in.flight.requests.per.connection",
        Low,
        &["1", "2", "5", "6"],
        "Unanswered requests per broker connection; > 1 without idempotence can reorder.",
        "브로커 연결당 응답 대기 요청 수. 멱등성 없이 1보다 크면 순서가 바뀔 수 있음.",
    ),
    doc(
        "partitioner.adaptive.partitioning.enable",
        Low,
        &["true", "false"],
        "3.3+: null keys favour partitions whose brokers have shorter queues.",
        "3.3+: 큐가 짧은 브로커의 파티션을 더 자주 고름.",
    ),
    doc(
        "partitioner.availability.timeout.ms",
        Low,
        &["0", "50", "100", "1000"],
        "3.3+: a broker slower than this to drain drops out of adaptive picks (0 = off).",
        "3.3+: 이 시간보다 오래 전송하지 못한 브로커의 파티션은 제외 (0 = 끔).",
    ),
    doc(
        "retry.backoff.max.ms",
        Low,
        &["100", "1000", "5000"],
        "3.7+: retry waits double from retry.backoff.ms up to this, ±20 % jitter (KIP-580).",
        "3.7+: 재시도 대기가 retry.backoff.ms부터 두 배씩 늘어나는 상한 (±20% 지터).",
    ),
    doc(
        "retry.backoff.ms",
        Low,
        &["0", "100", "500", "1000"],
        "Wait before a failed batch is resent (constant before 3.7, then the first step).",
        "실패한 배치를 다시 보내기 전 대기 시간 (3.7 이전엔 고정, 이후엔 첫 단계).",
    ),
];

/// The broker configs the app lets you change, the same on every broker (`KafkaConfig`).
/// The choices show within a 60-second run what the defaults leave past its end.
pub const BROKER_DOCS: &[PropertyDoc] = &[
    doc(
        "auto.leader.rebalance.enable",
        High,
        &["false"],
        "Leadership goes back to each partition's preferred (first) replica once it is in the ISR; off, a restarted broker stays a follower.",
        "리더를 ISR에 돌아온 선호(첫) 복제본으로 되돌림. 끄면 재시작한 브로커는 팔로워로 남음.",
    ),
    doc(
        "leader.imbalance.check.interval.seconds",
        High,
        &["10", "30"],
        "KRaft: how long after a leader leaves its preferred replica (ZooKeeper: how often) it is moved back. 300 s outlasts the app's 60-s run.",
        "KRaft: 리더가 선호 복제본을 떠난 뒤 되돌리기까지의 시간(ZooKeeper: 점검 주기). 300초는 앱의 60초 실행보다 김.",
    ),
    doc(
        "leader.imbalance.per.broker.percentage",
        High,
        &["0", "50"],
        "ZooKeeper (before 3.3): leaders go back to a broker only when over this % of its preferred partitions are led elsewhere. KRaft ignores it.",
        "ZooKeeper(3.3 이전): 선호 파티션의 이 %를 넘게 다른 브로커가 이끌 때만 리더를 되돌림. KRaft는 무시함.",
    ),
    doc(
        "replica.lag.time.max.ms",
        High,
        &["5000", "10000"],
        "A follower behind for longer than this leaves the ISR (checked every half of it); until then acks=all waits for it. At least replica.fetch.wait.max.ms (500).",
        "이 시간보다 오래 뒤처진 팔로워는 ISR에서 빠짐(절반마다 점검). 그때까지 acks=all은 기다림. replica.fetch.wait.max.ms(500) 이상.",
    ),
    doc(
        "log.retention.check.interval.ms",
        Medium,
        &["5000", "10000"],
        "How often each broker deletes the segments retention.ms or retention.bytes let go.",
        "각 브로커가 retention.ms·retention.bytes가 놓아준 세그먼트를 지우는 주기.",
    ),
    doc(
        "log.initial.task.delay.ms",
        Low,
        &["0", "5000"],
        "3.8+, internal: when after start-up segment deletion first runs (30 s, fixed before 3.8).",
        "3.8+, 내부 설정: 시작 후 세그먼트 삭제의 첫 실행 시점 (3.8 이전엔 30초 고정).",
    ),
    doc(
        "producer.id.expiration.check.interval.ms",
        Low,
        &["1000", "5000"],
        "3.4+, internal: how often each partition looks for expired producer ids (10 minutes).",
        "3.4+, 내부 설정: 각 파티션이 만료된 프로듀서 ID를 찾는 주기 (10분).",
    ),
    doc(
        "producer.id.expiration.ms",
        Low,
        &["10000", "30000"],
        "3.4+: this long after a producer id's last write (no transaction open), a partition forgets its sequences at its next check (above); a late retry is then written again.",
        "3.4+: 프로듀서 ID의 마지막 쓰기 후 이 시간이 지나면(열린 트랜잭션 없음) 다음 점검(위) 때 파티션이 시퀀스를 잊음. 그 뒤 늦은 재시도는 다시 기록됨.",
    ),
];

/// The topic configs the app lets you change (`TopicConfig`; all medium importance).
pub const TOPIC_DOCS: &[PropertyDoc] = &[
    doc(
        "max.message.bytes",
        Medium,
        &["1024", "16384", "65536"],
        "Largest record batch the log accepts; a bigger one is refused (MESSAGE_TOO_LARGE) and the producer splits it.",
        "로그가 받는 가장 큰 레코드 배치. 더 크면 거부(MESSAGE_TOO_LARGE)되고 프로듀서가 나눠 다시 보냄.",
    ),
    doc(
        "min.insync.replicas",
        Medium,
        &["2", "3"],
        "acks=all writes need an ISR at least this big, else NOT_ENOUGH_REPLICAS.",
        "acks=all 쓰기에 필요한 최소 ISR 크기. 모자라면 NOT_ENOUGH_REPLICAS.",
    ),
    doc(
        "retention.bytes",
        Medium,
        &["1048576", "10485760"],
        "Per partition: the oldest segments are deleted while the log is bigger than this by a whole segment (-1: no limit).",
        "파티션마다: 로그가 이 크기보다 세그먼트 하나 이상 크면 가장 오래된 세그먼트부터 삭제(-1: 제한 없음).",
    ),
    doc(
        "retention.ms",
        Medium,
        &["10000", "60000"],
        "A segment whose newest record is older than this is deleted at the next retention check (not before: the active segment must roll, or be all old, and be below the high watermark).",
        "가장 새 레코드가 이보다 오래된 세그먼트는 다음 보존 점검 때 삭제(그 전엔 아님: 활성 세그먼트는 롤링되거나 전부 오래되어야 하고, 하이 워터마크 아래여야 함).",
    ),
    doc(
        "segment.bytes",
        Medium,
        &["1048576", "4194304"],
        "A log is files of whole batches; a new segment starts before a batch would take the active one past this size.",
        "로그는 배치 단위로 채워지는 세그먼트 파일들. 배치가 활성 세그먼트를 이 크기보다 크게 만들기 전에 새 세그먼트를 시작.",
    ),
    doc(
        "segment.ms",
        Medium,
        &["5000", "10000", "60000"],
        "A new segment starts once a batch's timestamp is this far past the active segment's first batch: retention deletes whole segments only.",
        "배치의 타임스탬프가 활성 세그먼트 첫 배치보다 이만큼 늦으면 새 세그먼트를 시작. 보존 정책은 세그먼트 단위로만 삭제함.",
    ),
    doc(
        "unclean.leader.election.enable",
        Medium,
        &["true"],
        "With no in-sync replica left, may an out-of-sync one lead? Yes loses committed records.",
        "ISR에 살아 있는 복제본이 없을 때 ISR 밖 복제본을 리더로 뽑을지. 켜면 커밋된 레코드를 잃음.",
    ),
];

/// The consumer configs the app lets you change, for both consumers (`ConsumerConfig`).
/// `isolation.level` is not here: the app shows one consumer of each level side by side.
pub const CONSUMER_DOCS: &[PropertyDoc] = &[
    doc(
        "fetch.min.bytes",
        High,
        &["1024", "16384"],
        "The leader holds a fetch until this much data is there (or fetch.max.wait.ms passes).",
        "리더가 이만큼 데이터가 쌓일 때까지 fetch 응답을 붙잡음 (또는 fetch.max.wait.ms까지).",
    ),
    doc(
        "max.partition.fetch.bytes",
        High,
        &["1024", "16384"],
        "Most data one fetch takes from one partition (at least one batch, however big).",
        "한 번의 fetch가 파티션 하나에서 가져오는 최대 크기 (배치가 더 크면 그 배치 하나는 가져옴).",
    ),
    doc(
        "auto.offset.reset",
        Medium,
        &["earliest"],
        "Where to start when the position is not in the log (cut back by a new leader).",
        "위치가 로그에 없을 때(새 리더가 잘라냈을 때) 어디서부터 읽을지.",
    ),
    doc(
        "fetch.max.wait.ms",
        Low,
        &["0", "100", "1000"],
        "How long the leader holds a fetch that finds less than fetch.min.bytes.",
        "fetch.min.bytes보다 적으면 리더가 fetch 응답을 붙잡는 최대 시간.",
    ),
    doc(
        "retry.backoff.ms",
        Low,
        &["0", "1000"],
        "Pause before fetching again after an error.",
        "오류 뒤 다시 fetch하기 전 대기 시간.",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{
        broker_config_available, broker_default, consumer_default, producer_default, topic_default,
        BrokerConfig, ConsumerConfig, TopicConfig,
    };
    use crate::vec_map::VecMap;
    use crate::version::KafkaVersion;

    #[test]
    fn idempotence_and_retries_docs_say_a_conflict_throws() {
        // seed-corrections.md §2.2, §7.6: the notes have idempotence force or need retries
        // and acks; an explicit conflict is a ConfigException instead.
        for name in ["enable.idempotence", "retries"] {
            let d = PRODUCER_DOCS.iter().find(|d| d.name == name).unwrap();
            assert!(d.en.contains("ConfigException"), "{name}");
            assert!(d.ko.contains("ConfigException"), "{name}");
        }
    }

    #[test]
    fn sorted_as_kafka_docs_and_all_known() {
        for w in PRODUCER_DOCS.windows(2) {
            assert!(
                (w[0].importance, w[0].name) < (w[1].importance, w[1].name),
                "{} before {}",
                w[0].name,
                w[1].name
            );
        }
        for d in PRODUCER_DOCS {
            assert!(
                producer_default(d.name, KafkaVersion::latest()).is_some(),
                "{}",
                d.name
            );
        }
    }

    #[test]
    fn topic_and_consumer_docs_sorted_with_defaults_that_parse_as_the_defaults() {
        for docs in [BROKER_DOCS, TOPIC_DOCS, CONSUMER_DOCS] {
            for w in docs.windows(2) {
                assert!((w[0].importance, w[0].name) < (w[1].importance, w[1].name));
            }
        }
        // Setting every property to its documented default changes nothing; every offered
        // choice parses.
        let defaults = |docs: &[PropertyDoc], default: fn(&str) -> Option<&'static str>| {
            docs.iter()
                .map(|d| {
                    (
                        d.name.to_string(),
                        default(d.name).expect(d.name).to_string(),
                    )
                })
                .collect::<VecMap<_, _>>()
        };
        assert_eq!(
            TopicConfig::parse(&defaults(TOPIC_DOCS, topic_default), KafkaVersion::latest()),
            Ok(TopicConfig::default())
        );
        assert_eq!(
            ConsumerConfig::parse(&defaults(CONSUMER_DOCS, consumer_default)),
            Ok(ConsumerConfig::default())
        );
        for d in TOPIC_DOCS {
            for c in d.choices {
                let props = VecMap::from([(d.name.to_string(), c.to_string())]);
                for v in KafkaVersion::supported_lines() {
                    let v = KafkaVersion::parse(&v).unwrap();
                    assert!(TopicConfig::parse(&props, v).is_ok(), "{} = {c}", d.name);
                }
            }
        }
        for d in CONSUMER_DOCS {
            for c in d.choices {
                let props = VecMap::from([(d.name.to_string(), c.to_string())]);
                assert!(ConsumerConfig::parse(&props).is_ok(), "{} = {c}", d.name);
            }
        }
    }

    #[test]
    fn broker_docs_parse_in_every_version_that_has_them() {
        // The defaults, where the version has the property, change nothing; every choice
        // parses there and is refused elsewhere, as the panel offers it.
        for v in KafkaVersion::supported_lines() {
            let v = KafkaVersion::parse(&v).unwrap();
            let unset = BrokerConfig::parse(&VecMap::new(), v);
            let defaults = BROKER_DOCS
                .iter()
                .filter(|d| broker_config_available(d.name, v))
                .map(|d| {
                    (
                        d.name.to_string(),
                        broker_default(d.name).expect(d.name).to_string(),
                    )
                })
                .collect::<VecMap<_, _>>();
            assert_eq!(BrokerConfig::parse(&defaults, v), unset);
            for d in BROKER_DOCS {
                for c in d.choices {
                    let props = VecMap::from([(d.name.to_string(), c.to_string())]);
                    let parsed = BrokerConfig::parse(&props, v);
                    assert_eq!(
                        parsed.is_ok(),
                        broker_config_available(d.name, v),
                        "{v} {} = {c}",
                        d.name
                    );
                    assert_ne!(parsed, unset, "{} = {c} is the default", d.name);
                }
            }
        }
        let gated = |v: &str| -> Vec<&str> {
            let v = KafkaVersion::parse(v).unwrap();
            BROKER_DOCS
                .iter()
                .filter(|d| !broker_config_available(d.name, v))
                .map(|d| d.name)
                .collect()
        };
        assert_eq!(gated("3.7"), ["log.initial.task.delay.ms"]);
        assert_eq!(
            gated("3.3"),
            [
                "log.initial.task.delay.ms",
                "producer.id.expiration.check.interval.ms",
                "producer.id.expiration.ms"
            ]
        );
        assert!(gated("4.0").is_empty());
    }
}

//! Lessons: one idea of the course notes each, as a file in `lessons/` — the settings
//! (the same JSON as a link's, through the same checks) and a short narrated script whose
//! steps pause the run at the teaching moment, point at an element of the stage and state
//! the fact, in Korean and English, correcting the notes where Kafka has changed.

use crate::app::SPEEDS;
use crate::decimal::trimmed;
use crate::i18n::Lang;
use crate::share::{refuse, LinkError, Reason, Settings};
use crate::workload::{Workload, RUN_MS};
use kafka_lab::json::{self, Node, Path};

/// A lesson as the picker offers it, before its file is fetched.
pub struct Entry {
    pub id: &'static str,
    pub chapter: &'static str,
    pub title_en: &'static str,
    pub title_ko: &'static str,
}

impl Entry {
    pub fn title(&self, lang: Lang) -> &'static str {
        lang.pick(self.title_en, self.title_ko)
    }

    /// Where the site serves the lesson's file (`scripts/build.sh` copies `lessons/`):
    /// fetched when the lesson is opened, so the scripts are not part of the wasm.
    pub fn url(&self) -> String {
        format!("lessons/{}.json", self.id)
    }
}

/// Every lesson, in the order of the notes' chapters; a test keeps each entry equal to
/// its file.
pub const INDEX: [Entry; 12] = [
    entry(
        "design",
        "1",
        "The producer, from send() to the broker",
        "프로듀서: send()에서 브로커까지",
    ),
    entry(
        "options",
        "2",
        "The main options: serializers, buffer.memory, in-flight requests",
        "주요 옵션: 직렬화, buffer.memory, in-flight 요청",
    ),
    entry(
        "acks",
        "2.3",
        "acks=1 and a leader crash",
        "acks=1 과 리더 장애",
    ),
    entry(
        "acks0",
        "2.3.3",
        "acks=0: no answer at all",
        "acks=0: 응답이 전혀 없음",
    ),
    entry(
        "min-isr",
        "2.3.7",
        "acks=all and min.insync.replicas=2 through a leader crash",
        "acks=all, min.insync.replicas=2 와 리더 장애",
    ),
    entry(
        "send-modes",
        "3",
        "Fire-and-forget, sync and async sends",
        "보내고 잊기, 동기, 비동기 전송",
    ),
    entry(
        "partitioner",
        "4",
        "The partitioner: keys, null keys, sticky batches",
        "파티셔너: 키, null 키, 스티키 배치",
    ),
    entry(
        "custom-partitioner",
        "4.2",
        "A custom partitioner, and adding partitions",
        "커스텀 파티셔너와 파티션 추가",
    ),
    entry(
        "batching",
        "5",
        "Batching: batch.size and linger.ms",
        "배치: batch.size와 linger.ms",
    ),
    entry(
        "delivery",
        "6",
        "At-least-once: a lost ack duplicates",
        "최소 한 번: 잃어버린 ack가 중복을 만듦",
    ),
    entry(
        "idempotence",
        "7",
        "The idempotent producer and its limit",
        "멱등성 프로듀서와 그 한계",
    ),
    entry(
        "transactions",
        "8",
        "Transactions and read_committed",
        "트랜잭션과 read_committed",
    ),
];

const fn entry(
    id: &'static str,
    chapter: &'static str,
    title_en: &'static str,
    title_ko: &'static str,
) -> Entry {
    Entry {
        id,
        chapter,
        title_en,
        title_ko,
    }
}

/// The index entry of the lesson `id`.
pub fn find(id: &str) -> Option<&'static Entry> {
    INDEX.iter().find(|e| e.id == id)
}

#[derive(Clone, Debug, PartialEq)]
pub struct Text {
    pub en: String,
    pub ko: String,
}

impl Text {
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::En => &self.en,
            Lang::Ko => &self.ko,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    /// The moment the run pauses at (virtual ms).
    pub at_ms: u64,
    /// The id of the element the step points at.
    pub target: String,
    pub text: Text,
    /// The speed "next" plays to this step at: slow motion to follow one record,
    /// fast-forward over a session timeout. Unset: the speed on screen.
    pub speed: Option<f64>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Lesson {
    pub id: String,
    /// The section of the notes it teaches (`2.3`, `8`, …).
    pub chapter: String,
    pub title: Text,
    pub settings: Settings,
    pub steps: Vec<Step>,
}

impl Lesson {
    /// The run the lesson plays.
    pub fn workload(&self) -> Result<Workload, LinkError> {
        self.settings.clone().workload()
    }

    /// The step on screen at `t`: the last one whose moment has come.
    pub fn step_at(&self, t: f64) -> usize {
        self.steps
            .iter()
            .rposition(|s| s.at_ms as f64 <= t)
            .unwrap_or(0)
    }

    /// The next step after `t`, if any.
    pub fn next_after(&self, t: f64) -> Option<&Step> {
        self.steps.iter().find(|s| s.at_ms as f64 > t)
    }

    /// The moment of the step before the one on screen at `t`.
    pub fn previous_before(&self, t: f64) -> Option<u64> {
        let i = self.step_at(t);
        // Past a step's moment (played on by hand), back goes to that step first.
        if self.steps.get(i).is_some_and(|s| (s.at_ms as f64) < t) {
            return Some(self.steps[i].at_ms);
        }
        i.checked_sub(1).map(|j| self.steps[j].at_ms)
    }
}

/// A lesson file, read and checked: steps in strictly increasing time within the run,
/// text in both languages.
pub fn parse(json: &str) -> Result<Lesson, LinkError> {
    let lesson = json::read(json, read_lesson).map_err(|e| {
        let field = if e.path.is_empty() { "." } else { &e.path };
        refuse(field, Reason::Verbatim(e.message))
    })?;
    let bad = |i: usize, reason| Err(refuse(format!("steps[{i}]"), reason));
    if lesson.steps.is_empty() {
        return bad(0, Reason::NoSteps);
    }
    for (i, s) in lesson.steps.iter().enumerate() {
        if s.at_ms > RUN_MS {
            return bad(i, Reason::Moment(s.at_ms.to_string(), RUN_MS));
        }
        if i > 0 && s.at_ms <= lesson.steps[i - 1].at_ms {
            return bad(i, Reason::StepOrder);
        }
        if s.text.en.trim().is_empty() || s.text.ko.trim().is_empty() {
            return bad(i, Reason::TextMissing);
        }
        if let Some(v) = s
            .speed
            .filter(|v| !SPEEDS.iter().any(|(speed, _, _)| speed == v))
        {
            return Err(refuse(
                format!("steps[{i}].speed"),
                Reason::NotAChoice(trimmed(v, 3)),
            ));
        }
    }
    Ok(lesson)
}

fn read_lesson(node: &Node, path: &Path) -> json::Result<Lesson> {
    let f = json::object(
        node,
        path,
        &["id", "chapter", "title", "settings", "steps"],
        None,
    )?;
    Ok(Lesson {
        id: f.req(0, json::string)?,
        chapter: f.req(1, json::string)?,
        title: f.req(2, read_text)?,
        settings: f.req(3, Settings::read)?,
        steps: f.req(4, |n, p| {
            json::vec(n, p, |n, p| {
                let f = json::object(n, p, &["at_ms", "target", "text", "speed"], None)?;
                Ok(Step {
                    at_ms: f.req(0, json::u64)?,
                    target: f.req(1, json::string)?,
                    text: f.req(2, read_text)?,
                    speed: f.opt(3, json::f64)?,
                })
            })
        })?,
    })
}

fn read_text(node: &Node, path: &Path) -> json::Result<Text> {
    let f = json::object(node, path, &["en", "ko"], None)?;
    Ok(Text {
        en: f.req(0, json::string)?,
        ko: f.req(1, json::string)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use kafka_lab::Simulation;

    /// Every lesson, read from its file as the site serves it, and each file is in the
    /// index with its id, chapter and title.
    fn all() -> Vec<Lesson> {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../lessons");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|f| f.unwrap().file_name().into_string().unwrap())
            .collect();
        files.sort();
        let mut listed: Vec<String> = INDEX.iter().map(|e| format!("{}.json", e.id)).collect();
        listed.sort();
        assert_eq!(files, listed, "every file of lessons/ is in the index");
        INDEX
            .iter()
            .map(|e| {
                let json = std::fs::read_to_string(format!("{dir}/{}.json", e.id)).unwrap();
                let lesson =
                    parse(&json).unwrap_or_else(|err| panic!("{}: {}", e.id, err.text(Lang::En)));
                assert_eq!(
                    (lesson.id.as_str(), lesson.chapter.as_str()),
                    (e.id, e.chapter)
                );
                assert_eq!(
                    (lesson.title.en.as_str(), lesson.title.ko.as_str()),
                    (e.title_en, e.title_ko)
                );
                lesson
            })
            .collect()
    }

    /// Each lesson's trace hash, pinned: a change of behaviour under a lesson shows up as
    /// a deliberate diff here (and its script is read again).
    const GOLDEN: [(&str, &str); 12] = [
        ("design", "a088a6a36942ce40"),
        ("options", "b19e10346937ccda"),
        ("acks", "214b67a3e6beac1a"),
        ("acks0", "cf4b5644fd70ff94"),
        ("min-isr", "a14d66dd66b0145a"),
        ("send-modes", "5fea0337a056ff96"),
        ("partitioner", "cdd8827634c5442b"),
        ("custom-partitioner", "f615ccb8074c82ae"),
        ("batching", "64e2e08057ff2090"),
        ("delivery", "a6368a3f93760f29"),
        ("idempotence", "229f94b301a21d6a"),
        ("transactions", "f342303af0a5253f"),
    ];

    #[test]
    fn every_lesson_loads_runs_and_keeps_its_trace() {
        let lessons = all();
        assert_eq!(lessons.len(), GOLDEN.len());
        let mut hashes = Vec::new();
        for (lesson, (id, _)) in lessons.iter().zip(GOLDEN) {
            assert_eq!(lesson.id, id);
            assert!(
                lesson
                    .steps
                    .iter()
                    .all(|s| s.text.ko.chars().any(|c| ('가'..='힣').contains(&c))),
                "{id}: Korean text in Korean"
            );
            let w = lesson
                .workload()
                .unwrap_or_else(|e| panic!("{id}: {}", e.text(Lang::En)));
            // Each lesson's run is also a scenario file of the site, for the CLI and for
            // `?scenario=scenarios/lessons/<id>.json` (KAFKA_LAB_BLESS=1 writes them).
            let path = format!(
                "{}/../www/scenarios/lessons/{id}.json",
                env!("CARGO_MANIFEST_DIR")
            );
            let json = w.scenario().to_json_pretty() + "\n";
            if std::env::var_os("KAFKA_LAB_BLESS").is_some() {
                std::fs::write(&path, &json).unwrap();
            }
            let file = std::fs::read_to_string(&path).unwrap_or_default();
            assert_eq!(file, json, "{path}: run with KAFKA_LAB_BLESS=1 to write it");
            let scenario = kafka_lab::Scenario::from_json(&file).unwrap();
            let mut sim = Simulation::new(&scenario).unwrap_or_else(|e| panic!("{id}: {e:?}"));
            sim.run();
            assert_eq!(sim.stalled_at(), None, "{id}");
            hashes.push((id, sim.trace_hash()));
        }
        let golden: Vec<(&str, String)> =
            GOLDEN.iter().map(|(id, h)| (*id, h.to_string())).collect();
        assert_eq!(
            hashes, golden,
            "a lesson's run changed: read its script again"
        );
    }

    /// What the min-isr lesson says at each step is what its run has done by then.
    #[test]
    fn the_min_isr_lesson_says_what_its_run_does() {
        use kafka_lab::controller::Election;
        use kafka_lab::ledger::Ledger;
        use kafka_lab::trace::TraceEvent;
        let lesson = all().into_iter().find(|l| l.id == "min-isr").unwrap();
        let at: Vec<u64> = lesson.steps.iter().map(|s| s.at_ms).collect();
        let scenario = lesson.workload().unwrap().scenario();
        let mut sim = Simulation::new(&scenario).unwrap();
        sim.record_trace();
        let happened = |sim: &Simulation, from: u64, what: &dyn Fn(&TraceEvent) -> bool| {
            sim.trace().iter().any(|(t, e)| *t >= from && what(e))
        };
        // 5 s: broker 2, slow but still in the ISR, holds every acknowledgement back.
        sim.run_until(at[1]);
        assert_eq!(Ledger::of(&sim).acked, 0);
        // 7.5 s: the ISR is [0, 1], enough for min.insync.replicas=2; by 10 s the backlog is
        // acknowledged.
        sim.run_until(at[2]);
        assert!(happened(&sim, 7_500, &|e| matches!(e,
            TraceEvent::IsrChanged { isr, expanded: false, .. } if *isr == [0, 1])));
        let ledger = Ledger::of(&sim);
        assert!(ledger.acked * 10 >= ledger.records * 9, "{ledger:?}");
        // 21 s: broker 1 leads with an ISR of one, and refuses the retries.
        sim.run_until(at[4]);
        assert!(happened(&sim, at[3], &|e| matches!(e,
            TraceEvent::LeaderElected { leader: Some(1), isr, .. } if *isr == [1])));
        assert!(happened(&sim, at[3], &|e| matches!(
            e,
            TraceEvent::BatchRejected {
                broker: 1,
                error: "NOT_ENOUGH_REPLICAS",
                ..
            }
        )));
        assert_eq!(Ledger::of(&sim).lost, 0);
        // 30 s: broker 0 is back in the ISR; the batch broker 1 already had is a duplicate.
        sim.run_until(at[5]);
        assert!(happened(&sim, at[4], &|e| matches!(e,
            TraceEvent::IsrChanged { isr, expanded: true, .. } if isr.contains(&0))));
        assert!(happened(&sim, at[4], &|e| matches!(
            e,
            TraceEvent::DuplicateBatch { broker: 1, .. }
        )));
        // 31 s: leadership back at the preferred replica; nothing lost or duplicated.
        sim.run_until(at[6]);
        assert!(happened(&sim, at[5], &|e| matches!(
            e,
            TraceEvent::LeaderElected {
                leader: Some(0),
                election: Election::Preferred,
                ..
            }
        )));
        sim.run();
        let ledger = Ledger::of(&sim);
        assert_eq!(
            (ledger.lost, ledger.duplicated, ledger.reordered),
            (0, 0, 0)
        );
    }

    /// What the acks0 lesson says at each step is what its run does, and what it says of
    /// acks=1 is what that run does.
    #[test]
    fn the_acks0_lesson_says_what_its_run_does() {
        use crate::workload::Setting;
        use kafka_lab::ledger::Ledger;
        use kafka_lab::trace::TraceEvent;
        let lesson = all().into_iter().find(|l| l.id == "acks0").unwrap();
        let at: Vec<u64> = lesson.steps.iter().map(|s| s.at_ms).collect();
        let workload = lesson.workload().unwrap();
        let mut sim = Simulation::new(&workload.scenario()).unwrap();
        sim.record_trace();
        let count = |sim: &Simulation, what: &dyn Fn(&TraceEvent) -> bool| {
            sim.trace().iter().filter(|(_, e)| what(e)).count()
        };
        // No request is ever in flight, and no response comes.
        sim.run_until(at[1]);
        let sender = &sim.producers()[0].sender;
        assert!(sender.in_flight.values().all(|q| q.is_empty()));
        assert!(Ledger::of(&sim).acked > 50);
        // The lost request's 2 records: acknowledged, in no log, never retried.
        sim.run_until(at[2]);
        assert_eq!(
            count(&sim, &|e| matches!(
                e,
                TraceEvent::RequestDropped { broker: 0, .. }
            )),
            1
        );
        assert_eq!(Ledger::of(&sim).lost, 2);
        sim.run();
        let ledger = Ledger::of(&sim);
        assert_eq!((ledger.lost, ledger.duplicated), (2, 0));
        assert_eq!(
            count(&sim, &|e| matches!(e, TraceEvent::BatchRetried { .. })),
            0
        );
        // Every send completed with offset -1: no answer carried one.
        assert_eq!(
            count(
                &sim,
                &|e| matches!(e, TraceEvent::BatchCompleted { base_offset, .. } if *base_offset != -1)
            ),
            0
        );
        // acks=1: the lost request times out after 30 s and is sent again; nothing lost.
        let acks1 = workload
            .with(&Setting::Producer("acks".into(), "1".into()))
            .unwrap();
        let mut sim = Simulation::new(&acks1.scenario()).unwrap();
        sim.record_trace();
        sim.run();
        assert!(sim.trace().iter().any(|(t, e)| *t > 31_000
            && matches!(
                e,
                TraceEvent::BatchRetried {
                    error: "REQUEST_TIMED_OUT",
                    ..
                }
            )));
        assert_eq!(Ledger::of(&sim).lost, 0);
    }

    #[test]
    fn steps_go_forward_and_back_by_their_moments() {
        let lesson = &all()[0];
        let at: Vec<u64> = lesson.steps.iter().map(|s| s.at_ms).collect();
        assert_eq!(lesson.step_at(0.0), 0);
        assert_eq!(
            lesson.next_after(at[0] as f64).map(|s| s.at_ms),
            Some(at[1])
        );
        assert_eq!(lesson.step_at(at[1] as f64), 1);
        assert_eq!(lesson.previous_before(at[1] as f64), Some(at[0]));
        assert_eq!(lesson.previous_before(at[1] as f64 + 5.0), Some(at[1]));
        assert!(lesson.next_after(*at.last().unwrap() as f64).is_none());
    }

    #[test]
    fn a_broken_lesson_names_its_field() {
        let e = parse(
            r#"{"id":"x","chapter":"1","title":{"en":"a","ko":"가"},"settings":{},"steps":[]}"#,
        )
        .unwrap_err();
        assert!(e.field.starts_with("settings"), "{e:?}");
    }
}

//! The config panels: every broker, topic, producer and consumer property the core models,
//! in the sections of Kafka's own config docs, grouped by Kafka's importance, each with the chosen
//! version's default, the changed ones marked, and a line in English and Korean. "default"
//! leaves the property unset, which matters: Kafka treats an explicitly set
//! `enable.idempotence` differently from its default.

use crate::i18n::Lang;
use crate::workload::{Setting, Workload};
use kafka_lab::config::{
    broker_config_available, broker_config_since, broker_default, consumer_default,
    partitioner_class_available, producer_default, topic_default, Importance, PropertyDoc,
    BROKER_DOCS, CONSUMER_DOCS, PRODUCER_DOCS, TOPIC_DOCS,
};
use kafka_lab::version::KafkaVersion;
use web_sys::HtmlSelectElement;
use yew::prelude::*;

/// A value as the panel shows it: class names by their simple name, null as null.
fn pretty(value: &str, lang: Lang) -> String {
    match value {
        "" => lang.pick("null (built-in)", "null (내장)").into(),
        v => v.rsplit('.').next().unwrap_or(v).to_string(),
    }
}

/// A property's name, allowed to wrap after its dots (never inside a word).
fn wrapping_name(name: &str) -> Html {
    let parts: Vec<&str> = name.split('.').collect();
    let last = parts.len() - 1;
    html! {
        { for parts.iter().enumerate().map(|(i, part)| if i < last {
            html! { <>{ *part }{ "." }<wbr/></> }
        } else {
            html! { { *part } }
        }) }
    }
}

/// The DOM id of a property's select: `batch.size` → `batch-size`.
pub fn control_id(name: &str) -> String {
    name.replace('.', "-")
}

/// Which section of Kafka's config docs a property belongs to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Section {
    Broker,
    Topic,
    Producer,
    Consumer,
}

impl Section {
    fn default(self, name: &str, v: KafkaVersion) -> Option<&'static str> {
        match self {
            Section::Broker => broker_default(name).filter(|_| broker_config_available(name, v)),
            Section::Topic => topic_default(name),
            Section::Producer => producer_default(name, v),
            Section::Consumer => consumer_default(name),
        }
    }

    fn current(self, name: &str, w: &Workload) -> String {
        let map = match self {
            Section::Broker => &w.broker,
            Section::Topic => &w.topic,
            Section::Producer => &w.producer,
            Section::Consumer => &w.consumer,
        };
        map.get(name).cloned().unwrap_or_default()
    }

    fn setting(self, name: String, value: String) -> Setting {
        match self {
            Section::Broker => Setting::Broker(name, value),
            Section::Topic => Setting::Topic(name, value),
            Section::Producer => Setting::Producer(name, value),
            Section::Consumer => Setting::Consumer(name, value),
        }
    }
}

fn property_row(
    section: Section,
    doc: &PropertyDoc,
    w: &Workload,
    on_set: &Callback<Setting>,
    lang: Lang,
) -> Html {
    let v = w.version();
    // The consumer shares names with the producer (retry.backoff.ms): ids stay unique, so
    // that each select keeps its label.
    let id = match section {
        Section::Consumer if PRODUCER_DOCS.iter().any(|d| d.name == doc.name) => {
            format!("consumer-{}", control_id(doc.name))
        }
        _ => control_id(doc.name),
    };
    let hint = lang.pick(doc.en, doc.ko);
    let Some(default) = section.default(doc.name, v) else {
        let since = match doc.name {
            n if n.starts_with("partitioner.") => Some((3, 3)),
            n => broker_config_since(n),
        }
        .map(|(major, minor)| format!("{major}.{minor}"));
        let absent = match (lang, since) {
            (Lang::En, Some(s)) => format!("not in Kafka {v} (since {s})"),
            (Lang::En, None) => format!("not in Kafka {v}"),
            (Lang::Ko, Some(s)) => format!("Kafka {v}에는 없음 ({s}부터)"),
            (Lang::Ko, None) => format!("Kafka {v}에는 없음"),
        };
        return html! {
            <label class="control absent" for={id.clone()}>
                <span class="name mono">{ doc.name }</span>
                <select id={id} disabled=true><option>{ absent }</option></select>
                <span class="hint">{ hint }</span>
            </label>
        };
    };
    let current = section.current(doc.name, w);
    let mut options: Vec<(String, String)> = vec![(
        String::new(),
        format!(
            "{} · {}",
            lang.pick("default", "기본값"),
            pretty(default, lang)
        ),
    )];
    for choice in doc.choices {
        if doc.name == "partitioner.class" && !partitioner_class_available(choice, v) {
            continue;
        }
        options.push((choice.to_string(), pretty(choice, lang)));
    }
    if !current.is_empty() && !options.iter().any(|(value, _)| *value == current) {
        options.push((current.clone(), pretty(&current, lang)));
    }
    let name = doc.name.to_string();
    let onchange = on_set.reform(move |e: Event| {
        let select: HtmlSelectElement = e.target_unchecked_into();
        section.setting(name.clone(), select.value())
    });
    // A set value is marked even when it equals the default: Kafka sees it as set.
    let changed = match lang {
        Lang::En => format!("changed from the default {}", pretty(default, lang)),
        Lang::Ko => format!("기본값 {}에서 바꿈", pretty(default, lang)),
    };
    html! {
        <label class={if current.is_empty() { "control" } else { "control set" }} for={id.clone()}
            title={(!current.is_empty()).then_some(changed)}>
            <span class="name mono">{ wrapping_name(doc.name) }</span>
            <select {id} {onchange}>
                // A chosen value is Kafka's own (a class name, a codec, a number); only the
                // default's label is translated.
                { for options.into_iter().map(|(value, text)| html! {
                    <option selected={value == current} translate={if value.is_empty() { "yes" } else { "no" }}
                        value={value.clone()}>{ text }</option>
                }) }
            </select>
            <span class="hint">{ hint }</span>
        </label>
    }
}

/// The producer's properties, by Kafka's importance.
pub fn producer_panel(w: &Workload, on_set: &Callback<Setting>, lang: Lang) -> Html {
    let group = |importance: Importance, ko: &'static str| {
        html! {
            <div class="group">
                <h3>{ lang.pick(importance.label(), ko) }</h3>
                { for PRODUCER_DOCS.iter().filter(|d| d.importance == importance)
                    .map(|d| property_row(Section::Producer, d, w, on_set, lang)) }
            </div>
        }
    };
    html! {
        <>
            { group(Importance::High, "중요도 높음") }
            { group(Importance::Medium, "중요도 중간") }
            { group(Importance::Low, "중요도 낮음") }
        </>
    }
}

/// The brokers' configs, one value for every broker.
pub fn broker_panel(w: &Workload, on_set: &Callback<Setting>, lang: Lang) -> Html {
    html! {
        { for BROKER_DOCS.iter().map(|d| property_row(Section::Broker, d, w, on_set, lang)) }
    }
}

/// The topic's configs (the topic's creation parameters are the app's own controls).
pub fn topic_panel(w: &Workload, on_set: &Callback<Setting>, lang: Lang) -> Html {
    html! {
        { for TOPIC_DOCS.iter().map(|d| property_row(Section::Topic, d, w, on_set, lang)) }
    }
}

/// The consumers' configs: both consumers take them; each keeps its `isolation.level`.
pub fn consumer_panel(w: &Workload, on_set: &Callback<Setting>, lang: Lang) -> Html {
    html! {
        { for CONSUMER_DOCS.iter().map(|d| property_row(Section::Consumer, d, w, on_set, lang)) }
    }
}

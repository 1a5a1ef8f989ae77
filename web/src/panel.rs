//! The producer config panel: every property the core models, grouped by Kafka's own
//! importance, each with the chosen version's default and a line in English and Korean.
//! "default" leaves the property unset, which matters: Kafka treats an explicitly set
//! `enable.idempotence` differently from its default.

use crate::i18n::Lang;
use crate::workload::{Setting, Workload};
use kafka_lab::config::{
    partitioner_class_available, producer_default, Importance, PropertyDoc, PRODUCER_DOCS,
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

/// The DOM id of a property's select: `batch.size` → `batch-size`.
pub fn control_id(name: &str) -> String {
    name.replace('.', "-")
}

fn property_row(
    doc: &PropertyDoc,
    w: &Workload,
    v: KafkaVersion,
    on_set: &Callback<Setting>,
    lang: Lang,
) -> Html {
    let id = control_id(doc.name);
    let hint = lang.pick(doc.en, doc.ko);
    let Some(default) = producer_default(doc.name, v) else {
        let since = doc.name.starts_with("partitioner.");
        let absent = match (lang, since) {
            (Lang::En, true) => format!("not in Kafka {v} (since 3.3)"),
            (Lang::En, false) => format!("not in Kafka {v}"),
            (Lang::Ko, true) => format!("Kafka {v}에는 없음 (3.3부터)"),
            (Lang::Ko, false) => format!("Kafka {v}에는 없음"),
        };
        return html! {
            <label class="control absent" for={id.clone()}>
                <span class="name mono">{ doc.name }</span>
                <select id={id} disabled=true><option>{ absent }</option></select>
                <span class="hint">{ hint }</span>
            </label>
        };
    };
    let current = w.producer.get(doc.name).cloned().unwrap_or_default();
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
        Setting::Producer(name.clone(), select.value())
    });
    html! {
        <label class={if current.is_empty() { "control" } else { "control set" }} for={id.clone()}>
            <span class="name mono">{ doc.name }</span>
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

pub fn producer_panel(w: &Workload, on_set: &Callback<Setting>, lang: Lang) -> Html {
    let v = w.version();
    let group = |importance: Importance, ko: &'static str| {
        html! {
            <div class="group">
                <h3>{ lang.pick(importance.label(), ko) }</h3>
                { for PRODUCER_DOCS.iter().filter(|d| d.importance == importance).map(|d| property_row(d, w, v, on_set, lang)) }
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

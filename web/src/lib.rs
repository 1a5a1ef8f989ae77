//! Kafka Lab in the browser: renders the core's state and forwards the user's intent.

pub mod app;
pub mod charts;
pub mod controls;
pub mod decimal;
pub mod events;
pub mod facts;
pub mod i18n;
pub mod inspector;
pub mod layout;
pub mod lesson;
pub mod lifecycle;
pub mod painter;
pub mod panel;
pub mod share;
pub mod stage;
pub mod timeline;
pub mod txn;
pub mod workload;

pub use app::App;
use wasm_bindgen::prelude::*;

/// Entry point called by `www/index.html` once the module is initialised.
#[wasm_bindgen]
pub fn run() {
    // A panic is a bug; the module stops (panic = abort). Say so on the page rather than
    // leave a class looking at a frozen picture.
    std::panic::set_hook(Box::new(|info| report_panic(&info.to_string())));
    let root = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("app"));
    match root {
        Some(root) => {
            yew::Renderer::<App>::with_root(root).render();
        }
        None => web_sys::console::error_1(&"Kafka Lab: index.html has no #app element".into()),
    }
}

/// Runs a scenario to its end with nothing of the app around it and returns the events
/// processed (0 for a scenario that does not load): the core's own speed in wasm, with
/// the shipped build's optimisation, for `npm run bench:load` to set against the native
/// `cargo bench`.
#[wasm_bindgen]
pub fn bench_run(json: &str) -> f64 {
    let Ok(scenario) = kafka_lab::Scenario::from_json(json) else {
        return 0.0;
    };
    let Ok(mut sim) = kafka_lab::Simulation::new(&scenario) else {
        return 0.0;
    };
    sim.run();
    sim.steps() as f64
}

/// Puts the report of a panic (`what`) on top of the page, as text.
pub fn report_panic(what: &str) {
    web_sys::console::error_1(&format!("Kafka Lab panicked: {what}").into());
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let (Ok(report), Some(body)) = (document.create_element("div"), document.body()) else {
        return;
    };
    let korean = document
        .document_element()
        .and_then(|e| e.get_attribute("lang"))
        .is_some_and(|l| l == "ko");
    let text = if korean {
        format!("Kafka Lab이 내부 오류(버그)로 멈췄습니다. 페이지를 새로 고치면 다시 시작합니다. 이 주소와 다음 내용을 알려 주세요: {what}")
    } else {
        format!("Kafka Lab stopped on an internal error (a bug). Reload the page to start again, and please report it with this address and: {what}")
    };
    report.set_id("panic-report");
    let _ = report.set_attribute("role", "alert");
    report.set_text_content(Some(&text));
    let _ = body.prepend_with_node_1(&report);
}

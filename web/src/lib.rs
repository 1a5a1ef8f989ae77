//! Kafka Lab in the browser: renders the core's state and forwards the user's intent.

pub mod app;
pub mod charts;
pub mod controls;
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

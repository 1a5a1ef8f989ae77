//! The real `App` mounted in headless Chromium (`wasm-pack test --headless --chrome web`),
//! asserting on the DOM it renders and on its reaction to the controls.

use std::time::Duration;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{Element, Event, HtmlSelectElement};

wasm_bindgen_test_configure!(run_in_browser);

fn mount() -> Element {
    let document = web_sys::window().unwrap().document().unwrap();
    let div = document.create_element("div").unwrap();
    document.body().unwrap().append_child(&div).unwrap();
    yew::Renderer::<kafka_lab_web::App>::with_root(div.clone()).render();
    div
}

async fn settle() {
    yew::platform::time::sleep(Duration::from_millis(30)).await;
}

fn count(root: &Element, selector: &str) -> u32 {
    root.query_selector_all(selector).unwrap().length()
}

fn choose(root: &Element, id: &str, value: &str) {
    let select: HtmlSelectElement = root
        .query_selector(&format!("#{id}"))
        .unwrap()
        .unwrap_or_else(|| panic!("no #{id}"))
        .dyn_into()
        .unwrap();
    select.set_value(value);
    select
        .dispatch_event(&Event::new("change").unwrap())
        .unwrap();
}

#[wasm_bindgen_test]
async fn renders_every_stage_of_the_pipeline() {
    let root = mount();
    settle().await;
    let html = root.inner_html();
    for stage in [
        "Producer app",
        "StringSerializer",
        "Partitioner",
        "RecordAccumulator",
        "Sender",
        "Network",
        "Brokers",
    ] {
        assert!(html.contains(stage), "missing {stage}");
    }
    assert_eq!(count(&root, ".acc-row"), 3);
    assert_eq!(count(&root, ".broker"), 3);
    assert!(html.contains("record-send-total"));
}

#[wasm_bindgen_test]
async fn partitions_and_acks_controls_change_what_is_drawn() {
    let root = mount();
    settle().await;
    choose(&root, "partitions", "5");
    settle().await;
    assert_eq!(count(&root, ".acc-row"), 5);
    assert_eq!(count(&root, ".broker .log"), 5);
    choose(&root, "acks", "0");
    settle().await;
    assert!(root.inner_html().contains("acks=0: no response"));
    // acks=0 turns the 3.0+ default idempotence off, as Kafka logs it.
    assert!(root
        .inner_html()
        .contains("Idempotence will be disabled because acks is set to 0"));
}

#[wasm_bindgen_test]
async fn stepping_shows_the_next_event() {
    let root = mount();
    settle().await;
    let click = |id: &str| {
        let el: web_sys::HtmlElement = root
            .query_selector(id)
            .unwrap()
            .unwrap()
            .dyn_into()
            .unwrap();
        el.click();
    };
    click("#play"); // pause
    settle().await;
    let newest = |root: &Element| {
        root.query_selector(".events li")
            .unwrap()
            .map(|li| li.text_content().unwrap_or_default())
    };
    let mut seen = vec![newest(&root)];
    for _ in 0..4 {
        click("#step");
        settle().await;
        let now = newest(&root);
        assert!(!seen.contains(&now), "each step shows a new event: {now:?}");
        seen.push(now);
    }
    assert!(
        root.inner_html().contains("Play"),
        "stepping leaves playback paused"
    );
}

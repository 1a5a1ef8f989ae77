//! The real `App` mounted in headless Chromium (`wasm-pack test --headless --chrome web`),
//! asserting on the DOM it renders and on its reaction to the controls.

use std::time::Duration;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{Element, Event, HtmlSelectElement};

wasm_bindgen_test_configure!(run_in_browser);

fn mount() -> Element {
    let window = web_sys::window().unwrap();
    // The tests share one page, and a paused app writes its state into the address
    // bar, which the next app would open: each starts from a bare address.
    let bare = window.location().pathname().unwrap();
    window
        .history()
        .unwrap()
        .replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&bare))
        .unwrap();
    let document = window.document().unwrap();
    let div = document.create_element("div").unwrap();
    document.body().unwrap().append_child(&div).unwrap();
    yew::Renderer::<kafka_lab_web::App>::with_root(div.clone()).render();
    div
}

async fn settle() {
    yew::platform::time::sleep(Duration::from_millis(30)).await;
}

/// Waits until `ready` holds, up to two seconds: the apps of earlier tests keep playing
/// in this page, so a component's re-render may come a few frames later.
async fn eventually(ready: impl Fn() -> bool) -> bool {
    for _ in 0..200 {
        if ready() {
            return true;
        }
        yew::platform::time::sleep(Duration::from_millis(10)).await;
    }
    ready()
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

/// Clicks an SVG element (which has no `click()`): Yew listens at the root, so the
/// event must bubble up to it.
fn click_svg(el: &Element) {
    let init = web_sys::EventInit::new();
    init.set_bubbles(true);
    el.dispatch_event(&Event::new_with_event_init_dict("click", &init).unwrap())
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
    let moved = root
        .query_selector("#moved-keys")
        .unwrap()
        .expect("moved keys shown");
    assert!(moved
        .text_content()
        .unwrap_or_default()
        .contains("3 → 5 partitions"));
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

#[wasm_bindgen_test]
async fn partitioner_and_serializer_controls_reach_the_producer() {
    let root = mount();
    settle().await;
    // Every modelled producer property has a control, grouped by Kafka's importance.
    for id in [
        "key-serializer",
        "partitioner-class",
        "partitioner-ignore-keys",
        "partitioner-availability-timeout-ms",
        "max-in-flight-requests-per-connection",
    ] {
        assert_eq!(count(&root, &format!("#{id}")), 1, "no control #{id}");
    }
    assert!(root.inner_html().contains("high importance"));
    // 4.0 no longer ships DefaultPartitioner; 3.8 does, and has KAFKA-9965.
    assert!(!root.inner_html().contains(">DefaultPartitioner<"));
    choose(&root, "kafka-version", "3.8");
    assert!(eventually(|| root.inner_html().contains(">DefaultPartitioner<")).await);
    choose(
        &root,
        "partitioner-class",
        "org.apache.kafka.clients.producer.RoundRobinPartitioner",
    );
    settle().await;
    let html = root.inner_html();
    assert!(
        html.contains("round robin (KAFKA-9965)"),
        "the box names the defect"
    );
    assert!(
        html.contains("KAFKA-9965 in Kafka 3.8"),
        "and the facts explain it"
    );
    // IntegerSerializer: the serializer box shows 4 big-endian bytes.
    choose(&root, "key-serializer", "IntegerSerializer");
    settle().await;
    let html = root.inner_html();
    assert!(html.contains("IntegerSerializer"));
    assert!(html.contains("4 bytes, big-endian"));
    assert!(!html.contains("config-error"), "a valid choice is applied");
}

#[wasm_bindgen_test]
async fn custom_partitioner_fails_null_keys_in_send() {
    let root = mount();
    settle().await;
    choose(&root, "partitioner-class", "CustomPartitioner");
    choose(&root, "keys", "null");
    let text = |sel: &str| {
        root.query_selector(sel)
            .unwrap()
            .and_then(|e| e.text_content())
            .unwrap_or_default()
    };
    for _ in 0..100 {
        settle().await;
        if text("#send-count").parse::<u32>().unwrap_or(0) > 0 {
            break;
        }
    }
    assert!(root.inner_html().contains("rule table"));
    assert_eq!(text("#last-decision"), "InvalidRecordException");
}

#[wasm_bindgen_test]
async fn sync_sends_block_the_caller() {
    let root = mount();
    settle().await;
    choose(&root, "send-mode", "sync");
    settle().await;
    let html = root.inner_html();
    assert!(html.contains("send(r).get()"));
    assert!(html.contains("get() blocks the caller"));
    // While a record is outstanding the app box says which one get() waits for.
    let mut seen = false;
    for _ in 0..100 {
        settle().await;
        if root.query_selector("#blocked").unwrap().is_some() {
            seen = true;
            break;
        }
    }
    assert!(seen, "get() is seen waiting");
}

#[wasm_bindgen_test]
async fn clicking_a_batch_opens_the_inspector_and_shows_its_bytes_once_drained() {
    let root = mount();
    settle().await;
    let click = |sel: &str| {
        let el: web_sys::HtmlElement = root
            .query_selector(sel)
            .unwrap()
            .unwrap_or_else(|| panic!("no {sel}"))
            .dyn_into()
            .unwrap();
        el.click();
    };
    click("#play"); // pause
    settle().await;
    choose(&root, "compression-type", "gzip");
    settle().await;
    // Step until a batch sits in the accumulator, then open it.
    for _ in 0..50 {
        if count(&root, "g.batch") > 0 {
            break;
        }
        click("#step");
        settle().await;
    }
    let batch = root
        .query_selector("g.batch")
        .unwrap()
        .expect("a batch to click");
    click_svg(&batch);
    settle().await;
    let inspector = root
        .query_selector("#inspector")
        .unwrap()
        .expect("inspector open");
    let text = inspector.text_content().unwrap_or_default();
    assert!(
        text.contains("compression.type") && text.contains("gzip"),
        "{text}"
    );
    assert!(
        count(&root, "#batch-hex-pending") == 1,
        "not written while open"
    );
    // Step on until the sender has drained it: its v2 bytes appear, magic byte 02 at 16.
    for _ in 0..200 {
        if count(&root, "#batch-hex") > 0 {
            break;
        }
        click("#step");
        settle().await;
    }
    let hex = root
        .query_selector("#batch-hex")
        .unwrap()
        .expect("bytes shown");
    assert!(hex
        .query_selector("span[title=magic]")
        .unwrap()
        .is_some_and(|m| m.text_content().unwrap_or_default() == "02"));
    click(".inspector .close");
    settle().await;
    assert_eq!(count(&root, "#inspector"), 0);
}

#[wasm_bindgen_test]
async fn replication_factor_adds_follower_replicas() {
    let root = mount();
    settle().await;
    choose(&root, "replication-factor", "3");
    settle().await;
    assert_eq!(count(&root, ".broker .log"), 9, "3 partitions × 3 replicas");
    assert_eq!(count(&root, ".broker .log.leader"), 3);
    assert_eq!(count(&root, ".broker .log.follower"), 6);
    let roles = root.query_selector_all(".log.leader .role").unwrap();
    for i in 0..roles.length() {
        let text = roles.get(i).unwrap().text_content().unwrap_or_default();
        let isr = text
            .strip_prefix("♛ e0 · ISR ")
            .unwrap_or_else(|| panic!("{text}"));
        assert_eq!(
            isr.split(',').count(),
            3,
            "all three replicas in sync: {text}"
        );
    }
}

#[wasm_bindgen_test]
async fn clicking_a_replica_shows_its_followers_and_why_the_high_watermark_is_there() {
    let root = mount();
    settle().await;
    choose(&root, "replication-factor", "3");
    settle().await;
    let leader = root
        .query_selector(".log.leader")
        .unwrap()
        .expect("a leader replica");
    click_svg(&leader);
    settle().await;
    let panel = root
        .query_selector("#replica-inspector")
        .unwrap()
        .expect("replica inspector open");
    let text = panel.text_content().unwrap_or_default();
    assert!(text.contains("leader") && text.contains("ISR"), "{text}");
    assert_eq!(count(&root, "#followers tbody tr"), 2, "two followers");
    assert_eq!(
        count(&root, "#producer-state"),
        1,
        "the producer-state table"
    );
    assert!(root.query_selector("#hw-why").unwrap().is_some_and(|e| e
        .text_content()
        .unwrap_or_default()
        .contains("smallest LEO")));
}

#[wasm_bindgen_test]
fn a_panic_is_reported_on_the_page_as_text() {
    let document = web_sys::window().unwrap().document().unwrap();
    kafka_lab_web::report_panic("<b>boom</b> at app.rs:1:1");
    let report = document.get_element_by_id("panic-report").expect("shown");
    assert_eq!(report.get_attribute("role").as_deref(), Some("alert"));
    let text = report.text_content().unwrap();
    assert!(text.contains("Reload the page"), "{text}");
    // The message is text, never markup.
    assert!(text.contains("<b>boom</b> at app.rs:1:1"), "{text}");
    assert_eq!(report.children().length(), 0);
    report.remove();
}

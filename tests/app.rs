//! Browser test: mounts the app into a fresh element and checks the rendered DOM.
//! Run with `scripts/test.sh` (wasm suite); it is empty on native targets.
#![cfg(target_arch = "wasm32")]

use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn fresh_host() -> web_sys::HtmlElement {
    let document = web_sys::window().unwrap().document().unwrap();
    let host = document.create_element("div").unwrap();
    document.body().unwrap().append_child(&host).unwrap();
    host.dyn_into().unwrap()
}

#[wasm_bindgen_test]
fn app_renders_heading_and_main() {
    let host = fresh_host();
    let handle = leptos::mount::mount_to(host.clone(), workbench::App);

    let h1 = host.query_selector("header h1").unwrap().expect("an <h1> in the header");
    assert_eq!(h1.text_content().as_deref(), Some("PingOne Sign-On Workbench"));
    assert!(host.query_selector("main").unwrap().is_some(), "a <main> element");

    drop(handle); // unmounts
    assert_eq!(host.child_element_count(), 0, "unmounting removes the app");
    host.remove();
}

//! Shared helpers of the browser tests: mount the workbench around a pinned store, find and
//! click real DOM nodes, wait for the run.
#![allow(dead_code)]

use leptos::prelude::*;
use pingone::workflow::{StepId, StepStatus};
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlElement, HtmlInputElement};
use workbench::app::Workbench;
use workbench::state::{Store, StoreOptions};

pub const PASSWORD: &str = "Correct-Horse-9!";

pub fn options(seed: u64) -> StoreOptions {
    StoreOptions {
        seed: Some(seed),
        latency_ms: 0,
        persist: false,
        suffix: Some(format!("t{seed}")),
        password: Some(PASSWORD.to_string()),
    }
}

pub fn document() -> web_sys::Document {
    web_sys::window().unwrap().document().unwrap()
}

pub fn fresh_host() -> HtmlElement {
    let host = document().create_element("div").unwrap();
    document().body().unwrap().append_child(&host).unwrap();
    host.dyn_into().unwrap()
}

/// A mounted workbench; unmounts and removes its host when dropped.
pub struct Mounted {
    pub store: Store,
    pub host: HtmlElement,
    handle: Option<leptos::mount::UnmountHandle<leptos::tachys::view::any_view::AnyViewState>>,
}

impl Drop for Mounted {
    fn drop(&mut self) {
        self.handle.take();
        self.host.remove();
    }
}

pub fn mount_workbench(opts: StoreOptions) -> Mounted {
    let host = fresh_host();
    let store = Store::new(opts);
    let handle = leptos::mount::mount_to(host.clone(), move || view! { <Workbench store=store/> }.into_any());
    Mounted { store, host, handle: Some(handle) }
}

/// Mounts any view with the store in context (for the phase components alone).
pub fn mount_with_store<F, V>(opts: StoreOptions, f: F) -> Mounted
where
    F: FnOnce() -> V + 'static,
    V: IntoView + 'static,
{
    let host = fresh_host();
    let store = Store::new(opts);
    let handle = leptos::mount::mount_to(host.clone(), move || {
        provide_context(store);
        f().into_any()
    });
    Mounted { store, host, handle: Some(handle) }
}

pub async fn sleep(ms: u32) {
    workbench::transport::sleep_ms(ms).await;
}

/// Polls `f` every 5 ms until it holds or `timeout_ms` passes.
pub async fn wait_until(timeout_ms: f64, mut f: impl FnMut() -> bool) -> bool {
    let start = js_sys::Date::now();
    loop {
        if f() {
            return true;
        }
        if js_sys::Date::now() - start > timeout_ms {
            return false;
        }
        sleep(5).await;
    }
}

pub fn all(root: &Element, selector: &str) -> Vec<Element> {
    let list = root.query_selector_all(selector).unwrap();
    (0..list.length()).filter_map(|i| list.item(i)).filter_map(|n| n.dyn_into().ok()).collect()
}

pub fn one(root: &Element, selector: &str) -> Element {
    root.query_selector(selector).unwrap().unwrap_or_else(|| panic!("no element matches {selector}"))
}

pub fn text(el: &Element) -> String {
    el.text_content().unwrap_or_default()
}

/// The button whose text (its accessible name here) is exactly `name`.
pub fn button(root: &Element, name: &str) -> HtmlElement {
    find_button(root, name).unwrap_or_else(|| {
        let names: Vec<String> = all(root, "button").iter().map(|b| text(b).trim().to_string()).collect();
        panic!("no button named {name:?}; buttons: {names:?}")
    })
}

pub fn find_button(root: &Element, name: &str) -> Option<HtmlElement> {
    all(root, "button").into_iter().find(|b| text(b).trim() == name).and_then(|b| b.dyn_into().ok())
}

pub fn is_disabled(el: &HtmlElement) -> bool {
    el.has_attribute("disabled")
}

pub fn click(el: &HtmlElement) {
    el.click();
}

/// Types into an input as a person would (value + an `input` event).
pub fn type_into(input: &Element, value: &str) {
    let input: HtmlInputElement = input.clone().dyn_into().unwrap();
    input.set_value(value);
    dispatch(&input, "input");
}

/// Dispatches a bubbling event of type `kind` at `el`.
pub fn dispatch(el: &Element, kind: &str) {
    let init = web_sys::EventInit::new();
    init.set_bubbles(true);
    let ev = web_sys::Event::new_with_event_init_dict(kind, &init).unwrap();
    el.dispatch_event(&ev).unwrap();
}

/// Submits the form that holds `el` (through its submit button, as a person would).
pub fn submit(form: &Element) {
    let btn = one(form, "button[type=submit]");
    btn.dyn_into::<HtmlElement>().unwrap().click();
}

pub fn status(store: &Store, id: StepId) -> StepStatus {
    store.progress.with_untracked(|p| p.status(id))
}

/// Clicks Step until step `id` is next in order (each click waits for its step to finish).
pub async fn step_until(m: &Mounted, id: StepId) {
    for _ in 0..30 {
        if m.store.next_step.get_untracked() == Some(id) && !m.store.busy.get_untracked() {
            return;
        }
        let next = m.store.next_step.get_untracked().expect("a next step");
        click(&button(&m.host, "Step"));
        assert!(wait_until(10_000.0, || !m.store.busy.get_untracked()).await, "step {} did not finish", next.number());
        if next == StepId::CheckOtp && status(&m.store, next) == StepStatus::NeedsInput {
            // A person reads the code in the sandbox inbox and types it.
            let otp = text(&one(&m.host, ".inbox .otp"));
            let form = one(&m.host, "form[aria-label='Enter the one-time passcode']");
            type_into(&one(&form, "#otp"), &otp);
            submit(&form);
            assert!(
                wait_until(10_000.0, || status(&m.store, next) != StepStatus::Running && !m.store.busy.get_untracked())
                    .await
            );
        }
        let st = status(&m.store, next);
        assert!(st.is_settled(), "step {} ended {:?}: {:?}", next.number(), st, m.store.run_of(next).error);
    }
    panic!("never reached step {}", id.number());
}

/// The dom text of the step card `n`.
pub fn step_card(m: &Mounted, n: u8) -> Element {
    one(&m.host, &format!("li.step[data-step='{n}']"))
}

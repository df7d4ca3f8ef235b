//! Embedding the workbench in documentation pages (docs/embedding.md).
//!
//! Two ways, one module (`workbench-embed`: this crate with the `embed` feature; the app's page
//! is built without it):
//! - an `<iframe>` showing `embed/frame.html` (a framed `index.html` goes there) with options in
//!   the query string ([`Kind::Frame`]);
//! - `embed/embed.js`, which loads this module once and calls [`mount`] for every
//!   `[data-pingone-workbench]` element, each in its own shadow root ([`Kind::Script`]).
//!
//! Every instance has its own [`Store`] (so its own sandbox worker), keeps nothing in web
//! storage, applies its theme to its own root, and talks to the host page with versioned
//! `postMessage` messages ([`Bus`]) that never carry a secret.

pub mod options;

use crate::app::{parent_window, EmbeddedWorkbench};
use crate::runner::{self, perf_now};
use crate::state::{Mode, RunMode, Store, StoreOptions};
use crate::transport::sleep_ms;
use leptos::prelude::*;
use leptos::task::spawn_local;
use pingone::workflow::{StepId, StepStatus, STEPS};
use serde_json::{json, Value};
use std::any::Any;
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::HtmlElement;

pub use options::{EmbedOptions, Kind, Parsed, Problem, Theme, LAST_STEP};

/// `source` of every message the embed posts.
pub const MESSAGE_SOURCE: &str = "pingone-workbench";
/// `version` of the message schema (docs/embedding.md); bumped on incompatible changes.
pub const MESSAGE_VERSION: u32 = 1;

/// One embedded instance.
#[derive(Clone)]
pub struct Embed {
    pub id: String,
    pub kind: Kind,
    pub options: EmbedOptions,
    pub problems: Vec<Problem>,
    /// The host element (script include): its computed `color-scheme` is the `host` theme.
    pub host: Option<HtmlElement>,
}

impl Embed {
    pub fn bus(&self) -> Bus {
        Bus {
            id: Rc::from(self.id.as_str()),
            kind: self.kind,
            target: Rc::from(self.options.host_origin.as_deref().unwrap_or("*")),
        }
    }

    /// The step is one the instance shows.
    pub fn shows(&self, id: StepId) -> bool {
        (self.options.first..=self.options.last).contains(&id.number())
    }

    fn shown_ids(&self) -> impl Iterator<Item = StepId> + '_ {
        STEPS.iter().map(|s| s.id).filter(|id| self.shows(*id))
    }
}

/// The instance's side of the host messages.
#[derive(Clone)]
pub struct Bus {
    id: Rc<str>,
    kind: Kind,
    /// `postMessage`'s target origin (iframe): `host-origin`, or `*` (messages hold no secret).
    target: Rc<str>,
}

impl Bus {
    /// Posts `{source, version, instance, type, ...fields}` to the host page: to the parent
    /// window from an iframe, to the page itself from a script include.
    pub fn post(&self, kind: &str, fields: Value) {
        let mut msg = json!({
            "source": MESSAGE_SOURCE,
            "version": MESSAGE_VERSION,
            "instance": &*self.id,
            "type": kind,
        });
        if let (Some(m), Value::Object(f)) = (msg.as_object_mut(), fields) {
            m.extend(f);
        }
        let Ok(data) = js_sys::JSON::parse(&msg.to_string()) else { return };
        let Some(w) = web_sys::window() else { return };
        let _ = match self.kind {
            Kind::Frame => match parent_window() {
                Some(parent) => parent.post_message(&data, &self.target),
                None => Ok(()),
            },
            // "/" = this page's own origin.
            Kind::Script => w.post_message(&data, "/"),
        };
    }
}

/// The embed's own reactive state next to the store.
#[derive(Clone, Copy)]
pub struct EmbedState {
    /// Pre-running the hidden steps, or running the shown ones step by step.
    pub working: RwSignal<bool>,
    /// The theme on the instance root: `auto`, `light` or `dark`.
    pub theme: RwSignal<&'static str>,
}

// ---------------------------------------------------------------------------------------------
// Mounting

thread_local! {
    static INSTANCES: RefCell<Vec<Instance>> = const { RefCell::new(Vec::new()) };
    static COUNTER: Cell<u32> = const { Cell::new(0) };
}

struct Instance {
    id: String,
    store: Rc<Cell<Option<Store>>>,
    handle: Box<dyn Any>,
}

/// The instance id: the `id` option unless another instance on the page has it.
fn instance_id(parsed: &mut Parsed) -> String {
    let taken = |id: &str| INSTANCES.with(|i| i.borrow().iter().any(|x| x.id == id));
    if let Some(id) = parsed.options.id.clone() {
        if !taken(&id) {
            return id;
        }
        parsed.problems.push(Problem {
            option: "id".into(),
            value: id,
            message: "another instance on this page has this id; a generated one is used".into(),
        });
    }
    loop {
        let n = COUNTER.with(|c| {
            c.set(c.get() + 1);
            c.get()
        });
        let id = format!("wb-{n}");
        if !taken(&id) {
            return id;
        }
    }
}

fn mount_instance(container: HtmlElement, kind: Kind, mut parsed: Parsed, host: Option<HtmlElement>) -> String {
    let id = instance_id(&mut parsed);
    let embed = Embed { id: id.clone(), kind, options: parsed.options, problems: parsed.problems, host };
    let store = Rc::new(Cell::new(None));
    let slot = store.clone();
    let handle = leptos::mount::mount_to(container, move || {
        let s = new_store(&embed.options);
        slot.set(Some(s));
        view! { <EmbeddedWorkbench store=s embed=embed/> }
    });
    INSTANCES.with(|i| i.borrow_mut().push(Instance { id: id.clone(), store, handle: Box::new(handle) }));
    id
}

/// A store of its own: nothing restored from or saved to sessionStorage.
fn new_store(o: &EmbedOptions) -> Store {
    let store = Store::new(StoreOptions { persist: false, ..StoreOptions::default() });
    if o.mode == Mode::Live {
        store.switch_mode(Mode::Live);
    }
    store
}

/// Script include: mounts an instance into `container` (inside the shadow root `embed.js`
/// attached to `host`), with the options in `host`'s `data-` attributes. Returns its id.
pub fn mount(host: HtmlElement, container: HtmlElement) -> String {
    let names = host.get_attribute_names();
    let attrs: Vec<(String, String)> = names
        .iter()
        .filter_map(|n| n.as_string())
        .map(|n| {
            let v = host.get_attribute(&n).unwrap_or_default();
            (n, v)
        })
        .collect();
    let pairs = options::attribute_pairs(attrs.iter().map(|(n, v)| (n.as_str(), v.as_str())));
    mount_instance(container, Kind::Script, options::parse(&pairs, Kind::Script), Some(host))
}

/// Iframe (`embed/frame.html` through `embed.js`): mounts the instance into `container`, with
/// the options in this page's query string. Returns its id.
pub fn mount_frame(container: HtmlElement) -> String {
    let search = web_sys::window().and_then(|w| w.location().search().ok()).unwrap_or_default();
    mount_instance(container, Kind::Frame, options::parse(&options::query_pairs(&search), Kind::Frame), None)
}

/// Removes an instance (its host element left the page). A run in progress ends first; then
/// the view, the store and the instance's sandbox worker go.
pub fn unmount(id: &str) -> bool {
    let found = INSTANCES.with(|i| {
        let mut i = i.borrow_mut();
        let at = i.iter().position(|x| x.id == id)?;
        Some(i.remove(at))
    });
    let Some(instance) = found else { return false };
    spawn_local(async move {
        if let Some(store) = instance.store.get() {
            // Start over ends the run (a new generation) and lets go of the sandbox worker.
            store.reset(&StoreOptions::default());
            while store.busy.try_get_untracked() == Some(true) {
                sleep_ms(100).await;
            }
            // The runner's tasks still waiting for an answer read the store once more when it
            // arrives, to learn that they are abandoned: the store outlives them.
            sleep_ms(10_000).await;
        }
        drop(instance.handle);
    });
    true
}

/// The module's exports for `embed/embed.js`.
mod exports {
    mod js {
        use wasm_bindgen::prelude::*;
        use web_sys::HtmlElement;

        #[wasm_bindgen]
        pub fn mount(host: HtmlElement, container: HtmlElement) -> String {
            crate::embed::mount(host, container)
        }

        #[wasm_bindgen(js_name = mountFrame)]
        pub fn mount_frame(container: HtmlElement) -> String {
            crate::embed::mount_frame(container)
        }

        #[wasm_bindgen]
        pub fn unmount(id: &str) -> bool {
            crate::embed::unmount(id)
        }
    }
}

/// `embed.js` defines `window.PingOneWorkbench` before it starts this module: then `main`
/// leaves mounting to it.
pub fn loaded_by_embed_loader() -> bool {
    let global = js_sys::global();
    js_sys::Reflect::get(&global, &JsValue::from_str("PingOneWorkbench")).is_ok_and(|v| v.is_object())
}

/// The embed module's start (`main`): nothing when `embed.js` loaded the module (it mounts each
/// instance through [`mount`] and [`mount_frame`]); otherwise one iframe embed in `<body>`, with
/// the options in the page's query string.
pub fn boot() {
    if loaded_by_embed_loader() {
        return;
    }
    let Some(w) = web_sys::window() else { return };
    let search = w.location().search().unwrap_or_default();
    if let Some(body) = w.document().and_then(|d| d.body()) {
        mount_instance(body, Kind::Frame, options::parse(&options::query_pairs(&search), Kind::Frame), None);
    }
}

// ---------------------------------------------------------------------------------------------
// Running

fn alive(store: Store) -> bool {
    store.run_mode.try_get_untracked().is_some()
}

fn status(store: Store, id: StepId) -> Option<StepStatus> {
    store.progress.try_with_untracked(|p| p.status(id))
}

/// Runs one step and waits for it; in the sandbox the OTP step reads the code from the inbox.
/// `None` when the instance went away.
async fn run_one(store: Store, id: StepId) -> Option<StepStatus> {
    let mut otp_sent = false;
    let _ = store.continue_all.try_set(false);
    if id == StepId::CheckOtp && store.mode.get_untracked() == Mode::Sandbox {
        // As Run all does in the sandbox: the code the sandbox "sent" is in its inbox.
        if let Some(otp) = store.inbox_otp_for_flow() {
            otp_sent = true;
            store.wf.update(|s| s.secrets.otp = Some(pingone::secret::Otp::new(otp)));
        }
    }
    runner::run_step(store, id);
    loop {
        sleep_ms(10).await;
        let mode = store.run_mode.try_get_untracked()?;
        let st = status(store, id)?;
        if mode != RunMode::Idle || st == StepStatus::Running {
            continue;
        }
        if st == StepStatus::NeedsInput && id == StepId::CheckOtp && !otp_sent && store.mode.get_untracked() == Mode::Sandbox {
            if let Some(otp) = store.inbox_otp_for_flow() {
                otp_sent = true;
                let _ = runner::submit_otp(store, otp);
                continue;
            }
        }
        return Some(st);
    }
}

/// Runs the steps before the first shown one, in documented order (sandbox only). `Err` names
/// the step that did not finish.
async fn prerun(store: Store, embed: &Embed) -> Result<(), Option<StepId>> {
    for n in 0..embed.options.first {
        let Some(id) = StepId::from_number(n) else { continue };
        if status(store, id).ok_or(None)?.is_settled() {
            continue;
        }
        if !run_one(store, id).await.ok_or(None)?.is_settled() {
            return Err(Some(id));
        }
    }
    Ok(())
}

fn settled_shown(store: Store, embed: &Embed) -> bool {
    store.progress.try_with_untracked(|p| embed.shown_ids().all(|id| p.status(id).is_settled())).unwrap_or(false)
}

/// The embed's Run (its button, `auto-run`, the host's `run` command): pre-runs what is hidden
/// before the shown steps, then runs the shown ones: Run all when they reach the last step,
/// else one by one. Once everything shown is done, Run starts over with a new sandbox.
pub fn run(store: Store, embed: Embed, st: EmbedState) {
    if st.working.get_untracked() || store.busy.get_untracked() {
        return;
    }
    st.working.set(true);
    spawn_local(async move {
        if settled_shown(store, &embed) {
            runner::start_over(store);
        }
        if let Err(step) = prerun(store, &embed).await {
            if let Some(id) = step {
                embed.bus().post("error", json!({ "code": "prerun-failed", "step": id.number(), "message": failure_line(store, id) }));
            }
            let _ = st.working.try_set(false);
            return;
        }
        if embed.options.last == LAST_STEP {
            let _ = st.working.try_set(false);
            // run-finished comes from the run-mode watcher.
            runner::run_all(store);
            return;
        }
        let t0 = perf_now();
        for id in embed.shown_ids() {
            match status(store, id) {
                None => return,
                Some(s) if s.is_settled() => continue,
                _ => {}
            }
            match run_one(store, id).await {
                None => return,
                Some(s) if s.is_settled() => {}
                Some(_) => break,
            }
        }
        if alive(store) {
            let _ = st.working.try_set(false);
            post_run_finished(store, &embed, Some(perf_now() - t0));
        }
    });
}

/// At mount: reports invalid options, pre-runs the hidden steps, says `ready`, auto-runs.
pub fn start(store: Store, embed: Embed, st: EmbedState) {
    let bus = embed.bus();
    if !embed.problems.is_empty() {
        let problems: Vec<Value> = embed
            .problems
            .iter()
            .map(|p| json!({ "option": p.option, "value": p.value, "message": p.message }))
            .collect();
        bus.post("error", json!({ "code": "invalid-options", "message": "some embed options were ignored", "problems": problems }));
    }
    let sandbox = embed.options.mode == Mode::Sandbox;
    spawn_local(async move {
        if sandbox && embed.options.first > 0 {
            st.working.set(true);
            let t0 = perf_now();
            let result = prerun(store, &embed).await;
            if !alive(store) {
                return;
            }
            let _ = st.working.try_set(false);
            match result {
                Ok(()) => store.say(format!(
                    "Ready: the steps before step {} ran in the sandbox in {} ms; the steps shown are yours to run.",
                    embed.options.first,
                    (perf_now() - t0).round(),
                )),
                Err(Some(id)) => bus.post(
                    "error",
                    json!({ "code": "prerun-failed", "step": id.number(), "message": failure_line(store, id) }),
                ),
                Err(None) => return,
            }
        }
        bus.post(
            "ready",
            json!({ "options": embed.options.to_json(), "steps": [embed.options.first, embed.options.last], "problems": embed.problems.len() }),
        );
        if embed.options.auto_run {
            run(store, embed, st);
        }
    });
}

/// A failed step's heading and PingOne code: never its request, response or a secret.
fn failure_line(store: Store, id: StepId) -> String {
    store
        .runs
        .try_with_untracked(|r| r.get(id as usize).and_then(|r| r.error.clone()))
        .flatten()
        .map(|f| match f.code {
            Some(c) => format!("{} ({c})", f.title),
            None => f.title,
        })
        .unwrap_or_else(|| format!("step {} did not finish", id.number()))
}

fn status_word(s: StepStatus) -> &'static str {
    match s {
        StepStatus::NeedsInput => "needs-input",
        other => other.label(),
    }
}

fn post_run_finished(store: Store, embed: &Embed, duration_ms: Option<f64>) {
    let Some((done, failed, waiting)) = store.progress.try_with_untracked(|p| {
        let count = |f: &dyn Fn(StepStatus) -> bool| embed.shown_ids().filter(|id| f(p.status(*id))).count();
        (count(&|s| s.is_settled()), count(&|s| s == StepStatus::Failed), count(&|s| s == StepStatus::NeedsInput))
    }) else {
        return;
    };
    let total = embed.shown_ids().count();
    let outcome = if done == total {
        "complete"
    } else if failed > 0 {
        "failed"
    } else if waiting > 0 {
        "needs-input"
    } else {
        "stopped"
    };
    embed.bus().post(
        "run-finished",
        json!({ "outcome": outcome, "done": done, "total": total, "duration_ms": duration_ms.map(f64::round) }),
    );
}

/// Posts `step-finished` (and `error` for a failed step) when a shown step settles, fails or
/// waits for input, and `run-finished` when a Run all ends.
pub fn watch(store: Store, embed: Embed) {
    let snapshot = move || store.progress.with(|p| STEPS.iter().map(|s| p.status(s.id)).collect::<Vec<_>>());
    let prev = StoredValue::new(store.progress.with_untracked(|p| STEPS.iter().map(|s| p.status(s.id)).collect::<Vec<_>>()));
    let bus = embed.bus();
    let e = embed.clone();
    Effect::new(move |_| {
        let now = snapshot();
        let old = prev.get_value();
        prev.set_value(now.clone());
        for (step, (&was, &is)) in STEPS.iter().zip(old.iter().zip(now.iter())) {
            let terminal = matches!(is, StepStatus::Done | StepStatus::Skipped | StepStatus::Failed | StepStatus::NeedsInput);
            if was == is || !terminal || !e.shows(step.id) {
                continue;
            }
            let n = step.number();
            let run = store.runs.with_untracked(|r| r.get(n as usize).cloned().unwrap_or_default());
            bus.post(
                "step-finished",
                json!({
                    "step": n,
                    "title": step.title,
                    "phase": crate::phases::slug(step.phase),
                    "status": status_word(is),
                    "duration_ms": run.duration_ms.map(f64::round),
                    "calls": run.calls,
                }),
            );
            if is == StepStatus::Failed {
                bus.post("error", json!({ "code": "step-failed", "step": n, "message": failure_line(store, step.id) }));
            }
        }
    });
    let prev_mode = StoredValue::new(store.run_mode.get_untracked());
    Effect::new(move |_| {
        let mode = store.run_mode.get();
        let was = prev_mode.get_value();
        prev_mode.set_value(mode);
        if was == RunMode::RunningAll && mode == RunMode::Idle {
            let ms = store.run_clock.with_untracked(|c| c.and_then(|c| c.finished_ms.map(|f| f - c.started_ms)));
            post_run_finished(store, &embed, ms);
        }
    });
}

// ---------------------------------------------------------------------------------------------
// Host integration: commands, theme, size

#[wasm_bindgen]
extern "C" {
    type ResizeObserver;
    #[wasm_bindgen(constructor)]
    fn new(cb: &js_sys::Function) -> ResizeObserver;
    #[wasm_bindgen(method)]
    fn observe(this: &ResizeObserver, target: &web_sys::Element);

    type MutationObserver;
    #[wasm_bindgen(constructor)]
    fn new(cb: &js_sys::Function) -> MutationObserver;
    #[wasm_bindgen(method)]
    fn observe(this: &MutationObserver, target: &web_sys::Node, options: &JsValue);
}

/// An observer and its callback: disconnected when the instance's owner goes.
struct Watching {
    observer: JsValue,
    _callback: Closure<dyn FnMut()>,
}

impl Drop for Watching {
    fn drop(&mut self) {
        if let Ok(f) = js_sys::Reflect::get(&self.observer, &JsValue::from_str("disconnect")) {
            if let Some(f) = f.dyn_ref::<js_sys::Function>() {
                let _ = f.call0(&self.observer);
            }
        }
    }
}

fn keep(observer: JsValue, callback: Closure<dyn FnMut()>) {
    StoredValue::new_local(Watching { observer, _callback: callback });
}

fn field(obj: &JsValue, name: &str) -> Option<String> {
    js_sys::Reflect::get(obj, &JsValue::from_str(name)).ok()?.as_string()
}

/// Commands from the host: `{target: "pingone-workbench", type: "run" | "start-over" |
/// "set-theme", instance?, theme?}`. An iframe takes them only from its parent at
/// `host-origin` (none without it); a script include only from its own page.
pub fn listen(store: Store, embed: Embed, st: EmbedState) {
    let origin = embed.options.host_origin.clone();
    let kind = embed.kind;
    let id = embed.id.clone();
    let handle = window_event_listener(leptos::ev::message, move |ev: web_sys::MessageEvent| {
        let Some(w) = web_sys::window() else { return };
        let from = ev.source().map(JsValue::from).unwrap_or(JsValue::NULL);
        let trusted = match kind {
            Kind::Frame => {
                origin.as_deref() == Some(ev.origin().as_str())
                    && parent_window().is_some_and(|p| js_sys::Object::is(&from, p.as_ref()))
            }
            Kind::Script => js_sys::Object::is(&from, w.as_ref()),
        };
        let data = ev.data();
        if !trusted || field(&data, "target").as_deref() != Some(MESSAGE_SOURCE) {
            return;
        }
        if field(&data, "instance").is_some_and(|i| i != id) {
            return;
        }
        match field(&data, "type").as_deref() {
            Some("run") => run(store, embed.clone(), st),
            Some("start-over") if !store.busy.get_untracked() && !st.working.get_untracked() => runner::start_over(store),
            Some("set-theme") => match field(&data, "theme").as_deref().and_then(Theme::parse) {
                Some(Theme::Host) | None => {}
                Some(t) => st.theme.set(t.as_str()),
            },
            _ => {}
        }
    });
    on_cleanup(move || handle.remove());
}

/// `light` or `dark` when the `color-scheme` the page gives the host element names only one of
/// them, else `auto`. Read on the host's parent: the shadow root's `:host { all: initial }`
/// resets the host's own.
fn host_scheme(host: &HtmlElement) -> &'static str {
    let from: web_sys::Element = host.parent_element().unwrap_or_else(|| host.clone().into());
    let scheme = web_sys::window()
        .and_then(|w| w.get_computed_style(&from).ok().flatten())
        .and_then(|s| s.get_property_value("color-scheme").ok())
        .unwrap_or_default();
    match (scheme.contains("dark"), scheme.contains("light")) {
        (true, false) => "dark",
        (false, true) => "light",
        _ => "auto",
    }
}

/// The theme the instance starts with; `host` follows the host page from then on.
pub fn initial_theme(embed: &Embed) -> &'static str {
    match (embed.options.theme, &embed.host) {
        (Theme::Host, Some(host)) => host_scheme(host),
        (Theme::Host, None) => "auto",
        (t, _) => t.as_str(),
    }
}

/// `theme=host` in a script include: re-reads the host's `color-scheme` whenever the host
/// page's `<html>` or `<body>` attributes change (class, style, data-theme...).
pub fn follow_host_theme(embed: &Embed, theme: RwSignal<&'static str>) {
    let (Theme::Host, Some(host)) = (embed.options.theme, embed.host.clone()) else { return };
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else { return };
    let mut targets: Vec<web_sys::Node> = Vec::new();
    if let Some(html) = doc.document_element() {
        targets.push(html.into());
    }
    if let Some(body) = doc.body() {
        targets.push(body.into());
    }
    let opts = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&opts, &JsValue::from_str("attributes"), &JsValue::TRUE);
    let callback = Closure::<dyn FnMut()>::new(move || {
        let t = host_scheme(&host);
        if theme.try_get_untracked().is_some_and(|now| now != t) {
            theme.set(t);
        }
    });
    let observer = MutationObserver::new(callback.as_ref().unchecked_ref());
    for t in &targets {
        observer.observe(t, &opts);
    }
    keep(observer.into(), callback);
}

/// Iframe: reports the content height to the host (`resize`) whenever it changes.
pub fn report_size(embed: &Embed, root: HtmlElement) {
    if embed.kind != Kind::Frame || parent_window().is_none() {
        return;
    }
    let bus = embed.bus();
    let last = Cell::new((-1, -1));
    let el = root.clone();
    let callback = Closure::<dyn FnMut()>::new(move || {
        let size = (el.offset_top() + el.offset_height(), el.offset_width());
        if size != last.get() {
            last.set(size);
            bus.post("resize", json!({ "height": size.0, "width": size.1 }));
        }
    });
    let observer = ResizeObserver::new(callback.as_ref().unchecked_ref());
    observer.observe(&root);
    keep(observer.into(), callback);
}

/// Same-page links (`#step-3`) scroll inside the instance instead of changing the host page's
/// URL (an instance in a shadow root has ids the page cannot see).
pub fn follow_hash_link(ev: &web_sys::MouseEvent, root: &HtmlElement) {
    let Some(link) = ev
        .target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .and_then(|t| t.closest("a[href^='#']").ok().flatten())
    else {
        return;
    };
    let href = link.get_attribute("href").unwrap_or_default();
    let id = &href[1..];
    ev.prevent_default();
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        return;
    }
    if let Ok(Some(target)) = root.query_selector(&format!("[id=\"{id}\"]")) {
        target.scroll_into_view();
        if let Ok(t) = target.dyn_into::<HtmlElement>() {
            let _ = t.focus();
        }
    }
}

/// Sets `--accent` (and a readable `--accent-text`) on the instance root.
pub fn apply_accent(embed: &Embed, root: &HtmlElement) {
    if let Some(accent) = &embed.options.accent {
        let style = root.style();
        let _ = style.set_property("--accent", accent);
        let _ = style.set_property("--accent-text", options::accent_text(accent));
    }
}

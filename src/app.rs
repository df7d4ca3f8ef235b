//! The app root: header, run controls (Run all, Step, Start over, export), the live region,
//! the four phases, and the inspector and sandbox inbox beside them. `EmbeddedWorkbench` (with
//! the `embed` feature: the `workbench-embed` module) is the same app as an embed in a
//! documentation page (docs/embedding.md, `crate::embed`).

use crate::components::inbox::Inbox;
use crate::components::inspector::{download, Inspector, InspectorEmpty};
use crate::lazy::{lazy_fn, lazy_view};
use crate::components::step_card::format_ms;
#[cfg(feature = "embed")]
use crate::embed::{self, Embed, EmbedState, Kind, LAST_STEP};
#[cfg(feature = "embed")]
use crate::phases::ShownSteps;
use crate::phases::{ConnectPhase, ProvisionPhase, SignOnPhase, TokensPhase};
use crate::runner;
use crate::state::{Mode, RunMode, Store, StoreOptions};
use leptos::prelude::*;
#[cfg(feature = "embed")]
use pingone::workflow::Phase;
use pingone::workflow::STEPS;

const THEME_KEY: &str = "pingone-workbench.theme";

#[derive(Clone, Copy, PartialEq, Eq)]
enum Theme {
    Auto,
    Light,
    Dark,
}

impl Theme {
    fn as_str(self) -> &'static str {
        match self {
            Theme::Auto => "auto",
            Theme::Light => "light",
            Theme::Dark => "dark",
        }
    }
    fn next(self) -> Theme {
        match self {
            Theme::Auto => Theme::Light,
            Theme::Light => Theme::Dark,
            Theme::Dark => Theme::Auto,
        }
    }
    fn parse(s: &str) -> Theme {
        match s {
            "light" => Theme::Light,
            "dark" => Theme::Dark,
            _ => Theme::Auto,
        }
    }
}

fn local_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// Applies the theme to `<html data-theme>` (CSS custom properties switch on it).
fn apply_theme(t: Theme) {
    let root = web_sys::window().and_then(|w| w.document()).and_then(|d| d.document_element());
    if let Some(root) = root {
        let _ = match t {
            Theme::Auto => root.remove_attribute("data-theme"),
            _ => root.set_attribute("data-theme", t.as_str()),
        };
    }
}

#[component]
fn ThemeToggle() -> impl IntoView {
    let initial = local_storage()
        .and_then(|s| s.get_item(THEME_KEY).ok().flatten())
        .map(|s| Theme::parse(&s))
        .unwrap_or(Theme::Auto);
    let theme = RwSignal::new(initial);
    apply_theme(initial);
    view! {
        <button
            type="button"
            class="ghost theme-toggle"
            title="Switch between the system theme, light and dark"
            on:click=move |_| {
                let t = theme.get_untracked().next();
                theme.set(t);
                apply_theme(t);
                if let Some(s) = local_storage() {
                    let _ = s.set_item(THEME_KEY, t.as_str());
                }
            }
        >
            {move || format!("Theme: {}", theme.get().as_str())}
        </button>
    }
}

#[component]
fn Toolbar() -> impl IntoView {
    let store = expect_context::<Store>();
    let total = STEPS.len();
    let next_label = move || match store.next_step.get() {
        Some(id) => format!("Next: step {} · {}", id.number(), id.step().title),
        None if store.complete.get() => "All steps done".to_string(),
        None => "Next step waits for an earlier one".to_string(),
    };
    let clock = move || {
        store.run_clock.get().and_then(|c| c.finished_ms.map(|f| f - c.started_ms)).map(|ms| {
            if store.complete.get() {
                format!("Run all: {} steps in {}", total, format_ms(ms))
            } else {
                format!("Last Run all: {}", format_ms(ms))
            }
        })
    };
    let export_status = RwSignal::new(String::new());
    view! {
        <div class="toolbar" role="toolbar" aria-label="Run controls">
            <div class="toolbar-main" on:pointerover=move |_| store.warm_up() on:focusin=move |_| store.warm_up()>
                <button
                    type="button"
                    class="primary big"
                    disabled=move || store.busy.get() || store.complete.get()
                    on:click=move |_| runner::run_all(store)
                >
                    "Run all"
                </button>
                <button
                    type="button"
                    class="secondary big"
                    aria-describedby="next-step"
                    title="Run the next step in PingOne's documented order"
                    disabled=move || store.busy.get() || store.next_step.get().is_none()
                    on:click=move |_| runner::step_once(store)
                >
                    "Step"
                </button>
                <span class="next-step" id="next-step">{next_label}</span>
            </div>
            <div class="toolbar-side">
                <label class="check">
                    <input
                        type="checkbox"
                        prop:checked=move || store.auto_otp.get()
                        disabled=move || store.mode.get() != Mode::Sandbox
                        on:change=move |ev| store.auto_otp.set(event_target_checked(&ev))
                    />
                    "Run all reads the OTP from the sandbox inbox"
                </label>
                <button
                    type="button"
                    class="ghost"
                    disabled=move || store.transcript.with(|t| t.is_empty())
                    on:click=move |_| {
                        let json = store.export_json();
                        let stamp = String::from(js_sys::Date::new_0().to_iso_string()).replace([':', '.'], "-");
                        match download(&format!("workbench-transcript-{stamp}.json"), "application/json", &json) {
                            Ok(()) => export_status.set("Transcript exported.".into()),
                            Err(e) => export_status.set(format!("Export failed: {e}")),
                        }
                    }
                >
                    "Export transcript (JSON)"
                </button>
                <button
                    type="button"
                    class="ghost"
                    disabled=move || store.busy.get()
                    on:click=move |_| runner::start_over(store)
                >
                    "Start over"
                </button>
                <span class="small muted">{move || export_status.get()}</span>
            </div>
            <div class="progress-row">
                <progress max=total value=move || store.done_count.get() aria-label="Steps done"></progress>
                <span class="progress-text">{move || format!("{} of {total} steps done", store.done_count.get())}</span>
                <span class="run-clock">{clock}</span>
                {move || (store.run_mode.get() != RunMode::Idle).then(|| view! { <span class="spinner" aria-hidden="true"></span> })}
            </div>
        </div>
    }
}

/// The ARIA live region (progress for screen readers) and the dismissable notice.
#[component]
fn StatusAndNotice() -> impl IntoView {
    let store = expect_context::<Store>();
    view! {
        <p class="live-status" role="status" aria-live="polite" aria-atomic="true">
            {move || store.announce.get()}
        </p>
        {move || store.notice.get().map(|n| view! {
            <div class="notice">
                <p>{n}</p>
                <button type="button" class="ghost small" on:click=move |_| store.notice.set(None)>"Dismiss"</button>
            </div>
        })}
    }
}

/// Sandbox or live tenant; each keeps its own run.
#[component]
fn ModeSwitch() -> impl IntoView {
    let store = expect_context::<Store>();
    let option = move |mode: Mode, label: &'static str, title: &'static str| {
        view! {
            <label class="mode-option" title=title>
                <input
                    type="radio"
                    name="mode"
                    value=mode.label()
                    prop:checked=move || store.mode.get() == mode
                    disabled=move || store.busy.get()
                    on:change=move |_| store.switch_mode(mode)
                />
                <span>{label}</span>
            </label>
        }
    };
    view! {
        <fieldset class="mode-switch">
            <legend class="visually-hidden">"Where the calls go"</legend>
            {option(Mode::Sandbox, "Sandbox", "A PingOne emulator inside this page: no tenant, no set-up")}
            {option(Mode::Live, "Live PingOne", "Your PingOne tenant, through pingone-proxy")}
        </fieldset>
    }
}

lazy_fn!(views;
    fn inspector_view() -> fn() -> AnyView {
        || view! { <Inspector/> }.into_any()
    }
);

/// The sandbox inbox (sandbox mode) and the inspector (its code downloads with the first call).
#[component]
fn SidePanels() -> impl IntoView {
    let store = expect_context::<Store>();
    view! {
        <aside class="side">
            <Show when=move || store.mode.get() == Mode::Sandbox>
                <Inbox/>
            </Show>
            <Show when=move || store.transcript.with(|t| !t.is_empty()) fallback=InspectorEmpty>
                {lazy_view(inspector_view)}
            </Show>
        </aside>
    }
}

/// The workbench around a given store (tests pass their own).
#[component]
pub fn Workbench(store: Store) -> impl IntoView {
    provide_context(store);
    store.start_persistence();
    store.start_remembering();
    runner::restore_after_reload(store);
    view! {
        <div class="app">
            <a class="skip-link" href="#inspector">"Skip to the inspector"</a>
            <header class="app-header">
                <div class="brand">
                    <h1>"PingOne Sign-On Workbench"</h1>
                    <p class="tagline">
                        "PingOne's login + MFA sign-on workflow: 21 calls, each one explained, visible and re-runnable."
                    </p>
                </div>
                <div class="header-side">
                    <ModeSwitch/>
                    <ThemeToggle/>
                </div>
            </header>
            <Toolbar/>
            <StatusAndNotice/>
            <div class="layout">
                <main class="phases" id="main">
                    <ConnectPhase/>
                    <ProvisionPhase/>
                    <SignOnPhase/>
                    <TokensPhase/>
                </main>
                <SidePanels/>
            </div>
            <footer class="app-footer small muted">
                {move || match store.mode.get() {
                    Mode::Sandbox => "Sandbox mode runs an emulator of PingOne in this page: nothing leaves your browser. Secrets stay in memory; only non-secret progress is kept in this tab's session storage.",
                    Mode::Live => "Live mode calls your PingOne tenant through pingone-proxy. Secrets stay in this page's memory unless you tick them under \u{201c}Remember on this device\u{201d}; non-secret progress is kept in this tab's session storage.",
                }}
            </footer>
        </div>
    }
}

/// The app: a store restored from this tab's session (or a fresh sandbox run).
#[component]
pub fn App() -> impl IntoView {
    let store = Store::new(StoreOptions::default());
    view! { <Workbench store=store/> }
}

/// An embed's run controls when it shows part of the workflow or is read-only: one Run button
/// (pre-run, then the shown steps; "Run again" starts over) and the progress of the shown steps.
#[cfg(feature = "embed")]
#[component]
fn EmbedToolbar(embed: Embed, st: EmbedState) -> impl IntoView {
    let store = expect_context::<Store>();
    let (first, last) = (embed.options.first, embed.options.last);
    let ids: Vec<_> = STEPS.iter().map(|s| s.id).filter(|id| embed.shows(*id)).collect();
    let total = ids.len();
    let done = Memo::new(move |_| store.progress.with(|p| ids.iter().filter(|id| p.status(**id).is_settled()).count()));
    let label = move || {
        if st.working.get() || store.busy.get() {
            "Running…".to_string()
        } else if done.get() == total {
            "Run again".to_string()
        } else if first == 0 && last == LAST_STEP {
            "Run all".to_string()
        } else if first == last {
            format!("Run step {first}")
        } else {
            format!("Run steps {first}–{last}")
        }
    };
    let shown = if first == last { format!("Step {first}") } else { format!("Steps {first}–{last}") };
    let scope = match (first, last) {
        (0, LAST_STEP) => format!("All {total} steps of PingOne's sign-on workflow."),
        (0, _) => format!("{shown} of PingOne's sign-on workflow."),
        (1, _) => format!("{shown}; step 0 runs in the sandbox first."),
        _ => format!("{shown}; steps 0–{} run in the sandbox first.", first - 1),
    };
    let run = {
        let embed = embed.clone();
        move |_| embed::run(store, embed.clone(), st)
    };
    view! {
        <div class="toolbar wb-embed-bar" role="toolbar" aria-label="Run controls">
            <div class="toolbar-main">
                <button
                    type="button"
                    class="primary big wb-run"
                    disabled=move || st.working.get() || store.busy.get()
                    on:click=run
                >
                    {label}
                </button>
                <span class="next-step">{scope}</span>
            </div>
            <div class="progress-row">
                <progress max=total value=move || done.get() aria-label="Steps done"></progress>
                <span class="progress-text">{move || format!("{} of {total} steps done", done.get())}</span>
                {move || (st.working.get() || store.busy.get()).then(|| view! { <span class="spinner" aria-hidden="true"></span> })}
            </div>
        </div>
    }
}

#[cfg(feature = "embed")]
fn phase_view(phase: Phase) -> AnyView {
    match phase {
        Phase::Connect => view! { <ConnectPhase/> }.into_any(),
        Phase::Provision => view! { <ProvisionPhase/> }.into_any(),
        Phase::SignOn => view! { <SignOnPhase/> }.into_any(),
        Phase::Tokens => view! { <TokensPhase/> }.into_any(),
    }
}

/// The workbench as an embed (an iframe or a script include): its own store, theme and accent
/// on its root, the shown phases, host messages. Nothing is kept in web storage.
#[cfg(feature = "embed")]
#[component]
pub fn EmbeddedWorkbench(store: Store, embed: Embed) -> impl IntoView {
    provide_context(store);
    let o = embed.options.clone();
    let shown = ShownSteps { first: o.first, last: o.last };
    if !o.shows_all() {
        provide_context(shown);
    }
    let st = EmbedState { working: RwSignal::new(false), theme: RwSignal::new(embed::initial_theme(&embed)) };
    embed::watch(store, embed.clone());
    embed::listen(store, embed.clone(), st);
    embed::follow_host_theme(&embed, st.theme);
    let frame = embed.kind == Kind::Frame;
    if frame {
        // The iframe's document is the instance's own: its background follows the theme too.
        Effect::new(move |_| {
            let t = st.theme.get();
            if let Some(html) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.document_element()) {
                let _ = if t == "auto" { html.remove_attribute("data-theme") } else { html.set_attribute("data-theme", t) };
            }
        });
    }
    let root = NodeRef::<leptos::html::Div>::new();
    {
        let embed = embed.clone();
        root.on_load(move |el| {
            embed::apply_accent(&embed, &el);
            embed::report_size(&embed, el.clone().into());
            embed::start(store, embed, st);
        });
    }
    let class = format!(
        "wb-embed {}{}{}{}",
        if frame { "wb-frame" } else { "wb-script" },
        if o.compact { " wb-compact" } else { "" },
        if o.read_only { " wb-readonly" } else { "" },
        if o.shows_all() { "" } else { " wb-partial" },
    );
    let prefix = if frame { "" } else { "data-" };
    let problems = (!embed.problems.is_empty()).then(|| {
        let items = embed
            .problems
            .iter()
            .map(|p| {
                let shown = if p.value.is_empty() { format!("{prefix}{}", p.option) } else { format!("{prefix}{}={}", p.option, p.value) };
                view! { <li><code>{shown}</code>": "{p.message.clone()}</li> }
            })
            .collect_view();
        view! {
            <div class="wb-embed-errors" role="alert">
                <p><strong>"Embed options ignored"</strong>" (docs/embedding.md lists them):"</p>
                <ul>{items}</ul>
            </div>
        }
    });
    let title = "PingOne Sign-On Workbench";
    let heading = if frame {
        view! { <h1>{title}</h1> }.into_any()
    } else {
        view! { <p class="wb-embed-title">{title}</p> }.into_any()
    };
    let full_controls = o.shows_all() && !o.read_only;
    let side = if full_controls {
        view! { <ModeSwitch/> }.into_any()
    } else {
        view! { <span class="tag wb-mode">{move || format!("{} mode", store.mode.get().label())}</span> }.into_any()
    };
    let toolbar = if full_controls {
        view! { <Toolbar/> }.into_any()
    } else {
        view! { <EmbedToolbar embed=embed.clone() st=st/> }.into_any()
    };
    let phases = Phase::ALL.into_iter().filter(|p| shown.overlaps(*p)).map(phase_view).collect_view();
    let phases = if frame {
        view! { <main class="phases" id="main">{phases}</main> }.into_any()
    } else {
        view! { <div class="phases" role="region" aria-label="PingOne sign-on workflow">{phases}</div> }.into_any()
    };
    view! {
        <div
            class=class
            node_ref=root
            data-instance=embed.id.clone()
            data-theme=move || st.theme.get()
            data-accent=o.accent.is_some().then_some("")
            on:click=move |ev| {
                if let Some(el) = root.get_untracked() {
                    embed::follow_hash_link(&ev, &el);
                }
            }
        >
            {problems}
            <div class="app">
                <header class="app-header">
                    <div class="brand">
                        {heading}
                        <p class="tagline">"PingOne's login + MFA sign-on workflow, each call explained, visible and re-runnable."</p>
                    </div>
                    <div class="header-side">{side}</div>
                </header>
                {toolbar}
                <StatusAndNotice/>
                <div class="layout">
                    {phases}
                    <SidePanels/>
                </div>
                <footer class="app-footer small muted">
                    {move || match store.mode.get() {
                        Mode::Sandbox => "Sandbox mode: a PingOne emulator runs in this page. Nothing leaves your browser and nothing is stored.",
                        Mode::Live => "Live mode calls your PingOne tenant through pingone-proxy. Secrets stay in this page's memory; nothing is stored.",
                    }}
                </footer>
            </div>
        </div>
    }
}

/// The OAuth parameters a redirect can bring in the address bar.
const CALLBACK_PARAMS: [&str; 6] = ["code", "state", "session_state", "iss", "error", "error_description"];

/// A redirect to this page (its `/callback` is the application's redirect URI) carries `code` and
/// `state` in the address bar: they are removed before anything else runs, so they stay out of
/// the history, bookmarks and `Referer` headers (docs/security.md, C4). The workflow itself never
/// navigates there: it reads the redirect from `as/resume`'s answer. Returns whether it removed any.
pub fn forget_callback_params() -> bool {
    let Some(window) = web_sys::window() else { return false };
    let Ok(href) = window.location().href() else { return false };
    let Ok(mut url) = url::Url::parse(&href) else { return false };
    let in_query = url.query_pairs().any(|(k, _)| CALLBACK_PARAMS.contains(&k.as_ref()));
    let in_fragment = url
        .fragment()
        .is_some_and(|f| ["code=", "access_token=", "id_token="].iter().any(|p| f.contains(p)));
    if !in_query && !in_fragment {
        return false;
    }
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| !CALLBACK_PARAMS.contains(&k.as_ref()))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if kept.is_empty() {
        url.set_query(None);
    } else {
        url.query_pairs_mut().clear().extend_pairs(kept);
    }
    if in_fragment {
        url.set_fragment(None);
    }
    window
        .history()
        .and_then(|h| h.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(url.as_str())))
        .is_ok()
}

/// The parent window when this page is framed.
pub fn parent_window() -> Option<web_sys::Window> {
    let w = web_sys::window()?;
    let parent = w.parent().ok().flatten()?;
    (!js_sys::Object::is(parent.as_ref(), w.as_ref())).then_some(parent)
}

/// A framed `index.html`, or one whose query has `embed`, is an iframe embed (docs/embedding.md):
/// the page replaces itself with `embed/frame.html` and the same query, which starts the embed's
/// module. Returns whether it did (then nothing else should start).
pub fn open_as_frame_embed() -> bool {
    let Some(window) = web_sys::window() else { return false };
    let framed = parent_window().is_some();
    let Ok(href) = window.location().href() else { return false };
    let Ok(here) = url::Url::parse(&href) else { return false };
    if !framed && !here.query_pairs().any(|(k, _)| k == "embed") {
        return false;
    }
    let Ok(mut frame) = here.join("embed/frame.html") else { return false };
    frame.set_query(here.query());
    window.location().replace(frame.as_str()).is_ok()
}

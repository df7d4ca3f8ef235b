//! The app root: header, run controls (Run all, Step, Start over, export), the live region,
//! the four phases, and the inspector and sandbox inbox beside them.

use crate::components::inbox::Inbox;
use crate::components::inspector::{download, Inspector};
use crate::components::step_card::format_ms;
use crate::phases::{ConnectPhase, ProvisionPhase, SignOnPhase, TokensPhase};
use crate::runner;
use crate::state::{Mode, RunMode, Store, StoreOptions};
use leptos::prelude::*;
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
            <div class="toolbar-main">
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

/// The workbench around a given store (tests pass their own).
#[component]
pub fn Workbench(store: Store) -> impl IntoView {
    provide_context(store);
    store.start_persistence();
    runner::replay_after_reload(store);
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
            <p class="live-status" role="status" aria-live="polite" aria-atomic="true">
                {move || store.announce.get()}
            </p>
            {move || store.notice.get().map(|n| view! {
                <div class="notice">
                    <p>{n}</p>
                    <button type="button" class="ghost small" on:click=move |_| store.notice.set(None)>"Dismiss"</button>
                </div>
            })}
            <div class="layout">
                <main class="phases" id="main">
                    <ConnectPhase/>
                    <ProvisionPhase/>
                    <SignOnPhase/>
                    <TokensPhase/>
                </main>
                <aside class="side">
                    <Show when=move || store.mode.get() == Mode::Sandbox>
                        <Inbox/>
                    </Show>
                    <Inspector/>
                </aside>
            </div>
            <footer class="app-footer small muted">
                {move || match store.mode.get() {
                    Mode::Sandbox => "Sandbox mode runs an emulator of PingOne in this page: nothing leaves your browser. Secrets stay in memory; only non-secret progress is kept in this tab's session storage.",
                    Mode::Live => "Live mode calls your PingOne tenant through pingone-proxy. Secrets stay in this page's memory; only non-secret progress is kept in this tab's session storage.",
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

//! Sign on (steps 14-18). The flow panel renders the status PingOne returned, not a fixed
//! script: a username/password form, a device picker, an OTP form, resume on COMPLETED, a
//! change-password form, or PingOne's error for statuses this workflow does not cover.

use super::PhaseSection;
use crate::components::error_panel::ErrorPanel;
use crate::components::json_view::JsonView;
use crate::components::step_card::StepCard;
use crate::runner;
use crate::state::{Mode, StepFailure, Store};
use crate::components::field::ShowToggle;
use crate::lazy::{lazy_fn, lazy_view};
use leptos::prelude::*;
use pingone::flow::{Flow, FlowStatus};
use pingone::workflow::{Phase, StepId, StepStatus};

fn step_error(store: Store, id: StepId) -> impl IntoView {
    move || store.run_of(id).error.map(|f| view! { <ErrorPanel failure=f/> })
}

#[component]
fn UsernamePasswordForm() -> impl IntoView {
    let store = expect_context::<Store>();
    let username = move || store.wf.with(|s| s.config.username.clone());
    let password = RwSignal::new(store.wf.with_untracked(|s| s.secrets.password.expose().to_string()));
    let shown = RwSignal::new(false);
    let running = move || store.status(StepId::CheckUsernamePassword) == StepStatus::Running || store.busy.get();
    view! {
        <form
            class="flow-form"
            aria-label="Sign on with username and password"
            on:submit=move |ev| {
                ev.prevent_default();
                runner::sign_on(store, password.get_untracked());
            }
        >
            <p>"PingOne asks for the user's credentials (the LOGIN action)."</p>
            <div class="field">
                <label for="signon-username">"Username"</label>
                <input id="signon-username" type="text" readonly prop:value=username autocomplete="username"/>
            </div>
            <div class="field">
                <label for="signon-password">"Password"</label>
                <div class="with-button">
                    <input
                        id="signon-password"
                        type=move || if shown.get() { "text" } else { "password" }
                        autocomplete="current-password"
                        prop:value=move || password.get()
                        on:input=move |ev| password.set(event_target_value(&ev))
                    />
                    <ShowToggle shown=shown/>
                </div>
            </div>
            <div class="form-actions">
                <button type="submit" class="primary" disabled=running>
                    "Sign on (step 16)"
                </button>
                {move || {
                    store
                        .provisioned_password
                        .get()
                        .map(|p| {
                            view! {
                                <button
                                    type="button"
                                    class="ghost"
                                    on:click=move |_| password.set(p.expose().to_string())
                                >
                                    "Use the password from step 11"
                                </button>
                            }
                        })
                }}
            </div>
            {step_error(store, StepId::CheckUsernamePassword)}
        </form>
    }
}

#[component]
fn DevicePicker(flow: Flow) -> impl IntoView {
    let store = expect_context::<Store>();
    let preselected = store
        .wf
        .with_untracked(|s| s.selected_device_id.clone().or_else(|| s.created.device_id.clone()))
        .or_else(|| flow.devices().first().map(|d| d.id.clone()));
    let choice = RwSignal::new(preselected);
    let devices = flow.devices().to_vec();
    view! {
        <form
            class="flow-form"
            aria-label="Choose the MFA device"
            on:submit=move |ev| {
                ev.prevent_default();
                if let Some(id) = choice.get_untracked() {
                    runner::select_device(store, id);
                }
            }
        >
            <fieldset>
                <legend>"PingOne asks which device gets the one-time passcode."</legend>
                {devices
                    .into_iter()
                    .map(|d| {
                        let id = d.id.clone();
                        let id2 = d.id.clone();
                        let id3 = d.id.clone();
                        view! {
                            <label class="radio">
                                <input
                                    type="radio"
                                    name="device"
                                    value=id.clone()
                                    prop:checked=move || choice.get().as_deref() == Some(id2.as_str())
                                    on:change=move |_| choice.set(Some(id3.clone()))
                                />
                                {d.label()}
                                " "
                                <code class="small">{id}</code>
                            </label>
                        }
                    })
                    .collect_view()}
            </fieldset>
            <div class="form-actions">
                <button type="submit" class="primary" disabled=move || store.busy.get() || choice.get().is_none()>
                    "Use this device (step 17)"
                </button>
            </div>
        </form>
    }
}

#[component]
fn OtpForm(flow: Flow) -> impl IntoView {
    let store = expect_context::<Store>();
    let code = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<&'static str>);
    let device = flow
        .selected_device
        .as_ref()
        .and_then(|sel| flow.devices().iter().find(|d| d.id == sel.id))
        .or_else(|| flow.devices().first())
        .map(|d| d.label())
        .unwrap_or_else(|| "the MFA device".into());
    let sandbox = store.mode.get_untracked() == Mode::Sandbox;
    view! {
        <form
            class="flow-form"
            aria-label="Enter the one-time passcode"
            on:submit=move |ev| {
                ev.prevent_default();
                match runner::submit_otp(store, code.get_untracked()) {
                    Ok(()) => {
                        problem.set(None);
                        code.set(String::new());
                    }
                    Err(p) => problem.set(Some(p)),
                }
            }
        >
            <p>
                "PingOne sent a one-time passcode to " <strong>{device}</strong> "."
                {sandbox.then_some(" In sandbox mode it is in the sandbox inbox.")}
            </p>
            <div class="field" class:invalid=move || problem.get().is_some()>
                <label for="otp">"One-time passcode"</label>
                <input
                    id="otp"
                    name="otp"
                    type="text"
                    inputmode="numeric"
                    autocomplete="one-time-code"
                    maxlength="16"
                    prop:value=move || code.get()
                    aria-invalid=move || if problem.get().is_some() { "true" } else { "false" }
                    aria-describedby="otp-err"
                    on:input=move |ev| code.set(event_target_value(&ev))
                />
                <p class="field-error" id="otp-err" hidden=move || problem.get().is_none()>
                    {move || problem.get().unwrap_or_default()}
                </p>
            </div>
            <div class="form-actions">
                <button type="submit" class="primary" disabled=move || store.busy.get()>
                    "Check passcode (step 17)"
                </button>
            </div>
            {step_error(store, StepId::CheckOtp)}
        </form>
    }
}

#[component]
fn ChangePasswordForm(flow: Flow) -> impl IntoView {
    let store = expect_context::<Store>();
    let current = RwSignal::new(store.wf.with_untracked(|s| s.secrets.password.expose().to_string()));
    let new = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<&'static str>);
    let allowed = flow.action_href("password.reset").is_some();
    if !allowed {
        return view! {
            <p>
                "PingOne wants the password changed, but the flow offers no "
                <code>"password.reset"</code>
                " action. Change it as an administrator (step 11) and start a new sign-on."
            </p>
        }
        .into_any();
    }
    view! {
        <form
            class="flow-form"
            aria-label="Change the password"
            on:submit=move |ev| {
                ev.prevent_default();
                let n = new.get_untracked();
                match crate::state::password_problem(&n) {
                    Some(p) => problem.set(Some(p)),
                    None => {
                        problem.set(None);
                        runner::change_password(store, current.get_untracked(), n);
                    }
                }
            }
        >
            <p>"PingOne requires a new password before the sign-on can go on (the flow's password.reset action)."</p>
            <div class="field">
                <label for="cp-current">"Current password"</label>
                <input
                    id="cp-current"
                    type="password"
                    autocomplete="current-password"
                    prop:value=move || current.get()
                    on:input=move |ev| current.set(event_target_value(&ev))
                />
            </div>
            <div class="field" class:invalid=move || problem.get().is_some()>
                <label for="cp-new">"New password"</label>
                <input
                    id="cp-new"
                    type="password"
                    autocomplete="new-password"
                    prop:value=move || new.get()
                    aria-describedby="cp-new-err"
                    on:input=move |ev| new.set(event_target_value(&ev))
                />
                <p class="field-error" id="cp-new-err" hidden=move || problem.get().is_none()>
                    {move || problem.get().unwrap_or_default()}
                </p>
            </div>
            <div class="form-actions">
                <button type="submit" class="primary" disabled=move || store.busy.get()>
                    "Change password"
                </button>
            </div>
            {step_error(store, StepId::CheckUsernamePassword)}
        </form>
    }
    .into_any()
}

/// PingOne's error on a FAILED flow.
fn flow_failure(flow: &Flow) -> StepFailure {
    let e = flow.error.clone().unwrap_or_default();
    let text = |k: &str| e.get(k).and_then(|v| v.as_str()).map(str::to_string);
    StepFailure {
        title: "The flow FAILED".into(),
        status: None,
        code: text("code"),
        message: text("message").unwrap_or_else(|| "PingOne ended the flow.".into()),
        details: e
            .get("details")
            .and_then(|d| d.as_array())
            .map(|items| {
                items
                    .iter()
                    .map(|d| crate::state::FailureDetail {
                        code: d.get("code").and_then(|v| v.as_str()).unwrap_or("").to_string(),
                        target: d.get("target").and_then(|v| v.as_str()).map(str::to_string),
                        message: d.get("message").and_then(|v| v.as_str()).unwrap_or("").to_string(),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        hint: Some("Start a new sign-on.".into()),
    }
}

/// What the flow panel shows for the current flow: its status and the form it asks for.
#[component]
fn FlowBody() -> impl IntoView {
    let store = expect_context::<Store>();
    let flow = Memo::new(move |_| store.wf.with(|s| s.flow.clone()));
    let has_code = Memo::new(move |_| store.wf.with(|s| s.secrets.code.is_some()));
    let body = move || {
        let Some(f) = flow.get() else {
            return ().into_any();
        };
        let allowed = f.allowed_actions().join(", ");
        let head = view! {
            <p class="flow-status">
                "Flow status " <code class="status" data-flow-status=f.status.to_string()>{f.status.to_string()}</code>
                <span class="small muted">" · flow " <code>{f.id.clone()}</code></span>
            </p>
            {(!allowed.is_empty()).then(|| view! {
                <p class="small muted">"Allowed next actions (" <code>"_links"</code> "): " {allowed.clone()}</p>
            })}
        };
        let detail = match &f.status {
            FlowStatus::UsernamePasswordRequired => view! { <UsernamePasswordForm/> }.into_any(),
            FlowStatus::DeviceSelectionRequired => view! { <DevicePicker flow=f.clone()/> }.into_any(),
            FlowStatus::OtpRequired => view! { <OtpForm flow=f.clone()/> }.into_any(),
            FlowStatus::MustChangePassword | FlowStatus::PasswordExpired => {
                view! { <ChangePasswordForm flow=f.clone()/> }.into_any()
            }
            FlowStatus::Completed => view! {
                <p>
                    "The flow is complete. "
                    {move || if has_code.get() {
                        "Step 18 resumed it: the authorization code is in memory (single use, hidden)."
                    } else {
                        "Step 18 resumes the authorize request to get the authorization code."
                    }}
                </p>
            }
            .into_any(),
            FlowStatus::Failed => view! { <ErrorPanel failure=flow_failure(&f)/> }.into_any(),
            other => {
                let json = serde_json::to_string(&f).unwrap_or_default();
                view! {
                    <div class="error-panel">
                        <p class="error-title">
                            <strong>"Not covered by this workflow"</strong>
                            " "
                            <code class="error-code">{other.to_string()}</code>
                        </p>
                        <p class="error-message">
                            {format!(
                                "PingOne returned the flow status {other}, which the login + MFA workflow does not handle. The sign-on policy probably has an action this workflow did not create."
                            )}
                        </p>
                        <p class="error-hint">"Check the policy's actions (steps 5-8), then start a new sign-on."</p>
                    </div>
                    <JsonView text=json label="Flow"/>
                }
                .into_any()
            }
        };
        view! {
            {head}
            {detail}
        }
        .into_any()
    };
    body
}

lazy_fn!(views;
    fn flow_view() -> fn() -> AnyView {
        || view! { <FlowBody/> }.into_any()
    }
);

/// The flow panel; what it shows for a flow (status, forms) downloads with the first flow.
#[component]
fn FlowPanel() -> impl IntoView {
    let store = expect_context::<Store>();
    let started = Memo::new(move |_| store.wf.with(|s| s.flow.is_some()));
    view! {
        <div class="panel flow-panel" id="flow" aria-labelledby="flow-title">
            <h3 id="flow-title">"The flow, as PingOne returned it"</h3>
            <Show
                when=move || started.get()
                fallback=|| view! { <p class="muted">"No sign-on flow yet. Step 14 starts one (authorize with response_mode=pi.flow)."</p> }
            >
                {lazy_view(flow_view)}
            </Show>
        </div>
    }
}

#[component]
pub fn SignOnPhase() -> impl IntoView {
    let store = expect_context::<Store>();
    let started = move || {
        store.status(StepId::Authorize) != StepStatus::Ready && store.status(StepId::Authorize) != StepStatus::Pending
    };
    view! {
        <PhaseSection
            phase=Phase::SignOn
            intro="Authorize with response_mode=pi.flow returns the flow as JSON. From there PingOne says what it needs next through the flow's status and _links; the panel below renders exactly that."
        >
            <FlowPanel/>
            <ol class="steps" start="14">
                <StepCard id=StepId::Authorize/>
                <StepCard id=StepId::ReadFlow/>
                <StepCard id=StepId::CheckUsernamePassword/>
                <StepCard id=StepId::CheckOtp/>
                <StepCard id=StepId::Resume/>
            </ol>
            <div class="phase-actions">
                <button
                    type="button"
                    class="secondary"
                    disabled=move || store.busy.get() || !started()
                    on:click=move |_| runner::new_sign_on(store)
                >
                    "New sign-on"
                </button>
                <span class="small muted">"Keeps the app and user; runs steps 14-18 and 20 again with a fresh PKCE verifier, state and nonce."</span>
            </div>
        </PhaseSection>
    }
}

//! Editable inputs bound to the store, with inline validation messages.

use crate::remember::Kept;
use crate::state::Store;
use leptos::prelude::*;
use pingone::models::DeviceType;
use pingone::secret::{Password, WorkerSecret};
use pingone::workflow::{StepId, StepStatus, WorkflowConfig};

/// The config fields a person may edit, by the name `validate_config` reports them under.
fn get(c: &WorkflowConfig, field: &str) -> String {
    match field {
        "environment_id" => c.environment_id.clone(),
        "worker_client_id" => c.worker_client_id.clone(),
        "application_name" => c.application_name.clone(),
        "redirect_uri" => c.redirect_uri.clone(),
        "sign_on_policy_name" => c.sign_on_policy_name.clone(),
        "population_name" => c.population_name.clone(),
        "username" => c.username.clone(),
        "email" => c.email.clone(),
        "given_name" => c.given_name.clone(),
        "family_name" => c.family_name.clone(),
        "device_email" => c.device_email.clone(),
        "device_phone" => c.device_phone.clone(),
        "scopes" => c.scopes.join(" "),
        _ => String::new(),
    }
}

fn set(c: &mut WorkflowConfig, field: &str, v: String) {
    match field {
        "environment_id" => c.environment_id = v.trim().to_string(),
        "worker_client_id" => c.worker_client_id = v.trim().to_string(),
        "application_name" => c.application_name = v,
        "redirect_uri" => c.redirect_uri = v,
        "sign_on_policy_name" => c.sign_on_policy_name = v,
        "population_name" => c.population_name = v,
        "username" => c.username = v,
        "email" => c.email = v,
        "given_name" => c.given_name = v,
        "family_name" => c.family_name = v,
        "device_email" => c.device_email = v,
        "device_phone" => c.device_phone = v,
        "scopes" => c.scopes = v.split_whitespace().map(str::to_string).collect(),
        _ => {}
    }
}

/// Editable until the step that uses the value has run (or while it failed, to fix it).
fn locked(store: Store, step: StepId) -> Signal<bool> {
    Signal::derive(move || {
        matches!(store.status(step), StepStatus::Running | StepStatus::Done | StepStatus::Skipped) || store.busy.get()
    })
}

/// A text input for one config field, locked once `step` has run.
#[component]
pub fn ConfigField(
    label: &'static str,
    field: &'static str,
    step: StepId,
    #[prop(optional)] hint: &'static str,
    #[prop(optional)] input_type: &'static str,
) -> impl IntoView {
    let store = expect_context::<Store>();
    let id = format!("f-{field}");
    let err_id = format!("f-{field}-err");
    let hint_id = format!("f-{field}-hint");
    let disabled = locked(store, step);
    let error = Signal::derive(move || if disabled.get() { None } else { store.field_error(field) });
    let value = move || store.wf.with(|s| get(&s.config, field));
    let described = {
        let err_id = err_id.clone();
        let hint_id = hint_id.clone();
        move || {
            let mut ids = Vec::new();
            if !hint.is_empty() {
                ids.push(hint_id.clone());
            }
            if error.get().is_some() {
                ids.push(err_id.clone());
            }
            ids.join(" ")
        }
    };
    view! {
        <div class="field" class:invalid=move || error.get().is_some()>
            <label for=id.clone()>{label}</label>
            <input
                id=id.clone()
                name=field
                type=if input_type.is_empty() { "text" } else { input_type }
                autocomplete="off"
                spellcheck="false"
                prop:value=value
                disabled=move || disabled.get()
                aria-invalid=move || if error.get().is_some() { "true" } else { "false" }
                aria-describedby=described
                on:input=move |ev| {
                    let v = event_target_value(&ev);
                    store.wf.update(|s| set(&mut s.config, field, v));
                }
            />
            {(!hint.is_empty()).then(|| view! { <p class="field-hint" id=hint_id.clone()>{hint}</p> })}
            <p class="field-error" id=err_id.clone() hidden=move || error.get().is_none()>
                {move || error.get().unwrap_or_default()}
            </p>
        </div>
    }
}

/// The Show / Hide button of a masked secret input.
#[component]
pub fn ShowToggle(shown: RwSignal<bool>) -> impl IntoView {
    view! {
        <button
            type="button"
            class="ghost"
            aria-pressed=move || if shown.get() { "true" } else { "false" }
            on:click=move |_| shown.update(|s| *s = !*s)
        >
            {move || if shown.get() { "Hide" } else { "Show" }}
        </button>
    }
}

/// The test user's password (a secret: masked, with a Show toggle).
#[component]
pub fn PasswordField(step: StepId) -> impl IntoView {
    let store = expect_context::<Store>();
    let disabled = locked(store, step);
    let shown = RwSignal::new(false);
    let error = Signal::derive(move || if disabled.get() { None } else { store.field_error("password") });
    view! {
        <div class="field" class:invalid=move || error.get().is_some()>
            <label for="f-password">"Password"</label>
            <div class="with-button">
                <input
                    id="f-password"
                    name="password"
                    type=move || if shown.get() { "text" } else { "password" }
                    autocomplete="new-password"
                    prop:value=move || store.wf.with(|s| s.secrets.password.expose().to_string())
                    disabled=move || disabled.get()
                    aria-invalid=move || if error.get().is_some() { "true" } else { "false" }
                    aria-describedby="f-password-hint f-password-err"
                    on:input=move |ev| {
                        let v = event_target_value(&ev);
                        store.wf.update(|s| s.secrets.password = Password::new(v));
                    }
                />
                <ShowToggle shown=shown/>
            </div>
            <p class="field-hint" id="f-password-hint">
                "Generated for this run; kept in memory only, never saved."
            </p>
            <p class="field-error" id="f-password-err" hidden=move || error.get().is_none()>
                {move || error.get().unwrap_or_default()}
            </p>
        </div>
    }
}

/// EMAIL or SMS device, and its address.
#[component]
pub fn DeviceFields(step: StepId) -> impl IntoView {
    let store = expect_context::<Store>();
    let disabled = locked(store, step);
    let device_type = move || store.wf.with(|s| s.config.device_type);
    view! {
        <div class="field">
            <label for="f-device_type">"Device type"</label>
            <select
                id="f-device_type"
                name="device_type"
                disabled=move || disabled.get()
                prop:value=move || device_type().as_str()
                on:change=move |ev| {
                    let t = match event_target_value(&ev).as_str() {
                        "SMS" => DeviceType::Sms,
                        "TOTP" => DeviceType::Totp,
                        _ => DeviceType::Email,
                    };
                    store.wf.update(|s| s.config.device_type = t);
                }
            >
                <option value="EMAIL">"EMAIL: one-time passcode by email"</option>
                <option value="SMS">"SMS: one-time passcode by text message"</option>
                <option value="TOTP">"TOTP: authenticator app (codes computed here)"</option>
            </select>
        </div>
        <Show when=move || device_type() == DeviceType::Totp>
            <p class="field-hint">
                "PingOne answers the new device's key (keyUri, masked in the inspector); the workbench computes its codes like an authenticator app (RFC 6238, HMAC via WebCrypto) to activate it and to sign on, so Run all completes MFA unattended in live mode too."
            </p>
        </Show>
        <Show
            when=move || device_type() == DeviceType::Sms
            fallback=move || {
                (device_type() == DeviceType::Email)
                    .then(|| view! { <ConfigField label="Email the OTP goes to" field="device_email" step=step/> })
            }
        >
            <ConfigField
                label="Phone the OTP goes to"
                field="device_phone"
                step=step
                hint="with the country code, like +15125550100 or 1-512-555-0100"
            />
        </Show>
    }
}

/// The worker app's client secret (live mode): masked, in memory only, never saved.
#[component]
pub fn WorkerSecretField() -> impl IntoView {
    let store = expect_context::<Store>();
    let disabled = locked(store, StepId::WorkerToken);
    let shown = RwSignal::new(false);
    view! {
        <div class="field">
            <label for="f-worker_secret">"Worker client secret"</label>
            <div class="with-button">
                <input
                    id="f-worker_secret"
                    name="worker_secret"
                    type=move || if shown.get() { "text" } else { "password" }
                    autocomplete="off"
                    spellcheck="false"
                    prop:value=move || store.wf.with(|s| s.secrets.worker_secret.expose().to_string())
                    disabled=move || disabled.get()
                    aria-describedby="f-worker_secret-hint"
                    on:input=move |ev| {
                        let v = event_target_value(&ev);
                        store.wf.update(|s| s.secrets.worker_secret = WorkerSecret::new(v.trim().to_string()));
                    }
                />
                <ShowToggle shown=shown/>
            </div>
            <p class="field-hint" id="f-worker_secret-hint">
                {move || if store.remember.get().get(Kept::WorkerCredentials) {
                    "Remembered on this device (this browser's localStorage) with the environment and client id, until you uncheck \u{201c}Remember on this device\u{201d}. Never in the transcript or a copied curl command."
                } else {
                    "Kept in this page's memory only: never saved, never in the transcript or a copied curl command."
                }}
            </p>
        </div>
    }
}

/// Live mode's "Remember on this device": one opt-in per secret (none in stores that may not use
/// browser storage, such as an embed's).
#[component]
pub fn RememberChoices() -> impl IntoView {
    let store = expect_context::<Store>();
    let worker_on_page = move || !store.wf.with(|s| s.config.worker_token_from_proxy);
    let boxes = Kept::ALL
        .into_iter()
        // Behind a proxy that holds the worker credentials there are none on the page to keep.
        .map(|k| {
            view! {
                <Show when=move || k != Kept::WorkerCredentials || worker_on_page()>
                    <label class="check">
                        <input
                            type="checkbox"
                            name=k.input_name()
                            prop:checked=move || store.remember.get().get(k)
                            on:change=move |ev| store.set_remember(k, event_target_checked(&ev))
                        />
                        {k.label()}
                    </label>
                </Show>
            }
        })
        .collect_view();
    store.persists().then(|| {
        view! {
            <fieldset class="field remember">
                <legend>"Remember on this device"</legend>
                <p class="field-hint">
                    "Secrets stay in this page's memory unless you tick them here: a ticked one is kept in this browser's localStorage (readable by anyone using this browser profile) and put back into this run after a reload; unticking removes it. Never in the transcript export or a copied curl command. One-time passcodes, the PKCE verifier and the authorization code are never kept: each is used once."
                </p>
                {boxes}
            </fieldset>
        }
    })
}

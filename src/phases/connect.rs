//! Connect (step 0): the worker token every management call carries.

use super::PhaseSection;
use crate::components::step_card::StepCard;
use crate::components::field::{ConfigField, RememberChoices, WorkerSecretField};
use crate::components::{relative, utc_time};
use crate::state::{LiveSettings, Mode, Store};
use leptos::prelude::*;
use pingone::region::Region;
use pingone::models::EnvironmentType;
use pingone::workflow::{Phase, StepId, StepStatus};

#[component]
pub fn ConnectPhase() -> impl IntoView {
    let store = expect_context::<Store>();
    let expiry = move || {
        store.wf.with(|s| s.created.worker_token_expires_at_ms).map(|ms| {
            let ms = ms as f64;
            format!("{} ({})", utc_time(ms), relative(ms))
        })
    };
    let environment_type = move || {
        store.wf.with(|s| match (s.created.environment_type, s.created.environment_name.as_deref()) {
            (None, _) => "read by step 0".to_string(),
            (Some(t), Some(name)) if !name.is_empty() => format!("{} ({name})", t.as_str()),
            (Some(t), _) => t.as_str().to_string(),
        })
    };
    view! {
        <PhaseSection
            phase=Phase::Connect
            intro="The worker application's client credentials grant returns the admin token that every management call (steps 1-13 and 19) carries. It is an admin credential: use a dedicated non-production environment."
        >
            <Show when=move || store.mode.get() == Mode::Live fallback=move || view! { <SandboxTenant/> }>
                <LiveConnect/>
            </Show>
            <dl class="tenant" aria-label="Worker token">
                <div class="input-row">
                    <dt>"Worker token expires"</dt>
                    <dd>{move || expiry().unwrap_or_else(|| "no token yet".into())}</dd>
                </div>
                <div class="input-row">
                    <dt>"Environment type"</dt>
                    <dd>{environment_type}</dd>
                </div>
            </dl>
            <ProductionGuard/>
            <ol class="steps" start="0">
                <StepCard id=StepId::WorkerToken/>
            </ol>
        </PhaseSection>
    }
}

/// The in-page sandbox's tenant: assigned when the sandbox starts (on the first run).
#[component]
fn SandboxTenant() -> impl IntoView {
    let store = expect_context::<Store>();
    let pending = "assigned when the sandbox starts (first run)";
    let env = move || store.wf.with(|s| s.config.environment_id.clone());
    let client = move || store.wf.with(|s| s.config.worker_client_id.clone());
    view! {
        <dl class="tenant" aria-label="Environment">
            <div class="input-row">
                <dt>"Environment"</dt>
                <dd>
                    {move || { let e = env(); if e.is_empty() { view! { <span class="muted">{pending}</span> }.into_any() } else { view! { <code class="value">{e}</code> }.into_any() } }}
                    " "
                    <span class="tag">"in-page sandbox"</span>
                </dd>
            </div>
            <div class="input-row">
                <dt>"Worker client id"</dt>
                <dd>{move || { let c = client(); if c.is_empty() { view! { <span class="muted">{pending}</span> }.into_any() } else { view! { <code class="value">{c}</code> }.into_any() } }}</dd>
            </div>
            <div class="input-row">
                <dt>"Worker client secret"</dt>
                <dd>"•••••• (in memory only)"</dd>
            </div>
        </dl>
    }
}

/// Live mode: the region, the environment, the worker app's credentials and the proxy.
#[component]
fn LiveConnect() -> impl IntoView {
    let store = expect_context::<Store>();
    let locked = move || {
        matches!(store.status(StepId::WorkerToken), StepStatus::Running | StepStatus::Done) || store.busy.get()
    };
    let region = move || store.live.with(|l| l.region.code());
    let proxy_error = move || store.proxy_error.get();
    let routes = move || {
        store.live.with(|l| l.endpoints()).map(|e| format!("{}/… and {}/…", e.api_base, e.auth_root)).unwrap_or_default()
    };
    view! {
        <div class="live-form" role="group" aria-label="Live PingOne tenant">
            <div class="field">
                <label for="f-region">"Region"</label>
                <select
                    id="f-region"
                    name="region"
                    disabled=locked
                    prop:value=region
                    on:change=move |ev| {
                        let code = event_target_value(&ev);
                        if let Some(r) = Region::ALL.iter().copied().find(|r| r.code() == code) {
                            let mut l = store.live.get_untracked();
                            l.region = r;
                            store.set_live(l);
                        }
                    }
                >
                    {Region::ALL
                        .iter()
                        .map(|r| view! { <option value=r.code()>{format!("{} (pingone.{})", r.label(), r.tld())}</option> })
                        .collect_view()}
                </select>
            </div>
            <ConfigField label="Environment id" field="environment_id" step=StepId::WorkerToken hint="The UUID in the admin console's Environment > Properties."/>
            <Show
                when=move || !store.wf.with(|s| s.config.worker_token_from_proxy)
                fallback=|| view! {
                    <p class="field proxy-holds-worker" role="note">
                        "The proxy holds the worker credentials (pingone-proxy --worker-from-env): it obtains the worker token and adds it to management calls, so this page never sees the secret or the token. Step 0 is skipped."
                    </p>
                }
            >
                <ConfigField label="Worker client id" field="worker_client_id" step=StepId::WorkerToken hint="A Worker application in that environment (see docs/live.md for its roles)."/>
                <WorkerSecretField/>
            </Show>
            <div class="field" class:invalid=move || proxy_error().is_some()>
                <label for="f-proxy">"Proxy URL"</label>
                <input
                    id="f-proxy"
                    name="proxy"
                    type="url"
                    placeholder="this page's origin"
                    autocomplete="off"
                    spellcheck="false"
                    disabled=locked
                    prop:value=move || store.live.with(|l| l.proxy_base.clone())
                    aria-invalid=move || if proxy_error().is_some() { "true" } else { "false" }
                    aria-describedby="f-proxy-hint f-proxy-err"
                    on:input=move |ev| {
                        let v = event_target_value(&ev);
                        let l = LiveSettings { proxy_base: v, ..store.live.get_untracked() };
                        store.set_live(l);
                    }
                />
                <p class="field-hint" id="f-proxy-hint">
                    "pingone-proxy in front of PingOne; empty means this page's origin. Calls go to " <code>{routes}</code>
                </p>
                <p class="field-error" id="f-proxy-err" hidden=move || proxy_error().is_none()>
                    {move || proxy_error().unwrap_or_default()}
                </p>
            </div>
            <RememberChoices/>
        </div>
    }
}

/// Step 0 read an environment of type PRODUCTION (or could not read its type): the workflow goes
/// on only once the person ticks the box (docs/security.md, C7).
#[component]
fn ProductionGuard() -> impl IntoView {
    let store = expect_context::<Store>();
    let at_risk = move || store.wf.with(|s| s.created.environment_type.is_some_and(EnvironmentType::needs_confirmation));
    let production = move || store.wf.with(|s| s.created.environment_type == Some(EnvironmentType::Production));
    view! {
        <Show when=at_risk>
            <div class="notice production-guard" role="alert">
                <p>
                    {move || if production() {
                        "This environment's type is PRODUCTION: it holds the identities a business runs on. The workflow would create an application, a sign-on policy, a population and a user there (and Clean up deletes them)."
                    } else {
                        "This environment's type could not be read with the worker's roles, so it may be PRODUCTION. The workflow would create an application, a sign-on policy, a population and a user there."
                    }}
                    " Use a dedicated non-production environment; or, if you mean it:"
                </p>
                <label class="check">
                    <input
                        type="checkbox"
                        name="allow_production"
                        prop:checked=move || store.wf.with(|s| s.config.allow_production)
                        disabled=move || store.busy.get()
                        on:change=move |ev| {
                            let on = event_target_checked(&ev);
                            store.wf.update(|s| s.config.allow_production = on);
                        }
                    />
                    "Provision into this environment"
                </label>
            </div>
        </Show>
    }
}

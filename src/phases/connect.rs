//! Connect (step 0): the worker token every management call carries.

use super::PhaseSection;
use crate::components::step_card::StepCard;
use crate::components::{relative, utc_time};
use crate::state::{Mode, Store};
use leptos::prelude::*;
use pingone::workflow::{Phase, StepId};

#[component]
pub fn ConnectPhase() -> impl IntoView {
    let store = expect_context::<Store>();
    let env = move || store.wf.with(|s| s.config.environment_id.clone());
    let client = move || store.wf.with(|s| s.config.worker_client_id.clone());
    let expiry = move || {
        store.wf.with(|s| s.created.worker_token_expires_at_ms).map(|ms| {
            let ms = ms as f64;
            format!("{} ({})", utc_time(ms), relative(ms))
        })
    };
    view! {
        <PhaseSection
            phase=Phase::Connect
            intro="The worker application's client credentials grant returns the admin token that every management call (steps 1-13 and 19) carries. It is an admin credential: use a dedicated non-production environment."
        >
            <dl class="tenant" aria-label="Environment">
                <div class="input-row">
                    <dt>"Environment"</dt>
                    <dd>
                        <code class="value">{env}</code>
                        {move || (store.mode.get() == Mode::Sandbox).then(|| view! { " " <span class="tag">"in-page sandbox"</span> })}
                    </dd>
                </div>
                <div class="input-row">
                    <dt>"Worker client id"</dt>
                    <dd><code class="value">{client}</code></dd>
                </div>
                <div class="input-row">
                    <dt>"Worker client secret"</dt>
                    <dd>"•••••• (in memory only)"</dd>
                </div>
                <div class="input-row">
                    <dt>"Worker token expires"</dt>
                    <dd>{move || expiry().unwrap_or_else(|| "no token yet".into())}</dd>
                </div>
            </dl>
            <ol class="steps" start="0">
                <StepCard id=StepId::WorkerToken/>
            </ol>
        </PhaseSection>
    }
}

//! The sandbox inbox: the one-time passcodes the in-page PingOne "sent" to email and SMS devices.

use crate::components::iso_to_utc;
use crate::state::Store;
use leptos::prelude::*;

#[component]
pub fn Inbox() -> impl IntoView {
    let store = expect_context::<Store>();
    let messages = move || store.inbox.get();
    view! {
        <section class="panel inbox" id="inbox" aria-labelledby="inbox-title">
            <h2 id="inbox-title">"Sandbox inbox"</h2>
            <div class="field inline">
                <label for="f-fail-rate">"Injected failures"</label>
                <select
                    id="f-fail-rate"
                    name="fail_rate"
                    aria-describedby="f-fail-rate-hint"
                    prop:value=move || ((store.fail_rate.get() * 100.0).round() as u32).to_string()
                    on:change=move |ev| {
                        let pct: u32 = event_target_value(&ev).parse().unwrap_or(0);
                        store.set_fail_rate((f64::from(pct) / 100.0).clamp(0.0, 1.0));
                    }
                >
                    <option value="0">"none"</option>
                    <option value="10">"10% of calls"</option>
                    <option value="20">"20% of calls"</option>
                    <option value="50">"50% of calls"</option>
                </select>
                <p class="field-hint" id="f-fail-rate-hint">
                    "The sandbox answers that share of calls with 503 or 429, or drops the answer after acting: watch the retries, the look-ups after a lost create and the sign-on restarts in the inspector."
                </p>
            </div>
            <SandboxSwitch name="sandbox_production" value=store.sandbox_production>
                "A PRODUCTION environment (see step 0 stop before provisioning)"
            </SandboxSwitch>
            <SandboxSwitch name="sandbox_resume_json" value=store.sandbox_resume_json>
                "Resume answers 200 JSON (authorizeResponse), not the documented 302"
            </SandboxSwitch>
            <SandboxSwitch name="sandbox_flow_worker_token" value=store.sandbox_flow_worker_token>
                "Flow calls need the worker token as well as the cookies (one Ping sample says so)"
            </SandboxSwitch>
            <p
                class="field-hint"
                hidden=move || {
                    store.transcript.with(|t| t.is_empty())
                        || !(store.sandbox_production.get() || store.sandbox_resume_json.get() || store.sandbox_flow_worker_token.get())
                }
            >
                "The sandbox already started: these settings apply to the next one (Start over)."
            </p>
            <p class="panel-intro">
                "What the sandbox sent to the MFA device. With a real tenant the code goes to the real mailbox or phone."
            </p>
            {move || {
                let msgs = messages();
                if msgs.is_empty() {
                    view! { <p class="muted">"No messages yet. Step 16 triggers the first one-time passcode."</p> }
                        .into_any()
                } else {
                    view! {
                        <ol class="messages" reversed>
                            {msgs
                                .into_iter()
                                .rev()
                                .map(|m| {
                                    view! {
                                        <li class="message">
                                            <div class="message-head">
                                                <span class="to">"To " {m.to.clone()}</span>
                                                <time datetime=m.sent_at.clone()>{iso_to_utc(&m.sent_at)}</time>
                                            </div>
                                            <p>
                                                "Your PingOne one-time passcode is "
                                                <strong class="otp" data-otp=m.otp.clone()>{m.otp.clone()}</strong>
                                            </p>
                                            <p class="muted small">"Device " <code>{m.device_id.clone()}</code></p>
                                        </li>
                                    }
                                })
                                .collect_view()}
                        </ol>
                    }
                        .into_any()
                }
            }}
        </section>
    }
}

/// One sandbox setting: a checkbox bound to the store's signal (it applies to the next sandbox).
#[component]
fn SandboxSwitch(name: &'static str, value: RwSignal<bool>, children: Children) -> impl IntoView {
    view! {
        <label class="check">
            <input type="checkbox" name=name prop:checked=move || value.get() on:change=move |ev| value.set(event_target_checked(&ev))/>
            {children()}
        </label>
    }
}

//! A failed step's error: PingOne's code, message and details, and what to do about it.

use crate::state::StepFailure;
use leptos::prelude::*;

#[component]
pub fn ErrorPanel(failure: StepFailure) -> impl IntoView {
    let StepFailure { title, code, message, details, hint, .. } = failure;
    view! {
        <div class="error-panel">
            <p class="error-title">
                <strong>{title}</strong>
                {code.map(|c| view! { " " <code class="error-code">{c}</code> })}
            </p>
            <p class="error-message">{message}</p>
            {(!details.is_empty())
                .then(|| {
                    view! {
                        <ul class="error-details">
                            {details
                                .into_iter()
                                .map(|d| {
                                    view! {
                                        <li>
                                            <code>{d.code}</code>
                                            {d.target.map(|t| view! { " on " <code>{t}</code> })}
                                            ": "
                                            {d.message}
                                        </li>
                                    }
                                })
                                .collect_view()}
                        </ul>
                    }
                })}
            {hint.map(|h| view! { <p class="error-hint">{h}</p> })}
        </div>
    }
}

//! Clean up: one button, then one row per DELETE with its outcome (and a retry when some failed).

use crate::components::error_panel::ErrorPanel;
use crate::runner;
use crate::state::{CleanupState, RunMode, Store};
use leptos::prelude::*;

#[component]
pub fn CleanupPanel() -> impl IntoView {
    let store = expect_context::<Store>();
    let anything = move || store.wf.with(|s| !s.created.object_ids().is_empty());
    let failed = move || store.cleanup.with(|rows| rows.iter().any(|r| matches!(r.state, CleanupState::Failed(_))));
    let running = move || store.run_mode.get() == RunMode::CleaningUp;
    view! {
        <section class="panel cleanup" aria-labelledby="cleanup-title">
            <h3 id="cleanup-title">"Clean up"</h3>
            <p class="panel-intro">
                "Deletes everything this run created, in reverse dependency order: MFA device, user, population, policy assignment, sign-on policy (with its actions), application (with its grants)."
            </p>
            <button
                type="button"
                class="secondary"
                disabled=move || store.busy.get() || !anything()
                on:click=move |_| runner::clean_up(store)
            >
                {move || if failed() { "Retry clean up" } else { "Clean up" }}
            </button>
            {move || running().then(|| view! { <span class="spinner" aria-hidden="true"></span> })}
            <ol class="cleanup-rows">
                {move || store
                    .cleanup
                    .get()
                    .into_iter()
                    .map(|row| {
                        let (label, class) = match &row.state {
                            CleanupState::Waiting => ("waiting", "pending"),
                            CleanupState::Running => ("deleting…", "running"),
                            CleanupState::Deleted => ("deleted (204)", "done"),
                            CleanupState::AlreadyGone => ("already gone (404)", "done"),
                            CleanupState::Failed(_) => ("failed", "failed"),
                        };
                        let error = match row.state {
                            CleanupState::Failed(f) => Some(view! { <ErrorPanel failure=f/> }),
                            _ => None,
                        };
                        view! {
                            <li class=format!("cleanup-row {class}") data-status=class>
                                <span>{row.title}</span> " " <code class="value">{row.id}</code> " "
                                <strong>{label}</strong>
                                {error}
                            </li>
                        }
                    })
                    .collect_view()}
            </ol>
        </section>
    }
}

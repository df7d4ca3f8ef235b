//! One step: number, title, purpose, endpoint, the inputs it takes from earlier steps, status,
//! timing, its error, and the buttons to run, retry or inspect it.

use crate::components::error_panel::ErrorPanel;
use crate::runner;
use crate::state::Store;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use pingone::workflow::{StepId, StepStatus};

/// Milliseconds as people read them.
pub fn format_ms(ms: f64) -> String {
    if ms < 10.0 {
        format!("{} ms", super::tenths(ms))
    } else if ms < 10_000.0 {
        format!("{} ms", ms.round() as u64)
    } else {
        format!("{} s", super::tenths(ms / 1000.0))
    }
}

#[component]
pub fn StepCard(id: StepId, #[prop(optional)] children: Option<Children>) -> impl IntoView {
    let store = expect_context::<Store>();
    let step = id.step();
    let n = step.number();
    let status = Memo::new(move |_| store.status(id));
    let run = Memo::new(move |_| store.run_of(id));
    let heading_id = format!("step-{n}-title");
    let (method, path) = step.endpoint.split_once(' ').unwrap_or(("", step.endpoint));

    let inputs = step
        .inputs
        .iter()
        .map(|&(what, from)| {
            // Re-rendered only when this value changes, not on every change of the state.
            let value = Memo::new(move |_| store.input_value(what, from));
            view! {
                <div class="input-row">
                    <dt>{what}</dt>
                    <dd>
                        {move || match value.get() {
                            Some(v) => view! { <code class="value">{v}</code> }.into_any(),
                            None => view! { <span class="muted">"not yet"</span> }.into_any(),
                        }}
                        " "
                        <a class="from" href=format!("#step-{}", from.number())>
                            {format!("from step {}", from.number())}
                        </a>
                    </dd>
                </div>
            }
        })
        .collect_view();

    let button_label = move || match status.get() {
        StepStatus::Failed => format!("Retry step {n}"),
        StepStatus::Done | StepStatus::Skipped => format!("Run step {n} again"),
        StepStatus::Running => format!("Running step {n}…"),
        _ => format!("Run step {n}"),
    };
    let can_run = move || {
        let st = status.get();
        // The OTP step waits for the code in the flow panel's form, not for this button.
        let waits_for_otp = id == StepId::CheckOtp && st == StepStatus::NeedsInput;
        !(store.busy.get() || matches!(st, StepStatus::Pending | StepStatus::Running) || waits_for_otp)
    };
    let blocked = move || {
        (status.get() == StepStatus::Pending)
            .then(|| store.progress.with(|p| p.blocked_by(id)))
            .flatten()
            .map(|b| format!("Waits for step {}, which needs attention.", b.number()))
    };
    let exchanges = Memo::new(move |_| {
        store.transcript.with(|t| t.iter().filter(|e| e.step == n).map(|e| e.seq).collect::<Vec<_>>())
    });

    view! {
        <li
            class="step"
            id=format!("step-{n}")
            data-step=n
            data-status=move || status.get().label()
            aria-labelledby=heading_id.clone()
        >
            <div class="step-head">
                <span class="step-num" aria-hidden="true">{n}</span>
                <h3 id=heading_id.clone()>
                    <span class="sr-only">{format!("Step {n}: ")}</span>
                    {step.title}
                </h3>
                <span class="badge" data-status=move || status.get().label()>
                    {move || status.get().label()}
                </span>
                <span class="timing">
                    {move || {
                        let r = run.get();
                        r.duration_ms
                            .filter(|_| matches!(status.get(), StepStatus::Done | StepStatus::Failed | StepStatus::Skipped))
                            .map(|ms| {
                                let calls = if r.calls > 1 { format!(" · {} calls", r.calls) } else { String::new() };
                                format!("{}{calls}", format_ms(ms))
                            })
                    }}
                </span>
            </div>
            <p class="purpose">{step.purpose}</p>
            <p class="endpoint">
                <code>
                    <span class="method">{method}</span>
                    " "
                    {path}
                </code>
            </p>
            {(!step.inputs.is_empty())
                .then(|| {
                    view! {
                        <dl class="inputs" aria-label=format!("Inputs of step {n}")>
                            {inputs}
                        </dl>
                    }
                })}
            {children.map(|c| view! { <div class="step-fields">{c()}</div> })}
            {move || run.get().note.map(|note| view! { <p class="note">{note}</p> })}
            {move || blocked().map(|b| view! { <p class="note">{b}</p> })}
            {move || run.get().error.map(|f| view! { <ErrorPanel failure=f/> })}
            <div class="step-actions">
                <button
                    type="button"
                    class=move || if status.get() == StepStatus::Failed { "primary danger" } else { "secondary" }
                    disabled=move || !can_run()
                    on:click=move |_| runner::run_step(store, id)
                >
                    {button_label}
                </button>
                <button
                    type="button"
                    class="ghost"
                    disabled=move || exchanges.with(|e| e.is_empty())
                    on:click=move |ev| {
                        if let Some(seq) = exchanges.with_untracked(|e| e.last().copied()) {
                            store.selected.set(Some(seq));
                            let near = ev.target().and_then(|t| t.dyn_into::<web_sys::Node>().ok());
                            crate::components::focus(near, "inspector-detail");
                        }
                    }
                >
                    "Inspect"
                    <span class="sr-only">{format!(" step {n}")}</span>
                </button>
            </div>
        </li>
    }
}

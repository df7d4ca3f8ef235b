//! The four phases of the workflow, one component each.

pub mod connect;
pub mod provision;
pub mod sign_on;
pub mod tokens;

use crate::state::Store;
use leptos::prelude::*;
use pingone::workflow::{steps_of, Phase, StepId};

pub use connect::ConnectPhase;
pub use provision::ProvisionPhase;
pub use sign_on::SignOnPhase;
pub use tokens::TokensPhase;

/// The steps an embedded instance shows (docs/embedding.md), in context when it shows fewer
/// than all: phases outside the range are not rendered (app.rs) and a phase hides its steps
/// outside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShownSteps {
    pub first: u8,
    pub last: u8,
}

impl ShownSteps {
    pub fn contains(self, id: StepId) -> bool {
        (self.first..=self.last).contains(&id.number())
    }
    pub fn overlaps(self, phase: Phase) -> bool {
        steps_of(phase).any(|s| self.contains(s.id))
    }
}

pub fn slug(phase: Phase) -> &'static str {
    match phase {
        Phase::Connect => "connect",
        Phase::Provision => "provision",
        Phase::SignOn => "sign-on",
        Phase::Tokens => "tokens",
    }
}

/// A phase's frame: heading, step range, progress, intro, then its content.
#[component]
pub fn PhaseSection(phase: Phase, intro: &'static str, children: Children) -> impl IntoView {
    let store = expect_context::<Store>();
    let shown = use_context::<ShownSteps>();
    let ids: Vec<StepId> = steps_of(phase).map(|s| s.id).filter(|id| shown.is_none_or(|r| r.contains(*id))).collect();
    let total = ids.len();
    let range = match (ids.first(), ids.last()) {
        (Some(a), Some(b)) if a != b => format!("Steps {}–{}", a.number(), b.number()),
        (Some(a), _) => format!("Step {}", a.number()),
        _ => String::new(),
    };
    let done = Memo::new(move |_| store.progress.with(|p| ids.iter().filter(|id| p.status(**id).is_settled()).count()));
    let s = slug(phase);
    let section = NodeRef::<leptos::html::Section>::new();
    if let Some(shown) = shown {
        // Hide the phase's steps outside the range (the cards are rendered by the phase).
        section.on_load(move |el| {
            for step in steps_of(phase).filter(|st| !shown.contains(st.id)) {
                if let Ok(Some(li)) = el.query_selector(&format!("li.step[data-step=\"{}\"]", step.number())) {
                    let _ = li.set_attribute("hidden", "");
                }
            }
        });
    }
    view! {
        <section
            node_ref=section
            class="phase"
            id=format!("phase-{s}")
            data-phase=s
            aria-labelledby=format!("phase-{s}-title")
            class:phase-done=move || done.get() == total
        >
            <header class="phase-head">
                <h2 id=format!("phase-{s}-title")>{phase.title()}</h2>
                <span class="range">{range}</span>
                <span class="phase-progress">{move || format!("{} of {total} done", done.get())}</span>
            </header>
            <p class="phase-intro">{intro}</p>
            {children()}
        </section>
    }
}

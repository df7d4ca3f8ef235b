//! Tokens (steps 19-20): the app's secret, the code exchange, and the decoded tokens (their
//! panel's code downloads when the tokens arrive).

use super::PhaseSection;
use crate::components::cleanup::CleanupPanel;
use crate::components::step_card::StepCard;
use crate::components::tokens::TokensPanel;
use crate::lazy::{lazy_fn, lazy_view};
use crate::state::Store;
use leptos::prelude::*;
use pingone::workflow::{Phase, StepId};

lazy_fn!(views;
    fn tokens_view() -> fn() -> AnyView {
        || view! { <TokensPanel/> }.into_any()
    }
);

#[component]
pub fn TokensPhase() -> impl IntoView {
    let store = expect_context::<Store>();
    view! {
        <PhaseSection
            phase=Phase::Tokens
            intro="The application authenticates with its client secret and proves with the PKCE verifier that it started this sign-on; PingOne answers with an access token and an ID token."
        >
            <ol class="steps" start="19">
                <StepCard id=StepId::ReadApplicationSecret/>
                <StepCard id=StepId::ExchangeCode/>
            </ol>
            <div class="panel tokens-panel" aria-labelledby="tokens-title">
                <h3 id="tokens-title">"Token response"</h3>
                <Show
                    when=move || store.wf.with(|s| s.secrets.tokens.is_some())
                    fallback=|| view! { <p class="muted">"No tokens yet: step 20 exchanges the authorization code for them."</p> }
                >
                    {lazy_view(tokens_view)}
                </Show>
            </div>
            <CleanupPanel/>
        </PhaseSection>
    }
}

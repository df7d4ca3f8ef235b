//! Tokens (steps 19-20): the app's secret, the code exchange, and the decoded tokens.

use super::PhaseSection;
use crate::components::cleanup::CleanupPanel;
use crate::components::step_card::StepCard;
use crate::components::tokens::TokensPanel;
use leptos::prelude::*;
use pingone::workflow::{Phase, StepId};

#[component]
pub fn TokensPhase() -> impl IntoView {
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
                <TokensPanel/>
            </div>
            <CleanupPanel/>
        </PhaseSection>
    }
}

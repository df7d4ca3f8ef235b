//! Provision (steps 1-13): the application, its scopes, the login + MFA policy, and the user.

use super::PhaseSection;
use crate::components::field::{ConfigField, DeviceFields, PasswordField};
use crate::components::step_card::StepCard;
use leptos::prelude::*;
use pingone::workflow::{Phase, StepId};

#[component]
pub fn ProvisionPhase() -> impl IntoView {
    view! {
        <PhaseSection
            phase=Phase::Provision
            intro="Create what a sign-on needs: the OIDC app and its scopes, a sign-on policy with a LOGIN and an MFA action, a population, and a user with a password and an MFA device. Names carry a random suffix so reruns never collide; edit any value before its step runs."
        >
            <ol class="steps" start="1">
                <StepCard id=StepId::CreateApplication>
                    <ConfigField label="Application name" field="application_name" step=StepId::CreateApplication/>
                    <ConfigField
                        label="Redirect URI"
                        field="redirect_uri"
                        step=StepId::CreateApplication
                        hint="Registered on the app and sent again on authorize and token."
                        input_type="url"
                    />
                </StepCard>
                <StepCard id=StepId::ReadResources/>
                <StepCard id=StepId::ReadScopes>
                    <ConfigField
                        label="Scopes"
                        field="scopes"
                        step=StepId::ReadScopes
                        hint="Space-separated. openid is required; the others must be scopes of the openid resource (profile, email, address, phone)."
                    />
                </StepCard>
                <StepCard id=StepId::CreateGrant/>
                <StepCard id=StepId::CreateSignOnPolicy>
                    <ConfigField label="Sign-on policy name" field="sign_on_policy_name" step=StepId::CreateSignOnPolicy/>
                </StepCard>
                <StepCard id=StepId::CreateLoginAction/>
                <StepCard id=StepId::CreateMfaAction/>
                <StepCard id=StepId::AssignSignOnPolicy/>
                <StepCard id=StepId::CreatePopulation>
                    <ConfigField label="Population name" field="population_name" step=StepId::CreatePopulation/>
                </StepCard>
                <StepCard id=StepId::CreateUser>
                    <ConfigField label="Username" field="username" step=StepId::CreateUser/>
                    <ConfigField label="Email" field="email" step=StepId::CreateUser input_type="email"/>
                    <div class="field-pair">
                        <ConfigField label="Given name" field="given_name" step=StepId::CreateUser/>
                        <ConfigField label="Family name" field="family_name" step=StepId::CreateUser/>
                    </div>
                </StepCard>
                <StepCard id=StepId::SetPassword>
                    <PasswordField step=StepId::SetPassword/>
                </StepCard>
                <StepCard id=StepId::EnableMfa/>
                <StepCard id=StepId::CreateMfaDevice>
                    <DeviceFields step=StepId::CreateMfaDevice/>
                </StepCard>
            </ol>
        </PhaseSection>
    }
}

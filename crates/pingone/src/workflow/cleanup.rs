//! Clean-up: the DELETEs that remove exactly what the run created (docs/security.md, C8), in
//! reverse dependency order. A sign-on policy's actions go with the policy and an application's
//! grants with the application, so they need no DELETE of their own.

use super::state::WorkflowState;
use super::{BuildError, StepId};
use crate::error::ApiError;
use crate::http::{HttpRequest, HttpResponse, Method};
use serde::{Deserialize, Serialize};

/// What one clean-up call deletes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CleanupTarget {
    MfaDevice,
    User,
    Population,
    SignOnPolicyAssignment,
    SignOnPolicy,
    Application,
}

impl CleanupTarget {
    /// Every target, in the order they are deleted.
    pub const ORDER: [CleanupTarget; 6] = [
        CleanupTarget::MfaDevice,
        CleanupTarget::User,
        CleanupTarget::Population,
        CleanupTarget::SignOnPolicyAssignment,
        CleanupTarget::SignOnPolicy,
        CleanupTarget::Application,
    ];

    /// Short, for the UI.
    pub fn title(self) -> &'static str {
        match self {
            CleanupTarget::MfaDevice => "Delete the MFA device",
            CleanupTarget::User => "Delete the user",
            CleanupTarget::Population => "Delete the population",
            CleanupTarget::SignOnPolicyAssignment => "Remove the policy from the application",
            CleanupTarget::SignOnPolicy => "Delete the sign-on policy (and its actions)",
            CleanupTarget::Application => "Delete the application (and its grants)",
        }
    }

    /// The step that created the object.
    pub fn created_by(self) -> StepId {
        match self {
            CleanupTarget::MfaDevice => StepId::CreateMfaDevice,
            CleanupTarget::User => StepId::CreateUser,
            CleanupTarget::Population => StepId::CreatePopulation,
            CleanupTarget::SignOnPolicyAssignment => StepId::AssignSignOnPolicy,
            CleanupTarget::SignOnPolicy => StepId::CreateSignOnPolicy,
            CleanupTarget::Application => StepId::CreateApplication,
        }
    }

    fn slug(self) -> &'static str {
        match self {
            CleanupTarget::MfaDevice => "device",
            CleanupTarget::User => "user",
            CleanupTarget::Population => "population",
            CleanupTarget::SignOnPolicyAssignment => "assignment",
            CleanupTarget::SignOnPolicy => "policy",
            CleanupTarget::Application => "application",
        }
    }
}

/// One DELETE of the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CleanupItem {
    pub target: CleanupTarget,
    pub title: &'static str,
    /// The id being deleted.
    pub id: String,
    pub request: HttpRequest,
}

/// How a DELETE ended when it did not fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Cleaned {
    Deleted,
    /// 404: someone (or a parent's deletion) removed it already.
    AlreadyGone,
}

/// The path of an object under the environment, when its ids are known.
fn path_of(target: CleanupTarget, s: &WorkflowState) -> Option<(String, String)> {
    let c = &s.created;
    Some(match target {
        CleanupTarget::MfaDevice => {
            let d = c.device_id.clone()?;
            (format!("/users/{}/devices/{d}", c.user_id.as_deref()?), d)
        }
        CleanupTarget::User => (format!("/users/{}", c.user_id.as_deref()?), c.user_id.clone()?),
        CleanupTarget::Population => (format!("/populations/{}", c.population_id.as_deref()?), c.population_id.clone()?),
        CleanupTarget::SignOnPolicyAssignment => {
            let a = c.sign_on_policy_assignment_id.clone()?;
            (format!("/applications/{}/signOnPolicyAssignments/{a}", c.application_id.as_deref()?), a)
        }
        CleanupTarget::SignOnPolicy => (format!("/signOnPolicies/{}", c.sign_on_policy_id.as_deref()?), c.sign_on_policy_id.clone()?),
        CleanupTarget::Application => (format!("/applications/{}", c.application_id.as_deref()?), c.application_id.clone()?),
    })
}

/// The DELETEs for everything still recorded in `Created`, in reverse dependency order:
/// device, user, population, policy assignment, policy, application. Empty when nothing is left.
pub fn cleanup_plan(s: &WorkflowState) -> Result<Vec<CleanupItem>, BuildError> {
    let items: Vec<(CleanupTarget, String, String)> =
        CleanupTarget::ORDER.iter().filter_map(|&t| path_of(t, s).map(|(path, id)| (t, path, id))).collect();
    if items.is_empty() {
        return Ok(Vec::new());
    }
    // Behind `pingone-proxy --worker-from-env` the proxy adds the token; the page has none.
    let token = if s.config.worker_token_from_proxy {
        None
    } else {
        Some(
            s.secrets
                .worker_token
                .as_ref()
                .ok_or(BuildError::Missing { what: "worker access token", from: StepId::WorkerToken })?,
        )
    };
    Ok(items
        .into_iter()
        .map(|(target, path, id)| {
            let mut request = HttpRequest::new(Method::Delete, format!("{}{path}", s.config.api_env()));
            if let Some(token) = token {
                request = request.header("Authorization", format!("Bearer {}", token.expose()));
            }
            CleanupItem {
                target,
                title: target.title(),
                id,
                request: request
                    .header("X-Ping-External-Session-ID", s.config.session_id.clone())
                    .header("X-Ping-External-Transaction-ID", format!("{}-cleanup-{}", s.config.session_id, target.slug())),
            }
        })
        .collect())
}

/// Clears `slot` if it still holds `id` (a newer object with another id is left alone).
fn forget(slot: &mut Option<String>, id: &str) {
    if slot.as_deref() == Some(id) {
        *slot = None;
    }
}

impl CleanupItem {
    /// Applies the DELETE's answer: 2xx or 404 removes the id (and what went with the object)
    /// from `Created`; anything else is an error and leaves it, so the plan can be run again.
    /// A DELETE is idempotent: retry it under [`crate::retry`]; 404 after a lost answer is fine.
    pub fn apply(&self, s: &mut WorkflowState, r: &HttpResponse) -> Result<Cleaned, ApiError> {
        let outcome = match r.status {
            200..=299 => Cleaned::Deleted,
            404 => Cleaned::AlreadyGone,
            status => return Err(ApiError::from_response(status, &r.body)),
        };
        let c = &mut s.created;
        let id = self.id.as_str();
        match self.target {
            CleanupTarget::MfaDevice => {
                if c.device_id.as_deref() == Some(id) {
                    c.device_id = None;
                    c.device_status = None;
                }
            }
            CleanupTarget::User => {
                if c.user_id.as_deref() == Some(id) {
                    // Its password, MFA setting and devices went with it.
                    c.user_id = None;
                    c.password_status = None;
                    c.mfa_enabled = None;
                    c.device_id = None;
                    c.device_status = None;
                }
            }
            CleanupTarget::Population => forget(&mut c.population_id, id),
            CleanupTarget::SignOnPolicyAssignment => forget(&mut c.sign_on_policy_assignment_id, id),
            CleanupTarget::SignOnPolicy => {
                if c.sign_on_policy_id.as_deref() == Some(id) {
                    c.sign_on_policy_id = None;
                    c.login_action_id = None;
                    c.mfa_action_id = None;
                }
            }
            CleanupTarget::Application => {
                if c.application_id.as_deref() == Some(id) {
                    c.application_id = None;
                    c.grant_id = None;
                    c.sign_on_policy_assignment_id = None;
                    s.secrets.app_secret = None;
                }
            }
        }
        Ok(outcome)
    }
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;
    use super::*;
    use crate::secret::{AccessToken, Password, WorkerSecret};
    use crate::workflow::{Endpoints, WorkflowConfig};
    use crate::Region;

    fn full_state() -> WorkflowState {
        let config = WorkflowConfig::new(Endpoints::for_region(Region::Na), "env", "worker", "x");
        let mut s = WorkflowState::new(config, WorkerSecret::new("w"), Password::new("p"));
        s.secrets.worker_token = Some(AccessToken::new("tok"));
        let c = &mut s.created;
        for (slot, id) in [
            (&mut c.application_id, "app"),
            (&mut c.grant_id, "grant"),
            (&mut c.sign_on_policy_id, "pol"),
            (&mut c.login_action_id, "login"),
            (&mut c.mfa_action_id, "mfa"),
            (&mut c.sign_on_policy_assignment_id, "spa"),
            (&mut c.population_id, "pop"),
            (&mut c.user_id, "user"),
            (&mut c.device_id, "dev"),
        ] {
            *slot = Some(id.to_string());
        }
        s
    }

    #[test]
    fn the_plan_deletes_in_reverse_dependency_order() {
        let s = full_state();
        let plan = cleanup_plan(&s).unwrap();
        let urls: Vec<String> = plan.iter().map(|i| format!("{} {}", i.request.method, i.request.path_and_query())).collect();
        assert_eq!(
            urls,
            [
                "DELETE /v1/environments/env/users/user/devices/dev",
                "DELETE /v1/environments/env/users/user",
                "DELETE /v1/environments/env/populations/pop",
                "DELETE /v1/environments/env/applications/app/signOnPolicyAssignments/spa",
                "DELETE /v1/environments/env/signOnPolicies/pol",
                "DELETE /v1/environments/env/applications/app",
            ]
        );
        assert_eq!(plan[0].request.headers.get("authorization"), Some("Bearer tok"));
        assert_eq!(plan[5].request.headers.get("x-ping-external-transaction-id"), Some("workbench-x-cleanup-application"));
        let mut no_token = s.clone();
        no_token.secrets.worker_token = None;
        assert!(matches!(cleanup_plan(&no_token), Err(BuildError::Missing { .. })));
    }

    #[test]
    fn deleted_or_gone_forgets_the_id_failures_keep_it() {
        let mut s = full_state();
        let plan = cleanup_plan(&s).unwrap();
        let fail = HttpResponse { status: 400, headers: Default::default(), body: r#"{"code":"INVALID_DATA","message":"m","details":[{"code":"CONSTRAINT_VIOLATION","message":"users"}]}"#.into() };
        let err = plan[2].apply(&mut s, &fail).unwrap_err();
        assert_eq!(err.detail_code(), Some("CONSTRAINT_VIOLATION"));
        assert_eq!(s.created.population_id.as_deref(), Some("pop"));
        assert_eq!(plan[1].apply(&mut s, &HttpResponse::new(204)), Ok(Cleaned::Deleted));
        assert_eq!(s.created.device_id, None, "devices go with their user");
        assert_eq!(plan[0].apply(&mut s, &HttpResponse::new(404)), Ok(Cleaned::AlreadyGone));
        assert_eq!(plan[4].apply(&mut s, &HttpResponse::new(204)), Ok(Cleaned::Deleted));
        assert_eq!((s.created.login_action_id.clone(), s.created.mfa_action_id.clone()), (None, None));
        assert_eq!(plan[5].apply(&mut s, &HttpResponse::new(204)), Ok(Cleaned::Deleted));
        assert_eq!(s.created.object_ids(), vec![("population", "pop")]);
        let again = cleanup_plan(&s).unwrap();
        assert_eq!(again.iter().map(|i| i.target).collect::<Vec<_>>(), [CleanupTarget::Population]);
        // A stale item does not forget a newer object of the same kind.
        s.created.population_id = Some("pop-2".into());
        assert_eq!(again[0].apply(&mut s, &HttpResponse::new(204)), Ok(Cleaned::Deleted));
        assert_eq!(s.created.population_id.as_deref(), Some("pop-2"));
    }
}

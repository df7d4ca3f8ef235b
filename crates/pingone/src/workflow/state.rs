//! The workflow's state: what the person configured, what PingOne created, where the sign-on
//! flow is, and the secrets (kept apart so they are never persisted by accident).

use crate::flow::Flow;
use crate::models::DeviceType;
use crate::oauth::{AuthorizeSecrets, TokenResponse};
use crate::region::Region;
use crate::secret::{AccessToken, AppSecret, AuthorizationCode, Otp, Password, TotpKeyUri, WorkerSecret};
use serde::{Deserialize, Serialize};

/// Where the calls go. For real PingOne these are the region's hosts; for the sandbox or a
/// proxy only the bases change, never the paths.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Endpoints {
    /// Management API base, e.g. `https://api.pingone.com/v1`.
    pub api_base: String,
    /// Auth host root, e.g. `https://auth.pingone.com` (the environment id follows).
    pub auth_root: String,
}

impl Endpoints {
    pub fn for_region(region: Region) -> Endpoints {
        Endpoints { api_base: region.api_base(), auth_root: region.auth_root() }
    }
}

/// Everything a person chooses before a run. Nothing secret lives here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkflowConfig {
    pub endpoints: Endpoints,
    /// The environment the workflow provisions into and signs on in.
    pub environment_id: String,
    /// The environment that holds the worker app (often the same one).
    #[serde(default)]
    pub worker_environment_id: Option<String>,
    pub worker_client_id: String,
    pub application_name: String,
    pub sign_on_policy_name: String,
    pub population_name: String,
    pub username: String,
    pub email: String,
    pub given_name: String,
    pub family_name: String,
    pub device_type: DeviceType,
    /// Where OTPs go for an EMAIL device.
    pub device_email: String,
    /// Where OTPs go for an SMS device (E.164).
    pub device_phone: String,
    /// Scopes to grant (step 4) and request (step 14); must include `openid`.
    pub scopes: Vec<String>,
    pub redirect_uri: String,
    /// The page's origin, allowed in the app's CORS settings (step 1) when set.
    #[serde(default)]
    pub app_origin: Option<String>,
    /// Sent as `X-Ping-External-Session-ID` so the run can be found in PingOne's audit log.
    pub session_id: String,
    /// `pingone-proxy --worker-from-env` holds the worker credentials and adds the worker token
    /// to management calls itself: the page sends none and skips step 0.
    #[serde(default)]
    pub worker_token_from_proxy: bool,
    /// The person confirmed provisioning into an environment whose type is PRODUCTION (or could
    /// not be read). Off by default: step 0 stops there.
    #[serde(default)]
    pub allow_production: bool,
}

impl WorkflowConfig {
    /// Defaults for a run; `suffix` (random, short) keeps names unique across reruns.
    pub fn new(endpoints: Endpoints, environment_id: &str, worker_client_id: &str, suffix: &str) -> Self {
        WorkflowConfig {
            endpoints,
            environment_id: environment_id.to_string(),
            worker_environment_id: None,
            worker_client_id: worker_client_id.to_string(),
            application_name: format!("Workbench App {suffix}"),
            sign_on_policy_name: format!("Workbench_Login_MFA_{suffix}"),
            population_name: format!("Workbench Population {suffix}"),
            username: format!("workbench.user.{suffix}"),
            email: format!("workbench.user.{suffix}@example.com"),
            given_name: "Jamie".to_string(),
            family_name: "Doe".to_string(),
            device_type: DeviceType::Email,
            device_email: format!("workbench.user.{suffix}@example.com"),
            device_phone: "+15125550100".to_string(),
            scopes: vec!["openid".into(), "profile".into(), "email".into()],
            redirect_uri: "https://workbench.example.com/callback".to_string(),
            app_origin: None,
            session_id: format!("workbench-{suffix}"),
            worker_token_from_proxy: false,
            allow_production: false,
        }
    }

    pub fn api_env(&self) -> String {
        format!("{}/environments/{}", self.endpoints.api_base.trim_end_matches('/'), self.environment_id)
    }

    pub fn auth_base(&self) -> String {
        format!("{}/{}", self.endpoints.auth_root.trim_end_matches('/'), self.environment_id)
    }

    /// `{auth}/{envId}/as` through the configured auth root: the ID token issuer when that root
    /// is PingOne's own host or the sandbox. Behind the proxy the issuer stays PingOne's
    /// ([`crate::Region::issuer`]), while this is where its documents are fetched.
    pub fn issuer(&self) -> String {
        format!("{}/as", self.auth_base())
    }

    /// The discovery document, fetched through the configured auth root.
    pub fn discovery_url(&self) -> String {
        format!("{}/.well-known/openid-configuration", self.issuer())
    }

    /// The JWKS, fetched through the configured auth root (a proxied run cannot follow the
    /// discovery document's `jwks_uri`, which names PingOne's host).
    pub fn jwks_url(&self) -> String {
        format!("{}/jwks", self.issuer())
    }

    pub fn worker_auth_base(&self) -> String {
        let env = self.worker_environment_id.as_deref().unwrap_or(&self.environment_id);
        format!("{}/{}", self.endpoints.auth_root.trim_end_matches('/'), env)
    }
}

/// Ids and facts PingOne returned. Not secret; safe to keep across a reload.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Created {
    pub application_id: Option<String>,
    pub openid_resource_id: Option<String>,
    /// `(name, id)` of the openid resource's scopes that the run grants.
    pub scopes: Vec<(String, String)>,
    pub grant_id: Option<String>,
    pub sign_on_policy_id: Option<String>,
    pub login_action_id: Option<String>,
    pub mfa_action_id: Option<String>,
    pub sign_on_policy_assignment_id: Option<String>,
    pub population_id: Option<String>,
    pub user_id: Option<String>,
    pub password_status: Option<String>,
    pub mfa_enabled: Option<bool>,
    pub device_id: Option<String>,
    pub device_status: Option<String>,
    /// When the worker token expires (epoch ms).
    pub worker_token_expires_at_ms: Option<u64>,
    /// When the worker token was obtained (epoch ms).
    #[serde(default)]
    pub worker_token_obtained_at_ms: Option<u64>,
    /// The environment's type, read by step 0 after the worker token (`None` until then).
    #[serde(default)]
    pub environment_type: Option<crate::models::EnvironmentType>,
    #[serde(default)]
    pub environment_name: Option<String>,
    /// The flow API refused the flow's cookies alone (401): from then on flow calls also carry
    /// the worker token, as one Ping sample says PingOne wants (docs/sandbox.md, "Settings").
    #[serde(default)]
    pub flow_wants_worker_token: bool,
}

impl Created {
    /// The objects this run created in PingOne and has not deleted, as `(what, id)`, in
    /// creation order. Empty once clean-up has finished.
    pub fn object_ids(&self) -> Vec<(&'static str, &str)> {
        [
            ("application", &self.application_id),
            ("grant", &self.grant_id),
            ("sign-on policy", &self.sign_on_policy_id),
            ("LOGIN action", &self.login_action_id),
            ("MFA action", &self.mfa_action_id),
            ("sign-on policy assignment", &self.sign_on_policy_assignment_id),
            ("population", &self.population_id),
            ("user", &self.user_id),
            ("MFA device", &self.device_id),
        ]
        .into_iter()
        .filter_map(|(what, id)| id.as_deref().map(|id| (what, id)))
        .collect()
    }
}

/// Secrets of a run: in memory only. `WorkflowState` skips this on serialisation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Secrets {
    pub worker_secret: WorkerSecret,
    pub password: Password,
    pub worker_token: Option<AccessToken>,
    pub app_secret: Option<AppSecret>,
    pub authorize: Option<AuthorizeSecrets>,
    /// The OTP typed by the person (or read from the sandbox inbox); used once.
    pub otp: Option<Otp>,
    pub code: Option<AuthorizationCode>,
    pub tokens: Option<TokenResponse>,
    /// The TOTP device's key (from its creation answer): the app computes its codes.
    pub totp_key_uri: Option<TotpKeyUri>,
    /// The last TOTP time step used: a code is accepted once, so the next one uses a later step.
    pub totp_last_counter: Option<u64>,
}

/// The whole state a run reads and writes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkflowState {
    pub config: WorkflowConfig,
    #[serde(default)]
    pub created: Created,
    /// The sign-on flow as PingOne last returned it.
    #[serde(default)]
    pub flow: Option<Flow>,
    /// The device to pick on `DEVICE_SELECTION_REQUIRED` (default: the one step 13 created).
    #[serde(default)]
    pub selected_device_id: Option<String>,
    #[serde(skip)]
    pub secrets: Secrets,
}

impl WorkflowState {
    pub fn new(config: WorkflowConfig, worker_secret: WorkerSecret, password: Password) -> Self {
        WorkflowState {
            config,
            created: Created::default(),
            flow: None,
            selected_device_id: None,
            secrets: Secrets { worker_secret, password, ..Secrets::default() },
        }
    }

    /// The worker token's lifetime, once step 0 has run.
    pub fn worker_token_lifetime(&self) -> Option<crate::worker_token::WorkerTokenLifetime> {
        let expires_at_ms = self.created.worker_token_expires_at_ms?;
        let obtained_at_ms = self.created.worker_token_obtained_at_ms.unwrap_or(expires_at_ms);
        Some(crate::worker_token::WorkerTokenLifetime { obtained_at_ms, expires_at_ms })
    }

    /// Forgets the sign-on part (steps 14-20) so a new sign-on can start with the same objects.
    pub fn reset_sign_on(&mut self) {
        self.flow = None;
        self.selected_device_id = None;
        self.secrets.authorize = None;
        self.secrets.otp = None;
        self.secrets.code = None;
        self.secrets.tokens = None;
    }
}

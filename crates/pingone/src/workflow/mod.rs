//! The workflow as data: 21 [`Step`]s (0 worker token, then PingOne's documented calls 1-20),
//! each with its documented number, phase, title, dependencies, a request builder from state
//! and a response applier into state. The UI, the runner, the curl export and the tests all
//! read this one list. Around it: the look-up that adopts an object whose create answer was
//! lost ([`build_lookup`]) and the clean-up plan that deletes what the run created
//! ([`cleanup_plan`]).

mod adopt;
mod cleanup;
mod dag;
mod input;
mod state;
mod steps;

pub use adopt::{apply_lookup, build_lookup, creates_object, Adoption};
pub use cleanup::{cleanup_plan, Cleaned, CleanupItem, CleanupTarget};
pub use dag::{critical_path, validate, DagError, Progress, StepStatus};
pub use input::{is_email, is_policy_name, is_uuid, validate_config, FieldError};
pub use state::{Created, Endpoints, Secrets, WorkflowConfig, WorkflowState};

use crate::error::ApiError;
use crate::flow::FlowStatus;
use crate::http::{HttpRequest, HttpResponse};
use crate::retry::Idempotency;
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// The four phases of the workflow, each a component in the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Phase {
    Connect,
    Provision,
    SignOn,
    Tokens,
}

impl Phase {
    pub const ALL: [Phase; 4] = [Phase::Connect, Phase::Provision, Phase::SignOn, Phase::Tokens];
    pub fn title(self) -> &'static str {
        match self {
            Phase::Connect => "Connect",
            Phase::Provision => "Provision",
            Phase::SignOn => "Sign on",
            Phase::Tokens => "Tokens",
        }
    }
}

/// The steps, named as PingOne names what they do. `number()` is the documented number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum StepId {
    WorkerToken,
    CreateApplication,
    ReadResources,
    ReadScopes,
    CreateGrant,
    CreateSignOnPolicy,
    CreateLoginAction,
    CreateMfaAction,
    AssignSignOnPolicy,
    CreatePopulation,
    CreateUser,
    SetPassword,
    EnableMfa,
    CreateMfaDevice,
    Authorize,
    ReadFlow,
    CheckUsernamePassword,
    CheckOtp,
    Resume,
    ReadApplicationSecret,
    ExchangeCode,
}

impl StepId {
    pub fn number(self) -> u8 {
        self as u8
    }
    pub fn from_number(n: u8) -> Option<StepId> {
        STEPS.get(n as usize).map(|s| s.id)
    }
    pub fn step(self) -> &'static Step {
        &STEPS[self as usize]
    }
    /// Whether sending the step's request twice can do harm: creates are looked up first
    /// ([`build_lookup`]), sign-on actions and the code exchange are never repeated.
    pub fn idempotency(self) -> Idempotency {
        match self {
            CheckUsernamePassword | CheckOtp | ExchangeCode => Idempotency::Once,
            id if creates_object(id) => Idempotency::Create,
            _ => Idempotency::Idempotent,
        }
    }
    /// True for management API calls: they carry the worker token, and a 401 renews it once
    /// ([`crate::worker_token::on_management_status`]). Step 0 obtains that token (its second
    /// call, the environment read, uses the token it just got).
    pub fn is_management(self) -> bool {
        self != WorkerToken && self.step().endpoint.contains("{api}")
    }
    /// True for the flow API's calls (`/flows/*`, `/as/resume`): bound to the flow by its
    /// cookies, and given the worker token too once PingOne refuses the cookies alone
    /// (docs/pingone.md, "Known differences").
    pub fn is_flow_call(self) -> bool {
        matches!(self, ReadFlow | CheckUsernamePassword | CheckOtp | Resume)
    }
}

/// What a step wants to do next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Planned {
    /// Send this request.
    Request(HttpRequest),
    /// Nothing to send: the step does not apply to this run (e.g. no MFA prompted).
    Skip(&'static str),
}

/// What applying a response did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// The step is finished.
    Done,
    /// The step needs another call (device selected, now check the OTP).
    Again,
}

/// Input only a person (or the sandbox inbox) can give.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum UserInput {
    WorkerSecret,
    Password,
    Otp,
    /// PKCE verifier/challenge, `state` and `nonce`: made by the runner from WebCrypto.
    AuthorizeSecrets,
    /// A code of the TOTP device (`secrets.totp_key_uri`), computed by the runner (HMAC via
    /// WebCrypto) into `secrets.otp`: to activate the device (step 13).
    TotpCode,
}

/// Why a step's request could not be built.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum BuildError {
    #[error("needs the {what} from step {} ({})", .from.number(), .from.step().title)]
    Missing { what: &'static str, from: StepId },
    #[error("waiting for input: {0:?}")]
    NeedsInput(UserInput),
    #[error("{field}: {message}")]
    Invalid { field: &'static str, message: String },
    #[error("the flow does not allow `{action}` in status {status} (allowed: {})", .allowed.join(", "))]
    ActionNotAllowed { action: &'static str, status: FlowStatus, allowed: Vec<String> },
    #[error("the flow is in status {0}, which this step does not handle")]
    UnsupportedFlowStatus(FlowStatus),
}

/// Why a response did not complete a step.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum StepError {
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error("security: the state returned with the code ({got:?}) does not match the one sent ({expected}); the code was discarded")]
    StateMismatch { expected: String, got: Option<String> },
    #[error("the sign-on flow failed: {0}")]
    FlowFailed(String),
    #[error("{0}")]
    Workflow(String),
    #[error("{}", production_message(*.0))]
    ProductionEnvironment(crate::models::EnvironmentType),
}

fn production_message(t: crate::models::EnvironmentType) -> &'static str {
    match t {
        crate::models::EnvironmentType::Production => "the environment's type is PRODUCTION: the workflow would create an application, a sign-on policy, a population and a user there, so it stops until you confirm",
        _ => "the environment's type could not be read (the worker's roles do not allow GET /environments/{envID}), so it may be a PRODUCTION environment: the workflow stops until you confirm",
    }
}

/// One step of the workflow.
pub struct Step {
    pub id: StepId,
    pub phase: Phase,
    pub title: &'static str,
    /// One line: why this call exists.
    pub purpose: &'static str,
    /// Steps whose results this one needs (the DAG's edges).
    pub depends_on: &'static [StepId],
    /// What it takes from earlier steps, for display ("application id (step 1)").
    pub inputs: &'static [(&'static str, StepId)],
    /// `METHOD path` as PingOne documents it, for display.
    pub endpoint: &'static str,
}

impl Step {
    pub fn number(&self) -> u8 {
        self.id.number()
    }
}

impl std::fmt::Debug for Step {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Step({} {})", self.number(), self.title)
    }
}

use StepId::*;

/// What a step does, as code: its request from the state, and what its response changes. Kept
/// apart from [`STEPS`] (what a step is, for display) and dispatched with direct calls, so a
/// page that only shows the workflow does not link the request builders, the response models and
/// their deserialisers (the app loads them with its engine; docs/architecture.md).
impl StepId {
    /// Builds this step's request from the state.
    pub fn build(self, s: &WorkflowState) -> Result<Planned, BuildError> {
        match self {
            WorkerToken => steps::build_worker_token(s),
            CreateApplication => steps::build_create_application(s),
            ReadResources => steps::build_read_resources(s),
            ReadScopes => steps::build_read_scopes(s),
            CreateGrant => steps::build_create_grant(s),
            CreateSignOnPolicy => steps::build_create_sign_on_policy(s),
            CreateLoginAction => steps::build_create_login_action(s),
            CreateMfaAction => steps::build_create_mfa_action(s),
            AssignSignOnPolicy => steps::build_assign_sign_on_policy(s),
            CreatePopulation => steps::build_create_population(s),
            CreateUser => steps::build_create_user(s),
            SetPassword => steps::build_set_password(s),
            EnableMfa => steps::build_enable_mfa(s),
            CreateMfaDevice => steps::build_create_device(s),
            Authorize => steps::build_authorize(s),
            ReadFlow => steps::build_read_flow(s),
            CheckUsernamePassword => steps::build_check_username_password(s),
            CheckOtp => steps::build_check_otp(s),
            Resume => steps::build_resume(s),
            ReadApplicationSecret => steps::build_read_application_secret(s),
            ExchangeCode => steps::build_exchange_code(s),
        }
    }

    /// Applies this step's response; `now_ms` is now (epoch ms).
    pub fn apply(self, s: &mut WorkflowState, response: &HttpResponse, now_ms: u64) -> Result<Applied, StepError> {
        // Refused before PingOne looked at the request (an OTP is kept for the next try).
        if self.is_flow_call() && steps::retry_with_worker_token(s, response) {
            return Ok(Applied::Again);
        }
        match self {
            WorkerToken => steps::apply_worker_token(s, response, now_ms),
            CreateApplication => steps::apply_create_application(s, response, now_ms),
            ReadResources => steps::apply_read_resources(s, response, now_ms),
            ReadScopes => steps::apply_read_scopes(s, response, now_ms),
            CreateGrant => steps::apply_create_grant(s, response, now_ms),
            CreateSignOnPolicy => steps::apply_create_sign_on_policy(s, response, now_ms),
            CreateLoginAction => steps::apply_create_login_action(s, response, now_ms),
            CreateMfaAction => steps::apply_create_mfa_action(s, response, now_ms),
            AssignSignOnPolicy => steps::apply_assign_sign_on_policy(s, response, now_ms),
            CreatePopulation => steps::apply_create_population(s, response, now_ms),
            CreateUser => steps::apply_create_user(s, response, now_ms),
            SetPassword => steps::apply_set_password(s, response, now_ms),
            EnableMfa => steps::apply_enable_mfa(s, response, now_ms),
            CreateMfaDevice => steps::apply_create_device(s, response, now_ms),
            Authorize => steps::apply_authorize(s, response, now_ms),
            ReadFlow => steps::apply_read_flow(s, response, now_ms),
            CheckUsernamePassword => steps::apply_check_username_password(s, response, now_ms),
            CheckOtp => steps::apply_check_otp(s, response, now_ms),
            Resume => steps::apply_resume(s, response, now_ms),
            ReadApplicationSecret => steps::apply_read_application_secret(s, response, now_ms),
            ExchangeCode => steps::apply_exchange_code(s, response, now_ms),
        }
    }
}

/// The workflow, in PingOne's documented order (index == number).
pub static STEPS: [Step; 21] = [
    Step { id: WorkerToken, phase: Phase::Connect, title: "Get a worker access token",
        purpose: "The worker app's client_credentials grant gives the admin token that every management call carries; a second call reads the environment's type, and a PRODUCTION environment needs your confirmation.",
        depends_on: &[], inputs: &[], endpoint: "POST {auth}/as/token, then GET {api}/environments/{envID}" },
    Step { id: CreateApplication, phase: Phase::Provision, title: "Create the OIDC web application",
        purpose: "The application users sign on to; its id is the OAuth client_id.",
        depends_on: &[WorkerToken], inputs: &[("worker token", WorkerToken)], endpoint: "POST {api}/environments/{envID}/applications" },
    Step { id: ReadResources, phase: Phase::Provision, title: "Read resources",
        purpose: "Find the built-in `openid` resource whose scopes the app will be granted.",
        depends_on: &[WorkerToken], inputs: &[("worker token", WorkerToken)], endpoint: "GET {api}/environments/{envID}/resources" },
    Step { id: ReadScopes, phase: Phase::Provision, title: "Read the openid resource's scopes",
        purpose: "Look up the ids of the scopes (profile, email, ...) to grant.",
        depends_on: &[ReadResources], inputs: &[("openid resource id", ReadResources)], endpoint: "GET {api}/environments/{envID}/resources/{resourceID}/scopes" },
    Step { id: CreateGrant, phase: Phase::Provision, title: "Grant the scopes to the application",
        purpose: "Without a resource grant the app may not request those scopes at authorize.",
        depends_on: &[CreateApplication, ReadScopes], inputs: &[("application id", CreateApplication), ("scope ids", ReadScopes)],
        endpoint: "POST {api}/environments/{envID}/applications/{appID}/grants" },
    Step { id: CreateSignOnPolicy, phase: Phase::Provision, title: "Create a sign-on policy",
        purpose: "The policy holds the actions a sign-on must pass: login, then MFA.",
        depends_on: &[WorkerToken], inputs: &[("worker token", WorkerToken)], endpoint: "POST {api}/environments/{envID}/signOnPolicies" },
    Step { id: CreateLoginAction, phase: Phase::Provision, title: "Add the LOGIN action",
        purpose: "Priority 1: the user proves who they are with username and password.",
        depends_on: &[CreateSignOnPolicy], inputs: &[("sign-on policy id", CreateSignOnPolicy)],
        endpoint: "POST {api}/environments/{envID}/signOnPolicies/{policyID}/actions" },
    Step { id: CreateMfaAction, phase: Phase::Provision, title: "Add the MFA action",
        purpose: "Priority 10: then a one-time passcode to an email or SMS device.",
        depends_on: &[CreateSignOnPolicy], inputs: &[("sign-on policy id", CreateSignOnPolicy)],
        endpoint: "POST {api}/environments/{envID}/signOnPolicies/{policyID}/actions" },
    Step { id: AssignSignOnPolicy, phase: Phase::Provision, title: "Assign the policy to the application",
        purpose: "Sign-ons to this app now follow the login + MFA policy.",
        depends_on: &[CreateApplication, CreateSignOnPolicy], inputs: &[("application id", CreateApplication), ("sign-on policy id", CreateSignOnPolicy)],
        endpoint: "POST {api}/environments/{envID}/applications/{appID}/signOnPolicyAssignments" },
    Step { id: CreatePopulation, phase: Phase::Provision, title: "Create a population",
        purpose: "A population groups the test user (and sets its password policy).",
        depends_on: &[WorkerToken], inputs: &[("worker token", WorkerToken)], endpoint: "POST {api}/environments/{envID}/populations" },
    Step { id: CreateUser, phase: Phase::Provision, title: "Create the user",
        purpose: "The person who will sign on.",
        depends_on: &[CreatePopulation], inputs: &[("population id", CreatePopulation)], endpoint: "POST {api}/environments/{envID}/users" },
    Step { id: SetPassword, phase: Phase::Provision, title: "Set the user's password",
        purpose: "A PUT with the password.set media type; the LOGIN action checks it.",
        depends_on: &[CreateUser], inputs: &[("user id", CreateUser)], endpoint: "PUT {api}/environments/{envID}/users/{userID}/password" },
    Step { id: EnableMfa, phase: Phase::Provision, title: "Enable MFA for the user",
        purpose: "mfaEnabled has its own endpoint; without it the MFA action is skipped.",
        depends_on: &[CreateUser], inputs: &[("user id", CreateUser)], endpoint: "PUT {api}/environments/{envID}/users/{userID}/mfaEnabled" },
    Step { id: CreateMfaDevice, phase: Phase::Provision, title: "Create the MFA device",
        purpose: "An email (or SMS) device, active at once because an admin created it.",
        depends_on: &[CreateUser], inputs: &[("user id", CreateUser)], endpoint: "POST {api}/environments/{envID}/users/{userID}/devices" },
    Step { id: Authorize, phase: Phase::SignOn, title: "Start the sign-on (authorize)",
        purpose: "response_mode=pi.flow returns the flow as JSON instead of redirecting to a login page.",
        depends_on: &[CreateGrant, CreateLoginAction, CreateMfaAction, AssignSignOnPolicy],
        inputs: &[("application id", CreateApplication), ("granted scopes", CreateGrant)], endpoint: "GET {auth}/as/authorize" },
    Step { id: ReadFlow, phase: Phase::SignOn, title: "Read the flow",
        purpose: "The flow's status and _links say what PingOne wants next.",
        depends_on: &[Authorize], inputs: &[("flow id", Authorize)], endpoint: "GET {auth}/flows/{flowID}" },
    Step { id: CheckUsernamePassword, phase: Phase::SignOn, title: "Check username and password",
        purpose: "The LOGIN action: usernamePassword.check; success sets the ST session cookie.",
        depends_on: &[ReadFlow, SetPassword, EnableMfa, CreateMfaDevice],
        inputs: &[("flow id", Authorize), ("username", CreateUser), ("password", SetPassword)], endpoint: "POST {auth}/flows/{flowID}" },
    Step { id: CheckOtp, phase: Phase::SignOn, title: "Check the one-time passcode",
        purpose: "The MFA action: pick a device if asked, then otp.check with the code sent to it.",
        depends_on: &[CheckUsernamePassword], inputs: &[("flow id", Authorize), ("device id", CreateMfaDevice)], endpoint: "POST {auth}/flows/{flowID}" },
    Step { id: Resume, phase: Phase::SignOn, title: "Resume the authorize request",
        purpose: "With the flow COMPLETED, as/resume hands out the authorization code.",
        depends_on: &[CheckOtp], inputs: &[("flow id", Authorize)], endpoint: "GET {auth}/as/resume?flowId={flowID}" },
    Step { id: ReadApplicationSecret, phase: Phase::Tokens, title: "Read the application secret",
        purpose: "The app authenticates to the token endpoint with its client secret.",
        depends_on: &[CreateApplication], inputs: &[("application id", CreateApplication)],
        endpoint: "GET {api}/environments/{envID}/applications/{appID}/secret" },
    Step { id: ExchangeCode, phase: Phase::Tokens, title: "Exchange the code for tokens",
        purpose: "authorization_code grant with the PKCE verifier: access token and ID token.",
        depends_on: &[Resume, ReadApplicationSecret],
        inputs: &[("code", Resume), ("application secret", ReadApplicationSecret), ("PKCE verifier", Authorize)],
        endpoint: "POST {auth}/as/token" },
];

/// The steps of a phase, in documented order.
pub fn steps_of(phase: Phase) -> impl Iterator<Item = &'static Step> {
    STEPS.iter().filter(move |s| s.phase == phase)
}

#[cfg(test)]
mod tests;

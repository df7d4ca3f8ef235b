//! The one workflow store. Everything the UI shows is read from these signals; components
//! dispatch the runner's actions and never apply PingOne rules themselves.
//!
//! The non-secret part (config, created ids, flow, step statuses, timings, errors, the redacted
//! transcript) is saved to sessionStorage and restored on reload. Secrets live in
//! `WorkflowState::secrets`, which serde skips, and in the sandbox engine in page memory.

use crate::crypto;
use crate::mask::SecretValues;
use crate::remember::{self, Choices, Kept, Restored};
use crate::transcript::Exchange;
use crate::transport::{AnyTransport, HttpTransport, SandboxStart, SandboxTransport, TransportError};
use futures::future::{FutureExt, LocalBoxFuture, Shared};
use leptos::prelude::*;
use pingone::error::{excerpt, hint_for, ApiError};
use pingone::flow::FlowStatus;
use pingone::region::Region;
use pingone::secret::{Password, WorkerSecret};
use pingone::workflow::{
    validate_config, BuildError, Endpoints, FieldError, Progress, StepError, StepId, StepStatus, WorkflowConfig,
    WorkflowState, STEPS,
};
use serde::{Deserialize, Serialize};

/// Where the calls go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Mode {
    /// The PingOne emulator inside this page (default, zero set-up).
    Sandbox,
    /// A real PingOne tenant through the proxy.
    Live,
}

impl Mode {
    pub fn label(self) -> &'static str {
        match self {
            Mode::Sandbox => "sandbox",
            Mode::Live => "live",
        }
    }
}

/// What the runner is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunMode {
    Idle,
    /// Run all: every ready step starts as soon as its dependencies are done.
    RunningAll,
    /// One step at a time (Step, Retry, Run step N).
    Stepping,
    /// Rebuilding the in-page sandbox after a reload.
    Replaying,
    /// Deleting what the run created.
    CleaningUp,
}

/// One DELETE of the clean-up, as the UI shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct CleanupRow {
    pub title: &'static str,
    pub id: String,
    pub state: CleanupState,
}

#[derive(Debug, Clone, PartialEq)]
pub enum CleanupState {
    Waiting,
    Running,
    Deleted,
    /// 404: already gone (e.g. deleted with its parent).
    AlreadyGone,
    Failed(StepFailure),
}

/// Where live calls go: the region and the `pingone-proxy` in front of it. Nothing secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveSettings {
    pub region: Region,
    /// The proxy's base URL; empty means this page's own origin (`pingone-proxy --serve`, or
    /// `trunk serve` forwarding to the proxy).
    pub proxy_base: String,
}

impl Default for LiveSettings {
    fn default() -> Self {
        LiveSettings { region: Region::Na, proxy_base: String::new() }
    }
}

impl LiveSettings {
    /// The proxy root without a trailing slash, or why the URL cannot be used.
    pub fn proxy_root(&self) -> Result<String, &'static str> {
        let raw = self.proxy_base.trim();
        if raw.is_empty() {
            return origin().ok_or("this page has no origin: enter the proxy URL");
        }
        let url = url::Url::parse(raw).map_err(|_| "enter a full URL such as http://127.0.0.1:8787")?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err("the proxy URL must start with http:// or https://");
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err("no user name or password in the proxy URL");
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err("no query or fragment in the proxy URL");
        }
        Ok(url.as_str().trim_end_matches('/').to_string())
    }

    /// The proxy's routes for the region: `/{region}/api/v1/...` and `/{region}/auth/...`.
    pub fn endpoints(&self) -> Result<Endpoints, &'static str> {
        let root = self.proxy_root()?;
        let code = self.region.code();
        Ok(Endpoints { api_base: format!("{root}/{code}/api/v1"), auth_root: format!("{root}/{code}/auth") })
    }
}

/// What `pingone-proxy` says about itself (`GET /_proxy/info`; nothing secret).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ProxyInfo {
    /// `"proxy"`: it holds the worker credentials (`--worker-from-env`); `"page"`: the page sends them.
    pub worker_credentials: String,
    #[serde(default)]
    pub environment_id: Option<String>,
    #[serde(default)]
    pub regions: Vec<String>,
}

impl ProxyInfo {
    pub fn holds_worker_credentials(&self) -> bool {
        self.worker_credentials == "proxy"
    }
}

/// One entry of a PingOne error's `details[]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FailureDetail {
    pub code: String,
    pub target: Option<String>,
    pub message: String,
}

/// Why a step failed, ready to show: PingOne's code, message and details, plus a hint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepFailure {
    /// Short heading ("PingOne error 400", "Input problem", "No response").
    pub title: String,
    pub status: Option<u16>,
    pub code: Option<String>,
    pub message: String,
    #[serde(default)]
    pub details: Vec<FailureDetail>,
    pub hint: Option<String>,
}

impl StepFailure {
    pub fn one_line(&self) -> String {
        match &self.code {
            Some(c) => format!("{}: {} {}", self.title, c, self.message),
            None => format!("{}: {}", self.title, self.message),
        }
    }

    pub fn from_api(e: &ApiError, sv: &SecretValues) -> StepFailure {
        let hint = Some(e.hint().to_string());
        match e {
            ApiError::PingOne { status, error } => StepFailure {
                title: format!("PingOne error {status}"),
                status: Some(*status),
                code: Some(error.code.clone()),
                message: sv.replace_known(&error.message),
                details: error
                    .details
                    .iter()
                    .map(|d| FailureDetail {
                        code: d.code.clone(),
                        target: d.target.clone(),
                        message: sv.replace_known(&d.message),
                    })
                    .collect(),
                hint,
            },
            ApiError::OAuth { status, error } => StepFailure {
                title: format!("OAuth error {status}"),
                status: Some(*status),
                code: Some(error.error.clone()),
                message: sv.replace_known(error.error_description.as_deref().unwrap_or("")),
                details: vec![],
                hint,
            },
            ApiError::UnexpectedStatus { status, body_excerpt } => StepFailure {
                title: format!("Unexpected HTTP {status}"),
                status: Some(*status),
                code: None,
                message: format!(
                    "The body is neither a PingOne nor an OAuth error: {}",
                    sv.replace_known(body_excerpt)
                ),
                details: vec![],
                hint,
            },
            ApiError::Malformed { status, reason } => StepFailure {
                title: "Malformed response".into(),
                status: Some(*status),
                code: None,
                message: format!(
                    "HTTP {status}, but the body is not what PingOne documents: {}",
                    sv.replace_known(reason)
                ),
                details: vec![],
                hint: Some(
                    "The response is in the inspector. A proxy or gateway may have answered instead of PingOne.".into(),
                ),
            },
            ApiError::Transport(reason) => StepFailure::no_response(reason),
        }
    }

    pub fn from_step(e: &StepError, sv: &SecretValues) -> StepFailure {
        match e {
            StepError::Api(api) => StepFailure::from_api(api, sv),
            StepError::StateMismatch { .. } => StepFailure {
                title: "Security check failed".into(),
                status: None,
                code: Some("state_mismatch".into()),
                message: sv.replace_known(&e.to_string()),
                details: vec![],
                hint: Some("Start a new sign-on (step 14): a fresh state and PKCE verifier are made for it.".into()),
            },
            StepError::FlowFailed(m) => StepFailure {
                title: "The sign-on flow failed".into(),
                status: None,
                code: Some("FAILED".into()),
                message: sv.replace_known(m),
                details: vec![],
                hint: Some("Start a new sign-on (step 14).".into()),
            },
            StepError::ProductionEnvironment(_) => StepFailure {
                title: "Production environment".into(),
                status: None,
                code: None,
                message: e.to_string(),
                details: vec![],
                hint: Some("Use a dedicated non-production (SANDBOX) environment for this workflow. If you mean it, tick \u{201c}Provision into this environment\u{201d} under Connect and run step 0 again.".into()),
            },
            StepError::Workflow(m) => StepFailure {
                title: "Cannot continue".into(),
                status: None,
                code: None,
                message: sv.replace_known(m),
                details: vec![],
                hint: None,
            },
        }
    }

    pub fn from_build(e: &BuildError) -> StepFailure {
        let hint = match e {
            BuildError::Missing { from, .. } => Some(format!("Run step {} first.", from.number())),
            BuildError::ActionNotAllowed { .. } | BuildError::UnsupportedFlowStatus(_) => {
                Some("See the flow panel of the Sign on phase: it shows what PingOne asks for now.".to_string())
            }
            _ => None,
        };
        StepFailure {
            title: "Cannot build the request".into(),
            status: None,
            code: None,
            message: e.to_string(),
            details: vec![],
            hint,
        }
    }

    pub fn no_response(reason: &str) -> StepFailure {
        StepFailure {
            title: "No response".into(),
            status: None,
            code: None,
            message: reason.to_string(),
            details: vec![],
            hint: Some(hint_for(None, None, None).to_string()),
        }
    }

    pub fn input(errors: &[FieldError]) -> StepFailure {
        StepFailure {
            title: "Input problem".into(),
            status: None,
            code: None,
            message: "Fix the highlighted input, then run the step again.".into(),
            details: errors
                .iter()
                .map(|e| FailureDetail {
                    code: "INVALID_INPUT".into(),
                    target: Some(e.field.into()),
                    message: e.message.clone(),
                })
                .collect(),
            hint: None,
        }
    }

    pub fn plain(title: &str, message: impl Into<String>) -> StepFailure {
        StepFailure {
            title: title.into(),
            status: None,
            code: None,
            message: message.into(),
            details: vec![],
            hint: None,
        }
    }
}

/// Runtime facts of one step.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StepRun {
    /// Wall time of the step's last run (all its calls).
    pub duration_ms: Option<f64>,
    /// How many calls its last run made.
    pub calls: u32,
    pub error: Option<StepFailure>,
    /// Why it was skipped, or what input it waits for.
    pub note: Option<String>,
}

/// An OTP the sandbox "sent".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxMessage {
    pub to: String,
    pub device_id: String,
    pub otp: String,
    /// ISO-8601 UTC, as the sandbox stamps it.
    pub sent_at: String,
}

/// Run all's wall clock.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RunClock {
    pub started_ms: f64,
    pub finished_ms: Option<f64>,
}

/// Options for a store (the app uses the defaults; tests pin them).
#[derive(Debug, Clone)]
pub struct StoreOptions {
    pub seed: Option<u64>,
    pub latency_ms: u32,
    /// Save to and restore from sessionStorage.
    pub persist: bool,
    pub suffix: Option<String>,
    pub password: Option<String>,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions { seed: None, latency_ms: 0, persist: true, suffix: None, password: None }
    }
}

/// The localStorage key of the worker credentials a person chose to remember on this device.
pub const REMEMBER_KEY: &str = Kept::WorkerCredentials.key();

/// The sessionStorage key of the saved run.
pub const SESSION_KEY: &str = "pingone-workbench.run.v1";

/// What is saved across a reload (nothing secret). Read back owned (`Saved`); written with the
/// state and the transcript, the large parts, borrowed from their signals.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct SavedRun<State, Transcript> {
    mode: Mode,
    state: State,
    progress: Progress,
    runs: Vec<StepRun>,
    transcript: Transcript,
    auto_otp: bool,
    run_clock: Option<RunClock>,
    #[serde(default)]
    live: LiveSettings,
}

type Saved = SavedRun<WorkflowState, Vec<Exchange>>;

/// The run of the mode that is not shown (sandbox and live keep their state apart).
struct ModeRun {
    wf: WorkflowState,
    progress: Progress,
    runs: Vec<StepRun>,
    transcript: Vec<Exchange>,
    inbox: Vec<InboxMessage>,
    selected: Option<u32>,
    run_clock: Option<RunClock>,
    notice: Option<String>,
    provisioned_password: Option<Password>,
    transport: Option<AnyTransport>,
}

/// The store: signals (Copy handles), shared through context.
#[derive(Clone, Copy)]
pub struct Store {
    pub mode: RwSignal<Mode>,
    pub wf: RwSignal<WorkflowState>,
    pub progress: RwSignal<Progress>,
    pub runs: RwSignal<Vec<StepRun>>,
    pub transcript: RwSignal<Vec<Exchange>>,
    pub inbox: RwSignal<Vec<InboxMessage>>,
    pub run_mode: RwSignal<RunMode>,
    /// After a person supplies input (OTP) or retries, go on with Run all.
    pub continue_all: RwSignal<bool>,
    /// Run all reads the OTP from the sandbox inbox.
    pub auto_otp: RwSignal<bool>,
    /// The ARIA live region's text.
    pub announce: RwSignal<String>,
    /// The exchange shown in the inspector (by `seq`).
    pub selected: RwSignal<Option<u32>>,
    pub run_clock: RwSignal<Option<RunClock>>,
    /// A banner (e.g. "restored after reload").
    pub notice: RwSignal<Option<String>>,
    /// The password step 11 set, kept so a person can go back to it after trying a wrong one.
    pub provisioned_password: RwSignal<Option<Password>>,
    /// The secrets the person opted in to keep in this browser's localStorage (live mode).
    pub remember: RwSignal<Choices>,
    /// Sandbox fault injection: the fraction of calls answered 503/429 or dropped after acting.
    pub fail_rate: RwSignal<f64>,
    /// The last clean-up, one row per DELETE.
    pub cleanup: RwSignal<Vec<CleanupRow>>,
    /// The ID token's verification (discovery, JWKS, WebCrypto signature, claim checks).
    pub id_token_check: RwSignal<Option<Result<pingone::idtoken::IdTokenReport, String>>>,
    /// The mode's transport; `None` until a run first needs it (the sandbox downloads then).
    pub(crate) transport: StoredValue<Option<AnyTransport>, LocalStorage>,
    /// Live mode's region and proxy.
    pub live: RwSignal<LiveSettings>,
    /// Why the proxy URL cannot be used (live mode).
    pub proxy_error: Memo<Option<&'static str>>,
    /// The other mode's run, kept while this one is shown.
    other: StoredValue<Option<ModeRun>, LocalStorage>,
    /// A sandbox that is starting (shared by the steps Run all starts at once).
    starting: StoredValue<Option<SandboxStarting>, LocalStorage>,
    /// Seed and latency of the next sandbox tenant.
    sandbox_start: StoredValue<(u64, u32)>,
    /// The next sandbox tenant's environment is of type PRODUCTION (a sandbox setting, to see
    /// step 0's guard).
    pub sandbox_production: RwSignal<bool>,
    /// The next sandbox tenant answers resume with 200 JSON (`authorizeResponse`) instead of
    /// the documented 302 (a sandbox setting where PingOne's sources disagree).
    pub sandbox_resume_json: RwSignal<bool>,
    /// The next sandbox tenant's flow calls need the worker token as well as the cookies (a
    /// sandbox setting where PingOne's sources disagree).
    pub sandbox_flow_worker_token: RwSignal<bool>,
    persist: StoredValue<bool>,
    /// Steps to replay against the fresh sandbox after a reload.
    pub(crate) pending_replay: StoredValue<Vec<StepId>>,
    /// This tab's saved run (JSON) until [`Store::restore_saved`] applies it; nothing is saved
    /// meanwhile, so the saved run is not overwritten by the fresh state shown before.
    pending_restore: StoredValue<Option<String>>,
    options: StoredValue<StoreOptions>,
    /// A single-use sign-on call lost its answer: the flow may have moved on without us, so
    /// Run all starts the sign-on again when a sign-on step then fails.
    pub(crate) sign_on_disrupted: StoredValue<bool>,
    pub(crate) sign_on_restarts: StoredValue<u32>,
    /// Bumped by Start over: tasks of an older run drop their results.
    pub(crate) generation: StoredValue<u64>,
    pub field_errors: Memo<Vec<FieldError>>,
    pub next_step: Memo<Option<StepId>>,
    pub done_count: Memo<usize>,
    pub complete: Memo<bool>,
    pub flow_status: Memo<Option<FlowStatus>>,
    pub busy: Memo<bool>,
}

type SandboxStarting = Shared<LocalBoxFuture<'static, Result<SandboxTransport, TransportError>>>;

fn session_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok().flatten()
}

fn origin() -> Option<String> {
    web_sys::window()?.location().origin().ok()
}

/// The sandbox endpoints: the real PingOne URLs, so the inspector teaches the real thing (the
/// engine routes on the path only).
pub fn sandbox_endpoints() -> Endpoints {
    Endpoints { api_base: "https://api.pingone.com/v1".into(), auth_root: "https://auth.pingone.com".into() }
}

/// A fresh config for a sandbox tenant.
fn sandbox_config(env_id: &str, worker_client_id: &str, suffix: &str) -> WorkflowConfig {
    config_for(sandbox_endpoints(), env_id, worker_client_id, suffix)
}

/// A fresh config; the redirect URI is this page's `/callback` where PingOne accepts it
/// (https, or http on loopback) and the page's origin goes into the app's CORS settings.
fn config_for(endpoints: Endpoints, env_id: &str, worker_client_id: &str, suffix: &str) -> WorkflowConfig {
    let mut c = WorkflowConfig::new(endpoints, env_id, worker_client_id, suffix);
    if let Some(o) = origin() {
        let local =
            o.starts_with("http://localhost") || o.starts_with("http://127.0.0.1") || o.starts_with("http://[::1]");
        if o.starts_with("https://") || local {
            c.redirect_uri = format!("{o}/callback");
            c.app_origin = Some(o);
        }
    }
    c
}

fn fallback_random() -> u64 {
    (js_sys::Math::random() * (u64::MAX as f64)) as u64
}

fn new_suffix() -> String {
    crypto::random_suffix(6).unwrap_or_else(|_| format!("{:06x}", fallback_random() & 0xff_ffff))
}

fn new_password() -> String {
    crypto::random_password().unwrap_or_else(|_| {
        let bytes = [fallback_random().to_le_bytes(), fallback_random().to_le_bytes()].concat();
        pingone::secret::password_from_random(&bytes).expose().to_string()
    })
}

/// The seed of a new sandbox tenant: pinned by tests, random otherwise.
fn sandbox_seed(opts: &StoreOptions) -> u64 {
    opts.seed.unwrap_or_else(|| crypto::random_u64().unwrap_or_else(|_| fallback_random()))
}

/// A fresh state for a sandbox tenant that has not started yet: the environment and the worker
/// app's credentials arrive when the sandbox starts (`Store::ensure_transport`).
fn fresh_sandbox_state(opts: &StoreOptions) -> WorkflowState {
    let suffix = opts.suffix.clone().unwrap_or_else(new_suffix);
    let password = opts.password.clone().unwrap_or_else(new_password);
    WorkflowState::new(sandbox_config("", "", &suffix), WorkerSecret::new(String::new()), Password::new(password))
}

/// A fresh state for a live tenant: the person enters the environment and worker credentials.
fn fresh_live_state(settings: &LiveSettings, opts: &StoreOptions) -> WorkflowState {
    let endpoints = settings.endpoints().unwrap_or_else(|_| Endpoints::for_region(settings.region));
    let suffix = opts.suffix.clone().unwrap_or_else(new_suffix);
    let password = opts.password.clone().unwrap_or_else(new_password);
    // Only what the person chose to remember on this device (and never in tests' stores).
    let remembered = remember::worker().filter(|_| opts.persist);
    let (env, worker, secret) = match remembered {
        Some(r) => (r.environment_id, r.worker_client_id, r.worker_secret),
        None => (String::new(), String::new(), WorkerSecret::default()),
    };
    WorkflowState::new(config_for(endpoints, &env, &worker, &suffix), secret, Password::new(password))
}

/// The steps of a sign-on (reset together: their secrets never survive a reload).
pub const SIGN_ON_STEPS: [StepId; 6] =
    [StepId::Authorize, StepId::ReadFlow, StepId::CheckUsernamePassword, StepId::CheckOtp, StepId::Resume, StepId::ExchangeCode];

/// Extra rules for inputs `validate_config` does not hold (the password is a secret).
pub fn password_problem(p: &str) -> Option<&'static str> {
    if p.is_empty() {
        Some("enter a password")
    } else if p.chars().count() < 8 {
        Some("at least 8 characters (PingOne's default password policy)")
    } else if p.chars().count() > 255 {
        Some("at most 255 characters")
    } else {
        None
    }
}

/// The config fields a step reads (its inputs are validated before it runs).
pub fn fields_of(id: StepId) -> &'static [&'static str] {
    match id {
        StepId::WorkerToken => &["environment_id", "worker_client_id"],
        StepId::CreateApplication => &["application_name", "redirect_uri"],
        StepId::ReadScopes | StepId::CreateGrant => &["scopes"],
        StepId::CreateSignOnPolicy => &["sign_on_policy_name"],
        StepId::CreatePopulation => &["population_name"],
        StepId::CreateUser => &["username", "email"],
        StepId::SetPassword => &["password"],
        StepId::CreateMfaDevice => &["device_email", "device_phone"],
        StepId::Authorize => &["scopes", "redirect_uri"],
        _ => &[],
    }
}

impl Store {
    /// The store of the app, fresh. When this tab has a saved run, it is kept for
    /// [`Store::restore_saved`], which the app calls as it mounts (the decoding is the engine's).
    pub fn new(opts: StoreOptions) -> Store {
        let state = fresh_sandbox_state(&opts);
        let saved = if opts.persist {
            session_storage().and_then(|s| s.get_item(SESSION_KEY).ok().flatten())
        } else {
            None
        };
        let wf = RwSignal::new(state);
        let progress = RwSignal::new(Progress::new());
        let field_errors = Memo::new(move |_| {
            wf.with(|s| {
                let mut errs = validate_config(&s.config);
                if let Some(m) = password_problem(s.secrets.password.expose()) {
                    errs.push(FieldError { field: "password", message: m.to_string() });
                }
                errs
            })
        });
        let run_mode = RwSignal::new(RunMode::Idle);
        let live = RwSignal::new(LiveSettings::default());
        let store = Store {
            mode: RwSignal::new(Mode::Sandbox),
            live,
            proxy_error: Memo::new(move |_| live.with(|l| l.proxy_root().err())),
            other: StoredValue::new_local(None),
            wf,
            progress,
            runs: RwSignal::new(vec![StepRun::default(); STEPS.len()]),
            transcript: RwSignal::new(Vec::new()),
            inbox: RwSignal::new(Vec::new()),
            run_mode,
            continue_all: RwSignal::new(false),
            auto_otp: RwSignal::new(true),
            announce: RwSignal::new(String::new()),
            selected: RwSignal::new(None),
            run_clock: RwSignal::new(None),
            notice: RwSignal::new(None),
            provisioned_password: RwSignal::new(None),
            id_token_check: RwSignal::new(None),
            cleanup: RwSignal::new(Vec::new()),
            fail_rate: RwSignal::new(0.0),
            remember: RwSignal::new(if opts.persist { Choices::from_storage() } else { Choices::default() }),
            transport: StoredValue::new_local(None),
            starting: StoredValue::new_local(None),
            sandbox_start: StoredValue::new((sandbox_seed(&opts), opts.latency_ms)),
            sandbox_production: RwSignal::new(false),
            sandbox_resume_json: RwSignal::new(false),
            sandbox_flow_worker_token: RwSignal::new(false),
            persist: StoredValue::new(opts.persist),
            pending_replay: StoredValue::new(Vec::new()),
            pending_restore: StoredValue::new(saved),
            options: StoredValue::new(opts.clone()),
            generation: StoredValue::new(0),
            sign_on_disrupted: StoredValue::new(false),
            sign_on_restarts: StoredValue::new(0),
            field_errors,
            next_step: Memo::new(move |_| progress.with(|p| p.next_in_order())),
            done_count: Memo::new(move |_| progress.with(|p| p.count(StepStatus::Done) + p.count(StepStatus::Skipped))),
            complete: Memo::new(move |_| progress.with(|p| p.is_complete())),
            flow_status: Memo::new(move |_| wf.with(|s| s.flow.as_ref().map(|f| f.status.clone()))),
            busy: Memo::new(move |_| run_mode.get() != RunMode::Idle),
        };
        store
    }

    /// Whether this tab's saved run is still to be restored.
    pub fn restore_pending(&self) -> bool {
        self.pending_restore.with_value(|p| p.is_some())
    }

    /// This tab's saved run (JSON), while it is still to be restored ([`Store::restore_saved`]).
    pub(crate) fn saved_json(&self) -> Option<String> {
        self.pending_restore.with_value(|p| p.clone())
    }

    /// The saved run could not be restored now: keep it (unsaved over) and say so.
    pub(crate) fn restore_failed(&self, why: &str) {
        self.notice.set(Some(format!("Your run from before the reload could not be restored: {why}. It is kept: reload the page to try again.")));
    }

    /// Applies this tab's saved run (the JSON [`Store::new`] found in sessionStorage): the inputs,
    /// what was created, the statuses and the transcript; secrets were never saved (a live run
    /// takes back the ones the person chose to remember). A sandbox run's finished steps are
    /// then replayed (`runner::replay_after_reload`).
    pub fn restore_saved(&self, json: &str) {
        self.pending_restore.set_value(None);
        let Ok(saved) = serde_json::from_str::<Saved>(json) else {
            return;
        };
        let opts = self.options.get_value();
        let mut state = self.wf.get_untracked();
        let mut progress = Progress::new();
        let mut runs: Vec<StepRun>;
        let transcript;
        let auto_otp;
        let mut run_clock = None;
        let notice;
        let mut replay = Vec::new();
        let mut mode = Mode::Sandbox;
        let live;
        // Kept in both modes: the inputs, the record of the run (errors were about the old
        // page) and the settings.
        live = saved.live;
        runs = saved.runs;
        runs.resize(STEPS.len(), StepRun::default());
        for r in runs.iter_mut() {
            r.error = None;
        }
        transcript = saved.transcript;
        auto_otp = saved.auto_otp;
        if saved.mode == Mode::Live {
            // A live run: PingOne kept what was created; the page kept only the secrets the
            // person chose to remember on this device. Step 0 needs the worker secret again;
            // a password nobody kept is set anew (step 11), an application secret read again
            // (step 19) and, without kept tokens, the sign-on starts over (its PKCE verifier
            // and code were in memory).
            mode = Mode::Live;
            state = saved.state;
            state.secrets = fresh_live_state(&live, &StoreOptions { persist: false, ..opts.clone() }).secrets;
            let signed_on = saved.progress.status(StepId::ExchangeCode) == StepStatus::Done;
            let kept = if opts.persist { remember::restore(&mut state, signed_on) } else { Restored::default() };
            progress = saved.progress;
            let mut again = vec![StepId::WorkerToken];
            if !kept.password {
                again.push(StepId::SetPassword);
            }
            if !kept.app_secret {
                again.push(StepId::ReadApplicationSecret);
            }
            if !kept.tokens {
                state.reset_sign_on();
                again.extend(SIGN_ON_STEPS);
            }
            progress.reset_from(&again);
            notice = Some(match kept.describe() {
                None => "Restored your live run after the reload. Secrets are kept in memory only: enter the worker client secret and run step 0 again; the user's password is set again (step 11), the application secret read again (step 19) and the sign-on (steps 14 to 20) starts over.".to_string(),
                Some(list) => format!(
                    "Restored your live run after the reload, with {list} you chose to remember on this device. Run step 0 again for a new worker token{}.",
                    if kept.tokens { "; the kept ID token is verified again" } else { "; the sign-on (steps 14 to 20) starts over" }
                ),
            });
        } else {
            // The sandbox restarted with the page: point the config at the new tenant (when
            // it starts) and replay the finished steps.
            let fresh = state.config.clone();
            let mut config = saved.state.config;
            config.environment_id = fresh.environment_id;
            config.worker_client_id = fresh.worker_client_id;
            config.endpoints = fresh.endpoints;
            state.config = config;
            state.created = saved.state.created;
            // A new tenant: step 0's replay reads its environment's type again.
            state.created.environment_type = None;
            state.created.environment_name = None;
            replay = STEPS.iter().map(|s| s.id).filter(|&id| saved.progress.status(id) == StepStatus::Done).collect();
            run_clock = saved.run_clock;
            notice = Some(if replay.is_empty() {
                "Restored your inputs after the reload.".to_string()
            } else {
                format!(
                    "Restored the run after the reload. Secrets are kept in memory only and the in-page sandbox restarted with the page, so the {} finished steps are replayed against it (marked \u{201c}replayed\u{201d} in the inspector).",
                    replay.len()
                )
            });
        }
        self.live.set(live);
        self.mode.set(mode);
        self.wf.set(state);
        self.progress.set(progress);
        self.runs.set(runs);
        self.transcript.set(transcript);
        self.auto_otp.set(auto_otp);
        self.run_clock.set(run_clock);
        self.notice.set(notice);
        self.pending_replay.set_value(replay);
    }

    /// Saves the non-secret state to sessionStorage after it changes (call once, inside the
    /// app's reactive owner). Changes are coalesced: one save after the task that made them (a
    /// run changes the state several times per call, and each save serialises the whole run),
    /// and at once when the page is hidden or unloaded (a reload) or the app unmounts.
    pub fn start_persistence(self) {
        if !self.persist.get_value() {
            return;
        }
        let scheduled = StoredValue::new(false);
        Effect::new(move |_| {
            self.mode.track();
            self.wf.track();
            self.progress.track();
            self.runs.track();
            self.transcript.track();
            self.auto_otp.track();
            self.run_clock.track();
            self.live.track();
            if !scheduled.get_value() {
                scheduled.set_value(true);
                set_timeout(
                    move || {
                        // The app may have unmounted meanwhile (it saved then).
                        if scheduled.try_update_value(|s| std::mem::replace(s, false)) == Some(true) {
                            self.save();
                        }
                    },
                    std::time::Duration::ZERO,
                );
            }
        });
        // Saves whatever is pending, and a change whose effect has not run yet.
        let flush = move || {
            scheduled.try_set_value(false);
            self.save();
        };
        let on_hide = window_event_listener(leptos::ev::pagehide, move |_| flush());
        on_cleanup(move || {
            on_hide.remove();
            flush();
        });
    }

    /// Writes the saved run (nothing secret) to sessionStorage. The state and the transcript, the
    /// large parts, are serialised where they are, not copied first.
    fn save(self) {
        if self.restore_pending() {
            return;
        }
        let Some(json) = self
            .wf
            .try_with_untracked(|state| {
                self.transcript.try_with_untracked(|transcript| {
                    serde_json::to_string(&SavedRun {
                        mode: self.mode.try_get_untracked()?,
                        state,
                        progress: self.progress.try_get_untracked()?,
                        runs: self.runs.try_get_untracked()?,
                        transcript,
                        auto_otp: self.auto_otp.try_get_untracked()?,
                        run_clock: self.run_clock.try_get_untracked()?,
                        live: self.live.try_get_untracked()?,
                    })
                    .ok()
                })
            })
            .flatten()
            .flatten()
        else {
            return;
        };
        if let Some(storage) = session_storage() {
            let _ = storage.set_item(SESSION_KEY, &json);
        }
    }

    /// Swaps the transport (live mode; tests that need a network failure).
    pub fn use_transport(&self, transport: AnyTransport) {
        self.transport.set_value(Some(transport));
    }

    /// The transport, once a run has started it.
    pub fn transport(&self) -> Option<AnyTransport> {
        self.transport.get_value()
    }

    /// The mode's transport, started on first use. In sandbox mode this downloads and starts the
    /// sandbox worker, then adopts its tenant (environment id, worker credentials) into the
    /// config. Concurrent callers share one start.
    pub async fn ensure_transport(&self) -> Result<AnyTransport, TransportError> {
        if let Some(t) = self.transport.get_value() {
            return Ok(t);
        }
        if self.mode.get_untracked() == Mode::Live {
            let endpoints = self.live.with_untracked(|l| l.endpoints()).map_err(|e| TransportError::Build(e.to_string()))?;
            self.wf.update(|s| s.config.endpoints = endpoints.clone());
            let transport = AnyTransport::Http(HttpTransport::new(endpoints.auth_root));
            self.transport.set_value(Some(transport.clone()));
            return Ok(transport);
        }
        let generation = self.generation.get_value();
        let starting = match self.starting.get_value() {
            Some(f) => f,
            None => {
                let (seed, latency_ms) = self.sandbox_start.get_value();
                let fail_rate = self.fail_rate.get_untracked();
                let production = self.sandbox_production.get_untracked();
                let resume = if self.sandbox_resume_json.get_untracked() { "json" } else { "redirect" };
                let flow_auth = if self.sandbox_flow_worker_token.get_untracked() { "worker_token_and_cookies" } else { "cookies" };
                let start = SandboxStart { seed, latency_ms: 0, fail_rate, production, resume, flow_auth };
                let f = SandboxTransport::start(start, latency_ms)
                    .boxed_local()
                    .shared();
                self.starting.set_value(Some(f.clone()));
                f
            }
        };
        let result = starting.await;
        if self.generation.get_value() != generation {
            return Err(TransportError::Sandbox("the run was started over".into()));
        }
        self.starting.set_value(None);
        let sandbox = result?;
        if let Some(t) = self.transport.get_value() {
            return Ok(t);
        }
        let tenant = sandbox.tenant().clone();
        self.wf.update(|s| {
            s.config.environment_id = tenant.env_id;
            s.config.worker_client_id = tenant.worker_client_id;
            s.secrets.worker_secret = WorkerSecret::new(tenant.worker_client_secret);
        });
        let transport = AnyTransport::Sandbox(sandbox);
        self.transport.set_value(Some(transport.clone()));
        Ok(transport)
    }

    /// Starts the sandbox worker ahead of a run when a person reaches for the run controls
    /// (pointer over them, or keyboard focus in them), so the first run does not wait for its
    /// download and compilation. Nothing in live mode, or once started or starting.
    pub fn warm_up(&self) {
        let started = self.transport.with_value(|t| t.is_some()) || self.starting.with_value(|s| s.is_some());
        // While a saved run is being restored the mode is not known yet.
        if self.mode.get_untracked() != Mode::Sandbox || started || self.restore_pending() {
            return;
        }
        let store = *self;
        // Downloads the engine's chunk and starts the sandbox. A failure here is the first run's
        // to report (it loads and starts them again).
        leptos::task::spawn_local(crate::runner::warm_up(store));
    }

    /// Shows the other mode. Each mode keeps its own run (inputs, ids, statuses, transcript,
    /// secrets in memory); switching back finds it as it was.
    pub fn switch_mode(&self, to: Mode) {
        if self.mode.get_untracked() == to || self.busy.get_untracked() {
            return;
        }
        let shown = ModeRun {
            wf: self.wf.get_untracked(),
            progress: self.progress.get_untracked(),
            runs: self.runs.get_untracked(),
            transcript: self.transcript.get_untracked(),
            inbox: self.inbox.get_untracked(),
            selected: self.selected.get_untracked(),
            run_clock: self.run_clock.get_untracked(),
            notice: self.notice.get_untracked(),
            provisioned_password: self.provisioned_password.get_untracked(),
            transport: self.transport.get_value(),
        };
        let back = self.other.try_update_value(|o| o.take()).flatten();
        let next = back.unwrap_or_else(|| {
            let opts = StoreOptions::default();
            let wf = match to {
                Mode::Live => fresh_live_state(&self.live.get_untracked(), &opts),
                Mode::Sandbox => fresh_sandbox_state(&opts),
            };
            ModeRun {
                wf,
                progress: Progress::new(),
                runs: vec![StepRun::default(); STEPS.len()],
                transcript: Vec::new(),
                inbox: Vec::new(),
                selected: None,
                run_clock: None,
                notice: None,
                provisioned_password: None,
                transport: None,
            }
        });
        self.generation.update_value(|g| *g += 1);
        self.starting.set_value(None);
        self.other.set_value(Some(shown));
        self.transport.set_value(next.transport);
        self.wf.set(next.wf);
        self.progress.set(next.progress);
        self.runs.set(next.runs);
        self.transcript.set(next.transcript);
        self.inbox.set(next.inbox);
        self.selected.set(next.selected);
        self.run_clock.set(next.run_clock);
        self.notice.set(next.notice);
        self.provisioned_password.set(next.provisioned_password);
        self.id_token_check.set(None);
        self.cleanup.set(Vec::new());
        self.continue_all.set(false);
        self.mode.set(to);
        if to == Mode::Live {
            let store = *self;
            leptos::task::spawn_local(async move { store.probe_proxy().await });
        }
        self.say(match to {
            Mode::Live => "Live mode: calls go to your PingOne tenant through the proxy.",
            Mode::Sandbox => "Sandbox mode: calls go to the PingOne emulator in this page.",
        });
    }

    /// Keeps (or forgets) one secret in this browser's localStorage: the one place a secret is
    /// stored, and only when the person asks for it.
    pub fn set_remember(&self, k: Kept, on: bool) {
        self.remember.update(|c| c.set(k, on));
    }

    /// Whether this store may use browser storage at all (the app's does; tests' and embeds' not).
    pub fn persists(&self) -> bool {
        self.persist.get_value()
    }

    /// Keeps the opted-in secrets of a live run on this device as they change and removes a
    /// secret's record when the person opts out (call once, inside the app's reactive owner).
    pub fn start_remembering(self) {
        if !self.persist.get_value() {
            return;
        }
        Effect::new(move |_| {
            let choices = self.remember.get();
            let live = self.mode.get() == Mode::Live;
            let provisioned = self.provisioned_password.get();
            self.wf.with(|s| {
                for k in Kept::ALL {
                    match (choices.get(k), live) {
                        (true, true) => remember::keep(k, s, provisioned.as_ref()),
                        (true, false) => {}
                        (false, _) => remember::forget(k),
                    }
                }
            });
        });
    }

    /// A call got no answer: the failure with the likely cause for this mode and set-up.
    pub fn no_response(&self, reason: &str) -> StepFailure {
        let hint = match self.mode.get_untracked() {
            Mode::Sandbox if reason.contains("dropped the response") => {
                "Injected fault: the sandbox acted on the call but dropped its answer. Run the step again; a create is looked up before it is repeated.".to_string()
            }
            Mode::Sandbox => {
                "The in-page sandbox did not answer: its worker (sandbox-worker.js next to the app) could not be loaded or stopped. Reload the page; if you host the app, serve every file of dist/.".to_string()
            }
            Mode::Live => {
                let page = origin().unwrap_or_default();
                match self.live.with_untracked(|l| l.proxy_root()) {
                    Ok(root) if root == page => format!(
                        "No answer from the proxy on this page's origin ({root}): pingone-proxy is not running, or the page is not served through it. Start it with ./run live (see docs/live.md)."
                    ),
                    Ok(root) => format!(
                        "No answer from the proxy at {root}: it is not running, or it does not allow this origin ({page}); start it with --allow-origin {page}. The browser hides which of the two it was."
                    ),
                    Err(e) => format!("The proxy URL cannot be used: {e}."),
                }
            }
        };
        StepFailure { hint: Some(hint), ..StepFailure::no_response(reason) }
    }

    /// Sandbox fault injection from now on (0 = off).
    pub fn set_fail_rate(&self, fail_rate: f64) {
        self.fail_rate.set(fail_rate);
        if let Some(sb) = self.sandbox() {
            sb.set_fail_rate(fail_rate);
        }
    }

    /// Asks the live proxy what it is (`GET {proxy}/_proxy/info`): behind
    /// `pingone-proxy --worker-from-env` the page hides the worker fields, skips step 0 and sends
    /// no worker token; the environment is the proxy's.
    pub async fn probe_proxy(&self) {
        let Ok(root) = self.live.with_untracked(|l| l.proxy_root()) else { return };
        let url = format!("{root}/_proxy/info");
        let info: Option<ProxyInfo> = match gloo_net::http::Request::get(&url).send().await {
            Ok(r) if r.ok() => r.json().await.ok(),
            _ => None,
        };
        // The answer is for the proxy still configured, in live mode.
        if self.mode.get_untracked() != Mode::Live || self.live.with_untracked(|l| l.proxy_root()).ok().as_deref() != Some(root.as_str()) {
            return;
        }
        let from_proxy = info.as_ref().is_some_and(ProxyInfo::holds_worker_credentials);
        let env = info.as_ref().and_then(|i| i.environment_id.clone()).filter(|_| from_proxy);
        if let Some(region) = info
            .as_ref()
            .filter(|_| from_proxy)
            .and_then(|i| (i.regions.len() == 1).then(|| i.regions[0].clone()))
            .and_then(|code| Region::ALL.iter().copied().find(|r| r.code() == code))
        {
            if self.live.with_untracked(|l| l.region) != region {
                self.set_live(LiveSettings { region, ..self.live.get_untracked() });
            }
        }
        self.wf.update(|s| {
            s.config.worker_token_from_proxy = from_proxy;
            if let Some(env) = env {
                s.config.environment_id = env;
            }
        });
    }

    /// Changes live mode's region or proxy (before step 0 has run).
    pub fn set_live(&self, settings: LiveSettings) {
        let proxy_changed = self.live.with_untracked(|l| l.proxy_base != settings.proxy_base);
        if let Ok(endpoints) = settings.endpoints() {
            if self.mode.get_untracked() == Mode::Live {
                self.wf.update(|s| s.config.endpoints = endpoints);
                self.transport.set_value(None);
            }
        }
        self.live.set(settings);
        if proxy_changed && self.mode.get_untracked() == Mode::Live {
            let store = *self;
            leptos::task::spawn_local(async move { store.probe_proxy().await });
        }
    }

    /// The in-page sandbox, in sandbox mode once started.
    pub fn sandbox(&self) -> Option<SandboxTransport> {
        self.transport.with_value(|t| t.as_ref().and_then(|t| t.sandbox().cloned()))
    }

    /// Copies the sandbox's outbox into the inbox signal.
    pub fn refresh_inbox(&self) {
        let Some(sb) = self.sandbox() else { return };
        let msgs: Vec<InboxMessage> = sb
            .outbox()
            .into_iter()
            .map(|m| InboxMessage { to: m.to, device_id: m.device_id, otp: m.otp, sent_at: m.sent_at })
            .collect();
        if self.inbox.with_untracked(|i| *i != msgs) {
            self.inbox.set(msgs);
        }
    }

    /// The newest OTP the sandbox sent to the device the flow is asking about.
    pub fn inbox_otp_for_flow(&self) -> Option<String> {
        let (device, address) = self.wf.with_untracked(|s| {
            let device = s
                .flow
                .as_ref()
                .and_then(|f| f.selected_device.as_ref().map(|d| d.id.clone()))
                .or_else(|| s.selected_device_id.clone())
                .or_else(|| s.created.device_id.clone());
            let address = match s.config.device_type {
                pingone::models::DeviceType::Sms => s.config.device_phone.clone(),
                _ => s.config.device_email.clone(),
            };
            (device, address)
        });
        self.refresh_inbox();
        self.inbox.with_untracked(|msgs| {
            msgs.iter()
                .rev()
                .find(|m| device.as_deref() == Some(m.device_id.as_str()))
                .or_else(|| msgs.iter().rev().find(|m| m.to == address))
                .map(|m| m.otp.clone())
        })
    }

    pub fn say(&self, message: impl Into<String>) {
        self.announce.set(message.into());
    }

    pub fn run_of(&self, id: StepId) -> StepRun {
        self.runs.with(|r| r.get(id as usize).cloned().unwrap_or_default())
    }

    pub(crate) fn update_run(&self, id: StepId, f: impl FnOnce(&mut StepRun)) {
        self.runs.update(|r| {
            if let Some(run) = r.get_mut(id as usize) {
                f(run);
            }
        });
    }

    pub fn status(&self, id: StepId) -> StepStatus {
        self.progress.with(|p| p.status(id))
    }

    /// Input errors for the fields a step reads.
    pub fn errors_for_step(&self, id: StepId) -> Vec<FieldError> {
        let device_type = self.wf.with_untracked(|s| s.config.device_type);
        self.field_errors.with_untracked(|errs| {
            errs.iter()
                .filter(|e| fields_of(id).contains(&e.field))
                .filter(|e| match e.field {
                    "device_email" => device_type == pingone::models::DeviceType::Email,
                    "device_phone" => device_type == pingone::models::DeviceType::Sms,
                    _ => true,
                })
                .cloned()
                .collect()
        })
    }

    /// The error message for one field, for inline display.
    pub fn field_error(&self, field: &'static str) -> Option<String> {
        self.field_errors.with(|errs| errs.iter().find(|e| e.field == field).map(|e| e.message.clone()))
    }

    /// Starts over: a new sandbox tenant, new names, an empty run.
    pub fn reset(&self, opts: &StoreOptions) {
        self.transport.set_value(None);
        self.starting.set_value(None);
        self.sandbox_start.set_value((sandbox_seed(opts), opts.latency_ms));
        self.wf.set(match self.mode.get_untracked() {
            Mode::Live => fresh_live_state(&self.live.get_untracked(), opts),
            Mode::Sandbox => fresh_sandbox_state(opts),
        });
        self.progress.set(Progress::new());
        self.runs.set(vec![StepRun::default(); STEPS.len()]);
        self.transcript.set(Vec::new());
        self.inbox.set(Vec::new());
        self.selected.set(None);
        self.run_clock.set(None);
        self.notice.set(None);
        self.provisioned_password.set(None);
        self.id_token_check.set(None);
        self.cleanup.set(Vec::new());
        self.continue_all.set(false);
        self.run_mode.set(RunMode::Idle);
        self.pending_replay.set_value(Vec::new());
        self.generation.update_value(|g| *g += 1);
    }

    /// The secrets right now, for redaction.
    pub fn secret_values(&self) -> SecretValues {
        self.wf.with_untracked(SecretValues::from_state)
    }

    /// The transcript export (JSON, secrets masked).
    pub fn export_json(&self) -> String {
        let mode = self.mode.get_untracked().label();
        self.wf.with_untracked(|s| {
            self.progress.with_untracked(|p| {
                self.runs.with_untracked(|r| {
                    self.transcript.with_untracked(|t| crate::transcript::export_json(mode, s, p, r, t))
                })
            })
        })
    }

    /// A short human label for an input value a step takes from an earlier one.
    pub fn input_value(&self, what: &str, from: StepId) -> Option<String> {
        self.wf.with(|s| {
            let c = &s.created;
            let sec = &s.secrets;
            let masked = |present: bool, label: &str| present.then(|| format!("•••••• ({label})"));
            match from {
                StepId::WorkerToken => masked(sec.worker_token.is_some(), "in memory"),
                StepId::CreateApplication => c.application_id.clone(),
                StepId::ReadResources => c.openid_resource_id.clone(),
                StepId::ReadScopes => (!c.scopes.is_empty())
                    .then(|| c.scopes.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>().join(", ")),
                StepId::CreateGrant => c.grant_id.as_ref().map(|_| s.config.scopes.join(" ")),
                StepId::CreateSignOnPolicy => c.sign_on_policy_id.clone(),
                StepId::CreatePopulation => c.population_id.clone(),
                StepId::CreateUser if what.contains("username") => {
                    c.user_id.as_ref().map(|_| s.config.username.clone())
                }
                StepId::CreateUser => c.user_id.clone(),
                StepId::SetPassword => masked(c.password_status.is_some(), "set in step 11"),
                StepId::CreateMfaDevice => c.device_id.clone(),
                StepId::Authorize if what.contains("PKCE") => masked(sec.authorize.is_some(), "in memory"),
                StepId::Authorize => s.flow.as_ref().map(|f| f.id.clone()),
                StepId::Resume if sec.code.is_some() => masked(true, "single use"),
                StepId::Resume => self
                    .progress
                    .with(|p| p.status(StepId::ExchangeCode) == StepStatus::Done)
                    .then(|| "•••••• (spent by step 20)".to_string()),
                StepId::ReadApplicationSecret => masked(sec.app_secret.is_some(), "in memory"),
                _ => None,
            }
        })
    }
}

/// A short excerpt for error texts.
pub fn short(text: &str) -> String {
    excerpt(text)
}

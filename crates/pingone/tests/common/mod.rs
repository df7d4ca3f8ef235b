//! A synchronous driver that runs the workflow from `pingone::workflow::STEPS` against the
//! sandbox engine, the way the app's runner does (DAG waves, cookies, OTP from the outbox).
#![allow(dead_code)]
// RunError carries the step's whole error (PingOne's body), as the library's errors do.
#![allow(clippy::result_large_err)]

use pingone::http::{CookieJar, HttpRequest, HttpResponse};
use pingone::oauth::{pkce_challenge_from_digest, pkce_verifier, random_token, AuthorizeSecrets};
use pingone::secret::{Otp, Password, WorkerSecret};
use pingone::workflow::{
    Applied, BuildError, Endpoints, Planned, Progress, StepError, StepId, StepStatus, UserInput, WorkflowConfig,
    WorkflowState,
};
use sandbox::{Sandbox, SandboxConfig};
use sha2::{Digest, Sha256};

pub const T0: u64 = 1_785_000_000_000; // 2026-07-25, an arbitrary fixed "now"

/// One request/response pair, as the inspector would show it.
#[derive(Debug, Clone)]
pub struct Exchange {
    pub step: StepId,
    pub request: HttpRequest,
    pub response: HttpResponse,
}

#[derive(Debug)]
pub enum RunError {
    Build(StepId, BuildError),
    Step(StepId, StepError),
    Stuck(Vec<(StepId, StepStatus)>),
}

pub struct Harness {
    pub sandbox: Sandbox,
    pub jar: CookieJar,
    pub now_ms: u64,
    pub state: WorkflowState,
    pub progress: Progress,
    pub exchanges: Vec<Exchange>,
    /// Read OTPs from the sandbox outbox when the flow asks for one.
    pub auto_otp: bool,
}

impl Harness {
    pub fn new(seed: u64) -> Harness {
        Harness::with_config(SandboxConfig { seed, ..SandboxConfig::default() })
    }

    pub fn with_config(config: SandboxConfig) -> Harness {
        let seed = config.seed;
        let sandbox = Sandbox::new(config);
        let info = sandbox.info();
        let endpoints = Endpoints {
            api_base: "https://api.pingone.com/v1".into(),
            auth_root: "https://auth.pingone.com".into(),
        };
        let config = WorkflowConfig::new(endpoints, &info.env_id, &info.worker_client_id, &format!("t{seed}"));
        let state = WorkflowState::new(
            config,
            WorkerSecret::new(info.worker_client_secret.clone()),
            Password::new("Correct-Horse-9!"),
        );
        Harness { sandbox, jar: CookieJar::new(), now_ms: T0, state, progress: Progress::new(), exchanges: Vec::new(), auto_otp: true }
    }

    /// Sends one request through the engine, with the cookie jar a browser would keep.
    pub fn send(&mut self, step: StepId, mut request: HttpRequest) -> HttpResponse {
        let path = url::Url::parse(&request.url).map(|u| u.path().to_string()).unwrap_or_default();
        if let Some(cookie) = self.jar.header_for(&path) {
            request.headers.set("Cookie", cookie);
        }
        self.now_ms += 7;
        let response = self.sandbox.handle(&request, self.now_ms);
        self.jar.store_from(&response, &path);
        self.exchanges.push(Exchange { step, request, response: response.clone() });
        response
    }

    /// Like [`send`](Harness::send), through the sandbox's fault injection (see
    /// `SandboxConfig::fail_rate`): `None` when the response was lost after PingOne acted.
    pub fn send_with_faults(&mut self, step: StepId, mut request: HttpRequest) -> Option<HttpResponse> {
        let path = url::Url::parse(&request.url).map(|u| u.path().to_string()).unwrap_or_default();
        if let Some(cookie) = self.jar.header_for(&path) {
            request.headers.set("Cookie", cookie);
        }
        self.now_ms += 7;
        let response = self.sandbox.handle_with_faults(&request, self.now_ms).into_response()?;
        self.jar.store_from(&response, &path);
        self.exchanges.push(Exchange { step, request, response: response.clone() });
        Some(response)
    }

    /// Makes PKCE, `state` and `nonce` for an authorize request, as the app does with WebCrypto.
    pub fn authorize_secrets(&self) -> AuthorizeSecrets {
        let seed = self.exchanges.len() as u8;
        let verifier = pkce_verifier(&[seed.wrapping_add(1); 32]).expect("32 bytes");
        let code_challenge = pkce_challenge_from_digest(&Sha256::digest(verifier.expose().as_bytes()));
        AuthorizeSecrets {
            state: random_token(&[seed.wrapping_add(2); 16]),
            nonce: random_token(&[seed.wrapping_add(3); 16]),
            code_verifier: verifier,
            code_challenge,
        }
    }

    /// A code of the run's TOTP device (a later time step than the last one used: each is
    /// accepted once), computed like an authenticator app (HMAC-SHA1, RFC 6238).
    pub fn totp_code(&mut self) -> Option<String> {
        use hmac::{Hmac, Mac};
        let key = pingone::totp::parse_key_uri(self.state.secrets.totp_key_uri.as_ref()?.expose()).ok()?;
        let now = key.counter_at(self.now_ms / 1000);
        let counter = self.state.secrets.totp_last_counter.map_or(now, |last| now.max(last + 1));
        let mut mac = Hmac::<sha1::Sha1>::new_from_slice(&key.secret).ok()?;
        mac.update(&pingone::totp::counter_bytes(counter));
        self.state.secrets.totp_last_counter = Some(counter);
        key.code_from_hmac(&mac.finalize().into_bytes()).ok()
    }

    /// The newest OTP the sandbox "sent".
    pub fn newest_otp(&self) -> Option<String> {
        self.sandbox.outbox().last().map(|m| m.otp.clone())
    }

    /// Runs one step to its end (several calls when it says `Again`).
    pub fn run_step(&mut self, id: StepId) -> Result<StepStatus, RunError> {
        self.progress.set(id, StepStatus::Running);
        for _ in 0..5 {
            let planned = match id.build(&self.state) {
                Ok(p) => p,
                Err(BuildError::NeedsInput(UserInput::AuthorizeSecrets)) => {
                    self.state.secrets.authorize = Some(self.authorize_secrets());
                    continue;
                }
                Err(BuildError::NeedsInput(UserInput::TotpCode)) => {
                    let otp = self.totp_code().ok_or(RunError::Build(id, BuildError::NeedsInput(UserInput::TotpCode)))?;
                    self.state.secrets.otp = Some(Otp::new(otp));
                    continue;
                }
                Err(BuildError::NeedsInput(UserInput::Otp)) if self.auto_otp && self.state.secrets.totp_key_uri.is_some() => {
                    let otp = self.totp_code().ok_or(RunError::Build(id, BuildError::NeedsInput(UserInput::Otp)))?;
                    self.state.secrets.otp = Some(Otp::new(otp));
                    continue;
                }
                Err(BuildError::NeedsInput(UserInput::Otp)) if self.auto_otp => {
                    let otp = self.newest_otp().ok_or(RunError::Build(id, BuildError::NeedsInput(UserInput::Otp)))?;
                    self.state.secrets.otp = Some(Otp::new(otp));
                    continue;
                }
                Err(BuildError::NeedsInput(input)) => {
                    self.progress.set(id, StepStatus::NeedsInput);
                    return Err(RunError::Build(id, BuildError::NeedsInput(input)));
                }
                Err(e) => {
                    self.progress.set(id, StepStatus::Failed);
                    return Err(RunError::Build(id, e));
                }
            };
            let request = match planned {
                Planned::Skip(_) => {
                    self.progress.set(id, StepStatus::Skipped);
                    return Ok(StepStatus::Skipped);
                }
                Planned::Request(r) => r,
            };
            let response = self.send(id, request);
            match id.apply(&mut self.state, &response, self.now_ms) {
                Ok(Applied::Done) => {
                    self.progress.set(id, StepStatus::Done);
                    return Ok(StepStatus::Done);
                }
                Ok(Applied::Again) => continue,
                Err(e) => {
                    self.progress.set(id, StepStatus::Failed);
                    return Err(RunError::Step(id, e));
                }
            }
        }
        Err(RunError::Stuck(vec![(id, self.progress.status(id))]))
    }

    /// Runs every ready step, wave by wave, as Run all does. Returns the number of waves.
    pub fn run_all(&mut self) -> Result<usize, RunError> {
        let mut waves = 0;
        while !self.progress.is_complete() {
            let ready = self.progress.ready();
            if ready.is_empty() {
                let stuck = pingone::workflow::STEPS.iter().map(|s| (s.id, self.progress.status(s.id))).collect();
                return Err(RunError::Stuck(stuck));
            }
            waves += 1;
            for id in ready {
                self.run_step(id)?;
            }
        }
        Ok(waves)
    }
}

/// The request `step` would send now (panics when it would skip or cannot be built).
#[allow(dead_code)]
pub fn plan_request(h: &Harness, step: StepId) -> HttpRequest {
    match step.build(&h.state).unwrap() {
        pingone::workflow::Planned::Request(r) => r,
        pingone::workflow::Planned::Skip(why) => panic!("{step:?} skipped: {why}"),
    }
}

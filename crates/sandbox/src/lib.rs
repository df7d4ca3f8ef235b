//! A faithful, in-memory PingOne emulator for the "login + MFA sign-on" workflow.
//!
//! One pure engine, [`Sandbox::handle`] (`HttpRequest` + now → `HttpResponse`), answers the
//! endpoints of that workflow with PingOne's paths, status codes, response shapes (`id`,
//! `_links`, `_embedded`), error bodies, flow statuses, media types and cookies; OTPs are
//! "delivered" to an [`outbox`](Sandbox::outbox) instead of a phone or mailbox. The engine has no
//! clock, no OS randomness and no I/O, so it also runs inside the browser page (wasm32). The
//! `server` feature adds the loopback HTTP binary `pingone-sandbox`.
//!
//! Paths (host ignored, hrefs built from the request URL's origin):
//! * management: `/v1/environments/{envId}/...` (worker bearer token required),
//! * auth host: `/{envId}/as/{authorize,token,resume,jwks,userinfo,.well-known/openid-configuration}`
//!   and `/{envId}/flows/{flowId}`,
//! * `GET /_sandbox/outbox` — the only non-PingOne path.
//!
//! Fault injection ([`SandboxConfig::fail_rate`], [`Sandbox::handle_with_faults`]) makes PingOne
//! calls fail with 503, 429 or a lost response, deterministically from the seed.
//!
//! See `docs/sandbox.md` for every choice made where PingOne's behaviour is not documented.

mod auth;
mod clock;
mod cors;
pub mod errors;
mod flow;
mod http;
mod ids;
mod jwt;
mod mgmt;
mod store;
mod totp;
mod validate;

#[cfg(feature = "server")]
pub mod server;
#[cfg(feature = "worker")]
pub mod worker;

use crate::errors::{P1Error, SandboxError};
use crate::http::{json_response, Incoming};
use crate::ids::Ids;
use crate::jwt::TokenSigner;
use crate::store::Store;
use pingone::http::{HttpRequest, HttpResponse, Method};
use serde::{Deserialize, Serialize};

/// How to build a sandbox.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct SandboxConfig {
    /// Seeds every id, secret, OTP and code: the same seed and calls give the same answers.
    pub seed: u64,
    /// Delay added to every response; used only by the HTTP server.
    pub latency_ms: u64,
    /// Fault injection for [`Sandbox::handle_with_faults`]: the probability, in `[0, 1]`, that a
    /// PingOne call fails (503 or 429 before acting, or a response lost after acting, in equal
    /// parts). 0 (the default) = never. Out-of-range values are clamped, NaN is 0.
    #[serde(default)]
    pub fail_rate: f64,
    /// The environment's `type` is PRODUCTION instead of SANDBOX (to exercise clients' guard
    /// against provisioning into production).
    #[serde(default)]
    pub production: bool,
    /// How `GET /as/resume` answers in `pi.flow` mode (docs/sandbox.md, "Settings").
    #[serde(default)]
    pub resume: ResumeAnswer,
    /// What the flow API (`/flows/*`, `/as/resume`) requires (docs/sandbox.md, "Settings").
    #[serde(default)]
    pub flow_auth: FlowAuth,
}

/// How resume answers a completed `pi.flow` flow: PingOne's sources disagree.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResumeAnswer {
    /// 302 to the redirect URI with `code` and `state` in the query, as PingOne's developer
    /// docs show it (simple SSO workflow, client-secret-JWT workflow). The default.
    #[default]
    Redirect,
    /// 200 `application/hal+json` with `authorizeResponse: {code, state}`, as other workflow
    /// pages describe it.
    Json,
}

/// What a flow call must carry besides the flow's cookies: PingOne's sources disagree.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlowAuth {
    /// The cookies only, as the docs' requests and the browser sample send them. The default.
    #[default]
    Cookies,
    /// A worker access token (`Authorization: Bearer`) and the cookies, as one newer Ping sample
    /// says ("omitting either causes a 401").
    WorkerTokenAndCookies,
}

impl ResumeAnswer {
    /// The `--resume` flag's values (also the serde names).
    pub fn parse(s: &str) -> Option<ResumeAnswer> {
        match s {
            "redirect" | "302" => Some(ResumeAnswer::Redirect),
            "json" | "200" => Some(ResumeAnswer::Json),
            _ => None,
        }
    }
}

impl FlowAuth {
    /// The `--flow-auth` flag's values (also the serde names, with `_`).
    pub fn parse(s: &str) -> Option<FlowAuth> {
        match s {
            "cookies" => Some(FlowAuth::Cookies),
            "worker-token-and-cookies" | "worker_token_and_cookies" => Some(FlowAuth::WorkerTokenAndCookies),
            _ => None,
        }
    }
}

/// `Retry-After` (seconds) of an injected 429.
pub const RETRY_AFTER_SECS: u32 = 1;

/// How [`Sandbox::handle_with_faults`] answered a request.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Deliver this response (a normal answer, or an injected 503 / 429).
    Answer(HttpResponse),
    /// The engine acted on the request (created the object, moved the flow, spent the code...)
    /// but the response is lost: the client must see a network error (the HTTP server closes
    /// the connection without a response). The lost response is kept for logs and teaching
    /// only; never deliver it.
    Dropped(HttpResponse),
}

impl Outcome {
    /// The response to deliver, `None` when it was dropped.
    pub fn response(&self) -> Option<&HttpResponse> {
        match self {
            Outcome::Answer(r) => Some(r),
            Outcome::Dropped(_) => None,
        }
    }

    /// The response to deliver, `None` when it was dropped.
    pub fn into_response(self) -> Option<HttpResponse> {
        match self {
            Outcome::Answer(r) => Some(r),
            Outcome::Dropped(_) => None,
        }
    }

    pub fn is_dropped(&self) -> bool {
        matches!(self, Outcome::Dropped(_))
    }
}

/// The fault drawn for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    Unavailable,
    Limited,
    Drop,
}

/// What a client needs to start: the environment and the worker app's credentials.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SandboxInfo {
    pub env_id: String,
    pub worker_client_id: String,
    pub worker_client_secret: String,
}

/// A one-time passcode the sandbox "sent" to an MFA device (email address or phone number).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxMessage {
    pub to: String,
    pub device_id: String,
    pub otp: String,
    /// ISO-8601 UTC.
    pub sent_at: String,
}

/// The emulator: one PingOne environment in memory.
pub struct Sandbox {
    config: SandboxConfig,
    engine: Engine,
    /// The fault dice: a ChaCha20 stream of their own, so rolling them never shifts the ids.
    faults: Ids,
}

/// State and helpers shared by the route modules (`mgmt`, `auth`, `flow`).
pub(crate) struct Engine {
    pub store: Store,
    pub ids: Ids,
    pub signer: TokenSigner,
    pub resume: ResumeAnswer,
    pub flow_auth: FlowAuth,
}

impl Sandbox {
    pub fn new(config: SandboxConfig) -> Sandbox {
        let mut ids = Ids::new(config.seed);
        let mut store = Store::seed(&mut ids);
        if config.production {
            store.env.environment_type = "PRODUCTION";
        }
        // The key is a constant compiled into the crate; `jwt::tests` proves it loads.
        let signer = TokenSigner::load().expect("the embedded sandbox signing key is a valid PKCS#8 RSA key");
        let config = SandboxConfig { fail_rate: clamp_rate(config.fail_rate), ..config };
        Sandbox {
            config,
            engine: Engine { store, ids, signer, resume: config.resume, flow_auth: config.flow_auth },
            faults: Ids::with_stream(config.seed, 1) }
    }

    pub fn config(&self) -> SandboxConfig {
        self.config
    }

    /// Turns fault injection on or off (see [`SandboxConfig::fail_rate`]); clamped to `[0, 1]`.
    pub fn set_fail_rate(&mut self, fail_rate: f64) {
        self.config.fail_rate = clamp_rate(fail_rate);
    }

    /// Like [`handle`](Sandbox::handle), with fault injection: with probability
    /// [`fail_rate`](SandboxConfig::fail_rate) a PingOne call (management or auth host; never
    /// `/_sandbox/*`, never an `OPTIONS` preflight) is answered 503 `SERVICE_UNAVAILABLE` or
    /// 429 `REQUEST_LIMITED` (`Retry-After: 1`) without acting, or acted on and then
    /// [`Outcome::Dropped`], in equal parts. The faults come from their own stream seeded by
    /// `seed`: the same seed, rate and calls give the same faults, and a 503 / 429 leaves the
    /// engine exactly as it was (the next answers are those of a run without that call).
    pub fn handle_with_faults(&mut self, req: &HttpRequest, now_ms: u64) -> Outcome {
        match self.draw_fault(req) {
            None => Outcome::Answer(self.handle(req, now_ms)),
            Some(Fault::Drop) => Outcome::Dropped(self.handle(req, now_ms)),
            Some(fault) => {
                let error = match fault {
                    Fault::Limited => P1Error::request_limited(RETRY_AFTER_SECS),
                    _ => P1Error::service_unavailable(),
                };
                // The correlation id comes from the dice too: a call refused before acting leaves
                // no trace in the engine, not even in its id stream.
                let correlation_id = self.faults.uuid();
                let mut resp = error.to_response(&correlation_id);
                resp.headers.set("Correlation-Id", correlation_id);
                // On the auth host an allowed browser origin can read the error, as any other.
                if let Ok(incoming) = Incoming::parse(req) {
                    if incoming.segments.first().is_some_and(|s| *s == self.engine.store.env.id) {
                        if let Some(origin) = cors::allowed_origin(&self.engine.store, &incoming) {
                            cors::decorate(&mut resp, &origin);
                        }
                    }
                }
                Outcome::Answer(resp)
            }
        }
    }

    /// Rolls the fault dice for a request that can fail (a PingOne call), if faults are on.
    fn draw_fault(&mut self, req: &HttpRequest) -> Option<Fault> {
        if self.config.fail_rate <= 0.0 || req.method == Method::Options {
            return None;
        }
        let incoming = Incoming::parse(req).ok()?;
        if incoming.segments.first().is_some_and(|s| s.as_str() == "_sandbox") {
            return None;
        }
        if self.faults.unit() >= self.config.fail_rate {
            return None;
        }
        Some(match self.faults.below(3) {
            0 => Fault::Unavailable,
            1 => Fault::Limited,
            _ => Fault::Drop,
        })
    }

    /// Answers one request as PingOne would. `now_ms` is the current time (unix epoch ms).
    /// Never panics; every error is a PingOne-shaped JSON body with a 4xx status.
    pub fn handle(&mut self, req: &HttpRequest, now_ms: u64) -> HttpResponse {
        let correlation_id = self.engine.ids.uuid();
        let mut resp = match Incoming::parse(req) {
            Ok(incoming) => self.engine.route(&incoming, now_ms, &correlation_id),
            Err(e) => e.to_response(&correlation_id),
        };
        resp.headers.set("Correlation-Id", correlation_id);
        resp
    }

    pub fn info(&self) -> SandboxInfo {
        let store = &self.engine.store;
        SandboxInfo {
            env_id: store.env.id.clone(),
            worker_client_id: store.worker_client_id.clone(),
            worker_client_secret: store.application(&store.worker_client_id).map(|a| a.secret.clone()).unwrap_or_default(),
        }
    }

    /// Every OTP "sent" so far, oldest first.
    pub fn outbox(&self) -> &[OutboxMessage] {
        &self.engine.store.outbox
    }

    /// The `kid` of the token signing key (also in `/as/jwks`).
    pub fn signing_key_id(&self) -> &str {
        self.engine.signer.kid()
    }

    /// An error answered outside the engine's routes (the HTTP host's 405 / 413), with a fresh
    /// correlation id like every other error.
    pub fn reject(&mut self, error: &P1Error) -> HttpResponse {
        let correlation_id = self.engine.ids.uuid();
        let mut resp = error.to_response(&correlation_id);
        resp.headers.set("Correlation-Id", correlation_id);
        resp
    }
}

/// A probability in `[0, 1]` (NaN → 0).
fn clamp_rate(rate: f64) -> f64 {
    if rate.is_nan() {
        0.0
    } else {
        rate.clamp(0.0, 1.0)
    }
}

impl Engine {
    fn route(&mut self, req: &Incoming<'_>, now: u64, correlation_id: &str) -> HttpResponse {
        self.store.prune(now);
        let segments: Vec<&str> = req.segments.iter().map(String::as_str).collect();
        let result: Result<HttpResponse, SandboxError> = match segments.as_slice() {
            ["v1", rest @ ..] => self.management(req, rest, now),
            ["_sandbox", "outbox"] => self.outbox_route(req),
            [env, rest @ ..] if *env == self.store.env.id && !rest.is_empty() => {
                return self.auth_host(req, rest, now, correlation_id);
            }
            _ => Err(P1Error::not_found("the requested resource").into()),
        };
        result.unwrap_or_else(|e| e.to_response(correlation_id))
    }

    /// `GET /_sandbox/outbox`: the OTPs "sent", oldest first (not a PingOne path).
    fn outbox_route(&self, req: &Incoming<'_>) -> Result<HttpResponse, SandboxError> {
        match req.method {
            Method::Get => Ok(json_response(200, &serde_json::to_value(&self.store.outbox).unwrap_or_default())),
            _ => Err(P1Error::method_not_allowed(&["GET"]).into()),
        }
    }

    /// The auth host (`/{envId}/as/*`, `/{envId}/flows/*`), with CORS per the apps' settings.
    fn auth_host(&mut self, req: &Incoming<'_>, rest: &[&str], now: u64, correlation_id: &str) -> HttpResponse {
        let allowed_origin = cors::allowed_origin(&self.store, req);
        if req.method == Method::Options {
            return cors::preflight(req, allowed_origin.as_deref(), rest, correlation_id);
        }
        let result = match rest {
            ["as", endpoint @ ..] => self.authorization_server(req, endpoint, now),
            ["flows", flow_id] => self.flows(req, flow_id, now),
            _ => Err(P1Error::not_found("the requested resource").into()),
        };
        let mut resp = result.unwrap_or_else(|e| e.to_response(correlation_id));
        if let Some(origin) = allowed_origin {
            cors::decorate(&mut resp, &origin);
        }
        resp
    }
}

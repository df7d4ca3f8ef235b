//! The runner: the actions the UI dispatches. It walks `pingone::workflow::STEPS`, builds each
//! request from state, sends it through the mode's transport, records the redacted exchange and
//! applies the response. Run all starts every ready step at once and re-reads the DAG as each
//! one finishes; Step runs the next one in documented order.

use crate::crypto;
use crate::mask::{redact_request, redact_response, SecretValues};
use crate::state::{CleanupRow, CleanupState, Mode, RunClock, RunMode, StepFailure, Store, StoreOptions, SIGN_ON_STEPS};
use crate::transcript::Exchange;
use crate::transport::{sleep_ms, AnyTransport, Transport};
use pingone::retry::{Idempotency, Outcome as RetryOutcome, RetryDecision, RetryPolicy};
use pingone::worker_token::{on_management_status, OnUnauthorized};
use pingone::workflow::{apply_lookup, build_lookup, cleanup_plan, Adoption, Cleaned};
use leptos::prelude::*;
use leptos::task::spawn_local;
use crate::lazy::{lazy_fn, when_ready, LoadError};
use pingone::error::ApiError;
use pingone::flow::Flow;
use pingone::http::{HttpRequest, HttpResponse, Method};
use pingone::media;
use pingone::secret::{Otp, Password};
use pingone::models::DeviceType;
use pingone::workflow::{Applied, BuildError, Planned, StepId, StepStatus, UserInput, STEPS};

/// A step that asks for more than this many calls in one run is stuck (device.select then
/// otp.check is two).
const MAX_CALLS: u32 = 4;

/// How a step's run ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Done,
    Skipped(String),
    NeedsInput(UserInput),
    Failed(StepFailure),
    /// Start over happened while it ran: its result was dropped.
    Abandoned,
}

/// Milliseconds from the page's monotonic clock.
pub fn perf_now() -> f64 {
    web_sys::window().and_then(|w| w.performance()).map(|p| p.now()).unwrap_or_else(js_sys::Date::now)
}

fn deps_settled(store: &Store, id: StepId) -> bool {
    store.progress.with_untracked(|p| id.step().depends_on.iter().all(|d| p.status(*d).is_settled()))
}

/// Marks a step running if it may run now (dependencies settled and not already running).
fn claim(store: &Store, id: StepId) -> bool {
    let status = store.progress.with_untracked(|p| p.status(id));
    let ok = !matches!(status, StepStatus::Running | StepStatus::Pending) && deps_settled(store, id);
    if ok {
        store.progress.update(|p| p.set(id, StepStatus::Running));
    }
    ok
}

fn flow_action_of(req: &HttpRequest) -> Option<String> {
    let ct = req.headers.get("content-type")?;
    media::FLOW_ACTIONS.iter().find(|(_, m)| *m == ct).map(|(a, _)| a.to_string())
}

fn record_request(
    store: &Store,
    id: StepId,
    action: Option<String>,
    req: &HttpRequest,
    sv: &SecretValues,
    replayed: bool,
) -> u32 {
    let request = redact_request(req, id, sv);
    let mut seq = 0;
    store.transcript.update(|t| {
        seq = t.last().map(|e| e.seq + 1).unwrap_or(1);
        t.push(Exchange {
            seq,
            step: id.number(),
            action,
            started_at_ms: js_sys::Date::now(),
            duration_ms: None,
            request,
            response: None,
            transport_error: None,
            replayed,
        });
    });
    seq
}

fn finish_exchange(store: &Store, seq: u32, response: Option<HttpResponse>, error: Option<String>, duration_ms: f64) {
    store.transcript.update(|t| {
        if let Some(e) = t.iter_mut().rev().find(|e| e.seq == seq) {
            e.response = response;
            e.transport_error = error;
            e.duration_ms = Some(duration_ms);
        }
    });
}

/// Sends one request for a step: records it, sends it, records the response (redacted with the
/// secrets known before and after the call). Returns the raw response for the caller to apply.
async fn exchange(
    store: &Store,
    transport: &AnyTransport,
    id: StepId,
    mut request: HttpRequest,
    extra: &SecretValues,
    replayed: bool,
) -> (u32, f64, Result<HttpResponse, crate::transport::TransportError>) {
    transport.prepare(&mut request);
    let mut before = store.secret_values();
    before.merge(extra);
    let action = flow_action_of(&request);
    let seq = record_request(store, id, action, &request, &before, replayed);
    let started = perf_now();
    let result = transport.send(request).await;
    (seq, perf_now() - started, result)
}

/// How a call ended after the retries it was allowed.
enum Sent {
    /// PingOne answered (possibly after retries); the exchange `seq` waits for its redacted response.
    Answer { seq: u32, rtt: f64, response: HttpResponse },
    /// No answer: the request may or may not have taken effect.
    Lost(String),
    Failed(StepFailure),
    /// Start over happened meanwhile.
    Abandoned,
}

/// Sends a step's request, retrying 429 and 503 (honouring `Retry-After`, else capped
/// exponential backoff with jitter) and lost answers of idempotent calls. Every attempt is in
/// the transcript. A lost create or single-use call is reported as lost, never repeated here.
async fn send_surviving(
    store: &Store,
    transport: &AnyTransport,
    id: StepId,
    request: HttpRequest,
    kind: Idempotency,
    replayed: bool,
) -> Sent {
    let policy = RetryPolicy::default();
    let generation = store.generation.get_value();
    let n = id.number();
    let mut attempt = 1;
    loop {
        let (seq, rtt, result) = exchange(store, transport, id, request.clone(), &SecretValues::default(), replayed).await;
        if store.generation.get_value() != generation {
            return Sent::Abandoned;
        }
        let result = match result {
            Ok(response) if response.status != 429 && response.status != 503 => {
                return Sent::Answer { seq, rtt, response };
            }
            other => other,
        };
        let outcome = match &result {
            Ok(r) => RetryOutcome::Answered { status: r.status, retry_after: r.headers.get("retry-after") },
            Err(_) => RetryOutcome::Lost,
        };
        let now = js_sys::Date::now() as u64;
        let decision = policy.decide(attempt, outcome, kind, js_sys::Math::random(), now);
        let sv = store.secret_values();
        match result {
            Ok(response) => {
                finish_exchange(store, seq, Some(redact_response(&response, id, &sv)), None, rtt);
                match decision {
                    RetryDecision::Retry { after_ms } => {
                        store.say(format!("Step {n}: PingOne answered {}; retrying in {after_ms} ms.", response.status));
                        sleep_ms(after_ms.min(u32::MAX as u64) as u32).await;
                    }
                    _ => {
                        return Sent::Failed(StepFailure::from_api(&ApiError::from_response(response.status, &response.body), &sv));
                    }
                }
            }
            Err(e) => {
                let reason = e.to_string();
                finish_exchange(store, seq, None, Some(reason.clone()), rtt);
                if SIGN_ON_STEPS.contains(&id) {
                    // The flow may have moved on (or the code been spent) without us seeing it.
                    store.sign_on_disrupted.set_value(true);
                }
                match decision {
                    RetryDecision::Retry { after_ms } => {
                        store.say(format!("Step {n}: no answer ({reason}); retrying in {after_ms} ms."));
                        sleep_ms(after_ms.min(u32::MAX as u64) as u32).await;
                    }
                    RetryDecision::LookUpBeforeRetry => return Sent::Lost(reason),
                    RetryDecision::GiveUp => {
                        return if kind == Idempotency::Idempotent {
                            Sent::Failed(store.no_response(&e.to_string()))
                        } else {
                            Sent::Lost(reason)
                        };
                    }
                }
            }
        }
        if store.generation.get_value() != generation {
            return Sent::Abandoned;
        }
        attempt += 1;
    }
}

/// After a lost create: looks the object up by what makes it unique in this run and adopts it.
async fn adopt(store: &Store, transport: &AnyTransport, id: StepId, replayed: bool) -> Result<Adoption, StepFailure> {
    let built = store.wf.with_untracked(|s| build_lookup(id, s));
    let request = match built {
        Ok(Some(r)) => r,
        Ok(None) => return Err(StepFailure::plain("Response lost", "this step creates nothing that can be looked up")),
        Err(e) => return Err(StepFailure::from_build(&e)),
    };
    store.say(format!("Step {}: the response was lost; looking up whether PingOne created the object.", id.number()));
    match send_surviving(store, transport, id, request, Idempotency::Idempotent, replayed).await {
        Sent::Answer { seq, rtt, response } => {
            let sv = store.secret_values();
            finish_exchange(store, seq, Some(redact_response(&response, id, &sv)), None, rtt);
            let now = js_sys::Date::now() as u64;
            match store.wf.try_update(|s| apply_lookup(id, s, &response, now)) {
                Some(Ok(a)) => Ok(a),
                Some(Err(e)) => Err(StepFailure::from_step(&e, &sv)),
                None => Err(StepFailure::plain("Cannot continue", "the workflow state is gone")),
            }
        }
        Sent::Lost(reason) => Err(store.no_response(&reason)),
        Sent::Failed(f) => Err(f),
        Sent::Abandoned => Err(StepFailure::plain("Abandoned", "the run was started over")),
    }
}

/// Step 0 again, inside another step: a new worker token after a 401.
async fn renew_worker_token(store: &Store, transport: &AnyTransport) -> Result<(), StepFailure> {
    let id = StepId::WorkerToken;
    let planned = store.wf.with_untracked(|s| id.build(s));
    let request = match planned {
        Ok(Planned::Request(r)) => r,
        Ok(Planned::Skip(reason)) => return Err(StepFailure::plain("Worker token", reason)),
        Err(e) => return Err(StepFailure::from_build(&e)),
    };
    match send_surviving(store, transport, id, request, id.idempotency(), false).await {
        Sent::Answer { seq, rtt, response } => {
            let before = store.secret_values();
            let applied = store.wf.try_update(|s| id.apply(s, &response, js_sys::Date::now() as u64));
            let mut sv = store.secret_values();
            sv.merge(&before);
            finish_exchange(store, seq, Some(redact_response(&response, id, &sv)), None, rtt);
            match applied {
                Some(Ok(_)) => Ok(()),
                Some(Err(e)) => Err(StepFailure::from_step(&e, &sv)),
                None => Err(StepFailure::plain("Cannot continue", "the workflow state is gone")),
            }
        }
        Sent::Lost(reason) => Err(store.no_response(&reason)),
        Sent::Failed(f) => Err(f),
        Sent::Abandoned => Err(StepFailure::plain("Abandoned", "the run was started over")),
    }
}

/// Whether the sign-on's OTP comes from the run's authenticator-app (TOTP) device.
fn uses_totp(store: &Store) -> bool {
    store.wf.with_untracked(|s| s.config.device_type == DeviceType::Totp && s.secrets.totp_key_uri.is_some())
}

/// The TOTP device's current code (RFC 6238, HMAC via WebCrypto), at a later time step than the
/// last code used: PingOne accepts each code once, and one step of clock drift.
async fn totp_code(store: &Store) -> Result<String, StepFailure> {
    let (uri, last) = store.wf.with_untracked(|s| (s.secrets.totp_key_uri.clone(), s.secrets.totp_last_counter));
    let uri = uri.ok_or_else(|| StepFailure::plain("No TOTP key", "the device's keyUri was not received"))?;
    let key = pingone::totp::parse_key_uri(uri.expose()).map_err(|e| StepFailure::plain("Unusable TOTP key", e.to_string()))?;
    let now = key.counter_at((js_sys::Date::now() / 1000.0) as u64);
    let counter = last.map_or(now, |l| now.max(l + 1));
    let mac = crypto::hmac(key.algorithm.webcrypto_hash(), &key.secret, &pingone::totp::counter_bytes(counter))
        .await
        .map_err(|e| StepFailure::plain("WebCrypto", e.to_string()))?;
    let code = key.code_from_hmac(&mac).map_err(|e| StepFailure::plain("TOTP", e.to_string()))?;
    store.wf.update(|s| s.secrets.totp_last_counter = Some(counter));
    Ok(code)
}

lazy_fn!(engine;
    /// The work of one step, from the engine chunk.
    async fn execute_in_engine(store: Store, id: StepId, auto_otp: bool, replayed: bool) -> Outcome {
        execute_step(store, id, auto_otp, replayed).await
    }
);

/// Runs one claimed step to its outcome (the engine downloads on the first step of a page).
async fn execute(store: Store, id: StepId, auto_otp: bool, replayed: bool) -> Outcome {
    match execute_in_engine(store, id, auto_otp, replayed).await {
        Ok(outcome) => outcome,
        Err(e) => finish(store, id, Outcome::Failed(load_failure(&e)), 0.0),
    }
}

/// The step could not run because the engine's chunk did not download.
fn load_failure(e: &LoadError) -> StepFailure {
    StepFailure {
        hint: Some("Check the connection and run the step again; if the app was just updated, reload the page.".into()),
        ..StepFailure::plain("App download", e.to_string())
    }
}

/// Runs a claimed step to its end (one or more calls).
async fn execute_step(store: Store, id: StepId, auto_otp: bool, replayed: bool) -> Outcome {
    let generation = store.generation.get_value();
    let step = id.step();
    let n = step.number();
    store.update_run(id, |r| {
        r.error = None;
        r.note = None;
        r.calls = 0;
    });
    let t0 = perf_now();
    // The first run of a page starts the transport (in sandbox mode: downloads the sandbox).
    let transport = match store.ensure_transport().await {
        Ok(t) => t,
        Err(_) if store.generation.get_value() != generation => return Outcome::Abandoned,
        Err(e) => return finish(store, id, Outcome::Failed(store.no_response(&e.to_string())), perf_now() - t0),
    };
    let input_errors = store.errors_for_step(id);
    if !input_errors.is_empty() {
        return finish(store, id, Outcome::Failed(StepFailure::input(&input_errors)), perf_now() - t0);
    }
    // The worker token is an admin credential: never send it once it has expired.
    let expired = store.wf.with_untracked(|s| {
        id.is_management()
            && s.secrets.worker_token.is_some()
            && s.created.worker_token_expires_at_ms.is_some_and(|t| (t as f64) <= js_sys::Date::now())
    });
    if expired {
        let f = StepFailure {
            hint: Some("Run Connect (step 0) again for a new token; what was created so far is kept.".into()),
            ..StepFailure::plain("Worker token expired", "The worker token from step 0 has expired, so it is not sent.")
        };
        store.progress.update(|p| p.set(StepId::WorkerToken, StepStatus::Ready));
        return finish(store, id, Outcome::Failed(f), perf_now() - t0);
    }
    store.say(format!("Step {n} running: {}", step.title));
    let mut calls = 0;
    let mut refreshed = false;
    let outcome = loop {
        if store.generation.get_value() != generation {
            return Outcome::Abandoned;
        }
        if calls >= MAX_CALLS {
            break Outcome::Failed(StepFailure::plain(
                "Cannot continue",
                format!("step {n} did not finish after {MAX_CALLS} calls"),
            ));
        }
        let planned = store.wf.with_untracked(|s| id.build(s));
        let request = match planned {
            Ok(Planned::Request(r)) => r,
            Ok(Planned::Skip(reason)) => break Outcome::Skipped(reason.to_string()),
            Err(BuildError::NeedsInput(UserInput::AuthorizeSecrets)) => match crypto::authorize_secrets().await {
                Ok(a) => {
                    store.wf.update(|s| s.secrets.authorize = Some(a));
                    continue;
                }
                Err(e) => break Outcome::Failed(StepFailure::plain("WebCrypto", e.to_string())),
            },
            // An authenticator app's code is computed (to activate it, and at sign-on), in
            // sandbox and live mode alike.
            Err(BuildError::NeedsInput(input @ (UserInput::TotpCode | UserInput::Otp)))
                if input == UserInput::TotpCode || uses_totp(&store) =>
            {
                match totp_code(&store).await {
                    Ok(code) => {
                        store.wf.update(|s| s.secrets.otp = Some(Otp::new(code)));
                        continue;
                    }
                    Err(f) => break Outcome::Failed(f),
                }
            }
            Err(BuildError::NeedsInput(UserInput::Otp)) => {
                if auto_otp {
                    if let Some(otp) = store.inbox_otp_for_flow() {
                        store.wf.update(|s| s.secrets.otp = Some(Otp::new(otp)));
                        continue;
                    }
                }
                break Outcome::NeedsInput(UserInput::Otp);
            }
            Err(BuildError::NeedsInput(input)) => break Outcome::NeedsInput(input),
            Err(e) => break Outcome::Failed(StepFailure::from_build(&e)),
        };
        calls += 1;
        store.update_run(id, |r| r.calls = calls);
        let (seq, rtt, response) = match send_surviving(&store, &transport, id, request, id.idempotency(), replayed).await {
            Sent::Abandoned => return Outcome::Abandoned,
            Sent::Answer { seq, rtt, response } => (seq, rtt, response),
            Sent::Failed(f) => break Outcome::Failed(f),
            Sent::Lost(reason) if id.idempotency() == Idempotency::Create => {
                // Never repeat a create blindly: find out whether PingOne made the object.
                match adopt(&store, &transport, id, replayed).await {
                    Ok(Adoption::Adopted { id: object }) => {
                        store.update_run(id, |r| {
                            r.note = Some(format!("The response was lost; found the object PingOne had created ({object}) and adopted it."))
                        });
                        break Outcome::Done;
                    }
                    Ok(Adoption::NotFound) => {
                        store.say(format!("Step {n}: the response was lost and nothing was created; sending it again."));
                        calls = calls.saturating_sub(1);
                        continue;
                    }
                    Ok(other) => break Outcome::Failed(StepFailure::plain(
                        "Response lost",
                        format!("{reason}; looking the object up found {other:?}: check the environment before retrying"),
                    )),
                    Err(f) => break Outcome::Failed(f),
                }
            }
            Sent::Lost(reason) => break Outcome::Failed(store.no_response(&reason)),
        };
        if store.generation.get_value() != generation {
            return Outcome::Abandoned;
        }
        // A 401 from the management API: the worker token expired or was revoked. Renew it once
        // (step 0 again) and repeat the call.
        if id != StepId::WorkerToken && id.is_management() && on_management_status(response.status, refreshed) == OnUnauthorized::RefreshAndRetry {
            refreshed = true;
            let sv = store.secret_values();
            finish_exchange(&store, seq, Some(redact_response(&response, id, &sv)), None, rtt);
            store.say(format!("Step {n}: the worker token was refused (401); getting a new one and retrying."));
            match renew_worker_token(&store, &transport).await {
                Ok(()) => {
                    calls = calls.saturating_sub(1);
                    continue;
                }
                Err(f) => break Outcome::Failed(f),
            }
        }
        let mut sv = store.secret_values();
        let before = sv.clone();
        let applied = store.wf.try_update(|s| id.apply(s, &response, js_sys::Date::now() as u64));
        sv = store.secret_values();
        sv.merge(&before);
        finish_exchange(&store, seq, Some(redact_response(&response, id, &sv)), None, rtt);
        store.refresh_inbox();
        match applied {
            Some(Ok(Applied::Done)) => break Outcome::Done,
            Some(Ok(Applied::Again)) => continue,
            Some(Err(e)) => break Outcome::Failed(StepFailure::from_step(&e, &sv)),
            None => break Outcome::Failed(StepFailure::plain("Cannot continue", "the workflow state is gone")),
        }
    };
    finish(store, id, outcome, perf_now() - t0)
}

fn finish(store: Store, id: StepId, outcome: Outcome, duration_ms: f64) -> Outcome {
    let n = id.number();
    let ms = duration_ms.round() as u64;
    match &outcome {
        Outcome::Done => {
            store.progress.update(|p| p.set(id, StepStatus::Done));
            store.update_run(id, |r| r.duration_ms = Some(duration_ms));
            if id == StepId::SetPassword {
                let pw = store.wf.with_untracked(|s| s.secrets.password.clone());
                store.provisioned_password.set(Some(pw));
            }
            if id == StepId::ExchangeCode {
                spawn_local(verify_id_token(store));
            }
            store.say(format!("Step {n} done ({ms} ms)"));
        }
        Outcome::Skipped(reason) => {
            store.progress.update(|p| p.set(id, StepStatus::Skipped));
            store.update_run(id, |r| {
                r.duration_ms = Some(duration_ms);
                r.note = Some(reason.clone());
            });
            store.say(format!("Step {n} skipped: {reason}"));
        }
        Outcome::NeedsInput(input) => {
            store.progress.update(|p| p.set(id, StepStatus::NeedsInput));
            let what = match input {
                UserInput::Otp => "the one-time passcode: type the code sent to the MFA device (in sandbox mode it is in the sandbox inbox)",
                UserInput::Password => "the user's password",
                UserInput::WorkerSecret => "the worker app's client secret",
                UserInput::AuthorizeSecrets => "PKCE and state values",
                UserInput::TotpCode => "a code of the authenticator app",
            };
            store.update_run(id, |r| r.note = Some(format!("Waiting for {what}.")));
            store.say(format!("Step {n} needs {what}"));
        }
        Outcome::Failed(f) => {
            store.progress.update(|p| p.set(id, StepStatus::Failed));
            store.update_run(id, |r| {
                r.duration_ms = Some(duration_ms);
                r.error = Some(f.clone());
            });
            store.say(format!("Step {n} failed: {}", f.one_line()));
        }
        Outcome::Abandoned => {}
    }
    outcome
}

fn auto_otp_allowed(store: &Store) -> bool {
    store.auto_otp.get_untracked() && store.mode.get_untracked() == Mode::Sandbox
}

/// Run all: every ready step starts now, in parallel where the DAG allows; each finished step
/// starts whatever it unblocked. Failed steps (and a waiting OTP step) go back in the queue and
/// are retried once, when their dependencies are done.
pub fn run_all(store: Store) {
    if matches!(store.run_mode.get_untracked(), RunMode::RunningAll | RunMode::Replaying) {
        return;
    }
    store.continue_all.set(true);
    store.sign_on_restarts.set_value(0);
    store.run_clock.set(Some(RunClock { started_ms: perf_now(), finished_ms: None }));
    store.run_mode.set(RunMode::RunningAll);
    store.say("Run all started");
    let retry: Vec<StepId> = store.progress.with_untracked(|p| {
        STEPS
            .iter()
            .map(|s| s.id)
            .filter(|&id| matches!(p.status(id), StepStatus::Failed | StepStatus::NeedsInput))
            .collect()
    });
    let auto = auto_otp_allowed(&store);
    for id in retry {
        if id == StepId::CheckOtp && !auto && store.wf.with_untracked(|s| s.secrets.otp.is_none()) {
            continue;
        }
        // Back in the queue: it runs as soon as its dependencies are done (once per Run all).
        store.progress.update(|p| p.set(id, StepStatus::Pending));
    }
    pump(store);
}

lazy_fn!(engine;
    async fn start_transport(store: Store) -> () {
        // A failure here is the first run's to report (it starts the transport again).
        let _ = store.ensure_transport().await;
    }
);

/// Loads the engine and starts the transport ahead of a run ([`Store::warm_up`]).
pub(crate) async fn warm_up(store: Store) {
    let _ = start_transport(store).await;
}

lazy_fn!(engine;
    async fn verify_in_engine(store: Store) -> () {
        crate::verify::verify_run(store).await
    }
);

/// Verifies the run's ID token (after step 20, and kept tokens after a reload): the engine's
/// discovery, JWKS and WebCrypto checks.
pub(crate) async fn verify_id_token(store: Store) {
    if let Err(e) = verify_in_engine(store).await {
        store.id_token_check.set(Some(Err(e.to_string())));
    }
}

/// How many times one Run all may start the sign-on again after a lost single-use answer.
const MAX_SIGN_ON_RESTARTS: u32 = 5;

fn spawn_claimed(store: Store, id: StepId, auto: bool) {
    if claim(&store, id) {
        spawn_local(async move {
            let outcome = execute(store, id, auto, false).await;
            if matches!(outcome, Outcome::Failed(_)) && SIGN_ON_STEPS.contains(&id) {
                restart_sign_on_if_disrupted(store);
            }
            pump(store);
        });
    }
}

/// A sign-on step failed after a single-use call lost its answer (the flow moved on, or the
/// code was spent, without us seeing it): Run all starts a fresh sign-on with the same objects.
fn restart_sign_on_if_disrupted(store: Store) {
    if !store.sign_on_disrupted.get_value() || store.run_mode.get_untracked() != RunMode::RunningAll {
        return;
    }
    let restarts = store.sign_on_restarts.get_value();
    if restarts >= MAX_SIGN_ON_RESTARTS {
        return;
    }
    store.sign_on_restarts.set_value(restarts + 1);
    store.sign_on_disrupted.set_value(false);
    if store.progress.with_untracked(|p| SIGN_ON_STEPS.iter().any(|&s| p.status(s) == StepStatus::Running)) {
        // Another sign-on step is still in flight; its failure will restart.
        store.sign_on_disrupted.set_value(true);
        return;
    }
    reset_sign_on(store);
    store.say("A single-use sign-on answer was lost, so the sign-on starts again (steps 14 to 18 and 20).");
}

fn pump(store: Store) {
    if store.run_mode.get_untracked() != RunMode::RunningAll {
        return;
    }
    let auto = auto_otp_allowed(&store);
    for id in store.progress.with_untracked(|p| p.ready()) {
        spawn_claimed(store, id, auto);
    }
    let running = store.progress.with_untracked(|p| p.count(StepStatus::Running));
    if running == 0 {
        finish_all(store);
    }
}

fn finish_all(store: Store) {
    store.run_mode.set(RunMode::Idle);
    let clock = store.run_clock.get_untracked();
    let elapsed = clock.map(|c| perf_now() - c.started_ms).unwrap_or(0.0);
    store.run_clock.set(clock.map(|c| RunClock { finished_ms: Some(c.started_ms + elapsed), ..c }));
    let (complete, waiting, failed) = store.progress.with_untracked(|p| {
        let first = |st: StepStatus| STEPS.iter().map(|s| s.id).find(|&id| p.status(id) == st);
        (p.is_complete(), first(StepStatus::NeedsInput), first(StepStatus::Failed))
    });
    let ms = elapsed.round() as u64;
    if complete {
        store.continue_all.set(false);
        store.say(format!(
            "Run all finished: all {} steps done in {ms} ms. The decoded tokens are in the Tokens phase.",
            STEPS.len()
        ));
    } else if let Some(id) = failed {
        store.say(format!(
            "Run all stopped: step {} failed, so the steps that depend on it wait. Fix it and retry; finished steps are kept.",
            id.number()
        ));
    } else if let Some(id) = waiting {
        store.say(format!("Run all paused: step {} needs input (see the Sign on phase).", id.number()));
    } else {
        store.say("Run all stopped: nothing else can run.");
    }
}

/// Runs one step (Run step N, Retry); with `continue_all`, Run all goes on afterwards.
pub fn run_step(store: Store, id: StepId) {
    let auto = store.continue_all.get_untracked() && auto_otp_allowed(&store);
    if !claim(&store, id) {
        let blocked = store.progress.with_untracked(|p| p.blocked_by(id));
        match blocked {
            Some(b) => store.say(format!("Step {} waits for step {}", id.number(), b.number())),
            None => store.say(format!("Step {} cannot run yet: its dependencies are not done", id.number())),
        }
        return;
    }
    let was_idle = store.run_mode.get_untracked() == RunMode::Idle;
    if was_idle {
        store.run_mode.set(RunMode::Stepping);
    }
    spawn_local(async move {
        let outcome = execute(store, id, auto, false).await;
        match store.run_mode.get_untracked() {
            RunMode::Stepping => store.run_mode.set(RunMode::Idle),
            RunMode::RunningAll => pump(store),
            _ => {}
        }
        if outcome == Outcome::Done
            && store.continue_all.get_untracked()
            && store.run_mode.get_untracked() == RunMode::Idle
        {
            run_all(store);
        }
    });
}

/// Step mode: the next step in PingOne's documented order.
pub fn step_once(store: Store) {
    if store.busy.get_untracked() {
        return;
    }
    store.continue_all.set(false);
    match store.next_step.get_untracked() {
        Some(id) => run_step(store, id),
        None if store.complete.get_untracked() => store.say("All steps are done."),
        None => store.say("The next step in order cannot run: an earlier step has not finished."),
    }
}

/// The person typed the OTP: check it (step 17).
pub fn submit_otp(store: Store, otp: String) -> Result<(), &'static str> {
    let otp = otp.trim().to_string();
    if otp.is_empty() {
        return Err("enter the code");
    }
    if !otp.chars().all(|c| c.is_ascii_alphanumeric()) || otp.len() > 16 {
        return Err("the code is letters and digits only");
    }
    store.wf.update(|s| s.secrets.otp = Some(Otp::new(otp)));
    run_step(store, StepId::CheckOtp);
    Ok(())
}

/// The person picked a device on DEVICE_SELECTION_REQUIRED.
pub fn select_device(store: Store, device_id: String) {
    store.wf.update(|s| s.selected_device_id = Some(device_id));
    run_step(store, StepId::CheckOtp);
}

/// Username/password form (step 16) with the password the person typed.
pub fn sign_on(store: Store, password: String) {
    store.wf.update(|s| s.secrets.password = Password::new(password));
    run_step(store, StepId::CheckUsernamePassword);
}

/// MUST_CHANGE_PASSWORD / PASSWORD_EXPIRED: `password.reset` on the flow, then carry on.
pub fn change_password(store: Store, current: String, new: String) {
    let built = store.wf.with_untracked(|s| {
        let flow = s.flow.as_ref()?;
        let href = flow.action_href("password.reset")?.to_string();
        let body = serde_json::json!({ "currentPassword": current, "newPassword": new });
        Some(HttpRequest::new(Method::Post, href).json_body(media::PASSWORD_RESET, &body))
    });
    let Some(request) = built else {
        store.say("The flow does not offer password.reset now.");
        return;
    };
    let mut extra = SecretValues::default();
    extra.add("PASSWORD", &current);
    extra.add("NEW_PASSWORD", &new);
    spawn_local(async move {
        if let Err(e) = change_password_in_engine(store, request, extra, new).await {
            store.say(format!("Password change failed: {e}"));
        }
    });
}

lazy_fn!(engine;
    async fn change_password_in_engine(store: Store, request: HttpRequest, extra: SecretValues, new: String) -> () {
        change_password_task(store, request, extra, new).await
    }
);

/// Sends `password.reset` and applies the new flow.
async fn change_password_task(store: Store, request: HttpRequest, extra: SecretValues, new: String) {
    let id = StepId::CheckUsernamePassword;
    let generation = store.generation.get_value();
    let transport = match store.ensure_transport().await {
        Ok(t) => t,
        Err(e) => {
            store.update_run(id, |r| r.error = Some(store.no_response(&e.to_string())));
            return;
        }
    };
    let (seq, rtt, result) = exchange(&store, &transport, id, request, &extra, false).await;
    if store.generation.get_value() != generation {
        return;
    }
    let mut sv = store.secret_values();
    sv.merge(&extra);
    let failure = match result {
        Err(e) => {
            finish_exchange(&store, seq, None, Some(e.to_string()), rtt);
            Some(store.no_response(&e.to_string()))
        }
        Ok(resp) => {
            finish_exchange(&store, seq, Some(redact_response(&resp, id, &sv)), None, rtt);
            store.refresh_inbox();
            if !resp.is_success() {
                Some(StepFailure::from_api(&ApiError::from_response(resp.status, &resp.body), &sv))
            } else {
                match serde_json::from_str::<Flow>(&resp.body) {
                    Ok(flow) => {
                        store.wf.update(|s| {
                            s.flow = Some(flow);
                            s.secrets.password = Password::new(new.clone());
                        });
                        store.provisioned_password.set(Some(Password::new(new)));
                        None
                    }
                    Err(e) => Some(StepFailure::from_api(
                        &ApiError::Malformed { status: resp.status, reason: e.to_string() },
                        &sv,
                    )),
                }
            }
        }
    };
    match failure {
        Some(f) => {
            store.say(format!("Password change failed: {}", f.one_line()));
            store.update_run(id, |r| r.error = Some(f));
        }
        None => {
            store.update_run(id, |r| r.error = None);
            store.say("Password changed; the sign-on continues with step 17.");
            // Step 17 may have failed on the unsupported status: it can run now.
            if store.progress.with_untracked(|p| p.status(StepId::CheckOtp)) == StepStatus::Failed {
                store.update_run(StepId::CheckOtp, |r| r.error = None);
            }
            if store.continue_all.get_untracked() {
                run_all(store);
            }
        }
    }
}

/// Forgets the sign-on (steps 14-18, 20) and starts a new one with the same objects.
pub fn new_sign_on(store: Store) {
    if store.busy.get_untracked() {
        return;
    }
    reset_sign_on(store);
    store.say("New sign-on: steps 14 to 18 and 20 are ready to run again.");
}

fn reset_sign_on(store: Store) {
    store.wf.update(|s| s.reset_sign_on());
    store.id_token_check.set(None);
    store.progress.update(|p| p.reset_from(&SIGN_ON_STEPS));
    for id in SIGN_ON_STEPS {
        store.update_run(id, |r| *r = Default::default());
    }
    if let Some(sb) = store.sandbox() {
        sb.clear_cookies();
    }
}

/// Start over: a new sandbox tenant, new unique names, nothing run.
pub fn start_over(store: Store) {
    store.reset(&StoreOptions::default());
    store.say("Started over with a new sandbox environment and new names.");
}

lazy_fn!(engine;
    fn restore_in_engine(store: Store, json: String) -> () {
        store.restore_saved(&json)
    }
);

/// After a reload: restores this tab's saved run (decoding it is the engine's, so the page waits
/// for that chunk; without code splitting it happens at once), verifies kept tokens again (live
/// mode) and replays a sandbox run's finished steps. The run controls wait meanwhile.
pub fn restore_after_reload(store: Store) {
    let Some(json) = store.saved_json() else {
        return;
    };
    store.run_mode.set(RunMode::Replaying);
    when_ready(restore_in_engine(store, json), move |restored| after_restore(store, restored));
}

fn after_restore(store: Store, restored: Result<(), LoadError>) {
    store.run_mode.set(RunMode::Idle);
    if let Err(e) = restored {
        store.restore_failed(&e.to_string());
        return;
    }
    // Tokens restored in live mode can only have come back from this device.
    if store.mode.get_untracked() == Mode::Live && store.wf.with_untracked(|s| s.secrets.tokens.is_some()) {
        spawn_local(verify_id_token(store));
    }
    replay_after_reload(store);
}

/// After a reload: replay the finished steps against the new in-page sandbox so the run can go
/// on (the old sandbox and every secret lived in page memory only).
fn replay_after_reload(store: Store) {
    let steps = store.pending_replay.get_value();
    if steps.is_empty() || store.mode.get_untracked() != Mode::Sandbox {
        return;
    }
    store.pending_replay.set_value(Vec::new());
    store.run_mode.set(RunMode::Replaying);
    let generation = store.generation.get_value();
    spawn_local(async move {
        let t0 = perf_now();
        let mut replayed = 0;
        for id in steps {
            if store.generation.get_value() != generation || !claim(&store, id) {
                break;
            }
            match execute(store, id, true, true).await {
                Outcome::Done | Outcome::Skipped(_) => replayed += 1,
                _ => break,
            }
        }
        if store.generation.get_value() != generation {
            return;
        }
        store.run_mode.set(RunMode::Idle);
        let ms = (perf_now() - t0).round() as u64;
        store.notice.set(Some(format!(
            "Restored the run after the reload: the in-page sandbox restarted with the page and secrets are never stored, so {replayed} finished steps were replayed against it in {ms} ms (marked \u{201c}replayed\u{201d} in the inspector). Carry on where you were."
        )));
        store.say(format!("Run restored: {replayed} steps replayed"));
    });
}

/// Clean up: deletes everything this run created, in reverse dependency order (device, user,
/// population, policy assignment, policy with its actions, application with its grants),
/// reporting each DELETE. What failed stays recorded, so Clean up can simply run again.
pub fn clean_up(store: Store) {
    if store.busy.get_untracked() {
        return;
    }
    let generation = store.generation.get_value();
    store.run_mode.set(RunMode::CleaningUp);
    spawn_local(async move {
        let ended = match clean_up_in_engine(store).await {
            Ok(ended) => ended,
            Err(e) => format!("Clean up could not start: {e}"),
        };
        if store.generation.get_value() != generation {
            return;
        }
        store.run_mode.set(RunMode::Idle);
        store.say(ended);
    });
}

lazy_fn!(engine;
    async fn clean_up_in_engine(store: Store) -> String {
        clean_up_all(store).await
    }
);

async fn clean_up_all(store: Store) -> String {
    let transport = match store.ensure_transport().await {
        Ok(t) => t,
        Err(e) => return format!("Clean up could not start: {e}"),
    };
    let plan = match store.wf.with_untracked(cleanup_plan) {
        Ok(p) => p,
        Err(e) => return format!("Clean up needs {e}: run step 0 first."),
    };
    if plan.is_empty() {
        store.cleanup.set(Vec::new());
        return "Nothing to clean up: this run has created nothing (or it was all deleted).".into();
    }
    store.cleanup.set(
        plan.iter().map(|i| CleanupRow { title: i.title, id: i.id.clone(), state: CleanupState::Waiting }).collect(),
    );
    let mut failed = 0;
    for (row, item) in plan.into_iter().enumerate() {
        let set = |state: CleanupState| store.cleanup.update(|rows| {
            if let Some(r) = rows.get_mut(row) {
                r.state = state;
            }
        });
        set(CleanupState::Running);
        let step = item.target.created_by();
        let state = match send_surviving(&store, &transport, step, item.request.clone(), Idempotency::Idempotent, false).await {
            Sent::Abandoned => return "Clean up stopped: the run was started over.".into(),
            Sent::Answer { seq, rtt, response } => {
                let sv = store.secret_values();
                finish_exchange(&store, seq, Some(redact_response(&response, step, &sv)), None, rtt);
                match store.wf.try_update(|s| item.apply(s, &response)) {
                    Some(Ok(Cleaned::Deleted)) => CleanupState::Deleted,
                    Some(Ok(Cleaned::AlreadyGone)) => CleanupState::AlreadyGone,
                    Some(Err(e)) => CleanupState::Failed(StepFailure::from_api(&e, &sv)),
                    None => CleanupState::Failed(StepFailure::plain("Cannot continue", "the workflow state is gone")),
                }
            }
            Sent::Lost(reason) => CleanupState::Failed(store.no_response(&reason)),
            Sent::Failed(f) => CleanupState::Failed(f),
        };
        if matches!(state, CleanupState::Failed(_)) {
            failed += 1;
        }
        set(state);
    }
    if failed > 0 {
        return format!("Clean up: {failed} deletion(s) failed; fix the cause and press Clean up again to retry them.");
    }
    // Everything is gone: the provisioning and the sign-on can run again from step 1.
    let again: Vec<StepId> = STEPS.iter().map(|s| s.id).filter(|&id| id != StepId::WorkerToken).collect();
    store.wf.update(|s| {
        s.reset_sign_on();
        s.secrets.app_secret = None;
    });
    store.id_token_check.set(None);
    store.progress.update(|p| p.reset_from(&again));
    for id in again {
        store.update_run(id, |r| *r = Default::default());
    }
    if let Some(sb) = store.sandbox() {
        sb.clear_cookies();
    }
    "Clean up finished: everything this run created was deleted. Run all provisions it again.".into()
}

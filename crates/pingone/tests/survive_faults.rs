#![cfg(not(target_arch = "wasm32"))]
//! The whole workflow against a sandbox that fails a share of the calls (503 and 429 before
//! acting, lost responses after acting), driven only by this crate's pure rules: retry
//! decisions, look-up-and-adopt after a lost create, a new sign-on when a single-use call is
//! lost, then clean-up under the same faults. The run must end signed on, with every object
//! created exactly once, and clean-up must leave the environment as it was.

mod common;

use common::Harness;
use pingone::http::{HttpRequest, HttpResponse, Method};
use pingone::retry::{Outcome, RetryDecision, RetryPolicy};
use pingone::worker_token::{on_management_status, OnUnauthorized};
use pingone::workflow::{
    apply_lookup, build_lookup, cleanup_plan, Adoption, Applied, BuildError, Phase, Planned, StepId, StepStatus, UserInput, STEPS,
};

const JITTER: f64 = 0.5;

#[derive(Debug, Default)]
struct Tally {
    retries: usize,
    lost: usize,
    adopted: usize,
    sign_on_restarts: usize,
}

/// Sends a request until the retry rules say stop; `Ok(None)` means "lost, and the rules say
/// look up before retrying".
fn send_surviving(h: &mut Harness, step: StepId, request: &HttpRequest, kind: pingone::Idempotency, tally: &mut Tally) -> Result<Option<HttpResponse>, String> {
    let policy = RetryPolicy::default();
    for attempt in 1.. {
        let answer = h.send_with_faults(step, request.clone());
        let outcome = match &answer {
            Some(r) if r.status < 400 => return Ok(answer),
            Some(r) => Outcome::Answered { status: r.status, retry_after: r.headers.get("retry-after") },
            None => {
                tally.lost += 1;
                Outcome::Lost
            }
        };
        match policy.decide(attempt, outcome, kind, JITTER, h.now_ms) {
            RetryDecision::Retry { after_ms } => {
                tally.retries += 1;
                h.now_ms += after_ms;
            }
            RetryDecision::GiveUp => return answer.ok_or_else(|| format!("{step:?}: lost, not repeatable")).map(Some),
            RetryDecision::LookUpBeforeRetry => return Ok(None),
        }
    }
    unreachable!()
}

/// Looks a possibly-created object up until the list answers; `true` when it was adopted.
fn adopt(h: &mut Harness, step: StepId, tally: &mut Tally) -> Result<bool, String> {
    let request = build_lookup(step, &h.state).map_err(|e| e.to_string())?.ok_or("not a create")?;
    let response = send_surviving(h, step, &request, pingone::Idempotency::Idempotent, tally)?.ok_or("lookup lost")?;
    match apply_lookup(step, &mut h.state, &response, h.now_ms).map_err(|e| format!("{step:?} lookup: {e:?}"))? {
        Adoption::Adopted { .. } => {
            tally.adopted += 1;
            Ok(true)
        }
        Adoption::NotFound => Ok(false),
        other => Err(format!("{step:?}: {other:?}")),
    }
}

/// One step to its end under faults, as the app's runner would drive it.
fn run_step(h: &mut Harness, id: StepId, tally: &mut Tally) -> Result<(), String> {
    let mut refreshed = false;
    for _ in 0..12 {
        let planned = match id.build(&h.state) {
            Ok(p) => p,
            Err(BuildError::NeedsInput(UserInput::AuthorizeSecrets)) => {
                h.state.secrets.authorize = Some(h.authorize_secrets());
                continue;
            }
            Err(BuildError::NeedsInput(UserInput::Otp)) => {
                let otp = h.newest_otp().ok_or("no OTP sent")?;
                h.state.secrets.otp = Some(pingone::secret::Otp::new(otp));
                continue;
            }
            Err(e) => return Err(format!("{id:?}: {e}")),
        };
        let Planned::Request(request) = planned else {
            h.progress.set(id, StepStatus::Skipped);
            return Ok(());
        };
        let Some(response) = send_surviving(h, id, &request, id.idempotency(), tally)? else {
            // A create whose answer was lost: adopt it if it exists, else send it again.
            if adopt(h, id, tally)? {
                h.progress.set(id, StepStatus::Done);
                return Ok(());
            }
            continue;
        };
        if id.is_management() && on_management_status(response.status, refreshed) == OnUnauthorized::RefreshAndRetry {
            refreshed = true;
            run_step(h, StepId::WorkerToken, tally)?;
            continue;
        }
        match id.apply(&mut h.state, &response, h.now_ms) {
            Ok(Applied::Done) => {
                h.progress.set(id, StepStatus::Done);
                return Ok(());
            }
            Ok(Applied::Again) => continue,
            Err(e) => return Err(format!("{id:?}: {e}")),
        }
    }
    Err(format!("{id:?}: too many calls"))
}

fn sign_on_steps() -> Vec<StepId> {
    STEPS.iter().filter(|s| s.phase == Phase::SignOn).map(|s| s.id).chain([StepId::ExchangeCode]).collect()
}

/// Run all, wave by wave; a failed sign-on step starts the sign-on again (its inputs are single-use).
fn run_all(h: &mut Harness, tally: &mut Tally) {
    while !h.progress.is_complete() {
        let ready = h.progress.ready();
        assert!(!ready.is_empty(), "stuck");
        for id in ready {
            if let Err(e) = run_step(h, id, tally) {
                assert!(sign_on_steps().contains(&id), "provisioning must survive: {e}");
                assert!(tally.sign_on_restarts < 8, "too many sign-on restarts: {e}");
                tally.sign_on_restarts += 1;
                h.state.reset_sign_on();
                h.progress.reset_from(&sign_on_steps());
                break;
            }
        }
    }
}

fn names_in(h: &mut Harness, collection: &str, field: &str, value: &str) -> usize {
    let token = h.state.secrets.worker_token.clone().unwrap();
    let request = HttpRequest::new(Method::Get, format!("{}/{collection}", h.state.config.api_env()))
        .header("Authorization", format!("Bearer {}", token.expose()));
    let r = h.send(StepId::WorkerToken, request);
    let list = r.json().unwrap()["_embedded"][collection].clone();
    list.as_array().unwrap().iter().filter(|o| o[field] == value).count()
}

#[test]
fn the_workflow_survives_a_faulty_pingone() {
    let mut total = Tally::default();
    for seed in 60..68 {
        let mut h = Harness::new(seed);
        h.sandbox.set_fail_rate(0.25);
        let mut tally = Tally::default();
        run_all(&mut h, &mut tally);
        assert!(h.state.secrets.tokens.is_some(), "seed {seed}: signed on");

        h.sandbox.set_fail_rate(0.0);
        let c = h.state.config.clone();
        for (collection, field, value) in [
            ("applications", "name", &c.application_name),
            ("signOnPolicies", "name", &c.sign_on_policy_name),
            ("populations", "name", &c.population_name),
            ("users", "username", &c.username),
        ] {
            assert_eq!(names_in(&mut h, collection, field, value), 1, "seed {seed}: one {collection} object, never two");
        }

        // Clean-up under the same faults: DELETE is idempotent, and 404 after a lost answer is fine.
        h.sandbox.set_fail_rate(0.25);
        for item in cleanup_plan(&h.state).unwrap() {
            let r = send_surviving(&mut h, StepId::WorkerToken, &item.request, pingone::Idempotency::Idempotent, &mut tally)
                .unwrap()
                .expect("DELETE is never looked up");
            item.apply(&mut h.state, &r).unwrap_or_else(|e| panic!("seed {seed}: {}: {e}", item.title));
        }
        assert!(h.state.created.object_ids().is_empty(), "seed {seed}");
        h.sandbox.set_fail_rate(0.0);
        for (collection, field, value) in [("applications", "name", &c.application_name), ("users", "username", &c.username)] {
            assert_eq!(names_in(&mut h, collection, field, value), 0, "seed {seed}: {collection} cleaned");
        }
        println!("seed {seed}: {tally:?}");
        total.retries += tally.retries;
        total.lost += tally.lost;
        total.adopted += tally.adopted;
        total.sign_on_restarts += tally.sign_on_restarts;
    }
    println!("all seeds: {total:?}");
    assert!(total.retries > 0 && total.lost > 0 && total.adopted > 0, "the faults exercised every path: {total:?}");
}

#![cfg(not(target_arch = "wasm32"))]
//! Failures you can survive, against the sandbox engine: a create whose answer is lost is looked
//! up and adopted (never sent twice), a 401 renews the worker token once, and clean-up deletes
//! exactly what the run created.

mod common;

use common::{plan_request, Harness};
use pingone::http::{HttpRequest, HttpResponse, Method};
use pingone::retry::{Outcome, RetryDecision, RetryPolicy};
use pingone::worker_token::{on_management_status, OnUnauthorized, DEFAULT_REFRESH_MARGIN_MS};
use pingone::workflow::{
    apply_lookup, build_lookup, cleanup_plan, creates_object, Adoption, Cleaned, Created, StepId, StepStatus, STEPS,
};

/// Forgets what a create step recorded, as if its answer had never arrived.
fn forget(created: &mut Created, step: StepId) {
    let slot = match step {
        StepId::CreateApplication => &mut created.application_id,
        StepId::CreateGrant => &mut created.grant_id,
        StepId::CreateSignOnPolicy => &mut created.sign_on_policy_id,
        StepId::CreateLoginAction => &mut created.login_action_id,
        StepId::CreateMfaAction => &mut created.mfa_action_id,
        StepId::AssignSignOnPolicy => &mut created.sign_on_policy_assignment_id,
        StepId::CreatePopulation => &mut created.population_id,
        StepId::CreateUser => &mut created.user_id,
        StepId::CreateMfaDevice => {
            created.device_status = None;
            &mut created.device_id
        }
        other => panic!("{other:?} creates nothing"),
    };
    *slot = None;
}

fn lookup(h: &mut Harness, step: StepId) -> Adoption {
    let request = build_lookup(step, &h.state).unwrap_or_else(|e| panic!("{step:?}: {e}")).expect("a create step");
    let response = h.send(step, request);
    apply_lookup(step, &mut h.state, &response, h.now_ms).unwrap_or_else(|e| panic!("{step:?}: {e:?}"))
}

#[test]
fn each_create_is_found_by_its_lookup_and_nothing_before_it() {
    let mut h = Harness::new(51);
    for step in STEPS.iter().map(|s| s.id).take_while(|&id| id != StepId::Authorize) {
        if creates_object(step) {
            assert_eq!(lookup(&mut h, step), Adoption::NotFound, "{step:?} before it ran");
        }
        h.run_step(step).unwrap_or_else(|e| panic!("{step:?}: {e:?}"));
        if creates_object(step) {
            let recorded = h.state.created.clone();
            forget(&mut h.state.created, step);
            assert_ne!(h.state.created, recorded);
            let adopted = lookup(&mut h, step);
            assert!(matches!(adopted, Adoption::Adopted { .. }), "{step:?}: {adopted:?}");
            assert_eq!(h.state.created, recorded, "{step:?}: the lookup records what the create recorded");
        }
    }
}

#[test]
fn a_lost_create_is_looked_up_adopted_and_the_run_goes_on() {
    let policy = RetryPolicy::default();
    let mut h = Harness::new(52);
    for step in STEPS.iter().map(|s| s.id).take_while(|&id| id != StepId::Authorize) {
        if !creates_object(step) {
            h.run_step(step).unwrap();
            continue;
        }
        // The create reaches PingOne, but its answer is lost on the way back.
        let request = plan_request(&h, step);
        h.send(step, request);
        let decision = policy.decide(1, Outcome::Lost, step.idempotency(), 0.5, h.now_ms);
        assert_eq!(decision, RetryDecision::LookUpBeforeRetry, "{step:?}");
        assert!(matches!(lookup(&mut h, step), Adoption::Adopted { .. }), "{step:?}");
        h.progress.set(step, StepStatus::Done);
    }
    h.run_all().unwrap_or_else(|e| panic!("{e:?}"));
    assert!(h.state.secrets.tokens.is_some(), "signed on with adopted objects");
    // Nothing was created twice: every create was sent exactly once.
    for step in STEPS.iter().filter(|s| creates_object(s.id)) {
        let posts = h.exchanges.iter().filter(|e| e.step == step.id && e.request.method == Method::Post).count();
        assert_eq!(posts, 1, "{:?}", step.id);
    }
}

#[test]
fn a_401_renews_the_worker_token_once_and_the_call_succeeds() {
    let mut h = Harness::new(53);
    h.run_step(StepId::WorkerToken).unwrap();
    let lifetime = h.state.worker_token_lifetime().expect("step 0 records the lifetime");
    // An hour from when it was obtained (step 0's second call, the environment read, came after).
    assert_eq!(lifetime.expires_at_ms - lifetime.obtained_at_ms, 3_600_000);
    h.now_ms = lifetime.expires_at_ms; // an hour later
    assert!(lifetime.is_expired(h.now_ms));
    assert!(lifetime.needs_refresh(h.now_ms, DEFAULT_REFRESH_MARGIN_MS));

    let first = h.send(StepId::CreatePopulation, plan_request(&h, StepId::CreatePopulation));
    assert_eq!(first.status, 401);
    assert_eq!(on_management_status(first.status, false), OnUnauthorized::RefreshAndRetry);
    h.run_step(StepId::WorkerToken).unwrap();
    let renewed = h.state.worker_token_lifetime().unwrap();
    assert!(!renewed.needs_refresh(h.now_ms, DEFAULT_REFRESH_MARGIN_MS));
    let second = h.send(StepId::CreatePopulation, plan_request(&h, StepId::CreatePopulation));
    assert_eq!(second.status, 201);
    assert_eq!(on_management_status(second.status, true), OnUnauthorized::NotApplicable);
    StepId::CreatePopulation.apply(&mut h.state, &second, h.now_ms).unwrap();
    assert!(h.state.created.population_id.is_some());
}

/// `_embedded` of a management list, to compare environments.
fn list(h: &mut Harness, collection: &str) -> serde_json::Value {
    let token = h.state.secrets.worker_token.clone().expect("worker token");
    let request = HttpRequest::new(Method::Get, format!("{}/{collection}", h.state.config.api_env()))
        .header("Authorization", format!("Bearer {}", token.expose()));
    let r = h.send(StepId::WorkerToken, request);
    assert_eq!(r.status, 200, "{collection}: {}", r.body);
    r.json().expect("json")["_embedded"][collection].clone()
}

#[test]
fn clean_up_deletes_exactly_what_the_run_created() {
    const SEED: u64 = 54;
    let mut h = Harness::new(SEED);
    h.run_all().unwrap_or_else(|e| panic!("{e:?}"));
    let plan = cleanup_plan(&h.state).unwrap();
    let targets: Vec<&str> = plan.iter().map(|i| i.title).collect();
    assert_eq!(targets.len(), 6, "{targets:?}");
    for item in &plan {
        let r: HttpResponse = h.send(StepId::WorkerToken, item.request.clone());
        assert_eq!(r.status, 204, "{}: {}", item.title, r.body);
        assert_eq!(item.apply(&mut h.state, &r), Ok(Cleaned::Deleted));
    }
    assert_eq!(h.state.created.object_ids(), Vec::<(&str, &str)>::new());
    assert!(cleanup_plan(&h.state).unwrap().is_empty(), "a second plan is empty");

    // Running the old plan again finds everything gone, and that is fine.
    for item in &plan {
        let r = h.send(StepId::WorkerToken, item.request.clone());
        assert_eq!(r.status, 404, "{}", item.title);
        assert_eq!(item.apply(&mut h.state, &r), Ok(Cleaned::AlreadyGone));
    }

    let mut fresh = Harness::new(SEED);
    fresh.run_step(StepId::WorkerToken).unwrap();
    for collection in ["applications", "signOnPolicies", "populations", "users"] {
        assert_eq!(list(&mut h, collection), list(&mut fresh, collection), "{collection} as freshly seeded");
    }
}

#[test]
fn a_failed_delete_keeps_the_id_so_clean_up_can_run_again() {
    let mut h = Harness::new(55);
    for step in STEPS.iter().map(|s| s.id).take_while(|&id| id != StepId::Authorize) {
        h.run_step(step).unwrap();
    }
    let plan = cleanup_plan(&h.state).unwrap();
    let population = plan.iter().find(|i| i.request.url.contains("/populations/")).unwrap();
    // Out of order: the population still has its user, so PingOne refuses.
    let r = h.send(StepId::WorkerToken, population.request.clone());
    let err = population.apply(&mut h.state, &r).unwrap_err();
    assert_eq!(err.detail_code(), Some("CONSTRAINT_VIOLATION"));
    assert!(h.state.created.population_id.is_some());
    for item in cleanup_plan(&h.state).unwrap() {
        let r = h.send(StepId::WorkerToken, item.request.clone());
        item.apply(&mut h.state, &r).unwrap_or_else(|e| panic!("{}: {e}", item.title));
    }
    assert!(h.state.created.object_ids().is_empty());
}

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use super::*;

#[test]
fn steps_are_numbered_in_documented_order() {
    for (i, s) in STEPS.iter().enumerate() {
        assert_eq!(s.number() as usize, i, "{s:?}");
        assert_eq!(StepId::from_number(i as u8), Some(s.id));
    }
    assert_eq!(StepId::from_number(21), None);
    assert_eq!(steps_of(Phase::Connect).count(), 1);
    assert_eq!(steps_of(Phase::Provision).count(), 13);
    assert_eq!(steps_of(Phase::SignOn).count(), 5);
    assert_eq!(steps_of(Phase::Tokens).count(), 2);
}

#[test]
fn dependencies_point_backwards_so_documented_order_is_topological() {
    for s in STEPS.iter() {
        for d in s.depends_on {
            assert!(d.number() < s.number(), "{s:?} depends on later {d:?}");
        }
        for (_, from) in s.inputs {
            assert!(from.number() < s.number(), "{s:?} takes input from later {from:?}");
        }
    }
}

#[test]
fn the_dag_is_valid() {
    let order = validate(&STEPS).unwrap();
    assert_eq!(order.len(), 21);
}

#[test]
fn critical_path_is_ten_round_trips() {
    let path = critical_path(&STEPS).unwrap();
    let numbers: Vec<u8> = path.iter().map(|s| s.number()).collect();
    println!("critical path: {} sequential round trips of {}: {:?}", path.len(), STEPS.len(), numbers);
    assert_eq!(numbers, vec![0, 2, 3, 4, 14, 15, 16, 17, 18, 20]);
}

fn step(id: StepId, depends_on: &'static [StepId]) -> Step {
    Step { depends_on, ..clone_step(id.step()) }
}

fn clone_step(s: &Step) -> Step {
    Step { id: s.id, phase: s.phase, title: s.title, purpose: s.purpose, depends_on: s.depends_on, inputs: s.inputs, endpoint: s.endpoint }
}

#[test]
fn validate_rejects_cycles_missing_and_duplicates() {
    let cyclic = [step(StepId::WorkerToken, &[StepId::CreateApplication]), step(StepId::CreateApplication, &[StepId::WorkerToken])];
    assert!(matches!(validate(&cyclic), Err(DagError::Cycle(_))));
    let missing = [step(StepId::CreateApplication, &[StepId::WorkerToken])];
    assert_eq!(
        validate(&missing),
        Err(DagError::MissingDependency { step: StepId::CreateApplication, missing: StepId::WorkerToken })
    );
    let dup = [step(StepId::WorkerToken, &[]), step(StepId::WorkerToken, &[])];
    assert_eq!(validate(&dup), Err(DagError::Duplicate(StepId::WorkerToken)));
}

#[test]
fn progress_follows_the_dag() {
    let mut p = Progress::new();
    assert_eq!(p.ready(), vec![StepId::WorkerToken]);
    assert_eq!(p.next_in_order(), Some(StepId::WorkerToken));
    p.set(StepId::WorkerToken, StepStatus::Done);
    assert_eq!(
        p.ready(),
        vec![StepId::CreateApplication, StepId::ReadResources, StepId::CreateSignOnPolicy, StepId::CreatePopulation, StepId::ReadApplicationSecret]
            .into_iter()
            .filter(|id| id.step().depends_on == [StepId::WorkerToken])
            .collect::<Vec<_>>()
    );
    // A failure stops only what depends on it.
    p.set(StepId::CreatePopulation, StepStatus::Failed);
    assert_eq!(p.blocked_by(StepId::SetPassword), Some(StepId::CreatePopulation));
    assert_eq!(p.blocked_by(StepId::CreateGrant), None);
    assert!(p.ready().contains(&StepId::CreateApplication));
    assert_eq!(p.next_in_order(), Some(StepId::CreateApplication));
    // Skipped counts as settled for dependants.
    for id in [StepId::CreatePopulation, StepId::CreateUser, StepId::SetPassword, StepId::EnableMfa, StepId::CreateMfaDevice] {
        p.set(id, StepStatus::Done);
    }
    assert_eq!(p.status(StepId::CheckUsernamePassword), StepStatus::Pending);
    p.set(StepId::CheckOtp, StepStatus::Skipped);
    assert!(!p.is_complete());
}

#[test]
fn idempotency_and_management_calls_per_step() {
    let numbers = |f: &dyn Fn(StepId) -> bool| STEPS.iter().filter(|s| f(s.id)).map(|s| s.number()).collect::<Vec<u8>>();
    assert_eq!(numbers(&|id| id.idempotency() == Idempotency::Create), [1, 4, 5, 6, 7, 8, 9, 10, 13]);
    assert_eq!(numbers(&|id| id.idempotency() == Idempotency::Once), [16, 17, 20], "single-use inputs: password try, OTP, code");
    assert_eq!(numbers(&|id| id.is_management()), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 19]);
}

#[test]
fn a_step_put_back_waits_for_every_step_before_it_that_was_put_back_too() {
    // A live reload: the worker token (step 0) and the password (step 11) must be redone. Step 11
    // carries the worker token, so it waits for step 0 although its direct dependency (the user,
    // step 10) is still done.
    let mut p = Progress::new();
    for s in STEPS.iter() {
        p.set(s.id, StepStatus::Done);
    }
    p.reset_from(&[StepId::WorkerToken, StepId::SetPassword, StepId::ReadApplicationSecret]);
    assert_eq!(p.status(StepId::WorkerToken), StepStatus::Ready);
    assert_eq!(p.status(StepId::SetPassword), StepStatus::Pending);
    assert_eq!(p.status(StepId::ReadApplicationSecret), StepStatus::Pending);
    assert_eq!(p.ready(), vec![StepId::WorkerToken]);
    p.set(StepId::WorkerToken, StepStatus::Done);
    assert_eq!(p.ready(), vec![StepId::SetPassword, StepId::ReadApplicationSecret]);
}

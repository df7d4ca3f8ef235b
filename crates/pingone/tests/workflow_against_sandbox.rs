#![cfg(not(target_arch = "wasm32"))]
//! The whole 21-step workflow, built from `pingone::workflow::STEPS`, run against the sandbox
//! engine: once in documented order, once along the DAG as Run all does, plus the detours.

mod common;

use common::{plan_request, Harness};
use pingone::http::Method;
use pingone::flow::FlowStatus;
use pingone::models::DeviceType;
use pingone::oauth::decode_jwt;
use pingone::workflow::{critical_path, BuildError, StepError, StepId, StepStatus, UserInput, STEPS};

fn assert_tokens(h: &Harness) {
    let tokens = h.state.secrets.tokens.as_ref().expect("tokens after step 20");
    assert_eq!(tokens.token_type, "Bearer");
    let id = decode_jwt(tokens.id_token.as_ref().expect("id_token").expose()).expect("decodable id token");
    assert_eq!(id.header["alg"], "RS256");
    assert_eq!(id.claims["aud"], h.state.created.application_id.clone().unwrap());
    assert_eq!(id.claims["sub"], h.state.created.user_id.clone().unwrap());
    assert_eq!(id.claims["nonce"], h.state.secrets.authorize.as_ref().unwrap().nonce);
    assert!(id.claims["iss"].as_str().unwrap().ends_with(&format!("/{}/as", h.state.config.environment_id)));
}

#[test]
fn all_21_steps_in_documented_order() {
    let mut h = Harness::new(1);
    for step in STEPS.iter() {
        assert_eq!(h.progress.next_in_order(), Some(step.id), "next in order before step {}", step.number());
        let status = h.run_step(step.id).unwrap_or_else(|e| panic!("step {} failed: {e:?}", step.number()));
        assert_eq!(status, StepStatus::Done, "step {}", step.number());
    }
    assert!(h.progress.is_complete());
    assert_tokens(&h);
    // One exchange per call: 21 steps plus step 0's environment read, no detours with a single device.
    assert_eq!(h.exchanges.len(), 22);
    let env_read = &h.exchanges[1];
    assert_eq!((env_read.step, env_read.request.method, env_read.response.status), (StepId::WorkerToken, Method::Get, 200));
    assert_eq!(h.state.created.environment_type, Some(pingone::models::EnvironmentType::Sandbox));
    // The flow went through the documented statuses.
    assert_eq!(h.state.flow.as_ref().unwrap().status, FlowStatus::Completed);
    let otp_sent = h.sandbox.outbox();
    assert_eq!(otp_sent.len(), 1);
    assert_eq!(otp_sent[0].to, h.state.config.device_email);
}

#[test]
fn run_all_follows_the_dag_in_critical_path_waves() {
    let mut h = Harness::new(2);
    let waves = h.run_all().unwrap_or_else(|e| panic!("{e:?}"));
    let cp = critical_path(&STEPS).unwrap();
    println!("Run all: {waves} waves for {} calls (critical path {})", h.exchanges.len(), cp.len());
    assert_eq!(waves, cp.len());
    assert_tokens(&h);
}

#[test]
fn two_devices_prompt_device_selection() {
    let mut h = Harness::new(3);
    for id in STEPS.iter().map(|s| s.id).take_while(|&id| id != StepId::Authorize) {
        h.run_step(id).unwrap();
    }
    // A second device: the flow must now ask which one.
    h.state.config.device_type = DeviceType::Sms;
    h.state.config.device_phone = "+15125550199".into();
    let first_device = h.state.created.device_id.clone();
    h.run_step(StepId::CreateMfaDevice).unwrap();
    h.state.selected_device_id = h.state.created.device_id.clone();
    assert_ne!(first_device, h.state.created.device_id);
    for id in [StepId::Authorize, StepId::ReadFlow, StepId::CheckUsernamePassword] {
        h.run_step(id).unwrap();
    }
    assert_eq!(h.state.flow.as_ref().unwrap().status, FlowStatus::DeviceSelectionRequired);
    assert_eq!(h.state.flow.as_ref().unwrap().devices().len(), 2);
    h.run_step(StepId::CheckOtp).unwrap();
    // device.select then otp.check: two calls in one step, and the OTP went to the phone.
    let calls: Vec<_> = h.exchanges.iter().filter(|e| e.step == StepId::CheckOtp).collect();
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0].request.headers.get("content-type"), Some(pingone::media::DEVICE_SELECT));
    assert_eq!(h.sandbox.outbox().last().unwrap().to, "+15125550199");
    for id in [StepId::Resume, StepId::ReadApplicationSecret, StepId::ExchangeCode] {
        h.run_step(id).unwrap();
    }
    assert_tokens(&h);
}

#[test]
fn without_auto_otp_the_run_waits_for_a_person() {
    let mut h = Harness::new(4);
    h.auto_otp = false;
    let err = h.run_all().unwrap_err();
    assert!(matches!(err, common::RunError::Build(StepId::CheckOtp, BuildError::NeedsInput(UserInput::Otp))), "{err:?}");
    assert_eq!(h.progress.status(StepId::CheckOtp), StepStatus::NeedsInput);
    assert_eq!(h.state.flow.as_ref().unwrap().status, FlowStatus::OtpRequired);
    // The person types the code from the inbox; the run goes on without redoing anything.
    let before = h.exchanges.len();
    h.state.secrets.otp = Some(pingone::secret::Otp::new(h.newest_otp().unwrap()));
    h.auto_otp = true;
    h.progress.retry(StepId::CheckOtp);
    h.run_all().unwrap();
    assert_eq!(h.exchanges.len(), before + 3, "otp.check, resume, token (the secret was read earlier)");
    assert_tokens(&h);
}

#[test]
fn a_wrong_otp_fails_the_step_and_a_retry_with_the_right_one_succeeds() {
    let mut h = Harness::new(5);
    for id in STEPS.iter().map(|s| s.id).take_while(|&id| id != StepId::CheckOtp) {
        h.run_step(id).unwrap();
    }
    let right = h.newest_otp().unwrap();
    let wrong = if right == "000000" { "111111" } else { "000000" };
    h.state.secrets.otp = Some(pingone::secret::Otp::new(wrong));
    let err = h.run_step(StepId::CheckOtp).unwrap_err();
    let common::RunError::Step(StepId::CheckOtp, StepError::Api(api)) = err else { panic!("{err:?}") };
    assert_eq!(api.status(), Some(400));
    assert!(h.state.secrets.otp.is_none(), "a used OTP is forgotten");
    assert_eq!(h.progress.status(StepId::Resume), StepStatus::Pending, "only dependants wait");
    h.state.secrets.otp = Some(pingone::secret::Otp::new(right));
    h.run_step(StepId::CheckOtp).unwrap();
    h.run_all().unwrap();
    assert_tokens(&h);
}

#[test]
fn a_wrong_password_shows_pingones_error_and_keeps_earlier_steps() {
    let mut h = Harness::new(6);
    for id in STEPS.iter().map(|s| s.id).take_while(|&id| id != StepId::CheckUsernamePassword) {
        h.run_step(id).unwrap();
    }
    let right = h.state.secrets.password.clone();
    h.state.secrets.password = pingone::secret::Password::new("Wrong-Password-1!");
    let err = h.run_step(StepId::CheckUsernamePassword).unwrap_err();
    let common::RunError::Step(_, StepError::Api(api)) = err else { panic!("{err:?}") };
    assert_eq!(api.status(), Some(400));
    assert!(api.code().is_some(), "PingOne's error code is carried");
    assert_eq!(h.state.flow.as_ref().unwrap().status, FlowStatus::UsernamePasswordRequired);
    h.state.secrets.password = right;
    h.progress.retry(StepId::CheckUsernamePassword);
    h.run_all().unwrap();
    assert_tokens(&h);
}

#[test]
fn a_duplicate_username_is_a_uniqueness_violation() {
    let mut h = Harness::new(7);
    for id in STEPS.iter().map(|s| s.id).take_while(|&id| id != StepId::SetPassword) {
        h.run_step(id).unwrap();
    }
    let err = h.run_step(StepId::CreateUser).unwrap_err();
    let common::RunError::Step(_, StepError::Api(api)) = err else { panic!("{err:?}") };
    assert_eq!(api.detail_code(), Some("UNIQUENESS_VIOLATION"));
    assert!(api.hint().contains("already exists"));
}

#[test]
fn a_tampered_state_is_rejected_at_resume() {
    let mut h = Harness::new(8);
    for id in STEPS.iter().map(|s| s.id).take_while(|&id| id != StepId::Resume) {
        h.run_step(id).unwrap();
    }
    h.state.secrets.authorize.as_mut().unwrap().state = "not-what-was-sent".into();
    let err = h.run_step(StepId::Resume).unwrap_err();
    assert!(matches!(err, common::RunError::Step(_, StepError::StateMismatch { .. })), "{err:?}");
    assert!(h.state.secrets.code.is_none(), "the code is not kept");
}

#[test]
fn a_production_environment_stops_step_0_until_the_person_confirms() {
    use pingone::models::EnvironmentType;
    let mut h = Harness::with_config(sandbox::SandboxConfig { seed: 9, production: true, ..Default::default() });
    let err = h.run_step(StepId::WorkerToken).expect_err("step 0 must stop in a PRODUCTION environment");
    assert!(format!("{err:?}").contains("ProductionEnvironment(Production)"), "{err:?}");
    assert_eq!(h.state.created.environment_type, Some(EnvironmentType::Production));
    assert_eq!(h.progress.status(StepId::WorkerToken), StepStatus::Failed);
    // Nothing was provisioned: no management call beyond the environment read.
    assert!(h.exchanges.iter().all(|e| e.step == StepId::WorkerToken));
    assert_eq!(h.progress.status(StepId::CreateApplication), StepStatus::Pending);
    // Confirmed: step 0 finishes (a new token; the type is known) and the run goes through.
    h.state.config.allow_production = true;
    assert_eq!(h.run_step(StepId::WorkerToken).unwrap(), StepStatus::Done);
    h.run_all().unwrap_or_else(|e| panic!("{e:?}"));
    assert_tokens(&h);
}

#[test]
fn an_environment_the_worker_cannot_read_counts_as_possibly_production() {
    use pingone::models::EnvironmentType;
    use pingone::workflow::Applied;
    let mut h = Harness::new(10);
    let token = h.send(StepId::WorkerToken, plan_request(&h, StepId::WorkerToken));
    assert!(matches!(StepId::WorkerToken.apply(&mut h.state, &token, h.now_ms), Ok(Applied::Again)));
    // The worker's roles do not include reading the environment.
    let forbidden = pingone::http::HttpResponse {
        status: 403,
        headers: Default::default(),
        body: r#"{"id":"x","code":"ACCESS_FAILED","message":"The request could not be completed. You do not have access to this resource."}"#.into(),
    };
    let refused = StepId::WorkerToken.apply(&mut h.state, &forbidden, h.now_ms);
    assert!(matches!(refused, Err(StepError::ProductionEnvironment(EnvironmentType::Unknown))), "{refused:?}");
    assert_eq!(h.state.created.environment_type, Some(EnvironmentType::Unknown));
}

/// PingOne answers 406 to a strict `Accept: application/json` on authorize: the client sends
/// `*/*` (as Ping's samples do) there and on the other auth-host reads.
#[test]
fn authorize_does_not_ask_for_application_json() {
    let mut h = Harness::new(41);
    h.run_all().unwrap_or_else(|e| panic!("{e:?}"));
    for step in [StepId::Authorize, StepId::ReadFlow, StepId::Resume] {
        let e = h.exchanges.iter().find(|e| e.step == step).expect("the step ran");
        let accept = e.request.headers.get("accept");
        assert!(accept.is_none_or(|a| !a.contains("application/json")), "{step:?} sent Accept: {accept:?}");
    }
    assert_tokens(&h);
}

/// Run all completes under every sandbox setting where PingOne's sources disagree: resume
/// answered 302 (default) or 200 JSON, flow calls with cookies only (default) or needing the
/// worker token too (the client learns it from the first 401 and sends it from then on).
#[test]
fn run_all_completes_under_every_sandbox_setting() {
    use sandbox::{FlowAuth, ResumeAnswer, SandboxConfig};
    for (i, resume) in [ResumeAnswer::Redirect, ResumeAnswer::Json].into_iter().enumerate() {
        for (j, flow_auth) in [FlowAuth::Cookies, FlowAuth::WorkerTokenAndCookies].into_iter().enumerate() {
            let config = SandboxConfig { seed: 50 + (i * 2 + j) as u64, resume, flow_auth, ..SandboxConfig::default() };
            let mut h = Harness::with_config(config);
            h.run_all().unwrap_or_else(|e| panic!("{config:?}: {e:?}"));
            assert_tokens(&h);
            let resume_call = h.exchanges.iter().find(|e| e.step == StepId::Resume).expect("resume ran");
            let expected = if resume == ResumeAnswer::Redirect { 302 } else { 200 };
            assert_eq!(resume_call.response.status, expected, "{config:?}");
            let bearer_on_flows = h
                .exchanges
                .iter()
                .filter(|e| matches!(e.step, StepId::ReadFlow | StepId::CheckUsernamePassword | StepId::CheckOtp | StepId::Resume))
                .any(|e| e.request.headers.get("authorization").is_some());
            assert_eq!(bearer_on_flows, flow_auth == FlowAuth::WorkerTokenAndCookies, "{config:?}: the worker token only when asked");
            let refused = h.exchanges.iter().filter(|e| e.response.status == 401).count();
            assert_eq!(refused, usize::from(flow_auth == FlowAuth::WorkerTokenAndCookies), "{config:?}: one 401, then the token");
        }
    }
}

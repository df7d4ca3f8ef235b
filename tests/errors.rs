//! Error paths in headless Chromium: PingOne's errors reach the DOM (wrong password, wrong OTP,
//! duplicate username, a forced password change), a failure stops only its dependants and can be
//! retried, and a malformed response in any of the 21 steps shows an error and never panics.
#![cfg(target_arch = "wasm32")]

mod support;

use leptos::prelude::*;
use pingone::http::{HttpRequest, Method};
use pingone::workflow::{StepId, StepStatus, STEPS};
use support::*;
use wasm_bindgen_test::*;
use workbench::transport::{AnyTransport, HttpTransport, Transport};

wasm_bindgen_test_configure!(run_in_browser);

async fn wait_status(m: &Mounted, id: StepId, want: StepStatus) {
    let ok = wait_until(10_000.0, || status(&m.store, id) == want && !m.store.busy.get_untracked()).await;
    assert!(
        ok,
        "step {} is {:?}, wanted {want:?}; error {:?}",
        id.number(),
        status(&m.store, id),
        m.store.run_of(id).error
    );
}

#[wasm_bindgen_test]
async fn a_wrong_password_shows_pingones_error_and_can_be_retried() {
    let m = mount_workbench(options(21));
    step_until(&m, StepId::CheckUsernamePassword).await;
    let form = one(&m.host, "form[aria-label='Sign on with username and password']");
    type_into(&one(&form, "#signon-password"), "Wrong-Password-1!");
    submit(&form);
    wait_status(&m, StepId::CheckUsernamePassword, StepStatus::Failed).await;
    let card = text(&step_card(&m, 16));
    assert!(card.contains("PingOne error 400"), "{card}");
    assert!(card.contains("INVALID_CREDENTIALS") || card.contains("INVALID_DATA"), "{card}");
    assert!(card.contains("Invalid username and/or password"), "{card}");
    assert!(card.contains("Retry step 16"));
    // The flow is still asking for credentials; earlier steps are untouched.
    assert_eq!(
        m.store.flow_status.get_untracked().map(|s| s.to_string()).as_deref(),
        Some("USERNAME_PASSWORD_REQUIRED")
    );
    assert_eq!(status(&m.store, StepId::CreateUser), StepStatus::Done);
    assert_eq!(status(&m.store, StepId::CheckOtp), StepStatus::Pending);
    // The flow panel shows the same error next to the form; go back to the right password.
    let form = one(&m.host, "form[aria-label='Sign on with username and password']");
    assert!(text(&form).contains("Invalid username and/or password"));
    click(&button(&form, "Use the password from step 11"));
    submit(&form);
    wait_status(&m, StepId::CheckUsernamePassword, StepStatus::Done).await;
    assert_eq!(m.store.flow_status.get_untracked().map(|s| s.to_string()).as_deref(), Some("OTP_REQUIRED"));
}

#[wasm_bindgen_test]
async fn a_wrong_otp_shows_the_error_and_the_right_one_passes() {
    let m = mount_workbench(options(22));
    step_until(&m, StepId::CheckOtp).await;
    let right = m.store.inbox.get_untracked().last().unwrap().otp.clone();
    let wrong = if right == "000000" { "111111" } else { "000000" };
    let form = one(&m.host, "form[aria-label='Enter the one-time passcode']");
    type_into(&one(&form, "#otp"), wrong);
    submit(&form);
    wait_status(&m, StepId::CheckOtp, StepStatus::Failed).await;
    let card = text(&step_card(&m, 17));
    assert!(card.contains("INVALID_OTP") || card.contains("INVALID_DATA"), "{card}");
    assert!(card.to_lowercase().contains("passcode"), "{card}");
    // Inline, the OTP form shows it too; and an empty code is refused before any call.
    let form = one(&m.host, "form[aria-label='Enter the one-time passcode']");
    assert!(text(&form).contains("INVALID_OTP") || text(&form).contains("INVALID_DATA"));
    let calls = m.store.transcript.with_untracked(|t| t.len());
    submit(&form);
    sleep(10).await;
    assert!(text(&form).contains("enter the code"));
    assert_eq!(m.store.transcript.with_untracked(|t| t.len()), calls);
    type_into(&one(&form, "#otp"), &right);
    submit(&form);
    wait_status(&m, StepId::CheckOtp, StepStatus::Done).await;
    // Only the OTP step was redone: the run goes on to the tokens.
    click(&button(&m.host, "Run all"));
    assert!(wait_until(10_000.0, || m.store.complete.get_untracked()).await);
}

#[wasm_bindgen_test]
async fn a_duplicate_username_is_pingones_uniqueness_violation() {
    let m = mount_workbench(options(23));
    step_until(&m, StepId::SetPassword).await;
    // Create the same user again.
    click(&button(&step_card(&m, 10), "Run step 10 again"));
    wait_status(&m, StepId::CreateUser, StepStatus::Failed).await;
    let card = text(&step_card(&m, 10));
    assert!(card.contains("UNIQUENESS_VIOLATION"), "{card}");
    assert!(card.contains("already exists"), "the hint says what to do: {card}");
    assert!(card.contains("Retry step 10"));
}

#[wasm_bindgen_test]
async fn run_all_stops_only_what_depends_on_a_failed_step_and_resumes_after_a_fix() {
    let m = mount_workbench(options(24));
    // An invalid input fails its step inline; the independent branches still finish.
    m.store.wf.update(|s| s.config.population_name = "  ".into());
    sleep(5).await;
    assert!(text(&step_card(&m, 9)).contains("a name is required"));
    click(&button(&m.host, "Run all"));
    assert!(
        wait_until(10_000.0, || !m.store.busy.get_untracked()
            && status(&m.store, StepId::CreatePopulation) == StepStatus::Failed)
        .await
    );
    for id in
        [StepId::CreateApplication, StepId::CreateGrant, StepId::AssignSignOnPolicy, StepId::ReadApplicationSecret]
    {
        assert_eq!(status(&m.store, id), StepStatus::Done, "independent step {} finished", id.number());
    }
    // Authorize (14) and Read flow (15) do not need the user: they ran too.
    assert_eq!(status(&m.store, StepId::ReadFlow), StepStatus::Done);
    for id in [StepId::CreateUser, StepId::CheckUsernamePassword, StepId::ExchangeCode] {
        assert_eq!(status(&m.store, id), StepStatus::Pending, "dependent step {} waits", id.number());
    }
    assert!(text(&one(&m.host, "[role=status]")).contains("Run all stopped: step 9 failed"));
    let calls = m.store.transcript.with_untracked(|t| t.len());
    // Fix it in the form and retry: Run all continues without redoing earlier steps.
    let input = one(&step_card(&m, 9), "input[name=population_name]");
    type_into(&input, "Fixed Population");
    click(&button(&step_card(&m, 9), "Retry step 9"));
    assert!(wait_until(20_000.0, || m.store.complete.get_untracked()).await);
    let t = m.store.transcript.get_untracked();
    let redone: Vec<u8> = t[calls..].iter().map(|e| e.step).collect();
    for n in [0u8, 1, 2, 3, 4, 5, 6, 7, 8, 14, 15, 19] {
        assert!(!redone.contains(&n), "step {n} was not redone: {redone:?}");
    }
}

#[wasm_bindgen_test]
async fn must_change_password_offers_the_change_password_form() {
    let m = mount_workbench(options(25));
    step_until(&m, StepId::CheckUsernamePassword).await;
    // An administrator forces a password change (PUT password with forceChange: true).
    let req = m.store.wf.with_untracked(|s| {
        let user = s.created.user_id.clone().unwrap();
        HttpRequest::new(Method::Put, format!("{}/users/{user}/password", s.config.api_env()))
            .header("Authorization", format!("Bearer {}", s.secrets.worker_token.as_ref().unwrap().expose()))
            .json_body(pingone::media::PASSWORD_SET, &serde_json::json!({"value": PASSWORD, "forceChange": true}))
    });
    let resp = m.store.transport().unwrap().send(req).await.unwrap();
    assert_eq!(resp.status, 200, "{}", resp.body);
    click(&button(&m.host, "Step"));
    wait_status(&m, StepId::CheckUsernamePassword, StepStatus::Done).await;
    assert_eq!(m.store.flow_status.get_untracked().map(|s| s.to_string()).as_deref(), Some("MUST_CHANGE_PASSWORD"));
    let form = one(&m.host, "form[aria-label='Change the password']");
    type_into(&one(&form, "#cp-new"), "short");
    submit(&form);
    sleep(5).await;
    assert!(text(&form).contains("at least 8 characters"));
    type_into(&one(&form, "#cp-new"), "Brand-New-Pass-7!");
    submit(&form);
    assert!(
        wait_until(5_000.0, || m.store.flow_status.get_untracked().map(|s| s.to_string()).as_deref()
            == Some("OTP_REQUIRED"))
        .await
    );
    let call = m.store.transcript.with_untracked(|t| t.last().cloned().unwrap());
    assert_eq!(call.action.as_deref(), Some("password.reset"));
    assert_eq!(
        call.request.body.as_deref(),
        Some("{\"currentPassword\":\"$PASSWORD\",\"newPassword\":\"$NEW_PASSWORD\"}")
    );
    click(&button(&m.host, "Run all"));
    assert!(wait_until(10_000.0, || m.store.complete.get_untracked()).await);
}

#[wasm_bindgen_test]
async fn no_response_shows_a_network_error() {
    let m = mount_workbench(options(26));
    // Nothing listens on port 9: fetch rejects.
    m.store.use_transport(AnyTransport::Http(HttpTransport::new("http://127.0.0.1:9")));
    m.store.wf.update(|s| {
        s.config.endpoints.auth_root = "http://127.0.0.1:9".into();
        s.config.endpoints.api_base = "http://127.0.0.1:9/v1".into();
        s.config.environment_id = "11111111-2222-3333-4444-555555555555".into();
        s.config.worker_client_id = "worker".into();
        s.secrets.worker_secret = pingone::secret::WorkerSecret::new("secret");
    });
    click(&button(&m.host, "Step"));
    // A lost answer of an idempotent call is retried with capped, jittered backoff (8 attempts
    // in all, ~12 s on average) before the step fails.
    let failed = wait_until(45_000.0, || status(&m.store, StepId::WorkerToken) == StepStatus::Failed && !m.store.busy.get_untracked()).await;
    assert!(failed, "{:?}", m.store.run_of(StepId::WorkerToken).error);
    let attempts = m.store.transcript.with_untracked(|t| t.iter().filter(|e| e.transport_error.is_some()).count());
    assert_eq!(attempts, 8, "every attempt is in the transcript");
    let card = text(&step_card(&m, 0));
    assert!(card.contains("No response"), "{card}");
    assert!(text(&one(&m.host, "#inspector")).contains("No response"));
}

/// Corrupts responses while `on` is set.
async fn install_corruptor(m: &Mounted, body: &'static str, status: Option<u16>) -> std::rc::Rc<std::cell::Cell<bool>> {
    m.store.ensure_transport().await.unwrap();
    let on = std::rc::Rc::new(std::cell::Cell::new(false));
    let flag = on.clone();
    m.store.sandbox().unwrap().set_response_hook(Some(Box::new(move |_req, resp| {
        if flag.get() {
            resp.body = body.to_string();
            if let Some(s) = status {
                resp.status = s;
            }
            resp.headers.set("Content-Type", "application/json");
        }
    })));
    on
}

#[wasm_bindgen_test]
async fn a_malformed_response_in_any_step_shows_an_error_and_never_panics() {
    // One page, one run per step: steps before it run normally, then its response is garbage.
    let variants: [(&str, Option<u16>); 3] =
        [("{\"unexpected\": true", None), ("[]", None), ("<html>bad gateway</html>", Some(502))];
    for step in STEPS.iter() {
        // Resume answers 302 with the code in `Location`: a garbled body alone does not matter
        // there (the client reads the header), so its answer is a 502 instead.
        let variant = if step.id == StepId::Resume { 2 } else { step.number() as usize % variants.len() };
        let (body, status_override) = variants[variant];
        let m = mount_workbench(options(100 + step.number() as u64));
        let on = install_corruptor(&m, body, status_override).await;
        if step.id != StepId::WorkerToken {
            step_until(&m, step.id).await;
        }
        on.set(true);
        if step.id == StepId::CheckOtp {
            // The person types the code; the answer is garbage.
            let otp = m.store.inbox.get_untracked().last().unwrap().otp.clone();
            let form = one(&m.host, "form[aria-label='Enter the one-time passcode']");
            type_into(&one(&form, "#otp"), &otp);
            submit(&form);
        } else {
            click(&button(&m.host, "Step"));
        }
        wait_status(&m, step.id, StepStatus::Failed).await;
        let card = text(&step_card(&m, step.number()));
        assert!(
            card.contains("Malformed response") || card.contains("Unexpected HTTP 502"),
            "step {}: {card}",
            step.number()
        );
        // The garbage is in the inspector for a person to look at.
        assert!(text(&one(&m.host, "#inspector")).contains(body.trim_end_matches('>')) || body.starts_with('{'));
        // Nothing after it ran.
        for later in STEPS.iter().filter(|s| s.depends_on.contains(&step.id)) {
            assert_eq!(status(&m.store, later.id), StepStatus::Pending, "step {} waits", later.number());
        }
    }
}

#[wasm_bindgen_test]
async fn an_expired_worker_token_is_never_sent_and_connect_can_be_rerun() {
    let m = mount_workbench(options(27));
    step_until(&m, StepId::CreateApplication).await;
    m.store.wf.update(|s| s.created.worker_token_expires_at_ms = Some(1));
    let calls = m.store.transcript.with_untracked(|t| t.len());
    click(&button(&step_card(&m, 1), "Run step 1"));
    wait_status(&m, StepId::CreateApplication, StepStatus::Failed).await;
    assert_eq!(m.store.transcript.with_untracked(|t| t.len()), calls, "no call was made");
    assert!(text(&step_card(&m, 1)).contains("Worker token expired"));
    assert_eq!(status(&m.store, StepId::WorkerToken), StepStatus::Ready);
    click(&button(&m.host, "Run all"));
    assert!(wait_until(20_000.0, || m.store.complete.get_untracked()).await);
}

//! The whole workflow through the in-page sandbox transport, in headless Chromium: Run all
//! (unattended, along the DAG), Step with a typed OTP, redaction of every export, and a reload
//! in the middle of a run.
#![cfg(target_arch = "wasm32")]

mod support;

use leptos::prelude::*;
use pingone::oauth::decode_jwt;
use pingone::workflow::{StepId, StepStatus, STEPS};
use support::*;
use wasm_bindgen_test::*;
use workbench::curl::to_curl;
use workbench::state::{StoreOptions, SESSION_KEY};

wasm_bindgen_test_configure!(run_in_browser);

fn assert_tokens(m: &Mounted) {
    let (tokens, app, user, nonce) = m.store.wf.with_untracked(|s| {
        (
            s.secrets.tokens.clone().expect("tokens in state after step 20"),
            s.created.application_id.clone().unwrap(),
            s.created.user_id.clone().unwrap(),
            s.secrets.authorize.as_ref().unwrap().nonce.clone(),
        )
    });
    let id = decode_jwt(tokens.id_token.as_ref().expect("an id_token").expose()).expect("a decodable ID token");
    assert_eq!(id.claims["aud"], app);
    assert_eq!(id.claims["sub"], user);
    assert_eq!(id.claims["nonce"], nonce);
}

/// Every secret of the run, for the "never leaks" checks.
fn secrets(m: &Mounted) -> Vec<(String, String)> {
    let mut sv = m.store.secret_values();
    if let Some(p) = m.store.provisioned_password.get_untracked() {
        sv.add("PASSWORD", p.expose());
    }
    sv.values().filter(|(_, v)| v.len() >= 6).map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

#[wasm_bindgen_test]
async fn run_all_completes_the_workflow_through_the_in_page_sandbox() {
    let m = mount_workbench(options(11));
    let run_all = button(&m.host, "Run all");
    assert!(!is_disabled(&run_all));
    click(&run_all);
    assert!(wait_until(20_000.0, || m.store.complete.get_untracked()).await, "Run all did not complete: {:?}", {
        STEPS.iter().map(|s| (s.number(), status(&m.store, s.id), m.store.run_of(s.id).error)).collect::<Vec<_>>()
    });
    sleep(20).await;
    assert_tokens(&m);
    assert_eq!(m.store.done_count.get_untracked(), 21);
    // One call per step with a single device, plus step 0's environment read, all recorded.
    assert_eq!(m.store.transcript.with_untracked(|t| t.len()), 22);
    // The page shows it: every step done, the decoded ID token with its claims and their scopes.
    for s in STEPS.iter() {
        assert_eq!(
            step_card(&m, s.number()).get_attribute("data-status").as_deref(),
            Some("done"),
            "step {}",
            s.number()
        );
    }
    let page = text(&m.host);
    assert!(page.contains("Decoded ID token"), "{page}");
    let id_token = one(&m.host, "#token-id");
    let claims = text(&id_token);
    assert!(claims.contains("sub") && claims.contains("nonce") && claims.contains("aud"), "{claims}");
    assert!(
        claims.contains("profile scope") || claims.contains("email scope"),
        "claims are mapped to scopes: {claims}"
    );
    assert!(claims.contains("UTC"), "expiry as a human time: {claims}");
    assert!(text(&one(&m.host, "[role=status]")).contains("Run all finished"));
    // The OTP was read from the sandbox inbox, which shows it.
    assert_eq!(all(&m.host, ".inbox .otp").len(), 1);
}

/// The sandbox settings where PingOne's sources disagree, switched in the page: Run all completes
/// under each, with resume answered 302 (default) or 200 JSON, and flow calls that carry the
/// cookies only (default) or must also carry the worker token (learnt from one 401).
#[wasm_bindgen_test]
async fn run_all_completes_under_every_sandbox_setting() {
    for (i, (resume_json, flow_worker_token)) in [(false, false), (true, false), (false, true), (true, true)].into_iter().enumerate() {
        let m = mount_workbench(options(70 + i as u64));
        let tick = |name: &str| {
            wasm_bindgen::JsCast::unchecked_ref::<web_sys::HtmlInputElement>(&one(&m.host, &format!("input[name={name}]"))).click()
        };
        if resume_json {
            tick("sandbox_resume_json");
        }
        if flow_worker_token {
            tick("sandbox_flow_worker_token");
        }
        assert_eq!(m.store.sandbox_resume_json.get_untracked(), resume_json);
        assert_eq!(m.store.sandbox_flow_worker_token.get_untracked(), flow_worker_token);
        click(&button(&m.host, "Run all"));
        let setting = format!("resume_json={resume_json} flow_worker_token={flow_worker_token}");
        assert!(wait_until(20_000.0, || m.store.complete.get_untracked()).await, "{setting}: Run all did not complete: {:?}", {
            STEPS.iter().map(|s| (s.number(), status(&m.store, s.id), m.store.run_of(s.id).error)).collect::<Vec<_>>()
        });
        sleep(20).await;
        assert_tokens(&m);
        let statuses = |step: u8| -> Vec<u16> {
            m.store.transcript.with_untracked(|t| {
                t.iter().filter(|e| e.step == step).filter_map(|e| e.response.as_ref().map(|r| r.status)).collect()
            })
        };
        assert_eq!(statuses(18), [if resume_json { 200 } else { 302 }], "{setting}: resume");
        let first_flow_read = if flow_worker_token { vec![401, 200] } else { vec![200] };
        assert_eq!(statuses(15), first_flow_read, "{setting}: the first flow call learns whether the worker token is wanted");
    }
}

#[wasm_bindgen_test]
async fn run_all_runs_independent_steps_in_parallel() {
    let mut opts = options(12);
    opts.latency_ms = 15;
    let m = mount_workbench(opts);
    click(&button(&m.host, "Run all"));
    assert!(wait_until(30_000.0, || m.store.complete.get_untracked()).await);
    let t = m.store.transcript.get_untracked();
    // Some call started before the previous one finished: the DAG's waves overlap.
    let overlapping = t
        .windows(2)
        .filter(|w| w[1].started_at_ms < w[0].started_at_ms + w[0].duration_ms.unwrap_or(0.0) - 1.0)
        .count();
    assert!(overlapping >= 5, "expected parallel calls, got {overlapping} overlaps");
    let first = t.first().unwrap().started_at_ms;
    let last = t.last().map(|e| e.started_at_ms + e.duration_ms.unwrap_or(0.0)).unwrap();
    let sequential: f64 = t.iter().filter_map(|e| e.duration_ms).sum();
    assert!(last - first < sequential * 0.8, "wall {} ms vs sequential {} ms", last - first, sequential);
}

#[wasm_bindgen_test]
async fn pointing_at_the_run_controls_starts_the_sandbox_before_any_step_runs() {
    let m = mount_workbench(options(13));
    assert!(m.store.transport().is_none(), "the sandbox starts on demand, not at load");
    dispatch(&one(&m.host, ".toolbar-main"), "pointerover");
    assert!(wait_until(5_000.0, || m.store.transport().is_some()).await, "hovering the run controls did not start the sandbox");
    // Started, and its tenant adopted, but nothing was sent and no step ran.
    assert!(!m.store.wf.with_untracked(|s| s.config.environment_id.is_empty()));
    assert!(m.store.transcript.with_untracked(|t| t.is_empty()));
    assert_eq!(status(&m.store, StepId::WorkerToken), StepStatus::Ready);
    // The run uses the warmed-up sandbox.
    click(&button(&m.host, "Run all"));
    assert!(wait_until(30_000.0, || m.store.complete.get_untracked()).await);
    assert_tokens(&m);
}

#[wasm_bindgen_test]
async fn step_by_step_with_the_otp_typed_by_hand() {
    let m = mount_workbench(options(13));
    step_until(&m, StepId::CheckOtp).await;
    // The next Step stops at the OTP prompt.
    click(&button(&m.host, "Step"));
    assert!(wait_until(5_000.0, || status(&m.store, StepId::CheckOtp) == StepStatus::NeedsInput).await);
    let otp = text(&one(&m.host, ".inbox .otp"));
    assert_eq!(otp.len(), 6, "{otp}");
    let form = one(&m.host, "form[aria-label='Enter the one-time passcode']");
    type_into(&one(&form, "#otp"), &otp);
    submit(&form);
    assert!(
        wait_until(5_000.0, || status(&m.store, StepId::CheckOtp) == StepStatus::Done).await,
        "{:?}",
        m.store.run_of(StepId::CheckOtp).error
    );
    assert_eq!(m.store.flow_status.get_untracked().map(|f| f.to_string()).as_deref(), Some("COMPLETED"));
    for id in [StepId::Resume, StepId::ReadApplicationSecret, StepId::ExchangeCode] {
        assert_eq!(m.store.next_step.get_untracked(), Some(id));
        click(&button(&m.host, "Step"));
        assert!(
            wait_until(5_000.0, || status(&m.store, id) == StepStatus::Done).await,
            "{:?}",
            m.store.run_of(id).error
        );
    }
    assert!(m.store.complete.get_untracked());
    assert_tokens(&m);
    assert!(text(&m.host).contains("Decoded ID token"));
}

#[wasm_bindgen_test]
async fn the_inspector_curl_and_export_never_show_a_secret() {
    let m = mount_workbench(options(14));
    click(&button(&m.host, "Run all"));
    assert!(wait_until(20_000.0, || m.store.complete.get_untracked()).await);
    let secrets = secrets(&m);
    for var in ["WORKER_SECRET", "WORKER_TOKEN", "APP_SECRET", "PASSWORD", "ACCESS_TOKEN", "ID_TOKEN"] {
        assert!(secrets.iter().any(|(k, _)| k == var), "the run has a {var}");
    }
    let export = m.store.export_json();
    let transcript = m.store.transcript.get_untracked();
    let curls: String = transcript.iter().map(|e| to_curl(&e.request)).collect::<Vec<_>>().join("\n");
    // Every call of the run, one after another in the inspector.
    let mut dom = String::new();
    for e in &transcript {
        m.store.selected.set(Some(e.seq));
        sleep(1).await;
        dom.push_str(&one(&m.host, "#inspector").inner_html());
    }
    for (var, value) in &secrets {
        assert!(!export.contains(value.as_str()), "{var} leaked into the export");
        assert!(!curls.contains(value.as_str()), "{var} leaked into a curl command");
        assert!(!dom.contains(value.as_str()), "{var} leaked into the inspector");
    }
    // The secrets are there as shell variables instead.
    assert!(curls.contains("\"$WORKER_TOKEN\""));
    assert!(curls.contains("-u '") && curls.contains("\"$WORKER_SECRET\""));
    assert!(curls.contains("\"$PASSWORD\""), "{curls}");
    assert!(curls.contains("\"$CODE_VERIFIER\""));
    assert!(export.contains("$ACCESS_TOKEN") && export.contains("$ID_TOKEN") && export.contains("$WORKER_TOKEN"));
    // The OTP (six digits) is masked by name in the otp.check body.
    let otp_call = transcript.iter().find(|e| e.action.as_deref() == Some("otp.check")).unwrap();
    assert_eq!(otp_call.request.body.as_deref(), Some("{\"otp\":\"$OTP\"}"));
    // The Copy as curl button and the command are in the inspector.
    assert!(find_button(&m.host, "Copy as curl").is_some());
    let exported: serde_json::Value = serde_json::from_str(&export).unwrap();
    assert_eq!(exported["exchanges"].as_array().unwrap().len(), 22);
    assert_eq!(exported["steps"][20]["status"], "done");
}

#[wasm_bindgen_test]
async fn a_change_made_just_before_the_app_goes_away_is_saved() {
    // Saves are coalesced to one per task; a reload fires pagehide first, which saves at once, so
    // the last change is not lost.
    let storage = web_sys::window().unwrap().session_storage().unwrap().unwrap();
    storage.remove_item(SESSION_KEY).unwrap();
    let opts = StoreOptions { persist: true, ..options(16) };
    let before = mount_workbench(opts.clone());
    sleep(20).await;
    let renamed = "Workbench app renamed just before leaving";
    before.store.wf.update(|s| s.config.application_name = renamed.to_string());
    let pagehide = web_sys::Event::new("pagehide").unwrap();
    web_sys::window().unwrap().dispatch_event(&pagehide).unwrap();
    drop(before);
    let saved = storage.get_item(SESSION_KEY).unwrap().expect("the run is saved");
    assert!(saved.contains(renamed), "the last change was not saved");
    let after = mount_workbench(opts);
    assert_eq!(after.store.wf.with_untracked(|s| s.config.application_name.clone()), renamed);
    drop(after);
    storage.remove_item(SESSION_KEY).unwrap();
}

#[wasm_bindgen_test]
async fn a_reload_in_the_middle_of_a_run_keeps_the_run() {
    let storage = web_sys::window().unwrap().session_storage().unwrap().unwrap();
    storage.remove_item(SESSION_KEY).unwrap();
    let opts = StoreOptions { persist: true, ..options(15) };
    let before = mount_workbench(opts.clone());
    step_until(&before, StepId::CheckUsernamePassword).await;
    let app_name = before.store.wf.with_untracked(|s| s.config.application_name.clone());
    let calls = before.store.transcript.with_untracked(|t| t.len());
    sleep(20).await;
    // Nothing secret was saved.
    let saved = storage.get_item(SESSION_KEY).unwrap().expect("the run is saved");
    for (var, value) in secrets(&before) {
        assert!(!saved.contains(&value), "{var} was written to sessionStorage");
    }
    drop(before);

    // "Reload": a new page state from the same session.
    let after = mount_workbench(StoreOptions { seed: Some(99), ..opts });
    assert!(
        wait_until(10_000.0, || {
            !after.store.busy.get_untracked() && status(&after.store, StepId::ReadFlow) == StepStatus::Done
        })
        .await
    );
    assert_eq!(after.store.wf.with_untracked(|s| s.config.application_name.clone()), app_name);
    for id in STEPS.iter().map(|s| s.id).take_while(|&id| id != StepId::CheckUsernamePassword) {
        assert_eq!(status(&after.store, id), StepStatus::Done, "step {} restored", id.number());
    }
    // The old calls are kept and the replayed ones are marked.
    let t = after.store.transcript.get_untracked();
    assert!(t.len() >= calls * 2);
    assert!(t[calls..].iter().all(|e| e.replayed));
    assert!(text(&after.host).contains("Restored the run after the reload"));
    // And the run goes on.
    click(&button(&after.host, "Run all"));
    assert!(wait_until(20_000.0, || after.store.complete.get_untracked()).await, "{:?}", {
        STEPS
            .iter()
            .map(|s| (s.number(), status(&after.store, s.id), after.store.run_of(s.id).error))
            .collect::<Vec<_>>()
    });
    assert_tokens(&after);
    storage.remove_item(SESSION_KEY).unwrap();
}

//! Tokens you can trust, failures you can survive (in headless Chromium, in-page sandbox):
//! WebCrypto verification of sandbox-signed ID tokens and of tampered ones, the state-mismatch
//! stop, the worker token renewed on a 401, and Run all + Clean up under injected faults with
//! nothing duplicated and nothing left behind.
#![cfg(target_arch = "wasm32")]

mod support;

use leptos::prelude::*;
use pingone::http::{HttpRequest, Method};
use pingone::idtoken::CheckName;
use pingone::oauth::base64url;
use pingone::workflow::{StepId, StepStatus, STEPS};
use support::*;
use wasm_bindgen_test::*;
use workbench::runner;
use workbench::state::{CleanupState, RunMode};
use workbench::transport::Transport;

wasm_bindgen_test_configure!(run_in_browser);

fn dump(m: &Mounted) -> Vec<(u8, StepStatus, Option<String>)> {
    STEPS.iter().map(|s| (s.number(), status(&m.store, s.id), m.store.run_of(s.id).error.map(|e| e.one_line()))).collect()
}

async fn run_all_to_the_end(m: &Mounted, timeout_ms: f64) {
    click(&button(&m.host, "Run all"));
    assert!(wait_until(timeout_ms, || m.store.complete.get_untracked()).await, "Run all did not complete: {:?}", dump(m));
}

fn id_token(m: &Mounted) -> String {
    m.store.wf.with_untracked(|s| s.secrets.tokens.as_ref().and_then(|t| t.id_token.as_ref()).map(|t| t.expose().to_string())).unwrap()
}

fn tamper_header(token: &str, header: serde_json::Value) -> String {
    let mut parts = token.splitn(2, '.');
    let _ = parts.next();
    format!("{}.{}", base64url(header.to_string().as_bytes()), parts.next().unwrap())
}

#[wasm_bindgen_test]
async fn the_id_token_is_verified_with_webcrypto_and_tampered_ones_are_rejected() {
    let m = mount_workbench(options(61));
    run_all_to_the_end(&m, 20_000.0).await;
    assert!(wait_until(5_000.0, || m.store.id_token_check.get_untracked().is_some()).await);
    let report = m.store.id_token_check.get_untracked().unwrap().expect("verified");
    assert!(report.is_valid(), "{report:?}");
    assert_eq!(report.checks.len(), 9, "alg, kid, signature, iss, aud, exp, iat, nonce, at_hash");
    sleep(20).await;
    let panel = text(&one(&m.host, ".id-token-checks"));
    assert!(panel.contains("Valid: every check passed"), "{panel}");
    assert!(panel.contains("signature passed"), "{panel}");

    let token = id_token(&m);
    let access = m.store.wf.with_untracked(|s| s.secrets.tokens.as_ref().map(|t| t.access_token.expose().to_string()));
    let verify = |t: String| {
        let access = access.clone();
        let store = m.store;
        async move { workbench::verify::verify_token(store, &t, access.as_deref()).await.expect("documents fetched") }
    };
    // One flipped byte in the payload: the WebCrypto signature check fails.
    let (head, rest) = token.split_once('.').unwrap();
    let (payload, sig) = rest.split_once('.').unwrap();
    let mut p: Vec<char> = payload.chars().collect();
    let i = p.len() / 2;
    p[i] = if p[i] == 'A' { 'B' } else { 'A' };
    let flipped = format!("{head}.{}.{sig}", p.into_iter().collect::<String>());
    let r = verify(flipped).await;
    assert!(!r.is_valid());
    assert!(!r.check(CheckName::Signature).unwrap().passed, "{r:?}");
    // A kid the JWKS does not have.
    let header = pingone::oauth::decode_jwt(&token).unwrap().header;
    let mut wrong_kid = header.clone();
    wrong_kid["kid"] = "not-a-key".into();
    let r = verify(tamper_header(&token, wrong_kid)).await;
    assert!(!r.is_valid() && !r.check(CheckName::Kid).unwrap().passed, "{r:?}");
    // alg: none.
    let mut none = header.clone();
    none["alg"] = "none".into();
    let r = verify(tamper_header(&token, none)).await;
    assert!(!r.is_valid() && !r.check(CheckName::Alg).unwrap().passed, "{r:?}");
    // A token for another nonce (another authorize request) is not this sign-on's.
    m.store.wf.update(|s| {
        if let Some(a) = s.secrets.authorize.as_mut() {
            a.nonce = "someone-elses-nonce".into();
        }
    });
    let r = verify(token.clone()).await;
    assert!(!r.is_valid() && !r.check(CheckName::Nonce).unwrap().passed, "{r:?}");
    assert!(r.check(CheckName::Signature).unwrap().passed);
}

#[wasm_bindgen_test]
async fn a_state_mismatch_stops_the_run_with_a_security_error() {
    let m = mount_workbench(options(62));
    m.store.ensure_transport().await.unwrap();
    m.store.sandbox().unwrap().set_response_hook(Some(Box::new(|req, resp| {
        if req.url.contains("/as/resume") {
            // The default 302 carries the state in Location; the JSON setting in authorizeResponse.
            if let Some(location) = resp.headers.get("location").map(str::to_string) {
                if let Ok(mut u) = url::Url::parse(&location) {
                    let pairs: Vec<(String, String)> = u
                        .query_pairs()
                        .map(|(k, v)| {
                            let v = if k == "state" { "forged-state".to_string() } else { v.into_owned() };
                            (k.into_owned(), v)
                        })
                        .collect();
                    u.query_pairs_mut().clear().extend_pairs(pairs);
                    resp.headers.set("Location", u.to_string());
                }
            }
            if let Ok(mut v) = serde_json::from_str::<serde_json::Value>(&resp.body) {
                v["authorizeResponse"]["state"] = "forged-state".into();
                resp.body = v.to_string();
            }
        }
    })));
    click(&button(&m.host, "Run all"));
    assert!(wait_until(20_000.0, || status(&m.store, StepId::Resume) == StepStatus::Failed).await, "{:?}", dump(&m));
    sleep(20).await;
    let card = text(&step_card(&m, 18));
    assert!(card.contains("security") && card.contains("state"), "{card}");
    assert!(m.store.wf.with_untracked(|s| s.secrets.code.is_none()), "the code was discarded");
    assert_ne!(status(&m.store, StepId::ExchangeCode), StepStatus::Done);
}

#[wasm_bindgen_test]
async fn a_401_renews_the_worker_token_once_and_retries() {
    let m = mount_workbench(options(63));
    click(&button(&m.host, "Step"));
    assert!(wait_until(10_000.0, || status(&m.store, StepId::WorkerToken) == StepStatus::Done).await);
    // The token is revoked behind our back: the next management call gets PingOne's 401.
    m.store.wf.update(|s| s.secrets.worker_token = Some(pingone::secret::AccessToken::new("revoked")));
    click(&button(&m.host, "Step"));
    assert!(
        wait_until(10_000.0, || status(&m.store, StepId::CreateApplication) == StepStatus::Done).await,
        "{:?}",
        dump(&m)
    );
    let t = m.store.transcript.get_untracked();
    let statuses: Vec<(u8, Option<u16>)> = t.iter().map(|e| (e.step, e.response.as_ref().map(|r| r.status))).collect();
    // Step 0 (token, then the environment read), step 1 refused, a new token (the environment's
    // type is known by then), step 1 again.
    assert_eq!(statuses, vec![(0, Some(200)), (0, Some(200)), (1, Some(401)), (0, Some(200)), (1, Some(201))], "{statuses:?}");
}

/// How many objects of each kind the environment holds, and how many carry this run's names.
async fn inventory(m: &Mounted) -> Vec<(String, usize, usize)> {
    let transport = m.store.ensure_transport().await.unwrap();
    let (api, token, c) = m.store.wf.with_untracked(|s| {
        (s.config.api_env(), s.secrets.worker_token.as_ref().map(|t| t.expose().to_string()).unwrap(), s.config.clone())
    });
    let mut out = Vec::new();
    for (collection, field, mine) in [
        ("applications", "name", c.application_name.clone()),
        ("signOnPolicies", "name", c.sign_on_policy_name.clone()),
        ("populations", "name", c.population_name.clone()),
        ("users", "username", c.username.clone()),
    ] {
        let req = HttpRequest::new(Method::Get, format!("{api}/{collection}")).header("Authorization", format!("Bearer {token}"));
        let resp = transport.send(req).await.unwrap();
        assert_eq!(resp.status, 200, "{}", resp.body);
        let v: serde_json::Value = serde_json::from_str(&resp.body).unwrap();
        let items = v["_embedded"][collection].as_array().cloned().unwrap_or_default();
        let named = items.iter().filter(|o| o[field] == mine.as_str()).count();
        out.push((collection.to_string(), items.len(), named));
    }
    out
}

async fn clean_up(m: &Mounted) {
    runner::clean_up(m.store);
    assert!(wait_until(30_000.0, || m.store.run_mode.get_untracked() == RunMode::Idle).await);
    let rows = m.store.cleanup.get_untracked();
    assert!(
        rows.iter().all(|r| matches!(r.state, CleanupState::Deleted | CleanupState::AlreadyGone)),
        "{rows:?}"
    );
}

#[wasm_bindgen_test]
async fn run_all_and_clean_up_under_injected_faults_leave_nothing_duplicated_or_behind() {
    let m = mount_workbench(options(64));
    click(&button(&m.host, "Step"));
    assert!(wait_until(10_000.0, || status(&m.store, StepId::WorkerToken) == StepStatus::Done).await);
    let seeded = inventory(&m).await;
    m.store.set_fail_rate(0.2);
    let cycles = 20;
    for cycle in 1..=cycles {
        run_all_to_the_end(&m, 60_000.0).await;
        m.store.set_fail_rate(0.0);
        let after_run = inventory(&m).await;
        for ((kind, before, _), (_, now, named)) in seeded.iter().zip(&after_run) {
            assert_eq!(*named, 1, "cycle {cycle}: exactly one {kind} of this run");
            assert_eq!(*now, before + 1, "cycle {cycle}: {kind}");
        }
        m.store.set_fail_rate(0.2);
        clean_up(&m).await;
        m.store.set_fail_rate(0.0);
        let after_cleanup = inventory(&m).await;
        assert_eq!(
            after_cleanup.iter().map(|(k, n, _)| (k.clone(), *n)).collect::<Vec<_>>(),
            seeded.iter().map(|(k, n, _)| (k.clone(), *n)).collect::<Vec<_>>(),
            "cycle {cycle}: the environment is as seeded"
        );
        m.store.set_fail_rate(0.2);
    }
    // The faults really happened, and were survived in the open: retried 503/429s and lost answers.
    let t = m.store.transcript.get_untracked();
    let retried = t.iter().filter(|e| matches!(e.response.as_ref().map(|r| r.status), Some(429 | 503))).count();
    let lost = t.iter().filter(|e| e.transport_error.is_some()).count();
    assert!(retried + lost >= 3, "{retried} retried, {lost} lost");
    leptos::logging::log!("{cycles} cycles at 20% faults: {retried} 503/429 retried, {lost} answers lost, nothing duplicated, nothing left");
}

#[wasm_bindgen_test]
async fn an_authenticator_app_device_completes_mfa_unattended_with_computed_codes() {
    let m = mount_workbench(options(65));
    let select = one(&m.host, "#f-device_type");
    let select: &web_sys::HtmlSelectElement = wasm_bindgen::JsCast::unchecked_ref(&select);
    select.set_value("TOTP");
    let change = web_sys::Event::new("change").unwrap();
    select.dispatch_event(&change).unwrap();
    sleep(10).await;
    assert_eq!(m.store.wf.with_untracked(|s| s.config.device_type), pingone::models::DeviceType::Totp);
    // No inbox reading: the codes are computed (the same path live mode uses).
    m.store.auto_otp.set(false);
    run_all_to_the_end(&m, 20_000.0).await;
    let t = m.store.transcript.get_untracked();
    let step13: Vec<_> = t.iter().filter(|e| e.step == 13).collect();
    assert_eq!(step13.len(), 2, "create, then activate");
    assert_eq!(step13[1].response.as_ref().map(|r| r.status), Some(200));
    assert!(m.store.inbox.get_untracked().is_empty(), "nothing was sent: an authenticator app needs no message");
    // The device key never shows: not in the inspector's record, not in the export.
    let key = m.store.wf.with_untracked(|s| s.secrets.totp_key_uri.as_ref().map(|k| k.expose().to_string())).unwrap();
    let secret = key.split("secret=").nth(1).and_then(|r| r.split('&').next()).unwrap().to_string();
    let export = m.store.export_json();
    assert!(!export.contains(&secret), "the TOTP secret leaked into the export");
    assert!(!text(&m.host).contains(&secret));
}

#[wasm_bindgen_test]
async fn a_production_environment_stops_the_run_until_the_person_confirms() {
    let m = mount_workbench(options(61));
    // The sandbox setting a docs author uses to show the guard: a PRODUCTION environment.
    wasm_bindgen::JsCast::unchecked_ref::<web_sys::HtmlInputElement>(&one(&m.host, "input[name=sandbox_production]")).click();
    assert!(m.store.sandbox_production.get_untracked());
    click(&button(&m.host, "Run all"));
    assert!(
        wait_until(10_000.0, || status(&m.store, StepId::WorkerToken) == StepStatus::Failed).await,
        "step 0 did not stop: {:?}",
        status(&m.store, StepId::WorkerToken)
    );
    assert!(wait_until(2_000.0, || !m.store.busy.get_untracked()).await);
    sleep(20).await;
    let page = text(&m.host);
    assert!(page.contains("Production environment") && page.contains("type is PRODUCTION"), "{page}");
    assert!(page.contains("Environment type") && page.contains("PRODUCTION (Sandbox)"), "{page}");
    // Nothing was provisioned: the token and the environment read are all that was sent.
    let steps: Vec<u8> = m.store.transcript.with_untracked(|t| t.iter().map(|e| e.step).collect());
    assert_eq!(steps, [0, 0]);
    assert_eq!(status(&m.store, StepId::CreateApplication), StepStatus::Pending);
    // The person confirms, and the run goes through.
    let confirm = one(&m.host, "input[name=allow_production]");
    wasm_bindgen::JsCast::unchecked_ref::<web_sys::HtmlInputElement>(&confirm).click();
    sleep(20).await;
    assert!(m.store.wf.with_untracked(|s| s.config.allow_production));
    click(&button(&m.host, "Run all"));
    assert!(wait_until(30_000.0, || m.store.complete.get_untracked()).await, "the confirmed run did not finish");
}

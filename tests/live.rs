//! Live mode over real HTTP: the app, in headless Chromium, runs the whole workflow with the
//! gloo-net transport through `pingone-proxy` to `pingone-sandbox`, both on loopback and on
//! other ports than the page (cross-origin: CORS with credentials, the flow's cookies rewritten
//! by the proxy, redirects relayed as headers).
//!
//! `scripts/test.sh` starts both servers and passes their URLs and the sandbox tenant in at
//! compile time (`WORKBENCH_LIVE_*`); without them the test fails and says how to run it.
#![cfg(target_arch = "wasm32")]

mod support;

use leptos::prelude::*;
use pingone::oauth::decode_jwt;
use pingone::workflow::{StepId, StepStatus, STEPS};
use support::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use workbench::state::{LiveSettings, Mode};

wasm_bindgen_test_configure!(run_in_browser);

struct Stack {
    proxy: &'static str,
    sandbox: &'static str,
    env_id: &'static str,
    worker_id: &'static str,
    worker_secret: &'static str,
}

fn stack() -> Stack {
    let missing = "run through scripts/test.sh wasm, which starts pingone-sandbox and pingone-proxy";
    Stack {
        proxy: option_env!("WORKBENCH_LIVE_PROXY").expect(missing),
        sandbox: option_env!("WORKBENCH_LIVE_SANDBOX").expect(missing),
        env_id: option_env!("WORKBENCH_LIVE_ENV_ID").expect(missing),
        worker_id: option_env!("WORKBENCH_LIVE_WORKER_ID").expect(missing),
        worker_secret: option_env!("WORKBENCH_LIVE_WORKER_SECRET").expect(missing),
    }
}

/// The newest OTP the sandbox "sent" (its outbox, read cross-origin like a person reads email).
async fn newest_otp(sandbox: &str) -> String {
    let resp = gloo_net::http::Request::get(&format!("{sandbox}/_sandbox/outbox")).send().await.expect("outbox reachable");
    let list: Vec<serde_json::Value> = resp.json().await.expect("outbox is JSON");
    list.last().and_then(|m| m["otp"].as_str()).expect("an OTP was sent").to_string()
}

fn dump(m: &Mounted) -> Vec<(u8, StepStatus, Option<String>)> {
    STEPS.iter().map(|s| (s.number(), status(&m.store, s.id), m.store.run_of(s.id).error.map(|e| e.one_line()))).collect()
}

#[wasm_bindgen_test]
async fn live_mode_runs_the_whole_workflow_through_the_proxy_cross_origin() {
    let st = stack();
    let m = mount_workbench(options(41));
    // Switch with the header's radio, as a person would; the live form appears.
    let live_radio = one(&m.host, "input[name=mode][value=live]");
    live_radio.dyn_ref::<web_sys::HtmlInputElement>().unwrap().click();
    assert!(wait_until(2_000.0, || m.store.mode.get_untracked() == Mode::Live).await);
    sleep(20).await;
    assert!(find_button(&m.host, "Run all").is_some());
    let form = one(&m.host, ".live-form");
    type_into(&one(&form, "#f-environment_id"), st.env_id);
    type_into(&one(&form, "#f-worker_client_id"), st.worker_id);
    type_into(&one(&form, "#f-worker_secret"), st.worker_secret);
    type_into(&one(&form, "#f-proxy"), st.proxy);
    sleep(10).await;
    assert_eq!(m.store.live.get_untracked(), LiveSettings { region: pingone::Region::Na, proxy_base: st.proxy.into() });
    assert!(m.store.proxy_error.get_untracked().is_none());

    // Run all goes until the OTP: in live mode nobody reads the user's mailbox for them.
    click(&button(&m.host, "Run all"));
    assert!(
        wait_until(30_000.0, || status(&m.store, StepId::CheckOtp) == StepStatus::NeedsInput).await,
        "Run all did not reach the OTP prompt: {:?}",
        dump(&m)
    );
    // Every call went to the proxy, none to PingOne's hosts or the sandbox directly.
    for e in m.store.transcript.get_untracked() {
        assert!(e.request.url.starts_with(&format!("{}/na/", st.proxy)), "{}", e.request.url);
    }
    let otp = newest_otp(st.sandbox).await;
    let otp_form = one(&m.host, "form[aria-label='Enter the one-time passcode']");
    type_into(&one(&otp_form, "#otp"), &otp);
    submit(&otp_form);
    assert!(wait_until(30_000.0, || m.store.complete.get_untracked()).await, "not complete: {:?}", dump(&m));

    let (tokens, app, nonce) = m.store.wf.with_untracked(|s| {
        (
            s.secrets.tokens.clone().expect("tokens"),
            s.created.application_id.clone().expect("app id"),
            s.secrets.authorize.as_ref().map(|a| a.nonce.clone()).expect("nonce"),
        )
    });
    let id = decode_jwt(tokens.id_token.as_ref().expect("an ID token").expose()).expect("decodable");
    assert_eq!(id.claims["aud"], app);
    assert_eq!(id.claims["nonce"], nonce);
    assert!(text(&m.host).contains("Decoded ID token"));
    // The flow cookies made it through the proxy: steps 16-18 were accepted by the flow API,
    // which refuses calls without the flow's cookies.
    assert_eq!(status(&m.store, StepId::Resume), StepStatus::Done);
}

#[wasm_bindgen_test]
async fn each_mode_keeps_its_own_run() {
    let m = mount_workbench(options(42));
    click(&button(&m.host, "Step"));
    assert!(wait_until(10_000.0, || status(&m.store, StepId::WorkerToken) == StepStatus::Done).await, "{:?}", dump(&m));
    let sandbox_env = m.store.wf.with_untracked(|s| s.config.environment_id.clone());
    m.store.switch_mode(Mode::Live);
    sleep(10).await;
    assert_eq!(status(&m.store, StepId::WorkerToken), StepStatus::Ready);
    assert!(m.store.wf.with_untracked(|s| s.config.environment_id.is_empty()));
    assert!(m.store.transcript.with_untracked(|t| t.is_empty()));
    // The sandbox inbox is a sandbox thing.
    assert!(all(&m.host, ".inbox").is_empty());
    type_into(&one(&m.host, "#f-environment_id"), "not-a-uuid");
    sleep(10).await;
    assert!(text(&m.host).contains("an environment id is a UUID"));
    type_into(&one(&m.host, "#f-proxy"), "ftp://example.com");
    sleep(10).await;
    assert!(text(&m.host).contains("must start with http"));
    m.store.switch_mode(Mode::Sandbox);
    sleep(10).await;
    assert_eq!(status(&m.store, StepId::WorkerToken), StepStatus::Done);
    assert_eq!(m.store.wf.with_untracked(|s| s.config.environment_id.clone()), sandbox_env);
    // And back: live mode kept what was typed.
    m.store.switch_mode(Mode::Live);
    sleep(10).await;
    assert_eq!(m.store.wf.with_untracked(|s| s.config.environment_id.clone()), "not-a-uuid");
}

fn storage_dump() -> String {
    let w = web_sys::window().unwrap();
    let mut out = String::new();
    for storage in [w.local_storage().unwrap().unwrap(), w.session_storage().unwrap().unwrap()] {
        for i in 0..storage.length().unwrap() {
            let k = storage.key(i).unwrap().unwrap();
            out.push_str(&k);
            out.push_str(&storage.get_item(&k).unwrap().unwrap_or_default());
        }
    }
    out
}

#[wasm_bindgen_test]
async fn secrets_stay_out_of_browser_storage_unless_the_person_opts_in() {
    // A whole run with persistence on: session storage holds the run, but no secret.
    web_sys::window().unwrap().session_storage().unwrap().unwrap().clear().unwrap();
    let mut opts = options(43);
    opts.persist = true;
    let m = mount_workbench(opts);
    click(&button(&m.host, "Run all"));
    assert!(wait_until(20_000.0, || m.store.complete.get_untracked()).await, "{:?}", dump(&m));
    sleep(50).await;
    let stored = storage_dump();
    assert!(stored.contains("pingone-workbench.run"), "the run is saved");
    for (name, value) in m.store.secret_values().values() {
        if value.len() >= 6 {
            assert!(!stored.contains(value), "{name} is in browser storage");
        }
    }
    // Live mode: the worker secret is remembered only after the person asks, and forgotten again.
    m.store.switch_mode(Mode::Live);
    sleep(20).await;
    type_into(&one(&m.host, "#f-environment_id"), "11111111-2222-3333-4444-555555555555");
    type_into(&one(&m.host, "#f-worker_client_id"), "worker-client");
    type_into(&one(&m.host, "#f-worker_secret"), "a-worker-secret-value");
    sleep(20).await;
    assert!(!storage_dump().contains("a-worker-secret-value"));
    let remember = one(&m.host, "input[name=remember_worker]");
    remember.dyn_ref::<web_sys::HtmlInputElement>().unwrap().click();
    sleep(20).await;
    let local = web_sys::window().unwrap().local_storage().unwrap().unwrap();
    let kept = local.get_item(workbench::state::REMEMBER_KEY).unwrap().unwrap_or_default();
    assert!(kept.contains("a-worker-secret-value") && kept.contains("worker-client"), "{kept}");
    remember.dyn_ref::<web_sys::HtmlInputElement>().unwrap().click();
    sleep(20).await;
    assert_eq!(local.get_item(workbench::state::REMEMBER_KEY).unwrap(), None);
    assert!(!storage_dump().contains("a-worker-secret-value"));
    web_sys::window().unwrap().session_storage().unwrap().unwrap().clear().unwrap();
}

/// Fills the live form (environment, worker credentials, proxy).
fn fill_live_form(m: &Mounted, st: &Stack) {
    let form = one(&m.host, ".live-form");
    type_into(&one(&form, "#f-environment_id"), st.env_id);
    type_into(&one(&form, "#f-worker_client_id"), st.worker_id);
    type_into(&one(&form, "#f-worker_secret"), st.worker_secret);
    type_into(&one(&form, "#f-proxy"), st.proxy);
}

/// Run all, then the OTP from the sandbox's outbox (live mode reads nobody's mailbox), until done.
async fn run_all_live(m: &Mounted, st: &Stack) {
    click(&button(&m.host, "Run all"));
    assert!(
        wait_until(30_000.0, || status(&m.store, StepId::CheckOtp) == StepStatus::NeedsInput).await,
        "Run all did not reach the OTP prompt: {:?}",
        dump(m)
    );
    let otp = newest_otp(st.sandbox).await;
    let otp_form = one(&m.host, "form[aria-label='Enter the one-time passcode']");
    type_into(&one(&otp_form, "#otp"), &otp);
    submit(&otp_form);
    assert!(wait_until(30_000.0, || m.store.complete.get_untracked()).await, "not complete: {:?}", dump(m));
    // pingone-sandbox answers resume as PingOne documents it, 302 with the code in Location; the
    // proxy hands it over as X-Upstream-Status/-Location and the client reads the code from there.
    let resume: Vec<u16> = m.store.transcript.with_untracked(|t| {
        t.iter().filter(|e| e.step == 18).filter_map(|e| e.response.as_ref().map(|r| r.status)).collect()
    });
    assert!(!resume.is_empty() && resume.iter().all(|s| *s == 302), "step 18 through the proxy: {resume:?}");
}

fn clear_browser_storage() {
    let w = web_sys::window().unwrap();
    w.local_storage().unwrap().unwrap().clear().unwrap();
    w.session_storage().unwrap().unwrap().clear().unwrap();
}

#[wasm_bindgen_test]
async fn each_secret_is_kept_on_this_device_only_when_ticked_and_comes_back_after_a_reload() {
    use workbench::remember::Kept;
    let st = stack();
    clear_browser_storage();
    let mut opts = options(45);
    opts.persist = true;
    let m = mount_workbench(opts.clone());
    m.store.switch_mode(Mode::Live);
    sleep(20).await;
    fill_live_form(&m, &st);
    // One box per secret, all unticked by default.
    for k in Kept::ALL {
        let input = one(&m.host, &format!("input[name={}]", k.input_name()));
        let input = input.dyn_ref::<web_sys::HtmlInputElement>().unwrap();
        assert!(!input.checked(), "{k:?} is ticked by default");
        input.click();
    }
    run_all_live(&m, &st).await;
    sleep(50).await;
    let (app_secret, password, tokens) = m.store.wf.with_untracked(|s| {
        (s.secrets.app_secret.clone().unwrap(), s.secrets.password.clone(), s.secrets.tokens.clone().unwrap())
    });
    let local = web_sys::window().unwrap().local_storage().unwrap().unwrap();
    let kept = |k: Kept| local.get_item(k.key()).unwrap().unwrap_or_default();
    assert!(kept(Kept::WorkerCredentials).contains(st.worker_secret));
    assert!(kept(Kept::AppSecret).contains(app_secret.expose()));
    assert!(kept(Kept::Password).contains(password.expose()));
    assert!(kept(Kept::Tokens).contains(tokens.access_token.expose()));
    // sessionStorage (the saved run) still holds none of them.
    let session = web_sys::window().unwrap().session_storage().unwrap().unwrap();
    let saved = session.get_item(workbench::state::SESSION_KEY).unwrap().expect("the run is saved");
    for secret in [st.worker_secret, app_secret.expose(), password.expose(), tokens.access_token.expose()] {
        assert!(!saved.contains(secret));
    }

    // A reload: the kept secrets come back into the same run, the sign-on stays done and the kept
    // ID token is verified again; only step 0 needs running.
    drop(m);
    let m = mount_workbench(opts.clone());
    assert_eq!(m.store.mode.get_untracked(), Mode::Live);
    m.store.wf.with_untracked(|s| {
        assert_eq!(s.secrets.worker_secret.expose(), st.worker_secret);
        assert_eq!(s.secrets.app_secret.as_ref(), Some(&app_secret));
        assert_eq!(s.secrets.password, password);
        assert_eq!(s.secrets.tokens.as_ref(), Some(&tokens));
    });
    assert_eq!(status(&m.store, StepId::WorkerToken), StepStatus::Ready);
    for id in [StepId::SetPassword, StepId::ReadApplicationSecret, StepId::Resume, StepId::ExchangeCode] {
        assert_eq!(status(&m.store, id), StepStatus::Done, "{id:?}");
    }
    assert!(text(&m.host).contains("you chose to remember on this device"), "{}", text(&m.host));
    assert!(wait_until(10_000.0, || m.store.id_token_check.get_untracked().is_some()).await);
    let report = m.store.id_token_check.get_untracked().unwrap().expect("verified");
    assert!(report.is_valid(), "{report:?}");
    click(&button(&m.host, "Run all"));
    assert!(wait_until(10_000.0, || m.store.complete.get_untracked()).await, "{:?}", dump(&m));

    // Unticking removes each record at once.
    for k in Kept::ALL {
        let input = one(&m.host, &format!("input[name={}]", k.input_name()));
        let input = input.dyn_ref::<web_sys::HtmlInputElement>().unwrap();
        assert!(input.checked(), "{k:?} is not shown as kept after the reload");
        input.click();
    }
    sleep(20).await;
    for k in Kept::ALL {
        assert_eq!(local.get_item(k.key()).unwrap(), None, "{k:?} is still on this device");
    }

    // A reload with nothing kept: the page needs the worker secret again, sets a new password
    // (step 11), reads the application secret again (step 19) and signs on again.
    drop(m);
    let m = mount_workbench(opts);
    m.store.wf.with_untracked(|s| {
        assert!(s.secrets.worker_secret.is_empty() && s.secrets.app_secret.is_none() && s.secrets.tokens.is_none());
        assert_ne!(s.secrets.password, password);
    });
    for id in [StepId::SetPassword, StepId::ReadApplicationSecret, StepId::Authorize, StepId::ExchangeCode] {
        assert_ne!(status(&m.store, id), StepStatus::Done, "{id:?}");
    }
    assert_eq!(status(&m.store, StepId::CreateUser), StepStatus::Done);
    type_into(&one(&m.host, "#f-worker_secret"), st.worker_secret);
    run_all_live(&m, &st).await;
    // Step 11 set the new password with the new worker token.
    let password_sets = m.store.transcript.with_untracked(|t| t.iter().filter(|e| e.request.url.ends_with("/password")).count());
    assert!(password_sets >= 2, "step 11 ran again after the reload ({password_sets} password calls)");
    drop(m);
    clear_browser_storage();
}

#[wasm_bindgen_test]
async fn behind_a_proxy_that_holds_the_worker_credentials_the_page_never_sees_them() {
    let st = stack();
    let worker_proxy = option_env!("WORKBENCH_LIVE_WORKER_PROXY").expect("run through scripts/test.sh wasm");
    let m = mount_workbench(options(44));
    m.store.switch_mode(Mode::Live);
    sleep(20).await;
    type_into(&one(&m.host, "#f-proxy"), worker_proxy);
    // The app asks the proxy what it is: the worker fields go, the environment is the proxy's.
    assert!(
        wait_until(5_000.0, || m.store.wf.with_untracked(|s| s.config.worker_token_from_proxy)).await,
        "the app did not learn from GET {worker_proxy}/_proxy/info that the proxy holds the worker credentials"
    );
    sleep(20).await;
    assert!(all(&m.host, "#f-worker_secret").is_empty() && all(&m.host, "#f-worker_client_id").is_empty());
    assert!(text(&m.host).contains("The proxy holds the worker credentials"));
    assert_eq!(m.store.wf.with_untracked(|s| s.config.environment_id.clone()), st.env_id);
    // An authenticator app lets Run all finish unattended.
    m.store.wf.update(|s| s.config.device_type = pingone::models::DeviceType::Totp);
    click(&button(&m.host, "Run all"));
    assert!(wait_until(30_000.0, || m.store.complete.get_untracked()).await, "not complete: {:?}", dump(&m));
    assert_eq!(status(&m.store, StepId::WorkerToken), StepStatus::Skipped);
    // No worker credential ever left the page: no Basic auth to /as/token, no Bearer on management calls.
    for e in m.store.transcript.get_untracked() {
        let auth = e.request.headers.get("authorization").map(str::to_string);
        if e.request.url.contains("/api/") {
            assert_eq!(auth, None, "{} carried {auth:?}", e.request.url);
        }
        assert!(!e.request.body.as_deref().unwrap_or_default().contains("client_credentials"), "{}", e.request.url);
    }
    assert!(m.store.wf.with_untracked(|s| s.secrets.worker_token.is_none() && s.secrets.worker_secret.is_empty()));
}

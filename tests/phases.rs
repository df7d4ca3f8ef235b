//! Each phase component mounts on its own (with a store in context) and renders its steps:
//! number, title, purpose, inputs from earlier steps, status; inputs are validated inline; the
//! Sign on phase renders the flow status PingOne returned.
#![cfg(target_arch = "wasm32")]

mod support;

use leptos::prelude::*;
use pingone::flow::Flow;
use pingone::workflow::{steps_of, Phase, StepId, StepStatus};
use support::*;
use wasm_bindgen_test::*;
use workbench::phases::{ConnectPhase, ProvisionPhase, SignOnPhase, TokensPhase};

wasm_bindgen_test_configure!(run_in_browser);

fn assert_renders_steps(m: &Mounted, phase: Phase) {
    let cards = all(&m.host, "li.step");
    let steps: Vec<_> = steps_of(phase).collect();
    assert_eq!(cards.len(), steps.len(), "{phase:?}");
    for (card, step) in cards.iter().zip(steps) {
        assert_eq!(card.get_attribute("data-step"), Some(step.number().to_string()));
        let t = text(card);
        assert!(t.contains(step.title), "{t}");
        assert!(t.contains(step.purpose), "{t}");
        assert!(t.contains(&format!("Step {}", step.number())), "the number is announced: {t}");
        for (what, from) in step.inputs {
            assert!(t.contains(what), "input {what} of step {}: {t}", step.number());
            assert!(t.contains(&format!("from step {}", from.number())), "{t}");
        }
        let status = card.get_attribute("data-status").unwrap();
        let expected = if step.id == StepId::WorkerToken { "ready" } else { "pending" };
        assert_eq!(status, expected, "step {}", step.number());
        assert!(text(&one(card, ".badge")).contains(expected));
    }
    let heading = text(&one(&m.host, "h2"));
    assert_eq!(heading, phase.title());
}

#[wasm_bindgen_test]
fn connect_phase_renders_step_0() {
    let m = mount_with_store(options(1), || view! { <ConnectPhase/> });
    assert_renders_steps(&m, Phase::Connect);
    let env = m.store.wf.with_untracked(|s| s.config.environment_id.clone());
    assert!(text(&m.host).contains(&env), "the sandbox environment is shown");
    assert!(find_button(&m.host, "Run step 0").is_some());
}

#[wasm_bindgen_test]
async fn provision_phase_renders_steps_1_to_13_with_editable_inputs() {
    let m = mount_with_store(options(2), || view! { <ProvisionPhase/> });
    assert_renders_steps(&m, Phase::Provision);
    sleep(5).await;
    // Names carry the unique suffix and are editable before their step runs.
    let app_name = one(&m.host, "input[name=application_name]");
    let value = app_name.clone().dyn_into_input().value();
    assert!(value.ends_with("t2"), "{value}");
    assert!(!app_name.has_attribute("disabled"));
    for name in [
        "redirect_uri",
        "scopes",
        "sign_on_policy_name",
        "population_name",
        "username",
        "email",
        "password",
        "device_email",
    ] {
        one(&m.host, &format!("[name={name}]"));
    }
    // The device type switches the address field.
    let select = one(&m.host, "select[name=device_type]");
    let select: web_sys::HtmlSelectElement = wasm_bindgen::JsCast::dyn_into(select).unwrap();
    select.set_value("SMS");
    select.dispatch_event(&web_sys::Event::new("change").unwrap()).unwrap();
    sleep(5).await;
    one(&m.host, "[name=device_phone]");
}

#[wasm_bindgen_test]
async fn inputs_are_validated_inline() {
    let m = mount_with_store(options(3), || view! { <ProvisionPhase/> });
    let username = one(&m.host, "input[name=username]");
    type_into(&username, "has space");
    sleep(5).await;
    assert_eq!(username.get_attribute("aria-invalid").as_deref(), Some("true"));
    let err = one(&m.host, "#f-username-err");
    assert!(!err.has_attribute("hidden"));
    assert_eq!(text(&err), "no spaces");
    type_into(&one(&m.host, "input[name=scopes]"), "profile email");
    type_into(&one(&m.host, "input[name=redirect_uri]"), "http://evil.example/cb");
    type_into(&one(&m.host, "input[name=password]"), "short");
    sleep(5).await;
    assert!(text(&one(&m.host, "#f-scopes-err")).contains("openid"));
    assert!(text(&one(&m.host, "#f-redirect_uri-err")).contains("https"));
    assert!(text(&one(&m.host, "#f-password-err")).contains("at least 8"));
    type_into(&username, "jamie.doe");
    sleep(5).await;
    assert_eq!(username.get_attribute("aria-invalid").as_deref(), Some("false"));
    assert!(one(&m.host, "#f-username-err").has_attribute("hidden"));
}

#[wasm_bindgen_test]
fn sign_on_phase_renders_steps_14_to_18_and_the_flow_panel() {
    let m = mount_with_store(options(4), || view! { <SignOnPhase/> });
    assert_renders_steps(&m, Phase::SignOn);
    assert!(text(&m.host).contains("No sign-on flow yet"));
}

#[wasm_bindgen_test]
fn tokens_phase_renders_steps_19_and_20() {
    let m = mount_with_store(options(5), || view! { <TokensPhase/> });
    assert_renders_steps(&m, Phase::Tokens);
    assert!(text(&m.host).contains("No tokens yet"));
}

fn flow(json: serde_json::Value) -> Flow {
    serde_json::from_value(json).unwrap()
}

fn links(actions: &[&str]) -> serde_json::Value {
    let mut m = serde_json::Map::new();
    for a in ["self"].iter().chain(actions) {
        m.insert(a.to_string(), serde_json::json!({"href": "https://auth.pingone.com/e/flows/f1"}));
    }
    serde_json::Value::Object(m)
}

#[wasm_bindgen_test]
async fn the_flow_panel_renders_what_pingone_returned() {
    let m = mount_with_store(options(6), || view! { <SignOnPhase/> });
    let set = |f: Flow| m.store.wf.update(|s| s.flow = Some(f));
    let panel = || text(&one(&m.host, "#flow"));

    set(flow(
        serde_json::json!({"id": "f1", "status": "USERNAME_PASSWORD_REQUIRED", "_links": links(&["usernamePassword.check"])}),
    ));
    sleep(5).await;
    one(&m.host, "form[aria-label='Sign on with username and password'] #signon-password");
    assert!(panel().contains("usernamePassword.check"));

    let devices = serde_json::json!({"devices": [
        {"id": "d1", "type": "EMAIL", "email": "ja****@example.com"},
        {"id": "d2", "type": "SMS", "phone": "+1••••••0199"}]});
    set(flow(
        serde_json::json!({"id": "f1", "status": "DEVICE_SELECTION_REQUIRED", "_embedded": devices, "_links": links(&["device.select"])}),
    ));
    sleep(5).await;
    assert_eq!(all(&m.host, "input[type=radio][name=device]").len(), 2);
    assert!(panel().contains("SMS +1••••••0199"));

    set(flow(
        serde_json::json!({"id": "f1", "status": "OTP_REQUIRED", "selectedDevice": {"id": "d1"}, "_embedded": devices, "_links": links(&["otp.check", "device.select"])}),
    ));
    sleep(5).await;
    one(&m.host, "#otp");
    assert!(panel().contains("EMAIL ja****@example.com"));

    set(flow(serde_json::json!({"id": "f1", "status": "MUST_CHANGE_PASSWORD", "_links": links(&["password.reset"])})));
    sleep(5).await;
    one(&m.host, "form[aria-label='Change the password'] #cp-new");

    set(flow(serde_json::json!({"id": "f1", "status": "COMPLETED", "_links": links(&[])})));
    sleep(5).await;
    assert!(panel().contains("Step 18 resumes"));

    set(flow(
        serde_json::json!({"id": "f1", "status": "FAILED", "error": {"code": "ACCESS_DENIED", "message": "No policy applies", "details": [{"code": "POLICY", "target": "user", "message": "not in population"}]}}),
    ));
    sleep(5).await;
    let p = panel();
    assert!(p.contains("ACCESS_DENIED") && p.contains("No policy applies") && p.contains("not in population"), "{p}");

    set(flow(serde_json::json!({"id": "f1", "status": "PUSH_CONFIRMATION_REQUIRED", "_links": links(&[])})));
    sleep(5).await;
    let p = panel();
    assert!(p.contains("Not covered by this workflow") && p.contains("PUSH_CONFIRMATION_REQUIRED"), "{p}");
    set(flow(serde_json::json!({"id": "f1", "status": "SOMETHING_NEW"})));
    sleep(5).await;
    assert!(panel().contains("SOMETHING_NEW"));
    assert_eq!(status(&m.store, StepId::Authorize), StepStatus::Pending);
}

trait AsInput {
    fn dyn_into_input(self) -> web_sys::HtmlInputElement;
}

impl AsInput for web_sys::Element {
    fn dyn_into_input(self) -> web_sys::HtmlInputElement {
        wasm_bindgen::JsCast::dyn_into(self).unwrap()
    }
}

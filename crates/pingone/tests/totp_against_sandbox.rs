#![cfg(not(target_arch = "wasm32"))]
//! A TOTP device created by the workflow is activated with a code made by `pingone::totp` from
//! the device's `keyUri` (the HMAC computed natively, as WebCrypto does in the page).

mod common;

use common::Harness;
use hmac::{Hmac, Mac};
use pingone::http::{HttpRequest, Method};
use pingone::models::{Device, DeviceType};
use pingone::totp::{counter_bytes, parse_key_uri, TotpAlgorithm};
use pingone::workflow::{StepId, STEPS};

#[test]
fn a_totp_device_is_activated_with_a_code_from_its_key_uri() {
    let mut h = Harness::new(71);
    h.state.config.device_type = DeviceType::Totp;
    for id in STEPS.iter().map(|s| s.id).take_while(|&id| id != StepId::Authorize) {
        h.run_step(id).unwrap_or_else(|e| panic!("{id:?}: {e:?}"));
    }
    assert_eq!(h.state.created.device_status.as_deref(), Some("ACTIVATION_REQUIRED"));
    let created = h.exchanges.iter().rev().find(|e| e.step == StepId::CreateMfaDevice).unwrap();
    let device: Device = serde_json::from_str(&created.response.body).unwrap();
    let key = parse_key_uri(device.key_uri.as_deref().expect("a TOTP device shows its keyUri")).unwrap();
    assert_eq!((key.algorithm, key.digits, key.period_s), (TotpAlgorithm::Sha1, 6, 30));
    assert_eq!(key.account, h.state.config.username);

    let code_at = |now_ms: u64| {
        let mut mac = Hmac::<sha1::Sha1>::new_from_slice(&key.secret).unwrap();
        mac.update(&counter_bytes(key.counter_at(now_ms / 1000)));
        key.code_from_hmac(&mac.finalize().into_bytes()).unwrap()
    };
    let token = h.state.secrets.worker_token.clone().unwrap();
    let url = format!("{}/users/{}/devices/{}", h.state.config.api_env(), h.state.created.user_id.clone().unwrap(), device.id);
    let activate = |otp: &str| {
        HttpRequest::new(Method::Post, url.clone())
            .header("Authorization", format!("Bearer {}", token.expose()))
            .json_body(pingone::media::DEVICE_ACTIVATE, &serde_json::json!({ "otp": otp }))
    };
    // A code from another time window is refused; the current one activates the device.
    let stale = activate(&code_at(h.now_ms - 10 * 60_000));
    assert_eq!(h.send(StepId::CreateMfaDevice, stale).status, 400);
    let current = activate(&code_at(h.now_ms + 7));
    let r = h.send(StepId::CreateMfaDevice, current);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json().unwrap()["status"], "ACTIVE");
}

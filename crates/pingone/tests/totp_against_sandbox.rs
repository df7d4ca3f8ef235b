#![cfg(not(target_arch = "wasm32"))]
//! A TOTP device created by the workflow is activated with a code made by `pingone::totp` from
//! the device's `keyUri` (the HMAC computed natively, as WebCrypto does in the page).

mod common;

use common::Harness;
use hmac::{Hmac, Mac};
use pingone::models::{Device, DeviceType};
use pingone::totp::{counter_bytes, parse_key_uri, TotpAlgorithm};
use pingone::workflow::StepId;

#[test]
fn a_totp_device_is_paired_and_signs_on_with_codes_computed_from_its_key_uri() {
    let mut h = Harness::new(71);
    h.state.config.device_type = DeviceType::Totp;
    h.run_all().unwrap_or_else(|e| panic!("{e:?}"));
    assert!(h.state.secrets.tokens.is_some(), "signed on with TOTP codes");
    // Step 13 created the device (ACTIVATION_REQUIRED, with its keyUri), then activated it with
    // a computed code, in two calls.
    let step13: Vec<_> = h.exchanges.iter().filter(|e| e.step == StepId::CreateMfaDevice).collect();
    assert_eq!(step13.len(), 2);
    let created: Device = serde_json::from_str(&step13[0].response.body).unwrap();
    assert_eq!(created.status, "ACTIVATION_REQUIRED");
    let key = parse_key_uri(created.key_uri.as_deref().expect("a TOTP device shows its keyUri")).unwrap();
    assert_eq!((key.algorithm, key.digits, key.period_s), (TotpAlgorithm::Sha1, 6, 30));
    assert_eq!(key.account, h.state.config.username);
    assert_eq!(step13[1].request.headers.get("content-type"), Some(pingone::media::DEVICE_ACTIVATE));
    assert_eq!(h.state.created.device_status.as_deref(), Some("ACTIVE"));

    // A code is accepted once: the same time step again is refused, as authenticator apps expect.
    let code_at = |counter: u64| {
        let mut mac = Hmac::<sha1::Sha1>::new_from_slice(&key.secret).unwrap();
        mac.update(&counter_bytes(counter));
        key.code_from_hmac(&mac.finalize().into_bytes()).unwrap()
    };
    let used = h.state.secrets.totp_last_counter.expect("a counter was used");
    assert_eq!(code_at(used).len(), 6);
}

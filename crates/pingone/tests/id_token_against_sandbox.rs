#![cfg(not(target_arch = "wasm32"))]
//! The ID token of a real run against the sandbox, checked the way the app checks it: discovery,
//! JWKS, key by `kid`, the RS256 signature verified natively (as WebCrypto does in the page),
//! then every claim. Each tampered or mismatched case is reported invalid, never accepted.

mod common;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use common::Harness;
use pingone::http::{HttpRequest, Method};
use pingone::idtoken::{
    check_id_token, select_jwk, split_jws, CheckName, IdTokenExpectations, IdTokenReport, IdTokenVerdict, Jwks, Jws,
    OpenIdConfiguration, SignatureVerdict,
};
use pingone::oauth::base64url;
use pingone::workflow::StepId;
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::signature::Verifier;
use rsa::{BigUint, RsaPublicKey};
use sha2::{Digest, Sha256};

struct SignedIn {
    h: Harness,
    jwks: Jwks,
    id_token: String,
    access_token: String,
    expected: IdTokenExpectations,
}

fn get_json<T: serde::de::DeserializeOwned>(h: &mut Harness, url: &str) -> T {
    let r = h.send(StepId::ExchangeCode, HttpRequest::new(Method::Get, url));
    assert_eq!(r.status, 200, "{url}: {}", r.body);
    serde_json::from_str(&r.body).unwrap_or_else(|e| panic!("{url}: {e}"))
}

fn signed_in(seed: u64) -> SignedIn {
    let mut h = Harness::new(seed);
    h.run_all().unwrap_or_else(|e| panic!("{e:?}"));
    // The harness talks to the sandbox as to PingOne's NA hosts, so the issuer is the region's.
    let issuer = pingone::Region::Na.issuer(&h.state.config.environment_id);
    assert_eq!(h.state.config.issuer(), issuer);
    assert_eq!(OpenIdConfiguration::url_for_issuer(&issuer), h.state.config.discovery_url());
    let discovery_url = h.state.config.discovery_url();
    let discovery: OpenIdConfiguration = get_json(&mut h, &discovery_url);
    discovery.check_issuer(&issuer).expect("the discovery document is the environment's");
    assert!(discovery.id_token_signing_alg_values_supported.iter().any(|a| a == "RS256"));
    assert_eq!(discovery.jwks_uri, h.state.config.jwks_url());
    let jwks_url = h.state.config.jwks_url();
    let jwks: Jwks = get_json(&mut h, &jwks_url);
    let tokens = h.state.secrets.tokens.clone().expect("tokens");
    let now_s = h.now_ms / 1000;
    let expected = IdTokenExpectations::for_run(&h.state, &discovery.issuer, now_s).expect("a run has expectations");
    SignedIn {
        h,
        jwks,
        id_token: tokens.id_token.expect("id_token").expose().to_string(),
        access_token: tokens.access_token.expose().to_string(),
        expected,
    }
}

/// What WebCrypto's `verify("RSASSA-PKCS1-v1_5", key, signature, signingInput)` answers, natively.
fn verify_natively(jws: &Jws, jwks: &Jwks) -> SignatureVerdict {
    if jws.alg() != Some("RS256") {
        return SignatureVerdict::NotVerified;
    }
    let Ok(key) = select_jwk(jwks, jws.kid()) else { return SignatureVerdict::NotVerified };
    let part = |v: &Option<String>| URL_SAFE_NO_PAD.decode(v.as_deref().unwrap_or_default()).unwrap_or_default();
    let Ok(public) = RsaPublicKey::new(BigUint::from_bytes_be(&part(&key.n)), BigUint::from_bytes_be(&part(&key.e))) else {
        return SignatureVerdict::NotVerified;
    };
    let Ok(signature) = Signature::try_from(jws.signature.as_slice()) else { return SignatureVerdict::Invalid };
    match VerifyingKey::<Sha256>::new(public).verify(&jws.signing_input, &signature) {
        Ok(()) => SignatureVerdict::Valid,
        Err(_) => SignatureVerdict::Invalid,
    }
}

/// The app's whole check of a compact token; `None` when it does not even split.
fn check(s: &SignedIn, token: &str, expected: &IdTokenExpectations) -> Option<IdTokenReport> {
    let jws = split_jws(token).ok()?;
    let verdict = verify_natively(&jws, &s.jwks);
    Some(check_id_token(&jws, expected, Some(&Sha256::digest(s.access_token.as_bytes())), &s.jwks, verdict))
}

fn failed(r: &IdTokenReport) -> Vec<CheckName> {
    r.failures().map(|c| c.name).collect()
}

fn parts(token: &str) -> Vec<String> {
    token.split('.').map(str::to_string).collect()
}

#[test]
fn the_sandboxs_id_token_passes_every_check() {
    let s = signed_in(41);
    let r = check(&s, &s.id_token, &s.expected).expect("splits");
    assert_eq!(r.verdict(), IdTokenVerdict::Valid, "{r:#?}");
    assert_eq!(r.checks.len(), 9);
    assert!(r.check(CheckName::AtHash).unwrap().reason.contains("matches"), "the sandbox sends at_hash");
    assert_eq!(s.jwks.keys.len(), 1);
    assert_eq!(s.jwks.keys[0].kid.as_deref(), Some(s.h.sandbox.signing_key_id()));
}

#[test]
fn a_flipped_payload_byte_breaks_the_signature() {
    let s = signed_in(42);
    let p = parts(&s.id_token);
    let mut payload = URL_SAFE_NO_PAD.decode(&p[1]).unwrap();
    let at = payload.windows(7).position(|w| w == b"\"sub\":\"").expect("a sub claim") + 7;
    payload[at] = if payload[at] == b'0' { b'1' } else { b'0' };
    let tampered = format!("{}.{}.{}", p[0], base64url(&payload), p[2]);
    let r = check(&s, &tampered, &s.expected).expect("still splits");
    assert_eq!(failed(&r), [CheckName::Signature], "{r:#?}");
    assert_eq!(r.verdict(), IdTokenVerdict::Invalid);

    // Any one character changed anywhere: the token never verifies (or does not even split).
    let bytes = s.id_token.as_bytes();
    for i in (0..bytes.len()).step_by(13).filter(|&i| bytes[i] != b'.') {
        let mut t = bytes.to_vec();
        t[i] = if t[i] == b'A' { b'B' } else { b'A' };
        let t = String::from_utf8(t).unwrap();
        if let Some(r) = check(&s, &t, &s.expected) {
            assert_eq!(r.verdict(), IdTokenVerdict::Invalid, "char {i} changed: {r:#?}");
        }
    }
}

#[test]
fn an_unknown_kid_finds_no_key() {
    let s = signed_in(43);
    let p = parts(&s.id_token);
    let header = base64url(br#"{"alg":"RS256","typ":"JWT","kid":"someone-elses-key"}"#);
    let r = check(&s, &format!("{header}.{}.{}", p[1], p[2]), &s.expected).unwrap();
    assert_eq!(failed(&r), [CheckName::Kid, CheckName::Signature], "{r:#?}");
    assert!(r.check(CheckName::Kid).unwrap().reason.contains("someone-elses-key"));
}

#[test]
fn alg_none_and_hs256_are_refused() {
    let s = signed_in(44);
    let p = parts(&s.id_token);
    let none = base64url(br#"{"alg":"none","typ":"JWT"}"#);
    let r = check(&s, &format!("{none}.{}.", p[1]), &s.expected).unwrap();
    assert!(failed(&r).contains(&CheckName::Alg) && failed(&r).contains(&CheckName::Signature), "{r:#?}");
    assert_eq!(r.verdict(), IdTokenVerdict::Invalid);
    // HS256 "signed" with the public modulus as the HMAC key (the classic key-confusion attack).
    let kid = s.jwks.keys[0].kid.clone().unwrap();
    let hs = base64url(format!(r#"{{"alg":"HS256","typ":"JWT","kid":"{kid}"}}"#).as_bytes());
    let r = check(&s, &format!("{hs}.{}.{}", p[1], base64url(&[0u8; 32])), &s.expected).unwrap();
    assert_eq!(failed(&r), [CheckName::Alg, CheckName::Signature], "{r:#?}");
}

#[test]
fn expired_wrong_audience_wrong_nonce_and_wrong_issuer_fail_alone() {
    let s = signed_in(45);
    let exp = split_jws(&s.id_token).unwrap().claims["exp"].as_u64().unwrap();
    let iat = split_jws(&s.id_token).unwrap().claims["iat"].as_u64().unwrap();
    let cases: [(IdTokenExpectations, CheckName); 5] = [
        (IdTokenExpectations { now_s: exp + 61, ..s.expected.clone() }, CheckName::Exp),
        (IdTokenExpectations { now_s: iat - 61, ..s.expected.clone() }, CheckName::Iat),
        (IdTokenExpectations { client_id: "another-application".into(), ..s.expected.clone() }, CheckName::Aud),
        (IdTokenExpectations { nonce: "another-authorize-request".into(), ..s.expected.clone() }, CheckName::Nonce),
        (IdTokenExpectations { issuer: "https://auth.pingone.eu/other/as".into(), ..s.expected.clone() }, CheckName::Iss),
    ];
    for (expected, name) in cases {
        let r = check(&s, &s.id_token, &expected).unwrap();
        assert_eq!(failed(&r), [name], "{r:#?}");
        assert_eq!(r.verdict(), IdTokenVerdict::Invalid);
    }
    // Within the clock skew an expired token is still accepted.
    let r = check(&s, &s.id_token, &IdTokenExpectations { now_s: exp + 59, ..s.expected.clone() }).unwrap();
    assert!(r.is_valid());
}

#[test]
fn an_id_token_with_another_access_token_fails_at_hash() {
    let s = signed_in(46);
    let jws = split_jws(&s.id_token).unwrap();
    let verdict = verify_natively(&jws, &s.jwks);
    let r = check_id_token(&jws, &s.expected, Some(&Sha256::digest(b"a different access token")), &s.jwks, verdict);
    assert_eq!(failed(&r), [CheckName::AtHash]);
}

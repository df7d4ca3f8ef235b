//! `sandbox::errors::EMITTED_ERROR_CODES` / `EMITTED_OAUTH_ERRORS` are complete and exact:
//! * every response of every integration test goes through `Client::note`, which fails on a code
//!   missing from the lists (and `tests/properties.rs` does the same for random traffic);
//! * the source builds no error code outside the typed enums of `src/errors.rs` (scan below);
//! * this file drives every listed code at least once, so no entry is stale.

mod common;

use common::*;
use pingone::http::{HttpRequest, Method};
use sandbox::errors::{EMITTED_ERROR_CODES, EMITTED_OAUTH_ERRORS};
use serde_json::json;
use std::collections::BTreeSet;

/// Only the HTTP server emits it (a body over `--max-body-bytes`); `tests/http_server.rs` checks it.
const SERVER_ONLY: &[&str] = &["REQUEST_TOO_LARGE"];

fn token_post(c: &Client, auth: String, form: &[(&str, &str)]) -> HttpRequest {
    HttpRequest::new(Method::Post, format!("{}/as/token", c.auth())).header("Authorization", auth).form_body(form)
}

fn start_flow(c: &mut Client, app_id: &str, p: &Pkce) -> String {
    let r = c.authorize(&Client::authorize_params(app_id, p, Some("pi.flow")));
    assert_eq!(r.status, 200, "{}", r.body);
    body(&r)["id"].as_str().unwrap().to_string()
}

/// Authorize in redirect mode with some parameters replaced.
fn authorize_redirect(c: &mut Client, app_id: &str, p: &Pkce, overrides: &[(&str, &str)]) -> pingone::http::HttpResponse {
    let mut params = Client::authorize_params(app_id, p, None);
    for (k, v) in overrides {
        params.retain(|(n, _)| n != k);
        params.push((k, v));
    }
    c.authorize(&params)
}

#[test]
fn every_listed_code_is_emitted_somewhere() {
    let mut c = Client::new(41);
    let s = c.provision(&["EMAIL", "SMS"], Client::default_mfa_action());
    let p = pkce(2);

    // ----- management API -----
    c.send(HttpRequest::new(Method::Get, format!("{}/users", c.api_env()))); // ACCESS_FAILED + INVALID_TOKEN
    c.mgmt(Method::Get, "/users/00000000-0000-4000-8000-000000000000", None); // NOT_FOUND
    c.mgmt(Method::Patch, "/users", None); // METHOD_NOT_ALLOWED
    let mut plain_text = c.mgmt_req(Method::Post, "/populations").header("Content-Type", "text/plain");
    plain_text.body = Some("x".into());
    c.send(plain_text); // UNSUPPORTED_MEDIA_TYPE
    c.send(HttpRequest::new(Method::Get, format!("{}/as/authorize?response_mode=pi.flow", c.auth())).header("Accept", "application/json")); // NOT_ACCEPTABLE
    c.mgmt(Method::Post, "/populations", Some(json!({}))); // INVALID_DATA + REQUIRED_VALUE
    c.mgmt(Method::Get, "/users?filter=nonsense", None); // INVALID_VALUE
    c.mgmt(Method::Post, "/populations", Some(json!({ "name": format!("Pop {}", s.app_id) }))); // UNIQUENESS_VIOLATION
    c.mgmt(Method::Delete, &format!("/populations/{}", s.population_id), None); // CONSTRAINT_VIOLATION

    // ----- the flow API -----
    let flow = start_flow(&mut c, &s.app_id, &p);
    c.flow_post(&flow, "otp.check", json!({ "otp": "000000" })); // INVALID_REQUEST (wrong status)
    for i in 0..5 {
        c.login(&flow, &s.username, &format!("Wrong-Horse-{i}!")); // INVALID_CREDENTIALS, then PASSWORD_LOCKED_OUT
    }
    let unlock = c
        .mgmt_req(Method::Put, &format!("/users/{}/password", s.user_id))
        .json_body("application/vnd.pingidentity.password.set+json", &json!({ "value": PASSWORD, "forceChange": false }));
    assert_eq!(c.send(unlock).status, 200);
    let flow = start_flow(&mut c, &s.app_id, &p);
    assert_eq!(body(&c.login(&flow, &s.username, PASSWORD))["status"], "DEVICE_SELECTION_REQUIRED");
    c.flow_post(&flow, "device.select", json!({ "device": { "id": s.device_ids[0] } }));
    for _ in 0..3 {
        c.flow_post(&flow, "otp.check", json!({ "otp": "999999x" })); // INVALID_OTP, then QUOTA_EXCEEDED
    }
    c.flow_get(&flow); // a FAILED flow's error.code QUOTA_EXCEEDED

    // MFA required but no device: the flow fails NO_USABLE_DEVICES.
    let deviceless = c.provision(&[], Client::default_mfa_action());
    let flow = start_flow(&mut c, &deviceless.app_id, &p);
    assert_eq!(body(&c.login(&flow, &deviceless.username, PASSWORD))["error"]["code"], "NO_USABLE_DEVICES");

    // A policy without LOGIN: the flow fails UNSUPPORTED_POLICY; resumed in redirect mode, the
    // failure goes to the redirect URI as access_denied.
    let (bare_app, _) = c.create_app(json!({}));
    let bare_policy =
        c.mgmt_ok(Method::Post, "/signOnPolicies", Some(json!({ "name": "No_Login" })), 201)["id"].as_str().unwrap().to_string();
    c.mgmt_ok(
        Method::Post,
        &format!("/applications/{bare_app}/signOnPolicyAssignments"),
        Some(json!({ "priority": 1, "signOnPolicy": { "id": bare_policy } })),
        201,
    );
    let r = authorize_redirect(&mut c, &bare_app, &p, &[("scope", "openid"), ("response_mode", "pi.flow")]);
    assert_eq!(body(&r)["error"]["code"], "UNSUPPORTED_POLICY", "{}", r.body);
    let r = authorize_redirect(&mut c, &bare_app, &p, &[("scope", "openid")]);
    assert_eq!(r.status, 302, "{}", r.body);
    let flow_id = param(&url_params(r.headers.get("location").unwrap()), "flowId").unwrap().to_string();
    let r = c.resume(&flow_id);
    assert_eq!(param(&url_params(r.headers.get("location").unwrap_or_default()), "error"), Some("access_denied"), "{}", r.body);

    // ----- authorize errors on the redirect -----
    authorize_redirect(&mut c, &s.app_id, &p, &[("response_type", "token")]); // unsupported_response_type
    authorize_redirect(&mut c, &s.app_id, &p, &[("scope", "profile")]); // invalid_scope
    authorize_redirect(&mut c, &s.app_id, &p, &[("prompt", "none")]); // login_required

    // ----- the token endpoint -----
    let app = basic(&s.app_id, &s.app_secret);
    c.send(token_post(&c, app.clone(), &[])); // invalid_request
    c.send(token_post(&c, app.clone(), &[("grant_type", "password")])); // unsupported_grant_type
    c.send(token_post(&c, basic(&s.app_id, "wrong"), &[("grant_type", "authorization_code"), ("code", "x")])); // invalid_client
    c.send(token_post(&c, app.clone(), &[("grant_type", "authorization_code"), ("code", "x"), ("redirect_uri", REDIRECT_URI)])); // invalid_grant
    c.send(token_post(&c, app, &[("grant_type", "client_credentials")])); // unauthorized_client

    // ----- fault injection -----
    c.sb.set_fail_rate(1.0);
    for _ in 0..40 {
        c.send_faulty(HttpRequest::new(Method::Get, format!("{}/as/jwks", c.auth())));
        // SERVICE_UNAVAILABLE, REQUEST_LIMITED
    }

    let listed: BTreeSet<String> =
        EMITTED_ERROR_CODES.iter().chain(EMITTED_OAUTH_ERRORS).filter(|c| !SERVER_ONLY.contains(c)).map(|c| c.to_string()).collect();
    let missing: Vec<&String> = listed.difference(&c.seen_codes).collect();
    assert!(missing.is_empty(), "listed but never emitted here: {missing:?}");
    // `Client::note` already refused any unlisted code; say so explicitly.
    assert!(c.seen_codes.iter().all(|code| listed.contains(code)));
}

/// String literals that look like error codes, found where a response body or a redirect is
/// built outside `src/errors.rs`: a literal `"code": "..."` or `("error", "...")` pair, or a
/// literal passed to `.fail(`. Every code must come from the typed enums instead.
#[test]
fn no_error_code_is_built_outside_the_typed_enums() {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = vec![src.clone()];
    let mut offenders = Vec::new();
    let mut scanned = 0;
    while let Some(path) = files.pop() {
        if path.is_dir() {
            files.extend(std::fs::read_dir(&path).expect("read src").map(|e| e.expect("entry").path()));
            continue;
        }
        if path.extension().is_none_or(|e| e != "rs") || path.ends_with("errors.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("read a source file");
        scanned += 1;
        // Unit tests may spell codes out.
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        for (n, line) in code.lines().enumerate() {
            let squeezed: String = line.split_whitespace().collect();
            let literal_code = ["\"code\":\"", "(\"error\",\"", ".fail(\""].iter().any(|p| squeezed.contains(p));
            if literal_code {
                offenders.push(format!("{}:{}: {}", path.display(), n + 1, line.trim()));
            }
        }
    }
    assert!(scanned >= 10, "the scan found the sources ({scanned} files)");
    assert!(offenders.is_empty(), "error codes built outside src/errors.rs:\n{}", offenders.join("\n"));
}

//! The auth host (calls 14–18, 20): authorize, the flow API, resume and the token endpoint,
//! end to end in both response modes, and every error on the way.

mod common;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use common::*;
use pingone::http::{HttpRequest, HttpResponse, Method};
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::signature::Verifier;
use rsa::{BigUint, RsaPublicKey};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

fn link_names(flow: &Value) -> Vec<String> {
    let mut names: Vec<String> = flow["_links"].as_object().unwrap().keys().cloned().collect();
    names.sort();
    names
}

fn set_cookies(r: &HttpResponse) -> Vec<String> {
    r.headers.get_all("set-cookie").map(str::to_string).collect()
}

/// Verifies an RS256 JWT against the sandbox's JWKS (fetched over the API, as a client would).
fn verify_with_jwks(c: &mut Client, jwt: &str) -> Value {
    let jwks = body(&c.send(HttpRequest::new(Method::Get, format!("{}/as/jwks", c.auth()))));
    let (header, claims) = decode_jwt(jwt);
    let key = jwks["keys"].as_array().unwrap().iter().find(|k| k["kid"] == header["kid"]).expect("kid in the JWKS");
    assert_eq!((key["kty"].as_str(), key["alg"].as_str(), key["use"].as_str()), (Some("RSA"), Some("RS256"), Some("sig")));
    let n = URL_SAFE_NO_PAD.decode(key["n"].as_str().unwrap()).unwrap();
    let e = URL_SAFE_NO_PAD.decode(key["e"].as_str().unwrap()).unwrap();
    let public = RsaPublicKey::new(BigUint::from_bytes_be(&n), BigUint::from_bytes_be(&e)).unwrap();
    let (signed, sig) = jwt.rsplit_once('.').unwrap();
    let sig = Signature::try_from(URL_SAFE_NO_PAD.decode(sig).unwrap().as_slice()).unwrap();
    VerifyingKey::<Sha256>::new(public).verify(signed.as_bytes(), &sig).expect("the signature verifies against the JWKS");
    // A tampered payload does not.
    let parts: Vec<&str> = jwt.split('.').collect();
    let tampered = format!("{}.{}", parts[0], URL_SAFE_NO_PAD.encode(b"{\"sub\":\"x\"}"));
    assert!(VerifyingKey::<Sha256>::new(RsaPublicKey::new(BigUint::from_bytes_be(&n), BigUint::from_bytes_be(&e)).unwrap())
        .verify(tampered.as_bytes(), &sig)
        .is_err());
    claims
}

#[test]
fn pi_flow_happy_path_end_to_end() {
    // Resume answered as JSON (the setting); the default 302 is `pi_flow_resume_redirects_with_the_code`.
    let mut c = Client::with_config(SandboxConfig { seed: 21, resume: ResumeAnswer::Json, ..SandboxConfig::default() });
    let s = c.provision(&["EMAIL"], Client::default_mfa_action());
    let p = pkce(1);

    // 14: authorize (pi.flow) answers the flow as JSON and sets the flow cookie.
    let r = c.authorize(&Client::authorize_params(&s.app_id, &p, Some("pi.flow")));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.headers.get("content-type"), Some("application/hal+json;charset=UTF-8"));
    let flow = body(&r);
    let flow_id = flow["id"].as_str().unwrap().to_string();
    assert_eq!(flow["status"], "USERNAME_PASSWORD_REQUIRED");
    assert_eq!(flow["environment"]["id"], c.env().as_str());
    assert_eq!(flow["resumeUrl"], format!("{}/as/resume?flowId={flow_id}", c.auth()));
    assert_eq!(flow["_links"]["self"]["href"], c.flow_url(&flow_id));
    assert_eq!(link_names(&flow), ["self", "session.reset", "signOnPage", "usernamePassword.check"]);
    assert_eq!(flow["_embedded"]["passwordPolicy"]["lockout"]["failureCount"], 5);
    assert!(flow["expiresAt"].as_str().unwrap().starts_with("2026-01-01T00:15:00."), "15 minutes after creation: {}", flow["expiresAt"]);
    let cookies = set_cookies(&r);
    assert_eq!(cookies.len(), 1);
    assert!(cookies[0].starts_with("P1FLOW="));
    assert!(cookies[0].ends_with(&format!("; Path=/{}; Secure; HttpOnly; SameSite=None", c.env())));

    // 15: read it.
    let r = c.flow_get(&flow_id);
    assert_eq!((r.status, body(&r)["status"].as_str()), (200, Some("USERNAME_PASSWORD_REQUIRED")));

    // 16: username + password: ST cookies, an OTP to the only device.
    let r = c.login(&flow_id, &s.username, PASSWORD);
    assert_eq!(r.status, 200, "{}", r.body);
    let flow = body(&r);
    assert_eq!(flow["status"], "OTP_REQUIRED");
    assert_eq!(flow["selectedDevice"]["id"], s.device_ids[0].as_str());
    assert_eq!(link_names(&flow), ["device.select", "otp.check", "self", "signOnPage"]);
    assert_eq!(flow["_embedded"]["user"]["username"], s.username.as_str());
    let devices = flow["_embedded"]["devices"].as_array().unwrap();
    assert_eq!(devices.len(), 1);
    assert_eq!(devices[0]["type"], "EMAIL");
    assert!(devices[0]["email"].as_str().unwrap().contains("*****@example.com"), "masked: {}", devices[0]["email"]);
    let cookies = set_cookies(&r);
    assert_eq!(cookies.len(), 2);
    let st = cookies[0].strip_prefix("ST=").unwrap().split(';').next().unwrap().to_string();
    let env = c.env();
    assert_eq!(
        cookies[0],
        format!("ST={st}; Path=/{env}; Max-Age=2592000; Expires=Sat, 31 Jan 2026 00:00:00 GMT; Secure; HttpOnly; SameSite=None")
    );
    assert_eq!(cookies[1], format!("ST-NO-SS={st}; Path=/{env}; Max-Age=2592000; Expires=Sat, 31 Jan 2026 00:00:00 GMT; Secure; HttpOnly"));
    let sent = c.sb.outbox().to_vec();
    assert_eq!(sent.len(), 1);
    assert_eq!((sent[0].to.as_str(), sent[0].device_id.as_str()), (s.email.as_str(), s.device_ids[0].as_str()));
    assert_eq!(sent[0].otp.len(), 6);
    assert!(sent[0].otp.bytes().all(|b| b.is_ascii_digit()));
    // The outbox is also an HTTP path (not a PingOne one).
    let outbox = body(&c.send(HttpRequest::new(Method::Get, "https://auth.pingone.com/_sandbox/outbox")));
    assert_eq!(outbox[0]["otp"], sent[0].otp.as_str());
    assert_eq!(outbox[0]["sent_at"], sent[0].sent_at.as_str());

    // 17: the OTP completes the flow.
    let r = c.flow_post(&flow_id, "otp.check", json!({ "otp": sent[0].otp }));
    assert_eq!(r.status, 200, "{}", r.body);
    let flow = body(&r);
    assert_eq!(flow["status"], "COMPLETED");
    assert_eq!(link_names(&flow), ["self"]);
    assert!(flow.get("authorizeResponse").is_none());

    // 18: resume gives the code (pi.flow, the JSON setting).
    let r = c.resume(&flow_id);
    assert_eq!(r.status, 200, "{}", r.body);
    let resumed = body(&r);
    assert_eq!(resumed["status"], "COMPLETED");
    assert_eq!(resumed["authorizeResponse"]["state"], "st-123");
    let code = resumed["authorizeResponse"]["code"].as_str().unwrap().to_string();
    assert_eq!(c.resume(&flow_id).status, 404, "a resumed flow is gone");

    // 20: the code for tokens.
    let r = c.send(c.token_request(
        &s,
        &[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", REDIRECT_URI), ("code_verifier", &p.verifier)],
    ));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.headers.get("cache-control"), Some("no-store"));
    let tokens = body(&r);
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 3600);
    assert_eq!(tokens["scope"], "openid profile email");
    assert!(tokens.get("refresh_token").is_none(), "no REFRESH_TOKEN grant type");
    let access = tokens["access_token"].as_str().unwrap().to_string();
    let id = verify_with_jwks(&mut c, tokens["id_token"].as_str().unwrap());
    assert_eq!(id["iss"], format!("{}/as", c.auth()));
    assert_eq!(id["aud"], s.app_id.as_str());
    assert_eq!(id["sub"], s.user_id.as_str());
    assert_eq!(id["nonce"], "n-456");
    assert_eq!(id["sid"], st.as_str());
    assert_eq!(id["amr"], json!(["pwd", "otp"]));
    assert_eq!(id["acr"], format!("Login_MFA_{}", s.app_id));
    assert_eq!(id["env"], c.env().as_str());
    assert_eq!(id["p1.region"], "NA");
    assert_eq!(id["exp"].as_u64().unwrap() - id["iat"].as_u64().unwrap(), 3600);
    assert!(id["auth_time"].as_u64().unwrap() <= id["iat"].as_u64().unwrap());
    assert_eq!(id["at_hash"], URL_SAFE_NO_PAD.encode(&Sha256::digest(access.as_bytes())[..16]));
    assert_eq!(
        (id["given_name"].as_str(), id["family_name"].as_str(), id["name"].as_str()),
        (Some("Jamie"), Some("Doe"), Some("Jamie Doe"))
    );
    assert_eq!(id["preferred_username"], s.username.as_str());
    assert_eq!(id["email"], s.email.as_str());
    assert!(id.get("phone_number").is_none(), "phone was not requested");
    let at = verify_with_jwks(&mut c, &access);
    assert_eq!(
        (at["client_id"].as_str(), at["sub"].as_str(), at["scope"].as_str()),
        (Some(s.app_id.as_str()), Some(s.user_id.as_str()), Some("openid profile email"))
    );

    // userinfo with the access token.
    let r = c.send(HttpRequest::new(Method::Get, format!("{}/as/userinfo", c.auth())).header("Authorization", format!("Bearer {access}")));
    assert_eq!(r.status, 200);
    assert_eq!(body(&r)["sub"], s.user_id.as_str());
    assert_eq!(body(&r)["email"], s.email.as_str());
    let r = c.send(HttpRequest::new(Method::Get, format!("{}/as/userinfo", c.auth())));
    assert_eq!(r.status, 401);

    // The code is single-use.
    let r = c.send(c.token_request(
        &s,
        &[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", REDIRECT_URI), ("code_verifier", &p.verifier)],
    ));
    assert_eq!((r.status, body(&r)["error"].as_str()), (400, Some("invalid_grant")));
}

#[test]
fn redirect_mode_happy_path() {
    let mut c = Client::new(22);
    let s = c.provision(&["EMAIL"], Client::default_mfa_action());
    let p = pkce(2);
    let r = c.authorize(&Client::authorize_params(&s.app_id, &p, None));
    assert_eq!(r.status, 302, "{}", r.body);
    let location = r.headers.get("location").unwrap().to_string();
    assert!(location.starts_with(&format!("{AUTH_ROOT}/{}/signon/?", c.env())), "{location}");
    let q = url_params(&location);
    assert_eq!(param(&q, "environmentId"), Some(c.env().as_str()));
    let flow_id = param(&q, "flowId").unwrap().to_string();
    assert!(set_cookies(&r)[0].starts_with("P1FLOW="));
    assert_eq!(body(&c.flow_get(&flow_id))["status"], "USERNAME_PASSWORD_REQUIRED");
    c.login(&flow_id, &s.username, PASSWORD);
    let otp = c.newest_otp();
    assert_eq!(body(&c.flow_post(&flow_id, "otp.check", json!({ "otp": otp })))["status"], "COMPLETED");
    let r = c.resume(&flow_id);
    assert_eq!(r.status, 302, "{}", r.body);
    let location = r.headers.get("location").unwrap();
    assert!(location.starts_with(&format!("{REDIRECT_URI}?code=")), "{location}");
    let q = url_params(location);
    assert_eq!(param(&q, "state"), Some("st-123"));
    let code = param(&q, "code").unwrap().to_string();
    let r = c.send(c.token_request(
        &s,
        &[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", REDIRECT_URI), ("code_verifier", &p.verifier)],
    ));
    assert_eq!(r.status, 200, "{}", r.body);

    // response_mode=fragment puts the code after `#`.
    let r = c.authorize(&Client::authorize_params(&s.app_id, &p, Some("fragment")));
    let flow_id = param(&url_params(r.headers.get("location").unwrap()), "flowId").unwrap().to_string();
    c.login(&flow_id, &s.username, PASSWORD);
    let otp = c.newest_otp();
    c.flow_post(&flow_id, "otp.check", json!({ "otp": otp }));
    let r = c.resume(&flow_id);
    assert!(r.headers.get("location").unwrap().starts_with(&format!("{REDIRECT_URI}#code=")));

    // A login page URL replaces the hosted page.
    let (app2, _) = c.create_app(json!({ "loginPageUrl": "https://login.example.com/signon" }));
    let r = c.authorize(&[
        ("response_type", "code"),
        ("client_id", &app2),
        ("redirect_uri", REDIRECT_URI),
        ("scope", "openid"),
        ("code_challenge", &p.challenge),
        ("code_challenge_method", "S256"),
    ]);
    assert!(r.headers.get("location").unwrap().starts_with("https://login.example.com/signon?environmentId="));
}

#[test]
fn discovery_and_jwks() {
    let mut c = Client::new(23);
    let r = c.send(HttpRequest::new(Method::Get, format!("{}/as/.well-known/openid-configuration", c.auth())));
    assert_eq!(r.status, 200);
    let d = body(&r);
    assert_eq!(d["issuer"], format!("{}/as", c.auth()));
    assert_eq!(d["jwks_uri"], format!("{}/as/jwks", c.auth()));
    assert_eq!(d["token_endpoint"], format!("{}/as/token", c.auth()));
    assert!(d["response_modes_supported"].as_array().unwrap().contains(&json!("pi.flow")));
    assert!(d["code_challenge_methods_supported"].as_array().unwrap().contains(&json!("S256")));
    let jwks = body(&c.send(HttpRequest::new(Method::Get, format!("{}/as/jwks", c.auth()))));
    assert_eq!(jwks["keys"][0]["kid"], c.sb.signing_key_id());
    assert_eq!(jwks["keys"][0]["e"], "AQAB");
    let r = c.send(HttpRequest::new(Method::Post, format!("{}/as/jwks", c.auth())));
    assert_eq!(r.status, 405);
    let r = c.send(HttpRequest::new(Method::Get, format!("{AUTH_ROOT}/00000000-0000-4000-8000-000000000000/as/jwks")));
    assert_eq!((r.status, body(&r)["code"].as_str()), (404, Some("NOT_FOUND")), "unknown environment");
}

// ---------- authorize errors ----------

#[test]
fn authorize_rejects_bad_clients_and_redirect_uris_as_json() {
    let mut c = Client::new(24);
    let s = c.provision(&["EMAIL"], Client::default_mfa_action());
    let p = pkce(3);
    let with = |replace: &[(&'static str, &'static str)], drop: &[&str], mode: Option<&'static str>| {
        let mut params: Vec<(String, String)> =
            Client::authorize_params(&s.app_id, &p, mode).into_iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        params.retain(|(k, _)| !drop.contains(&k.as_str()));
        for (k, v) in replace {
            params.retain(|(n, _)| n != k);
            params.push((k.to_string(), v.to_string()));
        }
        params
    };
    let send = |c: &mut Client, params: Vec<(String, String)>| {
        let refs: Vec<(&str, &str)> = params.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        c.authorize(&refs)
    };
    for (params, code, target) in [
        (with(&[], &["client_id"], None), "REQUIRED_VALUE", "client_id"),
        (with(&[("client_id", "00000000-0000-4000-8000-000000000000")], &[], None), "INVALID_VALUE", "client_id"),
        (with(&[("redirect_uri", "https://evil.example.com/cb")], &[], None), "INVALID_VALUE", "redirect_uri"),
        (with(&[("redirect_uri", "https://evil.example.com/cb")], &[], Some("pi.flow")), "INVALID_VALUE", "redirect_uri"),
        (with(&[], &["redirect_uri"], None), "REQUIRED_VALUE", "redirect_uri"),
    ] {
        let r = send(&mut c, params.clone());
        assert_eq!(r.status, 400, "{params:?}: {}", r.body);
        assert_eq!(body(&r)["code"], "INVALID_DATA");
        assert_eq!((detail_code(&r).as_str(), detail_target(&r).as_str()), (code, target), "{params:?}");
        assert!(r.headers.get("location").is_none());
    }
    // pi.flow does not need a redirect_uri; then the token request must not send one either.
    let r = send(&mut c, with(&[], &["redirect_uri"], Some("pi.flow")));
    assert_eq!(r.status, 200, "{}", r.body);
    let flow_id = body(&r)["id"].as_str().unwrap().to_string();
    c.login(&flow_id, &s.username, PASSWORD);
    let otp = c.newest_otp();
    c.flow_post(&flow_id, "otp.check", json!({ "otp": otp }));
    let code = resumed_code(&c.resume(&flow_id));
    let r = c.send(c.token_request(&s, &[("grant_type", "authorization_code"), ("code", &code), ("code_verifier", &p.verifier)]));
    assert_eq!(r.status, 200, "{}", r.body);
    // A duplicated parameter.
    let mut dup = with(&[], &[], Some("pi.flow"));
    dup.push(("scope".into(), "openid".into()));
    assert_eq!(send(&mut c, dup).status, 400);
}

#[test]
fn authorize_errors_after_a_good_redirect_uri_go_on_the_redirect() {
    let mut c = Client::new(25);
    let s = c.provision(&["EMAIL"], Client::default_mfa_action());
    let p = pkce(4);
    let (app_plain, _) = c.create_app(json!({ "pkceEnforcement": "OPTIONAL" }));
    type Case<'a> = (Vec<(&'a str, &'a str)>, &'a str, &'a str);
    let cases: Vec<Case> = vec![
        (vec![("response_type", "token")], "unsupported_response_type", "response_type"),
        (vec![("response_type", "")], "invalid_request", "response_type"),
        (vec![("scope", "openid address")], "invalid_scope", "scope"),
        (vec![("scope", "profile email")], "invalid_scope", "scope"),
        (vec![("scope", "openid nonsense")], "invalid_scope", "scope"),
        (vec![("code_challenge", "")], "invalid_request", "code_challenge"),
        (vec![("code_challenge_method", "plain")], "invalid_request", "code_challenge_method"),
        (vec![("code_challenge_method", "S512")], "invalid_request", "code_challenge_method"),
        (vec![("code_challenge", "too-short")], "invalid_request", "code_challenge"),
        (vec![("prompt", "none")], "login_required", "prompt"),
        (vec![("response_mode", "jwt")], "invalid_request", "response_mode"),
    ];
    for (overrides, error, target) in cases {
        let mut params = Client::authorize_params(&s.app_id, &p, None);
        let mut pi = Client::authorize_params(&s.app_id, &p, Some("pi.flow"));
        for (k, v) in &overrides {
            params.retain(|(n, _)| n != k);
            pi.retain(|(n, _)| n != k);
            params.push((k, v));
            pi.push((k, v));
        }
        let r = c.authorize(&params);
        assert_eq!(r.status, 302, "{overrides:?}: {}", r.body);
        let location = r.headers.get("location").unwrap();
        assert!(location.starts_with(REDIRECT_URI), "{location}");
        let q = url_params(location);
        assert_eq!(param(&q, "error"), Some(error), "{overrides:?}: {location}");
        assert!(param(&q, "error_description").is_some());
        assert_eq!(param(&q, "state"), Some("st-123"));
        // The same in pi.flow mode: a JSON error naming the parameter.
        if target != "response_mode" {
            let r = c.authorize(&pi);
            assert_eq!((r.status, detail_target(&r).as_str()), (400, target), "{overrides:?}: {}", r.body);
        }
    }
    // PKCE optional: no challenge is fine; a plain challenge is fine.
    let r = c.authorize(&[
        ("response_type", "code"),
        ("client_id", &app_plain),
        ("redirect_uri", REDIRECT_URI),
        ("scope", "openid"),
        ("response_mode", "pi.flow"),
    ]);
    assert_eq!(r.status, 200, "{}", r.body);
}

// ---------- flow errors ----------

#[test]
fn flow_calls_need_the_flow_cookie_or_the_session() {
    let mut c = Client::new(26);
    let s = c.provision(&["EMAIL"], Client::default_mfa_action());
    let p = pkce(5);
    let flow_id = body(&c.authorize(&Client::authorize_params(&s.app_id, &p, Some("pi.flow"))))["id"].as_str().unwrap().to_string();
    let bare = c.send_bare(HttpRequest::new(Method::Get, c.flow_url(&flow_id)));
    assert_eq!((bare.status, body(&bare)["code"].as_str()), (401, Some("ACCESS_FAILED")));
    assert_eq!(detail_code(&bare), "INVALID_TOKEN");
    let wrong = c.send_bare(HttpRequest::new(Method::Get, c.flow_url(&flow_id)).header("Cookie", "P1FLOW=someone-else"));
    assert_eq!(wrong.status, 401);
    // A bearer token is accepted but not required, and does not replace the cookie.
    let bearer = c.send_bare(HttpRequest::new(Method::Get, c.flow_url(&flow_id)).header("Authorization", format!("Bearer {}", c.token)));
    assert_eq!(bearer.status, 401);
    let with_bearer = c.send(HttpRequest::new(Method::Get, c.flow_url(&flow_id)).header("Authorization", format!("Bearer {}", c.token)));
    assert_eq!(with_bearer.status, 200);
    // After the password, the ST cookie alone is enough.
    let r = c.login(&flow_id, &s.username, PASSWORD);
    let st = set_cookies(&r)[0].split(';').next().unwrap().to_string();
    let r = c.send_bare(HttpRequest::new(Method::Get, c.flow_url(&flow_id)).header("Cookie", st.clone()));
    assert_eq!((r.status, body(&r)["status"].as_str()), (200, Some("OTP_REQUIRED")));
    let otp = c.newest_otp();
    c.flow_post(&flow_id, "otp.check", json!({ "otp": otp }));
    let r = c.send_bare(HttpRequest::new(Method::Get, format!("{}/as/resume?flowId={flow_id}", c.auth())));
    assert_eq!(r.status, 401, "resume needs the cookies too");
    let r = c.send_bare(HttpRequest::new(Method::Get, format!("{}/as/resume?flowId={flow_id}", c.auth())).header("Cookie", st));
    assert_eq!(r.status, 302, "the ST cookie alone resumes");
    // Unknown flows.
    let r = c.flow_get("00000000-0000-4000-8000-000000000000");
    assert_eq!((r.status, body(&r)["code"].as_str()), (404, Some("NOT_FOUND")));
    let r = c.send(HttpRequest::new(Method::Get, format!("{}/as/resume", c.auth())));
    assert_eq!((r.status, detail_target(&r).as_str()), (400, "flowId"));
    let r = c.send(HttpRequest::new(Method::Delete, c.flow_url(&flow_id)));
    assert_eq!(r.status, 405);
}

#[test]
fn flow_actions_need_their_media_type_and_status() {
    let mut c = Client::new(27);
    let s = c.provision(&["EMAIL"], Client::default_mfa_action());
    let p = pkce(6);
    let flow_id = body(&c.authorize(&Client::authorize_params(&s.app_id, &p, Some("pi.flow"))))["id"].as_str().unwrap().to_string();
    let r = c.send(
        HttpRequest::new(Method::Post, c.flow_url(&flow_id)).json_body(JSON, &json!({ "username": s.username, "password": PASSWORD })),
    );
    assert_eq!((r.status, body(&r)["code"].as_str()), (415, Some("UNSUPPORTED_MEDIA_TYPE")), "plain JSON is refused");
    assert!(body(&r)["message"].as_str().unwrap().contains("usernamePassword.check+json"));
    let r =
        c.send(HttpRequest::new(Method::Post, c.flow_url(&flow_id)).json_body("application/vnd.pingidentity.nonsense+json", &json!({})));
    assert_eq!(r.status, 415);
    let r = c.flow_post(&flow_id, "otp.check", json!({ "otp": "123456" }));
    assert_eq!((r.status, body(&r)["code"].as_str()), (400, Some("INVALID_REQUEST")), "otp.check before the password");
    assert!(body(&r)["message"].as_str().unwrap().contains("USERNAME_PASSWORD_REQUIRED"));
    let r = c.flow_post(&flow_id, "password.forgot", json!({ "username": s.username }));
    assert_eq!(r.status, 400, "recovery is not enabled in this LOGIN action");
    let r = c.flow_post(&flow_id, "usernamePassword.check", json!({ "username": s.username }));
    assert_eq!((r.status, detail_code(&r).as_str(), detail_target(&r).as_str()), (400, "REQUIRED_VALUE", "password"));
    let mut bad = HttpRequest::new(Method::Post, c.flow_url(&flow_id));
    bad.headers.set("Content-Type", media("usernamePassword.check"));
    bad.body = Some("{oops".into());
    assert_eq!(body(&c.send(bad))["code"], "INVALID_DATA");
    // After completion, nothing but resume.
    c.login(&flow_id, &s.username, PASSWORD);
    let otp = c.newest_otp();
    c.flow_post(&flow_id, "otp.check", json!({ "otp": otp }));
    let r = c.login(&flow_id, &s.username, PASSWORD);
    assert_eq!((r.status, body(&r)["code"].as_str()), (400, Some("INVALID_REQUEST")));
}

#[test]
fn flows_expire_after_15_minutes_of_inactivity() {
    let mut c = Client::new(28);
    let s = c.provision(&["EMAIL"], Client::default_mfa_action());
    let p = pkce(7);
    let flow_id = body(&c.authorize(&Client::authorize_params(&s.app_id, &p, Some("pi.flow"))))["id"].as_str().unwrap().to_string();
    // Activity keeps it alive.
    c.now += 14 * 60_000;
    assert_eq!(c.flow_get(&flow_id).status, 200);
    c.now += 14 * 60_000;
    assert_eq!(c.flow_get(&flow_id).status, 200);
    c.login(&flow_id, &s.username, PASSWORD);
    let otp = c.newest_otp();
    c.flow_post(&flow_id, "otp.check", json!({ "otp": otp }));
    c.now += 15 * 60_000;
    let r = c.flow_get(&flow_id);
    assert_eq!((r.status, body(&r)["code"].as_str()), (404, Some("NOT_FOUND")));
    assert_eq!(c.resume(&flow_id).status, 404);
}

#[test]
fn resume_before_completion_is_refused() {
    let mut c = Client::new(29);
    let s = c.provision(&["EMAIL"], Client::default_mfa_action());
    let p = pkce(8);
    let flow_id = body(&c.authorize(&Client::authorize_params(&s.app_id, &p, Some("pi.flow"))))["id"].as_str().unwrap().to_string();
    let r = c.resume(&flow_id);
    assert_eq!((r.status, body(&r)["code"].as_str()), (400, Some("INVALID_REQUEST")));
    c.login(&flow_id, &s.username, PASSWORD);
    assert_eq!(c.resume(&flow_id).status, 400, "OTP_REQUIRED is not completed either");
    assert_eq!(body(&c.flow_get(&flow_id))["status"], "OTP_REQUIRED", "and the flow goes on");
}

#[test]
fn wrong_passwords_count_down_then_lock_for_900_seconds() {
    let mut c = Client::new(30);
    let s = c.provision(&["EMAIL"], Client::default_mfa_action());
    let p = pkce(9);
    let flow_id = body(&c.authorize(&Client::authorize_params(&s.app_id, &p, Some("pi.flow"))))["id"].as_str().unwrap().to_string();
    let r = c.login(&flow_id, "nobody", PASSWORD);
    assert_eq!((r.status, detail_code(&r).as_str()), (400, "INVALID_CREDENTIALS"), "unknown users look like wrong passwords");
    for (i, remaining) in [4, 3, 2, 1].into_iter().enumerate() {
        let r = c.login(&flow_id, &s.username, &format!("Wrong-Pass-{i}!"));
        assert_eq!(r.status, 400);
        let b = body(&r);
        assert_eq!((b["code"].as_str(), b["details"][0]["code"].as_str()), (Some("INVALID_DATA"), Some("INVALID_CREDENTIALS")));
        assert_eq!(b["details"][0]["message"], "Invalid username and/or password.");
        assert_eq!(b["details"][0]["innerError"]["remainingAttempts"], remaining, "attempt {i}");
        // Repeating the same wrong password is not counted again.
        let again = c.login(&flow_id, &s.username, &format!("Wrong-Pass-{i}!"));
        assert_eq!(body(&again)["details"][0]["innerError"]["remainingAttempts"], remaining);
    }
    assert_eq!(body(&c.flow_get(&flow_id))["status"], "USERNAME_PASSWORD_REQUIRED", "the flow stays where it was");
    let r = c.login(&flow_id, &s.username, "Wrong-Pass-5!");
    assert_eq!((r.status, detail_code(&r).as_str()), (400, "PASSWORD_LOCKED_OUT"));
    assert_eq!(body(&r)["details"][0]["innerError"]["secondsUntilUnlock"], 900);
    c.now += 100_000;
    let r = c.login(&flow_id, &s.username, PASSWORD);
    assert_eq!(detail_code(&r), "PASSWORD_LOCKED_OUT", "even the right password while locked");
    assert_eq!(body(&r)["details"][0]["innerError"]["secondsUntilUnlock"], 800);
    assert_eq!(c.mgmt_ok(Method::Get, &format!("/users/{}/password", s.user_id), None, 200)["status"], "PASSWORD_LOCKED_OUT");
    c.now += 800_000;
    let flow_id = body(&c.authorize(&Client::authorize_params(&s.app_id, &p, Some("pi.flow"))))["id"].as_str().unwrap().to_string();
    let r = c.login(&flow_id, &s.username, PASSWORD);
    assert_eq!((r.status, body(&r)["status"].as_str()), (200, Some("OTP_REQUIRED")), "unlocked after 900 s: {}", r.body);
}

#[test]
fn wrong_otps_count_down_then_fail_the_flow() {
    let mut c = Client::new(31);
    let s = c.provision(&["EMAIL"], Client::default_mfa_action());
    let p = pkce(10);
    let flow_id = body(&c.authorize(&Client::authorize_params(&s.app_id, &p, Some("pi.flow"))))["id"].as_str().unwrap().to_string();
    c.login(&flow_id, &s.username, PASSWORD);
    let right = c.newest_otp();
    let wrong = if right == "000000" { "111111" } else { "000000" };
    for remaining in [2, 1] {
        let r = c.flow_post(&flow_id, "otp.check", json!({ "otp": wrong }));
        assert_eq!((r.status, detail_code(&r).as_str(), detail_target(&r).as_str()), (400, "INVALID_OTP", "otp"));
        assert_eq!(body(&r)["details"][0]["innerError"]["remainingAttempts"], remaining);
        assert_eq!(body(&c.flow_get(&flow_id))["status"], "OTP_REQUIRED");
    }
    let r = c.flow_post(&flow_id, "otp.check", json!({ "otp": wrong }));
    assert_eq!((r.status, detail_code(&r).as_str()), (400, "QUOTA_EXCEEDED"));
    let flow = body(&c.flow_get(&flow_id));
    assert_eq!(flow["status"], "FAILED");
    assert_eq!(flow["error"]["code"], "QUOTA_EXCEEDED");
    assert_eq!(link_names(&flow), ["self"]);
    let r = c.flow_post(&flow_id, "otp.check", json!({ "otp": right }));
    assert_eq!(r.status, 400, "the right code is too late");
    assert_eq!(c.resume(&flow_id).status, 400, "pi.flow: a failed flow gives no code");
    // In redirect mode a failed flow resumes with error=access_denied.
    let r = c.authorize(&Client::authorize_params(&s.app_id, &p, None));
    let flow_id = param(&url_params(r.headers.get("location").unwrap()), "flowId").unwrap().to_string();
    c.login(&flow_id, &s.username, PASSWORD);
    for _ in 0..3 {
        c.flow_post(&flow_id, "otp.check", json!({ "otp": "999999x" }));
    }
    let r = c.resume(&flow_id);
    assert_eq!(r.status, 302);
    assert_eq!(param(&url_params(r.headers.get("location").unwrap()), "error"), Some("access_denied"));
}

#[test]
fn two_devices_ask_for_a_selection() {
    let mut c = Client::new(32);
    let s = c.provision(&["EMAIL", "SMS"], Client::default_mfa_action());
    let p = pkce(11);
    let flow_id = body(&c.authorize(&Client::authorize_params(&s.app_id, &p, Some("pi.flow"))))["id"].as_str().unwrap().to_string();
    let r = c.login(&flow_id, &s.username, PASSWORD);
    let flow = body(&r);
    assert_eq!(flow["status"], "DEVICE_SELECTION_REQUIRED");
    assert_eq!(link_names(&flow), ["device.select", "self", "session.reset", "signOnPage"]);
    let devices = flow["_embedded"]["devices"].as_array().unwrap();
    assert_eq!(devices.len(), 2);
    assert_eq!(devices[1]["type"], "SMS");
    assert_eq!(devices[1]["phone"], "*******01");
    assert!(c.sb.outbox().is_empty(), "no OTP before a device is chosen");
    let r = c.flow_post(&flow_id, "device.select", json!({ "device": { "id": "00000000-0000-4000-8000-000000000000" } }));
    assert_eq!((r.status, detail_target(&r).as_str()), (400, "device.id"));
    let r = c.flow_post(&flow_id, "device.select", json!({}));
    assert_eq!((r.status, detail_code(&r).as_str()), (400, "REQUIRED_VALUE"));
    let r = c.flow_post(&flow_id, "device.select", json!({ "device": { "id": s.device_ids[1] } }));
    let flow = body(&r);
    assert_eq!(flow["status"], "OTP_REQUIRED");
    assert_eq!(flow["selectedDevice"]["id"], s.device_ids[1].as_str());
    assert_eq!(link_names(&flow), ["device.select", "otp.check", "self", "signOnPage"], "switching devices stays possible");
    assert_eq!(c.sb.outbox().last().unwrap().to, "+15125550101");
    let sms_otp = c.newest_otp();
    // Switch to the email device: a new code, and the SMS one no longer works.
    c.flow_post(&flow_id, "device.select", json!({ "device": { "id": s.device_ids[0] } }));
    assert_eq!(c.sb.outbox().len(), 2);
    let email_otp = c.newest_otp();
    if sms_otp != email_otp {
        assert_eq!(c.flow_post(&flow_id, "otp.check", json!({ "otp": sms_otp })).status, 400);
    }
    let r = c.flow_post(&flow_id, "otp.check", json!({ "otp": email_otp }));
    assert_eq!(body(&r)["status"], "COMPLETED");
}

#[test]
fn policies_without_mfa_or_devices() {
    let mut c = Client::new(33);
    // MFA disabled for the user: COMPLETED right after the password, amr pwd.
    let s = c.provision(&["EMAIL"], Client::default_mfa_action());
    c.mgmt_ok(Method::Put, &format!("/users/{}/mfaEnabled", s.user_id), Some(json!({ "mfaEnabled": false })), 200);
    let p = pkce(12);
    let flow_id = body(&c.authorize(&Client::authorize_params(&s.app_id, &p, Some("pi.flow"))))["id"].as_str().unwrap().to_string();
    assert_eq!(body(&c.login(&flow_id, &s.username, PASSWORD))["status"], "COMPLETED");
    let code = resumed_code(&c.resume(&flow_id));
    let r = c.send(c.token_request(
        &s,
        &[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", REDIRECT_URI), ("code_verifier", &p.verifier)],
    ));
    let (_, id) = decode_jwt(body(&r)["id_token"].as_str().unwrap());
    assert_eq!(id["amr"], json!(["pwd"]));

    // MFA required but no device: BLOCK fails the flow, BYPASS completes it.
    let blocked = c.provision(&[], Client::default_mfa_action());
    let flow_id = body(&c.authorize(&Client::authorize_params(&blocked.app_id, &p, Some("pi.flow"))))["id"].as_str().unwrap().to_string();
    let flow = body(&c.login(&flow_id, &blocked.username, PASSWORD));
    assert_eq!((flow["status"].as_str(), flow["error"]["code"].as_str()), (Some("FAILED"), Some("NO_USABLE_DEVICES")));
    let bypass = c.provision(
        &[],
        json!({ "priority": 10, "type": "MULTI_FACTOR_AUTHENTICATION", "email": { "enabled": true }, "noDevicesMode": "BYPASS" }),
    );
    let flow_id = body(&c.authorize(&Client::authorize_params(&bypass.app_id, &p, Some("pi.flow"))))["id"].as_str().unwrap().to_string();
    assert_eq!(body(&c.login(&flow_id, &bypass.username, PASSWORD))["status"], "COMPLETED");

    // Only SMS enabled: the EMAIL device does not count.
    let sms_only = c.provision(&["EMAIL"], json!({ "priority": 10, "type": "MULTI_FACTOR_AUTHENTICATION", "sms": { "enabled": true } }));
    let flow_id = body(&c.authorize(&Client::authorize_params(&sms_only.app_id, &p, Some("pi.flow"))))["id"].as_str().unwrap().to_string();
    assert_eq!(body(&c.login(&flow_id, &sms_only.username, PASSWORD))["status"], "FAILED");

    // An application without an assignment uses the environment's default policy (LOGIN only).
    let (plain, _) = c.create_app(json!({}));
    let r = c.authorize(&[
        ("response_type", "code"),
        ("client_id", &plain),
        ("redirect_uri", REDIRECT_URI),
        ("scope", "openid"),
        ("code_challenge", &p.challenge),
        ("code_challenge_method", "S256"),
        ("response_mode", "pi.flow"),
    ]);
    let flow = body(&r);
    assert_eq!(
        link_names(&flow),
        ["password.forgot", "self", "session.reset", "signOnPage", "usernamePassword.check"],
        "the default LOGIN action has recovery on"
    );
    assert_eq!(body(&c.login(flow["id"].as_str().unwrap(), &s.username, PASSWORD))["status"], "COMPLETED");
}

#[test]
fn device_authentication_policy_shape_and_totp_sign_on() {
    let mut c = Client::new(34);
    let dap = c.mgmt_ok(Method::Get, "/deviceAuthenticationPolicies", None, 200)["_embedded"]["deviceAuthenticationPolicies"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let s = c.provision(&[], json!({ "priority": 10, "type": "MULTI_FACTOR_AUTHENTICATION", "deviceAuthenticationPolicy": { "id": dap } }));
    let d = c.mgmt_ok(Method::Post, &format!("/users/{}/devices", s.user_id), Some(json!({ "type": "TOTP" })), 201);
    let key = totp_key(d["secret"].as_str().unwrap());
    let url = format!("/users/{}/devices/{}", s.user_id, d["id"].as_str().unwrap());
    let code = totp_now(&key, c.now + 5);
    let r = c.send(c.mgmt_req(Method::Post, &url).json_body("application/vnd.pingidentity.device.activate+json", &json!({ "otp": code })));
    assert_eq!(r.status, 200, "{}", r.body);
    c.now += 30_000; // the next TOTP step
    let p = pkce(13);
    let flow_id = body(&c.authorize(&Client::authorize_params(&s.app_id, &p, Some("pi.flow"))))["id"].as_str().unwrap().to_string();
    let flow = body(&c.login(&flow_id, &s.username, PASSWORD));
    assert_eq!(flow["status"], "OTP_REQUIRED");
    assert_eq!(flow["_embedded"]["devices"][0]["type"], "TOTP");
    assert!(c.sb.outbox().is_empty(), "nothing is sent for TOTP");
    let code = totp_now(&key, c.now + 5);
    let r = c.flow_post(&flow_id, "otp.check", json!({ "otp": code }));
    assert_eq!(body(&r)["status"], "COMPLETED", "{}", r.body);
}

#[test]
fn forced_password_change_and_session_reset() {
    let mut c = Client::new(35);
    let s = c.provision(&["EMAIL"], Client::default_mfa_action());
    let r = c.send(
        c.mgmt_req(Method::Put, &format!("/users/{}/password", s.user_id))
            .json_body("application/vnd.pingidentity.password.set+json", &json!({ "value": PASSWORD, "forceChange": true })),
    );
    assert_eq!(body(&r)["status"], "MUST_CHANGE_PASSWORD");
    let p = pkce(14);
    let flow_id = body(&c.authorize(&Client::authorize_params(&s.app_id, &p, Some("pi.flow"))))["id"].as_str().unwrap().to_string();
    let flow = body(&c.login(&flow_id, &s.username, PASSWORD));
    assert_eq!(flow["status"], "MUST_CHANGE_PASSWORD");
    assert_eq!(link_names(&flow), ["password.reset", "self", "session.reset", "signOnPage"]);
    let r = c.flow_post(&flow_id, "password.reset", json!({ "currentPassword": "Wrong-Horse-9!", "newPassword": "Another-Horse-8?" }));
    assert_eq!((r.status, detail_target(&r).as_str()), (400, "currentPassword"));
    let r = c.flow_post(&flow_id, "password.reset", json!({ "currentPassword": PASSWORD, "newPassword": "weak" }));
    assert_eq!((r.status, detail_target(&r).as_str()), (400, "newPassword"));
    let r = c.flow_post(&flow_id, "password.reset", json!({ "currentPassword": PASSWORD, "newPassword": "Another-Horse-8?" }));
    assert_eq!(body(&r)["status"], "OTP_REQUIRED", "{}", r.body);
    // OTP_REQUIRED does not offer session.reset (PingOne's example flow); a new flow does.
    assert_eq!(c.flow_post(&flow_id, "session.reset", json!({})).status, 400);
    let flow_id = body(&c.authorize(&Client::authorize_params(&s.app_id, &p, Some("pi.flow"))))["id"].as_str().unwrap().to_string();
    let flow = body(&c.flow_post(&flow_id, "session.reset", json!({})));
    assert_eq!(flow["status"], "USERNAME_PASSWORD_REQUIRED");
    assert!(flow["_embedded"].get("user").is_none());
    assert_eq!(body(&c.login(&flow_id, &s.username, PASSWORD))["details"][0]["code"], "INVALID_CREDENTIALS", "the old password is gone");
    assert_eq!(body(&c.login(&flow_id, &s.username, "Another-Horse-8?"))["status"], "OTP_REQUIRED");
}

// ---------- token endpoint errors ----------

#[test]
fn code_exchange_checks_client_redirect_uri_pkce_and_lifetime() {
    let mut c = Client::new(36);
    let s = c.provision(&["EMAIL"], Client::default_mfa_action());
    let p = pkce(15);
    let error = |r: &HttpResponse| (r.status, body(r)["error"].as_str().unwrap_or_default().to_string());
    let exchange = |c: &mut Client, s: &Setup, form: &[(&str, &str)]| c.send(c.token_request(s, form));

    let code = c.code(&s, &p);
    let r = exchange(
        &mut c,
        &s,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "https://app.example.com/other"),
            ("code_verifier", &p.verifier),
        ],
    );
    assert_eq!(error(&r), (400, "invalid_grant".into()), "redirect_uri mismatch");
    let r = exchange(
        &mut c,
        &s,
        &[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", REDIRECT_URI), ("code_verifier", &p.verifier)],
    );
    assert_eq!(error(&r), (400, "invalid_grant".into()), "a failed attempt spends the code");

    let code = c.code(&s, &p);
    let other = pkce(99);
    let r = exchange(
        &mut c,
        &s,
        &[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", REDIRECT_URI), ("code_verifier", &other.verifier)],
    );
    assert_eq!(error(&r), (400, "invalid_grant".into()), "verifier mismatch");
    assert!(body(&r)["error_description"].as_str().unwrap().contains("PKCE"));

    let code = c.code(&s, &p);
    let r = exchange(&mut c, &s, &[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", REDIRECT_URI)]);
    assert_eq!(error(&r), (400, "invalid_grant".into()), "missing verifier");

    let code = c.code(&s, &p);
    let r = c.send(
        HttpRequest::new(Method::Post, format!("{}/as/token", c.auth()))
            .header("Authorization", basic(&s.app_id, "not-the-secret"))
            .form_body(&[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", REDIRECT_URI),
                ("code_verifier", &p.verifier),
            ]),
    );
    assert_eq!(error(&r), (401, "invalid_client".into()), "wrong client secret");
    let r = c.send(HttpRequest::new(Method::Post, format!("{}/as/token", c.auth())).form_body(&[
        ("grant_type", "authorization_code"),
        ("code", &code),
        ("client_id", &s.app_id),
        ("client_secret", &s.app_secret),
    ]));
    assert_eq!(error(&r), (401, "invalid_client".into()), "client_secret_post for a CLIENT_SECRET_BASIC app");
    let r = exchange(&mut c, &s, &[("grant_type", "authorization_code"), ("redirect_uri", REDIRECT_URI)]);
    assert_eq!(error(&r), (400, "invalid_request".into()), "no code");
    // The code survived the failed client authentications; now it expires after 60 s.
    c.now += 61_000;
    let r = exchange(
        &mut c,
        &s,
        &[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", REDIRECT_URI), ("code_verifier", &p.verifier)],
    );
    assert_eq!(error(&r), (400, "invalid_grant".into()), "expired");

    // A code is bound to its client.
    let code = c.code(&s, &p);
    let (app2, secret2) = c.create_app(json!({}));
    let r =
        c.send(HttpRequest::new(Method::Post, format!("{}/as/token", c.auth())).header("Authorization", basic(&app2, &secret2)).form_body(
            &[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", REDIRECT_URI), ("code_verifier", &p.verifier)],
        ));
    assert_eq!(error(&r), (400, "invalid_grant".into()));
}

#[test]
fn other_client_authentication_methods_and_refresh_tokens() {
    let mut c = Client::new(37);
    let mut s = c.provision(&["EMAIL"], Client::default_mfa_action());
    let p = pkce(16);
    let resource = c.openid_resource();
    let scopes = c.scope_ids(&resource, &["profile"]);
    for (method, grants) in
        [("CLIENT_SECRET_POST", json!(["AUTHORIZATION_CODE", "REFRESH_TOKEN"])), ("NONE", json!(["AUTHORIZATION_CODE"]))]
    {
        let (app, secret) = c.create_app(json!({ "tokenEndpointAuthMethod": method, "grantTypes": grants }));
        c.mgmt_ok(
            Method::Post,
            &format!("/applications/{app}/grants"),
            Some(json!({ "resource": { "id": resource }, "scopes": [{ "id": scopes[0] }] })),
            201,
        );
        c.mgmt_ok(
            Method::Post,
            &format!("/applications/{app}/signOnPolicyAssignments"),
            Some(json!({ "priority": 1, "signOnPolicy": { "id": s.policy_id } })),
            201,
        );
        s.app_id = app.clone();
        let flow_id = {
            let r = c.authorize(&[
                ("response_type", "code"),
                ("client_id", &app),
                ("redirect_uri", REDIRECT_URI),
                ("scope", "openid profile"),
                ("code_challenge", &p.challenge),
                ("code_challenge_method", "S256"),
                ("response_mode", "pi.flow"),
            ]);
            body(&r)["id"].as_str().unwrap().to_string()
        };
        c.login(&flow_id, &s.username, PASSWORD);
        let otp = c.newest_otp();
        c.flow_post(&flow_id, "otp.check", json!({ "otp": otp }));
        let code = resumed_code(&c.resume(&flow_id));
        let url = format!("{}/as/token", c.auth());
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT_URI),
            ("code_verifier", p.verifier.as_str()),
            ("client_id", app.as_str()),
        ];
        if method == "CLIENT_SECRET_POST" {
            let r = c.send(
                HttpRequest::new(Method::Post, &url)
                    .header("Authorization", basic(&app, &secret))
                    .form_body(&[("grant_type", "authorization_code"), ("code", &code)]),
            );
            assert_eq!(body(&r)["error"], "invalid_client", "Basic for a CLIENT_SECRET_POST app");
            form.push(("client_secret", secret.as_str()));
        }
        let r = c.send(HttpRequest::new(Method::Post, &url).form_body(&form));
        if method == "CLIENT_SECRET_POST" {
            // The Basic attempt above did not authenticate, so it did not spend the code.
            assert_eq!(r.status, 200, "{method}: {}", r.body);
            let tokens = body(&r);
            let refresh = tokens["refresh_token"].as_str().unwrap().to_string();
            let r = c.send(HttpRequest::new(Method::Post, &url).form_body(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", &refresh),
                ("client_id", &app),
                ("client_secret", &secret),
            ]));
            assert_eq!(r.status, 200, "{}", r.body);
            assert!(body(&r)["id_token"].is_string());
            let r = c.send(HttpRequest::new(Method::Post, &url).form_body(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", "nope"),
                ("client_id", &app),
                ("client_secret", &secret),
            ]));
            assert_eq!(body(&r)["error"], "invalid_grant");
        } else {
            assert_eq!(r.status, 200, "{method}: {}", r.body);
            assert!(body(&r).get("refresh_token").is_none());
        }
    }
}

#[test]
fn cors_follows_the_applications_cors_settings() {
    let mut c = Client::new(38);
    c.create_app(json!({ "corsSettings": { "behavior": "ALLOW_SPECIFIC_ORIGINS", "origins": ["https://app.example.com", "https://*.example.org"] } }));
    let jwks = format!("{}/as/jwks", c.auth());
    for origin in ["https://app.example.com", "https://a.example.org"] {
        let r = c.send(HttpRequest::new(Method::Get, &jwks).header("Origin", origin));
        assert_eq!(r.headers.get("access-control-allow-origin"), Some(origin));
        assert_eq!(r.headers.get("access-control-allow-credentials"), Some("true"));
        assert_eq!(r.headers.get("vary"), Some("Origin"));
    }
    let r = c.send(HttpRequest::new(Method::Get, &jwks).header("Origin", "https://evil.example.com"));
    assert_eq!(r.status, 200);
    assert!(r.headers.get("access-control-allow-origin").is_none());
    let preflight = |c: &mut Client, origin: &str| {
        c.send(
            HttpRequest::new(Method::Options, format!("{}/flows/x", c.auth()))
                .header("Origin", origin)
                .header("Access-Control-Request-Method", "POST")
                .header("Access-Control-Request-Headers", "content-type"),
        )
    };
    let r = preflight(&mut c, "https://app.example.com");
    assert_eq!(r.status, 204);
    assert_eq!(r.headers.get("access-control-allow-headers"), Some("content-type"));
    assert!(r.headers.get("access-control-allow-methods").unwrap().contains("POST"));
    assert_eq!(preflight(&mut c, "https://evil.example.com").status, 403);
    // Errors carry CORS too, so the page can read them.
    let r = c.send(HttpRequest::new(Method::Get, format!("{}/flows/nope", c.auth())).header("Origin", "https://app.example.com"));
    assert_eq!(r.status, 404);
    assert_eq!(r.headers.get("access-control-allow-origin"), Some("https://app.example.com"));
}

fn totp_key(base32: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = Vec::new();
    let (mut buf, mut bits) = (0u64, 0);
    for ch in base32.bytes() {
        buf = (buf << 5) | ALPHABET.iter().position(|x| *x == ch).unwrap() as u64;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buf >> bits) as u8);
        }
    }
    out
}

fn totp_now(key: &[u8], now_ms: u64) -> String {
    use sha1::{Digest as _, Sha1};
    let counter = (now_ms / 30_000).to_be_bytes();
    let mut k = [0u8; 64];
    k[..key.len()].copy_from_slice(key);
    let inner = Sha1::new().chain_update(k.map(|b| b ^ 0x36)).chain_update(counter).finalize();
    let mac = Sha1::new().chain_update(k.map(|b| b ^ 0x5c)).chain_update(inner).finalize();
    let o = (mac[19] & 0xf) as usize;
    let n = u32::from_be_bytes([mac[o] & 0x7f, mac[o + 1], mac[o + 2], mac[o + 3]]);
    format!("{:06}", n % 1_000_000)
}

#[test]
fn authorize_by_post_form_and_the_otp_lifetime() {
    let mut c = Client::new(39);
    let s = c.provision(&["EMAIL"], Client::default_mfa_action());
    let p = pkce(17);
    let params = Client::authorize_params(&s.app_id, &p, Some("pi.flow"));
    let url = format!("{}/as/authorize", c.auth());
    let r = c.send(HttpRequest::new(Method::Post, &url).json_body(JSON, &json!({ "client_id": s.app_id })));
    assert_eq!(r.status, 415, "authorize by POST takes a form");
    let r = c.send(HttpRequest::new(Method::Post, &url).form_body(&params));
    assert_eq!((r.status, body(&r)["status"].as_str()), (200, Some("USERNAME_PASSWORD_REQUIRED")), "{}", r.body);
    let flow_id = body(&r)["id"].as_str().unwrap().to_string();
    c.login(&flow_id, &s.username, PASSWORD);
    let otp = c.newest_otp();
    // Keep the flow alive (15 minutes idle) past the OTP's 30-minute lifetime.
    for _ in 0..3 {
        c.now += 11 * 60_000;
        assert_eq!(c.flow_get(&flow_id).status, 200);
    }
    let r = c.flow_post(&flow_id, "otp.check", json!({ "otp": otp }));
    assert_eq!((r.status, detail_code(&r).as_str()), (400, "INVALID_OTP"));
    assert!(body(&r)["details"][0]["message"].as_str().unwrap().contains("expired"));
}

/// PingOne's samples send `Basic base64(client_id:client_secret)` with the raw secret; a secret
/// form-encoded first (`~` as `%7E`, RFC 6749 §2.3.1) is a different secret and is refused.
#[test]
fn basic_client_authentication_takes_the_raw_secret_only() {
    let seed = (0..64u64).find(|s| Client::new(*s).info.worker_client_secret.contains('~')).expect("a generated secret with `~`");
    let mut c = Client::new(seed);
    let (id, secret) = (c.info.worker_client_id.clone(), c.info.worker_client_secret.clone());
    let token = |c: &mut Client, authorization: String| {
        c.send(
            HttpRequest::new(Method::Post, format!("{}/as/token", c.auth()))
                .header("Authorization", authorization)
                .form_body(&[("grant_type", "client_credentials")]),
        )
    };
    let r = token(&mut c, basic(&id, &secret));
    assert_eq!(r.status, 200, "the raw secret: {}", r.body);
    let encoded = secret.replace('~', "%7E");
    let r = token(&mut c, basic(&id, &encoded));
    assert_eq!((r.status, body(&r)["error"].as_str()), (401, Some("invalid_client")), "a form-encoded secret: {}", r.body);
    assert!(r.headers.get("www-authenticate").is_some());
    // The client crate sends exactly the raw form.
    assert_eq!(pingone::oauth::basic_auth(&id, &secret), basic(&id, &secret));
}

/// Resume in pi.flow answers as PingOne's developer docs show it: 302 with the code in
/// `Location` (the redirect URI with `code` and `state`).
#[test]
fn pi_flow_resume_redirects_with_the_code() {
    let mut c = Client::new(61);
    let s = c.provision(&["EMAIL"], Client::default_mfa_action());
    let p = pkce(61);
    let flow_id = c.sign_on(&s, &p);
    let r = c.resume(&flow_id);
    assert_eq!(r.status, 302, "{}", r.body);
    let location = r.headers.get("location").unwrap().to_string();
    assert!(location.starts_with(&format!("{REDIRECT_URI}?")), "{location}");
    let params = url_params(&location);
    assert_eq!(param(&params, "state"), Some("st-123"));
    let code = param(&params, "code").unwrap().to_string();
    let r = c.send(c.token_request(
        &s,
        &[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", REDIRECT_URI), ("code_verifier", &p.verifier)],
    ));
    assert_eq!(r.status, 200, "{}", r.body);
}

/// PingOne refuses a strict `Accept: application/json` on authorize with 406.
#[test]
fn authorize_with_accept_application_json_is_406() {
    let mut c = Client::new(62);
    let s = c.provision(&["EMAIL"], Client::default_mfa_action());
    let p = pkce(62);
    let mut u = url::Url::parse(&format!("{}/as/authorize", c.auth())).unwrap();
    u.query_pairs_mut().extend_pairs(Client::authorize_params(&s.app_id, &p, Some("pi.flow")).iter());
    let r = c.send(HttpRequest::new(Method::Get, u.to_string()).header("Accept", "application/json"));
    assert_eq!(r.status, 406, "{}", r.body);
    assert_eq!(body(&r)["code"], "NOT_ACCEPTABLE");
    for accept in ["*/*", "application/hal+json", "application/*", "text/html,application/xhtml+xml,*/*;q=0.8"] {
        let r = c.send(HttpRequest::new(Method::Get, u.to_string()).header("Accept", accept));
        assert_eq!(r.status, 200, "{accept}: {}", r.body);
    }
    let r = c.send(HttpRequest::new(Method::Get, u.to_string()));
    assert_eq!(r.status, 200, "no Accept: {}", r.body);
}

/// OTP_REQUIRED with one device: the links of PingOne's example (`otp.check`, `device.select`,
/// `self`, `signOnPage`), the documented device fields and masking, and the flow's
/// `_embedded.application` and `session`.
#[test]
fn otp_required_with_one_device_has_the_documented_links_and_fields() {
    let mut c = Client::new(63);
    let s = c.provision(&["SMS"], Client::default_mfa_action());
    let p = pkce(63);
    let r = c.authorize(&Client::authorize_params(&s.app_id, &p, Some("pi.flow")));
    let flow = body(&r);
    let flow_id = flow["id"].as_str().unwrap().to_string();
    assert_eq!(flow["_embedded"]["application"]["name"], "Login MFA App");
    assert!(flow["_links"]["signOnPage"]["href"].as_str().unwrap().contains(&format!("flowId={flow_id}")));
    let r = c.login(&flow_id, &s.username, PASSWORD);
    let flow = body(&r);
    assert_eq!(flow["status"], "OTP_REQUIRED");
    assert_eq!(link_names(&flow), ["device.select", "otp.check", "self", "signOnPage"]);
    let device = &flow["_embedded"]["devices"][0];
    assert_eq!(device["status"], "ACTIVE");
    assert_eq!(device["userRetries"], 0);
    assert_eq!(device["phone"], "*******00", "stars, then the last two digits of +15125550100");
    assert!(flow["session"]["id"].is_string(), "{flow}");
    assert_eq!(flow["_embedded"]["application"]["name"], "Login MFA App");
}

/// PingOne's device docs accept `15125551234`, `1-512-555-1234` and `+1 (512) 555-1234`.
#[test]
fn sms_devices_accept_the_documented_phone_forms() {
    let mut c = Client::new(64);
    let s = c.provision(&[], Client::default_mfa_action());
    for phone in ["15125551234", "1-512-555-1234", "+1 (512) 555-1234", "+1.512.555.1234", "+15125551234"] {
        let d = c.mgmt_ok(Method::Post, &format!("/users/{}/devices", s.user_id), Some(json!({ "type": "SMS", "phone": phone })), 201);
        assert_eq!(d["phone"], "+15125551234", "{phone}");
    }
    for bad in ["+1 512 CALL NOW", "12", "+0123456789", ""] {
        let r = c.mgmt(Method::Post, &format!("/users/{}/devices", s.user_id), Some(json!({ "type": "SMS", "phone": bad })));
        assert_eq!(r.status, 400, "{bad}: {}", r.body);
    }
}

/// The settings where PingOne's sources disagree: resume as JSON, and flow calls that need a
/// worker token besides the cookies.
#[test]
fn settings_switch_the_resume_answer_and_the_flow_credentials() {
    let mut c = Client::with_config(SandboxConfig { seed: 65, resume: ResumeAnswer::Json, ..SandboxConfig::default() });
    let s = c.provision(&["EMAIL"], Client::default_mfa_action());
    let flow_id = c.sign_on(&s, &pkce(65));
    let r = c.resume(&flow_id);
    assert_eq!((r.status, body(&r)["authorizeResponse"]["state"].as_str()), (200, Some("st-123")), "{}", r.body);

    let mut c = Client::with_config(SandboxConfig { seed: 66, flow_auth: FlowAuth::WorkerTokenAndCookies, ..SandboxConfig::default() });
    let s = c.provision(&["EMAIL"], Client::default_mfa_action());
    let r = c.authorize(&Client::authorize_params(&s.app_id, &pkce(66), Some("pi.flow")));
    let flow_id = body(&r)["id"].as_str().unwrap().to_string();
    let r = c.flow_get(&flow_id);
    assert_eq!((r.status, detail_code(&r).as_str()), (401, "INVALID_TOKEN"), "the cookies alone: {}", r.body);
    let bearer = format!("Bearer {}", c.token);
    let r = c.send(HttpRequest::new(Method::Get, c.flow_url(&flow_id)).header("Authorization", bearer.clone()));
    assert_eq!(r.status, 200, "worker token and cookies: {}", r.body);
    let r = c.send_bare(HttpRequest::new(Method::Get, c.flow_url(&flow_id)).header("Authorization", bearer));
    assert_eq!(r.status, 401, "the worker token alone");
}

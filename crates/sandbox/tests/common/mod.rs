//! A hand-written client for the integration tests: it builds PingOne's requests itself (no
//! `pingone::workflow`), keeps cookies like a browser, and controls the clock.
#![allow(dead_code)]

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use pingone::http::{CookieJar, HttpRequest, HttpResponse, Method};
#[allow(unused_imports)]
pub use sandbox::{FlowAuth, ResumeAnswer, Sandbox, SandboxConfig, SandboxInfo};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

pub const T0: u64 = 1_767_225_600_000; // 2026-01-01T00:00:00.000Z
pub const API: &str = "https://api.pingone.com/v1";
pub const AUTH_ROOT: &str = "https://auth.pingone.com";
pub const REDIRECT_URI: &str = "https://app.example.com/callback";
pub const PASSWORD: &str = "Correct-Horse-9!";
pub const JSON: &str = "application/json";
pub const FORM: &str = "application/x-www-form-urlencoded";

pub fn media(action: &str) -> String {
    format!("application/vnd.pingidentity.{action}+json")
}

pub struct Client {
    pub sb: Sandbox,
    pub info: SandboxInfo,
    pub now: u64,
    pub jar: CookieJar,
    pub token: String,
    /// Every error code met so far (each checked against `sandbox::errors::EMITTED_*`).
    pub seen_codes: std::collections::BTreeSet<String>,
}

/// What `provision` created.
#[derive(Debug, Clone)]
pub struct Setup {
    pub app_id: String,
    pub app_secret: String,
    pub policy_id: String,
    pub population_id: String,
    pub user_id: String,
    pub username: String,
    pub email: String,
    pub device_ids: Vec<String>,
}

pub struct Pkce {
    pub verifier: String,
    pub challenge: String,
}

pub fn pkce(seed: u8) -> Pkce {
    let verifier = URL_SAFE_NO_PAD.encode([seed; 32]);
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    Pkce { verifier, challenge }
}

pub fn body(r: &HttpResponse) -> Value {
    serde_json::from_str(&r.body).unwrap_or_else(|e| panic!("not JSON ({e}): {} {}", r.status, r.body))
}

/// `details[0].code` of a P1Error.
pub fn detail_code(r: &HttpResponse) -> String {
    body(r)["details"][0]["code"].as_str().unwrap_or_default().to_string()
}

pub fn detail_target(r: &HttpResponse) -> String {
    body(r)["details"][0]["target"].as_str().unwrap_or_default().to_string()
}

pub fn basic(id: &str, secret: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{id}:{secret}")))
}

pub fn decode_jwt(jwt: &str) -> (Value, Value) {
    let parts: Vec<&str> = jwt.split('.').collect();
    assert_eq!(parts.len(), 3, "a JWS has three parts");
    let part = |i: usize| serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[i]).expect("base64url")).expect("JSON");
    (part(0), part(1))
}

/// Query parameters of a URL (or of its fragment).
pub fn url_params(location: &str) -> Vec<(String, String)> {
    let u = url::Url::parse(location).expect("absolute Location");
    let mut out: Vec<(String, String)> = u.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    if let Some(f) = u.fragment() {
        out.extend(url::form_urlencoded::parse(f.as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())));
    }
    out
}

pub fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

impl Client {
    pub fn new(seed: u64) -> Client {
        Client::with_config(SandboxConfig { seed, ..SandboxConfig::default() })
    }

    pub fn with_config(config: SandboxConfig) -> Client {
        let sb = Sandbox::new(config);
        let info = sb.info();
        let mut c = Client { sb, info, now: T0, jar: CookieJar::new(), token: String::new(), seen_codes: Default::default() };
        c.token = c.worker_token();
        c
    }

    pub fn env(&self) -> String {
        self.info.env_id.clone()
    }

    pub fn auth(&self) -> String {
        format!("{AUTH_ROOT}/{}", self.info.env_id)
    }

    pub fn api_env(&self) -> String {
        format!("{API}/environments/{}", self.info.env_id)
    }

    /// Sends through the engine with the cookie jar, 5 ms later than the previous call.
    pub fn send(&mut self, mut req: HttpRequest) -> HttpResponse {
        let path = url::Url::parse(&req.url).map(|u| u.path().to_string()).unwrap_or_default();
        if let Some(cookie) = self.jar.header_for(&path) {
            req.headers.set("Cookie", cookie);
        }
        self.now += 5;
        let resp = self.sb.handle(&req, self.now);
        assert!(resp.headers.get("correlation-id").is_some(), "every response has a Correlation-Id");
        self.note(&resp);
        self.jar.store_from(&resp, &path);
        resp
    }

    /// Checks that the response's error codes are all listed, and remembers them.
    fn note(&mut self, resp: &HttpResponse) {
        assert_codes_listed(resp);
        let (p1, oauth) = emitted_codes(resp);
        self.seen_codes.extend(p1.into_iter().chain(oauth));
    }

    /// Sends through `handle_with_faults` with the cookie jar; cookies of a dropped response are
    /// lost with it.
    pub fn send_faulty(&mut self, mut req: HttpRequest) -> sandbox::Outcome {
        let path = url::Url::parse(&req.url).map(|u| u.path().to_string()).unwrap_or_default();
        if let Some(cookie) = self.jar.header_for(&path) {
            req.headers.set("Cookie", cookie);
        }
        self.now += 5;
        let outcome = self.sb.handle_with_faults(&req, self.now);
        if let Some(resp) = outcome.response() {
            assert!(resp.headers.get("correlation-id").is_some(), "every response has a Correlation-Id");
            self.note(resp);
            self.jar.store_from(resp, &path);
        }
        outcome
    }

    /// Sends without cookies.
    pub fn send_bare(&mut self, req: HttpRequest) -> HttpResponse {
        self.now += 5;
        let resp = self.sb.handle(&req, self.now);
        self.note(&resp);
        resp
    }

    pub fn worker_token(&mut self) -> String {
        let req = HttpRequest::new(Method::Post, format!("{}/as/token", self.auth()))
            .header("Authorization", basic(&self.info.worker_client_id, &self.info.worker_client_secret))
            .form_body(&[("grant_type", "client_credentials")]);
        let r = self.send(req);
        assert_eq!(r.status, 200, "{}", r.body);
        body(&r)["access_token"].as_str().unwrap().to_string()
    }

    /// A management request with the worker token; `path` is below `/environments/{env}`.
    pub fn mgmt_req(&self, method: Method, path: &str) -> HttpRequest {
        HttpRequest::new(method, format!("{}{path}", self.api_env())).header("Authorization", format!("Bearer {}", self.token))
    }

    pub fn mgmt(&mut self, method: Method, path: &str, json_body: Option<Value>) -> HttpResponse {
        let mut req = self.mgmt_req(method, path);
        if let Some(b) = json_body {
            req = req.json_body(JSON, &b);
        }
        self.send(req)
    }

    pub fn mgmt_ok(&mut self, method: Method, path: &str, json_body: Option<Value>, status: u16) -> Value {
        let r = self.mgmt(method, path, json_body);
        assert_eq!(r.status, status, "{method} {path}: {}", r.body);
        body(&r)
    }

    pub fn openid_resource(&mut self) -> String {
        let list = self.mgmt_ok(Method::Get, "/resources", None, 200);
        list["_embedded"]["resources"].as_array().unwrap().iter().find(|r| r["name"] == "openid").unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string()
    }

    pub fn scope_ids(&mut self, resource: &str, names: &[&str]) -> Vec<String> {
        let list = self.mgmt_ok(Method::Get, &format!("/resources/{resource}/scopes"), None, 200);
        names
            .iter()
            .map(|n| {
                list["_embedded"]["scopes"].as_array().unwrap().iter().find(|s| s["name"] == *n).unwrap()["id"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect()
    }

    pub fn create_app(&mut self, extra: Value) -> (String, String) {
        let mut app = json!({
            "name": "Login MFA App", "enabled": true, "type": "WEB_APP", "protocol": "OPENID_CONNECT",
            "grantTypes": ["AUTHORIZATION_CODE"], "responseTypes": ["CODE"],
            "tokenEndpointAuthMethod": "CLIENT_SECRET_BASIC", "pkceEnforcement": "S256_REQUIRED",
            "redirectUris": [REDIRECT_URI],
        });
        if let (Some(a), Some(e)) = (app.as_object_mut(), extra.as_object()) {
            a.extend(e.clone());
        }
        let created = self.mgmt_ok(Method::Post, "/applications", Some(app), 201);
        let id = created["id"].as_str().unwrap().to_string();
        let secret = self.mgmt_ok(Method::Get, &format!("/applications/{id}/secret"), None, 200)["secret"].as_str().unwrap().to_string();
        (id, secret)
    }

    /// Calls 1–13 by hand: app (+grant of profile/email), policy LOGIN+MFA assigned, population,
    /// user with password and MFA, and one ACTIVE device per entry of `devices` (`"EMAIL"`/`"SMS"`).
    pub fn provision(&mut self, devices: &[&str], mfa_action: Value) -> Setup {
        let (app_id, app_secret) = self.create_app(json!({}));
        let resource = self.openid_resource();
        let scopes = self.scope_ids(&resource, &["profile", "email"]);
        self.mgmt_ok(
            Method::Post,
            &format!("/applications/{app_id}/grants"),
            Some(json!({ "resource": { "id": resource }, "scopes": scopes.iter().map(|s| json!({ "id": s })).collect::<Vec<_>>() })),
            201,
        );
        let policy_id = self.mgmt_ok(Method::Post, "/signOnPolicies", Some(json!({ "name": format!("Login_MFA_{app_id}") })), 201)["id"]
            .as_str()
            .unwrap()
            .to_string();
        self.mgmt_ok(Method::Post, &format!("/signOnPolicies/{policy_id}/actions"), Some(json!({ "priority": 1, "type": "LOGIN" })), 201);
        self.mgmt_ok(Method::Post, &format!("/signOnPolicies/{policy_id}/actions"), Some(mfa_action), 201);
        self.mgmt_ok(
            Method::Post,
            &format!("/applications/{app_id}/signOnPolicyAssignments"),
            Some(json!({ "priority": 1, "signOnPolicy": { "id": policy_id } })),
            201,
        );
        let population_id = self.mgmt_ok(Method::Post, "/populations", Some(json!({ "name": format!("Pop {app_id}") })), 201)["id"]
            .as_str()
            .unwrap()
            .to_string();
        let username = format!("jamie.{}", &app_id[..8]);
        let email = format!("{username}@example.com");
        let user_id = self
            .mgmt_ok(
                Method::Post,
                "/users",
                Some(json!({ "username": username, "email": email, "population": { "id": population_id }, "name": { "given": "Jamie", "family": "Doe" } })),
                201,
            )["id"]
            .as_str()
            .unwrap()
            .to_string();
        let r = self.send(
            self.mgmt_req(Method::Put, &format!("/users/{user_id}/password"))
                .json_body("application/vnd.pingidentity.password.set+json", &json!({ "value": PASSWORD, "forceChange": false })),
        );
        assert_eq!(r.status, 200, "{}", r.body);
        self.mgmt_ok(Method::Put, &format!("/users/{user_id}/mfaEnabled"), Some(json!({ "mfaEnabled": true })), 200);
        let mut device_ids = Vec::new();
        for (i, t) in devices.iter().enumerate() {
            let device = match *t {
                "SMS" => json!({ "type": "SMS", "phone": format!("+1512555010{i}") }),
                _ => json!({ "type": "EMAIL", "email": email }),
            };
            let d = self.mgmt_ok(Method::Post, &format!("/users/{user_id}/devices"), Some(device), 201);
            assert_eq!(d["status"], "ACTIVE");
            device_ids.push(d["id"].as_str().unwrap().to_string());
        }
        Setup { app_id, app_secret, policy_id, population_id, user_id, username, email, device_ids }
    }

    pub fn default_mfa_action() -> Value {
        json!({ "priority": 10, "type": "MULTI_FACTOR_AUTHENTICATION", "email": { "enabled": true }, "sms": { "enabled": true } })
    }

    /// `GET /as/authorize` with the given parameters (plus Accept: */*).
    pub fn authorize(&mut self, params: &[(&str, &str)]) -> HttpResponse {
        let mut u = url::Url::parse(&format!("{}/as/authorize", self.auth())).unwrap();
        u.query_pairs_mut().extend_pairs(params.iter());
        self.send(HttpRequest::new(Method::Get, u.to_string()).header("Accept", "*/*"))
    }

    /// The standard pi.flow authorize request of the workflow.
    pub fn authorize_params<'a>(app_id: &'a str, pkce: &'a Pkce, mode: Option<&'a str>) -> Vec<(&'a str, &'a str)> {
        let mut p = vec![
            ("response_type", "code"),
            ("client_id", app_id),
            ("redirect_uri", REDIRECT_URI),
            ("scope", "openid profile email"),
            ("state", "st-123"),
            ("nonce", "n-456"),
            ("code_challenge", pkce.challenge.as_str()),
            ("code_challenge_method", "S256"),
        ];
        if let Some(m) = mode {
            p.push(("response_mode", m));
        }
        p
    }

    pub fn flow_url(&self, flow_id: &str) -> String {
        format!("{}/flows/{flow_id}", self.auth())
    }

    pub fn flow_get(&mut self, flow_id: &str) -> HttpResponse {
        self.send(HttpRequest::new(Method::Get, self.flow_url(flow_id)))
    }

    pub fn flow_post(&mut self, flow_id: &str, action: &str, b: Value) -> HttpResponse {
        let req = HttpRequest::new(Method::Post, self.flow_url(flow_id)).json_body(&media(action), &b);
        self.send(req)
    }

    pub fn login(&mut self, flow_id: &str, username: &str, password: &str) -> HttpResponse {
        self.flow_post(flow_id, "usernamePassword.check", json!({ "username": username, "password": password }))
    }

    pub fn newest_otp(&self) -> String {
        self.sb.outbox().last().expect("an OTP was sent").otp.clone()
    }

    pub fn resume(&mut self, flow_id: &str) -> HttpResponse {
        self.send(HttpRequest::new(Method::Get, format!("{}/as/resume?flowId={flow_id}", self.auth())))
    }

    pub fn token_request(&self, s: &Setup, form: &[(&str, &str)]) -> HttpRequest {
        HttpRequest::new(Method::Post, format!("{}/as/token", self.auth()))
            .header("Authorization", basic(&s.app_id, &s.app_secret))
            .form_body(form)
    }

    /// pi.flow from authorize to a completed flow (single device): returns the flow id.
    pub fn sign_on(&mut self, s: &Setup, pkce: &Pkce) -> String {
        let r = self.authorize(&Client::authorize_params(&s.app_id, pkce, Some("pi.flow")));
        assert_eq!(r.status, 200, "{}", r.body);
        let flow_id = body(&r)["id"].as_str().unwrap().to_string();
        let r = self.login(&flow_id, &s.username, PASSWORD);
        assert_eq!(body(&r)["status"], "OTP_REQUIRED", "{}", r.body);
        let otp = self.newest_otp();
        let r = self.flow_post(&flow_id, "otp.check", json!({ "otp": otp }));
        assert_eq!(body(&r)["status"], "COMPLETED", "{}", r.body);
        flow_id
    }

    /// Signs on and resumes: returns the authorization code.
    pub fn code(&mut self, s: &Setup, pkce: &Pkce) -> String {
        let flow_id = self.sign_on(s, pkce);
        let r = self.resume(&flow_id);
        resumed_code(&r)
    }
}

/// The code of a resume answer: a 302 `Location` (the default) or JSON `authorizeResponse`.
pub fn resumed_code(r: &HttpResponse) -> String {
    match r.status {
        302 => param(&url_params(r.headers.get("location").unwrap()), "code").unwrap().to_string(),
        200 => body(r)["authorizeResponse"]["code"].as_str().unwrap().to_string(),
        other => panic!("resume answered {other}: {}", r.body),
    }
}

/// Every error code a response carries, as `(p1_codes, oauth_errors)`: a P1Error's `code` and
/// `details[].code`, a FAILED flow's `error.code`, an OAuth body's `error`, and the `error`
/// parameter of an authorization response (Location query or fragment, or form_post HTML).
pub fn emitted_codes(r: &HttpResponse) -> (Vec<String>, Vec<String>) {
    let (mut p1, mut oauth) = (Vec::new(), Vec::new());
    if let Ok(v) = serde_json::from_str::<Value>(&r.body) {
        if let Some(c) = v["code"].as_str().filter(|_| r.status >= 400) {
            p1.push(c.to_string());
        }
        for d in v["details"].as_array().into_iter().flatten() {
            if let Some(c) = d["code"].as_str() {
                p1.push(c.to_string());
            }
        }
        match &v["error"] {
            Value::String(e) => oauth.push(e.clone()),
            Value::Object(flow_error) => p1.extend(flow_error.get("code").and_then(Value::as_str).map(str::to_string)),
            _ => {}
        }
    }
    if let Some(location) = r.headers.get("location") {
        if let Ok(u) = url::Url::parse(location) {
            let fragment = u.fragment().unwrap_or("").to_string();
            let pairs = u
                .query_pairs()
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .chain(url::form_urlencoded::parse(fragment.as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())));
            oauth.extend(pairs.filter(|(k, _)| k == "error").map(|(_, v)| v));
        }
    }
    if let Some(rest) = r.body.split("name=\"error\" value=\"").nth(1) {
        oauth.extend(rest.split('"').next().map(str::to_string));
    }
    (p1, oauth)
}

/// Panics when a response carries a code missing from `sandbox::errors::EMITTED_*`.
pub fn assert_codes_listed(r: &HttpResponse) {
    let (p1, oauth) = emitted_codes(r);
    for c in &p1 {
        assert!(sandbox::errors::EMITTED_ERROR_CODES.contains(&c.as_str()), "{c} is emitted but not in EMITTED_ERROR_CODES: {}", r.body);
    }
    for e in &oauth {
        assert!(sandbox::errors::EMITTED_OAUTH_ERRORS.contains(&e.as_str()), "{e} is emitted but not in EMITTED_OAUTH_ERRORS: {}", r.body);
    }
}

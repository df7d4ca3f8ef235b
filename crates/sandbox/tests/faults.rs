//! Fault injection (`SandboxConfig::fail_rate`, `Sandbox::handle_with_faults`): what fails, how
//! it looks, that it is deterministic, and that a careful client survives it end to end.

mod common;

use common::*;
use pingone::http::{HttpRequest, HttpResponse, Method};
use sandbox::{Outcome, Sandbox, SandboxConfig, RETRY_AFTER_SECS};
use serde_json::{json, Value};

fn jwks_request(env: &str) -> HttpRequest {
    HttpRequest::new(Method::Get, format!("{AUTH_ROOT}/{env}/as/jwks"))
}

/// `503`, `429` or `dropped` for a faulted outcome, `ok` otherwise.
fn kind(o: &Outcome) -> &'static str {
    match o {
        Outcome::Dropped(_) => "dropped",
        Outcome::Answer(r) if r.status == 503 => "503",
        Outcome::Answer(r) if r.status == 429 => "429",
        Outcome::Answer(_) => "ok",
    }
}

#[test]
fn off_by_default_and_handle_never_faults() {
    let config = SandboxConfig::default();
    assert_eq!(config.fail_rate, 0.0);
    // Without faults, handle_with_faults answers exactly what handle answers.
    let (mut plain, mut faulty) = (Sandbox::new(config), Sandbox::new(config));
    let env = plain.info().env_id;
    for i in 0..50 {
        let req = jwks_request(&env);
        assert_eq!(faulty.handle_with_faults(&req, T0 + i), Outcome::Answer(plain.handle(&req, T0 + i)));
    }
    // `handle` ignores the fail rate: callers that do not care never see a fault.
    let mut sb = Sandbox::new(SandboxConfig { fail_rate: 1.0, ..config });
    for i in 0..50 {
        assert_eq!(sb.handle(&jwks_request(&env), T0 + i).status, 200);
    }
}

#[test]
fn every_pingone_call_fails_at_rate_one_in_three_equal_kinds() {
    let mut sb = Sandbox::new(SandboxConfig { seed: 4, fail_rate: 1.0, ..SandboxConfig::default() });
    let env = sb.info().env_id;
    let mut counts = std::collections::BTreeMap::new();
    for i in 0..900 {
        let o = sb.handle_with_faults(&jwks_request(&env), T0 + i);
        *counts.entry(kind(&o)).or_insert(0) += 1;
        match &o {
            Outcome::Answer(r) => {
                let b = body(r);
                assert_eq!(r.headers.get("content-type"), Some("application/json"));
                assert_eq!(b["id"].as_str(), r.headers.get("correlation-id"));
                assert!(b["message"].as_str().is_some_and(|m| !m.is_empty()));
                match r.status {
                    503 => {
                        assert_eq!(b["code"], "SERVICE_UNAVAILABLE");
                        assert!(r.headers.get("retry-after").is_none());
                    }
                    429 => {
                        assert_eq!(b["code"], "REQUEST_LIMITED");
                        assert_eq!(r.headers.get("retry-after"), Some(RETRY_AFTER_SECS.to_string().as_str()));
                    }
                    s => panic!("rate 1 answered {s}"),
                }
            }
            // The engine answered (and acted); the client never sees it.
            Outcome::Dropped(lost) => assert_eq!(lost.status, 200),
        }
    }
    assert_eq!(counts.get("ok"), None);
    for k in ["503", "429", "dropped"] {
        let n = counts.get(k).copied().unwrap_or(0);
        assert!((240..=360).contains(&n), "{k}: {n} of 900 ({counts:?})");
    }
}

#[test]
fn the_rate_is_honoured_and_can_change_at_runtime() {
    let mut sb = Sandbox::new(SandboxConfig { seed: 5, fail_rate: 0.2, ..SandboxConfig::default() });
    let env = sb.info().env_id;
    let faulted = (0..2000).filter(|i| kind(&sb.handle_with_faults(&jwks_request(&env), T0 + i)) != "ok").count();
    assert!((330..=470).contains(&faulted), "{faulted} of 2000 at 0.2");
    sb.set_fail_rate(0.0);
    assert_eq!(sb.config().fail_rate, 0.0);
    assert!((0..200).all(|i| kind(&sb.handle_with_faults(&jwks_request(&env), T0 + i)) == "ok"));
    sb.set_fail_rate(1.0);
    assert!((0..200).all(|i| kind(&sb.handle_with_faults(&jwks_request(&env), T0 + i)) != "ok"));
    // Out-of-range settings are clamped, NaN turns faults off.
    for (set, got) in [(7.5, 1.0), (-1.0, 0.0), (f64::NAN, 0.0), (0.5, 0.5)] {
        sb.set_fail_rate(set);
        assert_eq!(sb.config().fail_rate, got, "set {set}");
    }
    assert_eq!(Sandbox::new(SandboxConfig { fail_rate: 3.0, ..SandboxConfig::default() }).config().fail_rate, 1.0);
}

#[test]
fn the_same_seed_gives_the_same_faults() {
    let run = |seed: u64| {
        let mut sb = Sandbox::new(SandboxConfig { seed, fail_rate: 0.5, ..SandboxConfig::default() });
        let env = sb.info().env_id;
        (0..200).map(|i| kind(&sb.handle_with_faults(&jwks_request(&env), T0 + i))).collect::<Vec<_>>()
    };
    assert_eq!(run(11), run(11));
    assert_ne!(run(11), run(12));
    // The fault dice are their own stream: ids do not depend on the fail rate when nothing fails.
    let a = Sandbox::new(SandboxConfig { seed: 11, ..SandboxConfig::default() }).info();
    let b = Sandbox::new(SandboxConfig { seed: 11, fail_rate: 0.5, ..SandboxConfig::default() }).info();
    assert_eq!(a, b);
}

#[test]
fn the_sandbox_path_and_preflights_never_fail() {
    let mut c = Client::new(6);
    c.sb.set_fail_rate(1.0);
    for _ in 0..50 {
        let o = c.send_faulty(HttpRequest::new(Method::Get, "https://auth.pingone.com/_sandbox/outbox"));
        assert_eq!(kind(&o), "ok");
        let pre = HttpRequest::new(Method::Options, format!("{}/as/token", c.auth()))
            .header("Origin", "https://app.example.com")
            .header("Access-Control-Request-Method", "POST");
        let o = c.send_faulty(pre);
        assert!(matches!(&o, Outcome::Answer(r) if r.status == 403 || r.status == 204), "{o:?}");
    }
}

#[test]
fn faults_before_acting_change_nothing_a_dropped_create_did_act() {
    let mut c = Client::new(7);
    c.sb.set_fail_rate(1.0);
    let mut created = Vec::new();
    for i in 0..60 {
        let name = format!("Fault Pop {i}");
        let o = c.send_faulty(c.mgmt_req(Method::Post, "/populations").json_body(JSON, &json!({ "name": name })));
        match kind(&o) {
            "dropped" => created.push(name),
            "503" | "429" => {}
            k => panic!("{k}"),
        }
    }
    assert!(!created.is_empty());
    c.sb.set_fail_rate(0.0);
    let list = c.mgmt_ok(Method::Get, "/populations", None, 200);
    let names: Vec<&str> = list["_embedded"]["populations"].as_array().unwrap().iter().filter_map(|p| p["name"].as_str()).collect();
    let mut expected = vec!["Default"];
    expected.extend(created.iter().map(String::as_str));
    assert_eq!(names, expected, "exactly the dropped creates acted");
}

#[test]
fn a_call_refused_before_acting_leaves_no_trace() {
    // B sees faults; A sees only the calls that reached B's engine (the dropped ones). Afterwards
    // both answer the same, ids included.
    let (mut a, mut b) = (Client::new(9), Client::new(9));
    b.sb.set_fail_rate(1.0);
    let mut refused = 0;
    for i in 0..30 {
        let req = b.mgmt_req(Method::Post, "/populations").json_body(JSON, &json!({ "name": format!("P{i}") }));
        match b.send_faulty(req.clone()) {
            Outcome::Dropped(lost) => {
                a.now = b.now;
                assert_eq!(a.sb.handle(&req, a.now), lost, "the dropped call acted as it would have");
            }
            Outcome::Answer(_) => refused += 1,
        }
    }
    assert!(refused > 0);
    b.sb.set_fail_rate(0.0);
    a.now = b.now;
    let last = json!({ "name": "Last" });
    assert_eq!(a.mgmt(Method::Post, "/populations", Some(last.clone())), b.mgmt(Method::Post, "/populations", Some(last)));
}

#[test]
fn auth_host_fault_errors_carry_cors_for_allowed_origins() {
    let mut c = Client::new(8);
    let origin = "https://app.example.com";
    c.create_app(json!({ "corsSettings": { "behavior": "ALLOW_SPECIFIC_ORIGINS", "origins": [origin] } }));
    c.sb.set_fail_rate(1.0);
    let mut checked = 0;
    for _ in 0..30 {
        if let Outcome::Answer(r) = c.send_faulty(jwks_request(&c.env()).header("Origin", origin)) {
            assert_eq!(r.headers.get("access-control-allow-origin"), Some(origin), "{}", r.status);
            checked += 1;
        }
        // Management answers never carry CORS, faults included.
        if let Outcome::Answer(r) = c.send_faulty(c.mgmt_req(Method::Get, "/users").header("Origin", origin)) {
            assert!(r.headers.get("access-control-allow-origin").is_none());
        }
    }
    assert!(checked > 0);
}

#[test]
fn config_is_serde_compatible() {
    let old: SandboxConfig = serde_json::from_str(r#"{"seed":3,"latency_ms":10}"#).expect("configs without fail_rate still parse");
    assert_eq!(old, SandboxConfig { seed: 3, latency_ms: 10, ..SandboxConfig::default() });
    let new = SandboxConfig {
        seed: 3,
        latency_ms: 0,
        fail_rate: 0.25,
        production: false,
        resume: sandbox::ResumeAnswer::Json,
        flow_auth: sandbox::FlowAuth::WorkerTokenAndCookies,
    };
    let text = serde_json::to_string(&new).unwrap();
    assert!(text.contains(r#""resume":"json","flow_auth":"worker_token_and_cookies""#), "{text}");
    assert_eq!(serde_json::from_str::<SandboxConfig>(&text).unwrap(), new);
}

// ---------- a careful client survives faults ----------

/// Counts of what the careful client met.
#[derive(Debug, Default)]
struct Met {
    unavailable: usize,
    limited: usize,
    dropped: usize,
    adopted: usize,
    restarts: usize,
}

/// A client that retries 503 / 429 (after `Retry-After`), re-sends idempotent calls whose
/// response was lost, adopts objects whose create response was lost (finding them by their
/// unique name), and re-reads the flow after a lost flow action.
struct Careful {
    c: Client,
    met: Met,
    calls: usize,
}

impl Careful {
    /// One attempt: `None` when the response was lost. 503 / 429 are retried here.
    fn attempt(&mut self, req: &HttpRequest) -> Option<HttpResponse> {
        loop {
            self.calls += 1;
            assert!(self.calls < 5_000, "the careful client is looping");
            match self.c.send_faulty(req.clone()) {
                Outcome::Dropped(_) => {
                    self.met.dropped += 1;
                    return None;
                }
                Outcome::Answer(r) if r.status == 503 => self.met.unavailable += 1,
                Outcome::Answer(r) if r.status == 429 => {
                    self.met.limited += 1;
                    let wait: u64 = r.headers.get("retry-after").and_then(|s| s.parse().ok()).expect("429 says when to retry");
                    self.c.now += wait * 1000;
                }
                Outcome::Answer(r) => return Some(r),
            }
        }
    }

    /// Reads and idempotent writes (GET, PUT): re-sent until answered.
    fn idempotent(&mut self, req: HttpRequest) -> HttpResponse {
        loop {
            if let Some(r) = self.attempt(&req) {
                return r;
            }
        }
    }

    fn get(&mut self, path: &str) -> Value {
        let r = self.idempotent(self.c.mgmt_req(Method::Get, path));
        assert_eq!(r.status, 200, "GET {path}: {}", r.body);
        body(&r)
    }

    /// A create: when its response is lost, `find` looks for the object (it was created); a
    /// create answered with an error is a test failure.
    fn create(&mut self, path: &str, b: Value, find: impl Fn(&mut Careful) -> Option<Value>) -> Value {
        let req = self.c.mgmt_req(Method::Post, path).json_body(JSON, &b);
        loop {
            match self.attempt(&req) {
                Some(r) => {
                    assert_eq!(r.status, 201, "POST {path}: {}", r.body);
                    return body(&r);
                }
                None => {
                    if let Some(found) = find(self) {
                        self.met.adopted += 1;
                        return found;
                    }
                }
            }
        }
    }

    /// The first item of a (filtered) list whose `field` path equals `value`.
    fn find(&mut self, path: &str, key: &str, field: &[&str], value: &str) -> Option<Value> {
        let list = self.get(path);
        list["_embedded"][key].as_array()?.iter().find(|item| field.iter().fold(*item, |v, f| &v[*f]) == value).cloned()
    }
}

fn scim(attr: &str, value: &str) -> String {
    format!("filter={}", url::form_urlencoded::byte_serialize(format!("{attr} eq \"{value}\"").as_bytes()).collect::<String>())
}

fn id(v: &Value) -> String {
    v["id"].as_str().expect("an id").to_string()
}

/// Calls 0–13 and 19 through faults.
fn provision_carefully(k: &mut Careful) -> Setup {
    let env = k.c.env();
    let worker = basic(&k.c.info.worker_client_id, &k.c.info.worker_client_secret);
    let token_req = HttpRequest::new(Method::Post, format!("{AUTH_ROOT}/{env}/as/token"))
        .header("Authorization", worker)
        .form_body(&[("grant_type", "client_credentials")]);
    let r = k.idempotent(token_req); // a lost token is simply asked for again
    assert_eq!(r.status, 200, "{}", r.body);
    k.c.token = body(&r)["access_token"].as_str().unwrap().to_string();

    let app_name = "Careful App";
    let app = json!({
        "name": app_name, "enabled": true, "type": "WEB_APP", "protocol": "OPENID_CONNECT",
        "grantTypes": ["AUTHORIZATION_CODE"], "responseTypes": ["CODE"],
        "tokenEndpointAuthMethod": "CLIENT_SECRET_BASIC", "pkceEnforcement": "S256_REQUIRED",
        "redirectUris": [REDIRECT_URI],
    });
    let app_id = id(&k.create("/applications", app, |k| {
        k.find(&format!("/applications?{}", scim("name", app_name)), "applications", &["name"], app_name)
    }));
    let app_secret = k.get(&format!("/applications/{app_id}/secret"))["secret"].as_str().unwrap().to_string();

    let resource = id(&k.find(&format!("/resources?{}", scim("name", "openid")), "resources", &["name"], "openid").expect("openid"));
    let scopes = k.get(&format!("/resources/{resource}/scopes"));
    let scope_ids: Vec<Value> = scopes["_embedded"]["scopes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["name"] == "profile" || s["name"] == "email")
        .map(|s| json!({ "id": s["id"] }))
        .collect();
    let grants = format!("/applications/{app_id}/grants");
    k.create(&grants, json!({ "resource": { "id": resource }, "scopes": scope_ids }), |k| {
        k.find(&grants, "grants", &["resource", "id"], &resource)
    });

    let policy_name = "Careful_Policy";
    let policy_id = id(&k.create("/signOnPolicies", json!({ "name": policy_name }), |k| {
        k.find(&format!("/signOnPolicies?{}", scim("name", policy_name)), "signOnPolicies", &["name"], policy_name)
    }));
    let actions = format!("/signOnPolicies/{policy_id}/actions");
    k.create(&actions, json!({ "priority": 1, "type": "LOGIN" }), |k| k.find(&actions, "actions", &["type"], "LOGIN"));
    k.create(&actions, Client::default_mfa_action(), |k| k.find(&actions, "actions", &["type"], "MULTI_FACTOR_AUTHENTICATION"));
    let assignments = format!("/applications/{app_id}/signOnPolicyAssignments");
    k.create(&assignments, json!({ "priority": 1, "signOnPolicy": { "id": policy_id } }), |k| {
        k.find(&assignments, "signOnPolicyAssignments", &["signOnPolicy", "id"], &policy_id)
    });

    let pop_name = "Careful Users";
    let population_id = id(&k.create("/populations", json!({ "name": pop_name }), |k| {
        k.find(&format!("/populations?{}", scim("name", pop_name)), "populations", &["name"], pop_name)
    }));
    let username = "careful.user".to_string();
    let email = "careful.user@example.com".to_string();
    let user = json!({ "username": username, "email": email, "population": { "id": population_id }, "name": { "given": "Care", "family": "Ful" } });
    let user_id = id(&k.create("/users", user, |k| {
        k.find(&format!("/users?{}", scim("username", "careful.user")), "users", &["username"], "careful.user")
    }));

    // PUTs are idempotent: a lost answer is sent again.
    let password =
        k.c.mgmt_req(Method::Put, &format!("/users/{user_id}/password"))
            .json_body("application/vnd.pingidentity.password.set+json", &json!({ "value": PASSWORD, "forceChange": false }));
    let r = k.idempotent(password);
    assert_eq!(r.status, 200, "{}", r.body);
    let mfa = k.c.mgmt_req(Method::Put, &format!("/users/{user_id}/mfaEnabled")).json_body(JSON, &json!({ "mfaEnabled": true }));
    assert_eq!(k.idempotent(mfa).status, 200);
    let devices = format!("/users/{user_id}/devices");
    let device = k.create(&devices, json!({ "type": "EMAIL", "email": email }), |k| k.find(&devices, "devices", &["type"], "EMAIL"));
    Setup { app_id, app_secret, policy_id, population_id, user_id, username, email, device_ids: vec![id(&device)] }
}

/// Calls 14–18 and 20 through faults: returns the token response.
fn sign_on_carefully(k: &mut Careful, s: &Setup) -> Value {
    let p = pkce(9);
    'sign_on: loop {
        // A lost authorize leaves an orphan flow (it expires): just authorize again.
        let mut u = url::Url::parse(&format!("{}/as/authorize", k.c.auth())).unwrap();
        u.query_pairs_mut().extend_pairs(Client::authorize_params(&s.app_id, &p, Some("pi.flow")));
        let r = k.idempotent(HttpRequest::new(Method::Get, u.to_string()).header("Accept", "*/*"));
        assert_eq!(r.status, 200, "{}", r.body);
        let flow_id = body(&r)["id"].as_str().unwrap().to_string();
        let code = loop {
            // The flow tells where we are, whatever happened to the last action's answer.
            let flow = k.idempotent(HttpRequest::new(Method::Get, k.c.flow_url(&flow_id)));
            assert_eq!(flow.status, 200, "{}", flow.body);
            let flow = body(&flow);
            let action = match flow["status"].as_str().unwrap() {
                "USERNAME_PASSWORD_REQUIRED" => ("usernamePassword.check", json!({ "username": s.username, "password": PASSWORD })),
                "OTP_REQUIRED" => ("otp.check", json!({ "otp": k.c.newest_otp() })),
                "COMPLETED" => {
                    // A lost resume consumed the flow: sign on again.
                    match k.attempt(&HttpRequest::new(Method::Get, format!("{}/as/resume?flowId={flow_id}", k.c.auth()))) {
                        Some(r) => break resumed_code(&r),
                        None => {
                            k.met.restarts += 1;
                            continue 'sign_on;
                        }
                    }
                }
                other => panic!("unexpected flow status {other}: {flow}"),
            };
            let req = HttpRequest::new(Method::Post, k.c.flow_url(&flow_id)).json_body(&media(action.0), &action.1);
            if let Some(r) = k.attempt(&req) {
                assert_eq!(r.status, 200, "{}: {}", action.0, r.body);
            }
        };
        let exchange = k.c.token_request(
            s,
            &[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", REDIRECT_URI), ("code_verifier", &p.verifier)],
        );
        match k.attempt(&exchange) {
            Some(r) => {
                assert_eq!(r.status, 200, "{}", r.body);
                return body(&r);
            }
            // A lost token response spent the code: sign on again.
            None => k.met.restarts += 1,
        }
    }
}

#[test]
fn a_careful_client_survives_faults_end_to_end() {
    let mut total = Met::default();
    for seed in 1..=6 {
        let mut c = Client::new(seed);
        c.sb.set_fail_rate(0.3);
        let mut k = Careful { c, met: Met::default(), calls: 0 };
        let s = provision_carefully(&mut k);
        let tokens = sign_on_carefully(&mut k, &s);
        assert!(tokens["access_token"].is_string() && tokens["id_token"].is_string(), "{tokens}");
        let (_, claims) = decode_jwt(tokens["id_token"].as_str().unwrap());
        assert_eq!(claims["sub"], s.user_id.as_str());
        // Nothing was created twice.
        k.c.sb.set_fail_rate(0.0);
        assert_eq!(k.c.mgmt_ok(Method::Get, &format!("/applications?{}", scim("name", "Careful App")), None, 200)["count"], 1);
        assert_eq!(k.c.mgmt_ok(Method::Get, &format!("/users/{}/devices", s.user_id), None, 200)["count"], 1);
        assert_eq!(k.c.mgmt_ok(Method::Get, &format!("/signOnPolicies/{}/actions", s.policy_id), None, 200)["count"], 2);
        assert_eq!(k.c.mgmt_ok(Method::Get, &format!("/applications/{}/grants", s.app_id), None, 200)["count"], 1);
        total.unavailable += k.met.unavailable;
        total.limited += k.met.limited;
        total.dropped += k.met.dropped;
        total.adopted += k.met.adopted;
        total.restarts += k.met.restarts;
    }
    eprintln!("faults met: {total:?}");
    // The runs really met every kind of fault.
    assert!(total.unavailable > 0 && total.limited > 0 && total.dropped > 0 && total.adopted > 0, "{total:?}");
}

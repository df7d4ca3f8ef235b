//! Property: whatever is thrown at the engine (methods, paths under real and unknown
//! environments with `..`, `%2f` and friends, headers, bodies; with and without a valid worker
//! token), it never panics, never answers 5xx, every error is a PingOne-shaped JSON body, and
//! every error code is one of `sandbox::errors::EMITTED_*`. With fault injection on, the only
//! additions are 503 / 429 bodies and dropped responses.

mod common;

use common::basic;
use pingone::http::{HttpRequest, HttpResponse, Method};
use proptest::prelude::*;
use sandbox::{Outcome, Sandbox, SandboxConfig};
use serde_json::Value;

const METHODS: [Method; 7] = [Method::Get, Method::Post, Method::Put, Method::Patch, Method::Delete, Method::Options, Method::Head];

/// Path segments: PingOne's words, traversal tricks, and random text. `ENV` becomes the real id.
fn segment() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(vec![
            "v1", "environments", "ENV", "ENV", "applications", "users", "populations", "signOnPolicies", "actions",
            "signOnPolicyAssignments", "grants", "resources", "scopes", "devices", "password", "mfaEnabled", "secret",
            "deviceAuthenticationPolicies", "passwordPolicies", "as", "authorize", "token", "resume", "userinfo", "jwks",
            ".well-known", "openid-configuration", "flows", "_sandbox", "outbox", "signon", "..", ".", "%2f", "%2e%2e",
            "", "00000000-0000-4000-8000-000000000000", "%00", "%ff", "ENV%2fas", "~", "*",
        ]).prop_map(str::to_string),
        1 => "[a-zA-Z0-9%._~:@!$&'()*+,;=-]{0,16}",
    ]
}

fn query() -> impl Strategy<Value = String> {
    let pair = (
        prop::sample::select(vec![
            "flowId",
            "filter",
            "limit",
            "expand",
            "response_mode",
            "client_id",
            "response_type",
            "scope",
            "redirect_uri",
            "code_challenge",
            "x",
        ]),
        prop_oneof![
            Just("pi.flow".to_string()),
            Just("code".to_string()),
            Just("openid".to_string()),
            Just("username%20eq%20%22a%22".to_string()),
            "[a-zA-Z0-9%._~ -]{0,20}",
        ],
    )
        .prop_map(|(k, v)| format!("{k}={v}"));
    prop::collection::vec(pair, 0..4).prop_map(|pairs| if pairs.is_empty() { String::new() } else { format!("?{}", pairs.join("&")) })
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f).map(Value::Number).unwrap_or(Value::Null)),
        "[a-zA-Z0-9@+.:/ _-]{0,24}".prop_map(Value::String),
        prop::sample::select(vec![
            "WEB_APP",
            "OPENID_CONNECT",
            "LOGIN",
            "EMAIL",
            "SMS",
            "TOTP",
            "CODE",
            "AUTHORIZATION_CODE",
            "+15125550100",
            "a@example.com",
            "Correct-Horse-9!"
        ])
        .prop_map(|s| Value::String(s.to_string())),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(
                prop::sample::select(vec![
                    "name",
                    "enabled",
                    "type",
                    "protocol",
                    "tokenEndpointAuthMethod",
                    "grantTypes",
                    "responseTypes",
                    "redirectUris",
                    "corsSettings",
                    "origins",
                    "behavior",
                    "priority",
                    "signOnPolicy",
                    "id",
                    "resource",
                    "scopes",
                    "username",
                    "email",
                    "population",
                    "value",
                    "forceChange",
                    "mfaEnabled",
                    "phone",
                    "otp",
                    "password",
                    "device",
                    "status",
                    "x",
                ]),
                inner,
                0..6,
            )
            .prop_map(|m| Value::Object(m.into_iter().map(|(k, v)| (k.to_string(), v)).collect())),
        ]
    })
}

#[derive(Debug, Clone)]
enum Auth {
    None,
    ValidBearer,
    BogusBearer,
    WorkerBasic,
    Garbage,
}

#[derive(Debug, Clone)]
struct RandomRequest {
    method: Method,
    host: &'static str,
    segments: Vec<String>,
    query: String,
    auth: Auth,
    content_type: Option<String>,
    cookie: Option<String>,
    origin: Option<&'static str>,
    body: Option<String>,
}

fn random_request() -> impl Strategy<Value = RandomRequest> {
    let auth = prop_oneof![
        Just(Auth::None),
        Just(Auth::ValidBearer),
        Just(Auth::ValidBearer),
        Just(Auth::BogusBearer),
        Just(Auth::WorkerBasic),
        Just(Auth::Garbage)
    ];
    let content_type = prop::option::of(prop_oneof![
        prop::sample::select(vec![
            "application/json",
            "application/x-www-form-urlencoded",
            "application/vnd.pingidentity.usernamePassword.check+json",
            "application/vnd.pingidentity.otp.check+json",
            "application/vnd.pingidentity.device.select+json",
            "application/vnd.pingidentity.session.reset+json",
            "application/vnd.pingidentity.password.set+json",
            "application/vnd.pingidentity.user.import+json",
            "application/vnd.pingidentity.device.activate+json",
            "text/plain",
            "application/json; charset=utf-8",
        ])
        .prop_map(str::to_string),
        "[ -~]{0,30}",
    ]);
    let body = prop::option::of(prop_oneof![
        3 => json_value().prop_map(|v| v.to_string()),
        1 => "[ -~]{0,60}",
        1 => Just("grant_type=client_credentials".to_string()),
        1 => Just("grant_type=authorization_code&code=x&redirect_uri=https%3A%2F%2Fa&code_verifier=y".to_string()),
    ]);
    (
        prop::sample::select(METHODS.to_vec()),
        prop::sample::select(vec!["https://api.pingone.com", "https://auth.pingone.com", "http://127.0.0.1:8080"]),
        prop::collection::vec(segment(), 0..7),
        query(),
        auth,
        content_type,
        prop::option::of(prop_oneof![Just("P1FLOW=x; ST=y".to_string()), "[ -~]{0,30}"]),
        prop::option::of(prop::sample::select(vec!["https://app.example.com", "null", "https://evil.example.com"])),
        body,
    )
        .prop_map(|(method, host, segments, query, auth, content_type, cookie, origin, body)| RandomRequest {
            method,
            host,
            segments,
            query,
            auth,
            content_type,
            cookie,
            origin,
            body,
        })
}

fn build(r: &RandomRequest, env: &str, token: &str, worker: (&str, &str)) -> HttpRequest {
    let path: Vec<String> = r.segments.iter().map(|s| s.replace("ENV", env)).collect();
    let mut req = HttpRequest::new(r.method, format!("{}/{}{}", r.host, path.join("/"), r.query));
    match r.auth {
        Auth::None => {}
        Auth::ValidBearer => req.headers.push("Authorization", format!("Bearer {token}")),
        Auth::BogusBearer => req.headers.push("Authorization", "Bearer eyJhbGciOiJub25lIn0.e30."),
        Auth::WorkerBasic => req.headers.push("Authorization", basic(worker.0, worker.1)),
        Auth::Garbage => req.headers.push("Authorization", "Basic ::::"),
    }
    if let Some(ct) = &r.content_type {
        req.headers.push("Content-Type", ct.clone());
    }
    if let Some(c) = &r.cookie {
        req.headers.push("Cookie", c.clone());
    }
    if let Some(o) = r.origin {
        req.headers.push("Origin", o);
    }
    req.body = r.body.clone();
    req
}

/// Every answer is well-formed: no 5xx, a correlation id, and PingOne-shaped error bodies.
fn check(req: &HttpRequest, resp: &HttpResponse) -> Result<(), TestCaseError> {
    prop_assert!(resp.status >= 200 && resp.status < 500, "{} {} -> {}: {}", req.method, req.url, resp.status, resp.body);
    prop_assert!(resp.headers.get("correlation-id").is_some());
    if resp.status >= 400 {
        let body: Value =
            serde_json::from_str(&resp.body).map_err(|e| TestCaseError::fail(format!("error body not JSON ({e}): {}", resp.body)))?;
        let p1 = body["code"].is_string() && body["message"].is_string() && body["id"].is_string();
        let oauth = body["error"].is_string() && body["error_description"].is_string();
        prop_assert!(p1 || oauth, "{} {} -> {}: {}", req.method, req.url, resp.status, resp.body);
    } else {
        prop_assert!(matches!(resp.status, 200 | 201 | 204 | 302), "{} {} -> {}", req.method, req.url, resp.status);
        let html = resp.headers.get("content-type").is_some_and(|c| c.starts_with("text/html"));
        prop_assert!(resp.body.is_empty() || html || serde_json::from_str::<Value>(&resp.body).is_ok(), "{}", resp.body);
    }
    let (p1, oauth) = common::emitted_codes(resp);
    for c in &p1 {
        prop_assert!(sandbox::errors::EMITTED_ERROR_CODES.contains(&c.as_str()), "unlisted code {c}: {}", resp.body);
    }
    for e in &oauth {
        prop_assert!(sandbox::errors::EMITTED_OAUTH_ERRORS.contains(&e.as_str()), "unlisted OAuth error {e}: {}", resp.body);
    }
    Ok(())
}

fn prepared(seed: u64) -> (Sandbox, String) {
    let mut sb = Sandbox::new(SandboxConfig { seed, ..SandboxConfig::default() });
    let info = sb.info();
    let req = HttpRequest::new(Method::Post, format!("https://auth.pingone.com/{}/as/token", info.env_id))
        .header("Authorization", basic(&info.worker_client_id, &info.worker_client_secret))
        .form_body(&[("grant_type", "client_credentials")]);
    let resp = sb.handle(&req, common::T0);
    let token =
        serde_json::from_str::<Value>(&resp.body).ok().and_then(|v| v["access_token"].as_str().map(str::to_string)).unwrap_or_default();
    (sb, token)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 192, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_requests_get_well_formed_answers(seed in 0u64..4, requests in prop::collection::vec(random_request(), 1..10), jitter in 0u64..4_000_000) {
        let (mut sb, token) = prepared(seed);
        let info = sb.info();
        let mut now = common::T0 + jitter;
        let mut errors = 0usize;
        for r in &requests {
            let req = build(r, &info.env_id, &token, (&info.worker_client_id, &info.worker_client_secret));
            now += 1_000;
            let resp = sb.handle(&req, now);
            check(&req, &resp)?;
            errors += usize::from(resp.status >= 400);
        }
        // Random traffic is almost always refused; successes are only well-formed reads/creates.
        prop_assert!(errors * 2 >= requests.len() || requests.len() < 4, "{errors} errors for {} requests", requests.len());
    }

    #[test]
    fn unauthenticated_management_calls_are_always_401(r in random_request()) {
        let (mut sb, _) = prepared(9);
        let env = sb.info().env_id;
        let mut req = build(&r, &env, "", ("", ""));
        req.url = format!("https://api.pingone.com/v1/environments/{env}/{}{}", r.segments.join("/"), r.query);
        req.headers.remove("Authorization");
        let resp = sb.handle(&req, common::T0);
        prop_assert_eq!(resp.status, 401, "{} {}: {}", req.method, req.url, resp.body);
        check(&req, &resp)?;
    }

    #[test]
    fn faults_only_add_503_429_and_drops(seed in 0u64..4, rate in 0.0f64..=1.0, requests in prop::collection::vec(random_request(), 1..10)) {
        let (mut sb, token) = prepared(seed);
        sb.set_fail_rate(rate);
        let info = sb.info();
        let mut now = common::T0;
        for r in &requests {
            let req = build(r, &info.env_id, &token, (&info.worker_client_id, &info.worker_client_secret));
            now += 1_000;
            match sb.handle_with_faults(&req, now) {
                Outcome::Dropped(lost) => check(&req, &lost)?,
                Outcome::Answer(resp) if resp.status == 503 || resp.status == 429 => {
                    let body: Value = serde_json::from_str(&resp.body).map_err(|e| TestCaseError::fail(e.to_string()))?;
                    let expected = if resp.status == 503 { "SERVICE_UNAVAILABLE" } else { "REQUEST_LIMITED" };
                    prop_assert_eq!(body["code"].as_str(), Some(expected));
                    prop_assert_eq!(body["id"].as_str(), resp.headers.get("correlation-id"));
                    prop_assert_eq!(resp.status == 429, resp.headers.get("retry-after").is_some());
                }
                Outcome::Answer(resp) => check(&req, &resp)?,
            }
        }
    }

    #[test]
    fn extreme_clocks_do_not_panic(now in any::<u64>(), r in random_request()) {
        let (mut sb, token) = prepared(3);
        let info = sb.info();
        let req = build(&r, &info.env_id, &token, (&info.worker_client_id, &info.worker_client_secret));
        let resp = sb.handle(&req, now);
        check(&req, &resp)?;
    }
}

fn flow_action() -> impl Strategy<Value = (String, Option<String>)> {
    (
        prop::sample::select(vec![
            "usernamePassword.check",
            "otp.check",
            "device.select",
            "session.reset",
            "password.reset",
            "password.forgot",
            "user.register",
            "user.lookup",
            "assertion.check",
            "nonsense",
        ]),
        prop::option::of(prop_oneof![
            json_value().prop_map(|v| v.to_string()),
            Just("{\"username\": \"USER\", \"password\": \"Correct-Horse-9!\"}".to_string()),
            Just("{\"otp\": \"OTP\"}".to_string()),
            Just("{\"device\": {\"id\": \"DEVICE\"}}".to_string()),
        ]),
    )
        .prop_map(|(a, b)| (format!("application/vnd.pingidentity.{a}+json"), b))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, failure_persistence: None, ..ProptestConfig::default() })]

    /// A real flow, driven by random actions (some of them right): every answer is well-formed
    /// and the flow only ever shows documented statuses.
    #[test]
    fn random_flow_actions_keep_the_flow_consistent(actions in prop::collection::vec(flow_action(), 1..12), two_devices in any::<bool>()) {
        let mut c = common::Client::new(5);
        let devices: &[&str] = if two_devices { &["EMAIL", "SMS"] } else { &["EMAIL"] };
        let s = c.provision(devices, common::Client::default_mfa_action());
        let p = common::pkce(1);
        let r = c.authorize(&common::Client::authorize_params(&s.app_id, &p, Some("pi.flow")));
        let flow_id = common::body(&r)["id"].as_str().unwrap_or_default().to_string();
        for (media_type, body) in actions {
            let otp = c.sb.outbox().last().map(|m| m.otp.clone()).unwrap_or_default();
            let mut req = HttpRequest::new(Method::Post, c.flow_url(&flow_id));
            req.headers.push("Content-Type", media_type);
            req.body = body.map(|b| b.replace("USER", &s.username).replace("OTP", &otp).replace("DEVICE", &s.device_ids[0]));
            let resp = c.send(req.clone());
            check(&req, &resp)?;
            let flow = c.flow_get(&flow_id);
            check(&req, &flow)?;
            if flow.status == 200 {
                let status = common::body(&flow)["status"].as_str().unwrap_or_default().to_string();
                prop_assert!(
                    ["USERNAME_PASSWORD_REQUIRED", "MUST_CHANGE_PASSWORD", "DEVICE_SELECTION_REQUIRED", "OTP_REQUIRED", "COMPLETED", "FAILED"].contains(&status.as_str()),
                    "{status}"
                );
            }
        }
    }
}

#[test]
fn malformed_urls_and_odd_inputs() {
    let (mut sb, token) = prepared(1);
    let env = sb.info().env_id;
    for url in [
        "",
        "/relative/path",
        "not a url",
        "https://",
        "mailto:someone@example.com",
        "https://auth.pingone.com",
        "https://auth.pingone.com/",
        "https://auth.pingone.com//as/token",
    ] {
        let req = HttpRequest::new(Method::Get, url).header("Authorization", format!("Bearer {token}"));
        let resp = sb.handle(&req, common::T0);
        assert!((400..500).contains(&resp.status), "{url}: {}", resp.status);
        assert!(serde_json::from_str::<Value>(&resp.body).is_ok());
    }
    let huge = "x".repeat(1 << 20);
    let mut req = HttpRequest::new(Method::Post, format!("https://api.pingone.com/v1/environments/{env}/users"))
        .header("Authorization", format!("Bearer {token}"));
    req.headers.push("Content-Type", "application/json");
    req.body = Some(format!("{{\"username\": \"{huge}\", \"email\": \"a@example.com\"}}"));
    let resp = sb.handle(&req, common::T0);
    assert_eq!(resp.status, 400, "{}", &resp.body[..200.min(resp.body.len())]);
    let nested = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    req.body = Some(nested);
    let resp = sb.handle(&req, common::T0);
    assert_eq!(resp.status, 400, "deep nesting is refused by the JSON parser, not a stack overflow");
}

//! Worker mode: the proxy holds the worker credentials. Against a recording stand-in for PingOne
//! (token endpoint + management API) for the rules, and against the sandbox for the whole
//! workflow, a revoked token and the clean-up.

mod common;
use common::{read_response, start_sandbox};
use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use pingone::http::{HttpRequest, HttpResponse};
use pingone::oauth::{pkce_challenge_from_digest, pkce_verifier, random_token, AuthorizeSecrets};
use pingone::secret::{AccessToken, Otp, Password, WorkerSecret};
use pingone::workflow::{
    build_lookup, cleanup_plan, Applied, BuildError, Endpoints, Planned, Progress, StepId, StepStatus, UserInput, WorkflowConfig, WorkflowState,
};
use pingone::Region;
use proxy::worker::WorkerConfig;
use proxy::{router, ProxyConfig, Upstreams};
use sandbox::{Sandbox, SandboxConfig};
use sha2::{Digest, Sha256};
use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;

const ENV: &str = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";
const OTHER_ENV: &str = "11111111-2222-4333-8444-555555555555";
const WORKER_ID: &str = "99999999-8888-4777-8666-555555555555";
const WORKER_SECRET: &str = "worker-secret-Zq8";
/// Another WORKER application in the environment (its secret must not be readable either).
const OTHER_WORKER_APP: &str = "77777777-6666-4555-8444-333333333333";
const WEB_APP: &str = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee";
const ID: &str = "12345678-1234-4234-8234-123456789abc";
const ORIGIN: &str = "http://127.0.0.1:8080";

// ---------- a recording stand-in for PingOne ----------

#[derive(Default)]
struct Mock {
    /// (method, path and query, authorization header) of every request.
    hits: Vec<(String, String, Option<String>)>,
    issued: u32,
    valid: HashSet<String>,
    expires_in: u64,
    reject_credentials: bool,
    refuse_all_bearers: bool,
}

type Shared = Arc<Mutex<Mock>>;

impl Mock {
    fn token_requests(&self) -> usize {
        self.hits.iter().filter(|h| h.1.ends_with("/as/token")).count()
    }
    /// The management calls the page caused (the proxy's own read of the environment's type,
    /// once, with its first token, is counted apart).
    fn management(&self) -> Vec<(String, String, Option<String>)> {
        self.hits.iter().filter(|h| h.1.starts_with("/v1/") && !is_environment_read(h)).cloned().collect()
    }
    fn environment_reads(&self) -> usize {
        self.hits.iter().filter(|h| is_environment_read(h)).count()
    }
}

fn is_environment_read(hit: &(String, String, Option<String>)) -> bool {
    hit.0 == "GET" && hit.1 == format!("/v1/environments/{ENV}")
}

fn json(status: u16, body: serde_json::Value) -> Response {
    let mut r = Response::new(Body::from(body.to_string()));
    *r.status_mut() = StatusCode::from_u16(status).unwrap();
    r.headers_mut().insert("content-type", HeaderValue::from_static("application/json"));
    r
}

async fn start_mock(mock: Shared) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = axum::Router::new().fallback(move |req: Request| {
        let mock = mock.clone();
        async move {
            let auth = req.headers().get("authorization").and_then(|v| v.to_str().ok()).map(str::to_string);
            let path = req.uri().path().to_string();
            let method = req.method().to_string();
            let body = axum::body::to_bytes(req.into_body(), 1 << 16).await.unwrap();
            let mut m = mock.lock().unwrap();
            m.hits.push((method.clone(), path.clone(), auth.clone()));
            if path == format!("/{ENV}/as/token") {
                let basic = pingone::oauth::basic_auth(WORKER_ID, WORKER_SECRET);
                if m.reject_credentials || auth.as_deref() != Some(basic.as_str()) || &body[..] != b"grant_type=client_credentials" {
                    return json(401, serde_json::json!({"error": "invalid_client", "error_description": "Request denied"}));
                }
                m.issued += 1;
                let token = format!("tok-{}", m.issued);
                m.valid.insert(token.clone());
                return json(200, serde_json::json!({"access_token": token, "token_type": "Bearer", "expires_in": m.expires_in}));
            }
            let bearer = auth.as_deref().and_then(|a| a.strip_prefix("Bearer ")).unwrap_or_default().to_string();
            if m.refuse_all_bearers || !m.valid.contains(&bearer) {
                return json(401, serde_json::json!({"code": "ACCESS_FAILED", "message": "The authorization token is either missing or invalid, or it has expired."}));
            }
            if method == "GET" && path == format!("/v1/environments/{ENV}") {
                return json(200, serde_json::json!({"id": ENV, "name": "Mock", "type": "SANDBOX", "region": "NA"}));
            }
            if let Some(app) = path.strip_prefix(&format!("/v1/environments/{ENV}/applications/")).filter(|a| !a.contains('/')) {
                let kind = if app == OTHER_WORKER_APP || app == WORKER_ID { "WORKER" } else { "WEB_APP" };
                return json(200, serde_json::json!({"id": app, "type": kind, "name": "x"}));
            }
            json(200, serde_json::json!({"ok": true, "_links": {"self": {"href": format!("http://{addr}{path}")}}}))
        }
    });
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

fn worker_config() -> WorkerConfig {
    WorkerConfig::new(WORKER_ID, WorkerSecret::new(WORKER_SECRET), ENV, Region::Na)
}

async fn start_proxy(upstreams: Upstreams, worker: WorkerConfig) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut config = ProxyConfig::new(vec![ORIGIN.into()], upstreams);
    config.allowed_hosts = vec![addr.to_string()];
    config.log = false;
    config.worker = Some(worker);
    let app = router(config).unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

async fn mock_and_proxy(expires_in: u64) -> (Shared, SocketAddr) {
    let mock: Shared = Arc::new(Mutex::new(Mock { expires_in, ..Default::default() }));
    let up = format!("http://{}", start_mock(mock.clone()).await);
    let proxy = start_proxy(Upstreams::Http { api: up.clone(), auth: up }, worker_config()).await;
    (mock, proxy)
}

struct Answer {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: String,
}

async fn call(proxy: SocketAddr, method: &str, path: &str, headers: &[(&str, &str)], body: Option<&str>) -> Answer {
    let client = reqwest::Client::new();
    let mut rb = client.request(reqwest::Method::from_bytes(method.as_bytes()).unwrap(), format!("http://{proxy}{path}"));
    for (k, v) in headers {
        rb = rb.header(*k, *v);
    }
    if let Some(b) = body {
        rb = rb.body(b.to_string());
    }
    let resp = rb.send().await.unwrap();
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    Answer { status, headers, body: resp.text().await.unwrap() }
}

fn api(rest: &str) -> String {
    format!("/na/api/v1/environments/{rest}")
}

// ---------- the rules ----------

#[tokio::test]
async fn anything_but_the_workflow_is_refused_before_any_upstream_call() {
    let (mock, proxy) = mock_and_proxy(3600).await;
    let (e, o, i) = (ENV, OTHER_ENV, ID);
    let form = ("content-type", "application/x-www-form-urlencoded");
    type Case<'a> = (&'a str, &'a str, String, Vec<(&'a str, &'a str)>, Option<&'a str>, &'a str);
    let cases: Vec<Case> = vec![
        ("another environment", "GET", api(&format!("{o}/users")), vec![], None, "ENVIRONMENT_NOT_ALLOWED"),
        ("another environment, allowed operation", "POST", api(&format!("{o}/applications")), vec![], Some("{}"), "ENVIRONMENT_NOT_ALLOWED"),
        ("the environment itself", "GET", api(e), vec![], None, "OPERATION_NOT_ALLOWED"),
        ("the organization", "GET", "/na/api/v1/organizations".into(), vec![], None, "OPERATION_NOT_ALLOWED"),
        ("the environments list", "GET", "/na/api/v1/environments".into(), vec![], None, "OPERATION_NOT_ALLOWED"),
        ("another API version", "GET", format!("/na/api/v2/environments/{e}/users"), vec![], None, "OPERATION_NOT_ALLOWED"),
        ("PATCH a user", "PATCH", api(&format!("{e}/users/{i}")), vec![], Some("{}"), "OPERATION_NOT_ALLOWED"),
        ("DELETE the environment", "DELETE", api(e), vec![], None, "OPERATION_NOT_ALLOWED"),
        ("role assignments", "GET", api(&format!("{e}/roleAssignments")), vec![], None, "OPERATION_NOT_ALLOWED"),
        ("give an application roles", "POST", api(&format!("{e}/applications/{i}/roleAssignments")), vec![], Some("{}"), "OPERATION_NOT_ALLOWED"),
        ("read one user", "GET", api(&format!("{e}/users/{i}")), vec![], None, "OPERATION_NOT_ALLOWED"),
        ("a user's sessions", "GET", api(&format!("{e}/users/{i}/sessions")), vec![], None, "OPERATION_NOT_ALLOWED"),
        ("read a password state", "GET", api(&format!("{e}/users/{i}/password")), vec![], None, "OPERATION_NOT_ALLOWED"),
        ("update a user", "PUT", api(&format!("{e}/users/{i}")), vec![], Some("{}"), "OPERATION_NOT_ALLOWED"),
        ("update an application", "PUT", api(&format!("{e}/applications/{i}")), vec![], Some("{}"), "OPERATION_NOT_ALLOWED"),
        ("rotate an application secret", "POST", api(&format!("{e}/applications/{i}/secret")), vec![], Some("{}"), "OPERATION_NOT_ALLOWED"),
        ("create a resource", "POST", api(&format!("{e}/resources")), vec![], Some("{}"), "OPERATION_NOT_ALLOWED"),
        ("password policies", "GET", api(&format!("{e}/passwordPolicies")), vec![], None, "OPERATION_NOT_ALLOWED"),
        ("an id that is not an id", "GET", api(&format!("{e}/users/me/devices")), vec![], None, "OPERATION_NOT_ALLOWED"),
        ("list every user", "GET", api(&format!("{e}/users?filter=username%20sw%20%22%22")), vec![], None, "QUERY_NOT_ALLOWED"),
        ("a filter with more after it", "GET", api(&format!("{e}/users?filter=username%20eq%20%22a%22%20or%20username%20pr")), vec![], None, "QUERY_NOT_ALLOWED"),
        ("a query on a plain list", "GET", api(&format!("{e}/applications?limit=1000")), vec![], None, "QUERY_NOT_ALLOWED"),
        ("the worker's own secret", "GET", api(&format!("{e}/applications/{WORKER_ID}/secret")), vec![], None, "WORKER_APPLICATION_REFUSED"),
        ("delete the worker", "DELETE", api(&format!("{e}/applications/{WORKER_ID}")), vec![], None, "WORKER_APPLICATION_REFUSED"),
        ("a WORKER application", "POST", api(&format!("{e}/applications")), vec![], Some(r#"{"name":"w","type":"WORKER","protocol":"OPENID_CONNECT"}"#), "APPLICATION_BODY_REFUSED"),
        ("an app with the actor's roles", "POST", api(&format!("{e}/applications")), vec![], Some(r#"{"name":"w","type":"WEB_APP","assignActorRoles":true}"#), "APPLICATION_BODY_REFUSED"),
        ("an app with client_credentials", "POST", api(&format!("{e}/applications")), vec![], Some(r#"{"name":"w","type":"WEB_APP","grantTypes":["CLIENT_CREDENTIALS"]}"#), "APPLICATION_BODY_REFUSED"),
        ("the page's own bearer token", "GET", api(&format!("{e}/resources")), vec![("authorization", "Bearer stolen")], None, "CLIENT_AUTHORIZATION_REFUSED"),
        ("Basic credentials on management", "GET", api(&format!("{e}/resources")), vec![("authorization", "Basic eDp5")], None, "CLIENT_AUTHORIZATION_REFUSED"),
        ("a page on another origin (CSRF)", "POST", api(&format!("{e}/users")), vec![("origin", "http://evil.example"), ("content-type", "text/plain")], Some("{}"), "ORIGIN_NOT_ALLOWED"),
        ("a look-alike origin", "POST", api(&format!("{e}/users")), vec![("origin", "http://127.0.0.1:8080.evil.example")], Some("{}"), "ORIGIN_NOT_ALLOWED"),
        ("a cross-site no-cors request", "POST", api(&format!("{e}/users")), vec![("sec-fetch-site", "cross-site")], Some("{}"), "ORIGIN_NOT_ALLOWED"),
        ("mint a worker token", "POST", format!("/na/auth/{e}/as/token"), vec![form], Some("grant_type=client_credentials"), "GRANT_TYPE_NOT_ALLOWED"),
        ("guess worker credentials", "POST", format!("/na/auth/{e}/as/token"), vec![form, ("authorization", "Basic Z3Vlc3M6Z3Vlc3M=")], Some("grant_type=client_credentials"), "GRANT_TYPE_NOT_ALLOWED"),
        ("mint one in the worker's environment", "POST", format!("/na/auth/{o}/as/token"), vec![form], Some("grant_type=client_credentials"), "GRANT_TYPE_NOT_ALLOWED"),
        ("hide the grant in the query", "POST", format!("/na/auth/{e}/as/token?grant_type=client_credentials"), vec![form], Some("code=x"), "GRANT_TYPE_NOT_ALLOWED"),
        ("two grant types", "POST", format!("/na/auth/{e}/as/token"), vec![form], Some("grant_type=authorization_code&grant_type=client_credentials"), "TOKEN_REQUEST_REFUSED"),
        ("a JSON token request", "POST", format!("/na/auth/{e}/as/token"), vec![("content-type", "application/json")], Some(r#"{"grant_type":"client_credentials"}"#), "TOKEN_REQUEST_REFUSED"),
        ("a trailing slash", "POST", format!("/na/auth/{e}/as/token/"), vec![form], Some("grant_type=client_credentials"), "GRANT_TYPE_NOT_ALLOWED"),
        ("a path parameter", "POST", format!("/na/auth/{e}/as/token;x=1"), vec![form], Some("grant_type=client_credentials"), "GRANT_TYPE_NOT_ALLOWED"),
        ("an encoded path", "POST", format!("/na/auth/{e}/as/t%6Fken"), vec![form], Some("grant_type=client_credentials"), "GRANT_TYPE_NOT_ALLOWED"),
        ("a GET with the grant in the query", "GET", format!("/na/auth/{e}/as/token?grant_type=client_credentials"), vec![], None, "TOKEN_REQUEST_REFUSED"),
    ];
    assert!(cases.len() >= 30);
    for (name, method, path, headers, body, code) in &cases {
        let a = call(proxy, method, path, headers, *body).await;
        assert_eq!(a.status, 403, "{name}: {}", a.body);
        let v: serde_json::Value = serde_json::from_str(&a.body).unwrap_or_else(|_| panic!("{name}: JSON body, got {:?}", a.body));
        assert_eq!(v["code"], *code, "{name}: {v}");
        assert!(v["message"].is_string(), "{name}");
    }
    // Other regions are not served at all in worker mode.
    let a = call(proxy, "GET", &format!("/eu/api/v1/environments/{ENV}/resources"), &[], None).await;
    assert_eq!(a.status, 404, "{}", a.body);
    assert!(mock.lock().unwrap().hits.is_empty(), "a refused request reached PingOne: {:?}", mock.lock().unwrap().hits);
}

#[tokio::test]
async fn the_proxy_gets_the_token_once_and_the_page_never_sees_it() {
    let (mock, proxy) = mock_and_proxy(3600).await;
    for _ in 0..3 {
        let a = call(proxy, "GET", &api(&format!("{ENV}/resources")), &[("origin", ORIGIN)], None).await;
        assert_eq!(a.status, 200, "{}", a.body);
        assert_eq!(a.headers.get("access-control-allow-origin").map(|v| v.to_str().unwrap()), Some(ORIGIN));
        for leak in ["tok-", WORKER_SECRET, "Bearer"] {
            assert!(!a.body.contains(leak) && !format!("{:?}", a.headers).contains(leak), "{leak} in {a:?}", a = a.body);
        }
        assert!(a.body.contains(&format!("http://{proxy}/na/api/v1/")), "links point at the proxy: {}", a.body);
    }
    let m = mock.lock().unwrap();
    assert_eq!(m.token_requests(), 1, "one token, cached: {:?}", m.hits);
    let token_call = m.hits.iter().find(|h| h.1.ends_with("/as/token")).unwrap();
    assert_eq!((token_call.0.as_str(), token_call.1.as_str()), ("POST", &*format!("/{ENV}/as/token")));
    assert_eq!(token_call.2.as_deref(), Some(pingone::oauth::basic_auth(WORKER_ID, WORKER_SECRET).as_str()), "client_secret_basic");
    assert!(m.management().iter().all(|h| h.2.as_deref() == Some("Bearer tok-1")), "{:?}", m.hits);
    assert_eq!(m.management().len(), 3);
    assert_eq!(m.environment_reads(), 1, "the environment's type is read once, not with every token");
}

#[tokio::test]
async fn a_401_gets_one_new_token_and_one_retry_never_more() {
    let (mock, proxy) = mock_and_proxy(3600).await;
    let resources = api(&format!("{ENV}/resources"));
    assert_eq!(call(proxy, "GET", &resources, &[], None).await.status, 200);
    // PingOne forgets tok-1 (revoked, or expired early): the next call gets a 401 upstream.
    mock.lock().unwrap().valid.clear();
    let a = call(proxy, "GET", &resources, &[], None).await;
    assert_eq!(a.status, 200, "renewed and retried: {}", a.body);
    {
        let m = mock.lock().unwrap();
        let seen: Vec<(String, Option<String>)> = m.hits.iter().map(|h| (h.1.rsplit('/').next().unwrap().to_string(), h.2.clone())).collect();
        let token = |t: &str| Some(format!("Bearer {t}"));
        let basic = Some(pingone::oauth::basic_auth(WORKER_ID, WORKER_SECRET));
        assert_eq!(
            seen,
            vec![
                ("token".into(), basic.clone()),
                // The environment's type, read once with the first token.
                (ENV.into(), token("tok-1")),
                ("resources".into(), token("tok-1")),
                ("resources".into(), token("tok-1")),
                ("token".into(), basic),
                ("resources".into(), token("tok-2")),
            ]
        );
    }
    // A 401 with a fresh token too (the worker lost its roles...): passed on after one retry.
    mock.lock().unwrap().refuse_all_bearers = true;
    let before = mock.lock().unwrap().hits.len();
    let a = call(proxy, "GET", &resources, &[], None).await;
    assert_eq!(a.status, 401, "{}", a.body);
    let v: serde_json::Value = serde_json::from_str(&a.body).unwrap();
    assert_eq!(v["code"], "ACCESS_FAILED", "PingOne's own error is passed on");
    let m = mock.lock().unwrap();
    let after: Vec<&str> = m.hits[before..].iter().map(|h| h.1.rsplit('/').next().unwrap()).collect();
    assert_eq!(after, vec!["resources", "token", "resources"], "one renewal, one retry");
}

#[tokio::test]
async fn the_token_is_refreshed_before_it_expires() {
    let mock: Shared = Arc::new(Mutex::new(Mock { expires_in: 2, ..Default::default() }));
    let up = format!("http://{}", start_mock(mock.clone()).await);
    let mut w = worker_config();
    w.refresh_margin = Duration::from_secs(1);
    let proxy = start_proxy(Upstreams::Http { api: up.clone(), auth: up }, w).await;
    let resources = api(&format!("{ENV}/resources"));
    assert_eq!(call(proxy, "GET", &resources, &[], None).await.status, 200);
    assert_eq!(call(proxy, "GET", &resources, &[], None).await.status, 200);
    assert_eq!(mock.lock().unwrap().token_requests(), 1);
    tokio::time::sleep(Duration::from_millis(1200)).await;
    // tok-1 still has ~0.8 s to live, less than the margin: a new one is fetched first.
    assert_eq!(call(proxy, "GET", &resources, &[], None).await.status, 200);
    let m = mock.lock().unwrap();
    assert_eq!(m.token_requests(), 2, "{:?}", m.hits);
    let bearers: Vec<String> = m.management().into_iter().map(|h| h.2.unwrap_or_default()).collect();
    assert_eq!(bearers, vec!["Bearer tok-1", "Bearer tok-1", "Bearer tok-2"]);
}

#[tokio::test]
async fn rejected_worker_credentials_are_a_502_that_names_no_secret() {
    let (mock, proxy) = mock_and_proxy(3600).await;
    mock.lock().unwrap().reject_credentials = true;
    let resources = api(&format!("{ENV}/resources"));
    let a = call(proxy, "GET", &resources, &[], None).await;
    assert_eq!(a.status, 502, "{}", a.body);
    let v: serde_json::Value = serde_json::from_str(&a.body).unwrap();
    assert_eq!(v["code"], "WORKER_TOKEN_UNAVAILABLE");
    assert!(v["message"].as_str().unwrap().contains("401 (invalid_client)"), "{v}");
    assert!(!a.body.contains(WORKER_SECRET) && !a.body.contains(WORKER_ID), "{}", a.body);
    // The page retrying at once does not make the proxy hammer the token endpoint.
    for _ in 0..5 {
        assert_eq!(call(proxy, "GET", &resources, &[], None).await.status, 502);
    }
    assert_eq!(mock.lock().unwrap().token_requests(), 1);
    assert!(mock.lock().unwrap().management().is_empty());
}

#[tokio::test]
async fn only_managed_application_types_are_reached() {
    let (mock, proxy) = mock_and_proxy(3600).await;
    // Another worker app in the environment: its secret is the keys to the environment too.
    let a = call(proxy, "GET", &api(&format!("{ENV}/applications/{OTHER_WORKER_APP}/secret")), &[], None).await;
    assert_eq!(a.status, 403, "{}", a.body);
    assert!(a.body.contains("APPLICATION_TYPE_NOT_ALLOWED"), "{}", a.body);
    let a = call(proxy, "DELETE", &api(&format!("{ENV}/applications/{OTHER_WORKER_APP}")), &[], None).await;
    assert_eq!(a.status, 403, "{}", a.body);
    // The workflow's own WEB_APP: checked once, then forwarded.
    for _ in 0..2 {
        let a = call(proxy, "GET", &api(&format!("{ENV}/applications/{WEB_APP}/secret")), &[], None).await;
        assert_eq!(a.status, 200, "{}", a.body);
    }
    let m = mock.lock().unwrap();
    let paths: Vec<&str> = m.management().iter().map(|h| if h.1.ends_with("/secret") { "secret" } else { "read" }).collect();
    assert_eq!(paths, vec!["read", "read", "read", "secret", "secret"], "{:?}", m.hits);
    assert!(!m.hits.iter().any(|h| h.1.contains(&format!("{OTHER_WORKER_APP}/secret"))));
}

#[tokio::test]
async fn proxy_info_tells_the_mode_with_cors_and_no_secret() {
    let (_mock, proxy) = mock_and_proxy(3600).await;
    let a = call(proxy, "GET", "/_proxy/info", &[("origin", ORIGIN)], None).await;
    assert_eq!(a.status, 200);
    let v: serde_json::Value = serde_json::from_str(&a.body).unwrap();
    assert_eq!(v, serde_json::json!({"worker_credentials": "proxy", "environment_id": ENV, "regions": ["na"]}));
    assert_eq!(a.headers.get("access-control-allow-origin").unwrap(), ORIGIN);
    assert!(!a.body.contains(WORKER_ID) && !a.body.contains(WORKER_SECRET));
    let evil = call(proxy, "GET", "/_proxy/info", &[("origin", "http://evil.example")], None).await;
    assert!(evil.headers.get("access-control-allow-origin").is_none() && evil.headers.get("access-control-allow-credentials").is_none());
    let rebinding = call(proxy, "GET", "/_proxy/info", &[("host", "evil.example")], None).await;
    assert_eq!(rebinding.status, 421);

    // Page mode says so too.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut config = ProxyConfig::new(vec![ORIGIN.into()], Upstreams::Http { api: "https://api.pingone.{tld}".into(), auth: "https://auth.pingone.{tld}".into() });
    config.log = false;
    config.regions = vec![Region::Na, Region::Eu];
    let app = router(config).unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let a = call(addr, "GET", "/_proxy/info", &[("origin", ORIGIN)], None).await;
    let v: serde_json::Value = serde_json::from_str(&a.body).unwrap();
    assert_eq!(v, serde_json::json!({"worker_credentials": "page", "environment_id": null, "regions": ["na", "eu"]}));
    assert_eq!(a.headers.get("access-control-allow-origin").unwrap(), ORIGIN);
}

#[tokio::test]
async fn serving_the_app_its_own_origin_may_use_the_worker() {
    let mock: Shared = Arc::new(Mutex::new(Mock { expires_in: 3600, ..Default::default() }));
    let up = format!("http://{}", start_mock(mock.clone()).await);
    let dir = std::env::temp_dir().join(format!("proxy-serve-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("index.html"), "<!doctype html><title>app</title>").unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut config = ProxyConfig::new(vec![ORIGIN.into()], Upstreams::Http { api: up.clone(), auth: up });
    config.allowed_hosts = vec![addr.to_string()];
    config.log = false;
    config.serve_dir = Some(dir.clone());
    config.worker = Some(worker_config());
    let app = router(config).unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let own = format!("http://{addr}");
    let resources = api(&format!("{ENV}/resources"));
    assert_eq!(call(addr, "POST", &api(&format!("{ENV}/populations")), &[("origin", &own), ("content-type", "application/json")], Some("{}")).await.status, 200);
    assert_eq!(call(addr, "GET", &resources, &[("origin", "http://evil.example")], None).await.status, 403);
    assert_eq!(call(addr, "GET", &resources, &[("origin", &own), ("host", "evil.example")], None).await.status, 421);
    let page = call(addr, "GET", "/", &[], None).await;
    assert!(page.body.contains("<title>app</title>"), "{}", page.body);
    let info = call(addr, "GET", "/_proxy/info", &[], None).await;
    assert!(info.body.contains("\"proxy\""), "{}", info.body);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn worker_mode_needs_its_region() {
    let mut config = ProxyConfig::new(vec![ORIGIN.into()], Upstreams::Http { api: "https://api.pingone.{tld}".into(), auth: "https://auth.pingone.{tld}".into() });
    config.regions = vec![Region::Eu];
    config.worker = Some(worker_config());
    assert!(router(config).is_err());
}

// ---------- the whole workflow against the sandbox ----------

fn sandbox_worker(engine: &Arc<Mutex<Sandbox>>) -> WorkerConfig {
    let info = engine.lock().unwrap().info();
    WorkerConfig::new(info.worker_client_id, WorkerSecret::new(info.worker_client_secret), info.env_id, Region::Na)
}

/// What the client sent, so the test can prove no worker credential ever left it.
#[derive(Default)]
struct Sent(Mutex<Vec<String>>);

/// Sends like the browser transport in proxy mode: management calls without Authorization.
async fn send(client: &reqwest::Client, sent: &Sent, req: HttpRequest) -> HttpResponse {
    let method = reqwest::Method::from_bytes(req.method.as_str().as_bytes()).unwrap();
    let management = req.url.contains("/api/v1/");
    let mut rb = client.request(method, &req.url).header("origin", ORIGIN);
    let mut line = format!("{} {}", req.method.as_str(), req.url);
    for (k, v) in req.headers.iter() {
        if management && k.eq_ignore_ascii_case("authorization") {
            continue;
        }
        line.push_str(&format!(" {k}: {v}"));
        rb = rb.header(k, v);
    }
    if let Some(body) = &req.body {
        line.push(' ');
        line.push_str(body);
        rb = rb.body(body.clone());
    }
    sent.0.lock().unwrap().push(line);
    read_response(rb.send().await.unwrap()).await
}

/// Steps 1-20 through the proxy in worker mode; step 0 is the proxy's business. The client's
/// state holds a placeholder token only because the step builders want one; it is stripped.
async fn run_workflow(proxy: SocketAddr, engine: &Arc<Mutex<Sandbox>>, sent: &Sent, client: &reqwest::Client) -> WorkflowState {
    let info = engine.lock().unwrap().info();
    let endpoints = Endpoints { api_base: format!("http://{proxy}/na/api/v1"), auth_root: format!("http://{proxy}/na/auth") };
    let config = WorkflowConfig::new(endpoints, &info.env_id, "", "wm1");
    let mut state = WorkflowState::new(config, WorkerSecret::new(""), Password::new("Correct-Horse-9!"));
    state.secrets.worker_token = Some(AccessToken::new("placeholder-never-sent"));
    let mut progress = Progress::new();
    progress.set(StepId::WorkerToken, StepStatus::Skipped);
    while !progress.is_complete() {
        let ready = progress.ready();
        assert!(!ready.is_empty(), "stuck: {progress:?}");
        for id in ready {
            let req = loop {
                match id.build(&state) {
                    Ok(Planned::Request(r)) => break Some(r),
                    Ok(Planned::Skip(_)) => break None,
                    Err(BuildError::NeedsInput(UserInput::AuthorizeSecrets)) => {
                        let v = pkce_verifier(&[7; 32]).unwrap();
                        let code_challenge = pkce_challenge_from_digest(&Sha256::digest(v.expose().as_bytes()));
                        state.secrets.authorize = Some(AuthorizeSecrets { state: random_token(&[8; 16]), nonce: random_token(&[9; 16]), code_verifier: v, code_challenge });
                    }
                    Err(BuildError::NeedsInput(UserInput::Otp)) => {
                        let otp = engine.lock().unwrap().outbox().last().map(|m| m.otp.clone()).expect("an OTP");
                        state.secrets.otp = Some(Otp::new(otp));
                    }
                    Err(e) => panic!("step {} cannot build: {e}", id.number()),
                }
            };
            let Some(req) = req else {
                progress.set(id, StepStatus::Skipped);
                continue;
            };
            let resp = send(client, sent, req).await;
            let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as u64;
            match id.apply(&mut state, &resp, now) {
                Ok(Applied::Done) => progress.set(id, StepStatus::Done),
                Ok(Applied::Again) => {}
                Err(e) => panic!("step {} failed: {e} ({} {})", id.number(), resp.status, resp.body),
            }
        }
    }
    state
}

#[tokio::test]
async fn the_whole_workflow_and_clean_up_run_without_the_client_holding_worker_credentials() {
    let (sandbox_addr, engine) = start_sandbox(21).await;
    let up = format!("http://{sandbox_addr}");
    let worker = sandbox_worker(&engine);
    let secret = worker.client_secret.expose().to_string();
    let proxy = start_proxy(Upstreams::Http { api: up.clone(), auth: up }, worker).await;
    let sent = Sent::default();
    let client = reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let mut state = run_workflow(proxy, &engine, &sent, &client).await;
    let tokens = state.secrets.tokens.as_ref().expect("signed on");
    let id = pingone::oauth::decode_jwt(tokens.id_token.as_ref().unwrap().expose()).unwrap();
    assert_eq!(id.claims["aud"], state.created.application_id.clone().unwrap());

    // The lookups that adopt an object after a lost create go through too.
    for step in [StepId::CreateApplication, StepId::CreatePopulation, StepId::CreateUser, StepId::CreateMfaDevice, StepId::CreateLoginAction, StepId::AssignSignOnPolicy, StepId::CreateGrant] {
        let lookup = build_lookup(step, &state).unwrap().unwrap();
        let r = send(&client, &sent, lookup).await;
        assert_eq!(r.status, 200, "lookup for step {}: {}", step.number(), r.body);
    }

    // Clean-up: every DELETE of the plan, in its order.
    let plan = cleanup_plan(&state).unwrap();
    assert_eq!(plan.len(), 6);
    for item in plan {
        let r = send(&client, &sent, item.request.clone()).await;
        assert!(item.apply(&mut state, &r).is_ok(), "{}: {} {}", item.title, r.status, r.body);
    }
    assert!(state.created.object_ids().is_empty(), "{:?}", state.created.object_ids());

    let sent = sent.0.lock().unwrap();
    assert!(sent.len() >= 20 + 7 + 6, "{}", sent.len());
    for line in sent.iter() {
        assert!(!line.contains("placeholder-never-sent") && !line.contains(&secret) && !line.contains("client_credentials"), "{line}");
        if line.contains("/api/v1/") {
            assert!(!line.to_ascii_lowercase().contains(" authorization: "), "{line}");
        }
    }
}

#[tokio::test]
async fn a_token_the_sandbox_no_longer_knows_is_renewed() {
    // In-process sandbox: swap in a fresh engine (same seed: same environment and worker), which
    // has never issued the proxy's cached token, so PingOne answers 401 INVALID_TOKEN.
    let engine = Arc::new(Mutex::new(Sandbox::new(SandboxConfig { seed: 22, ..Default::default() })));
    let worker = sandbox_worker(&engine);
    let env = worker.environment_id.clone();
    let proxy = start_proxy(Upstreams::Sandbox(engine.clone()), worker).await;
    let resources = api(&format!("{env}/resources"));
    let a = call(proxy, "GET", &resources, &[], None).await;
    assert_eq!(a.status, 200, "{}", a.body);
    *engine.lock().unwrap() = Sandbox::new(SandboxConfig { seed: 22, ..Default::default() });
    let a = call(proxy, "GET", &resources, &[], None).await;
    assert_eq!(a.status, 200, "the proxy renewed the token and retried: {}", a.body);
    assert!(a.body.contains("openid"), "{}", a.body);

    // Over HTTP too, with the sandbox server.
    let (sandbox_addr, engine) = start_sandbox(23).await;
    let worker = sandbox_worker(&engine);
    let env = worker.environment_id.clone();
    let up = format!("http://{sandbox_addr}");
    let proxy = start_proxy(Upstreams::Http { api: up.clone(), auth: up }, worker).await;
    let resources = api(&format!("{env}/resources"));
    assert_eq!(call(proxy, "GET", &resources, &[], None).await.status, 200);
    *engine.lock().unwrap() = Sandbox::new(SandboxConfig { seed: 23, ..Default::default() });
    let a = call(proxy, "GET", &resources, &[], None).await;
    assert_eq!(a.status, 200, "{}", a.body);
}

#[tokio::test]
async fn a_production_environment_is_refused_unless_the_proxy_allows_it() {
    let engine = Arc::new(Mutex::new(Sandbox::new(SandboxConfig { seed: 24, production: true, ..Default::default() })));
    let worker = sandbox_worker(&engine);
    let env = worker.environment_id.clone();
    let populations = api(&format!("{env}/populations"));
    let body = r#"{"name":"Refused population"}"#;
    let json = [("content-type", "application/json")];
    let proxy = start_proxy(Upstreams::Sandbox(engine.clone()), worker.clone()).await;
    for _ in 0..2 {
        let r = call(proxy, "POST", &populations, &json, Some(body)).await;
        assert_eq!(r.status, 403, "{}", r.body);
        let err: serde_json::Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(err["code"], "PRODUCTION_ENVIRONMENT");
        assert!(err["message"].as_str().unwrap().contains("--allow-production"), "{}", r.body);
    }
    // Allowed: the same call goes through, and it is the first population of that name (the
    // refused calls created nothing; PingOne refuses a second population with the same name).
    let allowed = start_proxy(Upstreams::Sandbox(engine.clone()), WorkerConfig { allow_production: true, ..worker.clone() }).await;
    let r = call(allowed, "POST", &populations, &json, Some(body)).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let again = call(allowed, "POST", &populations, &json, Some(body)).await;
    assert_eq!(again.status, 400, "a duplicate name is refused, so the 201 above was the first: {}", again.body);

    // A SANDBOX environment is read once and then forwarded to as before.
    let engine = Arc::new(Mutex::new(Sandbox::new(SandboxConfig { seed: 25, ..Default::default() })));
    let worker = sandbox_worker(&engine);
    let populations = api(&format!("{}/populations", worker.environment_id));
    let proxy = start_proxy(Upstreams::Sandbox(engine.clone()), worker).await;
    assert_eq!(call(proxy, "POST", &populations, &json, Some(body)).await.status, 201);
}

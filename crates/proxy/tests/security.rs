//! Table-driven abuse tests: each request is answered as specified and none reaches an upstream.
//! A recording upstream on loopback counts every request it gets.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use proxy::{router, ProxyConfig, Upstreams};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const ENV: &str = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";
const ORIGIN: &str = "http://127.0.0.1:8080";

/// Method, target and headers of one request the upstream got.
type Hit = (String, String, Vec<(String, String)>);

#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<Vec<Hit>>>);

impl Recorder {
    fn hits(&self) -> Vec<Hit> {
        self.0.lock().unwrap().clone()
    }
}

/// An upstream that records requests. `/slow` sleeps, `/redirect` answers 302, anything else 200
/// JSON with a link on its own origin and a cookie.
async fn start_upstream(rec: Recorder) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = axum::Router::new().fallback(move |req: Request| {
        let rec = rec.clone();
        async move {
            let headers = req.headers().iter().map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string())).collect();
            let path = req.uri().path().to_string();
            rec.0.lock().unwrap().push((req.method().to_string(), req.uri().to_string(), headers));
            if path.ends_with("/slow") {
                tokio::time::sleep(Duration::from_secs(3)).await;
            }
            let mut resp = Response::new(Body::from(format!("{{\"_links\":{{\"self\":{{\"href\":\"http://{addr}{path}\"}}}}}}")));
            resp.headers_mut().insert("content-type", HeaderValue::from_static("application/json"));
            resp.headers_mut().insert("set-cookie", HeaderValue::from_str(&format!("ST=s1; Path=/{ENV}; Domain=upstream.test; HttpOnly")).unwrap());
            resp.headers_mut().insert("x-internal-secret", HeaderValue::from_static("do-not-leak"));
            if path.ends_with("/redirect") {
                *resp.status_mut() = StatusCode::FOUND;
                resp.headers_mut().insert("location", HeaderValue::from_static("https://app.example/callback?code=c1&state=s1"));
            }
            resp
        }
    });
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

async fn start_proxy(upstream: &str) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut config = ProxyConfig::new(vec![ORIGIN.into()], Upstreams::Http { api: upstream.into(), auth: upstream.into() });
    config.max_body_bytes = 1024;
    config.upstream_timeout = Duration::from_millis(800);
    config.allowed_hosts = vec![addr.to_string()];
    config.log = false;
    let app = router(config).unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

struct Raw {
    status: u16,
    head: String,
    body: String,
}

impl Raw {
    fn header(&self, name: &str) -> Option<String> {
        self.head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim().eq_ignore_ascii_case(name).then(|| v.trim().to_string())
        })
    }
}

/// Sends raw bytes (so absolute-form targets and CONNECT can be expressed) and reads the answer.
async fn raw(addr: SocketAddr, request: &str) -> Raw {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(request.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut buf)).await;
    let text = String::from_utf8_lossy(&buf).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    Raw { status, head: head.to_string(), body: body.to_string() }
}

fn get(target: &str, host: SocketAddr, extra: &str) -> String {
    format!("GET {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n{extra}\r\n")
}

#[tokio::test]
async fn abuse_requests_are_refused_and_never_reach_an_upstream() {
    let rec = Recorder::default();
    let up = start_upstream(rec.clone()).await;
    let proxy = start_proxy(&format!("http://{up}")).await;
    let big = "x".repeat(4096);
    let cases: Vec<(&str, String, u16)> = vec![
        ("absolute-form to another host", get(&format!("http://evil.example/na/api/v1/environments/{ENV}/users"), proxy, ""), 400),
        ("absolute-form to an IP literal", get(&format!("http://10.0.0.1/na/api/v1/environments/{ENV}/users"), proxy, ""), 400),
        ("absolute-form to the upstream itself", get(&format!("http://{up}/na/api/v1/environments/{ENV}/users"), proxy, ""), 400),
        ("CONNECT tunnel", "CONNECT evil.example:443 HTTP/1.1\r\nHost: evil.example:443\r\nConnection: close\r\n\r\n".to_string(), 405),
        ("dot-segments", get(&format!("/na/api/v1/environments/{ENV}/../../../admin"), proxy, ""), 400),
        ("encoded dot-segments", get(&format!("/na/api/v1/environments/{ENV}/%2e%2e/%2E%2E/admin"), proxy, ""), 400),
        ("double-encoded dot-segments", get(&format!("/na/api/v1/environments/{ENV}/%252e%252e/admin"), proxy, ""), 400),
        ("encoded slash", get(&format!("/na/api/v1/environments/{ENV}%2f..%2fusers"), proxy, ""), 400),
        ("encoded backslash", get(&format!("/na/api/v1/environments/{ENV}%5cusers"), proxy, ""), 400),
        ("empty segment to smuggle a host", get("/na/api//evil.example/v1/environments/x", proxy, ""), 400),
        ("userinfo trick in the route", get(&format!("/na/api@evil.example/v1/environments/{ENV}/users"), proxy, ""), 400),
        ("encoded userinfo in the path", get(&format!("/na/api/v1/environments/{ENV}%40evil.example/users"), proxy, ""), 400),
        ("NUL byte", get(&format!("/na/api/v1/environments/{ENV}/users%00.json"), proxy, ""), 400),
        ("unknown region", get(&format!("/zz/api/v1/environments/{ENV}/users"), proxy, ""), 404),
        ("unknown host kind", get(&format!("/na/admin/v1/environments/{ENV}/users"), proxy, ""), 404),
        ("management path outside /v1/environments", get("/na/api/v1/organizations", proxy, ""), 404),
        ("auth path outside as/ and flows/", get(&format!("/na/auth/{ENV}/saml20/idp/sso"), proxy, ""), 404),
        ("auth path without an environment id", get("/na/auth/evil.example/as/token", proxy, ""), 404),
        ("method not forwarded to the API", format!("PATCH /na/api/v1/environments/{ENV}/users HTTP/1.1\r\nHost: {proxy}\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{{}}"), 405),
        ("method not forwarded to auth", format!("DELETE /na/auth/{ENV}/as/token HTTP/1.1\r\nHost: {proxy}\r\nConnection: close\r\n\r\n"), 405),
        ("DNS-rebinding Host", String::new(), 421),
        ("oversized body", format!("POST /na/api/v1/environments/{ENV}/users HTTP/1.1\r\nHost: {proxy}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{big}", big.len()), 413),
    ];
    assert!(cases.len() >= 20);
    for (name, request, want) in &cases {
        // The rebinding case needs its own Host header.
        let request = if *name == "DNS-rebinding Host" {
            format!("GET /na/api/v1/environments/{ENV}/users HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n")
        } else {
            request.clone()
        };
        let r = raw(proxy, &request).await;
        assert_eq!(r.status, *want, "{name}: {}\n{}", r.head, r.body);
        if r.status != 400 || !r.body.is_empty() {
            let v: serde_json::Value = serde_json::from_str(&r.body).unwrap_or_else(|_| panic!("{name}: JSON body, got {:?}", r.body));
            assert!(v["code"].is_string() && v["message"].is_string(), "{name}: {v}");
        }
    }
    assert!(rec.hits().is_empty(), "an abuse request reached the upstream: {:?}", rec.hits());
}

#[tokio::test]
async fn slow_and_dead_upstreams_are_bounded_and_named() {
    let rec = Recorder::default();
    let up = start_upstream(rec.clone()).await;
    let proxy = start_proxy(&format!("http://{up}")).await;
    let r = raw(proxy, &get(&format!("/na/api/v1/environments/{ENV}/slow"), proxy, "")).await;
    assert_eq!(r.status, 504, "{}", r.body);
    assert!(r.body.contains("UPSTREAM_TIMEOUT"));

    // A port nobody listens on.
    let dead = TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap();
    let proxy = start_proxy(&format!("http://{dead}")).await;
    let r = raw(proxy, &get(&format!("/na/api/v1/environments/{ENV}/users"), proxy, "")).await;
    assert_eq!(r.status, 502);
    let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(v["code"], "UPSTREAM_UNREACHABLE");
    assert_eq!(v["upstream"], format!("http://{dead}"));
}

#[tokio::test]
async fn cors_only_for_the_exact_origin() {
    let rec = Recorder::default();
    let up = start_upstream(rec.clone()).await;
    let proxy = start_proxy(&format!("http://{up}")).await;
    let preflight = |origin: &str| {
        format!(
            "OPTIONS /na/api/v1/environments/{ENV}/users HTTP/1.1\r\nHost: {proxy}\r\nConnection: close\r\nOrigin: {origin}\r\nAccess-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: authorization, content-type\r\n\r\n"
        )
    };
    let ok = raw(proxy, &preflight(ORIGIN)).await;
    assert_eq!(ok.header("access-control-allow-origin").as_deref(), Some(ORIGIN));
    assert_eq!(ok.header("access-control-allow-credentials").as_deref(), Some("true"));
    assert!(ok.header("vary").unwrap_or_default().to_ascii_lowercase().contains("origin"));
    let methods = ok.header("access-control-allow-methods").unwrap_or_default();
    assert!(methods.contains("POST") && !methods.contains("PATCH"), "{methods}");
    for evil in ["http://evil.example", "http://127.0.0.1:8081", "null", "http://127.0.0.1:8080.evil.example", "HTTP://127.0.0.1:8080"] {
        let r = raw(proxy, &preflight(evil)).await;
        assert_eq!(r.header("access-control-allow-origin"), None, "{evil}: {}", r.head);
        assert_eq!(r.header("access-control-allow-credentials"), None, "{evil}");
        let r = raw(proxy, &get(&format!("/na/api/v1/environments/{ENV}/users"), proxy, &format!("Origin: {evil}\r\n"))).await;
        assert!(!r.head.to_ascii_lowercase().lines().any(|l| l.starts_with("access-control-")), "{evil}: {}", r.head);
    }
    // The preflight answers a fixed set, never what was asked for.
    let asked = format!(
        "OPTIONS /na/api/v1/environments/{ENV}/users HTTP/1.1\r\nHost: {proxy}\r\nConnection: close\r\nOrigin: {ORIGIN}\r\nAccess-Control-Request-Method: PATCH\r\nAccess-Control-Request-Headers: x-evil, cookie\r\n\r\n"
    );
    let r = raw(proxy, &asked).await;
    let allowed = r.header("access-control-allow-headers").unwrap_or_default();
    assert!(!allowed.contains("x-evil") && !allowed.contains("cookie"), "{allowed}");
    assert!(!r.header("access-control-allow-methods").unwrap_or_default().contains("PATCH"));
    // Actual responses: the matched origin echoed, with credentials and the exposed headers.
    let r = raw(proxy, &get(&format!("/na/api/v1/environments/{ENV}/users"), proxy, &format!("Origin: {ORIGIN}\r\n"))).await;
    assert_eq!(r.header("access-control-allow-origin").as_deref(), Some(ORIGIN));
    assert_eq!(r.header("access-control-allow-credentials").as_deref(), Some("true"));
    assert!(r.header("access-control-expose-headers").unwrap_or_default().contains("x-upstream-location"));
    assert!(r.header("vary").unwrap_or_default().contains("origin"));
    // Errors the proxy answers itself are readable by the page too.
    let r = raw(proxy, &get("/zz/api/v1/environments/x", proxy, &format!("Origin: {ORIGIN}\r\n"))).await;
    assert_eq!((r.status, r.header("access-control-allow-origin").as_deref()), (404, Some(ORIGIN)));
    assert_eq!(rec.hits().iter().filter(|h| h.0 == "OPTIONS").count(), 0, "preflights are never forwarded");
}

#[tokio::test]
async fn header_hygiene_cookies_and_redirects() {
    let rec = Recorder::default();
    let up = start_upstream(rec.clone()).await;
    let proxy = start_proxy(&format!("http://{up}")).await;
    let extra = format!("Origin: {ORIGIN}\r\nReferer: {ORIGIN}/x\r\nCookie: ST=s1\r\nX-Forwarded-For: 1.2.3.4\r\nAuthorization: Bearer t\r\nProxy-Authorization: Basic x\r\n");
    let r = raw(proxy, &get(&format!("/na/api/v1/environments/{ENV}/users"), proxy, &extra)).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("set-cookie"), None, "no cookies from the management API");
    assert_eq!(r.header("x-internal-secret"), None, "unknown upstream headers are dropped");
    assert!(r.body.contains(&format!("http://{proxy}/na/api/")), "links point back at the proxy: {}", r.body);
    let r = raw(proxy, &get(&format!("/na/auth/{ENV}/flows/f1"), proxy, &extra)).await;
    assert_eq!(r.header("set-cookie").as_deref(), Some(&*format!("ST=s1; Path=/na/auth/{ENV}; HttpOnly")));
    let hits = rec.hits();
    let names = |i: usize| hits[i].2.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>();
    for forbidden in ["cookie", "origin", "referer", "x-forwarded-for", "proxy-authorization"] {
        assert!(!names(0).contains(&forbidden.to_string()), "{forbidden} sent to the API: {:?}", names(0));
    }
    assert!(names(0).contains(&"authorization".to_string()));
    assert!(names(1).contains(&"cookie".to_string()), "the auth host gets the flow cookies");
    assert!(!names(1).contains(&"origin".to_string()));

    // Redirects are not followed; the page reads status and Location from headers.
    let before = rec.hits().len();
    let r = raw(proxy, &get(&format!("/na/auth/{ENV}/as/redirect"), proxy, "")).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("x-upstream-status").as_deref(), Some("302"));
    assert_eq!(r.header("x-upstream-location").as_deref(), Some("https://app.example/callback?code=c1&state=s1"));
    assert_eq!(r.header("location"), None);
    assert_eq!(rec.hits().len(), before + 1, "exactly one upstream request, nothing followed");
}

#[test]
fn unsafe_configurations_do_not_start() {
    let up = || Upstreams::Http { api: "https://api.pingone.{tld}".into(), auth: "https://auth.pingone.{tld}".into() };
    assert!(router(ProxyConfig::new(vec![], up())).is_err(), "empty origin allowlist");
    for bad in ["*", "null", "http://a.example/path", "not a url", "http://a.example/"] {
        assert!(router(ProxyConfig::new(vec![bad.into()], up())).is_err(), "{bad}");
    }
    for bad_upstream in ["http://api.pingone.com", "http://10.0.0.1", "ftp://x"] {
        let u = Upstreams::Http { api: bad_upstream.into(), auth: bad_upstream.into() };
        assert!(router(ProxyConfig::new(vec![ORIGIN.into()], u)).is_err(), "{bad_upstream}");
    }
    assert!(router(ProxyConfig::new(vec![ORIGIN.into()], up())).is_ok());
}

#[tokio::test]
async fn upstream_connections_are_kept_alive_and_replaced_when_closed() {
    use axum::serve::ListenerExt;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let accepted = Arc::new(AtomicUsize::new(0));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let up = listener.local_addr().unwrap();
    let counter = accepted.clone();
    let listener = listener.tap_io(move |_| {
        counter.fetch_add(1, Ordering::SeqCst);
    });
    let app = axum::Router::new().fallback(|req: Request| async move {
        let mut resp = Response::new(Body::from("{}"));
        resp.headers_mut().insert("content-type", HeaderValue::from_static("application/json"));
        if req.uri().path().ends_with("/close") {
            resp.headers_mut().insert("connection", HeaderValue::from_static("close"));
        }
        resp
    });
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let proxy = start_proxy(&format!("http://{up}")).await;
    let client = reqwest::Client::new();
    let url = |p: &str| format!("http://{proxy}/na/api/v1/environments/{ENV}/{p}");
    for _ in 0..20 {
        assert_eq!(client.get(url("users")).send().await.unwrap().status(), 200);
    }
    assert_eq!(accepted.load(Ordering::SeqCst), 1, "one keep-alive connection for sequential requests");
    // The upstream closes after this answer: the next request gets a new connection, not an error.
    assert_eq!(client.get(url("close")).send().await.unwrap().status(), 200);
    tokio::time::sleep(Duration::from_millis(50)).await;
    for _ in 0..3 {
        assert_eq!(client.get(url("users")).send().await.unwrap().status(), 200);
    }
    assert_eq!(accepted.load(Ordering::SeqCst), 2);
    // Concurrent requests open what they need, then reuse it.
    let burst: Vec<_> = (0..8).map(|_| tokio::spawn(client.get(url("users")).send())).collect();
    for r in burst {
        assert_eq!(r.await.unwrap().unwrap().status(), 200);
    }
    let after_burst = accepted.load(Ordering::SeqCst);
    assert!(after_burst <= 2 + 8, "{after_burst}");
    for _ in 0..10 {
        assert_eq!(client.get(url("users")).send().await.unwrap().status(), 200);
    }
    assert_eq!(accepted.load(Ordering::SeqCst), after_burst, "idle connections are reused");
}

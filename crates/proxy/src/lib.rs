//! `pingone-proxy`: forwards the workbench's calls to PingOne's API and auth hosts (or to a
//! sandbox), because the management API sends no CORS headers and worker credentials must not
//! meet arbitrary hosts. It is small, strict and boring on purpose: an exact route allowlist,
//! exact CORS origins, header hygiene, bounded bodies, time and concurrency, and log lines
//! that never carry a secret.

pub mod headers;
pub mod route;

use axum::body::{to_bytes, Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::Response;
use axum::routing::any;
use axum::Router;
use headers::{forward_request_headers, header_value, rewrite_set_cookie, PASS_BACK};
use pingone::Region;
use route::{parse_target, route_template, HostKind, Refusal, Target};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::sync::Semaphore;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::services::{ServeDir, ServeFile};

/// Where forwarded requests go.
#[derive(Clone)]
pub enum Upstreams {
    /// PingOne (or stand-ins): base URLs per host kind, `{tld}` replaced by the region's.
    Http { api: String, auth: String },
    /// The sandbox engine in-process.
    Sandbox(Arc<Mutex<sandbox::Sandbox>>),
}

#[derive(Clone)]
pub struct ProxyConfig {
    pub allow_origins: Vec<String>,
    pub regions: Vec<Region>,
    pub upstreams: Upstreams,
    /// Hosts (`Host` header values) this proxy answers to, against DNS rebinding.
    pub allowed_hosts: Vec<String>,
    pub max_body_bytes: usize,
    pub max_response_bytes: usize,
    pub upstream_timeout: Duration,
    pub max_concurrency: usize,
    /// Requests per second (with a burst of twice that); 0 disables the limit.
    pub rate_limit_per_sec: u32,
    /// Also serve the built app from this folder (same origin: no CORS needed at all).
    pub serve_dir: Option<std::path::PathBuf>,
    pub log: bool,
}

impl ProxyConfig {
    pub fn new(allow_origins: Vec<String>, upstreams: Upstreams) -> ProxyConfig {
        ProxyConfig {
            allow_origins,
            regions: Region::ALL.to_vec(),
            upstreams,
            allowed_hosts: Vec::new(),
            max_body_bytes: 256 * 1024,
            max_response_bytes: 4 * 1024 * 1024,
            upstream_timeout: Duration::from_secs(20),
            max_concurrency: 256,
            rate_limit_per_sec: 0,
            serve_dir: None,
            log: true,
        }
    }
}

/// The PingOne host of a region for a host kind.
pub fn pingone_upstream(host: HostKind, region: Region) -> String {
    match host {
        HostKind::Api => format!("https://api.pingone.{}", region.tld()),
        HostKind::Auth => format!("https://auth.pingone.{}", region.tld()),
    }
}

struct AppState {
    config: ProxyConfig,
    client: reqwest::Client,
    permits: Semaphore,
    bucket: Mutex<TokenBucket>,
}

struct TokenBucket {
    tokens: f64,
    last: Instant,
}

/// Builds the proxy's router. Fails if the configuration is unsafe.
pub fn router(config: ProxyConfig) -> Result<Router, ConfigError> {
    if config.allow_origins.is_empty() {
        return Err(ConfigError::NoOrigins);
    }
    let mut origins = Vec::new();
    for o in &config.allow_origins {
        let parsed = url::Url::parse(o).map_err(|_| ConfigError::BadOrigin(o.clone()))?;
        let canonical = parsed.origin().ascii_serialization();
        if canonical == "null" || *o != canonical {
            return Err(ConfigError::BadOrigin(o.clone()));
        }
        origins.push(HeaderValue::from_str(&canonical).map_err(|_| ConfigError::BadOrigin(o.clone()))?);
    }
    if let Upstreams::Http { api, auth } = &config.upstreams {
        for u in [api, auth] {
            let parsed = url::Url::parse(&u.replace("{tld}", "com")).map_err(|_| ConfigError::BadUpstream(u.clone()))?;
            let loopback = matches!(parsed.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
            if parsed.scheme() != "https" && !(parsed.scheme() == "http" && loopback) {
                return Err(ConfigError::BadUpstream(u.clone()));
            }
        }
    }
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(5))
        .timeout(config.upstream_timeout)
        .https_only(false)
        .build()
        .map_err(|e| ConfigError::Client(e.to_string()))?;
    let cors = CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_credentials(true)
        .allow_methods([Method::GET, Method::POST, Method::PUT, Method::DELETE])
        .allow_headers([
            headers::name("authorization"),
            headers::name("content-type"),
            headers::name("accept"),
            headers::name("x-ping-external-transaction-id"),
            headers::name("x-ping-external-session-id"),
        ])
        .expose_headers([
            headers::name("x-upstream-status"),
            headers::name("x-upstream-location"),
            headers::name("correlation-id"),
            headers::name("retry-after"),
        ])
        .max_age(Duration::from_secs(600));
    let burst = f64::from(config.rate_limit_per_sec) * 2.0;
    let serve_dir = config.serve_dir.clone();
    let state = Arc::new(AppState {
        permits: Semaphore::new(config.max_concurrency),
        bucket: Mutex::new(TokenBucket { tokens: burst, last: Instant::now() }),
        config,
        client,
    });
    let router = match serve_dir {
        None => Router::new().fallback(handle),
        Some(dir) => {
            let index = dir.join("index.html");
            Router::new()
                .route("/{region}/api/{*rest}", any(handle))
                .route("/{region}/auth/{*rest}", any(handle))
                .fallback_service(ServeDir::new(dir).fallback(ServeFile::new(index)))
        }
    };
    Ok(router.with_state(state).layer(cors).layer(axum::middleware::map_response(only_cors_for_allowed_origins)))
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("refusing to start with no --allow-origin: name the exact origin of the page (e.g. http://127.0.0.1:8080)")]
    NoOrigins,
    #[error("`{0}` is not an exact origin (scheme://host[:port], no path, no wildcard)")]
    BadOrigin(String),
    #[error("upstream `{0}` must be https (http only on loopback, for tests)")]
    BadUpstream(String),
    #[error("HTTP client: {0}")]
    Client(String),
}

/// tower-http's `CorsLayer` adds some headers (allow-credentials, expose-headers) whatever the
/// origin; a request from an origin that is not allowed gets no CORS header at all.
async fn only_cors_for_allowed_origins(mut resp: Response) -> Response {
    if !resp.headers().contains_key("access-control-allow-origin") {
        let names: Vec<_> = resp.headers().keys().filter(|k| k.as_str().starts_with("access-control-")).cloned().collect();
        for n in names {
            resp.headers_mut().remove(n);
        }
    }
    resp
}

fn json_error(status: u16, code: &str, message: &str, extra: Option<(&str, &str)>) -> Response {
    let mut body = serde_json::json!({ "code": code, "message": message });
    if let Some((k, v)) = extra {
        body[k] = serde_json::Value::String(v.to_string());
    }
    let mut resp = Response::new(Body::from(body.to_string()));
    *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
    resp.headers_mut().insert("content-type", HeaderValue::from_static("application/json"));
    resp
}

fn log_line(state: &AppState, method: &Method, route: &str, status: u16, started: Instant) {
    if state.config.log {
        eprintln!("{} {} {} {}ms", method, route, status, started.elapsed().as_millis());
    }
}

async fn handle(State(state): State<Arc<AppState>>, req: Request) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    let (status, route, resp) = match forward(&state, req).await {
        Ok((route, resp)) => (resp.status().as_u16(), route, resp),
        Err((route, resp)) => (resp.status().as_u16(), route, resp),
    };
    log_line(&state, &method, &route, status, started);
    resp
}

type Outcome = Result<(String, Response), (String, Response)>;

async fn forward(state: &AppState, req: Request) -> Outcome {
    let uri = req.uri().clone();
    let raw_path = uri.path().to_string();
    let refused = |r: Refusal| (format!("refused:{}", r.code()), json_error(r.status(), r.code(), &r.to_string(), None));

    let target: Target = parse_target(
        req.method().as_str(),
        uri.scheme().is_some() || uri.authority().is_some(),
        &raw_path,
        uri.query(),
        &state.config.regions,
    )
    .map_err(refused)?;
    let route = format!("/{}/{}{}", target.region.code(), target.host.segment(), route_template(&target.path));

    // Host allowlist against DNS rebinding (a page on evil.example resolving to 127.0.0.1).
    if !state.config.allowed_hosts.is_empty() {
        let host = req.headers().get("host").and_then(|h| h.to_str().ok()).unwrap_or_default();
        if !state.config.allowed_hosts.iter().any(|h| h.eq_ignore_ascii_case(host)) {
            return Err((route, json_error(421, "MISDIRECTED_REQUEST", "this proxy does not answer for that Host", None)));
        }
    }

    if !take_token(state) {
        let mut r = json_error(429, "RATE_LIMITED", "too many requests through the proxy; retry shortly", None);
        r.headers_mut().insert("retry-after", HeaderValue::from_static("1"));
        return Err((route, r));
    }
    let Ok(_permit) = state.permits.try_acquire() else {
        let mut r = json_error(503, "PROXY_BUSY", "the proxy is at its concurrency limit; retry shortly", None);
        r.headers_mut().insert("retry-after", HeaderValue::from_static("1"));
        return Err((route, r));
    };

    let proxy_origin = proxy_origin(req.headers());
    let route_prefix = format!("/{}/{}", target.region.code(), target.host.segment());
    let fwd_headers = forward_request_headers(req.headers(), target.host);
    let method = req.method().clone();
    let body = match to_bytes(req.into_body(), state.config.max_body_bytes).await {
        Ok(b) => b,
        Err(_) => {
            let msg = format!("request bodies are limited to {} bytes", state.config.max_body_bytes);
            return Err((route, json_error(413, "PAYLOAD_TOO_LARGE", &msg, None)));
        }
    };

    let upstream_origin = match &state.config.upstreams {
        Upstreams::Http { api, auth } => match target.host {
            HostKind::Api => api.replace("{tld}", target.region.tld()),
            HostKind::Auth => auth.replace("{tld}", target.region.tld()),
        },
        Upstreams::Sandbox(_) => pingone_upstream(target.host, target.region),
    };
    let upstream_origin = upstream_origin.trim_end_matches('/').to_string();
    let mut url = format!("{upstream_origin}{}", target.path);
    if let Some(q) = &target.query {
        url.push('?');
        url.push_str(q);
    }
    // Defence in depth: the joined URL must still be on the upstream's host.
    let same_host = match (url::Url::parse(&url), url::Url::parse(&upstream_origin)) {
        (Ok(a), Ok(b)) => a.host_str() == b.host_str() && a.port_or_known_default() == b.port_or_known_default(),
        _ => false,
    };
    if !same_host {
        return Err(refused(Refusal::UnknownRoute));
    }

    let upstream = match &state.config.upstreams {
        Upstreams::Http { .. } => send_http(state, &method, &url, fwd_headers, body).await,
        Upstreams::Sandbox(engine) => Ok(send_sandbox(engine, &method, &url, &fwd_headers, body)),
    };
    let (status, up_headers, up_body) = match upstream {
        Ok(r) => r,
        Err(UpstreamError::Timeout) => {
            let msg = format!("no answer from {upstream_origin} within {} ms", state.config.upstream_timeout.as_millis());
            return Err((route, json_error(504, "UPSTREAM_TIMEOUT", &msg, Some(("upstream", &upstream_origin)))));
        }
        Err(UpstreamError::TooLarge) => {
            return Err((route, json_error(502, "UPSTREAM_RESPONSE_TOO_LARGE", "the upstream response exceeded the proxy's limit", Some(("upstream", &upstream_origin)))));
        }
        Err(UpstreamError::Unreachable(why)) => {
            let msg = format!("could not reach {upstream_origin}: {why}");
            return Err((route, json_error(502, "UPSTREAM_UNREACHABLE", &msg, Some(("upstream", &upstream_origin)))));
        }
    };

    // Rewrite absolute upstream links in JSON bodies and Location to this proxy's routes.
    let public_prefix = format!("{proxy_origin}{route_prefix}");
    let body = rewrite_links(&up_body, &up_headers, &upstream_origin, &public_prefix);
    let mut resp = Response::new(Body::from(body));
    let mut out_status = status;
    for name in PASS_BACK {
        for v in up_headers.get_all(*name) {
            resp.headers_mut().append(*name, v.clone());
        }
    }
    if target.host == HostKind::Auth {
        for v in up_headers.get_all("set-cookie") {
            if let Some(hv) = v.to_str().ok().and_then(|s| header_value(&rewrite_set_cookie(s, &route_prefix))) {
                resp.headers_mut().append("set-cookie", hv);
            }
        }
    }
    // Redirects are never followed, and never handed to the browser as redirects either (fetch
    // would follow them): the page reads the status and Location from these two headers.
    if (300..400).contains(&status) {
        if let Some(loc) = up_headers.get("location").and_then(|v| v.to_str().ok()) {
            let loc = loc.replacen(&upstream_origin, &public_prefix, 1);
            if let Some(hv) = header_value(&loc) {
                resp.headers_mut().insert("x-upstream-location", hv);
            }
        }
        if let Some(hv) = header_value(&status.to_string()) {
            resp.headers_mut().insert("x-upstream-status", hv);
        }
        out_status = 200;
    }
    *resp.status_mut() = StatusCode::from_u16(out_status).unwrap_or(StatusCode::BAD_GATEWAY);
    Ok((route, resp))
}

fn take_token(state: &AppState) -> bool {
    let rate = f64::from(state.config.rate_limit_per_sec);
    if rate <= 0.0 {
        return true;
    }
    let Ok(mut b) = state.bucket.lock() else { return true };
    let now = Instant::now();
    b.tokens = (b.tokens + now.duration_since(b.last).as_secs_f64() * rate).min(rate * 2.0);
    b.last = now;
    if b.tokens >= 1.0 {
        b.tokens -= 1.0;
        true
    } else {
        false
    }
}

/// `http://{Host}`: the proxy serves plain HTTP on loopback.
fn proxy_origin(headers: &HeaderMap) -> String {
    let host = headers.get("host").and_then(|h| h.to_str().ok()).unwrap_or("127.0.0.1");
    format!("http://{host}")
}

fn rewrite_links(body: &Bytes, headers: &HeaderMap, upstream_origin: &str, public_prefix: &str) -> Bytes {
    let is_json = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.contains("json"));
    if !is_json {
        return body.clone();
    }
    match std::str::from_utf8(body) {
        Ok(text) if text.contains(upstream_origin) => {
            let needle = format!("\"{upstream_origin}/");
            Bytes::from(text.replace(&needle, &format!("\"{public_prefix}/")))
        }
        _ => body.clone(),
    }
}

enum UpstreamError {
    Timeout,
    TooLarge,
    Unreachable(String),
}

async fn send_http(state: &AppState, method: &Method, url: &str, headers: HeaderMap, body: Bytes) -> Result<(u16, HeaderMap, Bytes), UpstreamError> {
    let m = reqwest::Method::from_bytes(method.as_str().as_bytes()).map_err(|e| UpstreamError::Unreachable(e.to_string()))?;
    let mut rb = state.client.request(m, url);
    for (k, v) in &headers {
        rb = rb.header(k.as_str(), v.as_bytes());
    }
    if !body.is_empty() {
        rb = rb.body(body);
    }
    let classify = |e: reqwest::Error| if e.is_timeout() { UpstreamError::Timeout } else { UpstreamError::Unreachable(short_reason(&e)) };
    let mut resp = rb.send().await.map_err(classify)?;
    let status = resp.status().as_u16();
    let mut out_headers = HeaderMap::new();
    for (k, v) in resp.headers() {
        if let (Ok(name), Ok(value)) = (axum::http::HeaderName::from_bytes(k.as_str().as_bytes()), HeaderValue::from_bytes(v.as_bytes())) {
            out_headers.append(name, value);
        }
    }
    let mut buf = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(classify)? {
        if buf.len() + chunk.len() > state.config.max_response_bytes {
            return Err(UpstreamError::TooLarge);
        }
        buf.extend_from_slice(&chunk);
    }
    Ok((status, out_headers, Bytes::from(buf)))
}

fn short_reason(e: &reqwest::Error) -> String {
    if e.is_connect() {
        "connection refused or failed".into()
    } else {
        "request failed".into()
    }
}

fn send_sandbox(engine: &Mutex<sandbox::Sandbox>, method: &Method, url: &str, headers: &HeaderMap, body: Bytes) -> (u16, HeaderMap, Bytes) {
    let Some(m) = pingone::http::Method::parse(method.as_str()) else {
        return (405, HeaderMap::new(), Bytes::new());
    };
    let mut req = pingone::http::HttpRequest::new(m, url);
    for (k, v) in headers {
        if let Ok(v) = v.to_str() {
            req.headers.push(k.as_str(), v);
        }
    }
    if !body.is_empty() {
        req.body = Some(String::from_utf8_lossy(&body).into_owned());
    }
    let now_ms = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0);
    let resp = match engine.lock() {
        Ok(mut e) => e.handle(&req, now_ms),
        Err(poisoned) => poisoned.into_inner().handle(&req, now_ms),
    };
    let mut out = HeaderMap::new();
    for (k, v) in resp.headers.iter() {
        if let (Ok(name), Some(value)) = (axum::http::HeaderName::from_bytes(k.as_bytes()), header_value(v)) {
            out.append(name, value);
        }
    }
    (resp.status, out, Bytes::from(resp.body))
}

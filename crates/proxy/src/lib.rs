//! `pingone-proxy`: forwards the workbench's calls to PingOne's API and auth hosts (or to a
//! sandbox), because the management API sends no CORS headers and worker credentials must not
//! meet arbitrary hosts. It is small, strict and boring on purpose: an exact route allowlist,
//! exact CORS origins, header hygiene, bounded bodies, time and concurrency, and log lines
//! that never carry a secret.
//!
//! Two ways to hold the worker credentials:
//! - **page** (default): the page gets the worker token itself (call 0 through the proxy) and
//!   sends it on management calls; the proxy forwards any management path under
//!   `/v1/environments/`.
//! - **proxy** ([`ProxyConfig::worker`], `--worker-from-env`): the proxy gets and refreshes the
//!   worker token, adds it to management calls, forwards only this workflow's operations in one
//!   environment ([`worker::OPERATIONS`]) and refuses the page's `client_credentials` grants. The
//!   page never sees the worker secret or token. `GET /_proxy/info` tells the page which mode.

mod body;
mod cors;
pub mod headers;
mod limits;
pub mod route;
pub mod server;
mod token;
pub mod worker;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::http::uri::{Authority, PathAndQuery, Scheme};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};
use axum::response::Response;
use axum::routing::any;
use axum::Router;
use headers::{forward_request_headers, header_value, rewrite_set_cookie, PASS_BACK};
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use body::{read_body, BodyError, BodyLimits};
use limits::{Logger, RateLimiter};
use pingone::Region;
use route::{parse_target, route_template, HostKind, Refusal, Target};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use token::{TokenCache, TokenError};
use tokio::sync::Semaphore;
use tower_http::services::{ServeDir, ServeFile};
use worker::{Denied, WorkerConfig};

pub use worker::OPERATIONS as WORKER_OPERATIONS;

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
    /// A request body must be in whole within this long after its head.
    pub body_timeout: Duration,
    /// After a short grace, a request body must arrive at at least this many bytes per second
    /// (0: no pace rule). See [`body::BODY_RATE_GRACE`].
    pub body_min_rate: u32,
    pub max_response_bytes: usize,
    pub upstream_timeout: Duration,
    pub max_concurrency: usize,
    /// Requests per second (with a burst of twice that); 0 disables the limit.
    pub rate_limit_per_sec: u32,
    /// Also serve the built app from this folder (same origin: no CORS needed at all).
    pub serve_dir: Option<std::path::PathBuf>,
    pub log: bool,
    /// Worker mode: the proxy holds the worker credentials (see the crate docs). Its region must
    /// be in `regions`; the router then forwards that region only.
    pub worker: Option<WorkerConfig>,
}

impl ProxyConfig {
    pub fn new(allow_origins: Vec<String>, upstreams: Upstreams) -> ProxyConfig {
        ProxyConfig {
            allow_origins,
            regions: Region::ALL.to_vec(),
            upstreams,
            allowed_hosts: Vec::new(),
            max_body_bytes: 256 * 1024,
            body_timeout: Duration::from_secs(10),
            body_min_rate: 1024,
            max_response_bytes: 4 * 1024 * 1024,
            upstream_timeout: Duration::from_secs(20),
            max_concurrency: 256,
            rate_limit_per_sec: 0,
            serve_dir: None,
            log: true,
            worker: None,
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

/// One upstream base (per region and host kind), parsed once at start-up.
struct Base {
    host: HostKind,
    region: Region,
    /// `scheme://authority[/prefix]`, no trailing `/`: what upstream links start with.
    origin: String,
    /// The base URL's path, no trailing `/` (usually empty).
    prefix: String,
    scheme: Scheme,
    authority: Authority,
    /// Finds upstream links in JSON bodies (built once: building a searcher costs).
    links: memchr::memmem::Finder<'static>,
}

type HttpsClient = Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>;

enum Upstream {
    /// hyper's pooled client (keep-alive per upstream host), TLS verified with the webpki roots,
    /// HTTP/2 when the upstream offers it, redirects never followed (hyper does not follow them).
    Http(Box<HttpsClient>),
    Sandbox(Arc<Mutex<sandbox::Sandbox>>),
}

/// What every router of one proxy shares: limits, log, worker token.
pub(crate) struct Shared {
    config: ProxyConfig,
    bases: Vec<Base>,
    origins: Vec<HeaderValue>,
    permits: Semaphore,
    limiter: RateLimiter,
    logger: Logger,
    tokens: TokenCache,
    /// Worker mode: application ids already seen to be of a managed type.
    managed_apps: Mutex<HashSet<String>>,
}

/// One router's state: the shared part and its own upstream client (connection pool).
pub(crate) struct AppState {
    shared: Arc<Shared>,
    upstream: Upstream,
}

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.shared
    }
}

/// A configured proxy. [`Proxy::router`] can be called once per runtime (the binary runs one
/// single-threaded runtime per core): the routers share limits, log and worker token, and each
/// has its own upstream connection pool, so requests on one thread never wait for another.
#[derive(Clone)]
pub struct Proxy {
    shared: Arc<Shared>,
}

/// Builds the proxy's router. Fails if the configuration is unsafe.
pub fn router(config: ProxyConfig) -> Result<Router, ConfigError> {
    Ok(Proxy::new(config)?.router())
}

impl Proxy {
    /// Checks the configuration. Fails if it is unsafe.
    pub fn new(config: ProxyConfig) -> Result<Proxy, ConfigError> {
        check_config(config).map(|shared| Proxy { shared: Arc::new(shared) })
    }

    /// A router with its own upstream client.
    pub fn router(&self) -> Router {
        let config = &self.shared.config;
        let upstream = match &config.upstreams {
            Upstreams::Http { .. } => Upstream::Http(Box::new(http_client(config))),
            Upstreams::Sandbox(engine) => Upstream::Sandbox(engine.clone()),
        };
        let serve_dir = config.serve_dir.clone();
        let state = Arc::new(AppState { shared: self.shared.clone(), upstream });
        let router = Router::new().route("/_proxy/info", any(info));
        let router = match serve_dir {
            None => router.fallback(handle),
            Some(dir) => {
                let index = dir.join("index.html");
                router
                    .route("/{region}/api/{*rest}", any(handle))
                    .route("/{region}/auth/{*rest}", any(handle))
                    .fallback_service(ServeDir::new(dir).fallback(ServeFile::new(index)))
            }
        };
        router.with_state(state)
    }
}

fn check_config(mut config: ProxyConfig) -> Result<Shared, ConfigError> {
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
    if let Some(w) = &config.worker {
        if !config.regions.contains(&w.region) {
            return Err(ConfigError::WorkerRegion(w.region.code()));
        }
        config.regions = vec![w.region];
    }
    let bases = upstream_bases(&config)?;
    Ok(Shared {
        permits: Semaphore::new(config.max_concurrency),
        limiter: RateLimiter::new(config.rate_limit_per_sec),
        logger: Logger::new(config.log),
        tokens: TokenCache::default(),
        managed_apps: Mutex::new(HashSet::new()),
        origins,
        bases,
        config,
    })
}

fn upstream_bases(config: &ProxyConfig) -> Result<Vec<Base>, ConfigError> {
    let mut bases = Vec::new();
    for &region in &config.regions {
        for host in [HostKind::Api, HostKind::Auth] {
            let raw = match &config.upstreams {
                Upstreams::Http { api, auth } => match host {
                    HostKind::Api => api.replace("{tld}", region.tld()),
                    HostKind::Auth => auth.replace("{tld}", region.tld()),
                },
                Upstreams::Sandbox(_) => pingone_upstream(host, region),
            };
            let bad = || ConfigError::BadUpstream(raw.clone());
            let url = url::Url::parse(&raw).map_err(|_| bad())?;
            if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() || url.password().is_some() {
                return Err(bad());
            }
            let host_str = url.host_str().ok_or_else(bad)?;
            let authority = match url.port() {
                Some(p) => format!("{host_str}:{p}"),
                None => host_str.to_string(),
            };
            let prefix = url.path().trim_end_matches('/').to_string();
            let origin = format!("{}://{authority}{prefix}", url.scheme());
            bases.push(Base {
                host,
                region,
                links: link_finder(&origin),
                origin,
                scheme: Scheme::try_from(url.scheme()).map_err(|_| bad())?,
                authority: Authority::try_from(authority.as_str()).map_err(|_| bad())?,
                prefix,
            });
        }
    }
    Ok(bases)
}

fn http_client(config: &ProxyConfig) -> HttpsClient {
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    http.set_nodelay(true);
    http.set_connect_timeout(Some(Duration::from_secs(5)));
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_webpki_roots()
        .https_or_http()
        .enable_http1()
        .enable_http2()
        .wrap_connector(http);
    Client::builder(TokioExecutor::new())
        .pool_timer(TokioTimer::new())
        .pool_idle_timeout(Duration::from_secs(60))
        .pool_max_idle_per_host(config.max_concurrency.max(1))
        .build(https)
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("refusing to start with no --allow-origin: name the exact origin of the page (e.g. http://127.0.0.1:8080)")]
    NoOrigins,
    #[error("`{0}` is not an exact origin (scheme://host[:port], no path, no wildcard)")]
    BadOrigin(String),
    #[error("upstream `{0}` must be https (http only on loopback, for tests)")]
    BadUpstream(String),
    #[error("the worker's region `{0}` is not among the proxy's regions")]
    WorkerRegion(&'static str),
}

fn json_response(status: u16, body: &serde_json::Value) -> Response {
    let mut resp = Response::new(Body::from(body.to_string()));
    *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    resp
}

fn json_error(status: u16, code: &str, message: &str, extra: Option<(&str, &str)>) -> Response {
    let mut body = serde_json::json!({ "code": code, "message": message });
    if let Some((k, v)) = extra {
        body[k] = serde_json::Value::String(v.to_string());
    }
    json_response(status, &body)
}

fn refused(r: Refusal) -> Response {
    json_error(r.status(), r.code(), &r.to_string(), None)
}

fn denied(d: Denied) -> Response {
    json_error(403, d.code(), &d.to_string(), None)
}

/// A body that could not be read whole: the connection is closed after the answer, since what
/// follows on it can no longer be trusted to start at a request boundary.
fn body_refused(e: &BodyError) -> Response {
    let mut r = json_error(e.status(), e.code(), &e.to_string(), None);
    r.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    r
}

fn retry_later(status: u16, code: &str, message: &str) -> Response {
    let mut r = json_error(status, code, message, None);
    r.headers_mut().insert("retry-after", HeaderValue::from_static("1"));
    r
}

/// `GET /_proxy/info`: which mode the proxy is in, so the page can hide the worker fields.
/// No secret, no token, no client id.
async fn info(State(state): State<Arc<AppState>>, method: Method, headers: HeaderMap) -> Response {
    let origin = cors::allowed_origin(&headers, &state.origins);
    if cors::is_preflight(&method, &headers) {
        return cors::preflight(origin);
    }
    let mut resp = proxy_info(&state, &method, &headers);
    cors::decorate(&mut resp, origin);
    resp
}

fn proxy_info(state: &AppState, method: &Method, headers: &HeaderMap) -> Response {
    if method != Method::GET {
        let mut r = json_error(405, "METHOD_NOT_ALLOWED", "GET only", None);
        r.headers_mut().insert("allow", HeaderValue::from_static("GET"));
        return r;
    }
    if !state.host_allowed(headers) {
        return json_error(421, "MISDIRECTED_REQUEST", "this proxy does not answer for that Host", None);
    }
    let worker = state.config.worker.as_ref();
    let body = serde_json::json!({
        "worker_credentials": if worker.is_some() { "proxy" } else { "page" },
        "environment_id": worker.map(|w| w.environment_id.as_str()),
        "regions": state.config.regions.iter().map(|r| r.code()).collect::<Vec<_>>(),
    });
    let mut resp = json_response(200, &body);
    resp.headers_mut().insert("cache-control", HeaderValue::from_static("no-store"));
    resp
}

async fn handle(State(state): State<Arc<AppState>>, req: Request) -> Response {
    // Preflights are answered here, never forwarded.
    if cors::is_preflight(req.method(), req.headers()) {
        return cors::preflight(cors::allowed_origin(req.headers(), &state.origins));
    }
    let started = state.logger.enabled().then(Instant::now);
    let (parts, body) = req.into_parts();
    let (resp, route) = match parse_target(
        parts.method.as_str(),
        parts.uri.scheme().is_some() || parts.uri.authority().is_some(),
        parts.uri.path(),
        parts.uri.query(),
        &state.config.regions,
    ) {
        Err(r) => (refusal_response(&state, &parts, &r), LogRoute::Refused(r.code())),
        Ok(target) => (forward(&state, &parts, body, &target).await, LogRoute::Target(target)),
    };
    let mut resp = resp;
    cors::decorate(&mut resp, cors::allowed_origin(&parts.headers, &state.origins));
    if let Some(started) = started {
        let route = match route {
            LogRoute::Refused(code) => format!("refused:{code}"),
            // A template: ids replaced, no query (it may carry codes).
            LogRoute::Target(t) => format!("/{}/{}{}", t.region.code(), t.host.segment(), route_template(&t.path)),
        };
        state.logger.line(format_args!("{} {} {} {}ms", parts.method, route, resp.status().as_u16(), started.elapsed().as_millis()));
    }
    resp
}

/// A request `parse_target` refused. In worker mode a well-formed management request for a path
/// or method outside `/v1/environments/` (`/v1/organizations`, `PATCH`...) is one more operation
/// the workflow does not use: 403 like the others, not the page mode's 404 / 405.
fn refusal_response(state: &AppState, parts: &Parts, r: &Refusal) -> Response {
    let management = parts.uri.path().split('/').nth(2) == Some("api");
    match r {
        Refusal::PathNotAllowed("api") | Refusal::MethodNotAllowed(_) if state.config.worker.is_some() && management => {
            let under = parts.uri.path().splitn(4, '/').nth(3).unwrap_or_default();
            denied(Denied::Operation(parts.method.to_string(), format!("/{}", route_template(under))))
        }
        _ => refused(r.clone()),
    }
}

enum LogRoute {
    Refused(&'static str),
    Target(Target),
}

/// The response to an upstream answer or a failure to get one.
enum Failure {
    Upstream(UpstreamError),
    Token(TokenError),
}

async fn forward(state: &AppState, parts: &Parts, body: Body, target: &Target) -> Response {
    // Host allowlist against DNS rebinding (a page on evil.example resolving to 127.0.0.1).
    if !state.host_allowed(&parts.headers) {
        return json_error(421, "MISDIRECTED_REQUEST", "this proxy does not answer for that Host", None);
    }

    // Worker mode: what the page may ask of the worker's credentials.
    let worker = state.config.worker.as_ref();
    let mut application_id = None;
    let mut application_body = false;
    let mut application_delete = false;
    if let (Some(w), HostKind::Api) = (worker, target.host) {
        if !state.origin_may_use_worker(&parts.headers) {
            return denied(Denied::Origin);
        }
        // Refused rather than replaced: a page in this mode holds no worker token, so one in a
        // request is a stale or foreign credential; replacing it would hide that.
        if parts.headers.contains_key(header::AUTHORIZATION) {
            return denied(Denied::ClientAuthorization);
        }
        match worker::check_management(w, parts.method.as_str(), &target.path, target.query.as_deref()) {
            Ok(allowed) => {
                application_id = allowed.application_id.map(str::to_string);
                application_body = allowed.operation.method == "POST" && allowed.operation.path == "/applications";
                application_delete = allowed.operation.method == "DELETE" && allowed.operation.path == "/applications/{id}";
            }
            Err(d) => return denied(d),
        }
    }

    let limits = BodyLimits {
        max_bytes: state.config.max_body_bytes,
        timeout: state.config.body_timeout,
        min_rate: state.config.body_min_rate,
        rate_grace: body::BODY_RATE_GRACE,
    };
    let mut body = match read_body(&parts.headers, body, &limits).await {
        Ok(b) => b,
        Err(e) => return body_refused(&e),
    };
    // The rate and the slots bound upstream work, so a request takes them only now that its
    // body is in: a client still sending (or stalling) costs a connection and its buffers,
    // never another client's turn.
    if !state.limiter.allow() {
        return retry_later(429, "RATE_LIMITED", "too many requests through the proxy; retry shortly");
    }
    let Ok(_permit) = state.permits.try_acquire() else {
        return retry_later(503, "PROXY_BUSY", "the proxy is at its concurrency limit; retry shortly");
    };
    if worker.is_some() {
        if target.host == HostKind::Auth && worker::is_token_endpoint(&target.path) {
            let ct = parts.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
            if let Err(d) = worker::check_page_token_request(ct, target.query.as_deref(), &body) {
                return denied(d);
            }
        }
        if application_body {
            match worker::check_application_body(&body) {
                Ok(canonical) => body = Bytes::from(canonical),
                Err(d) => return denied(d),
            }
        }
    }

    let fwd_headers = forward_request_headers(&parts.headers, target.host);
    // The upstream path and query: the request's own, less the `/{region}/{host}` prefix.
    let raw = parts.uri.path_and_query().map(|pq| pq.as_str()).unwrap_or_default();
    let owned;
    let path_and_query = match raw.get(target.region.code().len() + target.host.segment().len() + 2..) {
        Some(rest) if rest.starts_with(target.path.as_str()) && rest.len() == target.path.len() + target.query.as_ref().map_or(0, |q| q.len() + 1) => rest,
        _ => {
            owned = match &target.query {
                Some(q) => format!("{}?{q}", target.path),
                None => target.path.clone(),
            };
            owned.as_str()
        }
    };
    let answer = match (worker, target.host) {
        (Some(w), HostKind::Api) => {
            if let Some(app) = &application_id {
                if let Err(resp) = state.ensure_managed_application(w, parts, target, app, &fwd_headers).await {
                    return resp;
                }
            }
            let answer = state.send_management(w, &parts.method, path_and_query, fwd_headers, body).await;
            if let (true, Some(app)) = (application_delete, &application_id) {
                state.managed_apps.lock().unwrap_or_else(|p| p.into_inner()).remove(app);
            }
            answer
        }
        _ => state.send_upstream(target.host, target.region, &parts.method, path_and_query, fwd_headers, body).await.map_err(Failure::Upstream),
    };
    match answer {
        Ok(up) => state.respond(parts, target, up),
        Err(f) => state.failure(target, f),
    }
}

impl AppState {
    fn host_allowed(&self, headers: &HeaderMap) -> bool {
        if self.config.allowed_hosts.is_empty() {
            return true;
        }
        let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or_default();
        self.config.allowed_hosts.iter().any(|h| h.eq_ignore_ascii_case(host))
    }

    /// Management calls carry the worker's credentials in worker mode, so a browser page on
    /// another origin must not be able to trigger them (CSRF: a form POST or `no-cors` fetch
    /// needs no preflight). An `Origin` must be an allowed one (or the proxy's own when it
    /// serves the app); without `Origin`, a browser's `Sec-Fetch-Site` must not say
    /// cross-site. Non-browser clients (curl, tests) send neither.
    fn origin_may_use_worker(&self, headers: &HeaderMap) -> bool {
        match headers.get(header::ORIGIN) {
            Some(origin) => {
                let o = origin.as_bytes();
                // The proxy's own origin counts only when it serves the app and checks `Host`
                // (otherwise a rebound name would make any origin "its own").
                let own_origin = self.config.serve_dir.is_some()
                    && !self.config.allowed_hosts.is_empty()
                    && o.strip_prefix(b"http://").is_some_and(|h| Some(h) == headers.get(header::HOST).map(|v| v.as_bytes()));
                self.config.allow_origins.iter().any(|a| a.as_bytes() == o) || own_origin
            }
            None => !matches!(headers.get("sec-fetch-site").map(|v| v.as_bytes()), Some(b"cross-site" | b"same-site")),
        }
    }

    fn base(&self, host: HostKind, region: Region) -> Option<&Base> {
        self.bases.iter().find(|b| b.host == host && b.region == region)
    }

    /// `scheme://authority[/prefix]` of an upstream.
    pub(crate) fn upstream_origin(&self, host: HostKind, region: Region) -> &str {
        self.base(host, region).map(|b| b.origin.as_str()).unwrap_or_default()
    }

    pub(crate) fn log_event(&self, args: std::fmt::Arguments<'_>) {
        self.logger.line(args);
    }

    /// One request to an upstream (`path_and_query` starts with `/`, as `parse_target` checked),
    /// answer read whole within the size and time limits.
    pub(crate) async fn send_upstream(
        &self,
        host: HostKind,
        region: Region,
        method: &Method,
        path_and_query: &str,
        headers: HeaderMap,
        body: Bytes,
    ) -> Result<UpstreamResponse, UpstreamError> {
        let base = self.base(host, region).ok_or_else(|| UpstreamError::Unreachable("region not configured".into()))?;
        match &self.upstream {
            Upstream::Http(client) => {
                // Built from the configured scheme and authority: the request cannot leave the
                // upstream's host whatever the path holds.
                let pq = if base.prefix.is_empty() {
                    PathAndQuery::try_from(path_and_query)
                } else {
                    PathAndQuery::try_from(format!("{}{path_and_query}", base.prefix))
                }
                .map_err(|_| UpstreamError::Unreachable("invalid path".into()))?;
                let uri = Uri::builder()
                    .scheme(base.scheme.clone())
                    .authority(base.authority.clone())
                    .path_and_query(pq)
                    .build()
                    .map_err(|_| UpstreamError::Unreachable("invalid path".into()))?;
                let mut req = axum::http::Request::new(Full::new(body));
                *req.method_mut() = method.clone();
                *req.uri_mut() = uri;
                *req.headers_mut() = headers;
                let limit = self.config.max_response_bytes;
                let exchange = async {
                    let resp = client.request(req).await.map_err(|e| {
                        UpstreamError::Unreachable(if e.is_connect() { "connection refused or failed".into() } else { "request failed".into() })
                    })?;
                    let (parts, body) = resp.into_parts();
                    let body = Limited::new(body, limit).collect().await.map_err(|e| {
                        if e.is::<http_body_util::LengthLimitError>() {
                            UpstreamError::TooLarge
                        } else {
                            UpstreamError::Unreachable("request failed".into())
                        }
                    })?;
                    Ok(UpstreamResponse { status: parts.status.as_u16(), headers: parts.headers, body: body.to_bytes() })
                };
                tokio::time::timeout(self.config.upstream_timeout, exchange).await.unwrap_or(Err(UpstreamError::Timeout))
            }
            Upstream::Sandbox(engine) => Ok(send_sandbox(engine, method, &format!("{}{path_and_query}", base.origin), &headers, body)),
        }
    }

    /// A management call with the proxy's worker token; a 401 gets a new token and one retry
    /// (401 means PingOne did not act on the call, so sending it again is safe).
    async fn send_management(&self, w: &WorkerConfig, method: &Method, path_and_query: &str, mut headers: HeaderMap, body: Bytes) -> Result<UpstreamResponse, Failure> {
        let token = self.tokens.current(self, w).await.map_err(Failure::Token)?;
        let mut first_headers = headers.clone();
        first_headers.insert(header::AUTHORIZATION, token.header.clone());
        let up = self.send_upstream(HostKind::Api, w.region, method, path_and_query, first_headers, body.clone()).await.map_err(Failure::Upstream)?;
        if up.status != 401 {
            return Ok(up);
        }
        self.tokens.invalidate(token.generation);
        let token = self.tokens.current(self, w).await.map_err(Failure::Token)?;
        headers.insert(header::AUTHORIZATION, token.header.clone());
        self.send_upstream(HostKind::Api, w.region, method, path_and_query, headers, body).await.map_err(Failure::Upstream)
    }

    /// Worker mode, operations under `/applications/{id}`: the application must be one of the
    /// types the workflow manages, never a `WORKER` (its secret would be the worker's
    /// credentials). Checked once per application with a `GET` (cached); an answer other
    /// than 200 (404 after a clean-up...) is the call's answer.
    async fn ensure_managed_application(&self, w: &WorkerConfig, parts: &Parts, target: &Target, app: &str, fwd: &HeaderMap) -> Result<(), Response> {
        if self.managed_apps.lock().unwrap_or_else(|p| p.into_inner()).contains(app) {
            return Ok(());
        }
        let mut headers = HeaderMap::new();
        for name in ["x-ping-external-transaction-id", "x-ping-external-session-id"] {
            if let Some(v) = fwd.get(name) {
                headers.insert(name, v.clone());
            }
        }
        headers.insert("accept", HeaderValue::from_static("application/json"));
        let path = format!("/v1/environments/{}/applications/{app}", w.environment_id);
        let up = match self.send_management(w, &Method::GET, &path, headers, Bytes::new()).await {
            Ok(up) => up,
            Err(f) => return Err(self.failure(target, f)),
        };
        if up.status != 200 {
            return Err(self.respond(parts, target, up));
        }
        let kind: Option<String> = serde_json::from_slice::<serde_json::Value>(&up.body)
            .ok()
            .and_then(|v| v.get("type").and_then(|t| t.as_str()).map(str::to_string));
        match kind {
            Some(k) if worker::MANAGED_APPLICATION_TYPES.contains(&k.as_str()) => {
                let mut apps = self.managed_apps.lock().unwrap_or_else(|p| p.into_inner());
                if apps.len() >= 4096 {
                    apps.clear();
                }
                apps.insert(app.to_string());
                Ok(())
            }
            _ => Err(denied(Denied::ApplicationType)),
        }
    }

    fn failure(&self, target: &Target, f: Failure) -> Response {
        let origin = self.upstream_origin(target.host, target.region);
        match f {
            Failure::Upstream(UpstreamError::Timeout) => {
                let msg = format!("no answer from {origin} within {} ms", self.config.upstream_timeout.as_millis());
                json_error(504, "UPSTREAM_TIMEOUT", &msg, Some(("upstream", origin)))
            }
            Failure::Upstream(UpstreamError::TooLarge) => {
                json_error(502, "UPSTREAM_RESPONSE_TOO_LARGE", "the upstream response exceeded the proxy's limit", Some(("upstream", origin)))
            }
            Failure::Upstream(UpstreamError::Unreachable(why)) => {
                json_error(502, "UPSTREAM_UNREACHABLE", &format!("could not reach {origin}: {why}"), Some(("upstream", origin)))
            }
            Failure::Token(e) => json_error(e.status(), e.code(), &e.message(), None),
        }
    }

    /// The origin the page reaches this proxy at, for the links it hands out: `http://{Host}`,
    /// or, behind a dev server that forwards to it (`trunk serve` sets `X-Forwarded-Host` and
    /// `X-Forwarded-Proto`), that forwarded origin when it is one of the allowed origins (so the
    /// page follows links on its own origin, where its cookies are).
    fn public_origin(&self, headers: &HeaderMap) -> String {
        let get = |name: &str| headers.get(name).and_then(|h| h.to_str().ok());
        if let Some(host) = get("x-forwarded-host") {
            let forwarded = format!("{}://{host}", get("x-forwarded-proto").unwrap_or("http"));
            if self.config.allow_origins.iter().any(|a| *a == forwarded) {
                return forwarded;
            }
        }
        format!("http://{}", get("host").unwrap_or("127.0.0.1"))
    }

    /// The page's response: selected headers, upstream links rewritten to this proxy's routes,
    /// cookies from the auth host moved under its route, redirects reported, not followed.
    fn respond(&self, parts: &Parts, target: &Target, up: UpstreamResponse) -> Response {
        let origin = self.upstream_origin(target.host, target.region);
        let public_prefix = || {
            format!("{}/{}/{}", self.public_origin(&parts.headers), target.region.code(), target.host.segment())
        };
        let body = match self.base(target.host, target.region) {
            Some(base) => rewrite_links(up.body, &up.headers, &base.links, public_prefix),
            None => up.body,
        };
        let mut resp = Response::new(Body::from(body));
        let out = resp.headers_mut();
        let pass_back = [header::CONTENT_TYPE, HeaderName::from_static("correlation-id"), header::RETRY_AFTER, header::WWW_AUTHENTICATE, header::CACHE_CONTROL];
        debug_assert!(pass_back.iter().map(HeaderName::as_str).eq(PASS_BACK.iter().copied()));
        for name in pass_back {
            for v in up.headers.get_all(&name) {
                out.append(&name, v.clone());
            }
        }
        if target.host == HostKind::Auth {
            let route_prefix = format!("/{}/{}", target.region.code(), target.host.segment());
            for v in up.headers.get_all(header::SET_COOKIE) {
                if let Some(hv) = v.to_str().ok().and_then(|s| header_value(&rewrite_set_cookie(s, &route_prefix))) {
                    out.append(header::SET_COOKIE, hv);
                }
            }
        }
        // Redirects are never followed, and never handed to the browser as redirects either (fetch
        // would follow them): the page reads the status and Location from these two headers.
        let mut status = up.status;
        if (300..400).contains(&status) {
            if let Some(loc) = up.headers.get(header::LOCATION).and_then(|v| v.to_str().ok()) {
                let loc = match loc.strip_prefix(origin) {
                    Some(rest) if rest.is_empty() || rest.starts_with('/') || rest.starts_with('?') => format!("{}{rest}", public_prefix()),
                    _ => loc.to_string(),
                };
                if let Some(hv) = header_value(&loc) {
                    out.insert("x-upstream-location", hv);
                }
            }
            if let Some(hv) = header_value(&status.to_string()) {
                out.insert("x-upstream-status", hv);
            }
            status = 200;
        }
        *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
        resp
    }
}

/// What upstream links start with: `"{upstream_origin}/`.
fn link_finder(upstream_origin: &str) -> memchr::memmem::Finder<'static> {
    memchr::memmem::Finder::new(format!("\"{upstream_origin}/").as_bytes()).into_owned()
}

/// Replaces `"{upstream_origin}/` with `"{public_prefix}/` in JSON bodies (the `href`s of
/// `_links`). Bodies without the origin are passed through without a copy.
fn rewrite_links(body: Bytes, headers: &HeaderMap, finder: &memchr::memmem::Finder<'static>, public_prefix: impl FnOnce() -> String) -> Bytes {
    let is_json = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|ct| ct.contains("json"));
    if !is_json {
        return body;
    }
    let needle_len = finder.needle().len();
    let mut hits = finder.find_iter(&body).peekable();
    if hits.peek().is_none() {
        return body;
    }
    let prefix = public_prefix();
    let mut out = Vec::with_capacity(body.len() + 16 * (prefix.len() + 2).saturating_sub(needle_len));
    let mut last = 0;
    for at in hits {
        if is_issuer_value(&body, at) {
            continue;
        }
        out.extend_from_slice(&body[last..at]);
        out.push(b'"');
        out.extend_from_slice(prefix.as_bytes());
        out.push(b'/');
        last = at + needle_len;
    }
    out.extend_from_slice(&body[last..]);
    Bytes::from(out)
}

/// Whether the string starting at `at` is the value of an `"issuer"` member (the discovery
/// document's): an identifier the ID token's `iss` must equal, not a link to follow, so it is
/// left as PingOne wrote it.
fn is_issuer_value(body: &[u8], at: usize) -> bool {
    body[..at]
        .trim_ascii_end()
        .strip_suffix(b":")
        .is_some_and(|before| before.trim_ascii_end().ends_with(b"\"issuer\""))
}

/// An upstream's answer, read whole.
pub(crate) struct UpstreamResponse {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
}

pub(crate) enum UpstreamError {
    Timeout,
    TooLarge,
    Unreachable(String),
}

fn send_sandbox(engine: &Mutex<sandbox::Sandbox>, method: &Method, url: &str, headers: &HeaderMap, body: Bytes) -> UpstreamResponse {
    let Some(m) = pingone::http::Method::parse(method.as_str()) else {
        return UpstreamResponse { status: 405, headers: HeaderMap::new(), body: Bytes::new() };
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
    UpstreamResponse { status: resp.status, headers: out, body: Bytes::from(resp.body) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_discovery_issuer_is_an_identifier_not_a_link() {
        let mut h = HeaderMap::new();
        h.insert(header::CONTENT_TYPE, "application/json".parse().unwrap());
        let up = link_finder("https://auth.pingone.com");
        let body = Bytes::from_static(
            br#"{"issuer" : "https://auth.pingone.com/e/as","jwks_uri":"https://auth.pingone.com/e/as/jwks"}"#,
        );
        let out = rewrite_links(body, &h, &up, || "http://proxy:2/na/auth".into());
        assert_eq!(
            &out[..],
            br#"{"issuer" : "https://auth.pingone.com/e/as","jwks_uri":"http://proxy:2/na/auth/e/as/jwks"}"#
        );
    }

    #[test]
    fn links_are_rewritten_without_touching_other_text() {
        let mut h = HeaderMap::new();
        h.insert("content-type", HeaderValue::from_static("application/json"));
        let body = Bytes::from_static(br#"{"a":{"href":"http://up:1/v1/x"},"b":"http://up:1/v1/y","c":{"href":"http://up:1/v1/z"}}"#);
        let up = link_finder("http://up:1");
        let out = rewrite_links(body.clone(), &h, &up, || "http://proxy:2/na/api".into());
        assert_eq!(&out[..], br#"{"a":{"href":"http://proxy:2/na/api/v1/x"},"b":"http://proxy:2/na/api/v1/y","c":{"href":"http://proxy:2/na/api/v1/z"}}"#);
        let untouched = Bytes::from_static(br#"{"a":"http://other/v1"}"#);
        let out = rewrite_links(untouched.clone(), &h, &up, || unreachable!("no prefix needed"));
        assert_eq!(out.as_ptr(), untouched.as_ptr(), "no copy when nothing to rewrite");
        h.insert("content-type", HeaderValue::from_static("text/html"));
        assert_eq!(rewrite_links(body.clone(), &h, &up, || unreachable!()), body);
    }
}

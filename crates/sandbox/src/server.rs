//! The sandbox over HTTP on loopback (feature `server`): an axum fallback handler that turns each
//! request into a [`HttpRequest`] (URL from the `Host` header), lets the engine answer it, and
//! writes the [`HttpResponse`] back (every `Set-Cookie` kept).
//!
//! Not PingOne: `allow_origins` (the binary's `--allow-origin`) adds CORS for those origins on
//! every path, management included, for browser tests only. PingOne's management API never
//! answers CORS.
//!
//! Fault injection (`SandboxConfig::fail_rate`): the engine's [`Outcome::Dropped`] becomes a
//! connection closed without any response, so the client sees a network error. [`serve`] does
//! it cleanly: the handler marks the response [`DroppedResponse`] and the hyper service around
//! the router turns the mark into a service error, on which hyper closes the connection before
//! writing anything. Under another server (`axum::serve(listener, router(..))`) the marked
//! response's body fails on its first read, which also makes hyper abort the connection.

use crate::errors::P1Error;
use crate::{Outcome, Sandbox};
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::Response;
use axum::Router;
use hyper::body::Frame;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use pingone::http::{HttpRequest, HttpResponse, Method};
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// How the HTTP host behaves (everything else is the engine's).
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// Delay added to every response.
    pub latency_ms: u64,
    /// Origins that get CORS headers on every path (not PingOne behaviour; browser tests only).
    pub allow_origins: Vec<String>,
    /// Larger request bodies get 413.
    pub max_body_bytes: usize,
    /// One line per request on stderr (method, path without query, status, time).
    pub log: bool,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions { latency_ms: 0, allow_origins: Vec::new(), max_body_bytes: 1024 * 1024, log: false }
    }
}

struct ServerState {
    engine: Arc<Mutex<Sandbox>>,
    options: ServerOptions,
    local_addr: SocketAddr,
}

/// The router: one fallback handler, every path goes to the engine.
pub fn router(engine: Arc<Mutex<Sandbox>>, options: ServerOptions, local_addr: SocketAddr) -> Router {
    Router::new().fallback(handle).with_state(Arc::new(ServerState { engine, options, local_addr }))
}

fn lock(engine: &Mutex<Sandbox>) -> MutexGuard<'_, Sandbox> {
    engine.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

async fn handle(State(state): State<Arc<ServerState>>, request: Request) -> Response {
    let started = Instant::now();
    let (parts, body) = request.into_parts();
    let path = parts.uri.path().to_string();
    let origin = parts.headers.get("origin").and_then(|v| v.to_str().ok()).map(str::to_string);
    let extra_cors = origin.filter(|o| state.options.allow_origins.iter().any(|a| a.eq_ignore_ascii_case(o)));
    // `Some(status the client will never see)` when fault injection drops the response.
    let mut dropped: Option<u16> = None;

    let response = if parts.method == axum::http::Method::OPTIONS && extra_cors.is_some() {
        // A preflight for an `--allow-origin` origin: answered here, on any path.
        let mut r = HttpResponse::new(204);
        r.headers.push("Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE, OPTIONS");
        let requested =
            parts.headers.get("access-control-request-headers").and_then(|v| v.to_str().ok()).unwrap_or("Content-Type, Authorization");
        r.headers.push("Access-Control-Allow-Headers", requested);
        r.headers.push("Access-Control-Max-Age", "600");
        r
    } else {
        match axum::body::to_bytes(body, state.options.max_body_bytes).await {
            Err(_) => reject(
                &state,
                P1Error::new(crate::errors::P1Code::RequestTooLarge).message(format!(
                    "The request could not be completed. The request body is larger than {} bytes.",
                    state.options.max_body_bytes
                )),
            ),
            Ok(bytes) => match (Method::parse(parts.method.as_str()), String::from_utf8(bytes.to_vec())) {
                (None, _) => reject(&state, P1Error::method_not_allowed(&["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"])),
                (_, Err(_)) => {
                    reject(&state, P1Error::invalid_request("The request could not be completed. The request body is not UTF-8."))
                }
                (Some(method), Ok(text)) => {
                    // The Host header gives the origin of every href; one that is not a plain
                    // `host[:port]` is ignored.
                    let host = parts
                        .headers
                        .get("host")
                        .and_then(|v| v.to_str().ok())
                        .filter(|h| !h.is_empty() && !h.contains(['/', '?', '#', '@', '\\', ' ']))
                        .map(str::to_string)
                        .unwrap_or_else(|| state.local_addr.to_string());
                    let path_and_query = parts.uri.path_and_query().map(|p| p.as_str().to_string()).unwrap_or_else(|| "/".into());
                    let mut req = HttpRequest::new(method, format!("http://{host}{path_and_query}"));
                    for (name, value) in &parts.headers {
                        if let Ok(v) = value.to_str() {
                            req.headers.push(name.as_str(), v);
                        }
                    }
                    if !text.is_empty() {
                        req.body = Some(text);
                    }
                    let now = now_ms();
                    match lock(&state.engine).handle_with_faults(&req, now) {
                        Outcome::Answer(r) => r,
                        Outcome::Dropped(lost) => {
                            dropped = Some(lost.status);
                            lost
                        }
                    }
                }
            },
        }
    };
    if state.options.latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(state.options.latency_ms)).await;
    }
    let mut response = response;
    if let Some(o) = &extra_cors {
        response.headers.set("Access-Control-Allow-Origin", o.clone());
        response.headers.set("Access-Control-Allow-Credentials", "true");
        response.headers.set("Access-Control-Expose-Headers", "Location, Correlation-Id");
        if !response.headers.iter().any(|(n, v)| n.eq_ignore_ascii_case("vary") && v.contains("Origin")) {
            response.headers.push("Vary", "Origin");
        }
    }
    if let Some(lost) = dropped {
        if state.options.log {
            eprintln!("{} {} -> dropped after {lost} ({} ms)", parts.method, path, started.elapsed().as_millis());
        }
        return dropped_response();
    }
    if state.options.log {
        eprintln!("{} {} -> {} ({} ms)", parts.method, path, response.status, started.elapsed().as_millis());
    }
    to_axum(response)
}

/// Marks a response that must not reach the client: [`serve`] closes the connection instead.
#[derive(Debug, Clone, Copy)]
pub struct DroppedResponse;

/// The error that makes hyper close a connection without answering.
#[derive(Debug)]
struct ResponseDropped;

impl std::fmt::Display for ResponseDropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("response dropped by fault injection")
    }
}

impl std::error::Error for ResponseDropped {}

/// A body whose first read fails: the fallback that aborts the connection under servers that
/// do not look at [`DroppedResponse`].
struct FailingBody;

impl hyper::body::Body for FailingBody {
    type Data = Bytes;
    type Error = ResponseDropped;

    fn poll_frame(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, ResponseDropped>>> {
        Poll::Ready(Some(Err(ResponseDropped)))
    }
}

fn dropped_response() -> Response {
    let mut out = Response::new(Body::new(FailingBody));
    out.extensions_mut().insert(DroppedResponse);
    out
}

/// An error the HTTP layer answers itself, shaped and correlated like the engine's.
fn reject(state: &ServerState, error: P1Error) -> HttpResponse {
    lock(&state.engine).reject(&error)
}

fn to_axum(r: HttpResponse) -> Response {
    let mut out = Response::new(Body::from(r.body));
    *out.status_mut() = StatusCode::from_u16(r.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    for (name, value) in r.headers.iter() {
        if let (Ok(n), Ok(v)) = (HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_str(value)) {
            out.headers_mut().append(n, v);
        }
    }
    out
}

/// Serves HTTP/1.1 until Ctrl-C / SIGTERM (then lets open connections finish, at most 5 s).
/// A response dropped by fault injection closes its connection without a byte.
pub async fn serve(listener: tokio::net::TcpListener, engine: Arc<Mutex<Sandbox>>, options: ServerOptions) -> std::io::Result<()> {
    let local_addr = listener.local_addr()?;
    let app = TowerToHyperService::new(router(engine, options, local_addr));
    let service = hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
        let answer = hyper::service::Service::call(&app, req);
        async move {
            let response = answer.await.unwrap_or_else(|never| match never {});
            match response.extensions().get::<DroppedResponse>() {
                Some(_) => Err(ResponseDropped),
                None => Ok(response),
            }
        }
    });
    let graceful = GracefulShutdown::new();
    let shutdown = shutdown_signal();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let stream = match accepted {
                    Ok((stream, _)) => stream,
                    // Out of file descriptors and the like: back off instead of spinning.
                    Err(_) => {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let connection = hyper::server::conn::http1::Builder::new()
                    .timer(TokioTimer::new())
                    .serve_connection(TokioIo::new(stream), service.clone());
                let connection = graceful.watch(connection);
                tokio::spawn(async move {
                    // A dropped response ends its connection with an error: nothing to report.
                    let _ = connection.await;
                });
            }
            _ = &mut shutdown => break,
        }
    }
    drop(listener);
    let _ = tokio::time::timeout(Duration::from_secs(5), graceful.shutdown()).await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}

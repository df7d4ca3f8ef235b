//! Helpers shared by the proxy's integration tests.
#![allow(dead_code)]

use sandbox::server::{serve, ServerOptions};
use sandbox::{Sandbox, SandboxConfig};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tokio::net::TcpListener;

/// A `pingone-sandbox` HTTP server on a free loopback port, and its engine.
pub async fn start_sandbox(seed: u64) -> (SocketAddr, Arc<Mutex<Sandbox>>) {
    let engine = Arc::new(Mutex::new(Sandbox::new(SandboxConfig { seed, ..Default::default() })));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let options = ServerOptions { latency_ms: 0, allow_origins: vec![], max_body_bytes: 1 << 20, log: false };
    let e = engine.clone();
    tokio::spawn(async move { serve(listener, e, options).await.unwrap() });
    (addr, engine)
}

/// A proxy answer as the workflow sees it (a relayed redirect turned back into the redirect).
pub async fn read_response(resp: reqwest::Response) -> pingone::http::HttpResponse {
    let mut out = pingone::http::HttpResponse::new(resp.status().as_u16());
    for (k, v) in resp.headers() {
        out.headers.push(k.as_str(), v.to_str().unwrap_or_default());
    }
    out.body = resp.text().await.unwrap();
    out.unwrap_proxied_redirect()
}

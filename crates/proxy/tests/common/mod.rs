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

/// The built `pingone-proxy` binary, on a free loopback port; killed when dropped.
pub struct ProxyProcess {
    pub child: std::process::Child,
    /// `127.0.0.1:PORT`
    pub addr: String,
}

impl ProxyProcess {
    /// Starts the binary with `args` (plus `--listen 127.0.0.1:0 --quiet`) and waits for its
    /// ready line. Its stderr goes to `stderr`.
    pub fn start(args: &[&str], stderr: std::process::Stdio) -> ProxyProcess {
        use std::io::BufRead;
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_pingone-proxy"))
            .args(["--listen", "127.0.0.1:0", "--quiet"])
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("pingone-proxy starts");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line).expect("the ready line");
        let ready: serde_json::Value = serde_json::from_str(&line).unwrap_or_else(|_| panic!("a JSON ready line, got {line:?}"));
        let addr = ready["proxy_url"].as_str().expect("proxy_url").trim_start_matches("http://").to_string();
        ProxyProcess { child, addr }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Resident memory in KiB (`VmRSS` in /proc/PID/status).
    pub fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).expect("/proc/PID/status");
        status.lines().find_map(|l| l.strip_prefix("VmRSS:")).and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok()).expect("VmRSS")
    }

    /// Open file descriptors (listening socket, connections, pipes...).
    pub fn open_fds(&self) -> usize {
        std::fs::read_dir(format!("/proc/{}/fd", self.pid())).map(|d| d.count()).unwrap_or(0)
    }
}

impl Drop for ProxyProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Polls `condition` every 10 ms until it holds or `limit` passes; returns whether it held.
pub async fn wait_for(limit: std::time::Duration, mut condition: impl FnMut() -> bool) -> bool {
    let until = std::time::Instant::now() + limit;
    loop {
        if condition() {
            return true;
        }
        if std::time::Instant::now() >= until {
            return false;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}

/// An upstream on loopback that counts the requests it gets and answers 200 `{}`; a path
/// ending in `/slow` is answered after `slow`.
pub async fn start_counting_upstream(slow: std::time::Duration) -> (SocketAddr, Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let hits = Arc::new(AtomicUsize::new(0));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let counter = hits.clone();
    let app = axum::Router::new().fallback(move |req: axum::extract::Request| {
        let counter = counter.clone();
        async move {
            counter.fetch_add(1, Ordering::SeqCst);
            if req.uri().path().ends_with("/slow") {
                tokio::time::sleep(slow).await;
            }
            ([("content-type", "application/json")], "{}")
        }
    });
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (addr, hits)
}

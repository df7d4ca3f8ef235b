//! `pingone-sandbox`: the PingOne emulator over HTTP on loopback.
//!
//! ```text
//! pingone-sandbox --listen 127.0.0.1:0 [--latency-ms N] [--seed N] [--fail-rate P] [--production]
//!                 [--resume redirect|json] [--flow-auth cookies|worker-token-and-cookies] [--allow-origin ORIGIN ...]
//! ```
//! Prints one JSON line on stdout once listening:
//! `{"base_url", "env_id", "worker_client_id", "worker_client_secret", "api_base", "auth_base", "fail_rate"}`.

use clap::Parser;
use sandbox::server::{serve, ServerOptions};
use sandbox::{FlowAuth, ResumeAnswer, Sandbox, SandboxConfig};
use std::io::Write;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

#[derive(Parser, Debug)]
#[command(name = "pingone-sandbox", about = "A faithful PingOne emulator (login + MFA sign-on workflow) on loopback HTTP")]
struct Args {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// Delay added to every response, in milliseconds.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Seed of every id, secret and OTP (same seed, same answers).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Fault injection: the probability (0 to 1) that a PingOne call fails with a 503, a 429
    /// (Retry-After: 1) or, after acting, a connection closed without a response.
    #[arg(long, default_value_t = 0.0, value_parser = parse_fail_rate, allow_negative_numbers = true)]
    fail_rate: f64,
    /// The environment's type is PRODUCTION instead of SANDBOX (to try a client's guard against
    /// provisioning into production).
    #[arg(long)]
    production: bool,
    /// How resume answers in pi.flow mode where PingOne's sources disagree: `redirect` (302 with
    /// the code in Location, the developer docs; default) or `json` (200 with authorizeResponse).
    #[arg(long, default_value = "redirect", value_parser = parse_resume)]
    resume: ResumeAnswer,
    /// What flow calls (/flows, /as/resume) need besides the cookies: `cookies` (nothing more, the
    /// docs and the browser sample; default) or `worker-token-and-cookies` (one Ping sample).
    #[arg(long, default_value = "cookies", value_parser = parse_flow_auth)]
    flow_auth: FlowAuth,
    /// NOT PingOne behaviour, for browser tests only: answer CORS (with credentials) for this
    /// origin on every path, the management API included. Repeatable.
    #[arg(long = "allow-origin", value_name = "ORIGIN")]
    allow_origin: Vec<String>,
    /// Largest accepted request body, in bytes (larger: 413).
    #[arg(long, default_value_t = 1024 * 1024)]
    max_body_bytes: usize,
    /// Do not log requests on stderr.
    #[arg(long)]
    quiet: bool,
}

/// A probability: a number from 0 to 1.
fn parse_fail_rate(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(p) if (0.0..=1.0).contains(&p) => Ok(p),
        _ => Err(format!("`{text}` is not a probability between 0 and 1")),
    }
}

fn parse_resume(text: &str) -> Result<ResumeAnswer, String> {
    ResumeAnswer::parse(text).ok_or_else(|| format!("`{text}` is not `redirect` or `json`"))
}

fn parse_flow_auth(text: &str) -> Result<FlowAuth, String> {
    FlowAuth::parse(text).ok_or_else(|| format!("`{text}` is not `cookies` or `worker-token-and-cookies`"))
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    if let Err(e) = run(args).await {
        eprintln!("pingone-sandbox: {e}");
        std::process::exit(1);
    }
}

async fn run(args: Args) -> Result<(), String> {
    let listener = tokio::net::TcpListener::bind(args.listen).await.map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
    let mut addr = listener.local_addr().map_err(|e| e.to_string())?;
    if addr.ip().is_unspecified() {
        addr.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
    }
    let sandbox = Sandbox::new(SandboxConfig {
        seed: args.seed,
        latency_ms: args.latency_ms,
        fail_rate: args.fail_rate,
        production: args.production,
        resume: args.resume,
        flow_auth: args.flow_auth,
    });
    let info = sandbox.info();
    let base_url = format!("http://{addr}");
    let ready = serde_json::json!({
        "base_url": base_url,
        "env_id": info.env_id,
        "worker_client_id": info.worker_client_id,
        "worker_client_secret": info.worker_client_secret,
        "api_base": format!("{base_url}/v1"),
        "auth_base": format!("{base_url}/{}", info.env_id),
        "fail_rate": sandbox.config().fail_rate,
    });
    let mut stdout = std::io::stdout();
    writeln!(stdout, "{ready}").and_then(|_| stdout.flush()).map_err(|e| format!("cannot write to stdout: {e}"))?;
    let options = ServerOptions {
        latency_ms: args.latency_ms,
        allow_origins: args.allow_origin,
        max_body_bytes: args.max_body_bytes,
        log: !args.quiet,
    };
    serve(listener, Arc::new(Mutex::new(sandbox)), options).await.map_err(|e| e.to_string())
}

//! `pingone-proxy --listen 127.0.0.1:PORT --allow-origin ORIGIN... [--region na|eu|ca|ap|au|sg ...]
//!  [--upstream-api URL --upstream-auth URL] [--sandbox] [--serve DIR]`

use clap::Parser;
use pingone::Region;
use proxy::{router, ProxyConfig, Upstreams};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Parser, Debug)]
#[command(name = "pingone-proxy", about = "A strict CORS proxy in front of PingOne (or the sandbox) for the Sign-On Workbench")]
struct Args {
    /// Address to listen on. Loopback by default; anything else needs --public.
    #[arg(long, default_value = "127.0.0.1:8787")]
    listen: SocketAddr,
    /// Exact origin allowed to call the proxy from a browser (repeatable), e.g. http://127.0.0.1:8080.
    #[arg(long = "allow-origin", required = true)]
    allow_origin: Vec<String>,
    /// Regions to forward to (repeatable): na, eu, ca, ap, au, sg. Default: all.
    #[arg(long = "region")]
    region: Vec<String>,
    /// Replace the management API host, e.g. http://127.0.0.1:9000 (`{tld}` is replaced per region).
    #[arg(long = "upstream-api", requires = "upstream_auth")]
    upstream_api: Option<String>,
    /// Replace the auth host, e.g. http://127.0.0.1:9000.
    #[arg(long = "upstream-auth", requires = "upstream_api")]
    upstream_auth: Option<String>,
    /// Run the sandbox engine in-process as the upstream.
    #[arg(long, conflicts_with_all = ["upstream_api", "upstream_auth"])]
    sandbox: bool,
    /// Seed of the in-process sandbox.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Also serve the built app from this folder.
    #[arg(long)]
    serve: Option<std::path::PathBuf>,
    /// Request body limit in bytes.
    #[arg(long, default_value_t = 256 * 1024)]
    max_body: usize,
    /// Upstream time limit in milliseconds.
    #[arg(long, default_value_t = 20_000)]
    upstream_timeout_ms: u64,
    /// Requests in flight at once; more are answered 503.
    #[arg(long, default_value_t = 256)]
    max_concurrency: usize,
    /// Requests per second (burst twice that); 0 turns the limit off.
    #[arg(long, default_value_t = 100)]
    rate_limit: u32,
    /// Allow listening on a non-loopback address.
    #[arg(long)]
    public: bool,
    /// No per-request log lines.
    #[arg(long)]
    quiet: bool,
    /// Worker threads (default: one per core).
    #[arg(long)]
    threads: Option<usize>,
}

fn main() {
    let args = Args::parse();
    let mut rt = tokio::runtime::Builder::new_multi_thread();
    if let Some(n) = args.threads {
        rt.worker_threads(n.max(1));
    }
    let result = rt.enable_all().build().map_err(|e| e.to_string()).and_then(|rt| rt.block_on(run(args)));
    if let Err(e) = result {
        eprintln!("pingone-proxy: {e}");
        std::process::exit(2);
    }
}

async fn run(args: Args) -> Result<(), String> {
    if !args.listen.ip().is_loopback() && !args.public {
        return Err(format!("{} is not a loopback address; pass --public if you really mean it", args.listen));
    }
    let regions = if args.region.is_empty() {
        Region::ALL.to_vec()
    } else {
        args.region
            .iter()
            .map(|r| Region::from_code(r).ok_or_else(|| format!("unknown region `{r}` (na, eu, ca, ap, au, sg)")))
            .collect::<Result<Vec<_>, _>>()?
    };
    let (upstreams, sandbox_info) = if args.sandbox {
        let engine = sandbox::Sandbox::new(sandbox::SandboxConfig { seed: args.seed, latency_ms: 0 });
        let info = serde_json::to_value(engine.info()).unwrap_or_default();
        (Upstreams::Sandbox(Arc::new(Mutex::new(engine))), Some(info))
    } else {
        match (args.upstream_api, args.upstream_auth) {
            (Some(api), Some(auth)) => (Upstreams::Http { api, auth }, None),
            _ => (Upstreams::Http { api: "https://api.pingone.{tld}".into(), auth: "https://auth.pingone.{tld}".into() }, None),
        }
    };
    let listener = tokio::net::TcpListener::bind(args.listen).await.map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let mut config = ProxyConfig::new(args.allow_origin, upstreams);
    config.regions = regions;
    config.serve_dir = args.serve;
    config.max_body_bytes = args.max_body;
    config.upstream_timeout = Duration::from_millis(args.upstream_timeout_ms);
    config.max_concurrency = args.max_concurrency;
    config.rate_limit_per_sec = args.rate_limit;
    config.log = !args.quiet;
    if addr.ip().is_loopback() {
        let port = addr.port();
        config.allowed_hosts = vec![format!("127.0.0.1:{port}"), format!("localhost:{port}"), format!("[::1]:{port}")];
    }
    let app = router(config).map_err(|e| e.to_string())?;
    let mut ready = serde_json::json!({ "proxy_url": format!("http://{addr}") });
    if let Some(info) = sandbox_info {
        ready["sandbox"] = info;
    }
    println!("{ready}");
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .map_err(|e| e.to_string())
}

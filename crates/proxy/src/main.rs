//! `pingone-proxy --listen 127.0.0.1:PORT --allow-origin ORIGIN... [--region na|eu|ca|ap|au|sg ...]
//!  [--upstream-api URL --upstream-auth URL] [--sandbox] [--serve DIR] [--worker-from-env]`
//!
//! Worker mode (`--worker-from-env`) reads `PINGONE_WORKER_CLIENT_ID`,
//! `PINGONE_WORKER_CLIENT_SECRET`, `PINGONE_ENVIRONMENT_ID` and optionally
//! `PINGONE_WORKER_ENVIRONMENT_ID` and `PINGONE_REGION` (else the single `--region`).

use clap::Parser;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use pingone::Region;
use proxy::worker::WorkerConfig;
use proxy::{Proxy, ProxyConfig, Upstreams};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// mimalloc rather than glibc's malloc: a proxy allocates and frees many small buffers per
/// request; with glibc about a sixth of the proxy's CPU time went to malloc/free (chunk
/// consolidation), see docs/BENCHMARKS.md.
/// How long a client may take to send a request's head.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    /// Threads, each with its own single-threaded runtime and upstream pool (default: one per core).
    #[arg(long)]
    threads: Option<usize>,
    /// Hold the worker credentials in the proxy, read from PINGONE_WORKER_CLIENT_ID,
    /// PINGONE_WORKER_CLIENT_SECRET, PINGONE_ENVIRONMENT_ID (and optionally
    /// PINGONE_WORKER_ENVIRONMENT_ID, PINGONE_REGION): the proxy gets the worker token and adds it
    /// to management calls, forwards only the workflow's operations in that environment, and the
    /// page never sees the secret or the token.
    #[arg(long, conflicts_with = "worker_from_sandbox")]
    worker_from_env: bool,
    /// Worker mode with the in-process sandbox's own worker app (demos and tests; needs --sandbox).
    #[arg(long, requires = "sandbox")]
    worker_from_sandbox: bool,
    /// Worker mode: forward management calls even into an environment whose type is PRODUCTION
    /// (or cannot be read with the worker's roles). Without it the proxy reads the type with its
    /// first worker token and refuses (403 PRODUCTION_ENVIRONMENT).
    #[arg(long)]
    allow_production: bool,
}

fn main() {
    if let Err(e) = run(Args::parse()) {
        eprintln!("pingone-proxy: {e}");
        std::process::exit(2);
    }
}

fn run(args: Args) -> Result<(), String> {
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
    // The regions named with --region (none named: all are enabled, and worker mode needs
    // PINGONE_REGION).
    let named: &[Region] = if args.region.is_empty() { &[] } else { &regions };
    let mut worker = None;
    if args.worker_from_env {
        worker = Some(WorkerConfig::from_env(|name| std::env::var(name).ok(), named).map_err(|e| e.to_string())?);
    }
    let (upstreams, sandbox_info) = if args.sandbox {
        let engine = sandbox::Sandbox::new(sandbox::SandboxConfig { seed: args.seed, ..Default::default() });
        let info = engine.info();
        if args.worker_from_sandbox {
            let region = match named {
                [one] => *one,
                _ => Region::Na,
            };
            let secret = pingone::secret::WorkerSecret::new(info.worker_client_secret.clone());
            worker = Some(WorkerConfig::new(info.worker_client_id.clone(), secret, info.env_id.clone(), region));
        }
        // In worker mode the page must not learn the worker's credentials from this line either.
        let info = if worker.is_some() {
            serde_json::json!({ "env_id": info.env_id })
        } else {
            serde_json::to_value(&info).unwrap_or_default()
        };
        (Upstreams::Sandbox(Arc::new(Mutex::new(engine))), Some(info))
    } else {
        match (args.upstream_api, args.upstream_auth) {
            (Some(api), Some(auth)) => (Upstreams::Http { api, auth }, None),
            _ => (Upstreams::Http { api: "https://api.pingone.{tld}".into(), auth: "https://auth.pingone.{tld}".into() }, None),
        }
    };
    let listener = std::net::TcpListener::bind(args.listen).map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
    listener.set_nonblocking(true).map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let mut config = ProxyConfig::new(args.allow_origin, upstreams);
    config.regions = regions;
    config.serve_dir = args.serve;
    config.max_body_bytes = args.max_body;
    config.upstream_timeout = Duration::from_millis(args.upstream_timeout_ms);
    config.max_concurrency = args.max_concurrency;
    config.rate_limit_per_sec = args.rate_limit;
    config.log = !args.quiet;
    if let Some(w) = worker.as_mut() {
        w.allow_production = args.allow_production;
    }
    if let Some(w) = &worker {
        if !addr.ip().is_loopback() {
            eprintln!(
                "pingone-proxy: warning: worker mode on {addr}: anyone who can reach this address can run the workflow's management operations in environment {}",
                w.environment_id
            );
        }
        eprintln!("pingone-proxy: worker mode: the proxy holds the worker credentials; management calls limited to environment {} ({})", w.environment_id, w.region.code());
    }
    config.worker = worker.clone();
    if addr.ip().is_loopback() {
        let port = addr.port();
        config.allowed_hosts = vec![format!("127.0.0.1:{port}"), format!("localhost:{port}"), format!("[::1]:{port}")];
    }
    let proxy = Proxy::new(config).map_err(|e| e.to_string())?;
    let mut ready = serde_json::json!({
        "proxy_url": format!("http://{addr}"),
        "worker_credentials": if worker.is_some() { "proxy" } else { "page" },
    });
    if let Some(info) = sandbox_info {
        ready["sandbox"] = info;
    }
    println!("{ready}");
    serve_threads(listener, &proxy, args.threads)
}

/// Serves on `threads` threads (default: one per core), each running its own single-threaded
/// tokio runtime with its own router (and upstream connection pool) and accepting from the same
/// listening socket: a request is handled start to end on one thread, with no work stealing
/// and no cross-thread wake-ups, like nginx's worker processes. Limits, log and worker token
/// are shared. Ctrl-C stops accepting and lets requests in flight finish.
fn serve_threads(listener: std::net::TcpListener, proxy: &Proxy, threads: Option<usize>) -> Result<(), String> {
    let threads = threads.unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)).max(1);
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut handles = Vec::new();
    for i in 1..threads {
        let listener = listener.try_clone().map_err(|e| e.to_string())?;
        let (router, stop) = (proxy.router(), stop_rx.clone());
        let handle = std::thread::Builder::new()
            .name(format!("proxy-{i}"))
            .spawn(move || serve_one(listener, router, stop, false))
            .map_err(|e| e.to_string())?;
        handles.push(handle);
    }
    let result = serve_one(listener, proxy.router(), stop_rx, true);
    let _ = stop_tx.send(true);
    for h in handles {
        let _ = h.join();
    }
    result
}

fn serve_one(listener: std::net::TcpListener, router: axum::Router, mut stop: tokio::sync::watch::Receiver<bool>, watch_signal: bool) -> Result<(), String> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::from_std(listener).map_err(|e| e.to_string())?;
        let shutdown = async move {
            if watch_signal {
                let _ = tokio::signal::ctrl_c().await;
            } else {
                let _ = stop.wait_for(|stopped| *stopped).await;
            }
        };
        accept_loop(listener, router, shutdown).await;
        Ok(())
    })
}

/// HTTP/1.1 connections (the proxy speaks nothing else to the page) with keep-alive,
/// `TCP_NODELAY` as nginx sets on keep-alive connections, and a limit on how long a client may
/// take to send a request head (against slow-header clients holding connections open).
async fn accept_loop(listener: tokio::net::TcpListener, router: axum::Router, shutdown: impl std::future::Future<Output = ()>) {
    let service = TowerToHyperService::new(router);
    let graceful = GracefulShutdown::new();
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(HEADER_READ_TIMEOUT).keep_alive(true);
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let connection = graceful.watch(builder.serve_connection(TokioIo::new(stream), service.clone()));
                tokio::spawn(async move {
                    let _ = connection.await;
                });
            }
            _ = &mut shutdown => break,
        }
    }
    drop(listener);
    // Requests in flight get the upstream time limit to finish.
    let _ = tokio::time::timeout(Duration::from_secs(20), graceful.shutdown()).await;
}

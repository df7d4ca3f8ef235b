//! `pingone-proxy --listen 127.0.0.1:PORT --allow-origin ORIGIN... [--region na|eu|ca|ap|au|sg ...]
//!  [--upstream-api URL --upstream-auth URL] [--sandbox] [--serve DIR] [--worker-from-env]`
//!
//! Worker mode (`--worker-from-env`) reads `PINGONE_WORKER_CLIENT_ID`,
//! `PINGONE_WORKER_CLIENT_SECRET`, `PINGONE_ENVIRONMENT_ID` and optionally
//! `PINGONE_WORKER_ENVIRONMENT_ID` and `PINGONE_REGION` (else the single `--region`).

use clap::Parser;
use pingone::Region;
use proxy::server::{connection_ceiling, raise_open_file_limit, ServerOptions};
use proxy::worker::WorkerConfig;
use proxy::{Proxy, ProxyConfig, Upstreams};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// mimalloc rather than glibc's malloc: a proxy allocates and frees many small buffers per
/// request; with glibc about a sixth of the proxy's CPU time went to malloc/free (chunk
/// consolidation), see docs/BENCHMARKS.md.
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
    /// Request body limit in bytes; a larger declared Content-Length is answered 413 before any
    /// of the body is read.
    #[arg(long, default_value_t = 256 * 1024)]
    max_body: usize,
    /// A request body must be in whole within this many milliseconds after its head, else 408
    /// and the connection is closed.
    #[arg(long, default_value_t = 10_000)]
    body_timeout_ms: u64,
    /// After its first 2 seconds, a request body must arrive at at least this many bytes per
    /// second on average, else 408 and the connection is closed; 0 turns the rule off.
    #[arg(long, default_value_t = 1024)]
    body_min_rate: u32,
    /// Upstream time limit in milliseconds.
    #[arg(long, default_value_t = 20_000)]
    upstream_timeout_ms: u64,
    /// Requests with their body in that may be forwarded at once (upstream work); more are
    /// answered 503. Requests still sending their body do not count.
    #[arg(long, default_value_t = 256)]
    max_concurrency: usize,
    /// Client connections open at once (idle, sending, or waiting for an answer); more wait in
    /// the listen backlog. Lowered at start-up if the open-file limit cannot hold them.
    #[arg(long, default_value_t = 8192)]
    max_connections: usize,
    /// On SIGTERM or SIGINT: stop accepting, give requests in flight this many milliseconds to
    /// finish, then exit 0.
    #[arg(long, default_value_t = 20_000)]
    shutdown_grace_ms: u64,
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
    config.body_timeout = Duration::from_millis(args.body_timeout_ms);
    config.body_min_rate = args.body_min_rate;
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
    let options = ServerOptions {
        threads: args.threads.unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)),
        max_connections: max_connections(args.max_connections, args.max_concurrency),
        shutdown_grace: Duration::from_millis(args.shutdown_grace_ms),
        housekeeping: return_freed_memory,
    };
    proxy::server::serve(listener, &proxy, &options, || println!("{ready}")).map_err(|e| e.to_string())
}

/// mimalloc keeps the pages a thread freed and hands them back to the OS only on some of its
/// own paths, which a steady or idle proxy may not take for a long time: without this, the
/// memory of hundreds of connections closed at once (a stalled-body attack that ended) stayed
/// resident. Once a second per thread a forced collection frees that thread's empty pages and
/// returns them (cheap next to a second of serving; see docs/BENCHMARKS.md).
fn return_freed_memory() {
    // SAFETY: `mi_collect` takes no pointers and may be called from any thread at any time.
    unsafe { libmimalloc_sys::mi_collect(true) }
}

/// Raises the open-file limit and says what it got; lowers the connection ceiling when even
/// that limit cannot hold it.
fn max_connections(requested: usize, max_concurrency: usize) -> usize {
    match raise_open_file_limit() {
        Ok((before, now)) => {
            let ceiling = connection_ceiling(requested, now, max_concurrency);
            eprintln!("pingone-proxy: open-file limit {now} (was {before}); up to {ceiling} client connections");
            if ceiling < requested {
                eprintln!("pingone-proxy: warning: --max-connections {requested} lowered to {ceiling} to fit the open-file limit");
            }
            ceiling
        }
        Err(e) => {
            eprintln!("pingone-proxy: warning: cannot read or raise the open-file limit ({e}); up to {requested} client connections");
            requested
        }
    }
}

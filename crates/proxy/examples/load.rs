//! A small closed-loop load generator for `bench/proxy.sh`: N requests at concurrency C against
//! one URL (with an optional bearer token), printing requests/s, p50, p99 and failures as JSON.
//!
//! `cargo run --release -p proxy --example load -- URL N C [BEARER] [--stalled K]`
//!
//! `--stalled K` first attaches K stalled-body connections to the URL's server and keeps K
//! attached while the N requests run: each sends a whole `POST` head declaring 1,000 bytes of
//! body, one byte of it, then nothing; when the server answers or closes, it reconnects and
//! stalls again. Loopback targets only; they stop when the run ends (at most 5 minutes).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The whole run (attaching, then the requests) ends by itself after this long.
const RUN_LIMIT: Duration = Duration::from_secs(300);

#[tokio::main]
async fn main() {
    let mut args: Vec<String> = std::env::args().collect();
    let stalled = match args.iter().position(|a| a == "--stalled") {
        Some(i) if i + 1 < args.len() => {
            let k = args[i + 1].parse().unwrap_or(0);
            args.drain(i..=i + 1);
            k
        }
        _ => 0,
    };
    if args.len() < 4 {
        eprintln!("usage: load URL REQUESTS CONCURRENCY [BEARER] [--stalled K]");
        std::process::exit(2);
    }
    let url = args[1].clone();
    let total: usize = args[2].parse().unwrap_or(10_000);
    let concurrency: usize = args[3].parse().unwrap_or(64);
    let bearer = args.get(4).cloned();
    match tokio::time::timeout(RUN_LIMIT, run(url, total, concurrency, bearer, stalled)).await {
        Ok(Ok(line)) => println!("{line}"),
        Ok(Err(why)) => {
            eprintln!("load: {why}");
            std::process::exit(1);
        }
        Err(_) => {
            eprintln!("load: gave up after {} s", RUN_LIMIT.as_secs());
            std::process::exit(1);
        }
    }
}

async fn run(url: String, total: usize, concurrency: usize, bearer: Option<String>, stalled: usize) -> Result<String, String> {
    let attack = if stalled > 0 { Some(Staller::attach(&url, stalled).await?) } else { None };
    let client = reqwest::Client::builder().pool_max_idle_per_host(concurrency).build().map_err(|e| e.to_string())?;
    let next = Arc::new(AtomicUsize::new(0));
    let failed = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let (client, url, bearer, next, failed) = (client.clone(), url.clone(), bearer.clone(), next.clone(), failed.clone());
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            while next.fetch_add(1, Ordering::Relaxed) < total {
                let t = Instant::now();
                let mut rb = client.get(&url);
                if let Some(b) = &bearer {
                    rb = rb.bearer_auth(b);
                }
                let ok = match rb.send().await {
                    Ok(r) => r.status().is_success() && r.bytes().await.is_ok(),
                    Err(_) => false,
                };
                if !ok {
                    failed.fetch_add(1, Ordering::Relaxed);
                }
                latencies.push(t.elapsed());
            }
            latencies
        }));
    }
    let mut all: Vec<Duration> = Vec::with_capacity(total);
    for w in workers {
        all.extend(w.await.unwrap_or_default());
    }
    let wall = started.elapsed();
    let stalled_report = match attack {
        Some(a) => a.stop(),
        None => String::new(),
    };
    all.sort();
    let pct = |p: f64| all.get(((all.len() as f64 * p) as usize).min(all.len().saturating_sub(1))).map(|d| d.as_secs_f64() * 1000.0).unwrap_or(0.0);
    Ok(format!(
        "{{\"requests\": {}, \"failed\": {}, \"seconds\": {:.3}, \"rps\": {:.0}, \"p50_ms\": {:.3}, \"p99_ms\": {:.3}{stalled_report}}}",
        all.len(),
        failed.load(Ordering::Relaxed),
        wall.as_secs_f64(),
        all.len() as f64 / wall.as_secs_f64(),
        pct(0.50),
        pct(0.99)
    ))
}

/// K connections kept attached with a stalled request body each.
struct Staller {
    want: usize,
    attached: Arc<AtomicUsize>,
    /// Stalled requests the server ended (answered or closed), each replaced by a new one.
    ended: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Staller {
    async fn attach(url: &str, want: usize) -> Result<Staller, String> {
        let parsed = reqwest::Url::parse(url).map_err(|e| format!("{url}: {e}"))?;
        let host = parsed.host_str().unwrap_or_default().to_string();
        let ip: std::net::IpAddr = host.trim_matches(|c| c == '[' || c == ']').parse().map_err(|_| format!("--stalled needs an IP literal, got {host}"))?;
        if !ip.is_loopback() {
            return Err(format!("--stalled only attacks loopback addresses, not {ip}"));
        }
        let addr = std::net::SocketAddr::new(ip, parsed.port_or_known_default().unwrap_or(80));
        let head = format!(
            "POST {} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{",
            parsed.path()
        );
        let (attached, ended, stop) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)), Arc::new(AtomicBool::new(false)));
        let mut tasks = Vec::with_capacity(want);
        for _ in 0..want {
            let (head, attached, ended, stop) = (head.clone(), attached.clone(), ended.clone(), stop.clone());
            tasks.push(tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    let Ok(mut s) = tokio::net::TcpStream::connect(addr).await else {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    };
                    if s.write_all(head.as_bytes()).await.is_err() {
                        continue;
                    }
                    attached.fetch_add(1, Ordering::Relaxed);
                    // Whatever the server sends, the stall lasts until it closes.
                    let mut sink = [0u8; 1024];
                    while matches!(s.read(&mut sink).await, Ok(n) if n > 0) {}
                    attached.fetch_sub(1, Ordering::Relaxed);
                    ended.fetch_add(1, Ordering::Relaxed);
                }
            }));
        }
        let staller = Staller { want, attached, ended, stop, tasks };
        let deadline = Instant::now() + Duration::from_secs(60);
        while staller.attached.load(Ordering::Relaxed) < want {
            if Instant::now() > deadline {
                return Err(format!("only {} of {want} stalled connections attached within 60 s", staller.attached.load(Ordering::Relaxed)));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok(staller)
    }

    /// Closes every stalled connection; a JSON fragment saying how many were still attached at
    /// the end and how many the server ended meanwhile.
    fn stop(self) -> String {
        let at_end = self.attached.load(Ordering::Relaxed);
        self.stop.store(true, Ordering::Relaxed);
        for t in &self.tasks {
            t.abort();
        }
        format!(", \"stalled\": {}, \"stalled_attached_at_end\": {at_end}, \"stalled_ended_by_server\": {}", self.want, self.ended.load(Ordering::Relaxed))
    }
}

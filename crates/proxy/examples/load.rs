//! A small closed-loop load generator for `bench/proxy.sh`: N requests at concurrency C against
//! one URL (with an optional bearer token), printing requests/s, p50, p99 and failures as JSON.
//!
//! `cargo run --release -p proxy --example load -- URL N C [BEARER]`

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 4 {
        eprintln!("usage: load URL REQUESTS CONCURRENCY [BEARER]");
        std::process::exit(2);
    }
    let url = args[1].clone();
    let total: usize = args[2].parse().unwrap_or(10_000);
    let concurrency: usize = args[3].parse().unwrap_or(64);
    let bearer = args.get(4).cloned();
    let client = reqwest::Client::builder().pool_max_idle_per_host(concurrency).build().expect("client");
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
    all.sort();
    let pct = |p: f64| all.get(((all.len() as f64 * p) as usize).min(all.len().saturating_sub(1))).map(|d| d.as_secs_f64() * 1000.0).unwrap_or(0.0);
    println!(
        "{{\"requests\": {}, \"failed\": {}, \"seconds\": {:.3}, \"rps\": {:.0}, \"p50_ms\": {:.3}, \"p99_ms\": {:.3}}}",
        all.len(),
        failed.load(Ordering::Relaxed),
        wall.as_secs_f64(),
        all.len() as f64 / wall.as_secs_f64(),
        pct(0.50),
        pct(0.99)
    );
}

//! The two pieces of state every request touches, kept off any global lock: the rate limiter
//! (one atomic, GCRA) and the request log (a bounded channel to a writer thread).

use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::Arc;
use std::time::Instant;

/// `rate` requests per second with a burst of `2 * rate`, as a token bucket that starts full,
/// implemented as GCRA: one atomic "theoretical arrival time", updated by compare-and-swap.
pub(crate) struct RateLimiter {
    start: Instant,
    /// Nanoseconds one request costs; 0 disables the limit.
    interval_ns: u64,
    /// How far ahead of now the arrival time may run: the burst.
    burst_ns: u64,
    tat_ns: AtomicU64,
}

impl RateLimiter {
    pub(crate) fn new(rate_per_sec: u32) -> RateLimiter {
        let interval_ns = if rate_per_sec == 0 { 0 } else { 1_000_000_000 / u64::from(rate_per_sec) };
        RateLimiter { start: Instant::now(), interval_ns, burst_ns: interval_ns * 2 * u64::from(rate_per_sec), tat_ns: AtomicU64::new(0) }
    }

    /// Takes one token if there is one.
    pub(crate) fn allow(&self) -> bool {
        if self.interval_ns == 0 {
            return true;
        }
        let now = self.start.elapsed().as_nanos() as u64;
        let mut tat = self.tat_ns.load(Ordering::Relaxed);
        loop {
            let next = tat.max(now) + self.interval_ns;
            if next > now + self.burst_ns {
                return false;
            }
            match self.tat_ns.compare_exchange_weak(tat, next, Ordering::Relaxed, Ordering::Relaxed) {
                Ok(_) => return true,
                Err(current) => tat = current,
            }
        }
    }
}

/// Per-request log lines go through a bounded channel to one writer thread, which writes them
/// to stderr in batches. A request never waits for stderr: when the channel is full the line
/// is dropped and counted, and the count is written with the next batch.
pub(crate) struct Logger {
    tx: Option<SyncSender<String>>,
    dropped: Arc<AtomicU64>,
}

impl Logger {
    pub(crate) fn new(enabled: bool) -> Logger {
        let dropped = Arc::new(AtomicU64::new(0));
        if !enabled {
            return Logger { tx: None, dropped };
        }
        let (tx, rx) = sync_channel::<String>(8192);
        let d = dropped.clone();
        let spawned = std::thread::Builder::new().name("proxy-log".into()).spawn(move || write_lines(rx, d));
        Logger { tx: spawned.ok().map(|_| tx), dropped }
    }

    pub(crate) fn enabled(&self) -> bool {
        self.tx.is_some()
    }

    pub(crate) fn line(&self, args: std::fmt::Arguments<'_>) {
        if let Some(tx) = &self.tx {
            match tx.try_send(args.to_string()) {
                Ok(()) | Err(TrySendError::Disconnected(_)) => {}
                Err(TrySendError::Full(_)) => {
                    self.dropped.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    }
}

fn write_lines(rx: Receiver<String>, dropped: Arc<AtomicU64>) {
    while let Ok(first) = rx.recv() {
        let stderr = std::io::stderr();
        let mut out = std::io::BufWriter::with_capacity(16 * 1024, stderr.lock());
        let _ = writeln!(out, "{first}");
        while let Ok(line) = rx.try_recv() {
            let _ = writeln!(out, "{line}");
        }
        let lost = dropped.swap(0, Ordering::Relaxed);
        if lost > 0 {
            let _ = writeln!(out, "({lost} log lines dropped: stderr was too slow)");
        }
        let _ = out.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burst_of_twice_the_rate_then_refused() {
        let limiter = RateLimiter::new(5);
        let granted = (0..50).filter(|_| limiter.allow()).count();
        assert_eq!(granted, 10, "a full bucket of 2 x rate");
        std::thread::sleep(std::time::Duration::from_millis(450));
        let later = (0..50).filter(|_| limiter.allow()).count();
        assert!((1..=3).contains(&later), "refills at the rate: {later}");
        let off = RateLimiter::new(0);
        assert!((0..10_000).all(|_| off.allow()));
    }
}

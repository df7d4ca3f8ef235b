//! The binary's connections: threads and runtimes, the connection ceiling, the open-file limit,
//! and a graceful stop on SIGTERM / SIGINT.

use crate::Proxy;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{watch, Semaphore};

/// How long a client may take to send a request's head.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// File descriptors kept apart from client connections: upstream connections are counted
/// separately (one per upstream slot), these are for the listener, the log, stdio and the like.
const SPARE_DESCRIPTORS: u64 = 64;

#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// Threads, each with its own single-threaded runtime.
    pub threads: usize,
    /// Client connections open at once; more wait in the listen backlog.
    pub max_connections: usize,
    /// After SIGTERM / SIGINT, how long requests in flight may take to finish.
    pub shutdown_grace: Duration,
    /// Called every [`HOUSEKEEPING_INTERVAL`] on each serving thread (the binary's allocator
    /// hands freed memory back to the OS there).
    pub housekeeping: fn(),
}

/// How often [`ServerOptions::housekeeping`] runs.
pub const HOUSEKEEPING_INTERVAL: Duration = Duration::from_secs(1);

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("cannot start a runtime: {0}")]
    Runtime(std::io::Error),
    #[error("cannot share the listening socket: {0}")]
    Listener(std::io::Error),
    #[error("cannot start a thread: {0}")]
    Thread(std::io::Error),
    #[error("cannot watch SIGTERM / SIGINT: {0}")]
    Signal(std::io::Error),
}

/// The open-file limit after raising the soft limit to the hard one (where the OS lets it):
/// `(before, now)`. Each client connection is a descriptor; the default soft limit (often 1024)
/// would cap connections far below `--max-connections`.
pub fn raise_open_file_limit() -> std::io::Result<(u64, u64)> {
    let (before, _hard) = rlimit::getrlimit(rlimit::Resource::NOFILE)?;
    let now = rlimit::increase_nofile_limit(u64::MAX)?;
    Ok((before, now))
}

/// The connection ceiling the open-file limit allows: `requested`, or less when the descriptors
/// would run out first (upstream connections, up to one per slot, need theirs too).
pub fn connection_ceiling(requested: usize, open_file_limit: u64, max_concurrency: usize) -> usize {
    let room = open_file_limit.saturating_sub(max_concurrency as u64 + SPARE_DESCRIPTORS);
    requested.min(usize::try_from(room).unwrap_or(usize::MAX)).max(1)
}

/// Serves on `options.threads` threads, each running its own single-threaded tokio runtime with
/// its own router (and upstream connection pool) and accepting from the same listening socket:
/// a request is handled start to end on one thread, with no work stealing and no cross-thread
/// wake-ups, like nginx's worker processes. Limits, log, worker token and the connection ceiling
/// are shared. `on_ready` runs once SIGTERM and SIGINT are caught (so a signal sent after the
/// ready line always stops gracefully). On either signal every thread stops accepting, requests
/// in flight get `shutdown_grace` to finish, and the function returns.
pub fn serve(listener: std::net::TcpListener, proxy: &Proxy, options: &ServerOptions, on_ready: impl FnOnce()) -> Result<(), ServeError> {
    let threads = options.threads.max(1);
    let connections = Arc::new(Semaphore::new(options.max_connections.max(1)));
    let (stop_tx, stop_rx) = watch::channel(false);
    let rt = runtime()?;
    let mut handles = Vec::new();
    for i in 1..threads {
        let listener = listener.try_clone().map_err(ServeError::Listener)?;
        let (router, stop, connections, options) = (proxy.router(), stop_rx.clone(), connections.clone(), options.clone());
        let handle = std::thread::Builder::new()
            .name(format!("proxy-{i}"))
            .spawn(move || runtime()?.block_on(accept_loop(listener, router, connections, stop, &options)))
            .map_err(ServeError::Thread)?;
        handles.push(handle);
    }
    let max_connections = options.max_connections;
    let result = rt.block_on(async {
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = signal(SignalKind::terminate()).map_err(ServeError::Signal)?;
        let mut int = signal(SignalKind::interrupt()).map_err(ServeError::Signal)?;
        on_ready();
        let open = connections.clone();
        let grace = options.shutdown_grace;
        tokio::spawn(async move {
            let which = tokio::select! {
                _ = term.recv() => "SIGTERM",
                _ = int.recv() => "SIGINT",
            };
            let in_use = max_connections.saturating_sub(open.available_permits());
            eprintln!("pingone-proxy: {which}: no new connections; {in_use} open, requests in flight get up to {} ms", grace.as_millis());
            let _ = stop_tx.send(true);
        });
        accept_loop(listener, proxy.router(), connections.clone(), stop_rx, options).await
    });
    let mut drained = result?;
    for h in handles {
        drained &= matches!(h.join(), Ok(Ok(true)));
    }
    if drained {
        eprintln!("pingone-proxy: stopped; every request in flight finished");
    } else {
        eprintln!("pingone-proxy: stopped; connections still busy at the deadline were closed");
    }
    Ok(())
}

fn runtime() -> Result<tokio::runtime::Runtime, ServeError> {
    tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(ServeError::Runtime)
}

/// HTTP/1.1 connections (the proxy speaks nothing else to the page) with keep-alive,
/// `TCP_NODELAY` as nginx sets on keep-alive connections, and a limit on how long a client may
/// take to send a request head (against slow-header clients holding connections open). Each
/// connection holds one of `connections` while it is open; at the ceiling new clients wait in
/// the listen backlog. Returns whether every connection finished within `shutdown_grace`.
async fn accept_loop(
    listener: std::net::TcpListener,
    router: axum::Router,
    connections: Arc<Semaphore>,
    mut stop: watch::Receiver<bool>,
    options: &ServerOptions,
) -> Result<bool, ServeError> {
    let listener = tokio::net::TcpListener::from_std(listener).map_err(ServeError::Listener)?;
    let service = TowerToHyperService::new(router);
    let graceful = GracefulShutdown::new();
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(HEADER_READ_TIMEOUT).keep_alive(true);
    let housekeeping = options.housekeeping;
    let chores = tokio::spawn(async move {
        let mut every = tokio::time::interval(HOUSEKEEPING_INTERVAL);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            housekeeping();
        }
    });
    let stopped = stop.wait_for(|stopped| *stopped);
    tokio::pin!(stopped);
    loop {
        let slot = tokio::select! {
            slot = connections.clone().acquire_owned() => slot,
            _ = &mut stopped => break,
        };
        let Ok(slot) = slot else { break };
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = &mut stopped => break,
        };
        let Ok((stream, _)) = accepted else {
            // Out of file descriptors and the like: back off instead of spinning.
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let _ = stream.set_nodelay(true);
        let connection = graceful.watch(builder.serve_connection(TokioIo::new(stream), service.clone()));
        tokio::spawn(async move {
            let _ = connection.await;
            drop(slot);
        });
    }
    drop(listener);
    let drained = tokio::time::timeout(options.shutdown_grace, graceful.shutdown()).await.is_ok();
    chores.abort();
    Ok(drained)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ceiling_leaves_descriptors_for_upstream_connections() {
        assert_eq!(connection_ceiling(8192, 1_048_576, 256), 8192);
        assert_eq!(connection_ceiling(8192, 1024, 256), 1024 - 256 - SPARE_DESCRIPTORS as usize);
        assert_eq!(connection_ceiling(8192, 100, 256), 1, "never zero: the proxy still serves");
    }
}

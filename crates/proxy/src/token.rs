//! The worker token in worker mode: fetched by the proxy (client_credentials, client_secret_basic
//! at `{auth}/{workerEnv}/as/token`, docs/pingone.md, call 0), cached, refreshed before it expires and,
//! once, after a 401 from the management API. One fetch at a time; a failed fetch is not retried
//! for [`FAILURE_BACKOFF`] (every caller gets the same error), so a page cannot make the proxy
//! hammer PingOne's token endpoint. Neither the token nor the secret is ever logged.

use crate::route::HostKind;
use crate::worker::WorkerConfig;
use crate::{AppState, UpstreamError};
use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderValue, Method};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// After a failed fetch, callers get the same error for this long without a new fetch.
pub const FAILURE_BACKOFF: Duration = Duration::from_secs(2);

/// Used when the token response has no `expires_in` (PingOne always sends one).
const DEFAULT_LIFETIME: Duration = Duration::from_secs(300);

/// A cached worker token, ready to send.
pub(crate) struct Token {
    /// `Bearer ...`, marked sensitive.
    pub header: HeaderValue,
    /// Identifies this token, so that a 401 only discards the token it was answered to.
    pub generation: u64,
    refresh_at: Instant,
    expires_at: Instant,
}

/// Why no worker token could be had. Carries no secret and no response body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenError {
    /// The token endpoint answered this status (and OAuth `error`, e.g. `invalid_client`).
    Rejected { status: u16, error: Option<String> },
    Timeout,
    Unreachable(String),
    /// A 200 without a usable `access_token`.
    Malformed,
    /// The environment's type is PRODUCTION (`readable`), or could not be read with the worker's
    /// roles, and the proxy was not started with `--allow-production`.
    Production { readable: bool },
}

impl TokenError {
    fn from_upstream(e: UpstreamError) -> TokenError {
        match e {
            UpstreamError::Timeout => TokenError::Timeout,
            UpstreamError::TooLarge => TokenError::Malformed,
            UpstreamError::Unreachable(why) => TokenError::Unreachable(why),
        }
    }

    pub fn status(&self) -> u16 {
        match self {
            TokenError::Timeout => 504,
            TokenError::Production { .. } => 403,
            _ => 502,
        }
    }

    /// The `code` of the proxy's JSON error.
    pub fn code(&self) -> &'static str {
        match self {
            TokenError::Production { .. } => "PRODUCTION_ENVIRONMENT",
            _ => "WORKER_TOKEN_UNAVAILABLE",
        }
    }

    pub fn message(&self) -> String {
        if let TokenError::Production { readable } = self {
            let what = if *readable {
                "the environment's type is PRODUCTION"
            } else {
                "the environment's type could not be read with the worker's roles (it may be PRODUCTION)"
            };
            return format!("{what}: the proxy does not provision into it; use a non-production environment, or restart the proxy with --allow-production if you mean it");
        }
        let why = match self {
            TokenError::Rejected { status, error: Some(e) } => format!("the token endpoint answered {status} ({e})"),
            TokenError::Rejected { status, error: None } => format!("the token endpoint answered {status}"),
            TokenError::Timeout => "the token endpoint did not answer in time".to_string(),
            TokenError::Unreachable(why) => format!("the token endpoint could not be reached: {why}"),
            TokenError::Malformed => "the token response had no usable access_token".to_string(),
            TokenError::Production { .. } => unreachable!("answered above"),
        };
        format!("the proxy could not obtain a worker token: {why}")
    }
}

#[derive(Default)]
pub(crate) struct TokenCache {
    current: RwLock<Option<Arc<Token>>>,
    /// Held while fetching (one fetch at a time); remembers the last failure.
    fetching: tokio::sync::Mutex<Option<(Instant, TokenError)>>,
    generations: AtomicU64,
    /// The environment's type was read and is not PRODUCTION (or PRODUCTION is allowed).
    environment_checked: std::sync::atomic::AtomicBool,
}

impl TokenCache {
    fn peek(&self) -> Option<Arc<Token>> {
        self.current.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn fresh(&self, now: Instant) -> Option<Arc<Token>> {
        self.peek().filter(|t| now < t.refresh_at)
    }

    /// The token to send now: the cached one while it is fresh, else a new one.
    pub(crate) async fn current(&self, state: &AppState, worker: &WorkerConfig) -> Result<Arc<Token>, TokenError> {
        if let Some(t) = self.fresh(Instant::now()) {
            return Ok(t);
        }
        let mut last_failure = self.fetching.lock().await;
        let now = Instant::now();
        if let Some(t) = self.fresh(now) {
            return Ok(t);
        }
        let still_valid = self.peek().filter(|t| now < t.expires_at);
        if let Some((at, err)) = last_failure.as_ref() {
            if now.duration_since(*at) < FAILURE_BACKOFF {
                return still_valid.ok_or_else(|| err.clone());
            }
        }
        let fetched = match fetch(state, worker, self.generations.fetch_add(1, Ordering::Relaxed) + 1).await {
            Ok(token) if !worker.allow_production && !self.environment_checked.load(Ordering::Acquire) => {
                check_environment(state, worker, &token).await.map(|()| {
                    self.environment_checked.store(true, Ordering::Release);
                    token
                })
            }
            other => other,
        };
        match fetched {
            Ok(token) => {
                let token = Arc::new(token);
                *self.current.write().unwrap_or_else(|p| p.into_inner()) = Some(token.clone());
                *last_failure = None;
                state.log_event(format_args!("worker token obtained, refresh in {} s", token.refresh_at.saturating_duration_since(now).as_secs()));
                Ok(token)
            }
            Err(err) => {
                state.log_event(format_args!("worker token not obtained: {}", err.message()));
                *last_failure = Some((Instant::now(), err.clone()));
                // A token that is due for refresh but not expired is still good to send.
                still_valid.ok_or(err)
            }
        }
    }

    /// A management call with token `generation` was answered 401: forget that token (and only
    /// that one, if another call has refreshed it meanwhile).
    pub(crate) fn invalidate(&self, generation: u64) {
        let mut current = self.current.write().unwrap_or_else(|p| p.into_inner());
        if current.as_ref().is_some_and(|t| t.generation == generation) {
            *current = None;
        }
    }
}

async fn fetch(state: &AppState, worker: &WorkerConfig, generation: u64) -> Result<Token, TokenError> {
    let path = format!("/{}/as/token", worker.token_environment());
    let mut headers = HeaderMap::new();
    let mut basic = HeaderValue::from_str(&pingone::oauth::basic_auth(&worker.client_id, worker.client_secret.expose()))
        .map_err(|_| TokenError::Unreachable("the worker credentials cannot be sent in a header".into()))?;
    basic.set_sensitive(true);
    headers.insert("authorization", basic);
    headers.insert("content-type", HeaderValue::from_static("application/x-www-form-urlencoded"));
    headers.insert("accept", HeaderValue::from_static("application/json"));
    let sent_at = Instant::now();
    let resp = state
        .send_upstream(HostKind::Auth, worker.region, &Method::POST, &path, headers, Bytes::from_static(b"grant_type=client_credentials"))
        .await
        .map_err(TokenError::from_upstream)?;
    let json: Option<serde_json::Value> = serde_json::from_slice(&resp.body).ok();
    if resp.status != 200 {
        let error = json
            .as_ref()
            .and_then(|j| j.get("error").or_else(|| j.get("code")))
            .and_then(|e| e.as_str())
            .filter(|e| e.len() <= 64 && e.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
            .map(str::to_string);
        return Err(TokenError::Rejected { status: resp.status, error });
    }
    let json = json.ok_or(TokenError::Malformed)?;
    let access_token = json.get("access_token").and_then(|t| t.as_str()).filter(|t| !t.is_empty()).ok_or(TokenError::Malformed)?;
    let mut header = HeaderValue::from_str(&format!("Bearer {access_token}")).map_err(|_| TokenError::Malformed)?;
    header.set_sensitive(true);
    let lifetime = json.get("expires_in").and_then(|e| e.as_u64()).map(Duration::from_secs).unwrap_or(DEFAULT_LIFETIME);
    let refresh_after = lifetime.saturating_sub(worker.refresh_margin).max(lifetime / 2);
    Ok(Token { header, generation, refresh_at: sent_at + refresh_after, expires_at: sent_at + lifetime })
}

/// Reads the environment's type with a fresh worker token (`GET /v1/environments/{envID}`,
/// docs/security.md, C7): a PRODUCTION environment, or one whose type the worker may not read,
/// is refused unless the proxy runs with `--allow-production`.
async fn check_environment(state: &AppState, worker: &WorkerConfig, token: &Token) -> Result<(), TokenError> {
    let path = format!("/v1/environments/{}", worker.environment_id);
    let mut headers = HeaderMap::new();
    headers.insert("authorization", token.header.clone());
    headers.insert("accept", HeaderValue::from_static("application/json"));
    let resp = state
        .send_upstream(HostKind::Api, worker.region, &Method::GET, &path, headers, Bytes::new())
        .await
        .map_err(TokenError::from_upstream)?;
    use pingone::models::{Environment, EnvironmentType};
    match Environment::from_answer(&worker.environment_id, resp.status, &resp.body) {
        Some(Ok(env)) if env.environment_type.needs_confirmation() => {
            Err(TokenError::Production { readable: env.environment_type == EnvironmentType::Production })
        }
        Some(Ok(_)) => Ok(()),
        Some(Err(_)) => Err(TokenError::Malformed),
        None => Err(TokenError::Rejected { status: resp.status, error: None }),
    }
}

//! PingOne models and the "login + MFA sign-on" workflow as data.
//!
//! Pure Rust, no I/O: it builds [`http::HttpRequest`]s from a [`workflow::WorkflowState`] and
//! applies [`http::HttpResponse`]s back into it. Transports (the in-page sandbox, gloo-net, the
//! native test client) live elsewhere. Builds for `wasm32-unknown-unknown` and native.
//!
//! Trust and recovery ([`idtoken`], [`totp`], [`retry`], [`worker_token`], and the workflow's
//! look-up-and-adopt and clean-up) are pure too: digests, HMACs and signature verdicts come from
//! the caller's WebCrypto, time and jitter from the caller's clock and RNG.

// Errors carry PingOne's whole error body to the UI; they are rare, so their size does not matter.
#![allow(clippy::result_large_err)]

pub mod error;
pub mod flow;
pub mod http;
pub mod idtoken;
pub mod media;
pub mod models;
pub mod oauth;
pub mod phone;
pub mod region;
pub mod retry;
pub mod secret;
pub mod totp;
pub mod worker_token;
pub mod workflow;

pub use error::{ApiError, ErrorDetail, OAuthError, P1Error};
pub use flow::{Flow, FlowStatus};
pub use idtoken::{check_id_token, select_jwk, split_jws, IdTokenCheck, IdTokenReport, IdTokenVerdict, Jwk, Jwks, OpenIdConfiguration};
pub use region::Region;
pub use retry::{Idempotency, RetryDecision, RetryPolicy};
pub use worker_token::WorkerTokenLifetime;
pub use workflow::{Phase, Step, StepId, WorkflowState};

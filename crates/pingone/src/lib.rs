//! PingOne models and the "login + MFA sign-on" workflow as data.
//!
//! Pure Rust, no I/O: it builds [`http::HttpRequest`]s from a [`workflow::WorkflowState`] and
//! applies [`http::HttpResponse`]s back into it. Transports (the in-page sandbox, gloo-net, the
//! native test client) live elsewhere. Builds for `wasm32-unknown-unknown` and native.

// Errors carry PingOne's whole error body to the UI; they are rare, so their size does not matter.
#![allow(clippy::result_large_err)]

pub mod error;
pub mod flow;
pub mod http;
pub mod media;
pub mod models;
pub mod oauth;
pub mod region;
pub mod secret;
pub mod workflow;

pub use error::{ApiError, ErrorDetail, OAuthError, P1Error};
pub use flow::{Flow, FlowStatus};
pub use region::Region;
pub use workflow::{Phase, Step, StepId, WorkflowState};

//! PingOne Sign-On Workbench: the browser app (Leptos 0.8, client-side rendered).
//!
//! [`app`] is the root. The phases (`phases/`) and components (`components/`) render the one
//! store ([`state`]) and dispatch the [`runner`]'s actions; [`transport`] sends each request to
//! the in-page sandbox or the network; [`mask`], [`curl`] and [`transcript`] show and export the
//! calls with every secret masked. [`embed`] mounts the app into documentation pages (iframe or
//! script include, docs/embedding.md).

pub mod app;
pub mod components;
pub mod crypto;
pub mod curl;
#[cfg(feature = "embed")]
pub mod embed;
pub mod json;
pub mod lazy;
pub mod mask;
pub mod phases;
pub mod remember;
pub mod runner;
pub mod state;
pub mod transcript;
pub mod transport;
pub mod verify;

pub use app::App;

//! How a built [`HttpRequest`] becomes an [`HttpResponse`]. The runner sees one trait; the
//! in-page sandbox and the browser's `fetch` are two implementations behind a concrete enum
//! (no boxed async trait objects).

pub mod http;
pub mod sandbox;

use pingone::http::{HttpRequest, HttpResponse};
use thiserror::Error;

pub use self::http::HttpTransport;
pub use self::sandbox::{OutboxMessage, SandboxStart, SandboxTenant, SandboxTransport};

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TransportError {
    /// fetch() rejected: network down, CORS refused, proxy not running, DNS.
    #[error("no response from {url}: {reason}")]
    Network { url: String, reason: String },
    /// The request could not be turned into a fetch request.
    #[error("the request could not be sent: {0}")]
    Build(String),
    /// The response could not be read.
    #[error("the response body could not be read: {0}")]
    Body(String),
    /// The in-page engine is busy or gone.
    #[error("the in-page sandbox could not answer: {0}")]
    Sandbox(String),
}

/// One request, one response. `prepare` lets a transport add what it would add on the wire
/// (the sandbox transport adds the `Cookie` header from its jar) so the inspector shows it.
#[allow(async_fn_in_trait)]
pub trait Transport {
    fn prepare(&self, _request: &mut HttpRequest) {}
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError>;
}

/// The transport of the current mode.
#[derive(Clone)]
pub enum AnyTransport {
    Sandbox(SandboxTransport),
    Http(HttpTransport),
}

impl AnyTransport {
    pub fn sandbox(&self) -> Option<&SandboxTransport> {
        match self {
            AnyTransport::Sandbox(s) => Some(s),
            AnyTransport::Http(_) => None,
        }
    }
}

impl Transport for AnyTransport {
    fn prepare(&self, request: &mut HttpRequest) {
        match self {
            AnyTransport::Sandbox(t) => t.prepare(request),
            AnyTransport::Http(t) => t.prepare(request),
        }
    }
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        match self {
            AnyTransport::Sandbox(t) => t.send(request).await,
            AnyTransport::Http(t) => t.send(request).await,
        }
    }
}

/// The path of a URL (what cookies are scoped by), without query or fragment.
pub fn url_path(url: &str) -> &str {
    let after_scheme = url.split_once("://").map(|(_, rest)| rest).unwrap_or(url);
    let path_and_more = after_scheme.find('/').map(|i| &after_scheme[i..]).unwrap_or("/");
    let end = path_and_more.find(['?', '#']).unwrap_or(path_and_more.len());
    &path_and_more[..end]
}

/// Resolves after `ms` milliseconds (setTimeout), or at once outside a window.
pub async fn sleep_ms(ms: u32) {
    let promise = js_sys::Promise::new(&mut |resolve, _reject| {
        let scheduled = web_sys::window()
            .map(|w| w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms as i32).is_ok())
            .unwrap_or(false);
        if !scheduled {
            let _ = resolve.call0(&wasm_bindgen::JsValue::NULL);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

#[cfg(test)]
mod tests {
    use super::url_path;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn paths() {
        assert_eq!(url_path("https://auth.pingone.com/env/flows/f1?x=1"), "/env/flows/f1");
        assert_eq!(url_path("https://auth.pingone.com"), "/");
        assert_eq!(url_path("/a/b#c"), "/a/b");
    }
}

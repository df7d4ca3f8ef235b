//! CORS exactly as docs/security.md, P3 asks: the `Origin` must equal one of the
//! configured origins byte for byte; only that origin is echoed, with credentials and
//! `Vary: Origin`; a preflight answers a fixed set of methods and headers, never the requested
//! ones; an origin that is not allowed gets no CORS header at all.
//!
//! This replaced tower-http's `CorsLayer`, which adds `Access-Control-Allow-Credentials` and
//! `-Expose-Headers` whatever the origin (the proxy needed a second layer to strip them) and
//! rebuilt its header map and cloned its origin list on every request.

use axum::http::{header, HeaderMap, HeaderValue, Method};
use axum::response::Response;

const ALLOW_METHODS: &str = "GET,POST,PUT,DELETE";
const ALLOW_HEADERS: &str = "authorization,content-type,accept,x-ping-external-transaction-id,x-ping-external-session-id";
const EXPOSE_HEADERS: &str = "x-upstream-status,x-upstream-location,correlation-id,retry-after";
const MAX_AGE: &str = "600";
const VARY: &str = "origin, access-control-request-method, access-control-request-headers";

fn v(s: &'static str) -> HeaderValue {
    HeaderValue::from_static(s)
}

/// The request's `Origin` if it is one of `allowed` (exact match).
pub(crate) fn allowed_origin<'a>(headers: &'a HeaderMap, allowed: &[HeaderValue]) -> Option<&'a HeaderValue> {
    let origin = headers.get(header::ORIGIN)?;
    allowed.iter().any(|a| a.as_bytes() == origin.as_bytes()).then_some(origin)
}

/// A CORS preflight: `OPTIONS` with `Origin` and `Access-Control-Request-Method`.
pub(crate) fn is_preflight(method: &Method, headers: &HeaderMap) -> bool {
    method == Method::OPTIONS && headers.contains_key(header::ORIGIN) && headers.contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
}

/// The answer to a preflight (never forwarded upstream).
pub(crate) fn preflight(origin: Option<&HeaderValue>) -> Response {
    let mut resp = Response::new(axum::body::Body::empty());
    let h = resp.headers_mut();
    h.insert(header::VARY, v(VARY));
    if let Some(o) = origin {
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, o.clone());
        h.insert(header::ACCESS_CONTROL_ALLOW_CREDENTIALS, v("true"));
        h.insert(header::ACCESS_CONTROL_ALLOW_METHODS, v(ALLOW_METHODS));
        h.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, v(ALLOW_HEADERS));
        h.insert(header::ACCESS_CONTROL_MAX_AGE, v(MAX_AGE));
    }
    resp
}

/// Adds the CORS headers of an actual (non-preflight) response.
pub(crate) fn decorate(resp: &mut Response, origin: Option<&HeaderValue>) {
    let h = resp.headers_mut();
    h.append(header::VARY, v(VARY));
    if let Some(o) = origin {
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, o.clone());
        h.insert(header::ACCESS_CONTROL_ALLOW_CREDENTIALS, v("true"));
        h.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, v(EXPOSE_HEADERS));
    }
}

//! CORS on the auth host, as PingOne's application `corsSettings` govern it: a browser origin
//! gets CORS headers (with credentials) only when some application of the environment lists it
//! under `ALLOW_SPECIFIC_ORIGINS`. The management API never answers CORS.

use crate::errors::{P1Code, P1Error};
use crate::http::Incoming;
use crate::store::Store;
use pingone::http::HttpResponse;

/// The request's `Origin` if an application allows it.
pub fn allowed_origin(store: &Store, req: &Incoming<'_>) -> Option<String> {
    let origin = req.header("origin")?.trim();
    let allowed = store
        .applications
        .iter()
        .filter_map(|a| a.cors_settings.as_ref())
        .any(|cors| cors.behavior == "ALLOW_SPECIFIC_ORIGINS" && cors.origins.iter().any(|pattern| origin_matches(pattern, origin)));
    allowed.then(|| origin.to_string())
}

/// `https://app.example.com` matches itself (case-insensitively); `https://*.example.com`
/// matches any subdomain of example.com with the same scheme and port.
pub fn origin_matches(pattern: &str, origin: &str) -> bool {
    let (pattern, origin) = (pattern.trim().to_ascii_lowercase(), origin.to_ascii_lowercase());
    if pattern == origin {
        return true;
    }
    let Some((scheme, rest)) = pattern.split_once("://*.") else { return false };
    let Some(host_port) = origin.strip_prefix(&format!("{scheme}://")) else { return false };
    let (suffix, port) = split_port(rest);
    let (host, origin_port) = split_port(host_port);
    port == origin_port && host.len() > suffix.len() + 1 && host.ends_with(&format!(".{suffix}"))
}

fn split_port(host_port: &str) -> (&str, Option<&str>) {
    match host_port.rsplit_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (host_port, None),
    }
}

/// Adds the CORS response headers for an allowed origin.
pub fn decorate(resp: &mut HttpResponse, origin: &str) {
    resp.headers.set("Access-Control-Allow-Origin", origin);
    resp.headers.set("Access-Control-Allow-Credentials", "true");
    resp.headers.set("Access-Control-Expose-Headers", "Location, Correlation-Id");
    resp.headers.push("Vary", "Origin");
}

/// An `OPTIONS` preflight on the auth host.
pub fn preflight(req: &Incoming<'_>, allowed: Option<&str>, rest: &[&str], correlation_id: &str) -> HttpResponse {
    let known = matches!(
        rest,
        ["as", "authorize" | "token" | "resume" | "jwks" | "userinfo"] | ["as", ".well-known", "openid-configuration"] | ["flows", _]
    );
    if !known {
        return P1Error::not_found("the requested resource").to_response(correlation_id);
    }
    let Some(origin) = allowed else {
        return P1Error::new(P1Code::AccessFailed)
            .status(403)
            .message("The request could not be completed. The origin is not allowed by the CORS settings of any application.")
            .to_response(correlation_id);
    };
    let mut resp = HttpResponse::new(204);
    decorate(&mut resp, origin);
    resp.headers.set("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
    let requested = req.header("access-control-request-headers").unwrap_or("Content-Type, Authorization");
    resp.headers.set("Access-Control-Allow-Headers", requested);
    resp.headers.set("Access-Control-Max-Age", "600");
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_exact_and_wildcard_origins() {
        assert!(origin_matches("https://app.example.com", "https://APP.example.com"));
        assert!(!origin_matches("https://app.example.com", "https://app.example.com:8443"));
        assert!(origin_matches("https://*.example.com", "https://a.b.example.com"));
        assert!(!origin_matches("https://*.example.com", "https://example.com"));
        assert!(!origin_matches("https://*.example.com", "http://a.example.com"));
        assert!(!origin_matches("https://*.example.com", "https://evil-example.com"));
        assert!(origin_matches("http://*.localhost:8080", "http://x.localhost:8080"));
        assert!(!origin_matches("http://*.localhost:8080", "http://x.localhost:9090"));
    }
}

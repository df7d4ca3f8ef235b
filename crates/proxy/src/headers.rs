//! Header hygiene: what crosses the proxy in each direction, and the cookie rewrite.

use crate::route::HostKind;
use axum::http::{HeaderMap, HeaderName, HeaderValue};

/// Request headers forwarded upstream; everything else (hop-by-hop, `X-Forwarded-*`, `Origin`,
/// `Referer`, `Host`, and `Cookie` to the management API) is dropped.
pub fn forward_request_headers(incoming: &HeaderMap, host: HostKind) -> HeaderMap {
    const ALWAYS: &[&str] = &[
        "authorization",
        "content-type",
        "accept",
        "x-ping-external-transaction-id",
        "x-ping-external-session-id",
    ];
    let mut out = HeaderMap::new();
    for (name, value) in incoming {
        let n = name.as_str();
        let keep = ALWAYS.contains(&n) || (n == "cookie" && host == HostKind::Auth);
        if keep {
            out.append(name.clone(), value.clone());
        }
    }
    out
}

/// Response headers passed back to the page (`Set-Cookie` only from the auth host, rewritten).
pub const PASS_BACK: &[&str] = &["content-type", "correlation-id", "retry-after", "www-authenticate", "cache-control"];

/// Rewrites an upstream `Set-Cookie` so the browser sends it back to the proxy route:
/// `Path=/{env}` becomes `Path=/{region}/auth/{env}`, and any `Domain` is dropped.
pub fn rewrite_set_cookie(value: &str, route_prefix: &str) -> String {
    let mut parts = Vec::new();
    let mut saw_path = false;
    for (i, raw) in value.split(';').enumerate() {
        let attr = raw.trim();
        if i == 0 {
            parts.push(attr.to_string());
            continue;
        }
        let lower = attr.to_ascii_lowercase();
        if lower.starts_with("domain=") {
            continue;
        }
        if lower.starts_with("path=") {
            let path = attr[5..].trim();
            let path = if path.starts_with('/') { path } else { "/" };
            parts.push(format!("Path={}{}", route_prefix, path.trim_end_matches('/')));
            saw_path = true;
            continue;
        }
        parts.push(attr.to_string());
    }
    if !saw_path {
        parts.push(format!("Path={route_prefix}"));
    }
    parts.join("; ")
}

pub fn header_value(s: &str) -> Option<HeaderValue> {
    HeaderValue::from_str(s).ok()
}

pub fn name(s: &'static str) -> HeaderName {
    HeaderName::from_static(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drops_what_must_not_cross() {
        let mut h = HeaderMap::new();
        for (n, v) in [
            ("authorization", "Bearer t"),
            ("cookie", "ST=1"),
            ("origin", "http://a"),
            ("referer", "http://a/x"),
            ("x-forwarded-for", "1.2.3.4"),
            ("connection", "keep-alive"),
            ("te", "trailers"),
            ("content-type", "application/json"),
            ("x-ping-external-session-id", "s"),
        ] {
            h.append(HeaderName::from_static(n), HeaderValue::from_static(v));
        }
        let api = forward_request_headers(&h, HostKind::Api);
        let names: Vec<_> = api.keys().map(|k| k.as_str()).collect();
        assert_eq!(names, vec!["authorization", "content-type", "x-ping-external-session-id"]);
        let auth = forward_request_headers(&h, HostKind::Auth);
        assert!(auth.contains_key("cookie"));
        assert!(!auth.contains_key("origin"));
    }

    #[test]
    fn cookies_are_moved_under_the_proxy_route() {
        assert_eq!(
            rewrite_set_cookie("ST=abc; Path=/env1; Domain=auth.pingone.com; Max-Age=2592000; Secure; HttpOnly; SameSite=None", "/na/auth"),
            "ST=abc; Path=/na/auth/env1; Max-Age=2592000; Secure; HttpOnly; SameSite=None"
        );
        assert_eq!(rewrite_set_cookie("a=b", "/eu/auth"), "a=b; Path=/eu/auth");
    }
}

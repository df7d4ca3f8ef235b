//! The real network: `fetch` through gloo-net. Management calls go to the proxy (the worker
//! token must not be sent cross-site with cookies); auth-host calls send the browser's cookies
//! (`credentials: include`), as the flow API needs.

use super::{Transport, TransportError};
use gloo_net::http::{Method as GlooMethod, RequestBuilder};
use pingone::http::{Headers, HttpRequest, HttpResponse, Method};
use web_sys::RequestCredentials;

/// What PingOne answered, as `pingone-proxy` relays it: fetch cannot read a redirect, so the
/// proxy answers 200 with the upstream's status and `Location` in `X-Upstream-Status` and
/// `X-Upstream-Location`; the workflow sees the redirect PingOne sent.
pub fn upstream_view(status: u16, mut headers: Headers, body: String) -> HttpResponse {
    let upstream = headers.get("x-upstream-status").and_then(|s| s.trim().parse::<u16>().ok());
    match upstream {
        Some(code) if (300..400).contains(&code) => {
            if let Some(location) = headers.get("x-upstream-location").map(str::to_string) {
                headers.set("Location", location);
            }
            HttpResponse { status: code, headers, body }
        }
        _ => HttpResponse { status, headers, body },
    }
}

#[derive(Clone, Debug)]
pub struct HttpTransport {
    /// URLs starting with this are auth-host calls (cookies included).
    auth_root: String,
}

impl HttpTransport {
    pub fn new(auth_root: impl Into<String>) -> HttpTransport {
        HttpTransport { auth_root: auth_root.into() }
    }
}

fn gloo_method(m: Method) -> GlooMethod {
    match m {
        Method::Get => GlooMethod::GET,
        Method::Post => GlooMethod::POST,
        Method::Put => GlooMethod::PUT,
        Method::Patch => GlooMethod::PATCH,
        Method::Delete => GlooMethod::DELETE,
        Method::Options => GlooMethod::OPTIONS,
        Method::Head => GlooMethod::HEAD,
    }
}

impl Transport for HttpTransport {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let auth_call = request.url.starts_with(self.auth_root.trim_end_matches('/'));
        let mut builder = RequestBuilder::new(&request.url)
            .method(gloo_method(request.method))
            .credentials(if auth_call { RequestCredentials::Include } else { RequestCredentials::Omit });
        for (name, value) in request.headers.iter() {
            // The browser owns these; setting them is refused or ignored.
            if name.eq_ignore_ascii_case("cookie") || name.eq_ignore_ascii_case("content-length") {
                continue;
            }
            builder = builder.header(name, value);
        }
        let built = match &request.body {
            Some(body) => builder.body(body.clone()),
            None => builder.build(),
        }
        .map_err(|e| TransportError::Build(e.to_string()))?;
        let response = built
            .send()
            .await
            .map_err(|e| TransportError::Network { url: request.url.clone(), reason: e.to_string() })?;
        let mut headers = Headers::new();
        for (name, value) in response.headers().entries() {
            headers.push(name, value);
        }
        let body = response.text().await.map_err(|e| TransportError::Body(e.to_string()))?;
        Ok(upstream_view(response.status(), headers, body))
    }
}

#[cfg(test)]
mod tests {
    use super::upstream_view;
    use pingone::http::Headers;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn a_relayed_redirect_is_seen_as_the_redirect() {
        let mut h = Headers::new();
        h.push("X-Upstream-Status", "302");
        h.push("X-Upstream-Location", "http://127.0.0.1:8080/callback?code=abc&state=xyz");
        let r = upstream_view(200, h, String::new());
        assert_eq!(r.status, 302);
        assert_eq!(r.headers.get("location"), Some("http://127.0.0.1:8080/callback?code=abc&state=xyz"));
    }

    #[test]
    fn other_answers_pass_through() {
        let mut h = Headers::new();
        h.push("X-Upstream-Status", "200");
        assert_eq!(upstream_view(200, h, "{}".into()).status, 200);
        assert_eq!(upstream_view(404, Headers::new(), "{}".into()).status, 404);
    }
}

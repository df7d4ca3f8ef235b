//! Plain-data HTTP requests and responses. No I/O happens here: a transport (the in-page
//! sandbox, gloo-net in the browser, reqwest in native tests) turns an [`HttpRequest`] into an
//! [`HttpResponse`]. Keeping these as data lets the inspector, the curl export, the sandbox
//! engine and the tests all look at exactly what went over the wire.

use serde::{Deserialize, Serialize};

/// The HTTP methods this workflow uses (and the clean-up DELETE).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Method {
    Get,
    Post,
    Put,
    Patch,
    Delete,
    Options,
    Head,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
            Method::Options => "OPTIONS",
            Method::Head => "HEAD",
        }
    }

    /// Parses a method name as sent on the wire (case-sensitive, as HTTP is).
    pub fn parse(s: &str) -> Option<Method> {
        Some(match s {
            "GET" => Method::Get,
            "POST" => Method::Post,
            "PUT" => Method::Put,
            "PATCH" => Method::Patch,
            "DELETE" => Method::Delete,
            "OPTIONS" => Method::Options,
            "HEAD" => Method::Head,
            _ => return None,
        })
    }
}

impl std::fmt::Display for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Header list in order; names compare case-insensitively.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Headers(pub Vec<(String, String)>);

impl Headers {
    pub fn new() -> Self {
        Headers(Vec::new())
    }
    /// First value of a header, by case-insensitive name.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    /// Every value of a header (e.g. several `Set-Cookie`).
    pub fn get_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    /// Appends a header (keeps existing ones with the same name).
    pub fn push(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.0.push((name.into(), value.into()));
    }
    /// Replaces every header with this name by one value.
    pub fn set(&mut self, name: &str, value: impl Into<String>) {
        self.0.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self.0.push((name.to_string(), value.into()));
    }
    pub fn remove(&mut self, name: &str) {
        self.0.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
    }
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }
}

/// A request as the workflow builds it: absolute URL, headers, optional text body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpRequest {
    pub method: Method,
    pub url: String,
    pub headers: Headers,
    pub body: Option<String>,
}

impl HttpRequest {
    pub fn new(method: Method, url: impl Into<String>) -> Self {
        HttpRequest { method, url: url.into(), headers: Headers::new(), body: None }
    }
    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.set(name, value);
        self
    }
    /// Sets a JSON body with the given media type (PingOne selects actions by media type).
    pub fn json_body(mut self, media_type: &str, body: &impl Serialize) -> Self {
        // Serialising our own model types cannot fail (no maps with non-string keys).
        let text = serde_json::to_string(body).unwrap_or_else(|_| "{}".to_string());
        self.headers.set("Content-Type", media_type);
        self.body = Some(text);
        self
    }
    /// Sets an `application/x-www-form-urlencoded` body.
    pub fn form_body(mut self, pairs: &[(&str, &str)]) -> Self {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs.iter())
            .finish();
        self.headers.set("Content-Type", "application/x-www-form-urlencoded");
        self.body = Some(body);
        self
    }
    /// The path and query of the URL (`/v1/environments/...?x=y`); the sandbox routes on it.
    pub fn path_and_query(&self) -> String {
        match url::Url::parse(&self.url) {
            Ok(u) => match u.query() {
                Some(q) => format!("{}?{}", u.path(), q),
                None => u.path().to_string(),
            },
            Err(_) => self.url.clone(),
        }
    }
}

/// A response as a transport received it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Headers,
    pub body: String,
}

impl HttpResponse {
    pub fn new(status: u16) -> Self {
        HttpResponse { status, headers: Headers::new(), body: String::new() }
    }
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
    /// `pingone-proxy` never hands a redirect to the browser as a redirect (fetch would follow
    /// it): it answers 200 with `X-Upstream-Status` and `X-Upstream-Location`. This restores the
    /// upstream's status and `Location`, so a step sees what PingOne sent.
    pub fn unwrap_proxied_redirect(mut self) -> Self {
        let status = self.headers.get("x-upstream-status").and_then(|s| s.parse::<u16>().ok());
        if let Some(status) = status.filter(|s| (300..400).contains(s)) {
            if let Some(location) = self.headers.get("x-upstream-location").map(str::to_string) {
                self.headers.set("Location", location);
            }
            self.status = status;
        }
        self
    }

    /// The body as JSON, if it is JSON.
    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_str(&self.body).ok()
    }
}

/// A minimal cookie jar for transports that are not a browser (the in-page sandbox transport,
/// native tests). It keeps name=value pairs per path prefix, as the flow API's cookies need;
/// expiry in the past (`Max-Age=0`) removes a cookie.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CookieJar {
    cookies: Vec<StoredCookie>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct StoredCookie {
    name: String,
    value: String,
    path: String,
}

impl CookieJar {
    pub fn new() -> Self {
        Self::default()
    }

    /// Stores every `Set-Cookie` of a response. `request_path` is the default cookie path.
    pub fn store_from(&mut self, response: &HttpResponse, request_path: &str) {
        for line in response.headers.get_all("set-cookie") {
            let mut parts = line.split(';');
            let Some((name, value)) = parts.next().and_then(|nv| nv.split_once('=')) else {
                continue;
            };
            let (name, value) = (name.trim().to_string(), value.trim().to_string());
            let mut path = default_path(request_path);
            let mut delete = false;
            for attr in parts {
                let (k, v) = attr.split_once('=').unwrap_or((attr, ""));
                match k.trim().to_ascii_lowercase().as_str() {
                    "path" if v.trim().starts_with('/') => path = v.trim().to_string(),
                    "max-age" if v.trim().parse::<i64>().map(|n| n <= 0).unwrap_or(false) => {
                        delete = true
                    }
                    _ => {}
                }
            }
            self.cookies.retain(|c| !(c.name == name && c.path == path));
            if !delete {
                self.cookies.push(StoredCookie { name, value, path });
            }
        }
    }

    /// The `Cookie` header value for a request path, if any cookie applies.
    pub fn header_for(&self, request_path: &str) -> Option<String> {
        let matching: Vec<String> = self
            .cookies
            .iter()
            .filter(|c| path_matches(request_path, &c.path))
            .map(|c| format!("{}={}", c.name, c.value))
            .collect();
        (!matching.is_empty()).then(|| matching.join("; "))
    }

    pub fn is_empty(&self) -> bool {
        self.cookies.is_empty()
    }

    pub fn clear(&mut self) {
        self.cookies.clear();
    }
}

fn default_path(request_path: &str) -> String {
    match request_path.rfind('/') {
        Some(0) | None => "/".to_string(),
        Some(i) => request_path[..i].to_string(),
    }
}

fn path_matches(request_path: &str, cookie_path: &str) -> bool {
    request_path == cookie_path
        || (request_path.starts_with(cookie_path)
            && (cookie_path.ends_with('/')
                || request_path.as_bytes().get(cookie_path.len()) == Some(&b'/')))
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;
    use super::*;

    #[test]
    fn headers_are_case_insensitive() {
        let mut h = Headers::new();
        h.push("Content-Type", "application/json");
        assert_eq!(h.get("content-type"), Some("application/json"));
        h.set("CONTENT-TYPE", "text/plain");
        assert_eq!(h.0.len(), 1);
        assert_eq!(h.get("Content-Type"), Some("text/plain"));
    }

    #[test]
    fn form_body_is_urlencoded() {
        let r = HttpRequest::new(Method::Post, "https://auth.pingone.com/e/as/token")
            .form_body(&[("grant_type", "authorization_code"), ("redirect_uri", "https://a.b/c?d=e f")]);
        assert_eq!(
            r.body.as_deref(),
            Some("grant_type=authorization_code&redirect_uri=https%3A%2F%2Fa.b%2Fc%3Fd%3De+f")
        );
        assert_eq!(r.path_and_query(), "/e/as/token");
    }

    #[test]
    fn proxied_redirects_are_restored() {
        let mut r = HttpResponse::new(200);
        r.headers.push("X-Upstream-Status", "302");
        r.headers.push("X-Upstream-Location", "https://app.example/cb?code=c&state=s");
        let r = r.unwrap_proxied_redirect();
        assert_eq!(r.status, 302);
        assert_eq!(r.headers.get("location"), Some("https://app.example/cb?code=c&state=s"));
        let plain = HttpResponse::new(200).unwrap_proxied_redirect();
        assert_eq!(plain.status, 200);
    }

    #[test]
    fn cookie_jar_scopes_by_path_and_deletes() {
        let mut jar = CookieJar::new();
        let mut resp = HttpResponse::new(200);
        resp.headers.push("Set-Cookie", "ST=abc; Path=/env1; Max-Age=2592000; Secure; HttpOnly; SameSite=None");
        resp.headers.push("Set-Cookie", "ST-NO-SS=abc; Path=/env1; Secure; HttpOnly");
        jar.store_from(&resp, "/env1/flows/x");
        assert_eq!(jar.header_for("/env1/as/resume").as_deref(), Some("ST=abc; ST-NO-SS=abc"));
        assert_eq!(jar.header_for("/env10/as/resume"), None);
        assert_eq!(jar.header_for("/other"), None);
        let mut del = HttpResponse::new(200);
        del.headers.push("Set-Cookie", "ST=; Path=/env1; Max-Age=0");
        jar.store_from(&del, "/env1/flows/x");
        assert_eq!(jar.header_for("/env1/as/resume").as_deref(), Some("ST-NO-SS=abc"));
    }
}

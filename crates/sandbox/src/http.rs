//! Reading a [`HttpRequest`] (path, query, cookies, credentials, bodies) and building responses.

use crate::errors::{Detail, P1Error};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use pingone::http::{Headers, HttpRequest, HttpResponse, Method};
use serde_json::{Map, Value};

/// The parts of a request the routes look at. Only the path routes; the host only gives the
/// origin used for absolute hrefs.
pub struct Incoming<'a> {
    pub method: Method,
    /// `scheme://host[:port]` of the request URL.
    pub origin: String,
    /// Path segments, not decoded (ids are compared as sent).
    pub segments: Vec<String>,
    pub query: Vec<(String, String)>,
    pub headers: &'a Headers,
    pub body: Option<&'a str>,
}

impl<'a> Incoming<'a> {
    pub fn parse(req: &'a HttpRequest) -> Result<Incoming<'a>, P1Error> {
        let url = url::Url::parse(&req.url)
            .map_err(|_| P1Error::invalid_request("The request could not be completed. The request URL is not an absolute URL."))?;
        let origin = url.origin().ascii_serialization();
        let segments = url.path().strip_prefix('/').unwrap_or(url.path()).split('/').map(str::to_string).collect();
        let query = url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
        Ok(Incoming { method: req.method, origin, segments, query, headers: &req.headers, body: req.body.as_deref() })
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name)
    }

    /// The media type of `Content-Type`, lower-cased, without parameters.
    pub fn media_type(&self) -> Option<String> {
        self.header("content-type").map(media_type_of)
    }

    pub fn query_param(&self, name: &str) -> Option<&str> {
        self.query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// Every value of cookie `name` (a jar may hold the same name under several paths).
    pub fn cookies(&self, name: &str) -> Vec<String> {
        self.headers
            .get_all("cookie")
            .flat_map(|line| line.split(';'))
            .filter_map(|pair| pair.split_once('='))
            .filter(|(n, _)| n.trim() == name)
            .map(|(_, v)| v.trim().trim_matches('"').to_string())
            .collect()
    }

    /// `Authorization: Bearer <token>`.
    pub fn bearer(&self) -> Option<&str> {
        let auth = self.header("authorization")?;
        let (scheme, token) = auth.trim().split_once(' ')?;
        scheme.eq_ignore_ascii_case("bearer").then(|| token.trim()).filter(|t| !t.is_empty())
    }

    /// `Authorization: Basic ...`: `None` when absent or another scheme, `Some(None)` when
    /// malformed, else the raw client id and secret (base64 of `id:secret`).
    pub fn basic_credentials(&self) -> Option<Option<(String, String)>> {
        let auth = self.header("authorization")?;
        let (scheme, value) = auth.trim().split_once(' ')?;
        if !scheme.eq_ignore_ascii_case("basic") {
            return None;
        }
        let decoded = STANDARD.decode(value.trim()).ok().and_then(|b| String::from_utf8(b).ok());
        Some(decoded.and_then(|text| {
            // The raw `id:secret`, as PingOne documents it: nothing is form-decoded, so a
            // secret sent as `%7E` instead of `~` does not match.
            let (id, secret) = text.split_once(':')?;
            Some((id.to_string(), secret.to_string()))
        }))
    }

    /// The body as a JSON object, or 400 `INVALID_DATA`.
    pub fn json_object(&self) -> Result<Map<String, Value>, P1Error> {
        let text = self.body.map(str::trim).filter(|b| !b.is_empty()).ok_or_else(|| {
            P1Error::invalid_one(Detail::required("body")).message("The request could not be completed. A request body is required.")
        })?;
        match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(map)) => Ok(map),
            Ok(_) => Err(P1Error::invalid_one(Detail::invalid("body", "The request body must be a JSON object."))),
            Err(e) => Err(P1Error::invalid_one(Detail::invalid("body", format!("The request body is not valid JSON: {e}.")))
                .message("The request could not be completed. The request body could not be parsed.")),
        }
    }

    /// An `application/x-www-form-urlencoded` body (empty when absent).
    pub fn form(&self) -> Vec<(String, String)> {
        self.body
            .map(|b| url::form_urlencoded::parse(b.as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect())
            .unwrap_or_default()
    }
}

pub fn media_type_of(content_type: &str) -> String {
    content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase()
}

/// The first value of `name` in a list of pairs.
pub fn param<'p>(pairs: &'p [(String, String)], name: &str) -> Option<&'p str> {
    pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

pub const JSON: &str = "application/json";
/// The flow API answers HAL.
pub const HAL_JSON: &str = "application/hal+json;charset=UTF-8";

pub fn json_response(status: u16, body: &Value) -> HttpResponse {
    let mut r = HttpResponse::new(status);
    r.headers.push("Content-Type", JSON);
    r.body = body.to_string();
    r
}

pub fn hal_response(status: u16, body: &Value) -> HttpResponse {
    let mut r = HttpResponse::new(status);
    r.headers.push("Content-Type", HAL_JSON);
    r.body = body.to_string();
    r
}

pub fn no_content() -> HttpResponse {
    HttpResponse::new(204)
}

pub fn redirect(location: &str) -> HttpResponse {
    let mut r = HttpResponse::new(302);
    r.headers.push("Location", location);
    r
}

/// A HAL `_links` object from `(relation, href)` pairs.
pub fn links(pairs: &[(&str, String)]) -> Value {
    let mut m = Map::new();
    for (rel, href) in pairs {
        m.insert((*rel).to_string(), serde_json::json!({ "href": href }));
    }
    Value::Object(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(url: &str) -> HttpRequest {
        HttpRequest::new(Method::Get, url)
    }

    #[test]
    fn parses_path_origin_query_and_cookies() {
        let r = req("http://127.0.0.1:8080/v1/environments/e/users?filter=username%20eq%20%22a%22")
            .header("Cookie", "ST=abc; P1FLOW=\"x\"; ST=def");
        let i = Incoming::parse(&r).unwrap();
        assert_eq!(i.origin, "http://127.0.0.1:8080");
        assert_eq!(i.segments, ["v1", "environments", "e", "users"]);
        assert_eq!(i.query_param("filter"), Some("username eq \"a\""));
        assert_eq!(i.cookies("ST"), ["abc", "def"]);
        assert_eq!(i.cookies("P1FLOW"), ["x"]);
        let https = req("https://auth.pingone.com/e/as/token");
        assert_eq!(Incoming::parse(&https).unwrap().origin, "https://auth.pingone.com");
        assert!(Incoming::parse(&req("/relative")).is_err());
    }

    #[test]
    fn reads_credentials() {
        let r = req("https://a/b").header("Authorization", "Basic YXBwOnNlY3JldA==");
        assert_eq!(Incoming::parse(&r).unwrap().basic_credentials(), Some(Some(("app".into(), "secret".into()))));
        let r = req("https://a/b").header("Authorization", "Basic !!!");
        assert_eq!(Incoming::parse(&r).unwrap().basic_credentials(), Some(None));
        let r = req("https://a/b").header("Authorization", "bearer  tok ");
        assert_eq!(Incoming::parse(&r).unwrap().bearer(), Some("tok"));
        assert_eq!(Incoming::parse(&r).unwrap().basic_credentials(), None);
    }

    #[test]
    fn json_body_errors_are_invalid_data() {
        let mut r = req("https://a/b");
        r.body = Some("{nope".into());
        let e = Incoming::parse(&r).unwrap().json_object().unwrap_err();
        assert_eq!(e.status, 400);
        r.body = Some("[1]".into());
        assert!(Incoming::parse(&r).unwrap().json_object().is_err());
        r.body = None;
        assert!(Incoming::parse(&r).unwrap().json_object().is_err());
    }
}

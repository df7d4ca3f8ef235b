//! Which requests the proxy forwards, and where. Pure: no I/O, table-tested.
//!
//! Routes: `/{region}/api/v1/...` -> the region's management API, and
//! `/{region}/auth/{envId}/(as|flows)/...` -> the region's auth host. Everything else is refused
//! before any upstream is contacted.

use pingone::Region;
use thiserror::Error;

/// Which PingOne host a route goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostKind {
    Api,
    Auth,
}

impl HostKind {
    pub fn segment(self) -> &'static str {
        match self {
            HostKind::Api => "api",
            HostKind::Auth => "auth",
        }
    }
}

/// A request target the proxy accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub region: Region,
    pub host: HostKind,
    /// The upstream path, still percent-encoded, starting with `/` (e.g. `/v1/environments/...`).
    pub path: String,
    /// The raw query, if any.
    pub query: Option<String>,
}

/// Why a request is refused; each maps to a status and a JSON error body.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Refusal {
    #[error("absolute-form and authority-form request targets are not accepted; send a path")]
    AbsoluteForm,
    #[error("CONNECT is not supported: this is not a general-purpose proxy")]
    Connect,
    #[error("dot-segments (., .., %2e) are not allowed in the path")]
    DotSegment,
    #[error("encoded or alternative path separators (%2f, %5c, \\, //) are not allowed")]
    EncodedSeparator,
    #[error("control characters or NUL are not allowed in the target")]
    ControlCharacter,
    #[error("`@` (userinfo) is not allowed in the path")]
    UserInfo,
    #[error("unknown route: use /{{region}}/api/v1/... or /{{region}}/auth/{{envId}}/...")]
    UnknownRoute,
    #[error("region `{0}` is not enabled on this proxy")]
    RegionNotEnabled(String),
    #[error("this path is not forwarded to the {0} host")]
    PathNotAllowed(&'static str),
    #[error("method {0} is not forwarded to this host")]
    MethodNotAllowed(String),
}

impl Refusal {
    pub fn status(&self) -> u16 {
        match self {
            Refusal::AbsoluteForm | Refusal::DotSegment | Refusal::EncodedSeparator | Refusal::ControlCharacter | Refusal::UserInfo => 400,
            Refusal::Connect | Refusal::MethodNotAllowed(_) => 405,
            Refusal::UnknownRoute | Refusal::RegionNotEnabled(_) | Refusal::PathNotAllowed(_) => 404,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Refusal::AbsoluteForm => "ABSOLUTE_FORM_REFUSED",
            Refusal::Connect => "CONNECT_REFUSED",
            Refusal::DotSegment => "DOT_SEGMENT_REFUSED",
            Refusal::EncodedSeparator => "ENCODED_SEPARATOR_REFUSED",
            Refusal::ControlCharacter => "CONTROL_CHARACTER_REFUSED",
            Refusal::UserInfo => "USERINFO_REFUSED",
            Refusal::UnknownRoute => "UNKNOWN_ROUTE",
            Refusal::RegionNotEnabled(_) => "REGION_NOT_ENABLED",
            Refusal::PathNotAllowed(_) => "PATH_NOT_ALLOWED",
            Refusal::MethodNotAllowed(_) => "METHOD_NOT_ALLOWED",
        }
    }
}

/// Checks the raw target of a request (method, and the URI exactly as received).
/// `has_authority` is true when the request line carried a scheme or authority.
pub fn parse_target(method: &str, has_authority: bool, raw_path: &str, raw_query: Option<&str>, regions: &[Region]) -> Result<Target, Refusal> {
    if method.eq_ignore_ascii_case("CONNECT") {
        return Err(Refusal::Connect);
    }
    if has_authority {
        return Err(Refusal::AbsoluteForm);
    }
    let has_control = |s: &str| s.bytes().any(|b| b < 0x20 || b == 0x7f) || contains_ci(s, "%00");
    if has_control(raw_path) || raw_query.is_some_and(has_control) {
        return Err(Refusal::ControlCharacter);
    }
    if !raw_path.starts_with('/') {
        return Err(Refusal::AbsoluteForm);
    }
    if raw_path.contains('\\') || contains_ci(raw_path, "%2f") || contains_ci(raw_path, "%5c") || raw_path.contains("//") {
        return Err(Refusal::EncodedSeparator);
    }
    if raw_path.contains('@') || contains_ci(raw_path, "%40") {
        return Err(Refusal::UserInfo);
    }
    // Decode each segment once (and twice, against double encoding) and refuse dot-segments.
    for seg in raw_path.split('/').skip(1) {
        if seg == "." || seg == ".." {
            return Err(Refusal::DotSegment);
        }
        if !seg.contains('%') {
            continue;
        }
        let once = percent_decode(seg);
        let twice = percent_decode(&once);
        for s in [once.as_str(), twice.as_str()] {
            if s == "." || s == ".." || s.contains('/') || s.contains('\\') {
                return Err(if s.contains('/') || s.contains('\\') { Refusal::EncodedSeparator } else { Refusal::DotSegment });
            }
        }
    }

    let mut parts = raw_path.splitn(4, '/').skip(1);
    let region_code = parts.next().unwrap_or_default();
    let host = match parts.next() {
        Some("api") => HostKind::Api,
        Some("auth") => HostKind::Auth,
        _ => return Err(Refusal::UnknownRoute),
    };
    let region = Region::from_code(region_code).filter(|r| r.code() == region_code).ok_or(Refusal::UnknownRoute)?;
    if !regions.contains(&region) {
        return Err(Refusal::RegionNotEnabled(region_code.to_string()));
    }
    let path = format!("/{}", parts.next().unwrap_or_default());

    let allowed_methods: &[&str] = match host {
        HostKind::Api => &["GET", "POST", "PUT", "DELETE"],
        HostKind::Auth => &["GET", "POST"],
    };
    if !allowed_methods.contains(&method) {
        return Err(Refusal::MethodNotAllowed(method.to_string()));
    }
    match host {
        HostKind::Api if !path.starts_with("/v1/environments/") => return Err(Refusal::PathNotAllowed("api")),
        HostKind::Auth if !is_auth_path(&path) => return Err(Refusal::PathNotAllowed("auth")),
        _ => {}
    }
    Ok(Target { region, host, path, query: raw_query.map(str::to_string) })
}

/// `/{envId}/as/...` or `/{envId}/flows/...`, the auth host's workflow endpoints.
fn is_auth_path(path: &str) -> bool {
    let mut segs = path.split('/').skip(1);
    let env = segs.next().unwrap_or_default();
    let area = segs.next().unwrap_or_default();
    pingone::workflow::is_uuid(env) && matches!(area, "as" | "flows") && segs.next().is_some_and(|s| !s.is_empty())
}

/// Case-insensitive `contains` for an ASCII `needle`, without allocating.
fn contains_ci(hay: &str, needle: &str) -> bool {
    hay.len() >= needle.len() && hay.as_bytes().windows(needle.len()).any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned()
}

/// A path with ids replaced by `{id}`, for log lines (no query: it may carry codes).
pub fn route_template(path: &str) -> String {
    path.split('/')
        .map(|s| if s.len() >= 16 && s.chars().all(|c| c.is_ascii_hexdigit() || c == '-') { "{id}" } else { s })
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    const ENV: &str = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";
    const ALL: &[Region] = &Region::ALL;

    fn p(method: &str, path: &str) -> Result<Target, Refusal> {
        let (path, query) = match path.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (path, None),
        };
        parse_target(method, false, path, query, ALL)
    }

    #[test]
    fn accepts_the_workflow_routes() {
        let t = p("POST", &format!("/na/api/v1/environments/{ENV}/applications")).unwrap();
        assert_eq!((t.region, t.host, t.path.as_str()), (Region::Na, HostKind::Api, &*format!("/v1/environments/{ENV}/applications")));
        let t = p("GET", &format!("/eu/auth/{ENV}/as/authorize?client_id=x&scope=openid")).unwrap();
        assert_eq!(t.host, HostKind::Auth);
        assert_eq!(t.query.as_deref(), Some("client_id=x&scope=openid"));
        assert!(p("POST", &format!("/au/auth/{ENV}/flows/abc")).is_ok());
    }

    #[test]
    fn refuses_abuse() {
        let env = ENV;
        let cases: Vec<(&str, String, Refusal)> = vec![
            ("CONNECT", "/na/api/v1".into(), Refusal::Connect),
            ("GET", format!("/na/api/v1/environments/{env}/../../admin"), Refusal::DotSegment),
            ("GET", format!("/na/api/v1/environments/{env}/%2e%2e/x"), Refusal::DotSegment),
            ("GET", format!("/na/api/v1/environments/{env}/%252e%252e/x"), Refusal::DotSegment),
            ("GET", format!("/na/api/v1/environments/{env}%2fusers"), Refusal::EncodedSeparator),
            ("GET", format!("/na/api/v1/environments/{env}%5cusers"), Refusal::EncodedSeparator),
            ("GET", "/na/api//evil.example/v1".into(), Refusal::EncodedSeparator),
            ("GET", "/xx/api/v1/environments/x".into(), Refusal::UnknownRoute),
            ("GET", "/NA/api/v1/environments/x".into(), Refusal::UnknownRoute),
            ("GET", "/na/admin/v1".into(), Refusal::UnknownRoute),
            ("GET", "/na/api@evil.example/v1/environments/x".into(), Refusal::UserInfo),
            ("GET", format!("/na/api/v1/environments/{env}%40evil.example/users"), Refusal::UserInfo),
            ("GET", "/na/api/v2/other".into(), Refusal::PathNotAllowed("api")),
            ("GET", "/na/auth/not-an-env/as/token".into(), Refusal::PathNotAllowed("auth")),
            ("GET", format!("/na/auth/{env}/saml20/idp"), Refusal::PathNotAllowed("auth")),
            ("PATCH", format!("/na/api/v1/environments/{env}/users"), Refusal::MethodNotAllowed("PATCH".into())),
            ("DELETE", format!("/na/auth/{env}/as/token"), Refusal::MethodNotAllowed("DELETE".into())),
            ("GET", format!("/na/api/v1/environments/{env}/users%00"), Refusal::ControlCharacter),
        ];
        for (method, path, want) in cases {
            assert_eq!(p(method, &path), Err(want.clone()), "{method} {path}");
        }
        assert_eq!(parse_target("GET", true, "/na/api/v1/environments/x", None, ALL), Err(Refusal::AbsoluteForm));
        assert_eq!(parse_target("GET", false, "/eu/api/v1/environments/x", None, &[Region::Na]), Err(Refusal::RegionNotEnabled("eu".into())));
    }

    #[test]
    fn log_template_hides_ids() {
        assert_eq!(route_template(&format!("/v1/environments/{ENV}/users")), "/v1/environments/{id}/users");
    }
}

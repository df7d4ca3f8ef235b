//! Typed errors of the emulator and how they go on the wire.
//!
//! Two families, as in PingOne:
//! * [`P1Error`] — the management API and the flow API: `{id, code, message, details[]}`
//!   (docs/pingone.md, "Errors"), with a fresh UUID `id` that is also sent as the `Correlation-Id` header.
//! * [`OAuthError`] — `/as/token` (and `/as/authorize` in redirect mode):
//!   `{error, error_description: "... (Correlation ID: <uuid>)"}` (docs/pingone.md, "OAuth errors").
//!
//! [`EMITTED_ERROR_CODES`] and [`EMITTED_OAUTH_ERRORS`] list every code a client can meet, so a
//! client can prove it has something to say about each of them.

use crate::http::json_response;
use pingone::http::HttpResponse;
use serde_json::{json, Map, Value};

/// Top-level P1Error codes the sandbox answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum P1Code {
    /// 400: validation errors, listed in `details`.
    InvalidData,
    /// 400: the request is well-formed but not allowed now (e.g. a flow action in the wrong status).
    InvalidRequest,
    /// 401 (or 403 for a CORS preflight from an unknown origin).
    AccessFailed,
    /// 404: unknown id, unknown path, expired flow.
    NotFound,
    /// 405: known path, wrong method.
    MethodNotAllowed,
    /// 413: body over the size limit (server only).
    RequestTooLarge,
    /// 406: a strict `Accept` on authorize (PingOne answers it with 406; the code name is inferred).
    NotAcceptable,
    /// 415: the `Content-Type` does not select an operation of this path.
    UnsupportedMediaType,
    /// 429 with `Retry-After`: only from fault injection (the sandbox has no rate limit).
    RequestLimited,
    /// 503: only from fault injection.
    ServiceUnavailable,
}

impl P1Code {
    pub const ALL: [P1Code; 10] = [
        P1Code::InvalidData,
        P1Code::InvalidRequest,
        P1Code::AccessFailed,
        P1Code::NotFound,
        P1Code::MethodNotAllowed,
        P1Code::RequestTooLarge,
        P1Code::NotAcceptable,
        P1Code::UnsupportedMediaType,
        P1Code::RequestLimited,
        P1Code::ServiceUnavailable,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            P1Code::InvalidData => "INVALID_DATA",
            P1Code::InvalidRequest => "INVALID_REQUEST",
            P1Code::AccessFailed => "ACCESS_FAILED",
            P1Code::NotFound => "NOT_FOUND",
            P1Code::MethodNotAllowed => "METHOD_NOT_ALLOWED",
            P1Code::RequestTooLarge => "REQUEST_TOO_LARGE",
            P1Code::NotAcceptable => "NOT_ACCEPTABLE",
            P1Code::UnsupportedMediaType => "UNSUPPORTED_MEDIA_TYPE",
            P1Code::RequestLimited => "REQUEST_LIMITED",
            P1Code::ServiceUnavailable => "SERVICE_UNAVAILABLE",
        }
    }

    fn default_status(self) -> u16 {
        match self {
            P1Code::InvalidData | P1Code::InvalidRequest => 400,
            P1Code::AccessFailed => 401,
            P1Code::NotFound => 404,
            P1Code::MethodNotAllowed => 405,
            P1Code::RequestTooLarge => 413,
            P1Code::NotAcceptable => 406,
            P1Code::UnsupportedMediaType => 415,
            P1Code::RequestLimited => 429,
            P1Code::ServiceUnavailable => 503,
        }
    }

    fn default_message(self) -> &'static str {
        match self {
            P1Code::InvalidData => "The request could not be completed. One or more validation errors were in the request.",
            P1Code::InvalidRequest => "The request could not be completed. The request is not valid in the current state.",
            P1Code::AccessFailed => "The request could not be completed. Access was denied.",
            P1Code::NotFound => "The request could not be completed. The requested resource was not found.",
            P1Code::MethodNotAllowed => "The request could not be completed. The method is not allowed for this resource.",
            P1Code::RequestTooLarge => "The request could not be completed. The request body is too large.",
            P1Code::NotAcceptable => "The request could not be completed. The response cannot be given in a media type the Accept header allows.",
            P1Code::UnsupportedMediaType => "The request could not be completed. The Content-Type is not supported for this operation.",
            P1Code::RequestLimited => "The request could not be completed. You have exceeded your request limit; retry after the number of seconds in Retry-After.",
            P1Code::ServiceUnavailable => "The request could not be completed. The service is temporarily unavailable; retry later.",
        }
    }
}

/// Detail-level codes (`details[].code`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DetailCode {
    RequiredValue,
    InvalidValue,
    UniquenessViolation,
    ConstraintViolation,
    InvalidToken,
    InvalidCredentials,
    PasswordLockedOut,
    InvalidOtp,
    QuotaExceeded,
}

impl DetailCode {
    pub const ALL: [DetailCode; 9] = [
        DetailCode::RequiredValue,
        DetailCode::InvalidValue,
        DetailCode::UniquenessViolation,
        DetailCode::ConstraintViolation,
        DetailCode::InvalidToken,
        DetailCode::InvalidCredentials,
        DetailCode::PasswordLockedOut,
        DetailCode::InvalidOtp,
        DetailCode::QuotaExceeded,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            DetailCode::RequiredValue => "REQUIRED_VALUE",
            DetailCode::InvalidValue => "INVALID_VALUE",
            DetailCode::UniquenessViolation => "UNIQUENESS_VIOLATION",
            DetailCode::ConstraintViolation => "CONSTRAINT_VIOLATION",
            DetailCode::InvalidToken => "INVALID_TOKEN",
            DetailCode::InvalidCredentials => "INVALID_CREDENTIALS",
            DetailCode::PasswordLockedOut => "PASSWORD_LOCKED_OUT",
            DetailCode::InvalidOtp => "INVALID_OTP",
            DetailCode::QuotaExceeded => "QUOTA_EXCEEDED",
        }
    }
}

/// `error.code` of a `FAILED` flow (`{status: "FAILED", error: {code, message}}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlowErrorCode {
    /// The flow's user or selected device was deleted while the flow ran.
    NotFound,
    /// Too many wrong one-time passcodes.
    QuotaExceeded,
    /// MFA is required but the user has no active device the policy allows (`noDevicesMode` BLOCK).
    NoUsableDevices,
    /// The sign-on policy has no LOGIN action (the sandbox emulates LOGIN + MFA policies only).
    UnsupportedPolicy,
}

impl FlowErrorCode {
    pub const ALL: [FlowErrorCode; 4] =
        [FlowErrorCode::NotFound, FlowErrorCode::QuotaExceeded, FlowErrorCode::NoUsableDevices, FlowErrorCode::UnsupportedPolicy];

    pub const fn as_str(self) -> &'static str {
        match self {
            FlowErrorCode::NotFound => "NOT_FOUND",
            FlowErrorCode::QuotaExceeded => "QUOTA_EXCEEDED",
            FlowErrorCode::NoUsableDevices => "NO_USABLE_DEVICES",
            FlowErrorCode::UnsupportedPolicy => "UNSUPPORTED_POLICY",
        }
    }
}

/// Every PingOne-style code the sandbox can emit, sorted: top-level `code`s ([`P1Code`]),
/// `details[].code`s ([`DetailCode`]) and a `FAILED` flow's `error.code` ([`FlowErrorCode`]).
/// `REQUEST_LIMITED` and `SERVICE_UNAVAILABLE` come only from fault injection,
/// `REQUEST_TOO_LARGE` only from the HTTP server.
pub const EMITTED_ERROR_CODES: &[&str] = &[
    "ACCESS_FAILED",
    "CONSTRAINT_VIOLATION",
    "INVALID_CREDENTIALS",
    "INVALID_DATA",
    "INVALID_OTP",
    "INVALID_REQUEST",
    "INVALID_TOKEN",
    "INVALID_VALUE",
    "METHOD_NOT_ALLOWED",
    "NOT_ACCEPTABLE",
    "NOT_FOUND",
    "NO_USABLE_DEVICES",
    "PASSWORD_LOCKED_OUT",
    "QUOTA_EXCEEDED",
    "REQUEST_LIMITED",
    "REQUEST_TOO_LARGE",
    "REQUIRED_VALUE",
    "SERVICE_UNAVAILABLE",
    "UNIQUENESS_VIOLATION",
    "UNSUPPORTED_MEDIA_TYPE",
    "UNSUPPORTED_POLICY",
];

/// Every OAuth `error` value the sandbox can emit ([`OAuthCode`]), sorted: in `/as/token` JSON
/// bodies and on authorize / resume redirects (query, fragment or form_post).
pub const EMITTED_OAUTH_ERRORS: &[&str] = &[
    "access_denied",
    "invalid_client",
    "invalid_grant",
    "invalid_request",
    "invalid_scope",
    "login_required",
    "unauthorized_client",
    "unsupported_grant_type",
    "unsupported_response_type",
];

/// One entry of `details[]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Detail {
    pub code: DetailCode,
    pub target: Option<String>,
    pub message: String,
    /// `innerError`: `allowedValues`, `allowedPattern`, `rangeMinimumValue`, `secondsUntilUnlock`, ...
    pub inner_error: Option<Map<String, Value>>,
}

impl Detail {
    pub fn new(code: DetailCode, target: impl Into<String>, message: impl Into<String>) -> Detail {
        Detail { code, target: Some(target.into()), message: message.into(), inner_error: None }
    }

    pub fn required(target: &str) -> Detail {
        Detail::new(DetailCode::RequiredValue, target, format!("{target} is required."))
    }

    pub fn invalid(target: &str, message: impl Into<String>) -> Detail {
        Detail::new(DetailCode::InvalidValue, target, message)
    }

    pub fn not_unique(target: &str, what: &str) -> Detail {
        Detail::new(DetailCode::UniquenessViolation, target, format!("{target} must be unique: {what} already exists in this environment."))
    }

    /// Adds one `innerError` property.
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Detail {
        self.inner_error.get_or_insert_with(Map::new).insert(key.to_string(), value.into());
        self
    }

    fn to_json(&self) -> Value {
        let mut d = Map::new();
        d.insert("code".into(), json!(self.code.as_str()));
        if let Some(t) = &self.target {
            d.insert("target".into(), json!(t));
        }
        d.insert("message".into(), json!(self.message));
        if let Some(inner) = &self.inner_error {
            d.insert("innerError".into(), Value::Object(inner.clone()));
        }
        Value::Object(d)
    }
}

/// A PingOne error body (`P1Error`).
#[derive(Debug, Clone, PartialEq)]
pub struct P1Error {
    pub status: u16,
    pub code: P1Code,
    pub message: String,
    pub details: Vec<Detail>,
    /// Extra response headers (`Allow`, `WWW-Authenticate`).
    pub headers: Vec<(String, String)>,
}

impl P1Error {
    pub fn new(code: P1Code) -> P1Error {
        P1Error {
            status: code.default_status(),
            code,
            message: code.default_message().to_string(),
            details: Vec::new(),
            headers: Vec::new(),
        }
    }

    pub fn message(mut self, message: impl Into<String>) -> P1Error {
        self.message = message.into();
        self
    }

    pub fn status(mut self, status: u16) -> P1Error {
        self.status = status;
        self
    }

    pub fn detail(mut self, detail: Detail) -> P1Error {
        self.details.push(detail);
        self
    }

    pub fn header(mut self, name: &str, value: impl Into<String>) -> P1Error {
        self.headers.push((name.to_string(), value.into()));
        self
    }

    /// 400 `INVALID_DATA` carrying validation details.
    pub fn invalid_data(details: Vec<Detail>) -> P1Error {
        P1Error { details, ..P1Error::new(P1Code::InvalidData) }
    }

    /// 400 `INVALID_DATA` with one detail.
    pub fn invalid_one(detail: Detail) -> P1Error {
        P1Error::invalid_data(vec![detail])
    }

    pub fn not_found(what: &str) -> P1Error {
        P1Error::new(P1Code::NotFound).message(format!("The request could not be completed. Unable to find {what}."))
    }

    /// 401 for a missing, unknown or expired bearer token (docs/pingone.md, "Errors").
    pub fn invalid_token() -> P1Error {
        P1Error::new(P1Code::AccessFailed)
            .message("The request could not be completed. You do not have access to this resource.")
            .detail(Detail::new(DetailCode::InvalidToken, "Authentication Credentials", "The access token is missing, invalid or expired."))
    }

    pub fn invalid_request(message: impl Into<String>) -> P1Error {
        P1Error::new(P1Code::InvalidRequest).message(message)
    }

    /// 406: the `Accept` header allows none of the media types this call answers with.
    pub fn not_acceptable(accept: &str, answers: &str) -> P1Error {
        P1Error::new(P1Code::NotAcceptable)
            .message(format!("The request could not be completed. `Accept: {accept}` does not allow `{answers}`; send `Accept: */*`."))
    }

    pub fn unsupported_media_type(got: Option<&str>, expected: &[&str]) -> P1Error {
        P1Error::new(P1Code::UnsupportedMediaType).message(format!(
            "The request could not be completed. Content-Type `{}` is not supported here; expected {}.",
            got.unwrap_or(""),
            expected.iter().map(|e| format!("`{e}`")).collect::<Vec<_>>().join(" or ")
        ))
    }

    pub fn method_not_allowed(allowed: &[&str]) -> P1Error {
        P1Error::new(P1Code::MethodNotAllowed).header("Allow", allowed.join(", "))
    }

    /// 429 `REQUEST_LIMITED` with `Retry-After: <seconds>` (fault injection).
    pub fn request_limited(retry_after_secs: u32) -> P1Error {
        P1Error::new(P1Code::RequestLimited).header("Retry-After", retry_after_secs.to_string())
    }

    /// 503 `SERVICE_UNAVAILABLE` (fault injection).
    pub fn service_unavailable() -> P1Error {
        P1Error::new(P1Code::ServiceUnavailable)
    }

    pub fn to_response(&self, correlation_id: &str) -> HttpResponse {
        let mut body = Map::new();
        body.insert("id".into(), json!(correlation_id));
        body.insert("code".into(), json!(self.code.as_str()));
        body.insert("message".into(), json!(self.message));
        if !self.details.is_empty() {
            body.insert("details".into(), Value::Array(self.details.iter().map(Detail::to_json).collect()));
        }
        let mut resp = json_response(self.status, &Value::Object(body));
        for (n, v) in &self.headers {
            resp.headers.push(n.clone(), v.clone());
        }
        resp
    }
}

/// OAuth 2.0 error codes (RFC 6749 §4.1.2.1, §5.2; OIDC Core §3.1.2.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OAuthCode {
    InvalidRequest,
    InvalidClient,
    InvalidGrant,
    UnauthorizedClient,
    UnsupportedGrantType,
    UnsupportedResponseType,
    InvalidScope,
    AccessDenied,
    LoginRequired,
}

impl OAuthCode {
    pub const ALL: [OAuthCode; 9] = [
        OAuthCode::InvalidRequest,
        OAuthCode::InvalidClient,
        OAuthCode::InvalidGrant,
        OAuthCode::UnauthorizedClient,
        OAuthCode::UnsupportedGrantType,
        OAuthCode::UnsupportedResponseType,
        OAuthCode::InvalidScope,
        OAuthCode::AccessDenied,
        OAuthCode::LoginRequired,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            OAuthCode::InvalidRequest => "invalid_request",
            OAuthCode::InvalidClient => "invalid_client",
            OAuthCode::InvalidGrant => "invalid_grant",
            OAuthCode::UnauthorizedClient => "unauthorized_client",
            OAuthCode::UnsupportedGrantType => "unsupported_grant_type",
            OAuthCode::UnsupportedResponseType => "unsupported_response_type",
            OAuthCode::InvalidScope => "invalid_scope",
            OAuthCode::AccessDenied => "access_denied",
            OAuthCode::LoginRequired => "login_required",
        }
    }
}

/// An OAuth error answered by `/as/token` (JSON) or sent on an authorize redirect.
#[derive(Debug, Clone, PartialEq)]
pub struct OAuthError {
    pub code: OAuthCode,
    pub description: String,
    /// `WWW-Authenticate` for failed HTTP Basic client authentication (RFC 6749 §5.2).
    pub www_authenticate: bool,
}

impl OAuthError {
    pub fn new(code: OAuthCode, description: impl Into<String>) -> OAuthError {
        OAuthError { code, description: description.into(), www_authenticate: false }
    }

    pub fn status(&self) -> u16 {
        match self.code {
            OAuthCode::InvalidClient => 401,
            _ => 400,
        }
    }

    /// `error_description` with PingOne's correlation suffix.
    pub fn description_with_id(&self, correlation_id: &str) -> String {
        format!("{} (Correlation ID: {correlation_id})", self.description)
    }

    pub fn to_response(&self, correlation_id: &str) -> HttpResponse {
        let body = json!({ "error": self.code.as_str(), "error_description": self.description_with_id(correlation_id) });
        let mut resp = json_response(self.status(), &body);
        resp.headers.push("Cache-Control", "no-store");
        resp.headers.push("Pragma", "no-cache");
        if self.www_authenticate {
            resp.headers.push("WWW-Authenticate", "Basic realm=\"PingOne\"");
        }
        resp
    }
}

/// Any error a handler can return.
#[derive(Debug, Clone, PartialEq)]
pub enum SandboxError {
    P1(P1Error),
    OAuth(OAuthError),
}

impl SandboxError {
    pub fn to_response(&self, correlation_id: &str) -> HttpResponse {
        match self {
            SandboxError::P1(e) => e.to_response(correlation_id),
            SandboxError::OAuth(e) => e.to_response(correlation_id),
        }
    }
}

impl From<P1Error> for SandboxError {
    fn from(e: P1Error) -> Self {
        SandboxError::P1(e)
    }
}

impl From<OAuthError> for SandboxError {
    fn from(e: OAuthError) -> Self {
        SandboxError::OAuth(e)
    }
}

pub type Result<T, E = SandboxError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn p1_error_shape() {
        let e = P1Error::invalid_one(Detail::required("name").with("maximumValue", 3));
        let r = e.to_response("abc");
        assert_eq!(r.status, 400);
        let v: Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(v["id"], "abc");
        assert_eq!(v["code"], "INVALID_DATA");
        assert_eq!(v["details"][0]["code"], "REQUIRED_VALUE");
        assert_eq!(v["details"][0]["target"], "name");
        assert_eq!(v["details"][0]["innerError"]["maximumValue"], 3);
    }

    /// Adding a variant breaks these matches: then add it to `ALL` and to the `EMITTED_*` list.
    fn variant_index_p1(c: P1Code) -> usize {
        match c {
            P1Code::InvalidData => 0,
            P1Code::InvalidRequest => 1,
            P1Code::AccessFailed => 2,
            P1Code::NotFound => 3,
            P1Code::MethodNotAllowed => 4,
            P1Code::RequestTooLarge => 5,
            P1Code::NotAcceptable => 6,
            P1Code::UnsupportedMediaType => 7,
            P1Code::RequestLimited => 8,
            P1Code::ServiceUnavailable => 9,
        }
    }

    fn variant_index_detail(c: DetailCode) -> usize {
        match c {
            DetailCode::RequiredValue => 0,
            DetailCode::InvalidValue => 1,
            DetailCode::UniquenessViolation => 2,
            DetailCode::ConstraintViolation => 3,
            DetailCode::InvalidToken => 4,
            DetailCode::InvalidCredentials => 5,
            DetailCode::PasswordLockedOut => 6,
            DetailCode::InvalidOtp => 7,
            DetailCode::QuotaExceeded => 8,
        }
    }

    fn variant_index_flow(c: FlowErrorCode) -> usize {
        match c {
            FlowErrorCode::NotFound => 0,
            FlowErrorCode::QuotaExceeded => 1,
            FlowErrorCode::NoUsableDevices => 2,
            FlowErrorCode::UnsupportedPolicy => 3,
        }
    }

    fn variant_index_oauth(c: OAuthCode) -> usize {
        match c {
            OAuthCode::InvalidRequest => 0,
            OAuthCode::InvalidClient => 1,
            OAuthCode::InvalidGrant => 2,
            OAuthCode::UnauthorizedClient => 3,
            OAuthCode::UnsupportedGrantType => 4,
            OAuthCode::UnsupportedResponseType => 5,
            OAuthCode::InvalidScope => 6,
            OAuthCode::AccessDenied => 7,
            OAuthCode::LoginRequired => 8,
        }
    }

    #[test]
    fn all_lists_every_variant_once() {
        for (i, c) in P1Code::ALL.iter().enumerate() {
            assert_eq!(variant_index_p1(*c), i);
        }
        for (i, c) in DetailCode::ALL.iter().enumerate() {
            assert_eq!(variant_index_detail(*c), i);
        }
        for (i, c) in FlowErrorCode::ALL.iter().enumerate() {
            assert_eq!(variant_index_flow(*c), i);
        }
        for (i, c) in OAuthCode::ALL.iter().enumerate() {
            assert_eq!(variant_index_oauth(*c), i);
        }
    }

    #[test]
    fn emitted_lists_are_exactly_the_typed_codes() {
        let mut codes: Vec<&str> = P1Code::ALL
            .iter()
            .map(|c| c.as_str())
            .chain(DetailCode::ALL.iter().map(|c| c.as_str()))
            .chain(FlowErrorCode::ALL.iter().map(|c| c.as_str()))
            .collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(EMITTED_ERROR_CODES, codes.as_slice());
        let mut oauth: Vec<&str> = OAuthCode::ALL.iter().map(|c| c.as_str()).collect();
        oauth.sort_unstable();
        assert_eq!(EMITTED_OAUTH_ERRORS, oauth.as_slice());
    }

    #[test]
    fn fault_errors_shape() {
        let r = P1Error::request_limited(1).to_response("c");
        assert_eq!(r.status, 429);
        assert_eq!(r.headers.get("retry-after"), Some("1"));
        let v: Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(v["code"], "REQUEST_LIMITED");
        let r = P1Error::service_unavailable().to_response("c");
        assert_eq!(r.status, 503);
        assert_eq!(serde_json::from_str::<Value>(&r.body).unwrap()["code"], "SERVICE_UNAVAILABLE");
    }

    #[test]
    fn oauth_error_shape() {
        let mut e = OAuthError::new(OAuthCode::InvalidClient, "Request denied: client authentication failed");
        e.www_authenticate = true;
        let r = e.to_response("x-1");
        assert_eq!(r.status, 401);
        let v: Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(v["error"], "invalid_client");
        assert!(v["error_description"].as_str().unwrap().ends_with("(Correlation ID: x-1)"));
        assert!(r.headers.get("www-authenticate").is_some());
    }
}

//! PingOne's error bodies and the typed errors a step can end with.

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// PingOne's error body (`P1Error`), used by the management API and the flow API (docs/pingone.md, "Errors").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct P1Error {
    #[serde(default)]
    pub id: Option<String>,
    pub code: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<ErrorDetail>,
}

/// One entry of `details[]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorDetail {
    #[serde(default)]
    pub code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    #[serde(default)]
    pub message: String,
    /// Free-form extra data (`allowedPattern`, `rangeMaximumValue`, `secondsUntilUnlock`, ...).
    #[serde(default, rename = "innerError", skip_serializing_if = "Option::is_none")]
    pub inner_error: Option<serde_json::Map<String, serde_json::Value>>,
}

/// The OAuth 2.0 error body of `/as/token` (and authorize errors on a redirect).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OAuthError {
    pub error: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_description: Option<String>,
}

/// Why a call did not give the workflow what it needed.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum ApiError {
    /// PingOne answered with its error body.
    #[error("PingOne error {status} {}: {}", .error.code, .error.message)]
    PingOne { status: u16, error: P1Error },
    /// An OAuth endpoint answered with `{error, error_description}`.
    #[error("OAuth error {status} {}{}", .error.error, .error.error_description.as_deref().map(|d| format!(": {d}")).unwrap_or_default())]
    OAuth { status: u16, error: OAuthError },
    /// A status the step did not expect, with a body that is neither error shape.
    #[error("unexpected HTTP status {status}")]
    UnexpectedStatus { status: u16, body_excerpt: String },
    /// The status was fine but the body did not have the documented shape.
    #[error("malformed response ({status}): {reason}")]
    Malformed { status: u16, reason: String },
    /// The request never got an answer (network, CORS, proxy down, timeout).
    #[error("no response: {0}")]
    Transport(String),
}

impl ApiError {
    /// Classifies a non-success response by its body.
    pub fn from_response(status: u16, body: &str) -> ApiError {
        if let Ok(error) = serde_json::from_str::<P1Error>(body) {
            return ApiError::PingOne { status, error };
        }
        if let Ok(error) = serde_json::from_str::<OAuthError>(body) {
            return ApiError::OAuth { status, error };
        }
        ApiError::UnexpectedStatus { status, body_excerpt: excerpt(body) }
    }

    pub fn status(&self) -> Option<u16> {
        match self {
            ApiError::PingOne { status, .. }
            | ApiError::OAuth { status, .. }
            | ApiError::UnexpectedStatus { status, .. }
            | ApiError::Malformed { status, .. } => Some(*status),
            ApiError::Transport(_) => None,
        }
    }

    /// PingOne's top-level `code` or the OAuth `error`, when there is one.
    pub fn code(&self) -> Option<&str> {
        match self {
            ApiError::PingOne { error, .. } => Some(&error.code),
            ApiError::OAuth { error, .. } => Some(&error.error),
            _ => None,
        }
    }

    /// The most specific detail code (e.g. `UNIQUENESS_VIOLATION`), else the top-level code.
    pub fn detail_code(&self) -> Option<&str> {
        match self {
            ApiError::PingOne { error, .. } => error
                .details
                .first()
                .map(|d| d.code.as_str())
                .filter(|c| !c.is_empty())
                .or(Some(error.code.as_str())),
            _ => self.code(),
        }
    }

    /// A plain-language hint: what probably happened and what to change.
    pub fn hint(&self) -> &'static str {
        hint_for(self.status(), self.detail_code(), self.code())
    }
}

/// First 300 characters of a body, on a char boundary.
pub fn excerpt(body: &str) -> String {
    match body.char_indices().nth(300) {
        Some((i, _)) => format!("{}…", &body[..i]),
        None => body.to_string(),
    }
}

/// PingOne `code`s (top level and `details[].code`) and OAuth `error`s the workflow can meet,
/// each with its hint. [`hint_for_code`] reads it; tests check every code the sandbox emits is here.
pub const HINTS: &[(&str, &str)] = &[
    // PingOne top-level codes.
    ("INVALID_DATA", "PingOne rejected the request body. `details` names each field and why; fix those inputs and run the step again."),
    ("INVALID_REQUEST", "This request is not allowed in the current state (for a sign-on flow: an action its `_links` do not offer). Read the flow (step 15) to see which actions it allows now."),
    ("ACCESS_FAILED", "PingOne refused access: the token or the flow's cookies are missing, invalid or expired, or (403) this origin is not allowed. Get a new worker token (step 0), or start a new sign-on (step 14); check the application's CORS origins."),
    ("NOT_FOUND", "PingOne does not know this id (or the flow expired after 15 minutes of inactivity). Re-run the step that created it, or start a new sign-on."),
    ("METHOD_NOT_ALLOWED", "This endpoint does not take that HTTP method (the `Allow` header lists the ones it does). The request is wrong: report it as a bug."),
    ("REQUEST_TOO_LARGE", "The request body is larger than PingOne (or the proxy) accepts. Shorten the values you entered."),
    ("NOT_ACCEPTABLE", "PingOne cannot answer in a media type the request's Accept header allows (authorize refuses a strict `Accept: application/json`). Send `Accept: */*`."),
    ("UNSUPPORTED_MEDIA_TYPE", "Wrong Content-Type: this PingOne call selects its action by a vendor media type (e.g. application/vnd.pingidentity.password.set+json)."),
    ("REQUEST_LIMITED", "Too many requests: PingOne is rate-limiting. Wait a moment (see Retry-After) and retry."),
    ("SERVICE_UNAVAILABLE", "PingOne is temporarily unavailable and did not act on the request. Wait a moment (see Retry-After) and retry."),
    ("UNEXPECTED_ERROR", "PingOne failed while handling the request. Retry in a moment; if it persists, find the error `id` in PingOne's audit log."),
    ("REQUEST_FAILED", "PingOne could not complete the request. Retry in a moment; if it persists, find the error `id` in PingOne's audit log."),
    ("INSUFFICIENT_PERMISSIONS", "The worker app lacks a role for this call. Give it Environment Admin and Identity Data Admin in the target environment."),
    ("ACCESS_DENIED", "The worker app lacks a role for this call. Give it Environment Admin and Identity Data Admin in the target environment."),
    // PingOne detail codes.
    ("UNIQUENESS_VIOLATION", "An object with this name already exists in the environment. Change the name (or keep the unique suffix) and run the step again; after a lost answer, look the object up and adopt it instead."),
    ("INVALID_TOKEN", "The token or session was refused (missing, invalid or expired). For a management call get a new worker token (step 0) and check the worker's client id and secret; for a sign-on call the flow's cookies did not arrive: start a new sign-on (step 14)."),
    ("REQUIRED_VALUE", "A required field is missing. Fill in the field named in `target` and send again."),
    ("INVALID_VALUE", "A field has a value PingOne does not accept; `target` names it, and `message` and `innerError` (allowedValues, allowedPattern) say what is allowed."),
    ("CONSTRAINT_VIOLATION", "The change conflicts with the object's state or with what depends on it (a population that still has users, a default policy). Remove the dependants first, then retry."),
    ("INVALID_CREDENTIALS", "The username or password is wrong. Check the password you set in step 11; `remainingAttempts` tells how many tries are left before the account locks."),
    ("PASSWORD_LOCKED_OUT", "Too many wrong passwords: the account is locked for a while (see secondsUntilUnlock). Wait, or unlock the user."),
    ("INVALID_OTP", "The one-time passcode is wrong or expired. Read the newest code from the inbox and try again."),
    ("QUOTA_EXCEEDED", "Too many wrong passcodes: this sign-on (or the device pairing) is used up. Start a new sign-on (step 14), or pair the device again."),
    ("OTP_LOCKED", "Too many wrong passcodes: the device is locked. Start a new sign-on (step 14)."),
    ("DEVICE_LOCKED", "Too many wrong passcodes: the device is locked. Start a new sign-on (step 14)."),
    ("PASSWORD_REQUIREMENTS_NOT_MET", "The password does not meet the population's password policy. Choose a longer, more varied password."),
    ("PASSWORD_POLICY_VIOLATION", "The password does not meet the population's password policy. Choose a longer, more varied password."),
    // `error.code` of a FAILED sign-on flow.
    ("NO_USABLE_DEVICES", "MFA is required but the user has no active device the policy allows. Create an MFA device (step 13) of a type the MFA action enables, then start a new sign-on."),
    ("UNSUPPORTED_POLICY", "The application's sign-on policy cannot run this sign-on (it has no LOGIN action). Add the LOGIN action (step 6) and assign the policy (step 8), then start a new sign-on."),
    // OAuth 2.0 / OpenID Connect errors.
    ("invalid_client", "Client authentication failed: wrong client id or secret, or the wrong token endpoint auth method."),
    ("invalid_grant", "The code is unknown, used or expired, or the redirect URI or PKCE verifier differ from the authorize request. Sign on again from step 14."),
    ("invalid_request", "An OAuth parameter is missing, repeated or malformed (response_type, client_id, redirect_uri, scope, PKCE); `error_description` names it."),
    ("unauthorized_client", "The application may not use this grant type. Check its grantTypes (step 1)."),
    ("unsupported_grant_type", "PingOne does not support this grant_type for this application."),
    ("unsupported_response_type", "The application does not allow this response_type. The workflow uses the code flow: the application needs responseTypes CODE with the AUTHORIZATION_CODE grant (step 1)."),
    ("invalid_scope", "A requested scope is not granted to the application. Check step 4."),
    ("access_denied", "The user or the sign-on policy refused the request. Check the policy assignment (step 8) and that the user may sign on."),
    ("login_required", "prompt=none was sent but there is no session to reuse. Authorize without prompt=none so the user signs on."),
    ("interaction_required", "The user must sign on or consent, but prompt=none forbade it. Authorize without prompt=none."),
    ("consent_required", "The user must consent, but prompt=none forbade it. Authorize without prompt=none."),
    ("server_error", "The authorization server failed. Retry in a moment."),
    ("temporarily_unavailable", "The authorization server is overloaded or down for maintenance. Retry in a moment."),
    ("invalid_token", "The access token is invalid or expired. Get a new token."),
    // pingone-proxy's own codes in worker mode (docs/live.md).
    ("WORKER_TOKEN_UNAVAILABLE", "pingone-proxy could not get a worker token with the credentials it holds: check the PINGONE_* values it was started with, the region, and that the worker app is enabled and uses Client Secret Basic."),
    ("PRODUCTION_ENVIRONMENT", "pingone-proxy read the environment's type and refuses to provision into a PRODUCTION environment (or one whose type the worker may not read). Use a dedicated non-production environment, or restart the proxy with --allow-production if you mean it."),
];

/// The hint for one PingOne or OAuth code, if the table knows it.
pub fn hint_for_code(code: &str) -> Option<&'static str> {
    HINTS.iter().find(|(c, _)| *c == code).map(|(_, h)| *h)
}

/// Maps PingOne and OAuth error codes to what a person should do about them: the detail code
/// first, then the top-level code, then the HTTP status.
pub fn hint_for(status: Option<u16>, detail_code: Option<&str>, code: Option<&str>) -> &'static str {
    if let Some(hint) = [detail_code, code].into_iter().flatten().find_map(hint_for_code) {
        return hint;
    }
    match status {
        Some(401) => "Not authenticated: the token is missing or expired. Run Connect (step 0) again.",
        Some(403) => "Forbidden: the worker app lacks a role for this call.",
        Some(404) => "Not found: the id is unknown or the flow expired.",
        Some(415) => "Wrong Content-Type for this call.",
        Some(429) => "Rate limited: wait and retry.",
        Some(s) if s >= 500 => "PingOne had a problem. Retry in a moment.",
        None => "No response: check the network, that the proxy is running, and that this origin is allowed.",
        _ => GENERIC_HINT,
    }
}

/// The hint when neither the code nor the status says more.
pub const GENERIC_HINT: &str = "See PingOne's message and details.";

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;
    use super::*;

    #[test]
    fn classifies_p1_error() {
        let body = r#"{"id":"x","code":"INVALID_DATA","message":"bad","details":[{"code":"UNIQUENESS_VIOLATION","target":"username","message":"taken"}]}"#;
        let e = ApiError::from_response(400, body);
        assert_eq!(e.code(), Some("INVALID_DATA"));
        assert_eq!(e.detail_code(), Some("UNIQUENESS_VIOLATION"));
        assert!(e.hint().contains("already exists"));
        assert_eq!(e.to_string(), "PingOne error 400 INVALID_DATA: bad");
    }

    #[test]
    fn classifies_oauth_error_and_garbage() {
        let e = ApiError::from_response(400, r#"{"error":"invalid_grant","error_description":"used"}"#);
        assert_eq!(e.code(), Some("invalid_grant"));
        assert_eq!(e.to_string(), "OAuth error 400 invalid_grant: used");
        let e = ApiError::from_response(502, "<html>bad gateway</html>");
        assert!(matches!(e, ApiError::UnexpectedStatus { status: 502, .. }));
        assert!(e.hint().contains("Retry"));
    }

    #[test]
    fn every_code_the_sandbox_emits_has_a_specific_hint() {
        // Read from crates/sandbox/src/errors.rs (P1Code, DetailCode, OAuthCode); the native test
        // tests/error_hints.rs checks the sandbox's own list once it exports one.
        let emitted = [
            "INVALID_DATA", "INVALID_REQUEST", "ACCESS_FAILED", "NOT_FOUND", "METHOD_NOT_ALLOWED", "REQUEST_TOO_LARGE",
            "UNSUPPORTED_MEDIA_TYPE", "REQUIRED_VALUE", "INVALID_VALUE", "UNIQUENESS_VIOLATION", "CONSTRAINT_VIOLATION",
            "INVALID_TOKEN", "INVALID_CREDENTIALS", "PASSWORD_LOCKED_OUT", "INVALID_OTP", "QUOTA_EXCEEDED", "invalid_request",
            "invalid_client", "invalid_grant", "unauthorized_client", "unsupported_grant_type", "unsupported_response_type",
            "invalid_scope", "access_denied", "login_required", "REQUEST_LIMITED", "SERVICE_UNAVAILABLE", "NO_USABLE_DEVICES",
            "UNSUPPORTED_POLICY", "NOT_ACCEPTABLE",
        ];
        for code in emitted {
            let hint = hint_for_code(code).unwrap_or_else(|| panic!("no hint for {code}"));
            assert_eq!(hint_for(Some(400), Some(code), None), hint);
            assert_ne!(hint, GENERIC_HINT);
        }
        let mut codes: Vec<&str> = HINTS.iter().map(|(c, _)| *c).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), HINTS.len(), "each code once");
        assert_eq!(hint_for(Some(418), Some("SOMETHING_NEW"), None), GENERIC_HINT);
        assert!(hint_for(Some(401), None, Some("ACCESS_FAILED")).contains("worker token"));
    }

    #[test]
    fn inner_error_is_kept() {
        let body = r#"{"code":"INVALID_DATA","message":"m","details":[{"code":"PASSWORD_LOCKED_OUT","message":"locked","innerError":{"secondsUntilUnlock":900}}]}"#;
        let ApiError::PingOne { error, .. } = ApiError::from_response(400, body) else { panic!() };
        assert_eq!(error.details[0].inner_error.as_ref().unwrap()["secondsUntilUnlock"], 900);
    }
}

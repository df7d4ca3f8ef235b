//! PingOne's error bodies and the typed errors a step can end with.

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// PingOne's error body (`P1Error`), used by the management API and the flow API (contract §2.2).
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

/// Maps PingOne and OAuth error codes to what a person should do about them.
pub fn hint_for(status: Option<u16>, detail_code: Option<&str>, code: Option<&str>) -> &'static str {
    for c in [detail_code, code].into_iter().flatten() {
        let hint = match c {
            "UNIQUENESS_VIOLATION" => "An object with this name already exists in the environment. Change the name (or keep the unique suffix) and run the step again.",
            "INVALID_TOKEN" | "ACCESS_FAILED" => "The worker token is missing, invalid or expired. Run Connect (step 0) again; check the worker client id and secret.",
            "REQUIRED_VALUE" => "A required field is missing. Fill in the field named in `target`.",
            "INVALID_VALUE" => "A field has a value PingOne does not accept; `target` names it and `message` says why.",
            "INVALID_CREDENTIALS" => "The username or password is wrong. Check the password you set in step 11.",
            "PASSWORD_LOCKED_OUT" => "Too many wrong passwords: the account is locked for a while (see secondsUntilUnlock). Wait, or unlock the user.",
            "INVALID_OTP" => "The one-time passcode is wrong or expired. Read the newest code from the inbox and try again.",
            "OTP_LOCKED" | "DEVICE_LOCKED" | "QUOTA_EXCEEDED" => "Too many wrong passcodes: the device is locked. Start a new sign-on (step 14).",
            "PASSWORD_REQUIREMENTS_NOT_MET" | "PASSWORD_POLICY_VIOLATION" => "The password does not meet the population's password policy. Choose a longer, more varied password.",
            "CONSTRAINT_VIOLATION" => "The object exists but this change conflicts with its state. Read the details, then fix the input.",
            "NOT_FOUND" => "PingOne does not know this id (or the flow expired after 15 minutes of inactivity). Re-run the step that created it, or start a new sign-on.",
            "INVALID_DATA" => "PingOne rejected the request body. `details` names each field and why.",
            "INVALID_REQUEST" => "This action is not allowed now. Read the flow (step 15) to see which actions its `_links` allow.",
            "REQUEST_LIMITED" => "Too many requests: PingOne is rate-limiting. Wait a moment and retry.",
            "INSUFFICIENT_PERMISSIONS" | "ACCESS_DENIED" => "The worker app lacks a role for this call. Give it Environment Admin and Identity Data Admin in the target environment.",
            "UNSUPPORTED_MEDIA_TYPE" => "Wrong Content-Type: this PingOne call selects its action by a vendor media type.",
            "invalid_client" => "Client authentication failed: wrong client id or secret, or the wrong token endpoint auth method.",
            "invalid_grant" => "The code is unknown, used or expired, or the redirect URI or PKCE verifier differ from the authorize request. Sign on again from step 14.",
            "invalid_request" => "A required OAuth parameter is missing or malformed.",
            "unauthorized_client" => "The application may not use this grant type. Check its grantTypes (step 1).",
            "unsupported_grant_type" => "PingOne does not support this grant_type for this application.",
            "invalid_scope" => "A requested scope is not granted to the application. Check step 4.",
            "access_denied" => "The user or the policy refused the request.",
            _ => continue,
        };
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
        _ => "See PingOne's message and details.",
    }
}

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
    fn inner_error_is_kept() {
        let body = r#"{"code":"INVALID_DATA","message":"m","details":[{"code":"PASSWORD_LOCKED_OUT","message":"locked","innerError":{"secondsUntilUnlock":900}}]}"#;
        let ApiError::PingOne { error, .. } = ApiError::from_response(400, body) else { panic!() };
        assert_eq!(error.details[0].inner_error.as_ref().unwrap()["secondsUntilUnlock"], 900);
    }
}

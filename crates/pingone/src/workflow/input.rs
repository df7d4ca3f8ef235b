//! Inline validation of what a person types, with PingOne's own rules where it has them.

use super::state::WorkflowConfig;
use crate::models::DeviceType;
use crate::phone::is_phone_number;
use serde::{Deserialize, Serialize};

/// One problem with one input field; `field` is the config field's name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

fn err(field: &'static str, message: impl Into<String>) -> FieldError {
    FieldError { field, message: message.into() }
}

/// A PingOne id: a UUID in 8-4-4-4-12 hex form.
pub fn is_uuid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups.iter().zip([8, 4, 4, 4, 12]).all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// A plausible email address (PingOne applies RFC 2822 rules; this catches typos).
pub fn is_email(s: &str) -> bool {
    match s.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.starts_with('.')
                && domain.contains('.')
                && !domain.ends_with('.')
                && !s.chars().any(|c| c.is_whitespace())
                && !domain.contains('@')
        }
        None => false,
    }
}

/// Sign-on policy names: `^[a-zA-Z0-9_. -]+$` (or an absolute URI), per PingOne's schema.
pub fn is_policy_name(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b' ' | b'-'))
}

/// Checks every editable input; empty result means the run may start.
pub fn validate_config(c: &WorkflowConfig) -> Vec<FieldError> {
    let mut out = Vec::new();
    if !is_uuid(&c.environment_id) {
        out.push(err("environment_id", "an environment id is a UUID like 11111111-2222-3333-4444-555555555555"));
    }
    if c.worker_client_id.trim().is_empty() && !c.worker_token_from_proxy {
        out.push(err("worker_client_id", "enter the worker app's client id"));
    }
    for (field, value) in [("application_name", &c.application_name), ("population_name", &c.population_name)] {
        if value.trim().is_empty() {
            out.push(err(field, "a name is required"));
        } else if value.chars().count() > 256 {
            out.push(err(field, "at most 256 characters"));
        }
    }
    if !is_policy_name(&c.sign_on_policy_name) {
        out.push(err("sign_on_policy_name", "letters, digits, spaces and _ . - only"));
    }
    let ulen = c.username.chars().count();
    if ulen == 0 || ulen > 128 {
        out.push(err("username", "1 to 128 characters"));
    } else if c.username.chars().any(char::is_whitespace) {
        out.push(err("username", "no spaces"));
    }
    if !is_email(&c.email) {
        out.push(err("email", "enter an email address like jamie@example.com"));
    }
    match c.device_type {
        DeviceType::Email if !is_email(&c.device_email) => {
            out.push(err("device_email", "the OTP goes to this address: enter a valid email"))
        }
        DeviceType::Sms if !is_phone_number(&c.device_phone) => {
            out.push(err("device_phone", "a phone number with its country code, like +15125550100 or 1-512-555-0100"))
        }
        _ => {}
    }
    if !c.scopes.iter().any(|s| s == "openid") {
        out.push(err("scopes", "`openid` is required for an ID token"));
    }
    if c.scopes.iter().any(|s| s.is_empty() || s.contains(char::is_whitespace)) {
        out.push(err("scopes", "scope names have no spaces"));
    }
    match url::Url::parse(&c.redirect_uri) {
        Ok(u) if u.fragment().is_some() => out.push(err("redirect_uri", "a redirect URI has no #fragment")),
        Ok(u) if u.scheme() == "https" => {}
        Ok(u) if u.scheme() == "http" && matches!(u.host_str(), Some("localhost" | "127.0.0.1" | "[::1]")) => {}
        Ok(_) => out.push(err("redirect_uri", "use https (http only for localhost)")),
        Err(_) => out.push(err("redirect_uri", "an absolute URL like https://app.example.com/callback")),
    }
    out
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;
    use super::*;
    use crate::workflow::Endpoints;
    use crate::Region;

    #[test]
    fn field_rules() {
        assert!(is_uuid("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"));
        assert!(!is_uuid("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f"));
        assert!(!is_uuid("not-a-uuid"));
        assert!(is_email("a@b.co"));
        assert!(!is_email("a@b"));
        assert!(!is_email("a b@c.d"));
        assert!(is_phone_number("+1 512-555-0100"));
        assert!(!is_phone_number("+12"));
        assert!(is_policy_name("Login_MFA 1.0-x"));
        assert!(!is_policy_name("bad/name"));
    }

    #[test]
    fn defaults_are_valid_and_errors_name_fields() {
        let mut c = WorkflowConfig::new(
            Endpoints::for_region(Region::Na),
            "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
            "worker",
            "ab12",
        );
        assert_eq!(validate_config(&c), vec![]);
        c.redirect_uri = "http://evil.example/cb".into();
        c.scopes = vec!["profile".into()];
        c.device_type = DeviceType::Sms;
        c.device_phone = "555".into();
        let fields: Vec<_> = validate_config(&c).into_iter().map(|e| e.field).collect();
        assert_eq!(fields, vec!["device_phone", "scopes", "redirect_uri"]);
    }

    /// The forms PingOne's device docs accept are accepted before the run starts.
    #[test]
    fn documented_phone_forms_pass_the_input_check() {
        let mut c = WorkflowConfig::new(Endpoints::for_region(Region::Na), "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0", "worker", "ab12");
        c.device_type = DeviceType::Sms;
        for phone in ["15125551234", "1-512-555-1234", "+1 (512) 555-1234", "+1.512.555.1234"] {
            c.device_phone = phone.into();
            assert_eq!(validate_config(&c), vec![], "{phone}");
        }
    }
}

//! Redaction. Every request and response is redacted once, when it is recorded, so the
//! transcript, the inspector, the curl export and sessionStorage only ever see the redacted
//! form. A secret becomes a shell variable reference (`$WORKER_TOKEN`), which is what the curl
//! export needs; values with no variable (cookies) become `••••••`.
//!
//! Two layers: every secret value the run knows is replaced wherever it appears (raw,
//! JSON-escaped or form-encoded), and fields that carry secrets by name (`password`, `otp`,
//! `access_token`, `client_secret`, ...) are replaced even when their value is not known yet.
//! The raw text is edited in place, so the redacted body keeps PingOne's exact formatting.

use pingone::http::{HttpRequest, HttpResponse};
use pingone::oauth::basic_auth;
use pingone::workflow::{StepId, WorkflowState};

/// What a value with no shell variable is shown as.
pub const MASK: &str = "••••••";

/// The shell variables a redacted request can reference.
pub const VARS: &[&str] = &[
    "WORKER_SECRET",
    "WORKER_TOKEN",
    "APP_SECRET",
    "PASSWORD",
    "NEW_PASSWORD",
    "OTP",
    "CODE",
    "CODE_VERIFIER",
    "ACCESS_TOKEN",
    "ID_TOKEN",
    "REFRESH_TOKEN",
];

/// Values shorter than this are only masked by field name, never by value (an OTP's six
/// digits could occur inside an id).
const MIN_VALUE_LEN: usize = 8;

/// The secrets of a run at one moment, with the variable each one is shown as.
#[derive(Debug, Clone, Default)]
pub struct SecretValues {
    values: Vec<(&'static str, String)>,
    /// `(client id, secret variable, header value)` for the Basic auth headers this run sends.
    basic: Vec<(String, &'static str, String)>,
}

impl SecretValues {
    pub fn from_state(s: &WorkflowState) -> SecretValues {
        let mut sv = SecretValues::default();
        let sec = &s.secrets;
        sv.add("WORKER_SECRET", sec.worker_secret.expose());
        sv.add("PASSWORD", sec.password.expose());
        if let Some(t) = &sec.worker_token {
            sv.add("WORKER_TOKEN", t.expose());
        }
        if let Some(a) = &sec.app_secret {
            sv.add("APP_SECRET", a.expose());
        }
        if let Some(o) = &sec.otp {
            sv.add("OTP", o.expose());
        }
        if let Some(k) = &sec.totp_key_uri {
            sv.add("TOTP_KEY_URI", k.expose());
        }
        if let Some(c) = &sec.code {
            sv.add("CODE", c.expose());
        }
        if let Some(a) = &sec.authorize {
            sv.add("CODE_VERIFIER", a.code_verifier.expose());
        }
        if let Some(t) = &sec.tokens {
            sv.add("ACCESS_TOKEN", t.access_token.expose());
            if let Some(id) = &t.id_token {
                sv.add("ID_TOKEN", id.expose());
            }
            if let Some(r) = &t.refresh_token {
                sv.add("REFRESH_TOKEN", r.expose());
            }
        }
        if !sec.worker_secret.is_empty() {
            let id = &s.config.worker_client_id;
            sv.basic.push((id.clone(), "WORKER_SECRET", basic_auth(id, sec.worker_secret.expose())));
        }
        if let (Some(app), Some(secret)) = (&s.created.application_id, &sec.app_secret) {
            sv.basic.push((app.clone(), "APP_SECRET", basic_auth(app, secret.expose())));
        }
        sv
    }

    /// Adds a value (empty values are ignored).
    pub fn add(&mut self, var: &'static str, value: &str) {
        if !value.is_empty() && !self.values.iter().any(|(v, x)| *v == var && x == value) {
            self.values.push((var, value.to_string()));
        }
    }

    /// Everything from `other` too (the secrets before a call and after it).
    pub fn merge(&mut self, other: &SecretValues) {
        for (var, value) in &other.values {
            self.add(var, value);
        }
        for b in &other.basic {
            if !self.basic.contains(b) {
                self.basic.push(b.clone());
            }
        }
    }

    /// Every secret value held (for tests that assert none of them leaks).
    pub fn values(&self) -> impl Iterator<Item = (&'static str, &str)> {
        self.values.iter().map(|(var, v)| (*var, v.as_str()))
    }

    /// Replaces every known value long enough to be unambiguous, in its raw, JSON-escaped
    /// and form-encoded spellings.
    pub fn replace_known(&self, text: &str) -> String {
        let mut pairs: Vec<(String, &'static str)> = Vec::new();
        for (var, value) in &self.values {
            if value.chars().count() < MIN_VALUE_LEN {
                continue;
            }
            pairs.push((value.clone(), var));
            let json = json_escape(value);
            if json != *value {
                pairs.push((json, var));
            }
            let form = form_encode(value);
            if form != *value {
                pairs.push((form, var));
            }
        }
        // Longest first, so a value that contains another is replaced whole.
        pairs.sort_by_key(|p| std::cmp::Reverse(p.0.len()));
        let mut out = text.to_string();
        for (value, var) in pairs {
            if out.contains(&value) {
                out = out.replace(&value, &format!("${var}"));
            }
        }
        out
    }
}

/// The JSON string escape of a value, without the quotes.
fn json_escape(value: &str) -> String {
    let quoted = serde_json::to_string(value).unwrap_or_default();
    quoted.get(1..quoted.len().saturating_sub(1)).unwrap_or_default().to_string()
}

/// application/x-www-form-urlencoded (as the `url` crate's serializer writes it).
pub fn form_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for &b in value.as_bytes() {
        match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => out.push(b as char),
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Which variable a JSON field carries, by name (and by where it sits).
fn json_key_var(key: &str, parent: Option<&str>, step: StepId, content_type: &str) -> Option<&'static str> {
    Some(match key {
        "password" | "currentPassword" => "PASSWORD",
        "newPassword" => "NEW_PASSWORD",
        "otp" => "OTP",
        "secret" if step == StepId::CreateMfaDevice => "TOTP_SECRET",
        "keyUri" => "TOTP_KEY_URI",
        "secret" | "client_secret" => "APP_SECRET",
        "access_token" if step == StepId::WorkerToken => "WORKER_TOKEN",
        "access_token" => "ACCESS_TOKEN",
        "id_token" => "ID_TOKEN",
        "refresh_token" => "REFRESH_TOKEN",
        "code_verifier" => "CODE_VERIFIER",
        "code" if parent == Some("authorizeResponse") => "CODE",
        "value" if content_type.contains("password.set") => "PASSWORD",
        _ => return None,
    })
}

fn collect_json_secrets(
    v: &serde_json::Value,
    parent: Option<&str>,
    step: StepId,
    content_type: &str,
    out: &mut Vec<(String, &'static str)>,
) {
    match v {
        serde_json::Value::Object(map) => {
            for (k, child) in map {
                if let (Some(var), serde_json::Value::String(s)) = (json_key_var(k, parent, step, content_type), child)
                {
                    if !s.is_empty() && !s.starts_with('$') {
                        out.push((s.clone(), var));
                    }
                }
                collect_json_secrets(child, Some(k), step, content_type, out);
            }
        }
        serde_json::Value::Array(items) => {
            for item in items {
                collect_json_secrets(item, parent, step, content_type, out);
            }
        }
        _ => {}
    }
}

/// Which variable a form field carries.
fn form_key_var(key: &str) -> Option<&'static str> {
    Some(match key {
        "client_secret" => "APP_SECRET",
        "code" => "CODE",
        "code_verifier" => "CODE_VERIFIER",
        "password" => "PASSWORD",
        "refresh_token" => "REFRESH_TOKEN",
        "otp" => "OTP",
        _ => return None,
    })
}

/// Redacts a body by its content type.
fn redact_body(body: &str, content_type: &str, step: StepId, sv: &SecretValues) -> String {
    let trimmed = body.trim_start();
    if content_type.contains("x-www-form-urlencoded") {
        let fields: Vec<String> = body
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((k, v)) if !v.is_empty() && !v.starts_with('$') => match form_key_var(k) {
                    Some(var) => format!("{k}=${var}"),
                    None => pair.to_string(),
                },
                _ => pair.to_string(),
            })
            .collect();
        return sv.replace_known(&fields.join("&"));
    }
    let mut text = sv.replace_known(body);
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) {
            let mut found = Vec::new();
            collect_json_secrets(&v, None, step, content_type, &mut found);
            found.sort_by_key(|p| std::cmp::Reverse(p.0.len()));
            for (value, var) in found {
                let quoted = format!("\"{}\"", json_escape(&value));
                text = text.replace(&quoted, &format!("\"${var}\""));
            }
        }
    }
    text
}

fn redact_cookie_pairs(value: &str) -> String {
    value
        .split(';')
        .map(|p| match p.split_once('=') {
            Some((name, _)) => format!("{}={MASK}", name.trim()),
            None => p.trim().to_string(),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn redact_set_cookie(value: &str) -> String {
    match value.split_once(';') {
        Some((first, attrs)) => format!("{};{attrs}", redact_cookie_pairs(first)),
        None => redact_cookie_pairs(value),
    }
}

fn redact_authorization(value: &str, sv: &SecretValues) -> String {
    if let Some(token) = value.strip_prefix("Bearer ") {
        if token.starts_with('$') {
            return value.to_string();
        }
        let var = sv.values.iter().find(|(_, v)| v == token).map(|(var, _)| *var);
        return match var {
            Some(var) => format!("Bearer ${var}"),
            None => format!("Bearer {MASK}"),
        };
    }
    if value.starts_with("Basic ") {
        return match sv.basic.iter().find(|(_, _, header)| header == value) {
            Some((id, var, _)) => format!("Basic base64({id}:${var})"),
            None => format!("Basic {MASK}"),
        };
    }
    MASK.to_string()
}

fn content_type(headers: &pingone::http::Headers) -> String {
    headers.get("content-type").unwrap_or("").to_ascii_lowercase()
}

/// The request as the inspector, the transcript and curl may show it.
pub fn redact_request(req: &HttpRequest, step: StepId, sv: &SecretValues) -> HttpRequest {
    let ct = content_type(&req.headers);
    let mut out = HttpRequest::new(req.method, sv.replace_known(&req.url));
    for (name, value) in req.headers.iter() {
        let v = match name.to_ascii_lowercase().as_str() {
            "authorization" => redact_authorization(value, sv),
            "cookie" => redact_cookie_pairs(value),
            _ => sv.replace_known(value),
        };
        out.headers.push(name, v);
    }
    out.body = req.body.as_deref().map(|b| redact_body(b, &ct, step, sv));
    out
}

/// The response as the inspector, the transcript and sessionStorage may keep it.
pub fn redact_response(resp: &HttpResponse, step: StepId, sv: &SecretValues) -> HttpResponse {
    let ct = content_type(&resp.headers);
    let mut out = HttpResponse::new(resp.status);
    for (name, value) in resp.headers.iter() {
        let v = match name.to_ascii_lowercase().as_str() {
            "set-cookie" => redact_set_cookie(value),
            "authorization" => redact_authorization(value, sv),
            _ => sv.replace_known(value),
        };
        out.headers.push(name, v);
    }
    out.body = redact_body(&resp.body, &ct, step, sv);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use pingone::http::Method;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn sv() -> SecretValues {
        let mut sv = SecretValues::default();
        sv.add("WORKER_TOKEN", "eyJhbGciOi.worker.token");
        sv.add("PASSWORD", "Wb!pass word\"1");
        sv.basic.push(("wid".into(), "WORKER_SECRET", basic_auth("wid", "s3cr3t-value")));
        sv
    }

    #[test]
    fn headers_bodies_and_forms() {
        let req = HttpRequest::new(Method::Put, "https://api.pingone.com/v1/environments/e/users/u/password")
            .header("Authorization", "Bearer eyJhbGciOi.worker.token")
            .json_body(
                "application/vnd.pingidentity.password.set+json",
                &serde_json::json!({"value": "Wb!pass word\"1", "forceChange": false}),
            );
        let r = redact_request(&req, StepId::SetPassword, &sv());
        assert_eq!(r.headers.get("authorization"), Some("Bearer $WORKER_TOKEN"));
        assert_eq!(r.body.as_deref(), Some(r#"{"forceChange":false,"value":"$PASSWORD"}"#));

        let req = HttpRequest::new(Method::Post, "https://auth.pingone.com/e/as/token")
            .header("Authorization", basic_auth("wid", "s3cr3t-value"))
            .form_body(&[("grant_type", "authorization_code"), ("code", "abc"), ("code_verifier", "v")]);
        let r = redact_request(&req, StepId::ExchangeCode, &sv());
        assert_eq!(r.headers.get("authorization"), Some("Basic base64(wid:$WORKER_SECRET)"));
        assert_eq!(r.body.as_deref(), Some("grant_type=authorization_code&code=$CODE&code_verifier=$CODE_VERIFIER"));
    }

    #[test]
    fn responses_and_cookies() {
        let mut resp = HttpResponse::new(200);
        resp.headers.push("Content-Type", "application/json");
        resp.headers.push("Set-Cookie", "ST=abc; Path=/e; HttpOnly");
        resp.body = r#"{"access_token": "new-token-value", "id_token":"x.y.z", "authorizeResponse": {"code": "c0de"}, "code": "INVALID_DATA"}"#.into();
        let r = redact_response(&resp, StepId::ExchangeCode, &sv());
        assert_eq!(r.headers.get("set-cookie"), Some("ST=••••••; Path=/e; HttpOnly"));
        assert_eq!(
            r.body,
            r#"{"access_token": "$ACCESS_TOKEN", "id_token":"$ID_TOKEN", "authorizeResponse": {"code": "$CODE"}, "code": "INVALID_DATA"}"#
        );
        assert_eq!(redact_cookie_pairs("a=1; b=2"), "a=••••••; b=••••••");
    }
}

//! Reading JSON request bodies field by field, collecting every problem as a `details[]` entry
//! with its `target` (PingOne reports all validation errors of a request at once).

use crate::errors::{Detail, P1Error};
use serde_json::{Map, Value};

pub struct Body<'a> {
    map: &'a Map<String, Value>,
    prefix: String,
    pub details: Vec<Detail>,
}

impl<'a> Body<'a> {
    pub fn new(map: &'a Map<String, Value>) -> Body<'a> {
        Body { map, prefix: String::new(), details: Vec::new() }
    }

    fn target(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }

    pub fn push(&mut self, detail: Detail) {
        self.details.push(detail);
    }

    pub fn has(&self, key: &str) -> bool {
        self.map.get(key).is_some_and(|v| !v.is_null())
    }

    fn present(&mut self, key: &str, required: bool) -> Option<&'a Value> {
        match self.map.get(key) {
            None | Some(Value::Null) => {
                if required {
                    let t = self.target(key);
                    self.details.push(Detail::required(&t));
                }
                None
            }
            Some(v) => Some(v),
        }
    }

    fn wrong_type(&mut self, key: &str, what: &str) {
        let t = self.target(key);
        self.details.push(Detail::invalid(&t, format!("{t} must be {what}.")));
    }

    /// A string; a required one must not be blank.
    pub fn string(&mut self, key: &str, required: bool) -> Option<String> {
        match self.present(key, required)? {
            Value::String(s) if required && s.trim().is_empty() => {
                let t = self.target(key);
                self.details.push(Detail::required(&t));
                None
            }
            Value::String(s) => Some(s.clone()),
            _ => {
                self.wrong_type(key, "a string");
                None
            }
        }
    }

    /// A string of at most `max` characters.
    pub fn bounded_string(&mut self, key: &str, required: bool, max: usize) -> Option<String> {
        let s = self.string(key, required)?;
        if s.chars().count() > max {
            let t = self.target(key);
            self.details.push(Detail::invalid(&t, format!("{t} must be at most {max} characters long.")).with("maximumValue", max));
            return None;
        }
        Some(s)
    }

    pub fn bool(&mut self, key: &str, required: bool) -> Option<bool> {
        match self.present(key, required)? {
            Value::Bool(b) => Some(*b),
            _ => {
                self.wrong_type(key, "a boolean");
                None
            }
        }
    }

    /// An integer in `min..=max`.
    pub fn int(&mut self, key: &str, required: bool, min: u64, max: u64) -> Option<u64> {
        let v = self.present(key, required)?;
        match v.as_u64() {
            Some(n) if (min..=max).contains(&n) => Some(n),
            _ => {
                let t = self.target(key);
                let d = Detail::invalid(&t, format!("{t} must be an integer from {min} to {max}."))
                    .with("rangeMinimumValue", min)
                    .with("rangeMaximumValue", max);
                self.details.push(d);
                None
            }
        }
    }

    /// One of `allowed`.
    pub fn one_of(&mut self, key: &str, required: bool, allowed: &[&str]) -> Option<String> {
        let s = self.string(key, required)?;
        if allowed.contains(&s.as_str()) {
            Some(s)
        } else {
            let t = self.target(key);
            self.details.push(enum_detail(&t, &s, allowed));
            None
        }
    }

    /// An array of strings.
    pub fn strings(&mut self, key: &str, required: bool) -> Option<Vec<String>> {
        match self.present(key, required)? {
            Value::Array(items) => {
                let mut out = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    match item.as_str() {
                        Some(s) => out.push(s.to_string()),
                        None => {
                            let t = format!("{}[{i}]", self.target(key));
                            self.details.push(Detail::invalid(&t, format!("{t} must be a string.")));
                        }
                    }
                }
                (out.len() == items.len()).then_some(out)
            }
            _ => {
                self.wrong_type(key, "an array of strings");
                None
            }
        }
    }

    /// An array whose every item is one of `allowed`.
    pub fn enums(&mut self, key: &str, required: bool, allowed: &[&str]) -> Option<Vec<String>> {
        let items = self.strings(key, required)?;
        let mut ok = true;
        for (i, s) in items.iter().enumerate() {
            if !allowed.contains(&s.as_str()) {
                let t = format!("{}[{i}]", self.target(key));
                self.details.push(enum_detail(&t, s, allowed));
                ok = false;
            }
        }
        ok.then_some(items)
    }

    /// A nested object, read with targets prefixed `key.`.
    pub fn object(&mut self, key: &str, required: bool) -> Option<Body<'a>> {
        match self.present(key, required)? {
            Value::Object(m) => Some(Body { map: m, prefix: format!("{}.", self.target(key)), details: Vec::new() }),
            _ => {
                self.wrong_type(key, "an object");
                None
            }
        }
    }

    /// An array of objects, each read with targets prefixed `key[i].`.
    pub fn objects(&mut self, key: &str, required: bool) -> Option<Vec<Body<'a>>> {
        match self.present(key, required)? {
            Value::Array(items) => {
                let mut out = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    match item {
                        Value::Object(m) => out.push(Body { map: m, prefix: format!("{}[{i}].", self.target(key)), details: Vec::new() }),
                        _ => {
                            let t = format!("{}[{i}]", self.target(key));
                            self.details.push(Detail::invalid(&t, format!("{t} must be an object.")));
                        }
                    }
                }
                (out.len() == items.len()).then_some(out)
            }
            _ => {
                self.wrong_type(key, "an array of objects");
                None
            }
        }
    }

    /// A reference `{"id": "..."}`; returns the id.
    pub fn id_ref(&mut self, key: &str, required: bool) -> Option<String> {
        let mut child = self.object(key, required)?;
        let id = child.string("id", true);
        self.absorb(child);
        id
    }

    /// Takes over a nested body's details.
    pub fn absorb(&mut self, child: Body<'_>) {
        self.details.extend(child.details);
    }

    /// The target name of `key` at this level (for details added by the caller).
    pub fn target_of(&self, key: &str) -> String {
        self.target(key)
    }

    /// `Ok` when no detail was collected, else 400 `INVALID_DATA` with all of them.
    pub fn finish(self) -> Result<(), P1Error> {
        if self.details.is_empty() {
            Ok(())
        } else {
            Err(P1Error::invalid_data(self.details))
        }
    }
}

fn enum_detail(target: &str, got: &str, allowed: &[&str]) -> Detail {
    Detail::invalid(target, format!("{target} has an unsupported value `{got}`."))
        .with("allowedValues", allowed.iter().map(|s| Value::String(s.to_string())).collect::<Vec<_>>())
}

/// A pragmatic RFC 5322 address check: one `@`, a non-empty local part, a dotted domain, no
/// whitespace or control characters.
pub fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.rsplit_once('@') else { return false };
    !local.is_empty()
        && local.len() <= 64
        && s.len() <= 254
        && !local.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && domain.chars().all(|c| c.is_alphanumeric() || c == '-' || c == '.')
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// An absolute URL without a fragment (redirect URIs).
pub fn is_redirect_uri(s: &str) -> bool {
    url::Url::parse(s).map(|u| u.fragment().is_none() && !u.cannot_be_a_base()).unwrap_or(false)
}

/// A CORS origin as `corsSettings.origins` accepts it: `scheme://host[:port]`, no path, query
/// or fragment; `*.` may start the host.
pub fn is_cors_origin(s: &str) -> bool {
    let probe = s.replacen("://*.", "://wildcard.", 1);
    match url::Url::parse(&probe) {
        Ok(u) => {
            matches!(u.scheme(), "http" | "https")
                && u.host_str().is_some()
                && u.path() == "/"
                && !probe.trim_end().ends_with('/')
                && u.query().is_none()
                && u.fragment().is_none()
                && u.username().is_empty()
        }
        Err(_) => false,
    }
}

/// No control characters (the `\p{L}\p{M}\p{Zs}\p{S}\p{N}\p{P}` class PingOne uses for names).
pub fn is_printable(s: &str) -> bool {
    !s.chars().any(|c| c.is_control() || (c.is_whitespace() && c != ' '))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn collects_every_problem_with_targets() {
        let v = json!({"name": "", "enabled": "yes", "type": "NOPE", "corsSettings": {"origins": [1]}, "grantTypes": ["X"]});
        let mut b = Body::new(v.as_object().unwrap());
        b.string("name", true);
        b.bool("enabled", true);
        b.one_of("type", true, &["WEB_APP"]);
        b.string("protocol", true);
        let mut cors = b.object("corsSettings", false).unwrap();
        cors.one_of("behavior", true, &["ALLOW_NO_ORIGINS"]);
        cors.strings("origins", false);
        b.absorb(cors);
        b.enums("grantTypes", false, &["AUTHORIZATION_CODE"]);
        let targets: Vec<String> = b.details.iter().filter_map(|d| d.target.clone()).collect();
        assert_eq!(targets, ["name", "enabled", "type", "protocol", "corsSettings.behavior", "corsSettings.origins[0]", "grantTypes[0]"]);
        assert!(b.finish().is_err());
    }

    #[test]
    fn formats() {
        assert!(is_email("a.b@example.com"));
        assert!(!is_email("a@b"));
        assert!(!is_email("a b@example.com"));
        assert!(!is_email("@example.com"));
        assert!(is_redirect_uri("https://app.example.com/callback?x=1"));
        assert!(!is_redirect_uri("https://app.example.com/cb#frag"));
        assert!(!is_redirect_uri("/callback"));
        assert!(is_cors_origin("https://app.example.com"));
        assert!(is_cors_origin("http://localhost:8080"));
        assert!(is_cors_origin("https://*.example.com"));
        assert!(!is_cors_origin("https://app.example.com/"));
        assert!(!is_cors_origin("https://app.example.com/path"));
        assert!(!is_cors_origin("ftp://x.com"));
    }
}

//! "Copy as curl": a runnable command for one recorded (already redacted) request. Secrets are
//! shell variables (`"$WORKER_TOKEN"`), never inline; everything else is single-quoted, so the
//! command is safe to paste whatever the values contain.

use crate::mask::{MASK, VARS};
use pingone::http::{HttpRequest, Method};

/// Quotes a string for a POSIX shell: literal text in single quotes, the known `$VARS` as
/// double-quoted expansions, concatenated into one word.
pub fn shell_word(s: &str) -> String {
    let mut out = String::new();
    let mut literal = String::new();
    let mut rest = s;
    let flush = |literal: &mut String, out: &mut String| {
        if !literal.is_empty() {
            out.push('\'');
            out.push_str(&literal.replace('\'', "'\\''"));
            out.push('\'');
            literal.clear();
        }
    };
    while let Some(i) = rest.find('$') {
        literal.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let var = VARS
            .iter()
            .filter(|v| {
                after.starts_with(**v) && !after[v.len()..].starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
            })
            .max_by_key(|v| v.len());
        match var {
            Some(v) => {
                flush(&mut literal, &mut out);
                out.push_str(&format!("\"${v}\""));
                rest = &after[v.len()..];
            }
            None => {
                literal.push('$');
                rest = after;
            }
        }
    }
    literal.push_str(rest);
    flush(&mut literal, &mut out);
    if out.is_empty() {
        out.push_str("''");
    }
    out
}

/// The `$VARS` a redacted request references, in first-use order.
pub fn vars_used(req: &HttpRequest) -> Vec<&'static str> {
    let mut text = req.url.clone();
    for (n, v) in req.headers.iter() {
        text.push_str(n);
        text.push_str(v);
    }
    if let Some(b) = &req.body {
        text.push_str(b);
    }
    let mut found: Vec<(usize, &'static str)> = VARS
        .iter()
        .filter_map(|v| {
            let needle = format!("${v}");
            let mut from = 0;
            while let Some(i) = text[from..].find(&needle) {
                let end = from + i + needle.len();
                if !text[end..].starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_') {
                    return Some((from + i, *v));
                }
                from = end;
            }
            None
        })
        .collect();
    found.sort();
    found.into_iter().map(|(_, v)| v).collect()
}

fn is_flow_call(url: &str) -> bool {
    url.contains("/as/authorize") || url.contains("/flows/") || url.contains("/as/resume")
}

/// A runnable curl command for a redacted request.
pub fn to_curl(req: &HttpRequest) -> String {
    let mut lines: Vec<String> = Vec::new();
    let vars = vars_used(req);
    let mut out = String::new();
    if !vars.is_empty() {
        out.push_str(&format!("# Set first (secrets stay out of the command): {}\n", vars.join(" ")));
    }
    let mut first = String::from("curl -sS");
    if req.method != Method::Get {
        first.push_str(&format!(" -X {}", req.method.as_str()));
    }
    first.push(' ');
    first.push_str(&shell_word(&req.url));
    lines.push(first);
    for (name, value) in req.headers.iter() {
        let lower = name.to_ascii_lowercase();
        if lower == "cookie" || lower == "content-length" {
            continue;
        }
        if lower == "authorization" {
            if let Some(inner) = value.strip_prefix("Basic base64(").and_then(|v| v.strip_suffix(')')) {
                lines.push(format!("-u {}", shell_word(inner)));
                continue;
            }
            if value.contains(MASK) {
                lines.push(format!("-H {}", shell_word(&format!("{name}: {}", value.replace(MASK, "$ACCESS_TOKEN")))));
                continue;
            }
        }
        lines.push(format!("-H {}", shell_word(&format!("{name}: {value}"))));
    }
    if is_flow_call(&req.url) {
        // The flow API needs its cookies back: let curl keep them like a browser.
        lines.push("-b cookies.txt -c cookies.txt".to_string());
    }
    if let Some(body) = &req.body {
        lines.push(format!("--data-raw {}", shell_word(body)));
    }
    out.push_str(&lines.join(" \\\n  "));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn quoting() {
        assert_eq!(shell_word("abc"), "'abc'");
        assert_eq!(shell_word(""), "''");
        assert_eq!(shell_word("it's"), "'it'\\''s'");
        assert_eq!(shell_word("Bearer $WORKER_TOKEN"), "'Bearer '\"$WORKER_TOKEN\"");
        assert_eq!(shell_word("$PASSWORD"), "\"$PASSWORD\"");
        assert_eq!(shell_word("$(rm -rf /) $HOME $PASSWORDX"), "'$(rm -rf /) $HOME $PASSWORDX'");
        assert_eq!(shell_word(r#"{"a":"$OTP"}"#), r#"'{"a":"'"$OTP"'"}'"#);
    }

    #[test]
    fn curl_command() {
        let req = HttpRequest::new(Method::Post, "https://auth.pingone.com/e/as/token")
            .header("Authorization", "Basic base64(app-1:$APP_SECRET)")
            .form_body(&[("grant_type", "authorization_code")]);
        let mut req = req;
        req.body = Some("grant_type=authorization_code&code=$CODE&code_verifier=$CODE_VERIFIER".into());
        let c = to_curl(&req);
        assert_eq!(
            c,
            "# Set first (secrets stay out of the command): APP_SECRET CODE CODE_VERIFIER\n\
             curl -sS -X POST 'https://auth.pingone.com/e/as/token' \\\n  \
             -u 'app-1:'\"$APP_SECRET\" \\\n  \
             -H 'Content-Type: application/x-www-form-urlencoded' \\\n  \
             --data-raw 'grant_type=authorization_code&code='\"$CODE\"'&code_verifier='\"$CODE_VERIFIER\""
        );
        let flow = HttpRequest::new(Method::Get, "https://auth.pingone.com/e/flows/f").header("Cookie", "ST=••••••");
        let c = to_curl(&flow);
        assert!(c.contains("-b cookies.txt -c cookies.txt"));
        assert!(!c.contains("Cookie"));
    }
}

//! Pretty-printing JSON text as it came (key order kept, unlike a round trip through
//! `serde_json::Value`), split into tokens for highlighting.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tok {
    Punct,
    Key,
    Str,
    Num,
    Lit,
    Space,
}

impl Tok {
    pub fn class(self) -> &'static str {
        match self {
            Tok::Punct => "j-p",
            Tok::Key => "j-k",
            Tok::Str => "j-s",
            Tok::Num => "j-n",
            Tok::Lit => "j-l",
            Tok::Space => "",
        }
    }
}

/// Indented tokens of a JSON document, or `None` when the text is not JSON.
pub fn pretty_tokens(text: &str) -> Option<Vec<(Tok, String)>> {
    serde_json::from_str::<serde::de::IgnoredAny>(text).ok()?;
    let chars: Vec<char> = text.chars().collect();
    let mut out: Vec<(Tok, String)> = Vec::new();
    let mut depth = 0usize;
    let mut i = 0;
    let newline = |depth: usize| format!("\n{}", "  ".repeat(depth));
    let next_significant = |from: usize| chars[from..].iter().copied().find(|c| !c.is_whitespace());
    while i < chars.len() {
        let c = chars[i];
        match c {
            c if c.is_whitespace() => i += 1,
            '{' | '[' => {
                let close = if c == '{' { '}' } else { ']' };
                if next_significant(i + 1) == Some(close) {
                    out.push((Tok::Punct, format!("{c}{close}")));
                    // Skip to just past the matching close.
                    i += 1;
                    while i < chars.len() && chars[i] != close {
                        i += 1;
                    }
                    i += 1;
                } else {
                    depth += 1;
                    out.push((Tok::Punct, c.to_string()));
                    out.push((Tok::Space, newline(depth)));
                    i += 1;
                }
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                out.push((Tok::Space, newline(depth)));
                out.push((Tok::Punct, c.to_string()));
                i += 1;
            }
            ',' => {
                out.push((Tok::Punct, ",".into()));
                out.push((Tok::Space, newline(depth)));
                i += 1;
            }
            ':' => {
                out.push((Tok::Punct, ":".into()));
                out.push((Tok::Space, " ".into()));
                i += 1;
            }
            '"' => {
                let start = i;
                i += 1;
                while i < chars.len() {
                    match chars[i] {
                        '\\' => i += 2,
                        '"' => {
                            i += 1;
                            break;
                        }
                        _ => i += 1,
                    }
                }
                let end = i.min(chars.len());
                let s: String = chars[start..end].iter().collect();
                let kind = if next_significant(end) == Some(':') { Tok::Key } else { Tok::Str };
                out.push((kind, s));
            }
            _ => {
                let start = i;
                while i < chars.len() && !matches!(chars[i], ',' | ']' | '}' | ':') && !chars[i].is_whitespace() {
                    i += 1;
                }
                let s: String = chars[start..i].iter().collect();
                let kind = if s.starts_with(|c: char| c == '-' || c.is_ascii_digit()) { Tok::Num } else { Tok::Lit };
                out.push((kind, s));
            }
        }
    }
    Some(out)
}

/// Indented JSON text, or `None` when the text is not JSON.
pub fn pretty(text: &str) -> Option<String> {
    pretty_tokens(text).map(|toks| toks.into_iter().map(|(_, s)| s).collect())
}

/// Indented JSON as HTML: each token but white space in a `<span>` of its `Tok::class`, every
/// character of the text escaped (a body may hold markup), or `None` when the text is not JSON.
/// One string the page sets at once: a body of a few hundred tokens would otherwise be as many
/// elements created one call at a time, again for every call while the inspector follows a run.
pub fn pretty_html(text: &str) -> Option<String> {
    let tokens = pretty_tokens(text)?;
    let mut html = String::with_capacity(text.len() * 2);
    for (kind, s) in tokens {
        if kind == Tok::Space {
            html.push_str(&s);
            continue;
        }
        html.push_str("<span class=\"");
        html.push_str(kind.class());
        html.push_str("\">");
        for c in s.chars() {
            match c {
                '&' => html.push_str("&amp;"),
                '<' => html.push_str("&lt;"),
                '>' => html.push_str("&gt;"),
                '"' => html.push_str("&quot;"),
                '\'' => html.push_str("&#39;"),
                c => html.push(c),
            }
        }
        html.push_str("</span>");
    }
    Some(html)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn keeps_order_and_indents() {
        let p = pretty(r#"{"z":1,"a":[true,null,"x\"y"],"e":{},"f":[]}"#).unwrap();
        assert_eq!(
            p,
            "{\n  \"z\": 1,\n  \"a\": [\n    true,\n    null,\n    \"x\\\"y\"\n  ],\n  \"e\": {},\n  \"f\": []\n}"
        );
        assert!(pretty("<html>").is_none());
        assert!(pretty("").is_none());
    }

    #[test]
    fn html_spans_tokens_and_escapes_markup() {
        let h = pretty_html(r#"{"a<b":"<img src=x onerror='alert(1)'> & \"q\"","n":[1,true]}"#).unwrap();
        assert_eq!(
            h,
            "<span class=\"j-p\">{</span>\n  <span class=\"j-k\">&quot;a&lt;b&quot;</span><span class=\"j-p\">:</span> \
             <span class=\"j-s\">&quot;&lt;img src=x onerror=&#39;alert(1)&#39;&gt; &amp; \\&quot;q\\&quot;&quot;</span>\
             <span class=\"j-p\">,</span>\n  <span class=\"j-k\">&quot;n&quot;</span><span class=\"j-p\">:</span> \
             <span class=\"j-p\">[</span>\n    <span class=\"j-n\">1</span><span class=\"j-p\">,</span>\n    \
             <span class=\"j-l\">true</span>\n  <span class=\"j-p\">]</span>\n<span class=\"j-p\">}</span>"
        );
        assert!(pretty_html("<b>not json</b>").is_none());
    }
}

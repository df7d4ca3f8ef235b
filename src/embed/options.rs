//! Embed options (docs/embedding.md): parsed from an iframe's query string or from a host
//! element's `data-` attributes. Pure functions: every unknown or invalid option becomes a
//! [`Problem`] that the embed shows in an error banner (and posts to the host); the option
//! falls back to its default.

use crate::state::Mode;
use pingone::workflow::{Phase, STEPS};

/// How the instance is embedded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An `<iframe>` showing the app (`index.html` or `embed/frame.html`); options in the query.
    Frame,
    /// `embed/embed.js` mounted into a host element; options in its `data-` attributes.
    Script,
}

/// The instance's colour theme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Theme {
    /// The system preference (`prefers-color-scheme`).
    Auto,
    Light,
    Dark,
    /// The host page's: the `color-scheme` the page gives the host element (script include), or
    /// `set-theme` commands from the host (iframe); the system preference until either says.
    Host,
}

impl Theme {
    pub fn as_str(self) -> &'static str {
        match self {
            Theme::Auto => "auto",
            Theme::Light => "light",
            Theme::Dark => "dark",
            Theme::Host => "host",
        }
    }
    pub fn parse(s: &str) -> Option<Theme> {
        match s {
            "auto" => Some(Theme::Auto),
            "light" => Some(Theme::Light),
            "dark" => Some(Theme::Dark),
            "host" => Some(Theme::Host),
            _ => None,
        }
    }
}

/// The last step number.
pub const LAST_STEP: u8 = (STEPS.len() - 1) as u8;

/// What an instance shows and does. `Default` is the whole app in sandbox mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmbedOptions {
    /// The instance id in messages (`id`); generated when absent.
    pub id: Option<String>,
    pub mode: Mode,
    /// The steps shown, inclusive (`phases` or `steps`). Steps before `first` are pre-run
    /// silently in the sandbox; steps after `last` are never run.
    pub first: u8,
    pub last: u8,
    pub auto_run: bool,
    pub read_only: bool,
    pub compact: bool,
    pub theme: Theme,
    /// `#rrggbb`.
    pub accent: Option<String>,
    /// The only origin commands are accepted from and messages are posted to (iframe only).
    pub host_origin: Option<String>,
}

impl Default for EmbedOptions {
    fn default() -> Self {
        EmbedOptions {
            id: None,
            mode: Mode::Sandbox,
            first: 0,
            last: LAST_STEP,
            auto_run: false,
            read_only: false,
            compact: false,
            theme: Theme::Auto,
            accent: None,
            host_origin: None,
        }
    }
}

impl EmbedOptions {
    /// Every step is shown.
    pub fn shows_all(&self) -> bool {
        self.first == 0 && self.last == LAST_STEP
    }

    /// The options as the `ready` message reports them (nothing secret).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "mode": self.mode.label(),
            "steps": [self.first, self.last],
            "auto_run": self.auto_run,
            "read_only": self.read_only,
            "compact": self.compact,
            "theme": self.theme.as_str(),
            "accent": self.accent,
            "host_origin": self.host_origin,
        })
    }
}

/// One unknown or invalid option.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub option: String,
    pub value: String,
    pub message: String,
}

/// Parsed options and what was wrong with the input.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Parsed {
    pub options: EmbedOptions,
    pub problems: Vec<Problem>,
}

/// Every option name (query keys; `data-` attributes add the prefix).
pub const OPTION_NAMES: [&str; 11] =
    ["id", "mode", "phases", "steps", "auto-run", "read-only", "compact", "theme", "accent", "host-origin", "embed"];

/// The query string's pairs (`?a=1&b` gives `("a","1")`, `("b","")`), percent-decoded.
pub fn query_pairs(search: &str) -> Vec<(String, String)> {
    let q = search.strip_prefix('?').unwrap_or(search);
    url::form_urlencoded::parse(q.as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}

/// `data-` attribute names and values as option pairs: `data-auto-run="true"` gives
/// `("auto-run", "true")`. The marker attribute `data-pingone-workbench` and attributes without
/// the prefix are left out.
pub fn attribute_pairs<'a>(attrs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Vec<(String, String)> {
    attrs
        .into_iter()
        .filter_map(|(name, value)| {
            let key = name.to_ascii_lowercase();
            let key = key.strip_prefix("data-")?;
            (key != "pingone-workbench").then(|| (key.to_string(), value.to_string()))
        })
        .collect()
}

fn parse_bool(v: &str) -> Option<bool> {
    match v.trim().to_ascii_lowercase().as_str() {
        "" | "true" | "1" | "yes" | "on" => Some(true),
        "false" | "0" | "no" | "off" => Some(false),
        _ => None,
    }
}

fn phase_slug(p: Phase) -> &'static str {
    crate::phases::slug(p)
}

fn step_range_of(phase: Phase) -> (u8, u8) {
    let mut ns = pingone::workflow::steps_of(phase).map(|s| s.number());
    let first = ns.next().unwrap_or(0);
    (first, ns.last().unwrap_or(first))
}

/// `sign-on,tokens` (commas or spaces) as a step range; the phases must be adjacent.
pub fn parse_phases(v: &str) -> Result<(u8, u8), String> {
    let mut idx = Vec::new();
    for name in v.split([',', ' ']).map(str::trim).filter(|s| !s.is_empty()) {
        let Some(i) = Phase::ALL.iter().position(|p| phase_slug(*p) == name.to_ascii_lowercase()) else {
            return Err(format!("unknown phase \u{201c}{name}\u{201d}: use connect, provision, sign-on, tokens"));
        };
        if !idx.contains(&i) {
            idx.push(i);
        }
    }
    idx.sort_unstable();
    let (Some(&lo), Some(&hi)) = (idx.first(), idx.last()) else {
        return Err("name at least one phase: connect, provision, sign-on, tokens".into());
    };
    if hi - lo + 1 != idx.len() {
        return Err("the phases must be adjacent (e.g. sign-on,tokens)".into());
    }
    Ok((step_range_of(Phase::ALL[lo]).0, step_range_of(Phase::ALL[hi]).1))
}

/// `14-20` or `16` as an inclusive step range.
pub fn parse_steps(v: &str) -> Result<(u8, u8), String> {
    let bad = || format!("use a step number or a range such as 14-20 (steps 0 to {LAST_STEP})");
    let num = |s: &str| s.trim().parse::<u8>().ok().filter(|n| *n <= LAST_STEP);
    let (a, b) = match v.split_once('-') {
        Some((a, b)) => (num(a).ok_or_else(bad)?, num(b).ok_or_else(bad)?),
        None => {
            let n = num(v).ok_or_else(bad)?;
            (n, n)
        }
    };
    if a > b {
        return Err(format!("the range {a}-{b} runs backwards"));
    }
    Ok((a, b))
}

/// `#0b7a5f`, `0b7a5f`, `#0b7` or `0b7` as `#0b7a5f` (hex colours only).
pub fn parse_accent(v: &str) -> Option<String> {
    let hex = v.trim().strip_prefix('#').unwrap_or(v.trim());
    if !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let full = match hex.len() {
        3 => hex.chars().flat_map(|c| [c, c]).collect::<String>(),
        6 => hex.to_string(),
        _ => return None,
    };
    Some(format!("#{}", full.to_ascii_lowercase()))
}

/// The text colour on an accent background: white or near-black, whichever contrasts more
/// (WCAG relative luminance).
pub fn accent_text(accent: &str) -> &'static str {
    let hex = accent.trim_start_matches('#');
    let ch = |i: usize| {
        let c = u8::from_str_radix(hex.get(i..i + 2).unwrap_or("00"), 16).unwrap_or(0) as f64 / 255.0;
        if c <= 0.03928 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    let l = 0.2126 * ch(0) + 0.7152 * ch(2) + 0.0722 * ch(4);
    // Contrast with white (1.0) vs with #08131f (luminance ~0.006).
    if (1.05) / (l + 0.05) >= (l + 0.05) / 0.056 {
        "#ffffff"
    } else {
        "#08131f"
    }
}

/// `https://docs.example.com` (scheme, host, port; nothing else) in its serialized form.
pub fn parse_origin(v: &str) -> Option<String> {
    let url = url::Url::parse(v.trim()).ok()?;
    let plain = matches!(url.scheme(), "http" | "https")
        && url.username().is_empty()
        && url.password().is_none()
        && url.path() == "/"
        && url.query().is_none()
        && url.fragment().is_none();
    plain.then(|| url.origin().ascii_serialization())
}

fn valid_id(v: &str) -> bool {
    (1..=64).contains(&v.len()) && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Parses the option pairs of one instance.
pub fn parse(pairs: &[(String, String)], kind: Kind) -> Parsed {
    let mut o = EmbedOptions::default();
    let mut problems = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    let mut phases = None;
    let mut steps = None;
    let mut problem = |option: &str, value: &str, message: String| {
        problems.push(Problem { option: option.to_string(), value: value.to_string(), message })
    };
    for (key, value) in pairs {
        let k = key.as_str();
        let v = value.trim();
        if seen.contains(&k) {
            problem(k, v, "given more than once; the first one counts".into());
            continue;
        }
        seen.push(k);
        match k {
            "id" if valid_id(v) => o.id = Some(v.to_string()),
            "id" => problem(k, v, "use 1 to 64 letters, digits, - or _".into()),
            "mode" => match v {
                "sandbox" => o.mode = Mode::Sandbox,
                "live" => o.mode = Mode::Live,
                _ => problem(k, v, "use sandbox or live".into()),
            },
            "phases" => match parse_phases(v) {
                Ok(r) => phases = Some(r),
                Err(e) => problem(k, v, e),
            },
            "steps" => match parse_steps(v) {
                Ok(r) => steps = Some(r),
                Err(e) => problem(k, v, e),
            },
            "auto-run" | "read-only" | "compact" => match parse_bool(v) {
                Some(b) if k == "auto-run" => o.auto_run = b,
                Some(b) if k == "read-only" => o.read_only = b,
                Some(b) => o.compact = b,
                None => problem(k, v, "use true or false (or leave the value empty for true)".into()),
            },
            "theme" => match Theme::parse(v) {
                Some(t) => o.theme = t,
                None => problem(k, v, "use auto, light, dark or host".into()),
            },
            "accent" => match parse_accent(v) {
                Some(c) => o.accent = Some(c),
                None => problem(k, v, "use a hex colour such as #0b7a5f (in a query string: %230b7a5f or 0b7a5f)".into()),
            },
            "host-origin" if kind == Kind::Script => {
                problem(k, v, "only for iframe embeds: a script include talks to its own page".into())
            }
            "host-origin" => match parse_origin(v) {
                Some(origin) => o.host_origin = Some(origin),
                None => problem(k, v, "use an origin such as https://docs.example.com (no path)".into()),
            },
            "embed" if kind == Kind::Frame => {}
            _ => problem(k, v, format!("unknown option; known: {}", known_names(kind))),
        }
    }
    if phases.is_some() && steps.is_some() {
        problem("steps", "", "give phases or steps, not both; phases counts".into());
    }
    if let Some((a, b)) = phases.or(steps) {
        o.first = a;
        o.last = b;
    }
    if o.mode == Mode::Live {
        if o.first > 0 {
            let which = if phases.is_some() { "phases" } else { "steps" };
            problem(
                which,
                "",
                "with mode=live the instance must show step 0 (Connect): hidden steps are pre-run in the sandbox only".into(),
            );
            o.first = 0;
        }
        if o.auto_run {
            problem("auto-run", "", "needs mode=sandbox (live mode asks for the worker secret)".into());
            o.auto_run = false;
        }
        if o.read_only {
            problem("read-only", "", "needs mode=sandbox (live mode needs inputs)".into());
            o.read_only = false;
        }
    }
    Parsed { options: o, problems }
}

fn known_names(kind: Kind) -> String {
    OPTION_NAMES
        .iter()
        .filter(|n| kind == Kind::Frame || !matches!(**n, "host-origin" | "embed"))
        .map(|n| if kind == Kind::Script { format!("data-{n}") } else { n.to_string() })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn defaults_without_options() {
        let p = parse(&[], Kind::Frame);
        assert_eq!(p.options, EmbedOptions::default());
        assert!(p.problems.is_empty());
        assert!(p.options.shows_all());
        assert_eq!(p.options.last, 20);
    }

    #[test]
    fn every_option() {
        let p = parse(
            &query_pairs("?embed=1&id=docs-1&mode=sandbox&phases=tokens,sign-on&auto-run&read-only=true&compact=1&theme=dark&accent=%230B7A5F&host-origin=https://docs.example.com/"),
            Kind::Frame,
        );
        assert_eq!(p.problems, vec![]);
        let o = p.options;
        assert_eq!(o.id.as_deref(), Some("docs-1"));
        assert_eq!((o.first, o.last), (14, 20));
        assert!(o.auto_run && o.read_only && o.compact);
        assert_eq!(o.theme, Theme::Dark);
        assert_eq!(o.accent.as_deref(), Some("#0b7a5f"));
        assert_eq!(o.host_origin.as_deref(), Some("https://docs.example.com"));
    }

    #[test]
    fn attributes() {
        let attrs = [("data-pingone-workbench", ""), ("class", "x"), ("data-steps", "16-18"), ("DATA-Compact", "false")];
        let got = attribute_pairs(attrs.iter().copied());
        assert_eq!(got, pairs(&[("steps", "16-18"), ("compact", "false")]));
        let p = parse(&got, Kind::Script);
        assert!(p.problems.is_empty());
        assert_eq!((p.options.first, p.options.last), (16, 18));
        assert!(!p.options.compact);
    }

    #[test]
    fn unknown_and_invalid_options_are_reported() {
        let p = parse(
            &pairs(&[("mode", "staging"), ("colour", "red"), ("theme", "purple"), ("auto-run", "maybe"), ("accent", "blue")]),
            Kind::Script,
        );
        let names: Vec<&str> = p.problems.iter().map(|x| x.option.as_str()).collect();
        assert_eq!(names, ["mode", "colour", "theme", "auto-run", "accent"]);
        assert!(p.problems[1].message.contains("data-read-only"), "{}", p.problems[1].message);
        assert!(!p.problems[1].message.contains("host-origin"));
        // Invalid values fall back to the defaults.
        assert_eq!(p.options, EmbedOptions::default());
    }

    #[test]
    fn phases() {
        assert_eq!(parse_phases("connect"), Ok((0, 0)));
        assert_eq!(parse_phases("provision"), Ok((1, 13)));
        assert_eq!(parse_phases("sign-on"), Ok((14, 18)));
        assert_eq!(parse_phases("sign-on tokens"), Ok((14, 20)));
        assert_eq!(parse_phases("connect,provision,sign-on,tokens"), Ok((0, 20)));
        assert!(parse_phases("connect,tokens").unwrap_err().contains("adjacent"));
        assert!(parse_phases("signin").unwrap_err().contains("unknown phase"));
        assert!(parse_phases(" , ").is_err());
    }

    #[test]
    fn steps() {
        assert_eq!(parse_steps("14-20"), Ok((14, 20)));
        assert_eq!(parse_steps("7"), Ok((7, 7)));
        assert_eq!(parse_steps(" 0 - 3 "), Ok((0, 3)));
        assert!(parse_steps("18-14").unwrap_err().contains("backwards"));
        assert!(parse_steps("21").is_err());
        assert!(parse_steps("a-b").is_err());
        assert!(parse_steps("-3").is_err());
    }

    #[test]
    fn phases_and_steps_conflict() {
        let p = parse(&pairs(&[("steps", "0-3"), ("phases", "tokens")]), Kind::Frame);
        assert_eq!(p.problems.len(), 1);
        assert_eq!(p.problems[0].option, "steps");
        assert_eq!((p.options.first, p.options.last), (19, 20));
    }

    #[test]
    fn live_mode_limits() {
        let p = parse(&pairs(&[("mode", "live"), ("phases", "sign-on"), ("auto-run", ""), ("read-only", "yes")]), Kind::Frame);
        let names: Vec<&str> = p.problems.iter().map(|x| x.option.as_str()).collect();
        assert_eq!(names, ["phases", "auto-run", "read-only"]);
        assert_eq!((p.options.first, p.options.last), (0, 18));
        assert_eq!(p.options.mode, Mode::Live);
        assert!(!p.options.auto_run && !p.options.read_only);
    }

    #[test]
    fn duplicates_and_ids() {
        let p = parse(&pairs(&[("theme", "dark"), ("theme", "light"), ("id", "a b")]), Kind::Frame);
        assert_eq!(p.options.theme, Theme::Dark);
        assert_eq!(p.problems.len(), 2);
        assert!(p.problems[0].message.contains("more than once"));
        assert_eq!(p.problems[1].option, "id");
    }

    #[test]
    fn host_origin() {
        assert_eq!(parse_origin("https://docs.example.com").as_deref(), Some("https://docs.example.com"));
        assert_eq!(parse_origin("http://127.0.0.1:8080/").as_deref(), Some("http://127.0.0.1:8080"));
        assert_eq!(parse_origin("https://docs.example.com:443").as_deref(), Some("https://docs.example.com"));
        assert_eq!(parse_origin("https://docs.example.com/guide"), None);
        assert_eq!(parse_origin("https://u:p@docs.example.com"), None);
        assert_eq!(parse_origin("*"), None);
        assert_eq!(parse_origin("javascript:alert(1)"), None);
        assert_eq!(parse_origin("file:///etc"), None);
        let p = parse(&pairs(&[("host-origin", "https://docs.example.com")]), Kind::Script);
        assert_eq!(p.problems.len(), 1);
        assert_eq!(p.options.host_origin, None);
        let p = parse(&pairs(&[("embed", "1")]), Kind::Script);
        assert_eq!(p.problems[0].option, "embed");
    }

    #[test]
    fn accents() {
        assert_eq!(parse_accent("#0B7A5F").as_deref(), Some("#0b7a5f"));
        assert_eq!(parse_accent("0b7").as_deref(), Some("#00bb77"));
        assert_eq!(parse_accent("#12345"), None);
        assert_eq!(parse_accent("red"), None);
        assert_eq!(parse_accent("#0b7a5f;x:y"), None);
        assert_eq!(accent_text("#0b5cad"), "#ffffff");
        assert_eq!(accent_text("#ffd54f"), "#08131f");
        assert_eq!(accent_text("#000000"), "#ffffff");
        assert_eq!(accent_text("#ffffff"), "#08131f");
    }
}

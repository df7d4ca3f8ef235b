//! Worker mode (`--worker-from-env`): the proxy, not the page, holds the worker app's client id
//! and secret. It gets the worker token itself, adds `Authorization: Bearer` to management calls,
//! and forwards only the management operations of this workflow, in one environment.
//!
//! This module is the pure part: the configuration, the table of operations and the checks on
//! paths, queries and bodies. No I/O; table-tested here and in `tests/worker_mode.rs`. The token
//! cache is in `token.rs`.

use pingone::secret::WorkerSecret;
use pingone::workflow::is_uuid;
use pingone::Region;
use serde_json::Value;
use std::time::Duration;
use thiserror::Error;

/// The worker app's client id.
pub const ENV_CLIENT_ID: &str = "PINGONE_WORKER_CLIENT_ID";
/// The worker app's client secret.
pub const ENV_CLIENT_SECRET: &str = "PINGONE_WORKER_CLIENT_SECRET";
/// The environment the workflow provisions into (the only one management calls may reach).
pub const ENV_ENVIRONMENT_ID: &str = "PINGONE_ENVIRONMENT_ID";
/// Optional: the environment the worker app lives in, when it is another ("admin") environment.
pub const ENV_WORKER_ENVIRONMENT_ID: &str = "PINGONE_WORKER_ENVIRONMENT_ID";
/// Optional: the region (`na`, `eu`, `ca`, `ap`, `au`, `sg`); otherwise the single `--region`.
pub const ENV_REGION: &str = "PINGONE_REGION";

/// Get a new worker token this long before the current one expires.
pub const DEFAULT_REFRESH_MARGIN: Duration = Duration::from_secs(120);

/// The worker credentials and the one environment they may be used in.
#[derive(Clone)]
pub struct WorkerConfig {
    pub client_id: String,
    /// `Debug` prints `[redacted]`.
    pub client_secret: WorkerSecret,
    /// The environment management calls may reach.
    pub environment_id: String,
    /// Where the worker app lives (its token endpoint); `None`: `environment_id`.
    pub worker_environment_id: Option<String>,
    pub region: Region,
    /// Refresh the token when less than this is left (never later than half its lifetime).
    pub refresh_margin: Duration,
    /// Forward management calls even when the environment's type is PRODUCTION (or unreadable).
    pub allow_production: bool,
}

impl std::fmt::Debug for WorkerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WorkerConfig")
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret)
            .field("environment_id", &self.environment_id)
            .field("worker_environment_id", &self.worker_environment_id)
            .field("region", &self.region)
            .finish()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum WorkerConfigError {
    #[error("--worker-from-env needs {0} in the environment")]
    Missing(&'static str),
    #[error("{0} must be a PingOne id (a UUID)")]
    NotAnId(&'static str),
    #[error("{0} contains characters that cannot be sent")]
    BadValue(&'static str),
    #[error("unknown region `{0}` in {ENV_REGION} (na, eu, ca, ap, au, sg)")]
    UnknownRegion(String),
    #[error("worker mode serves one region: set {ENV_REGION} or pass exactly one --region")]
    NoRegion,
    #[error("{ENV_REGION}={0} is not among the --region values")]
    RegionNotEnabled(String),
}

impl WorkerConfig {
    pub fn new(client_id: impl Into<String>, client_secret: WorkerSecret, environment_id: impl Into<String>, region: Region) -> WorkerConfig {
        WorkerConfig {
            client_id: client_id.into(),
            client_secret,
            environment_id: environment_id.into(),
            worker_environment_id: None,
            region,
            refresh_margin: DEFAULT_REFRESH_MARGIN,
            allow_production: false,
        }
    }

    /// Reads the variables above through `get` (`std::env::var` in the binary). `regions` are
    /// the `--region` values (empty: none given). Error messages name variables, never values.
    pub fn from_env(get: impl Fn(&str) -> Option<String>, regions: &[Region]) -> Result<WorkerConfig, WorkerConfigError> {
        let read = |name: &'static str| -> Result<Option<String>, WorkerConfigError> {
            match get(name).map(|v| v.trim().to_string()).filter(|v| !v.is_empty()) {
                Some(v) if v.bytes().any(|b| b < 0x21 || b == 0x7f) => Err(WorkerConfigError::BadValue(name)),
                other => Ok(other),
            }
        };
        let need = |name: &'static str| read(name)?.ok_or(WorkerConfigError::Missing(name));
        let client_id = need(ENV_CLIENT_ID)?;
        let client_secret = WorkerSecret::new(need(ENV_CLIENT_SECRET)?);
        let environment_id = need(ENV_ENVIRONMENT_ID)?;
        if !is_uuid(&environment_id) {
            return Err(WorkerConfigError::NotAnId(ENV_ENVIRONMENT_ID));
        }
        let worker_environment_id = read(ENV_WORKER_ENVIRONMENT_ID)?;
        if worker_environment_id.as_deref().is_some_and(|e| !is_uuid(e)) {
            return Err(WorkerConfigError::NotAnId(ENV_WORKER_ENVIRONMENT_ID));
        }
        let region = match read(ENV_REGION)? {
            Some(code) => {
                let r = Region::from_code(&code).filter(|r| r.code() == code).ok_or(WorkerConfigError::UnknownRegion(code.clone()))?;
                if !regions.is_empty() && !regions.contains(&r) {
                    return Err(WorkerConfigError::RegionNotEnabled(code));
                }
                r
            }
            None => match regions {
                [one] => *one,
                _ => return Err(WorkerConfigError::NoRegion),
            },
        };
        Ok(WorkerConfig { worker_environment_id, ..WorkerConfig::new(client_id, client_secret, environment_id, region) })
    }

    /// The environment whose `/as/token` issues the worker token.
    pub fn token_environment(&self) -> &str {
        self.worker_environment_id.as_deref().unwrap_or(&self.environment_id)
    }
}

// ---------- the operations this workflow needs ----------

/// What a query string may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryRule {
    /// No query at all.
    Empty,
    /// Nothing, or exactly `filter=<attribute> eq "<literal>"` (the adoption lookup).
    ScimEq(&'static str),
}

/// One management operation: a method and a path template under `/v1/environments/{env}`,
/// where `{id}` is one PingOne id (a UUID).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Operation {
    pub method: &'static str,
    pub path: &'static str,
    pub query: QueryRule,
    /// Which workflow call needs it.
    pub why: &'static str,
}

const fn op(method: &'static str, path: &'static str, why: &'static str) -> Operation {
    Operation { method, path, query: QueryRule::Empty, why }
}

/// Every management operation the proxy forwards in worker mode: calls 1-13 and 19 of the
/// workflow (`crates/pingone/src/workflow/steps.rs`), the lookups that adopt an object whose
/// create answer was lost (`workflow/adopt.rs`: a GET on the collection the create posts to),
/// and the clean-up DELETEs (`workflow/cleanup.rs`). Anything else is refused with 403.
pub const OPERATIONS: &[Operation] = &[
    op("POST", "/applications", "1 create the application"),
    op("GET", "/applications", "1 lookup after a lost create"),
    op("GET", "/resources", "2 read resources"),
    op("GET", "/resources/{id}/scopes", "3 read the openid resource's scopes"),
    op("POST", "/applications/{id}/grants", "4 grant the scopes"),
    op("GET", "/applications/{id}/grants", "4 lookup after a lost create"),
    op("POST", "/signOnPolicies", "5 create the sign-on policy"),
    op("GET", "/signOnPolicies", "5 lookup after a lost create"),
    op("POST", "/signOnPolicies/{id}/actions", "6, 7 add the LOGIN and MFA actions"),
    op("GET", "/signOnPolicies/{id}/actions", "6, 7 lookup after a lost create"),
    op("POST", "/applications/{id}/signOnPolicyAssignments", "8 assign the policy"),
    op("GET", "/applications/{id}/signOnPolicyAssignments", "8 lookup after a lost create"),
    op("POST", "/populations", "9 create the population"),
    Operation { method: "GET", path: "/populations", query: QueryRule::ScimEq("name"), why: "9 lookup after a lost create" },
    op("POST", "/users", "10 create the user"),
    Operation { method: "GET", path: "/users", query: QueryRule::ScimEq("username"), why: "10 lookup after a lost create" },
    op("PUT", "/users/{id}/password", "11 set the password"),
    op("PUT", "/users/{id}/mfaEnabled", "12 enable MFA"),
    op("POST", "/users/{id}/devices", "13 add the MFA device"),
    op("GET", "/users/{id}/devices", "13 lookup after a lost create"),
    op("POST", "/users/{id}/devices/{id}", "13 activate an authenticator-app (TOTP) device with its first code"),
    op("GET", "/applications/{id}/secret", "19 read the application's secret"),
    op("DELETE", "/users/{id}/devices/{id}", "clean-up: the MFA device"),
    op("DELETE", "/users/{id}", "clean-up: the user"),
    op("DELETE", "/populations/{id}", "clean-up: the population"),
    op("DELETE", "/applications/{id}/signOnPolicyAssignments/{id}", "clean-up: the policy assignment"),
    op("DELETE", "/signOnPolicies/{id}", "clean-up: the sign-on policy"),
    op("DELETE", "/applications/{id}", "clean-up: the application"),
];

/// Application types the proxy provisions and manages; a worker's credentials never reach a
/// `WORKER` (or any other) application through it.
pub const MANAGED_APPLICATION_TYPES: &[&str] = &["WEB_APP", "SINGLE_PAGE_APP", "NATIVE_APP"];

/// Grant types an application created through the proxy may have.
pub const MANAGED_GRANT_TYPES: &[&str] = &["AUTHORIZATION_CODE", "REFRESH_TOKEN"];

/// Grant types the page may use at `/as/token` through the proxy in worker mode.
pub const PAGE_GRANT_TYPES: &[&str] = &["authorization_code", "refresh_token"];

/// Why a request is refused in worker mode (always 403 with a JSON body).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Denied {
    #[error("this proxy manages environment {0} only")]
    Environment(String),
    #[error("{0} {1} is not one of the workflow's management operations")]
    Operation(String, String),
    #[error("this query is not accepted on {0}: only `filter={1} eq \"...\"`, or none")]
    Query(&'static str, &'static str),
    #[error("this query is not accepted on {0}")]
    NoQuery(&'static str),
    #[error("the proxy holds the worker credentials: send management calls without an Authorization header")]
    ClientAuthorization,
    #[error("origin not allowed for management calls through this proxy")]
    Origin,
    #[error("the worker application itself cannot be managed through this proxy")]
    WorkerApplication,
    #[error("only applications of type {} are managed through this proxy", MANAGED_APPLICATION_TYPES.join(", "))]
    ApplicationType,
    #[error("application body refused: {0}")]
    ApplicationBody(String),
    #[error("grant_type {0} is not accepted at /as/token through this proxy (worker credentials stay in the proxy)")]
    GrantType(String),
    #[error("the /as/token request must be application/x-www-form-urlencoded with exactly one grant_type")]
    TokenRequestShape,
}

impl Denied {
    pub fn code(&self) -> &'static str {
        match self {
            Denied::Environment(_) => "ENVIRONMENT_NOT_ALLOWED",
            Denied::Operation(..) => "OPERATION_NOT_ALLOWED",
            Denied::Query(..) | Denied::NoQuery(_) => "QUERY_NOT_ALLOWED",
            Denied::ClientAuthorization => "CLIENT_AUTHORIZATION_REFUSED",
            Denied::Origin => "ORIGIN_NOT_ALLOWED",
            Denied::WorkerApplication => "WORKER_APPLICATION_REFUSED",
            Denied::ApplicationType => "APPLICATION_TYPE_NOT_ALLOWED",
            Denied::ApplicationBody(_) => "APPLICATION_BODY_REFUSED",
            Denied::GrantType(_) => "GRANT_TYPE_NOT_ALLOWED",
            Denied::TokenRequestShape => "TOKEN_REQUEST_REFUSED",
        }
    }
}

/// A management request that is one of [`OPERATIONS`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allowed<'a> {
    pub operation: &'static Operation,
    /// The application id, for operations under `/applications/{id}`.
    pub application_id: Option<&'a str>,
}

/// Checks a management request (`path` as forwarded upstream, e.g.
/// `/v1/environments/{env}/users`, still percent-encoded; `query` raw).
pub fn check_management<'a>(config: &WorkerConfig, method: &str, path: &'a str, query: Option<&str>) -> Result<Allowed<'a>, Denied> {
    let rest = path.strip_prefix("/v1/environments/").ok_or_else(|| Denied::Operation(method.to_string(), path.to_string()))?;
    let (env, under) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    if env != config.environment_id {
        return Err(Denied::Environment(config.environment_id.clone()));
    }
    let segments: Vec<&str> = under.split('/').skip(1).collect();
    let operation = OPERATIONS
        .iter()
        .find(|o| o.method == method && template_matches(o.path, &segments))
        .ok_or_else(|| Denied::Operation(method.to_string(), format!("/v1/environments/{{env}}{}", crate::route::route_template(under))))?;
    check_query(operation, query)?;
    let application_id = match segments.as_slice() {
        ["applications", id, ..] if operation.path.starts_with("/applications/{id}") => Some(*id),
        _ => None,
    };
    if application_id.is_some_and(|id| id.eq_ignore_ascii_case(&config.client_id)) {
        return Err(Denied::WorkerApplication);
    }
    Ok(Allowed { operation, application_id })
}

fn template_matches(template: &str, segments: &[&str]) -> bool {
    let parts: Vec<&str> = template.split('/').skip(1).collect();
    parts.len() == segments.len() && parts.iter().zip(segments).all(|(t, s)| if *t == "{id}" { is_uuid(s) } else { t == s })
}

fn check_query(operation: &'static Operation, query: Option<&str>) -> Result<(), Denied> {
    let Some(query) = query.filter(|q| !q.is_empty()) else { return Ok(()) };
    match operation.query {
        QueryRule::Empty => Err(Denied::NoQuery(operation.path)),
        QueryRule::ScimEq(attribute) => {
            let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes()).into_owned().collect();
            match pairs.as_slice() {
                [(k, v)] if k == "filter" && is_scim_eq(v, attribute) => Ok(()),
                _ => Err(Denied::Query(operation.path, attribute)),
            }
        }
    }
}

/// `attribute eq "literal"` where the literal escapes `"` and `\` with a backslash and holds no
/// other unescaped quote (so nothing can follow it: no `and`, `or`, `sw`, `pr`...).
pub fn is_scim_eq(filter: &str, attribute: &str) -> bool {
    let Some(literal) = filter.strip_prefix(attribute).and_then(|r| r.strip_prefix(" eq \"")).and_then(|r| r.strip_suffix('"')) else {
        return false;
    };
    let mut chars = literal.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('"' | '\\') => {}
                _ => return false,
            },
            '"' => return false,
            c if c.is_control() => return false,
            _ => {}
        }
    }
    true
}

/// `POST /applications` (call 1): the body must be a JSON object creating a managed type
/// (never a `WORKER`), with only managed grant types and no `assignActorRoles`. Returns the body
/// re-serialised from what was checked, so PingOne reads exactly that (no duplicate keys, no
/// escapes read differently).
pub fn check_application_body(body: &[u8]) -> Result<Vec<u8>, Denied> {
    let refuse = |why: &str| Denied::ApplicationBody(why.to_string());
    let value: Value = serde_json::from_slice(body).map_err(|_| refuse("not a JSON object"))?;
    let obj = value.as_object().ok_or_else(|| refuse("not a JSON object"))?;
    match obj.get("type").and_then(Value::as_str) {
        Some(t) if MANAGED_APPLICATION_TYPES.contains(&t) => {}
        _ => return Err(refuse(&format!("type must be one of {}", MANAGED_APPLICATION_TYPES.join(", ")))),
    }
    match obj.get("grantTypes") {
        None => {}
        Some(Value::Array(grants)) if grants.iter().all(|g| g.as_str().is_some_and(|g| MANAGED_GRANT_TYPES.contains(&g))) => {}
        Some(_) => return Err(refuse(&format!("grantTypes must be among {}", MANAGED_GRANT_TYPES.join(", ")))),
    }
    match obj.get("assignActorRoles") {
        None | Some(Value::Bool(false)) => {}
        Some(_) => return Err(refuse("assignActorRoles is not accepted")),
    }
    serde_json::to_vec(&value).map_err(|_| refuse("not a JSON object"))
}

/// Is this auth-host path the token endpoint (`/{env}/as/token`)? Read the way a server may read
/// it: with or without a final `/`, any case, percent-decoded, `;parameters` cut off.
pub fn is_token_endpoint(path: &str) -> bool {
    let norm = |seg: &str| -> String {
        let decoded = percent_encoding::percent_decode_str(seg).decode_utf8_lossy();
        decoded.split(';').next().unwrap_or_default().to_ascii_lowercase()
    };
    let mut segs = path.trim_end_matches('/').split('/').skip(1);
    let (_env, area, name, more) = (segs.next(), segs.next(), segs.next(), segs.next());
    more.is_none() && area.is_some_and(|a| norm(a) == "as") && name.is_some_and(|n| norm(n) == "token")
}

/// The page's `/as/token` call in worker mode: form-encoded, exactly one `grant_type` (body and
/// query together), and it must be one the page needs for its own application
/// (`authorization_code`, `refresh_token`). `client_credentials` is refused: worker tokens are
/// the proxy's business, and the proxy must not be an oracle for guessing worker secrets.
pub fn check_page_token_request(content_type: Option<&str>, query: Option<&str>, body: &[u8]) -> Result<(), Denied> {
    let form = content_type
        .and_then(|ct| ct.split(';').next())
        .is_some_and(|ct| ct.trim().eq_ignore_ascii_case("application/x-www-form-urlencoded"));
    if !form {
        return Err(Denied::TokenRequestShape);
    }
    let grants: Vec<String> = url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .chain(url::form_urlencoded::parse(body))
        .filter(|(k, _)| k == "grant_type")
        .map(|(_, v)| v.into_owned())
        .collect();
    match grants.as_slice() {
        [g] if PAGE_GRANT_TYPES.contains(&g.as_str()) => Ok(()),
        [g] => Err(Denied::GrantType(g.chars().filter(|c| c.is_ascii_graphic()).take(40).collect())),
        _ => Err(Denied::TokenRequestShape),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ENV: &str = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";
    const OTHER_ENV: &str = "11111111-2222-4333-8444-555555555555";
    const ID: &str = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee";
    const WORKER: &str = "99999999-8888-4777-8666-555555555555";

    fn config() -> WorkerConfig {
        WorkerConfig::new(WORKER, WorkerSecret::new("s3cret"), ENV, Region::Na)
    }

    fn check(method: &str, path: &str) -> Result<&'static str, Denied> {
        let (path, query) = match path.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (path, None),
        };
        let full = format!("/v1/environments/{path}");
        check_management(&config(), method, &full, query).map(|a| a.operation.path)
    }

    #[test]
    fn every_workflow_operation_is_allowed() {
        let e = ENV;
        let i = ID;
        let allowed: Vec<(&str, String)> = vec![
            ("POST", format!("{e}/applications")),
            ("GET", format!("{e}/applications")),
            ("GET", format!("{e}/resources")),
            ("GET", format!("{e}/resources/{i}/scopes")),
            ("POST", format!("{e}/applications/{i}/grants")),
            ("GET", format!("{e}/applications/{i}/grants")),
            ("POST", format!("{e}/signOnPolicies")),
            ("GET", format!("{e}/signOnPolicies")),
            ("POST", format!("{e}/signOnPolicies/{i}/actions")),
            ("GET", format!("{e}/signOnPolicies/{i}/actions")),
            ("POST", format!("{e}/applications/{i}/signOnPolicyAssignments")),
            ("GET", format!("{e}/applications/{i}/signOnPolicyAssignments")),
            ("POST", format!("{e}/populations")),
            ("GET", format!("{e}/populations?filter=name+eq+%22Workbench+users%22")),
            ("GET", format!("{e}/populations")),
            ("POST", format!("{e}/users")),
            ("GET", format!("{e}/users?filter=username+eq+%22a%5C%22b%22")),
            ("PUT", format!("{e}/users/{i}/password")),
            ("PUT", format!("{e}/users/{i}/mfaEnabled")),
            ("POST", format!("{e}/users/{i}/devices")),
            ("GET", format!("{e}/users/{i}/devices")),
            ("POST", format!("{e}/users/{i}/devices/{i}")),
            ("GET", format!("{e}/applications/{i}/secret")),
            ("DELETE", format!("{e}/users/{i}/devices/{i}")),
            ("DELETE", format!("{e}/users/{i}")),
            ("DELETE", format!("{e}/populations/{i}")),
            ("DELETE", format!("{e}/applications/{i}/signOnPolicyAssignments/{i}")),
            ("DELETE", format!("{e}/signOnPolicies/{i}")),
            ("DELETE", format!("{e}/applications/{i}")),
        ];
        for (m, p) in &allowed {
            assert!(check(m, p).is_ok(), "{m} {p}: {:?}", check(m, p));
        }
        // Every row of the table is exercised by the list above.
        for o in OPERATIONS {
            assert!(allowed.iter().any(|(m, p)| *m == o.method && check(m, p) == Ok(o.path)), "{o:?} untested");
        }
    }

    #[test]
    fn everything_else_is_denied() {
        let (e, i, o, w) = (ENV, ID, OTHER_ENV, WORKER);
        let op = |m: &str, p: &str| Denied::Operation(m.into(), p.into());
        let cases: Vec<(&str, String, Denied)> = vec![
            ("GET", format!("{o}/applications"), Denied::Environment(ENV.into())),
            ("POST", format!("{o}/users"), Denied::Environment(ENV.into())),
            ("GET", ENV.to_uppercase() + "/users", Denied::Environment(ENV.into())),
            ("GET", e.to_string(), op("GET", "/v1/environments/{env}")),
            ("DELETE", e.to_string(), op("DELETE", "/v1/environments/{env}")),
            ("GET", format!("{e}/"), op("GET", "/v1/environments/{env}/")),
            ("GET", format!("{e}/roleAssignments"), op("GET", "/v1/environments/{env}/roleAssignments")),
            ("POST", format!("{e}/applications/{i}/roleAssignments"), op("POST", "/v1/environments/{env}/applications/{id}/roleAssignments")),
            ("GET", format!("{e}/users/{i}"), op("GET", "/v1/environments/{env}/users/{id}")),
            ("GET", format!("{e}/users/{i}/password"), op("GET", "/v1/environments/{env}/users/{id}/password")),
            ("GET", format!("{e}/users/{i}/sessions"), op("GET", "/v1/environments/{env}/users/{id}/sessions")),
            ("PUT", format!("{e}/users/{i}"), op("PUT", "/v1/environments/{env}/users/{id}")),
            ("POST", format!("{e}/users/{i}/password"), op("POST", "/v1/environments/{env}/users/{id}/password")),
            ("GET", format!("{e}/applications/{i}"), op("GET", "/v1/environments/{env}/applications/{id}")),
            ("PUT", format!("{e}/applications/{i}"), op("PUT", "/v1/environments/{env}/applications/{id}")),
            ("POST", format!("{e}/applications/{i}/secret"), op("POST", "/v1/environments/{env}/applications/{id}/secret")),
            ("DELETE", format!("{e}/applications/{i}/grants/{i}"), op("DELETE", "/v1/environments/{env}/applications/{id}/grants/{id}")),
            ("GET", format!("{e}/users/me/devices"), op("GET", "/v1/environments/{env}/users/me/devices")),
            ("GET", format!("{e}/resources/not-an-id/scopes"), op("GET", "/v1/environments/{env}/resources/not-an-id/scopes")),
            ("POST", format!("{e}/resources"), op("POST", "/v1/environments/{env}/resources")),
            ("GET", format!("{e}/passwordPolicies"), op("GET", "/v1/environments/{env}/passwordPolicies")),
            ("GET", format!("{e}/users?filter=username+sw+%22%22"), Denied::Query("/users", "username")),
            ("GET", format!("{e}/users?filter=username+eq+%22a%22+or+username+pr"), Denied::Query("/users", "username")),
            ("GET", format!("{e}/users?filter=username+eq+%22a%22&limit=1000"), Denied::Query("/users", "username")),
            ("GET", format!("{e}/users?filter=email+eq+%22a%40b%22"), Denied::Query("/users", "username")),
            ("GET", format!("{e}/populations?filter=username+eq+%22a%22"), Denied::Query("/populations", "name")),
            ("GET", format!("{e}/applications?limit=1"), Denied::NoQuery("/applications")),
            ("GET", format!("{e}/applications/{w}/secret"), Denied::WorkerApplication),
            ("DELETE", format!("{e}/applications/{w}"), Denied::WorkerApplication),
            ("POST", format!("{e}/applications/{w}/grants"), Denied::WorkerApplication),
        ];
        for (m, p, want) in cases {
            assert_eq!(check(m, &p), Err(want.clone()), "{m} {p}");
        }
        assert!(matches!(check_management(&config(), "GET", "/v1/organizations", None), Err(Denied::Operation(..))));
    }

    #[test]
    fn scim_literals_cannot_be_escaped() {
        assert!(is_scim_eq(r#"username eq "alice""#, "username"));
        assert!(is_scim_eq(r#"username eq "a\"b\\c""#, "username"));
        for bad in [r#"username eq "a" or "b""#, r#"username eq "a\""#, r#"username eq "a\x""#, "username eq \"a\u{0}\"", r#"username  eq "a""#, r#"name eq "a""#] {
            assert!(!is_scim_eq(bad, "username"), "{bad}");
        }
    }

    #[test]
    fn application_bodies_create_only_managed_apps() {
        let ok = br#"{"name":"a","type":"WEB_APP","protocol":"OPENID_CONNECT","grantTypes":["AUTHORIZATION_CODE"],"enabled":true}"#;
        let canonical: Value = serde_json::from_slice(&check_application_body(ok).unwrap()).unwrap();
        assert_eq!(canonical["type"], "WEB_APP");
        for bad in [
            &br#"{"name":"a","type":"WORKER","protocol":"OPENID_CONNECT"}"#[..],
            br#"{"name":"a","type":"WEB_APP","type":"WORKER"}"#,
            br#"{"name":"a","type":"SERVICE"}"#,
            br#"{"name":"a"}"#,
            br#"{"name":"a","type":"WEB_APP","grantTypes":["CLIENT_CREDENTIALS"]}"#,
            br#"{"name":"a","type":"WEB_APP","grantTypes":"AUTHORIZATION_CODE"}"#,
            br#"{"name":"a","type":"WEB_APP","assignActorRoles":true}"#,
            br#"[{"type":"WEB_APP"}]"#,
            b"not json",
        ] {
            assert!(check_application_body(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
        // Duplicate keys: what is forwarded is what was checked (the last value), not the raw text.
        let dup = br#"{"type":"WORKER","type":"WEB_APP","name":"a"}"#;
        let sent = String::from_utf8(check_application_body(dup).unwrap()).unwrap();
        assert_eq!(sent.matches("\"type\"").count(), 1, "{sent}");
        assert!(!sent.contains("WORKER"));
    }

    #[test]
    fn the_page_cannot_mint_worker_tokens() {
        let form = Some("application/x-www-form-urlencoded; charset=UTF-8");
        assert_eq!(check_page_token_request(form, None, b"grant_type=authorization_code&code=c&redirect_uri=x"), Ok(()));
        assert_eq!(check_page_token_request(form, None, b"grant_type=refresh_token&refresh_token=r"), Ok(()));
        type Case<'a> = (Option<&'a str>, Option<&'a str>, &'a [u8], Denied);
        let cases: Vec<Case> = vec![
            (form, None, b"grant_type=client_credentials", Denied::GrantType("client_credentials".into())),
            (form, None, b"grant_type=client%5Fcredentials", Denied::GrantType("client_credentials".into())),
            (form, None, b"grant_type=password&username=a", Denied::GrantType("password".into())),
            (form, None, b"grant_type=authorization_code&grant_type=client_credentials", Denied::TokenRequestShape),
            (form, Some("grant_type=client_credentials"), b"grant_type=authorization_code", Denied::TokenRequestShape),
            (form, None, b"code=c", Denied::TokenRequestShape),
            (Some("application/json"), None, br#"{"grant_type":"client_credentials"}"#, Denied::TokenRequestShape),
            (None, None, b"grant_type=authorization_code", Denied::TokenRequestShape),
        ];
        for (ct, q, body, want) in cases {
            assert_eq!(check_page_token_request(ct, q, body), Err(want), "{}", String::from_utf8_lossy(body));
        }
        assert!(is_token_endpoint(&format!("/{ENV}/as/token")));
        assert!(is_token_endpoint(&format!("/{ENV}/as/token/")));
        assert!(is_token_endpoint(&format!("/{ENV}/AS/Token")));
        assert!(is_token_endpoint(&format!("/{ENV}/as/token;jsessionid=x")));
        assert!(is_token_endpoint(&format!("/{ENV}/%61s/t%6Fken")));
        assert!(is_token_endpoint(&format!("/{ENV}/as;x/token")));
        assert!(!is_token_endpoint(&format!("/{ENV}/as/authorize")));
        assert!(!is_token_endpoint(&format!("/{ENV}/flows/x")));
    }

    #[test]
    fn configuration_from_the_environment() {
        let vars = |extra: &[(&'static str, &'static str)]| {
            let mut v: Vec<(&'static str, &'static str)> = vec![(ENV_CLIENT_ID, WORKER), (ENV_CLIENT_SECRET, "s3cret"), (ENV_ENVIRONMENT_ID, ENV)];
            v.extend_from_slice(extra);
            move |k: &str| v.iter().rev().find(|(n, _)| *n == k).map(|(_, val)| val.to_string())
        };
        let c = WorkerConfig::from_env(vars(&[]), &[Region::Eu]).unwrap();
        assert_eq!((c.region, c.environment_id.as_str(), c.token_environment()), (Region::Eu, ENV, ENV));
        assert!(!format!("{c:?}").contains("s3cret"), "{c:?}");
        let c = WorkerConfig::from_env(vars(&[(ENV_REGION, "ca"), (ENV_WORKER_ENVIRONMENT_ID, OTHER_ENV)]), &[]).unwrap();
        assert_eq!((c.region, c.token_environment()), (Region::Ca, OTHER_ENV));
        assert_eq!(WorkerConfig::from_env(vars(&[]), &[]).unwrap_err(), WorkerConfigError::NoRegion);
        assert_eq!(WorkerConfig::from_env(vars(&[]), &Region::ALL).unwrap_err(), WorkerConfigError::NoRegion);
        assert_eq!(WorkerConfig::from_env(vars(&[(ENV_REGION, "eu")]), &[Region::Na]).unwrap_err(), WorkerConfigError::RegionNotEnabled("eu".into()));
        assert_eq!(WorkerConfig::from_env(vars(&[(ENV_REGION, "xx")]), &[]).unwrap_err(), WorkerConfigError::UnknownRegion("xx".into()));
        assert_eq!(WorkerConfig::from_env(vars(&[(ENV_CLIENT_SECRET, "")]), &[Region::Na]).unwrap_err(), WorkerConfigError::Missing(ENV_CLIENT_SECRET));
        assert_eq!(WorkerConfig::from_env(vars(&[(ENV_CLIENT_SECRET, "a b")]), &[Region::Na]).unwrap_err(), WorkerConfigError::BadValue(ENV_CLIENT_SECRET));
        assert_eq!(WorkerConfig::from_env(vars(&[(ENV_ENVIRONMENT_ID, "../x")]), &[Region::Na]).unwrap_err(), WorkerConfigError::NotAnId(ENV_ENVIRONMENT_ID));
        let err = WorkerConfig::from_env(vars(&[(ENV_CLIENT_SECRET, "a b")]), &[Region::Na]).unwrap_err().to_string();
        assert!(!err.contains("a b"), "{err}");
    }
}

//! The management API, `/v1/environments/{envId}/...` (calls 1–13 and 19 of the workflow, plus
//! the reads and clean-up deletes around them). Every call needs a bearer token the sandbox
//! issued to a worker application, unexpired.

mod applications;
mod policies;
mod users;

pub(crate) use users::{password_policy_error, password_problems};

use crate::errors::{Detail, P1Error, Result};
use crate::http::{json_response, links, Incoming, JSON};
use crate::Engine;
use pingone::http::{HttpResponse, Method};
use serde_json::{json, Map, Value};

/// Builds absolute management hrefs from the request's origin.
pub(crate) struct Hrefs {
    env_base: String,
}

impl Hrefs {
    fn new(origin: &str, env: &str) -> Hrefs {
        Hrefs { env_base: format!("{origin}/v1/environments/{env}") }
    }
    /// `{origin}/v1/environments/{env}{path}`.
    pub fn at(&self, path: &str) -> String {
        format!("{}{path}", self.env_base)
    }
    pub fn env(&self) -> String {
        self.env_base.clone()
    }
}

/// The management resources the sandbox knows, with their path ids.
#[derive(Debug, Clone, Copy)]
enum Route<'a> {
    Environment,
    Applications,
    Application(&'a str),
    ApplicationSecret(&'a str),
    Grants(&'a str),
    Grant(&'a str, &'a str),
    Assignments(&'a str),
    Assignment(&'a str, &'a str),
    Resources,
    Resource(&'a str),
    Scopes(&'a str),
    Scope(&'a str, &'a str),
    SignOnPolicies,
    SignOnPolicy(&'a str),
    Actions(&'a str),
    Action(&'a str, &'a str),
    Populations,
    Population(&'a str),
    Users,
    User(&'a str),
    UserPassword(&'a str),
    UserMfaEnabled(&'a str),
    Devices(&'a str),
    Device(&'a str, &'a str),
    DevicePolicies,
    DevicePolicy(&'a str),
    PasswordPolicies,
    PasswordPolicy(&'a str),
}

impl<'a> Route<'a> {
    fn parse(rest: &[&'a str]) -> Option<Route<'a>> {
        use Route::*;
        let nonempty = |s: &&str| !s.is_empty();
        Some(match rest {
            [] => Environment,
            ["applications"] => Applications,
            ["applications", a] if nonempty(a) => Application(a),
            ["applications", a, "secret"] => ApplicationSecret(a),
            ["applications", a, "grants"] => Grants(a),
            ["applications", a, "grants", g] if nonempty(g) => Grant(a, g),
            ["applications", a, "signOnPolicyAssignments"] => Assignments(a),
            ["applications", a, "signOnPolicyAssignments", s] if nonempty(s) => Assignment(a, s),
            ["resources"] => Resources,
            ["resources", r] if nonempty(r) => Resource(r),
            ["resources", r, "scopes"] => Scopes(r),
            ["resources", r, "scopes", s] if nonempty(s) => Scope(r, s),
            ["signOnPolicies"] => SignOnPolicies,
            ["signOnPolicies", p] if nonempty(p) => SignOnPolicy(p),
            ["signOnPolicies", p, "actions"] => Actions(p),
            ["signOnPolicies", p, "actions", a] if nonempty(a) => Action(p, a),
            ["populations"] => Populations,
            ["populations", p] if nonempty(p) => Population(p),
            ["users"] => Users,
            ["users", u] if nonempty(u) => User(u),
            ["users", u, "password"] => UserPassword(u),
            ["users", u, "mfaEnabled"] => UserMfaEnabled(u),
            ["users", u, "devices"] => Devices(u),
            ["users", u, "devices", d] if nonempty(d) => Device(u, d),
            ["deviceAuthenticationPolicies"] => DevicePolicies,
            ["deviceAuthenticationPolicies", p] if nonempty(p) => DevicePolicy(p),
            ["passwordPolicies"] => PasswordPolicies,
            ["passwordPolicies", p] if nonempty(p) => PasswordPolicy(p),
            _ => return None,
        })
    }

    fn methods(self) -> &'static [&'static str] {
        use Route::*;
        match self {
            Environment | ApplicationSecret(_) | Resources | Resource(_) | Scopes(_) | Scope(..) | DevicePolicies | DevicePolicy(_)
            | PasswordPolicies | PasswordPolicy(_) => &["GET"],
            Applications | Grants(_) | Assignments(_) | SignOnPolicies | Actions(_) | Populations | Users | Devices(_) => &["GET", "POST"],
            Application(_) | Grant(..) | Assignment(..) | SignOnPolicy(_) | Action(..) | Population(_) | User(_) => &["GET", "DELETE"],
            UserPassword(_) | UserMfaEnabled(_) => &["GET", "PUT"],
            Device(..) => &["GET", "POST", "DELETE"],
        }
    }
}

impl Engine {
    /// Everything under `/v1`.
    pub(crate) fn management(&mut self, req: &Incoming<'_>, rest: &[&str], now: u64) -> Result<HttpResponse> {
        self.authenticate_worker(req, now)?;
        let (env, rest) = match rest {
            ["environments", env, rest @ ..] => (*env, rest),
            _ => return Err(P1Error::not_found("the requested resource").into()),
        };
        if env != self.store.env.id {
            return Err(P1Error::not_found(&format!("environment with id {env}")).into());
        }
        let route = Route::parse(rest).ok_or_else(|| P1Error::not_found("the requested resource"))?;
        if !route.methods().contains(&req.method.as_str()) {
            return Err(P1Error::method_not_allowed(route.methods()).into());
        }
        let h = Hrefs::new(&req.origin, env);
        use Method::*;
        use Route as R;
        match (route, req.method) {
            (R::Environment, _) => Ok(json_response(200, &self.environment_json(&h))),
            (R::Applications, Get) => self.list_applications(&h, req),
            (R::Applications, _) => self.create_application(&h, req, now),
            (R::Application(a), Get) => self.read_application(&h, a),
            (R::Application(a), _) => self.delete_application(a),
            (R::ApplicationSecret(a), _) => self.read_application_secret(&h, a),
            (R::Grants(a), Get) => self.list_grants(&h, req, a),
            (R::Grants(a), _) => self.create_grant(&h, req, a, now),
            (R::Grant(a, g), Get) => self.read_grant(&h, a, g),
            (R::Grant(a, g), _) => self.delete_grant(a, g),
            (R::Assignments(a), Get) => self.list_assignments(&h, req, a),
            (R::Assignments(a), _) => self.create_assignment(&h, req, a),
            (R::Assignment(a, s), Get) => self.read_assignment(&h, a, s),
            (R::Assignment(a, s), _) => self.delete_assignment(a, s),
            (R::Resources, _) => self.list_resources(&h, req),
            (R::Resource(r), _) => self.read_resource(&h, req, r),
            (R::Scopes(r), _) => self.list_scopes(&h, req, r),
            (R::Scope(r, s), _) => self.read_scope(&h, r, s),
            (R::SignOnPolicies, Get) => self.list_policies(&h, req),
            (R::SignOnPolicies, _) => self.create_policy(&h, req, now),
            (R::SignOnPolicy(p), Get) => self.read_policy(&h, p),
            (R::SignOnPolicy(p), _) => self.delete_policy(p),
            (R::Actions(p), Get) => self.list_actions(&h, req, p),
            (R::Actions(p), _) => self.create_action(&h, req, p),
            (R::Action(p, a), Get) => self.read_action(&h, p, a),
            (R::Action(p, a), _) => self.delete_action(p, a),
            (R::Populations, Get) => self.list_populations(&h, req),
            (R::Populations, _) => self.create_population(&h, req, now),
            (R::Population(p), Get) => self.read_population(&h, p),
            (R::Population(p), _) => self.delete_population(p),
            (R::Users, Get) => self.list_users(&h, req),
            (R::Users, _) => self.create_user(&h, req, now),
            (R::User(u), Get) => self.read_user(&h, u),
            (R::User(u), _) => self.delete_user(u),
            (R::UserPassword(u), Get) => self.read_password(&h, u, now),
            (R::UserPassword(u), _) => self.set_password(&h, req, u, now),
            (R::UserMfaEnabled(u), Get) => self.read_mfa_enabled(&h, u),
            (R::UserMfaEnabled(u), _) => self.update_mfa_enabled(&h, req, u, now),
            (R::Devices(u), Get) => self.list_devices(&h, req, u),
            (R::Devices(u), _) => self.create_device(&h, req, u, now),
            (R::Device(u, d), Get) => self.read_device(&h, u, d),
            (R::Device(u, d), Post) => self.activate_device(&h, req, u, d, now),
            (R::Device(u, d), _) => self.delete_device(u, d),
            (R::DevicePolicies, _) => self.list_device_policies(&h, req),
            (R::DevicePolicy(p), _) => self.read_device_policy(&h, p),
            (R::PasswordPolicies, _) => self.list_password_policies(&h, req),
            (R::PasswordPolicy(p), _) => self.read_password_policy(&h, p),
        }
    }

    /// A bearer token this sandbox issued to a worker application, not expired.
    pub(crate) fn authenticate_worker(&self, req: &Incoming<'_>, now: u64) -> Result<(), P1Error> {
        let token = req.bearer().ok_or_else(P1Error::invalid_token)?;
        let issued = self.store.tokens.iter().find(|t| t.token == token).ok_or_else(P1Error::invalid_token)?;
        let worker = self.store.application(&issued.client_id).is_some_and(|a| a.is_worker());
        if issued.expires_at <= now || issued.user_id.is_some() || !worker {
            return Err(P1Error::invalid_token());
        }
        Ok(())
    }

    pub(crate) fn env_ref(&self) -> Value {
        json!({ "id": self.store.env.id })
    }

    fn environment_json(&self, h: &Hrefs) -> Value {
        let env = &self.store.env;
        json!({
            "_links": links(&[("self", h.env()), ("applications", h.at("/applications")), ("users", h.at("/users")), ("populations", h.at("/populations"))]),
            "id": env.id,
            "name": env.name,
            "organization": { "id": env.organization_id },
            "region": "NA",
            "type": env.environment_type,
            "createdAt": crate::clock::iso8601(crate::store::SEEDED_AT),
            "updatedAt": crate::clock::iso8601(crate::store::SEEDED_AT),
        })
    }
}

/// The body as JSON when its `Content-Type` is one of `allowed`, else 415.
pub(crate) fn json_body(req: &Incoming<'_>, allowed: &[&str]) -> Result<Map<String, Value>, P1Error> {
    let media = req.media_type();
    match media.as_deref() {
        Some(m) if allowed.contains(&m) => req.json_object(),
        _ => Err(P1Error::unsupported_media_type(req.header("content-type"), allowed)),
    }
}

/// `application/json` bodies.
pub(crate) fn plain_json(req: &Incoming<'_>) -> Result<Map<String, Value>, P1Error> {
    json_body(req, &[JSON])
}

/// A SCIM-like `filter` (`attr eq "value"` or `attr sw "value"`), as PingOne's list calls take.
pub(crate) struct Filter {
    attribute: String,
    op: FilterOp,
    value: String,
}

#[derive(PartialEq, Eq)]
enum FilterOp {
    Eq,
    Sw,
}

impl Filter {
    /// Reads `?filter=`; `attributes` are the ones this collection supports.
    fn from_query(req: &Incoming<'_>, attributes: &[&str]) -> Result<Option<Filter>, P1Error> {
        let Some(text) = req.query_param("filter") else { return Ok(None) };
        let bad = |why: &str| {
            P1Error::invalid_one(
                Detail::invalid("filter", format!("Unsupported filter: {why}."))
                    .with("allowedValues", attributes.iter().map(|a| Value::String(a.to_string())).collect::<Vec<_>>()),
            )
        };
        let text = text.trim();
        let (attribute, rest) = text.split_once(char::is_whitespace).ok_or_else(|| bad("expected `attribute eq \"value\"`"))?;
        let (op, value) = rest.trim_start().split_once(char::is_whitespace).ok_or_else(|| bad("expected `attribute eq \"value\"`"))?;
        let op = match op.to_ascii_lowercase().as_str() {
            "eq" => FilterOp::Eq,
            "sw" => FilterOp::Sw,
            _ => return Err(bad("only the `eq` and `sw` operators are supported")),
        };
        let value = value.trim();
        let value = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')).ok_or_else(|| bad("the value must be a quoted string"))?;
        let value = unescape(value).ok_or_else(|| bad("one `attribute op \"value\"` comparison only (no `and` / `or`)"))?;
        if !attributes.iter().any(|a| a.eq_ignore_ascii_case(attribute)) {
            return Err(bad(&format!("attribute `{attribute}` cannot be filtered on")));
        }
        Ok(Some(Filter { attribute: attribute.to_ascii_lowercase(), op, value }))
    }

    /// For collections PingOne documents no `filter` on: a `filter` is refused (400) rather
    /// than ignored, so a client never mistakes the whole list for the matches.
    fn refuse(req: &Incoming<'_>) -> Result<(), P1Error> {
        match req.query_param("filter") {
            None => Ok(()),
            Some(_) => Err(P1Error::invalid_one(
                Detail::invalid("filter", "This collection does not support filter; list it and match the items yourself.")
                    .with("allowedValues", Vec::<Value>::new()),
            )),
        }
    }

    /// Whether an object passes, given its value for the filtered attribute (case-insensitive,
    /// as PingOne compares names and usernames).
    fn accepts(&self, lookup: impl Fn(&str) -> Option<String>) -> bool {
        let Some(actual) = lookup(&self.attribute) else { return false };
        let (actual, wanted) = (actual.to_lowercase(), self.value.to_lowercase());
        match self.op {
            FilterOp::Eq => actual == wanted,
            FilterOp::Sw => actual.starts_with(&wanted),
        }
    }
}

/// The inside of a SCIM string literal: `\"` and `\\` unescaped; `None` when an unescaped `"`
/// shows that the text holds more than one value (a compound filter).
fn unescape(quoted: &str) -> Option<String> {
    let mut out = String::with_capacity(quoted.len());
    let mut chars = quoted.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push(chars.next().unwrap_or('\\')),
            '"' => return None,
            c => out.push(c),
        }
    }
    Some(out)
}

/// An `EntityArray`: `{_links, _embedded: {key: [...]}, count, size}`, honouring `?limit=`.
pub(crate) fn entity_array(req: &Incoming<'_>, self_href: String, key: &str, items: Vec<Value>) -> Result<HttpResponse> {
    let size = items.len();
    let limit = match req.query_param("limit") {
        None => usize::MAX,
        Some(l) => match l.parse::<usize>() {
            Ok(n) if n >= 1 => n,
            _ => {
                return Err(P1Error::invalid_one(
                    Detail::invalid("limit", "limit must be a positive integer.").with("rangeMinimumValue", 1),
                )
                .into())
            }
        },
    };
    let page: Vec<Value> = items.into_iter().take(limit).collect();
    let href = match req.query.is_empty() {
        true => self_href,
        false => {
            let q: String = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(req.query.iter()).finish();
            format!("{self_href}?{q}")
        }
    };
    let mut embedded = Map::new();
    embedded.insert(key.to_string(), Value::Array(page.clone()));
    Ok(json_response(200, &json!({ "_links": links(&[("self", href)]), "_embedded": embedded, "count": page.len(), "size": size })))
}

/// `Some(value)` in a JSON object, skipping `None`s.
pub(crate) fn put_opt(obj: &mut Value, key: &str, value: Option<Value>) {
    if let (Some(map), Some(v)) = (obj.as_object_mut(), value) {
        map.insert(key.to_string(), v);
    }
}

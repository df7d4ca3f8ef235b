//! Adoption after a lost create: when a create's answer never arrived, the object may exist
//! anyway. Before sending the create again, list the collection it posts to and look for the
//! object by what makes it unique in this run (the same fields the create sends); exactly one
//! match is adopted into state exactly as the create's applier records it.

use super::state::WorkflowState;
use super::{Applied, BuildError, Planned, StepError, StepId};
use crate::error::ApiError;
use crate::http::{HttpRequest, HttpResponse, Method};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What a lookup found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Adoption {
    /// Exactly one match: it is now in state as if the create had answered.
    Adopted { id: String },
    /// No match in the whole collection: the create did not happen; it is safe to send again.
    NotFound,
    /// Several matches: a person must choose (or delete the extras).
    Ambiguous { matches: usize },
    /// No match on this page, but the list has more (`_links.next`): not safe to send again.
    Incomplete,
}

/// How one create step's object is found: the `_embedded` key of its collection, the JSON
/// pointers compared between the create body and each listed object, and an optional SCIM
/// `filter` attribute (with the body field giving its value) that narrows the list.
struct Key {
    step: StepId,
    collection: &'static str,
    fields: &'static [&'static str],
    filter: Option<(&'static str, &'static str)>,
}

/// Every create step of the workflow. Applications and sign-on policies are listed and matched
/// here (PingOne documents no `filter` for them); populations and users are filtered.
const KEYS: [Key; 9] = [
    Key { step: StepId::CreateApplication, collection: "applications", fields: &["/name"], filter: None },
    Key { step: StepId::CreateGrant, collection: "grants", fields: &["/resource/id"], filter: None },
    Key { step: StepId::CreateSignOnPolicy, collection: "signOnPolicies", fields: &["/name"], filter: None },
    Key { step: StepId::CreateLoginAction, collection: "actions", fields: &["/type", "/priority"], filter: None },
    Key { step: StepId::CreateMfaAction, collection: "actions", fields: &["/type", "/priority"], filter: None },
    Key { step: StepId::AssignSignOnPolicy, collection: "signOnPolicyAssignments", fields: &["/signOnPolicy/id"], filter: None },
    Key { step: StepId::CreatePopulation, collection: "populations", fields: &["/name"], filter: Some(("name", "/name")) },
    Key { step: StepId::CreateUser, collection: "users", fields: &["/username"], filter: Some(("username", "/username")) },
    Key { step: StepId::CreateMfaDevice, collection: "devices", fields: &["/type", "/email", "/phone"], filter: None },
];

fn key_of(step: StepId) -> Option<&'static Key> {
    KEYS.iter().find(|k| k.step == step)
}

/// True for the steps that create an object (and so can be looked up after a lost answer).
pub fn creates_object(step: StepId) -> bool {
    key_of(step).is_some()
}

/// The create request the step would send now, and its JSON body.
fn create_request(step: StepId, s: &WorkflowState) -> Result<(HttpRequest, Value), BuildError> {
    let invalid = |message: &str| BuildError::Invalid { field: "lookup", message: message.to_string() };
    match step.build(s)? {
        Planned::Request(r) => {
            let body = r.body.as_deref().and_then(|b| serde_json::from_str(b).ok()).ok_or_else(|| invalid("the create has no JSON body"))?;
            Ok((r, body))
        }
        Planned::Skip(why) => Err(invalid(why)),
    }
}

/// A SCIM string literal: quotes and backslashes escaped.
fn scim_string(v: &str) -> String {
    format!("\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\""))
}

/// The GET that lists the collection the step's create posts to (`None`: the step creates
/// nothing). Same URL and headers as the create, no body, plus a `filter` where PingOne has one.
pub fn build_lookup(step: StepId, s: &WorkflowState) -> Result<Option<HttpRequest>, BuildError> {
    let Some(key) = key_of(step) else { return Ok(None) };
    let (create, body) = create_request(step, s)?;
    let mut url = url::Url::parse(&create.url).map_err(|e| BuildError::Invalid { field: "API base URL", message: e.to_string() })?;
    if let Some((attribute, pointer)) = key.filter {
        if let Some(value) = body.pointer(pointer).and_then(Value::as_str) {
            url.query_pairs_mut().append_pair("filter", &format!("{attribute} eq {}", scim_string(value)));
        }
    }
    let mut lookup = HttpRequest::new(Method::Get, url.to_string());
    for (name, value) in create.headers.iter() {
        match name.to_ascii_lowercase().as_str() {
            "content-type" => {}
            "x-ping-external-transaction-id" => lookup.headers.set(name, format!("{value}-lookup")),
            _ => lookup.headers.push(name, value),
        }
    }
    Ok(Some(lookup))
}

/// Does a listed object carry the create body's value for this field?
fn same(pointer: &str, sent: &Value, listed: Option<&Value>) -> bool {
    let Some(listed) = listed else { return false };
    match (pointer, sent.as_str(), listed.as_str()) {
        // PingOne stores a phone number normalised (`1-512-555-0100` -> `+15125550100`).
        ("/phone", Some(a), Some(b)) => crate::phone::normalize(a).is_some_and(|a| crate::phone::normalize(b) == Some(a)),
        ("/email", Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
        _ => sent == listed,
    }
}

/// Reads the lookup's answer. One match is recorded by the create step's own applier.
pub fn apply_lookup(step: StepId, s: &mut WorkflowState, r: &HttpResponse, now_ms: u64) -> Result<Adoption, StepError> {
    let key = key_of(step).ok_or_else(|| StepError::Workflow(format!("step {} creates nothing to look up", step.number())))?;
    if r.status != 200 {
        return Err(ApiError::from_response(r.status, &r.body).into());
    }
    let malformed = |reason: &str| StepError::from(ApiError::Malformed { status: r.status, reason: reason.to_string() });
    let list: Value = serde_json::from_str(&r.body).map_err(|e| malformed(&e.to_string()))?;
    let (_, body) = create_request(step, s).map_err(|e| StepError::Workflow(e.to_string()))?;
    let items = match list.pointer(&format!("/_embedded/{}", key.collection)) {
        None => &[][..],
        Some(Value::Array(items)) => items.as_slice(),
        Some(_) => return Err(malformed(&format!("_embedded.{} is not a list", key.collection))),
    };
    let matching: Vec<&Value> = items
        .iter()
        .filter(|item| {
            key.fields
                .iter()
                .filter_map(|p| body.pointer(p).map(|sent| (p, sent)))
                .all(|(p, sent)| same(p, sent, item.pointer(p)))
        })
        .collect();
    match matching.as_slice() {
        [] if list.pointer("/_links/next").is_some() => Ok(Adoption::Incomplete),
        [] => Ok(Adoption::NotFound),
        [one] => {
            let id = one.get("id").and_then(Value::as_str).ok_or_else(|| malformed("the matching object has no id"))?.to_string();
            let as_created = HttpResponse { status: 201, headers: r.headers.clone(), body: one.to_string() };
            match step.apply(s, &as_created, now_ms)? {
                Applied::Done => Ok(Adoption::Adopted { id }),
                Applied::Again => Err(StepError::Workflow("the create's applier wanted another call".into())),
            }
        }
        many => Ok(Adoption::Ambiguous { matches: many.len() }),
    }
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;
    use super::*;
    use crate::secret::{AccessToken, Password, WorkerSecret};
    use crate::workflow::{Endpoints, WorkflowConfig, STEPS};
    use crate::Region;
    use serde_json::json;

    fn state() -> WorkflowState {
        let config = WorkflowConfig::new(Endpoints::for_region(Region::Na), "env-1", "worker", "ab12");
        let mut s = WorkflowState::new(config, WorkerSecret::new("w"), Password::new("p"));
        s.secrets.worker_token = Some(AccessToken::new("tok"));
        s.created.population_id = Some("pop-1".into());
        s
    }

    fn list(collection: &str, items: Value) -> HttpResponse {
        let mut r = HttpResponse::new(200);
        r.body = json!({ "_embedded": { collection: items }, "count": 1, "size": 1 }).to_string();
        r
    }

    #[test]
    fn every_create_step_and_only_those_can_be_looked_up() {
        let creates: Vec<u8> = STEPS.iter().filter(|s| creates_object(s.id)).map(|s| s.number()).collect();
        assert_eq!(creates, vec![1, 4, 5, 6, 7, 8, 9, 10, 13]);
        for s in STEPS.iter().filter(|s| creates_object(s.id)) {
            assert!(s.endpoint.starts_with("POST {api}"), "{s:?}");
        }
        assert_eq!(build_lookup(StepId::SetPassword, &state()), Ok(None));
    }

    #[test]
    fn users_and_populations_are_filtered_with_scim_quoting() {
        let mut s = state();
        s.config.username = "a\"b".into();
        let r = build_lookup(StepId::CreateUser, &s).unwrap().unwrap();
        assert_eq!(r.method, Method::Get);
        assert_eq!(r.url, "https://api.pingone.com/v1/environments/env-1/users?filter=username+eq+%22a%5C%22b%22");
        assert_eq!(r.body, None);
        assert_eq!(r.headers.get("authorization"), Some("Bearer tok"));
        assert_eq!(r.headers.get("content-type"), None);
        assert_eq!(r.headers.get("x-ping-external-transaction-id"), Some("workbench-ab12-step10-lookup"));
        let r = build_lookup(StepId::CreateApplication, &s).unwrap().unwrap();
        assert_eq!(r.url, "https://api.pingone.com/v1/environments/env-1/applications");
    }

    #[test]
    fn one_match_is_adopted_none_is_safe_several_are_ambiguous() {
        let mut s = state();
        let name = s.config.population_name.clone();
        let r = list("populations", json!([{"id": "p-x", "name": "Other"}, {"id": "p-2", "name": name}]));
        assert_eq!(apply_lookup(StepId::CreatePopulation, &mut s, &r, 0), Ok(Adoption::Adopted { id: "p-2".into() }));
        assert_eq!(s.created.population_id.as_deref(), Some("p-2"));
        let r = list("populations", json!([{"id": "p-x", "name": name.to_uppercase()}]));
        assert_eq!(apply_lookup(StepId::CreatePopulation, &mut s, &r, 0), Ok(Adoption::NotFound), "names match exactly");
        let r = list("populations", json!([{"id": "a", "name": name}, {"id": "b", "name": name}]));
        assert_eq!(apply_lookup(StepId::CreatePopulation, &mut s, &r, 0), Ok(Adoption::Ambiguous { matches: 2 }));
        let mut r = list("populations", json!([]));
        r.body = json!({"_embedded": {"populations": []}, "_links": {"next": {"href": "x"}}}).to_string();
        assert_eq!(apply_lookup(StepId::CreatePopulation, &mut s, &r, 0), Ok(Adoption::Incomplete));
        let denied = HttpResponse { status: 401, headers: Default::default(), body: r#"{"code":"ACCESS_FAILED","message":"m"}"#.into() };
        assert!(matches!(apply_lookup(StepId::CreatePopulation, &mut s, &denied, 0), Err(StepError::Api(_))));
    }

    #[test]
    fn devices_match_type_and_normalised_phone() {
        let mut s = state();
        s.created.user_id = Some("u-1".into());
        s.config.device_type = crate::models::DeviceType::Sms;
        s.config.device_phone = "+1 512-555-0100".into();
        let r = list("devices", json!([
            {"id": "d-email", "type": "EMAIL", "status": "ACTIVE", "email": "x@example.com"},
            {"id": "d-sms", "type": "SMS", "status": "ACTIVE", "phone": "+15125550100"},
        ]));
        assert_eq!(apply_lookup(StepId::CreateMfaDevice, &mut s, &r, 0), Ok(Adoption::Adopted { id: "d-sms".into() }));
        assert_eq!(s.created.device_status.as_deref(), Some("ACTIVE"));
    }
}

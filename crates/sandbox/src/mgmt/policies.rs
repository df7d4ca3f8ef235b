//! Sign-on policies (call 5) and their LOGIN / MULTI_FACTOR_AUTHENTICATION actions (calls 6, 7),
//! plus read-only MFA device authentication policies and password policies.

use super::{entity_array, plain_json, put_opt, Filter, Hrefs};
use crate::clock::iso8601;
use crate::errors::{Detail, DetailCode, P1Error, Result};
use crate::http::{json_response, links, no_content, Incoming};
use crate::store::{ActionKind, DeviceAuthenticationPolicy, MfaMethods, SignOnPolicy, SignOnPolicyAction, SEEDED_AT};
use crate::validate::Body;
use crate::Engine;
use pingone::http::HttpResponse;
use serde_json::{json, Value};

const ACTION_TYPES: &[&str] = &[
    "LOGIN",
    "MULTI_FACTOR_AUTHENTICATION",
    "IDENTIFIER_FIRST",
    "IDENTITY_PROVIDER",
    "PROGRESSIVE_PROFILING",
    "AGREEMENT",
    "PINGID_WINLOGIN_PASSWORDLESS_AUTHENTICATION",
    "PINGID_AUTHENTICATION",
];
const NO_DEVICE_MODES: &[&str] = &["BLOCK", "BYPASS"];

/// `^[a-zA-Z0-9_. -]+$`, or an absolute URI when the name contains `:` (the spec's rule).
fn is_policy_name(name: &str) -> bool {
    if name.contains(':') {
        return url::Url::parse(name).is_ok();
    }
    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | ' ' | '-'))
}

impl Engine {
    fn policy_json(&self, h: &Hrefs, p: &SignOnPolicy) -> Value {
        let path = format!("/signOnPolicies/{}", p.id);
        let mut v = json!({
            "_links": links(&[("self", h.at(&path)), ("environment", h.env()), ("actions", h.at(&format!("{path}/actions")))]),
            "id": p.id,
            "environment": self.env_ref(),
            "name": p.name,
            "default": p.default,
            "createdAt": iso8601(p.created_at),
            "updatedAt": iso8601(p.updated_at),
        });
        put_opt(&mut v, "description", p.description.clone().map(Value::String));
        v
    }

    fn find_policy(&self, id: &str) -> Result<&SignOnPolicy, P1Error> {
        self.store.policy(id).ok_or_else(|| P1Error::not_found(&format!("sign-on policy with id {id}")))
    }

    pub(super) fn list_policies(&self, h: &Hrefs, req: &Incoming<'_>) -> Result<HttpResponse> {
        let filter = Filter::from_query(req, &["name"])?;
        let items = self
            .store
            .policies
            .iter()
            .filter(|p| filter.as_ref().is_none_or(|f| f.accepts(|_| Some(p.name.clone()))))
            .map(|p| self.policy_json(h, p))
            .collect();
        entity_array(req, h.at("/signOnPolicies"), "signOnPolicies", items)
    }

    pub(super) fn read_policy(&self, h: &Hrefs, id: &str) -> Result<HttpResponse> {
        Ok(json_response(200, &self.policy_json(h, self.find_policy(id)?)))
    }

    /// Call 5: `POST /signOnPolicies` `{name, description?, default?}`.
    pub(super) fn create_policy(&mut self, h: &Hrefs, req: &Incoming<'_>, now: u64) -> Result<HttpResponse> {
        let body = plain_json(req)?;
        let mut b = Body::new(&body);
        let name = b.bounded_string("name", true, 256);
        let description = b.bounded_string("description", false, 1024);
        let default = b.bool("default", false);
        if let Some(n) = &name {
            if !is_policy_name(n) {
                b.push(
                    Detail::invalid("name", "name may contain only letters, digits, `_`, `.`, `-` and spaces (or be an absolute URI).")
                        .with("allowedPattern", "^[a-zA-Z0-9_. -]+$"),
                );
            } else if self.store.policies.iter().any(|p| p.name.eq_ignore_ascii_case(n)) {
                b.push(Detail::not_unique("name", &format!("a sign-on policy named `{n}`")));
            }
        }
        b.finish()?;
        let make_default = default == Some(true);
        if make_default {
            self.store.policies.iter_mut().for_each(|p| p.default = false);
        }
        let policy = SignOnPolicy {
            id: self.ids.uuid(),
            name: name.unwrap_or_default(),
            description,
            default: make_default,
            created_at: now,
            updated_at: now,
        };
        let out = self.policy_json(h, &policy);
        self.store.policies.push(policy);
        Ok(json_response(201, &out))
    }

    pub(super) fn delete_policy(&mut self, id: &str) -> Result<HttpResponse> {
        if self.find_policy(id)?.default {
            return Err(P1Error::invalid_one(Detail::new(
                DetailCode::ConstraintViolation,
                "default",
                "The environment's default sign-on policy cannot be deleted.",
            ))
            .into());
        }
        self.store.policies.retain(|p| p.id != id);
        self.store.actions.retain(|a| a.policy_id != id);
        self.store.assignments.retain(|s| s.policy_id != id);
        Ok(no_content())
    }

    // ---------- actions ----------

    fn action_json(&self, h: &Hrefs, a: &SignOnPolicyAction) -> Value {
        let policy_path = format!("/signOnPolicies/{}", a.policy_id);
        let mut v = json!({
            "_links": links(&[
                ("self", h.at(&format!("{policy_path}/actions/{}", a.id))),
                ("signOnPolicy", h.at(&policy_path)),
                ("environment", h.env()),
            ]),
            "id": a.id,
            "environment": self.env_ref(),
            "signOnPolicy": { "id": a.policy_id },
            "priority": a.priority,
        });
        match &a.kind {
            ActionKind::Login { recovery_enabled, registration_enabled, registration_population_id } => {
                put_opt(&mut v, "type", Some(json!("LOGIN")));
                put_opt(&mut v, "recovery", Some(json!({ "enabled": recovery_enabled })));
                let mut registration = json!({ "enabled": registration_enabled });
                put_opt(&mut registration, "population", registration_population_id.as_ref().map(|id| json!({ "id": id })));
                put_opt(&mut v, "registration", Some(registration));
            }
            ActionKind::MultiFactorAuthentication { methods, device_authentication_policy_id, no_devices_mode } => {
                put_opt(&mut v, "type", Some(json!("MULTI_FACTOR_AUTHENTICATION")));
                if let Some(m) = methods {
                    for (key, value) in [("email", m.email), ("sms", m.sms), ("voice", m.voice), ("authenticator", m.authenticator)] {
                        put_opt(&mut v, key, value.map(|enabled| json!({ "enabled": enabled })));
                    }
                }
                put_opt(&mut v, "deviceAuthenticationPolicy", Some(json!({ "id": device_authentication_policy_id })));
                put_opt(&mut v, "noDevicesMode", Some(json!(no_devices_mode)));
            }
        }
        v
    }

    pub(super) fn list_actions(&self, h: &Hrefs, req: &Incoming<'_>, policy_id: &str) -> Result<HttpResponse> {
        self.find_policy(policy_id)?;
        Filter::refuse(req)?;
        let mut list: Vec<&SignOnPolicyAction> = self.store.actions.iter().filter(|a| a.policy_id == policy_id).collect();
        list.sort_by_key(|a| a.priority);
        let items = list.into_iter().map(|a| self.action_json(h, a)).collect();
        entity_array(req, h.at(&format!("/signOnPolicies/{policy_id}/actions")), "actions", items)
    }

    pub(super) fn read_action(&self, h: &Hrefs, policy_id: &str, id: &str) -> Result<HttpResponse> {
        self.find_policy(policy_id)?;
        let a = self
            .store
            .actions
            .iter()
            .find(|a| a.id == id && a.policy_id == policy_id)
            .ok_or_else(|| P1Error::not_found(&format!("sign-on policy action with id {id}")))?;
        Ok(json_response(200, &self.action_json(h, a)))
    }

    /// Calls 6 and 7: `POST /signOnPolicies/{id}/actions` — LOGIN, or MULTI_FACTOR_AUTHENTICATION
    /// in either shape (per-method switches, or `deviceAuthenticationPolicy: {id}`).
    pub(super) fn create_action(&mut self, h: &Hrefs, req: &Incoming<'_>, policy_id: &str) -> Result<HttpResponse> {
        self.find_policy(policy_id)?;
        let body = plain_json(req)?;
        let mut b = Body::new(&body);
        let priority = b.int("priority", true, 1, 2_147_483_647);
        let action_type = b.one_of("type", true, ACTION_TYPES);
        if let Some(p) = priority {
            if self.store.actions.iter().any(|a| a.policy_id == policy_id && a.priority == p) {
                b.push(Detail::not_unique("priority", &format!("an action with priority {p} in this sign-on policy")));
            }
        }
        let kind = match action_type.as_deref() {
            Some("LOGIN") => self.login_action(&mut b),
            Some("MULTI_FACTOR_AUTHENTICATION") => self.mfa_action(&mut b),
            Some(other) => {
                b.push(
                    Detail::invalid(
                        "type",
                        format!("The sandbox emulates LOGIN and MULTI_FACTOR_AUTHENTICATION actions only, not {other}."),
                    )
                    .with("allowedValues", vec![json!("LOGIN"), json!("MULTI_FACTOR_AUTHENTICATION")]),
                );
                None
            }
            None => None,
        };
        b.finish()?;
        let Some(kind) = kind else {
            return Err(P1Error::invalid_one(Detail::required("type")).into());
        };
        let action = SignOnPolicyAction { id: self.ids.uuid(), policy_id: policy_id.to_string(), priority: priority.unwrap_or(1), kind };
        let out = self.action_json(h, &action);
        self.store.actions.push(action);
        Ok(json_response(201, &out))
    }

    fn login_action(&self, b: &mut Body<'_>) -> Option<ActionKind> {
        let recovery_enabled = match b.object("recovery", false) {
            Some(mut r) => {
                let e = r.bool("enabled", true);
                b.absorb(r);
                e.unwrap_or(false)
            }
            None => false,
        };
        let (registration_enabled, registration_population_id) = match b.object("registration", false) {
            Some(mut r) => {
                let enabled = r.bool("enabled", true).unwrap_or(false);
                let population = r.id_ref("population", false);
                if let Some(pid) = &population {
                    if self.store.population(pid).is_none() {
                        r.push(Detail::invalid("registration.population.id", format!("Unable to find population with id {pid}.")));
                    }
                }
                b.absorb(r);
                (enabled, population)
            }
            None => (false, None),
        };
        Some(ActionKind::Login { recovery_enabled, registration_enabled, registration_population_id })
    }

    fn mfa_action(&self, b: &mut Body<'_>) -> Option<ActionKind> {
        let mut methods = MfaMethods::default();
        let mut any = false;
        for key in ["email", "sms", "voice", "authenticator"] {
            if let Some(mut m) = b.object(key, false) {
                let enabled = m.bool("enabled", false).unwrap_or(false);
                b.absorb(m);
                any = true;
                match key {
                    "email" => methods.email = Some(enabled),
                    "sms" => methods.sms = Some(enabled),
                    "voice" => methods.voice = Some(enabled),
                    _ => methods.authenticator = Some(enabled),
                }
            }
        }
        let policy_id = b.id_ref("deviceAuthenticationPolicy", false);
        let no_devices_mode = b.one_of("noDevicesMode", false, NO_DEVICE_MODES).unwrap_or_else(|| "BLOCK".into());
        let policy_id = match policy_id {
            Some(id) if self.store.device_policy(&id).is_some() => id,
            Some(id) => {
                b.push(Detail::invalid(
                    "deviceAuthenticationPolicy.id",
                    format!("Unable to find device authentication policy with id {id}."),
                ));
                return None;
            }
            None => self.store.default_device_policy().map(|p| p.id.clone()).unwrap_or_default(),
        };
        if any
            && !(methods.email == Some(true)
                || methods.sms == Some(true)
                || methods.voice == Some(true)
                || methods.authenticator == Some(true))
        {
            b.push(Detail::invalid("email", "At least one MFA method must be enabled."));
        }
        Some(ActionKind::MultiFactorAuthentication {
            methods: any.then_some(methods),
            device_authentication_policy_id: policy_id,
            no_devices_mode,
        })
    }

    pub(super) fn delete_action(&mut self, policy_id: &str, id: &str) -> Result<HttpResponse> {
        self.find_policy(policy_id)?;
        let before = self.store.actions.len();
        self.store.actions.retain(|a| !(a.id == id && a.policy_id == policy_id));
        if before == self.store.actions.len() {
            return Err(P1Error::not_found(&format!("sign-on policy action with id {id}")).into());
        }
        Ok(no_content())
    }

    // ---------- device authentication policies, password policies (read-only) ----------

    fn device_policy_json(&self, h: &Hrefs, p: &DeviceAuthenticationPolicy) -> Value {
        let offline = |enabled: bool| {
            json!({
                "enabled": enabled,
                "otp": {
                    "lifeTime": { "duration": p.otp_lifetime_ms / 60_000, "timeUnit": "MINUTES" },
                    "failure": { "count": p.otp_failure_count, "coolDown": { "duration": 0, "timeUnit": "MINUTES" } },
                },
            })
        };
        json!({
            "_links": links(&[("self", h.at(&format!("/deviceAuthenticationPolicies/{}", p.id))), ("environment", h.env())]),
            "id": p.id,
            "environment": self.env_ref(),
            "name": p.name,
            "default": p.default,
            "authentication": { "deviceSelection": p.device_selection },
            "email": offline(p.email),
            "sms": offline(p.sms),
            "voice": offline(p.voice),
            "totp": { "enabled": p.totp, "otp": { "failure": { "count": 3, "coolDown": { "duration": 2, "timeUnit": "MINUTES" } } } },
            "mobile": { "enabled": false },
            "fido2": { "enabled": false },
            "createdAt": iso8601(SEEDED_AT),
            "updatedAt": iso8601(SEEDED_AT),
        })
    }

    pub(super) fn list_device_policies(&self, h: &Hrefs, req: &Incoming<'_>) -> Result<HttpResponse> {
        Filter::refuse(req)?;
        let items = self.store.device_policies.iter().map(|p| self.device_policy_json(h, p)).collect();
        entity_array(req, h.at("/deviceAuthenticationPolicies"), "deviceAuthenticationPolicies", items)
    }

    pub(super) fn read_device_policy(&self, h: &Hrefs, id: &str) -> Result<HttpResponse> {
        let p = self.store.device_policy(id).ok_or_else(|| P1Error::not_found(&format!("device authentication policy with id {id}")))?;
        Ok(json_response(200, &self.device_policy_json(h, p)))
    }

    /// The password policy as PingOne shows it (also embedded in flows).
    pub(crate) fn password_policy_json(&self) -> Value {
        let p = &self.store.password_policy;
        json!({
            "id": p.id,
            "environment": self.env_ref(),
            "name": p.name,
            "default": true,
            "excludesProfileData": true,
            "notSimilarToCurrent": true,
            "excludesCommonlyUsed": true,
            "minComplexity": 7,
            "maxRepeatedCharacters": p.max_repeated_characters,
            "minUniqueCharacters": p.min_unique_characters,
            "length": { "min": p.min_length, "max": p.max_length },
            "minCharacters": {
                "0123456789": 1,
                "ABCDEFGHIJKLMNOPQRSTUVWXYZ": 1,
                "abcdefghijklmnopqrstuvwxyz": 1,
                crate::store::SPECIAL_CHARACTERS: 1,
            },
            "lockout": { "failureCount": p.lockout_failure_count, "durationSeconds": p.lockout_duration_seconds },
            "bypassPolicy": false,
        })
    }

    pub(super) fn list_password_policies(&self, h: &Hrefs, req: &Incoming<'_>) -> Result<HttpResponse> {
        Filter::refuse(req)?;
        let mut v = self.password_policy_json();
        put_opt(&mut v, "_links", Some(links(&[("self", h.at(&format!("/passwordPolicies/{}", self.store.password_policy.id)))])));
        entity_array(req, h.at("/passwordPolicies"), "passwordPolicies", vec![v])
    }

    pub(super) fn read_password_policy(&self, h: &Hrefs, id: &str) -> Result<HttpResponse> {
        if id != self.store.password_policy.id {
            return Err(P1Error::not_found(&format!("password policy with id {id}")).into());
        }
        let mut v = self.password_policy_json();
        put_opt(&mut v, "_links", Some(links(&[("self", h.at(&format!("/passwordPolicies/{id}")))])));
        Ok(json_response(200, &v))
    }
}

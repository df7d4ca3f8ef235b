//! Populations (call 9), users (call 10), the password set (call 11), `mfaEnabled` (call 12) and
//! MFA devices (call 13, with TOTP activation).

use super::{entity_array, json_body, plain_json, put_opt, Filter, Hrefs};
use crate::clock::{iso8601, MINUTE};
use crate::errors::{Detail, DetailCode, P1Error, Result};
use crate::http::{json_response, links, no_content, Incoming, JSON};
use crate::store::{Device, DeviceType, Password, PasswordPolicy, PendingOtp, Population, User, SPECIAL_CHARACTERS};
use crate::validate::{is_email, is_printable, Body};
use crate::{totp, Engine, OutboxMessage};
use pingone::http::HttpResponse;
use serde_json::{json, Map, Value};

pub const USER_IMPORT: &str = "application/vnd.pingidentity.user.import+json";
pub const PASSWORD_SET: &str = "application/vnd.pingidentity.password.set+json";
pub const DEVICE_ACTIVATE: &str = "application/vnd.pingidentity.device.activate+json";
const DEVICE_TYPES: &[&str] = &["EMAIL", "SMS", "VOICE", "TOTP", "MOBILE", "FIDO2", "WHATSAPP", "OATH_TOKEN", "PLATFORM", "SECURITY_KEY"];
/// A newly paired device's secret / activation code is usable for 30 minutes.
const ACTIVATION_LIFETIME: u64 = 30 * MINUTE;
const COMMON_PASSWORDS: &[&str] = &[
    "password1!",
    "p@ssw0rd",
    "p@ssw0rd1",
    "passw0rd!",
    "password123!",
    "qwerty123!",
    "welcome1!",
    "letmein1!",
    "admin123!",
    "changeme1!",
];

/// What a password lacks under the policy (empty when it satisfies it), as
/// `(requirement, explanation)` pairs.
pub(crate) fn password_problems(policy: &PasswordPolicy, value: &str, user: Option<&User>) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    let len = value.chars().count();
    if len < policy.min_length || len > policy.max_length {
        out.push(("length", format!("The password must be between {} and {} characters long.", policy.min_length, policy.max_length)));
    }
    type CharClass = (&'static str, fn(char) -> bool);
    let classes: [CharClass; 4] = [
        ("a digit", |c| c.is_ascii_digit()),
        ("an upper-case letter", |c| c.is_uppercase()),
        ("a lower-case letter", |c| c.is_lowercase()),
        ("a special character", |c| SPECIAL_CHARACTERS.contains(c)),
    ];
    for (what, test) in classes {
        if !value.chars().any(test) {
            out.push(("minCharacters", format!("The password must contain at least {what}.")));
        }
    }
    let chars: Vec<char> = value.chars().collect();
    if chars.windows(policy.max_repeated_characters + 1).any(|w| w.iter().all(|c| *c == w[0])) {
        out.push((
            "maxRepeatedCharacters",
            format!("The password must not repeat a character more than {} times in a row.", policy.max_repeated_characters),
        ));
    }
    let mut unique = chars.clone();
    unique.sort_unstable();
    unique.dedup();
    if unique.len() < policy.min_unique_characters {
        out.push((
            "minUniqueCharacters",
            format!("The password must contain at least {} different characters.", policy.min_unique_characters),
        ));
    }
    if COMMON_PASSWORDS.contains(&value.to_lowercase().as_str()) {
        out.push(("excludesCommonlyUsed", "The password is too commonly used.".into()));
    }
    if let Some(u) = user {
        let lower = value.to_lowercase();
        if lower == u.username.to_lowercase()
            || lower == u.email.to_lowercase()
            || (u.username.len() >= 4 && lower.contains(&u.username.to_lowercase()))
        {
            out.push(("excludesProfileData", "The password must not contain the username or email address.".into()));
        }
    }
    out
}

/// 400 `INVALID_DATA` for a password the policy rejects.
pub(crate) fn password_policy_error(target: &str, problems: Vec<(&'static str, String)>) -> P1Error {
    let requirements: Vec<Value> = problems.iter().map(|(r, _)| json!(r)).collect();
    let message = problems.iter().map(|(_, m)| m.as_str()).collect::<Vec<_>>().join(" ");
    P1Error::invalid_one(
        Detail::invalid(target, format!("The password does not satisfy the password policy requirements. {message}"))
            .with("unsatisfiedRequirements", requirements),
    )
}

fn mask_email(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => {
            let keep: String = local.chars().take(2).collect();
            format!("{keep}*****@{domain}")
        }
        None => "*****".into(),
    }
}

/// A phone as the flow shows it: seven stars, then the last two digits (`*******34`).
fn mask_phone(phone: &str) -> String {
    let digits: Vec<char> = phone.chars().filter(char::is_ascii_digit).collect();
    let last_two: String = digits[digits.len().saturating_sub(2)..].iter().collect();
    format!("*******{last_two}")
}

impl Engine {
    // ---------- populations ----------

    fn population_json(&self, h: &Hrefs, p: &Population) -> Value {
        let user_count = self.store.users.iter().filter(|u| u.population_id == p.id).count();
        let mut v = json!({
            "_links": links(&[("self", h.at(&format!("/populations/{}", p.id))), ("environment", h.env())]),
            "id": p.id,
            "environment": self.env_ref(),
            "name": p.name,
            "default": p.default,
            "userCount": user_count,
            "createdAt": iso8601(p.created_at),
            "updatedAt": iso8601(p.updated_at),
        });
        put_opt(&mut v, "description", p.description.clone().map(Value::String));
        put_opt(&mut v, "passwordPolicy", p.password_policy_id.as_ref().map(|id| json!({ "id": id })));
        v
    }

    fn find_population(&self, id: &str) -> Result<&Population, P1Error> {
        self.store.population(id).ok_or_else(|| P1Error::not_found(&format!("population with id {id}")))
    }

    pub(super) fn list_populations(&self, h: &Hrefs, req: &Incoming<'_>) -> Result<HttpResponse> {
        // The spec: "a SCIM filter for a population ID or population name ... Only the id and
        // name parameters are supported".
        let filter = Filter::from_query(req, &["id", "name"])?;
        let items = self
            .store
            .populations
            .iter()
            .filter(|p| filter.as_ref().is_none_or(|f| f.accepts(|attr| Some(if attr == "id" { p.id.clone() } else { p.name.clone() }))))
            .map(|p| self.population_json(h, p))
            .collect();
        entity_array(req, h.at("/populations"), "populations", items)
    }

    pub(super) fn read_population(&self, h: &Hrefs, id: &str) -> Result<HttpResponse> {
        Ok(json_response(200, &self.population_json(h, self.find_population(id)?)))
    }

    /// Call 9: `POST /populations` `{name, description?, default?, passwordPolicy?}`.
    pub(super) fn create_population(&mut self, h: &Hrefs, req: &Incoming<'_>, now: u64) -> Result<HttpResponse> {
        let body = plain_json(req)?;
        let mut b = Body::new(&body);
        let name = b.bounded_string("name", true, 256);
        let description = b.bounded_string("description", false, 1024);
        let default = b.bool("default", false);
        let password_policy = b.id_ref("passwordPolicy", false);
        if let Some(n) = &name {
            if !is_printable(n) {
                b.push(Detail::invalid("name", "name must not contain control characters."));
            } else if self.store.populations.iter().any(|p| p.name.eq_ignore_ascii_case(n)) {
                b.push(Detail::not_unique("name", &format!("a population named `{n}`")));
            }
        }
        if let Some(pp) = &password_policy {
            if pp != &self.store.password_policy.id {
                b.push(Detail::invalid("passwordPolicy.id", format!("Unable to find password policy with id {pp}.")));
            }
        }
        b.finish()?;
        if default == Some(true) {
            self.store.populations.iter_mut().for_each(|p| p.default = false);
        }
        let population = Population {
            id: self.ids.uuid(),
            name: name.unwrap_or_default(),
            description,
            default: default == Some(true),
            password_policy_id: password_policy,
            created_at: now,
            updated_at: now,
        };
        let out = self.population_json(h, &population);
        self.store.populations.push(population);
        Ok(json_response(201, &out))
    }

    pub(super) fn delete_population(&mut self, id: &str) -> Result<HttpResponse> {
        let p = self.find_population(id)?;
        let constraint = |m: &str| P1Error::invalid_one(Detail::new(DetailCode::ConstraintViolation, "id", m));
        if p.default {
            return Err(constraint("The environment's default population cannot be deleted.").into());
        }
        if self.store.users.iter().any(|u| u.population_id == id) {
            return Err(constraint("A population that still has users cannot be deleted; delete or move its users first.").into());
        }
        self.store.populations.retain(|p| p.id != id);
        Ok(no_content())
    }

    // ---------- users ----------

    fn user_json(&self, h: &Hrefs, u: &User) -> Value {
        let path = format!("/users/{}", u.id);
        let mut v = json!({
            "_links": links(&[
                ("self", h.at(&path)),
                ("environment", h.env()),
                ("population", h.at(&format!("/populations/{}", u.population_id))),
                ("password", h.at(&format!("{path}/password"))),
                ("password.set", h.at(&format!("{path}/password"))),
                ("mfaEnabled", h.at(&format!("{path}/mfaEnabled"))),
                ("devices", h.at(&format!("{path}/devices"))),
            ]),
            "id": u.id,
            "environment": self.env_ref(),
            "population": { "id": u.population_id },
            "username": u.username,
            "email": u.email,
            "enabled": u.enabled,
            "mfaEnabled": u.mfa_enabled,
            "emailVerified": false,
            "verifyStatus": "NOT_INITIATED",
            "account": { "canAuthenticate": true, "status": "OK" },
            "lifecycle": { "status": u.lifecycle_status },
            "identityProvider": { "type": "PING_ONE" },
            "createdAt": iso8601(u.created_at),
            "updatedAt": iso8601(u.updated_at),
        });
        put_opt(&mut v, "name", u.name.clone());
        put_opt(&mut v, "mobilePhone", u.mobile_phone.clone().map(Value::String));
        put_opt(&mut v, "primaryPhone", u.primary_phone.clone().map(Value::String));
        put_opt(&mut v, "locale", u.locale.clone().map(Value::String));
        v
    }

    fn find_user(&self, id: &str) -> Result<&User, P1Error> {
        self.store.user(id).ok_or_else(|| P1Error::not_found(&format!("user with id {id}")))
    }

    /// `GET /users` with `?filter=username eq "..."` (also `email`, `population.id`, `id`).
    pub(super) fn list_users(&self, h: &Hrefs, req: &Incoming<'_>) -> Result<HttpResponse> {
        let filter = Filter::from_query(req, &["username", "email", "population.id", "id"])?;
        let items = self
            .store
            .users
            .iter()
            .filter(|u| {
                filter.as_ref().is_none_or(|f| {
                    f.accepts(|attr| {
                        Some(match attr {
                            "username" => u.username.clone(),
                            "email" => u.email.clone(),
                            "population.id" => u.population_id.clone(),
                            _ => u.id.clone(),
                        })
                    })
                })
            })
            .map(|u| self.user_json(h, u))
            .collect();
        entity_array(req, h.at("/users"), "users", items)
    }

    pub(super) fn read_user(&self, h: &Hrefs, id: &str) -> Result<HttpResponse> {
        Ok(json_response(200, &self.user_json(h, self.find_user(id)?)))
    }

    /// Call 10: `POST /users` (`application/json`, or `user.import+json` with a password).
    pub(super) fn create_user(&mut self, h: &Hrefs, req: &Incoming<'_>, now: u64) -> Result<HttpResponse> {
        let body = json_body(req, &[JSON, USER_IMPORT])?;
        let import = req.media_type().as_deref() == Some(USER_IMPORT);
        let mut b = Body::new(&body);
        let username = b.bounded_string("username", true, 128);
        let email = b.string("email", true);
        let population_id = b.id_ref("population", false);
        let name = user_name(&mut b);
        let mobile_phone = b.bounded_string("mobilePhone", false, 32);
        let primary_phone = b.bounded_string("primaryPhone", false, 32);
        let locale = b.bounded_string("locale", false, 256);
        let mfa_enabled = b.bool("mfaEnabled", false);
        let lifecycle = b.object("lifecycle", false).map(|mut l| {
            let s = l.one_of("status", false, &["ACCOUNT_OK", "VERIFICATION_REQUIRED"]);
            b.absorb(l);
            s
        });
        let password = if b.has("password") && !import {
            b.push(Detail::invalid("password", format!("A password can only be given with Content-Type {USER_IMPORT}.")));
            None
        } else {
            b.object("password", false).map(|mut p| {
                let value = p.string("value", true);
                let force = p.bool("forceChange", false).unwrap_or(false);
                b.absorb(p);
                (value, force)
            })
        };
        if let Some(u) = &username {
            if !is_printable(u) {
                b.push(Detail::invalid("username", "username must not contain control characters."));
            } else if self.store.user_by_username(u).is_some() {
                b.push(Detail::not_unique("username", &format!("a user with username `{u}`")));
            }
        }
        if let Some(e) = &email {
            if !is_email(e) {
                b.push(Detail::invalid("email", format!("`{e}` is not a valid email address.")));
            }
        }
        let population_id = match population_id {
            Some(pid) if self.store.population(&pid).is_none() => {
                b.push(Detail::invalid("population.id", format!("Unable to find population with id {pid}.")));
                None
            }
            Some(pid) => Some(pid),
            None => self.store.default_population().map(|p| p.id.clone()),
        };
        if let Some((Some(value), _)) = &password {
            let problems = password_problems(&self.store.password_policy, value, None);
            if !problems.is_empty() {
                return Err(password_policy_error("password.value", problems).into());
            }
        }
        b.finish()?;

        let user_password = match password {
            Some((Some(value), force)) => Some(Password::new(&mut self.ids, &value, force, now)),
            _ => None,
        };
        let user = User {
            id: self.ids.uuid(),
            username: username.unwrap_or_default(),
            email: email.unwrap_or_default(),
            population_id: population_id.unwrap_or_default(),
            name,
            mobile_phone,
            primary_phone,
            locale,
            mfa_enabled: mfa_enabled.unwrap_or(false),
            enabled: true,
            lifecycle_status: lifecycle.flatten().unwrap_or_else(|| "ACCOUNT_OK".into()),
            password: user_password,
            lockout: Default::default(),
            created_at: now,
            updated_at: now,
        };
        let out = self.user_json(h, &user);
        self.store.users.push(user);
        Ok(json_response(201, &out))
    }

    pub(super) fn delete_user(&mut self, id: &str) -> Result<HttpResponse> {
        self.find_user(id)?;
        self.store.users.retain(|u| u.id != id);
        self.store.devices.retain(|d| d.user_id != id);
        Ok(no_content())
    }

    // ---------- password ----------

    fn password_json(&self, h: &Hrefs, u: &User, now: u64) -> Value {
        let path = format!("/users/{}", u.id);
        let mut v = json!({
            "_links": links(&[("self", h.at(&format!("{path}/password"))), ("user", h.at(&path)), ("environment", h.env())]),
            "environment": self.env_ref(),
            "user": { "id": u.id },
            "passwordPolicy": { "id": self.store.password_policy.id },
        });
        let locked = u.lockout.locked_until.filter(|until| *until > now);
        let status = match (&u.password, locked) {
            (None, _) => "NO_PASSWORD".to_string(),
            (Some(_), Some(_)) => "PASSWORD_LOCKED_OUT".to_string(),
            (Some(p), None) => p.status.clone(),
        };
        put_opt(&mut v, "status", Some(json!(status)));
        put_opt(&mut v, "lastChangedAt", u.password.as_ref().map(|p| json!(iso8601(p.last_changed_at))));
        put_opt(&mut v, "secondsUntilUnlock", locked.map(|until| json!(crate::clock::ceil_seconds(until - now))));
        v
    }

    pub(super) fn read_password(&self, h: &Hrefs, id: &str, now: u64) -> Result<HttpResponse> {
        Ok(json_response(200, &self.password_json(h, self.find_user(id)?, now)))
    }

    /// Call 11: `PUT /users/{id}/password`, `Content-Type: application/vnd.pingidentity.password.set+json`,
    /// `{value, forceChange?}`.
    pub(super) fn set_password(&mut self, h: &Hrefs, req: &Incoming<'_>, id: &str, now: u64) -> Result<HttpResponse> {
        self.find_user(id)?;
        let body = json_body(req, &[PASSWORD_SET])?;
        let mut b = Body::new(&body);
        let value = b.string("value", true);
        let force = b.bool("forceChange", false).unwrap_or(false);
        b.finish()?;
        let value = value.unwrap_or_default();
        let problems = password_problems(&self.store.password_policy, &value, self.store.user(id));
        if !problems.is_empty() {
            return Err(password_policy_error("password", problems).into());
        }
        let password = Password::new(&mut self.ids, &value, force, now);
        if let Some(u) = self.store.user_mut(id) {
            u.password = Some(password);
            u.lockout = Default::default();
            u.updated_at = now;
        }
        let u = self.find_user(id)?;
        Ok(json_response(200, &self.password_json(h, u, now)))
    }

    // ---------- mfaEnabled ----------

    fn mfa_enabled_json(&self, h: &Hrefs, u: &User) -> Value {
        let path = format!("/users/{}", u.id);
        json!({
            "_links": links(&[("self", h.at(&format!("{path}/mfaEnabled"))), ("user", h.at(&path))]),
            "mfaEnabled": u.mfa_enabled,
        })
    }

    pub(super) fn read_mfa_enabled(&self, h: &Hrefs, id: &str) -> Result<HttpResponse> {
        Ok(json_response(200, &self.mfa_enabled_json(h, self.find_user(id)?)))
    }

    /// Call 12: `PUT /users/{id}/mfaEnabled` `{mfaEnabled}`.
    pub(super) fn update_mfa_enabled(&mut self, h: &Hrefs, req: &Incoming<'_>, id: &str, now: u64) -> Result<HttpResponse> {
        self.find_user(id)?;
        let body = plain_json(req)?;
        let mut b = Body::new(&body);
        let enabled = b.bool("mfaEnabled", true);
        b.finish()?;
        if let Some(u) = self.store.user_mut(id) {
            u.mfa_enabled = enabled.unwrap_or(false);
            u.updated_at = now;
        }
        Ok(json_response(200, &self.mfa_enabled_json(h, self.find_user(id)?)))
    }

    // ---------- devices ----------

    fn device_json(&self, h: &Hrefs, d: &Device) -> Value {
        let user_path = format!("/users/{}", d.user_id);
        let path = format!("{user_path}/devices/{}", d.id);
        let mut rels = vec![("self", h.at(&path)), ("user", h.at(&user_path)), ("environment", h.env())];
        if !d.is_active() {
            rels.push(("device.activate", h.at(&path)));
        }
        let mut v = json!({
            "_links": links(&rels),
            "id": d.id,
            "environment": self.env_ref(),
            "user": { "id": d.user_id },
            "type": d.device_type.as_str(),
            "status": d.status,
            "policy": { "id": d.policy_id },
            "createdAt": iso8601(d.created_at),
            "updatedAt": iso8601(d.updated_at),
        });
        put_opt(&mut v, "email", d.email.clone().map(Value::String));
        put_opt(&mut v, "phone", d.phone.clone().map(Value::String));
        put_opt(&mut v, "nickname", d.nickname.clone().map(Value::String));
        v
    }

    /// A device as the flow API shows it (`_embedded.devices[]`): email and phone masked.
    pub(crate) fn flow_device_json(d: &Device, user_retries: u32) -> Value {
        let mut v = json!({ "id": d.id, "type": d.device_type.as_str(), "status": d.status, "userRetries": user_retries });
        put_opt(&mut v, "email", d.email.as_deref().map(|e| json!(mask_email(e))));
        put_opt(&mut v, "phone", d.phone.as_deref().map(|p| json!(mask_phone(p))));
        put_opt(&mut v, "nickname", d.nickname.clone().map(Value::String));
        v
    }

    fn find_device(&self, user_id: &str, id: &str) -> Result<&Device, P1Error> {
        self.find_user(user_id)?;
        self.store.device(user_id, id).ok_or_else(|| P1Error::not_found(&format!("device with id {id}")))
    }

    pub(super) fn list_devices(&self, h: &Hrefs, req: &Incoming<'_>, user_id: &str) -> Result<HttpResponse> {
        self.find_user(user_id)?;
        Filter::refuse(req)?;
        let items = self.store.devices.iter().filter(|d| d.user_id == user_id).map(|d| self.device_json(h, d)).collect();
        entity_array(req, h.at(&format!("/users/{user_id}/devices")), "devices", items)
    }

    pub(super) fn read_device(&self, h: &Hrefs, user_id: &str, id: &str) -> Result<HttpResponse> {
        Ok(json_response(200, &self.device_json(h, self.find_device(user_id, id)?)))
    }

    /// Call 13: `POST /users/{id}/devices` `{type, email|phone, status?, nickname?, policy?}`.
    pub(super) fn create_device(&mut self, h: &Hrefs, req: &Incoming<'_>, user_id: &str, now: u64) -> Result<HttpResponse> {
        let username = self.find_user(user_id)?.username.clone();
        let body = plain_json(req)?;
        let mut b = Body::new(&body);
        let device_type = b.one_of("type", true, DEVICE_TYPES);
        let status = b.one_of("status", false, &["ACTIVE", "ACTIVATION_REQUIRED"]);
        let nickname = b.bounded_string("nickname", false, 100);
        let policy_id = b.id_ref("policy", false);
        let parsed = device_type.as_deref().and_then(DeviceType::parse);
        if let (Some(t), None) = (&device_type, parsed) {
            b.push(
                Detail::invalid("type", format!("The sandbox emulates EMAIL, SMS, VOICE and TOTP devices only, not {t}."))
                    .with("allowedValues", vec![json!("EMAIL"), json!("SMS"), json!("VOICE"), json!("TOTP")]),
            );
        }
        let mut email = None;
        let mut phone = None;
        match parsed {
            Some(DeviceType::Email) => {
                email = b.string("email", true);
                if let Some(e) = email.as_deref().filter(|e| !is_email(e)) {
                    b.push(Detail::invalid("email", format!("`{e}` is not a valid email address.")));
                }
            }
            Some(DeviceType::Sms | DeviceType::Voice) => {
                if let Some(p) = b.string("phone", true) {
                    // The client's rule too (pingone::phone): the forms PingOne's device docs list.
                    phone = pingone::phone::normalize(&p);
                    if phone.is_none() {
                        b.push(Detail::invalid(
                            "phone",
                            format!("`{p}` is not a phone number: the country code and number, digits with optional `+`, spaces, dashes, dots or parentheses."),
                        ));
                    }
                }
            }
            _ => {}
        }
        let policy = match policy_id {
            Some(pid) => match self.store.device_policy(&pid) {
                Some(p) => Some(p),
                None => {
                    b.push(Detail::invalid("policy.id", format!("Unable to find device authentication policy with id {pid}.")));
                    None
                }
            },
            None => self.store.default_device_policy(),
        };
        if let (Some(p), Some(t)) = (policy, parsed) {
            if !p.allows(t) {
                b.push(Detail::invalid(
                    "type",
                    format!("Pairing device type {} is not allowed by the device authentication policy.", t.as_str()),
                ));
            }
        }
        let policy_id = policy.map(|p| p.id.clone()).unwrap_or_default();
        b.finish()?;
        let device_type = parsed.unwrap_or(DeviceType::Email);

        // A worker pairs EMAIL/SMS/VOICE devices ACTIVE by default; TOTP always needs activation.
        let status = match (device_type, status.as_deref()) {
            (DeviceType::Totp, _) | (_, Some("ACTIVATION_REQUIRED")) => "ACTIVATION_REQUIRED",
            _ => "ACTIVE",
        };
        let id = self.ids.uuid();
        let mut device = Device {
            id: id.clone(),
            user_id: user_id.to_string(),
            device_type,
            status: status.into(),
            email,
            phone,
            nickname,
            totp_secret: None,
            last_totp_counter: None,
            activation: None,
            policy_id,
            created_at: now,
            updated_at: now,
        };
        let mut extra = Map::new();
        if device_type == DeviceType::Totp {
            let secret = self.ids.bytes::<20>().to_vec();
            let encoded = totp::base32_encode(&secret);
            let issuer = self.store.env.name.clone();
            let label: String =
                url::form_urlencoded::byte_serialize(format!("{issuer}:{username}").as_bytes()).collect::<String>().replace('+', "%20");
            let issuer_q: String = url::form_urlencoded::byte_serialize(issuer.as_bytes()).collect();
            extra.insert(
                "keyUri".into(),
                json!(format!("otpauth://totp/{label}?secret={encoded}&issuer={issuer_q}&algorithm=SHA1&digits=6&period=30")),
            );
            extra.insert("secret".into(), json!(encoded));
            device.totp_secret = Some(secret);
            device.activation = Some(PendingOtp { value: String::new(), expires_at: now.saturating_add(ACTIVATION_LIFETIME), failures: 0 });
        } else if status == "ACTIVATION_REQUIRED" {
            let otp = self.ids.otp(6);
            self.deliver(&device, &otp, now);
            device.activation = Some(PendingOtp { value: otp, expires_at: now.saturating_add(ACTIVATION_LIFETIME), failures: 0 });
        }
        let mut out = self.device_json(h, &device);
        if let Some(map) = out.as_object_mut() {
            map.extend(extra);
        }
        self.store.devices.push(device);
        Ok(json_response(201, &out))
    }

    /// Puts an OTP in the outbox (the sandbox's stand-in for email and SMS).
    pub(crate) fn deliver(&mut self, device: &Device, otp: &str, now: u64) {
        self.store.outbox.push(OutboxMessage {
            to: device.target().unwrap_or_default().to_string(),
            device_id: device.id.clone(),
            otp: otp.to_string(),
            sent_at: iso8601(now),
        });
    }

    /// `POST /users/{id}/devices/{deviceId}` with `application/vnd.pingidentity.device.activate+json` `{otp}`.
    pub(super) fn activate_device(&mut self, h: &Hrefs, req: &Incoming<'_>, user_id: &str, id: &str, now: u64) -> Result<HttpResponse> {
        self.find_device(user_id, id)?;
        let body = json_body(req, &[DEVICE_ACTIVATE])?;
        let mut b = Body::new(&body);
        let otp = b.string("otp", true);
        b.finish()?;
        let otp = otp.unwrap_or_default();
        let Some(device) = self.store.devices.iter_mut().find(|d| d.id == id && d.user_id == user_id) else {
            return Err(P1Error::not_found(&format!("device with id {id}")).into());
        };
        if device.is_active() {
            return Err(P1Error::invalid_request("The request could not be completed. The device is already active.").into());
        }
        let Some(pending) = device.activation.as_mut() else {
            return Err(P1Error::invalid_request("The request could not be completed. The device has no activation in progress.").into());
        };
        if pending.expires_at <= now {
            return Err(P1Error::invalid_one(Detail::new(
                DetailCode::InvalidOtp,
                "otp",
                "The activation code has expired; pair the device again.",
            ))
            .into());
        }
        if pending.failures >= 3 {
            return Err(P1Error::invalid_one(Detail::new(
                DetailCode::QuotaExceeded,
                "otp",
                "Too many failed activation attempts; pair the device again.",
            ))
            .into());
        }
        let ok = match (&device.totp_secret, device.device_type) {
            (Some(secret), DeviceType::Totp) => match totp::verify(secret, now, &otp, 1) {
                Some(counter) => {
                    device.last_totp_counter = Some(counter);
                    true
                }
                None => false,
            },
            _ => totp::constant_time_eq(pending.value.as_bytes(), otp.as_bytes()),
        };
        if !ok {
            pending.failures += 1;
            let remaining = 3u32.saturating_sub(pending.failures);
            return Err(P1Error::invalid_one(
                Detail::new(DetailCode::InvalidOtp, "otp", "The one-time passcode is not valid.").with("remainingAttempts", remaining),
            )
            .into());
        }
        device.status = "ACTIVE".into();
        device.activation = None;
        device.updated_at = now;
        let d = self.find_device(user_id, id)?;
        Ok(json_response(200, &self.device_json(h, d)))
    }

    pub(super) fn delete_device(&mut self, user_id: &str, id: &str) -> Result<HttpResponse> {
        self.find_device(user_id, id)?;
        self.store.devices.retain(|d| !(d.id == id && d.user_id == user_id));
        Ok(no_content())
    }
}

/// `name: {given, family, middle, formatted, honorificPrefix, honorificSuffix}`: strings only.
fn user_name(b: &mut Body<'_>) -> Option<Value> {
    let mut n = b.object("name", false)?;
    let mut out = Map::new();
    for key in ["given", "family", "middle", "formatted", "honorificPrefix", "honorificSuffix"] {
        if let Some(s) = n.bounded_string(key, false, 256) {
            if s.is_empty() || !is_printable(&s) {
                let t = n.target_of(key);
                n.push(Detail::invalid(&t, format!("{t} must be 1 to 256 printable characters.")));
            } else {
                out.insert(key.to_string(), json!(s));
            }
        }
    }
    b.absorb(n);
    (!out.is_empty()).then_some(Value::Object(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> PasswordPolicy {
        PasswordPolicy {
            id: "p".into(),
            name: "Standard".into(),
            min_length: 8,
            max_length: 255,
            max_repeated_characters: 2,
            min_unique_characters: 5,
            lockout_failure_count: 5,
            lockout_duration_seconds: 900,
        }
    }

    #[test]
    fn standard_policy_rules() {
        let p = policy();
        assert!(password_problems(&p, "Correct-Horse-9!", None).is_empty());
        let reqs = |v: &str| password_problems(&p, v, None).into_iter().map(|(r, _)| r).collect::<Vec<_>>();
        assert!(reqs("Sh0rt!").contains(&"length"));
        assert!(reqs("alllowercase1!").contains(&"minCharacters"));
        assert!(reqs("Aaaa-bbbb-1111!").contains(&"maxRepeatedCharacters"));
        assert!(reqs("Ab1!Ab1!Ab1!").contains(&"minUniqueCharacters"));
        assert!(reqs("P@ssw0rd1").contains(&"excludesCommonlyUsed"));
    }

    #[test]
    fn the_workbenchs_generated_passwords_always_pass_the_standard_policy() {
        // The app makes each run's password with `pingone::secret::password_from_random` from
        // 16 random bytes; a password the policy refused made step 11 fail now and then.
        let p = policy();
        let mut x: u64 = 7;
        for _ in 0..50_000 {
            let bytes: Vec<u8> = (0..16)
                .map(|_| {
                    x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                    (x >> 56) as u8
                })
                .collect();
            let password = pingone::secret::password_from_random(&bytes);
            let problems = password_problems(&p, password.expose(), None);
            assert!(problems.is_empty(), "{bytes:?}: {problems:?}");
        }
        // The kind the app made before: base64url with '-'/'_' turned into 'x' could hold "xxx".
        assert!(!password_problems(&p, "Wb!aaxxxQ9z7a", None).is_empty());
    }

    #[test]
    fn masks() {
        assert_eq!(mask_email("jdoe@example.com"), "jd*****@example.com");
        assert_eq!(mask_phone("+15125551234"), "*******34");
    }
}

//! The flow API, `{auth}/flows/{flowId}` (calls 15–17): the sign-on flow an authorize request
//! starts, governed by the application's sign-on policy (a LOGIN action, then optionally a
//! MULTI_FACTOR_AUTHENTICATION action).
//!
//! ```text
//! USERNAME_PASSWORD_REQUIRED --usernamePassword.check--> MUST_CHANGE_PASSWORD (forceChange)
//!                                                    --> DEVICE_SELECTION_REQUIRED (MFA, >1 device)
//!                                                    --> OTP_REQUIRED (MFA, 1 device; OTP sent)
//!                                                    --> COMPLETED (no MFA) | FAILED (no device, BLOCK)
//! MUST_CHANGE_PASSWORD --password.reset--> (as after the password check)
//! DEVICE_SELECTION_REQUIRED --device.select--> OTP_REQUIRED (OTP sent)
//! OTP_REQUIRED --otp.check ok--> COMPLETED ; wrong --> 400 (the 3rd wrong code fails the flow)
//! any non-terminal status --session.reset--> USERNAME_PASSWORD_REQUIRED
//! ```
//! A flow expires after 15 minutes without a call (then 404). Calls must carry the flow cookie
//! set by authorize (or the `ST` session cookie of the flow): otherwise 401.

use crate::clock::{http_date, iso8601, MINUTE, SECOND};
use crate::errors::{Detail, DetailCode, FlowErrorCode, P1Error, Result};
use crate::http::{hal_response, links, Incoming};
use crate::mgmt::{password_policy_error, password_problems, put_opt};
use crate::store::{DeviceType, PendingOtp};
use crate::validate::Body;
use crate::{totp, Engine};
use pingone::http::{HttpResponse, Method};
use serde_json::{json, Map, Value};

/// Flows expire after 15 minutes of inactivity.
pub const FLOW_IDLE: u64 = 15 * MINUTE;
/// The opaque cookie that binds a flow to the browser that started it. PingOne's own name for
/// it is not documented; clients must replay every cookie they receive.
pub const FLOW_COOKIE: &str = "P1FLOW";
/// The session token cookies (docs/pingone.md, "Flow cookies"): 30 days.
pub const SESSION_MAX_AGE_SECONDS: u64 = 2_592_000;
const MEDIA_PREFIX: &str = "application/vnd.pingidentity.";

/// The flow actions PingOne documents (their `_links` names).
const KNOWN_ACTIONS: &[&str] = &[
    "session.reset",
    "usernamePassword.check",
    "user.lookup",
    "password.forgot",
    "user.register",
    "password.reset",
    "password.recover",
    "password.sendRecoveryCode",
    "user.verify",
    "user.sendVerificationCode",
    "device.select",
    "otp.check",
    "user.update",
    "user.confirm",
    "assertion.check",
    "user.consent",
    "kerberos.lookup",
    "deviceAuthGrant.userCode.verify",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlowStatus {
    UsernamePasswordRequired,
    MustChangePassword,
    DeviceSelectionRequired,
    OtpRequired,
    Completed,
    Failed,
}

impl FlowStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            FlowStatus::UsernamePasswordRequired => "USERNAME_PASSWORD_REQUIRED",
            FlowStatus::MustChangePassword => "MUST_CHANGE_PASSWORD",
            FlowStatus::DeviceSelectionRequired => "DEVICE_SELECTION_REQUIRED",
            FlowStatus::OtpRequired => "OTP_REQUIRED",
            FlowStatus::Completed => "COMPLETED",
            FlowStatus::Failed => "FAILED",
        }
    }
}

/// How the authorization response goes back to the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseMode {
    /// `response_mode=pi.flow`: JSON, no redirects.
    PiFlow,
    Query,
    Fragment,
    FormPost,
}

/// The LOGIN action, as the policy had it when the flow started.
#[derive(Debug, Clone)]
pub struct LoginStep {
    pub recovery: bool,
    pub registration: bool,
}

/// The MULTI_FACTOR_AUTHENTICATION action, as the policy had it when the flow started.
#[derive(Debug, Clone)]
pub struct MfaStep {
    pub device_types: Vec<DeviceType>,
    pub no_devices_mode: String,
    pub otp_failure_count: u32,
    pub otp_lifetime_ms: u64,
}

/// What the authorize request asked for (bound into the code at resume).
#[derive(Debug, Clone)]
pub struct AuthorizeRequest {
    pub client_id: String,
    pub mode: ResponseMode,
    pub redirect_uri: Option<String>,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub scopes: Vec<String>,
    /// `(challenge, method)`.
    pub code_challenge: Option<(String, String)>,
}

pub struct Flow {
    pub id: String,
    /// Value of the flow cookie that may drive this flow.
    pub binding: String,
    pub request: AuthorizeRequest,
    pub policy_name: String,
    pub login: Option<LoginStep>,
    pub mfa: Option<MfaStep>,
    pub status: FlowStatus,
    pub user_id: Option<String>,
    pub session_id: Option<String>,
    /// Usable MFA devices (ids), once the user is known.
    pub devices: Vec<String>,
    pub selected_device: Option<String>,
    pub otp: Option<PendingOtp>,
    pub amr: Vec<String>,
    pub auth_time: Option<u64>,
    /// `(code, message)` of a FAILED flow.
    pub error: Option<(FlowErrorCode, String)>,
    pub created_at: u64,
    pub last_activity: u64,
}

impl Flow {
    pub fn is_expired(&self, now: u64) -> bool {
        now.saturating_sub(self.last_activity) >= FLOW_IDLE
    }

    /// The actions allowed in the current status: exactly the `_links` besides `self`.
    pub fn allowed_actions(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        match self.status {
            FlowStatus::UsernamePasswordRequired => {
                out.push("usernamePassword.check");
                if self.login.as_ref().is_some_and(|l| l.recovery) {
                    out.push("password.forgot");
                }
                if self.login.as_ref().is_some_and(|l| l.registration) {
                    out.push("user.register");
                }
            }
            FlowStatus::MustChangePassword => out.push("password.reset"),
            FlowStatus::DeviceSelectionRequired => out.push("device.select"),
            // PingOne's example OTP_REQUIRED flow (one device) offers `otp.check` and
            // `device.select` (to send a new code), and no `session.reset`.
            FlowStatus::OtpRequired => return vec!["otp.check", "device.select"],
            FlowStatus::Completed | FlowStatus::Failed => return out,
        }
        out.push("session.reset");
        out
    }

    pub fn fail(&mut self, code: FlowErrorCode, message: &str) {
        self.status = FlowStatus::Failed;
        self.error = Some((code, message.to_string()));
        self.otp = None;
    }
}

/// `Set-Cookie` for the flow-binding cookie.
pub fn flow_cookie(env: &str, value: &str) -> String {
    format!("{FLOW_COOKIE}={value}; Path=/{env}; Secure; HttpOnly; SameSite=None")
}

/// `Set-Cookie` lines for the session token (`ST`, and `ST-NO-SS` without `SameSite`).
fn session_cookies(env: &str, session_id: &str, now: u64) -> [String; 2] {
    let expires = http_date(now.saturating_add(SESSION_MAX_AGE_SECONDS * SECOND));
    [
        format!("ST={session_id}; Path=/{env}; Max-Age={SESSION_MAX_AGE_SECONDS}; Expires={expires}; Secure; HttpOnly; SameSite=None"),
        format!("ST-NO-SS={session_id}; Path=/{env}; Max-Age={SESSION_MAX_AGE_SECONDS}; Expires={expires}; Secure; HttpOnly"),
    ]
}

/// The action named by a flow `Content-Type` (`application/vnd.pingidentity.<action>+json`).
fn action_of(media_type: Option<&str>) -> Option<&'static str> {
    // Media types compare case-insensitively (RFC 9110 §8.3.1).
    let media_type = media_type?.to_ascii_lowercase();
    let name = media_type.strip_prefix(MEDIA_PREFIX)?;
    let name = name.strip_suffix("+json").unwrap_or(name);
    KNOWN_ACTIONS.iter().copied().find(|a| a.eq_ignore_ascii_case(name))
}

fn media_type_of_action(action: &str) -> String {
    match action {
        "password.sendRecoveryCode" => format!("{MEDIA_PREFIX}{action}"),
        _ => format!("{MEDIA_PREFIX}{action}+json"),
    }
}

/// The flow's cookies do not match (no flow cookie and no session of this flow).
fn flow_access_denied() -> P1Error {
    P1Error::new(crate::errors::P1Code::AccessFailed)
        .message("The request could not be completed. You do not have access to this resource.")
        .detail(Detail::new(
            DetailCode::InvalidToken,
            "Authentication Credentials",
            "The cookies that bind this flow to the browser that started it are missing or do not match.",
        ))
}

impl Engine {
    /// `GET|POST /{envId}/flows/{flowId}`.
    pub(crate) fn flows(&mut self, req: &Incoming<'_>, flow_id: &str, now: u64) -> Result<HttpResponse> {
        if !matches!(req.method, Method::Get | Method::Post) {
            return Err(P1Error::method_not_allowed(&["GET", "POST"]).into());
        }
        let idx = self.flow_index(req, flow_id, now)?;
        match req.method {
            Method::Get => Ok(hal_response(200, &self.flow_json(&req.origin, idx))),
            _ => self.flow_action(req, idx, now),
        }
    }

    /// Finds a live flow the request may drive, and marks the activity (404 / 401 otherwise).
    pub(crate) fn flow_index(&mut self, req: &Incoming<'_>, flow_id: &str, now: u64) -> Result<usize, P1Error> {
        let idx = self
            .store
            .flows
            .iter()
            .position(|f| f.id == flow_id && !f.is_expired(now))
            .ok_or_else(|| P1Error::not_found(&format!("flow with id {flow_id}")))?;
        let flow = &self.store.flows[idx];
        let bound = req.cookies(FLOW_COOKIE).contains(&flow.binding);
        let session =
            flow.session_id.as_ref().is_some_and(|sid| req.cookies("ST").iter().chain(req.cookies("ST-NO-SS").iter()).any(|v| v == sid));
        if !bound && !session {
            return Err(flow_access_denied());
        }
        if self.flow_auth == crate::FlowAuth::WorkerTokenAndCookies {
            self.authenticate_worker(req, now)?;
        }
        self.store.flows[idx].last_activity = now;
        Ok(idx)
    }

    /// The flow object: `id, environment, status, resumeUrl, createdAt, expiresAt, _links,
    /// _embedded {user, devices, passwordPolicy}, selectedDevice, error`.
    pub(crate) fn flow_json(&self, origin: &str, idx: usize) -> Value {
        let Some(flow) = self.store.flows.get(idx) else { return Value::Null };
        let env = &self.store.env.id;
        let self_href = format!("{origin}/{env}/flows/{}", flow.id);
        let mut rels = vec![("self", self_href.clone())];
        rels.extend(flow.allowed_actions().into_iter().map(|a| (a, self_href.clone())));
        let app = self.store.application(&flow.request.client_id);
        if !matches!(flow.status, FlowStatus::Completed | FlowStatus::Failed) {
            rels.push(("signOnPage", self.sign_on_page(origin, app.and_then(|a| a.login_page_url.clone()), &flow.id)));
        }
        let mut v = json!({
            "_links": links(&rels),
            "id": flow.id,
            "environment": { "id": env },
            "status": flow.status.as_str(),
            "resumeUrl": format!("{origin}/{env}/as/resume?flowId={}", flow.id),
            "createdAt": iso8601(flow.created_at),
            "expiresAt": iso8601(flow.last_activity.saturating_add(FLOW_IDLE)),
        });
        put_opt(&mut v, "session", flow.session_id.as_ref().map(|id| json!({ "id": id })));
        let mut embedded = Map::new();
        if let Some(app) = app {
            embedded.insert("application".into(), json!({ "name": app.name }));
        }
        if let Some(user) = flow.user_id.as_deref().and_then(|id| self.store.user(id)) {
            let mut u = json!({ "id": user.id, "username": user.username });
            put_opt(&mut u, "name", user.name.clone());
            embedded.insert("user".into(), u);
        }
        if matches!(flow.status, FlowStatus::DeviceSelectionRequired | FlowStatus::OtpRequired) {
            let uid = flow.user_id.as_deref().unwrap_or_default();
            // `userRetries`: the failed codes of the pending OTP on this device.
            let retries = |id: &str| match (&flow.otp, &flow.selected_device) {
                (Some(p), Some(selected)) if selected == id => p.failures,
                _ => 0,
            };
            let devices: Vec<Value> =
                flow.devices.iter().filter_map(|id| self.store.device(uid, id)).map(|d| Engine::flow_device_json(d, retries(&d.id))).collect();
            embedded.insert("devices".into(), Value::Array(devices));
        }
        if matches!(flow.status, FlowStatus::UsernamePasswordRequired | FlowStatus::MustChangePassword) {
            embedded.insert("passwordPolicy".into(), self.password_policy_json());
        }
        if !embedded.is_empty() {
            put_opt(&mut v, "_embedded", Some(Value::Object(embedded)));
        }
        if flow.status == FlowStatus::OtpRequired {
            put_opt(&mut v, "selectedDevice", flow.selected_device.as_ref().map(|id| json!({ "id": id })));
        }
        if let Some((code, message)) = &flow.error {
            put_opt(&mut v, "error", Some(json!({ "code": code.as_str(), "message": message })));
        }
        v
    }

    /// `POST /flows/{flowId}`: the action is chosen by the vendor media type.
    fn flow_action(&mut self, req: &Incoming<'_>, idx: usize, now: u64) -> Result<HttpResponse> {
        let allowed = self.store.flows[idx].allowed_actions();
        let Some(action) = action_of(req.media_type().as_deref()) else {
            let expected: Vec<String> = allowed.iter().map(|a| media_type_of_action(a)).collect();
            let expected: Vec<&str> = expected.iter().map(String::as_str).collect();
            return Err(P1Error::unsupported_media_type(req.header("content-type"), &expected).into());
        };
        if !allowed.contains(&action) {
            let status = self.store.flows[idx].status.as_str();
            return Err(P1Error::invalid_request(format!(
                "The request could not be completed. The action `{action}` is not allowed in flow status {status}; allowed: [{}].",
                allowed.join(", ")
            ))
            .into());
        }
        let body = match action {
            "session.reset" if req.body.is_none_or(|b| b.trim().is_empty()) => Map::new(),
            _ => req.json_object()?,
        };
        let mut cookies = Vec::new();
        match action {
            "usernamePassword.check" => cookies.extend(self.check_username_password(idx, &body, now)?),
            "password.reset" => self.reset_password(idx, &body, now)?,
            "device.select" => self.select_device_action(idx, &body, now)?,
            "otp.check" => self.check_otp(idx, &body, now)?,
            "session.reset" => self.reset_session(idx),
            other => {
                return Err(P1Error::invalid_request(format!(
                    "The request could not be completed. The sandbox does not emulate the `{other}` action."
                ))
                .into())
            }
        }
        let mut resp = hal_response(200, &self.flow_json(&req.origin, idx));
        for c in cookies {
            resp.headers.push("Set-Cookie", c);
        }
        Ok(resp)
    }

    /// `usernamePassword.check` `{username, password}`.
    fn check_username_password(&mut self, idx: usize, body: &Map<String, Value>, now: u64) -> Result<Vec<String>> {
        let mut b = Body::new(body);
        let username = b.string("username", true);
        let password = b.string("password", true);
        b.finish()?;
        let (username, password) = (username.unwrap_or_default(), password.unwrap_or_default());
        let (failure_count, lock_seconds) =
            (self.store.password_policy.lockout_failure_count, self.store.password_policy.lockout_duration_seconds);
        let bad = |remaining: u32| {
            P1Error::invalid_one(
                Detail::new(DetailCode::InvalidCredentials, "password", "Invalid username and/or password.")
                    .with("remainingAttempts", remaining),
            )
        };
        let locked = |seconds: u64| {
            P1Error::invalid_one(
                Detail::new(
                    DetailCode::PasswordLockedOut,
                    "password",
                    "Too many failed sign-on attempts: the password is locked. Try again later.",
                )
                .with("secondsUntilUnlock", seconds),
            )
        };
        let wanted = username.to_lowercase();
        let Some(user) = self.store.users.iter_mut().find(|u| u.username.to_lowercase() == wanted) else {
            return Err(bad(failure_count.saturating_sub(1)).into());
        };
        if let Some(until) = user.lockout.locked_until {
            if until > now {
                return Err(locked(crate::clock::ceil_seconds(until - now)).into());
            }
            user.lockout = Default::default();
        }
        let Some(stored) = user.password.as_ref() else {
            return Err(bad(failure_count.saturating_sub(1)).into());
        };
        if !stored.matches(&password) {
            // Repeating the same wrong password is not counted again.
            let fingerprint = stored.fingerprint(&password);
            if user.lockout.last_failed != Some(fingerprint) {
                user.lockout.failures += 1;
                user.lockout.last_failed = Some(fingerprint);
            }
            if user.lockout.failures >= failure_count {
                user.lockout = Default::default();
                user.lockout.locked_until = Some(now.saturating_add(lock_seconds * SECOND));
                return Err(locked(lock_seconds).into());
            }
            return Err(bad(failure_count - user.lockout.failures).into());
        }
        user.lockout = Default::default();
        let must_change = stored.status == "MUST_CHANGE_PASSWORD";
        let user_id = user.id.clone();

        let session_id = self.ids.uuid();
        let env = self.store.env.id.clone();
        let flow = &mut self.store.flows[idx];
        flow.user_id = Some(user_id);
        flow.session_id = Some(session_id.clone());
        flow.amr = vec!["pwd".into()];
        flow.auth_time = Some(now);
        if must_change {
            flow.status = FlowStatus::MustChangePassword;
        } else {
            self.after_password(idx, now);
        }
        Ok(session_cookies(&env, &session_id, now).to_vec())
    }

    /// `password.reset` `{currentPassword, newPassword}` (status MUST_CHANGE_PASSWORD).
    fn reset_password(&mut self, idx: usize, body: &Map<String, Value>, now: u64) -> Result<()> {
        let mut b = Body::new(body);
        let current = b.string("currentPassword", true);
        let new = b.string("newPassword", true);
        b.finish()?;
        let (current, new) = (current.unwrap_or_default(), new.unwrap_or_default());
        let user_id = self.store.flows[idx].user_id.clone().unwrap_or_default();
        let user = self.store.user(&user_id).ok_or_else(|| P1Error::not_found(&format!("user with id {user_id}")))?;
        if !user.password.as_ref().is_some_and(|p| p.matches(&current)) {
            return Err(P1Error::invalid_one(Detail::new(
                DetailCode::InvalidCredentials,
                "currentPassword",
                "The current password is not correct.",
            ))
            .into());
        }
        if new == current {
            return Err(
                P1Error::invalid_one(Detail::invalid("newPassword", "The new password must differ from the current password.")).into()
            );
        }
        let problems = password_problems(&self.store.password_policy, &new, Some(user));
        if !problems.is_empty() {
            return Err(password_policy_error("newPassword", problems).into());
        }
        let password = crate::store::Password::new(&mut self.ids, &new, false, now);
        if let Some(u) = self.store.user_mut(&user_id) {
            u.password = Some(password);
            u.updated_at = now;
        }
        self.after_password(idx, now);
        Ok(())
    }

    /// After the password: MFA if the policy has it and the user has MFA enabled.
    fn after_password(&mut self, idx: usize, now: u64) {
        let flow = &self.store.flows[idx];
        let Some(mfa) = flow.mfa.clone() else {
            self.store.flows[idx].status = FlowStatus::Completed;
            return;
        };
        let user_id = flow.user_id.clone().unwrap_or_default();
        let Some(user) = self.store.user(&user_id) else {
            self.store.flows[idx].fail(FlowErrorCode::NotFound, "The user no longer exists.");
            return;
        };
        if !user.mfa_enabled {
            self.store.flows[idx].status = FlowStatus::Completed;
            return;
        }
        let devices: Vec<String> = self
            .store
            .devices
            .iter()
            .filter(|d| d.user_id == user_id && d.is_active() && mfa.device_types.contains(&d.device_type))
            .map(|d| d.id.clone())
            .collect();
        let flow = &mut self.store.flows[idx];
        flow.devices = devices.clone();
        match devices.as_slice() {
            [] if mfa.no_devices_mode == "BYPASS" => flow.status = FlowStatus::Completed,
            [] => flow.fail(
                FlowErrorCode::NoUsableDevices,
                "Multi-factor authentication is required, but the user has no active device the sign-on policy allows.",
            ),
            [only] => {
                let only = only.clone();
                self.select_device(idx, &only, now);
            }
            _ => flow.status = FlowStatus::DeviceSelectionRequired,
        }
    }

    /// Selects a device: sends a fresh OTP (none for TOTP) and asks for it.
    fn select_device(&mut self, idx: usize, device_id: &str, now: u64) {
        let flow = &self.store.flows[idx];
        let user_id = flow.user_id.clone().unwrap_or_default();
        let lifetime = flow.mfa.as_ref().map(|m| m.otp_lifetime_ms).unwrap_or(30 * MINUTE);
        let Some(device) = self.store.device(&user_id, device_id) else {
            self.store.flows[idx].fail(FlowErrorCode::NotFound, "The selected device no longer exists.");
            return;
        };
        let value = if device.device_type == DeviceType::Totp {
            String::new()
        } else {
            let otp = self.ids.otp(6);
            let to = device.target().unwrap_or_default().to_string();
            self.store.outbox.push(crate::OutboxMessage { to, device_id: device_id.to_string(), otp: otp.clone(), sent_at: iso8601(now) });
            otp
        };
        let flow = &mut self.store.flows[idx];
        flow.selected_device = Some(device_id.to_string());
        flow.otp = Some(PendingOtp { value, expires_at: now.saturating_add(lifetime), failures: 0 });
        flow.status = FlowStatus::OtpRequired;
    }

    /// `device.select` `{device: {id}}`.
    fn select_device_action(&mut self, idx: usize, body: &Map<String, Value>, now: u64) -> Result<()> {
        let mut b = Body::new(body);
        let id = b.id_ref("device", true);
        b.finish()?;
        let id = id.unwrap_or_default();
        if !self.store.flows[idx].devices.contains(&id) {
            return Err(P1Error::invalid_one(Detail::invalid(
                "device.id",
                format!("Device {id} is not one of the devices this flow offers."),
            ))
            .into());
        }
        self.select_device(idx, &id, now);
        Ok(())
    }

    /// `otp.check` `{otp}`.
    fn check_otp(&mut self, idx: usize, body: &Map<String, Value>, now: u64) -> Result<()> {
        let mut b = Body::new(body);
        let otp = b.string("otp", true);
        b.finish()?;
        let otp = otp.unwrap_or_default();
        let flow = &self.store.flows[idx];
        let user_id = flow.user_id.clone().unwrap_or_default();
        let device_id = flow.selected_device.clone().unwrap_or_default();
        let failure_count = flow.mfa.as_ref().map(|m| m.otp_failure_count).unwrap_or(3);
        let Some(pending) = flow.otp.clone() else {
            return Err(
                P1Error::invalid_request("The request could not be completed. No one-time passcode is pending; select a device.").into()
            );
        };
        if pending.expires_at <= now {
            return Err(P1Error::invalid_one(Detail::new(
                DetailCode::InvalidOtp,
                "otp",
                "The one-time passcode has expired. Select the device again to receive a new one.",
            ))
            .into());
        }
        let ok = match self.store.devices.iter_mut().find(|d| d.id == device_id && d.user_id == user_id) {
            Some(device) if device.device_type == DeviceType::Totp => {
                match device.totp_secret.as_deref().and_then(|s| totp::verify(s, now, &otp, 1)) {
                    Some(counter) if device.last_totp_counter.is_none_or(|last| counter > last) => {
                        device.last_totp_counter = Some(counter);
                        true
                    }
                    _ => false,
                }
            }
            Some(_) => totp::constant_time_eq(pending.value.as_bytes(), otp.as_bytes()),
            None => false,
        };
        let flow = &mut self.store.flows[idx];
        if ok {
            flow.amr.push("otp".into());
            flow.otp = None;
            flow.status = FlowStatus::Completed;
            return Ok(());
        }
        let failures = pending.failures.saturating_add(1);
        if failures >= failure_count {
            flow.fail(FlowErrorCode::QuotaExceeded, "Too many failed one-time passcode attempts. Start a new sign-on.");
            return Err(P1Error::invalid_one(
                Detail::new(
                    DetailCode::QuotaExceeded,
                    "otp",
                    "Too many failed one-time passcode attempts: the flow failed. Start a new sign-on.",
                )
                .with("remainingAttempts", 0),
            )
            .into());
        }
        if let Some(p) = flow.otp.as_mut() {
            p.failures = failures;
        }
        Err(P1Error::invalid_one(
            Detail::new(DetailCode::InvalidOtp, "otp", "Invalid one-time passcode.").with("remainingAttempts", failure_count - failures),
        )
        .into())
    }

    /// `session.reset`: back to the start, forgetting the user ("switch account").
    fn reset_session(&mut self, idx: usize) {
        let flow = &mut self.store.flows[idx];
        flow.status = FlowStatus::UsernamePasswordRequired;
        flow.user_id = None;
        flow.session_id = None;
        flow.devices.clear();
        flow.selected_device = None;
        flow.otp = None;
        flow.amr.clear();
        flow.auth_time = None;
        flow.error = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_types_select_actions() {
        assert_eq!(action_of(Some("application/vnd.pingidentity.otp.check+json")), Some("otp.check"));
        assert_eq!(action_of(Some("application/vnd.pingidentity.password.sendRecoveryCode")), Some("password.sendRecoveryCode"));
        assert_eq!(action_of(Some("application/json")), None);
        assert_eq!(action_of(Some("application/vnd.pingidentity.nope+json")), None);
        assert_eq!(action_of(None), None);
        assert_eq!(action_of(Some("application/vnd.pingidentity.usernamepassword.check+json")), Some("usernamePassword.check"));
        assert_eq!(media_type_of_action("device.select"), "application/vnd.pingidentity.device.select+json");
    }

    #[test]
    fn session_cookies_have_the_documented_attributes() {
        let [st, no_ss] = session_cookies("env", "sid", 0);
        assert!(st.starts_with("ST=sid; Path=/env; Max-Age=2592000; Expires=Sat, 31 Jan 1970"));
        assert!(st.ends_with("; Secure; HttpOnly; SameSite=None"));
        assert!(no_ss.starts_with("ST-NO-SS=sid; Path=/env;"));
        assert!(!no_ss.contains("SameSite"));
    }
}

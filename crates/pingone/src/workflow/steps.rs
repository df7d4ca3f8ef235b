//! The 21 steps: request builders from state and response appliers into state.

use super::state::WorkflowState;
use super::{Applied, BuildError, Planned, StepError, UserInput};
use crate::error::ApiError;
use crate::flow::{Flow, FlowStatus, IdRef};
use crate::http::{HttpRequest, HttpResponse, Method};
use crate::media;
use crate::models::*;
use crate::oauth::{basic_auth, TokenResponse};
use crate::secret::{AccessToken, AppSecret, AuthorizationCode, TotpKeyUri};
use serde::de::DeserializeOwned;

// ---------- helpers ----------

fn need<'a>(v: &'a Option<String>, what: &'static str, from: super::StepId) -> Result<&'a str, BuildError> {
    v.as_deref().ok_or(BuildError::Missing { what, from })
}

fn worker_token(s: &WorkflowState) -> Result<&AccessToken, BuildError> {
    s.secrets
        .worker_token
        .as_ref()
        .ok_or(BuildError::Missing { what: "worker access token", from: super::StepId::WorkerToken })
}

/// A management-API request with the worker bearer token and the correlation headers.
fn mgmt(s: &WorkflowState, method: Method, path: &str, step: u8) -> Result<HttpRequest, BuildError> {
    let mut request = HttpRequest::new(method, format!("{}{}", s.config.api_env(), path));
    // Behind `pingone-proxy --worker-from-env` the proxy adds the token; the page has none.
    if !s.config.worker_token_from_proxy {
        let token = worker_token(s)?;
        request = request.header("Authorization", format!("Bearer {}", token.expose()));
    }
    Ok(request
        .header("X-Ping-External-Session-ID", s.config.session_id.clone())
        .header("X-Ping-External-Transaction-ID", format!("{}-step{}", s.config.session_id, step)))
}

fn mgmt_json(s: &WorkflowState, method: Method, path: &str, step: u8, body: &impl serde::Serialize) -> Result<Planned, BuildError> {
    Ok(Planned::Request(mgmt(s, method, path, step)?.json_body(media::JSON, body)))
}

/// Parses a success body of the expected status, or turns the response into an `ApiError`.
fn expect<T: DeserializeOwned>(r: &HttpResponse, ok: &[u16]) -> Result<T, StepError> {
    if !ok.contains(&r.status) {
        return Err(ApiError::from_response(r.status, &r.body).into());
    }
    serde_json::from_str(&r.body)
        .map_err(|e| ApiError::Malformed { status: r.status, reason: e.to_string() }.into())
}

/// Flow requests follow the flow's `_links` (docs/pingone.md, "Requests and media types"), falling back to the documented URL.
fn flow_action(s: &WorkflowState, action: &'static str, body: &impl serde::Serialize) -> Result<Planned, BuildError> {
    let flow = s.flow.as_ref().ok_or(BuildError::Missing { what: "flow", from: super::StepId::Authorize })?;
    let href = flow.action_href(action).ok_or_else(|| BuildError::ActionNotAllowed {
        action,
        status: flow.status.clone(),
        allowed: flow.allowed_actions().iter().map(|a| a.to_string()).collect(),
    })?;
    let media_type = media::flow_action_media_type(action).unwrap_or(media::JSON);
    Ok(Planned::Request(flow_request(s, Method::Post, href.to_string()).json_body(media_type, body)))
}

/// A flow-API request (`/flows/*`, `/as/resume`): the cookies do the binding (the transport
/// replays them); the worker token goes along only once the flow API asked for it.
fn flow_request(s: &WorkflowState, method: Method, url: String) -> HttpRequest {
    let request = HttpRequest::new(method, url);
    match s.secrets.worker_token.as_ref().filter(|_| s.created.flow_wants_worker_token && !s.config.worker_token_from_proxy) {
        Some(token) => request.header("Authorization", format!("Bearer {}", token.expose())),
        None => request,
    }
}

/// Docs and the browser sample call the flow API with cookies only; one Ping sample says
/// PingOne wants the worker token as well ("omitting either causes a 401"). A 401 to the
/// cookies alone, with a worker token at hand: remember that, and send the call again with it.
pub(super) fn retry_with_worker_token(s: &mut WorkflowState, r: &HttpResponse) -> bool {
    let refused = r.status == 401 && ApiError::from_response(r.status, &r.body).code() == Some("ACCESS_FAILED");
    let retry = refused && !s.created.flow_wants_worker_token && s.secrets.worker_token.is_some() && !s.config.worker_token_from_proxy;
    if retry {
        s.created.flow_wants_worker_token = true;
    }
    retry
}

fn apply_flow(s: &mut WorkflowState, r: &HttpResponse) -> Result<FlowStatus, StepError> {
    let flow: Flow = expect(r, &[200])?;
    let status = flow.status.clone();
    s.flow = Some(flow);
    Ok(status)
}

// ---------- 0 Connect ----------

/// Step 0's second call: with a worker token and the environment's type not yet known, read it
/// (`GET /environments/{envID}`), so that a PRODUCTION environment is never provisioned into
/// without the person's say-so (docs/security.md, C7).
fn wants_environment(s: &WorkflowState) -> bool {
    s.secrets.worker_token.is_some() && s.created.environment_type.is_none()
}

pub(super) fn build_worker_token(s: &WorkflowState) -> Result<Planned, BuildError> {
    if s.config.worker_token_from_proxy {
        return Ok(Planned::Skip("pingone-proxy holds the worker credentials and adds the worker token to management calls itself: this page never sees them"));
    }
    if wants_environment(s) {
        return Ok(Planned::Request(mgmt(s, Method::Get, "", 0)?));
    }
    if s.config.worker_client_id.trim().is_empty() {
        return Err(BuildError::Invalid { field: "worker client id", message: "enter the worker app's client id".into() });
    }
    if s.secrets.worker_secret.is_empty() {
        return Err(BuildError::NeedsInput(UserInput::WorkerSecret));
    }
    Ok(Planned::Request(
        HttpRequest::new(Method::Post, format!("{}/as/token", s.config.worker_auth_base()))
            .header("Authorization", basic_auth(&s.config.worker_client_id, s.secrets.worker_secret.expose()))
            .form_body(&[("grant_type", "client_credentials")]),
    ))
}

pub(super) fn apply_worker_token(s: &mut WorkflowState, r: &HttpResponse, now_ms: u64) -> Result<Applied, StepError> {
    if wants_environment(s) {
        return apply_environment(s, r);
    }
    let t: TokenResponse = expect(r, &[200])?;
    let lifetime = crate::worker_token::WorkerTokenLifetime::of(&t, now_ms);
    s.created.worker_token_expires_at_ms = Some(lifetime.expires_at_ms);
    s.created.worker_token_obtained_at_ms = Some(lifetime.obtained_at_ms);
    s.secrets.worker_token = Some(t.access_token);
    if s.created.environment_type.is_none() {
        return Ok(Applied::Again);
    }
    production_gate(s)
}

fn apply_environment(s: &mut WorkflowState, r: &HttpResponse) -> Result<Applied, StepError> {
    let e = match Environment::from_answer(&s.config.environment_id, r.status, r.body.as_bytes()) {
        Some(Ok(e)) => e,
        Some(Err(e)) => return Err(ApiError::Malformed { status: r.status, reason: e.to_string() }.into()),
        None => return Err(ApiError::from_response(r.status, &r.body).into()),
    };
    s.created.environment_name = Some(e.name).filter(|n| !n.is_empty());
    s.created.environment_type = Some(e.environment_type);
    production_gate(s)
}

/// Step 0 finishes in a SANDBOX environment, elsewhere only once the person confirmed.
fn production_gate(s: &WorkflowState) -> Result<Applied, StepError> {
    match s.created.environment_type {
        Some(t) if t.needs_confirmation() && !s.config.allow_production => Err(StepError::ProductionEnvironment(t)),
        _ => Ok(Applied::Done),
    }
}

// ---------- 1-13 Provision ----------

pub(super) fn build_create_application(s: &WorkflowState) -> Result<Planned, BuildError> {
    let body = CreateApplication {
        name: s.config.application_name.clone(),
        description: Some("Created by PingOne Sign-On Workbench (login + MFA workflow)".into()),
        enabled: true,
        app_type: ApplicationType::WebApp,
        protocol: ApplicationProtocol::OpenIdConnect,
        grant_types: vec![GrantType::AuthorizationCode],
        response_types: vec![ResponseType::Code],
        token_endpoint_auth_method: TokenEndpointAuthMethod::ClientSecretBasic,
        pkce_enforcement: PkceEnforcement::S256Required,
        redirect_uris: vec![s.config.redirect_uri.clone()],
        post_logout_redirect_uris: vec![],
        cors_settings: s.config.app_origin.as_ref().map(|o| CorsSettings {
            behavior: CorsBehavior::AllowSpecificOrigins,
            origins: vec![o.clone()],
        }),
    };
    mgmt_json(s, Method::Post, "/applications", 1, &body)
}

pub(super) fn apply_create_application(s: &mut WorkflowState, r: &HttpResponse, _: u64) -> Result<Applied, StepError> {
    let app: Application = expect(r, &[201])?;
    s.created.application_id = Some(app.id);
    Ok(Applied::Done)
}

pub(super) fn build_read_resources(s: &WorkflowState) -> Result<Planned, BuildError> {
    Ok(Planned::Request(mgmt(s, Method::Get, "/resources", 2)?))
}

pub(super) fn apply_read_resources(s: &mut WorkflowState, r: &HttpResponse, _: u64) -> Result<Applied, StepError> {
    let list: EntityArray<Resource> = expect(r, &[200])?;
    let openid = list
        .items("resources")
        .iter()
        .find(|res| res.name == "openid" || res.resource_type.as_deref() == Some("OPENID_CONNECT"))
        .ok_or_else(|| ApiError::Malformed { status: r.status, reason: "no `openid` resource in _embedded.resources".into() })?;
    s.created.openid_resource_id = Some(openid.id.clone());
    Ok(Applied::Done)
}

pub(super) fn build_read_scopes(s: &WorkflowState) -> Result<Planned, BuildError> {
    let res = need(&s.created.openid_resource_id, "openid resource id", super::StepId::ReadResources)?;
    Ok(Planned::Request(mgmt(s, Method::Get, &format!("/resources/{res}/scopes"), 3)?))
}

pub(super) fn apply_read_scopes(s: &mut WorkflowState, r: &HttpResponse, _: u64) -> Result<Applied, StepError> {
    let list: EntityArray<ResourceScope> = expect(r, &[200])?;
    let mut picked = Vec::new();
    let mut missing = Vec::new();
    for wanted in s.config.scopes.iter().filter(|w| w.as_str() != "openid") {
        match list.items("scopes").iter().find(|sc| &sc.name == wanted) {
            Some(sc) => picked.push((sc.name.clone(), sc.id.clone())),
            None => missing.push(wanted.clone()),
        }
    }
    if !missing.is_empty() {
        return Err(StepError::Workflow(format!(
            "the openid resource has no scope named {}; choose among the scopes it lists",
            missing.join(", ")
        )));
    }
    s.created.scopes = picked;
    Ok(Applied::Done)
}

pub(super) fn build_create_grant(s: &WorkflowState) -> Result<Planned, BuildError> {
    let app = need(&s.created.application_id, "application id", super::StepId::CreateApplication)?;
    let res = need(&s.created.openid_resource_id, "openid resource id", super::StepId::ReadResources)?;
    if s.created.scopes.is_empty() {
        return Err(BuildError::Missing { what: "scope ids", from: super::StepId::ReadScopes });
    }
    let body = CreateGrant {
        resource: IdRef { id: res.to_string() },
        scopes: s.created.scopes.iter().map(|(_, id)| IdRef { id: id.clone() }).collect(),
    };
    mgmt_json(s, Method::Post, &format!("/applications/{app}/grants"), 4, &body)
}

fn apply_created(r: &HttpResponse) -> Result<String, StepError> {
    let c: Created = expect(r, &[201])?;
    Ok(c.id)
}

pub(super) fn apply_create_grant(s: &mut WorkflowState, r: &HttpResponse, _: u64) -> Result<Applied, StepError> {
    s.created.grant_id = Some(apply_created(r)?);
    Ok(Applied::Done)
}

pub(super) fn build_create_sign_on_policy(s: &WorkflowState) -> Result<Planned, BuildError> {
    let body = CreateSignOnPolicy {
        name: s.config.sign_on_policy_name.clone(),
        description: Some("Login then MFA (PingOne Sign-On Workbench)".into()),
    };
    mgmt_json(s, Method::Post, "/signOnPolicies", 5, &body)
}

pub(super) fn apply_create_sign_on_policy(s: &mut WorkflowState, r: &HttpResponse, _: u64) -> Result<Applied, StepError> {
    s.created.sign_on_policy_id = Some(apply_created(r)?);
    Ok(Applied::Done)
}

pub(super) fn build_create_login_action(s: &WorkflowState) -> Result<Planned, BuildError> {
    let p = need(&s.created.sign_on_policy_id, "sign-on policy id", super::StepId::CreateSignOnPolicy)?;
    let body = SignOnPolicyAction::Login { priority: 1, recovery: None };
    mgmt_json(s, Method::Post, &format!("/signOnPolicies/{p}/actions"), 6, &body)
}

pub(super) fn apply_create_login_action(s: &mut WorkflowState, r: &HttpResponse, _: u64) -> Result<Applied, StepError> {
    s.created.login_action_id = Some(apply_created(r)?);
    Ok(Applied::Done)
}

pub(super) fn build_create_mfa_action(s: &WorkflowState) -> Result<Planned, BuildError> {
    let p = need(&s.created.sign_on_policy_id, "sign-on policy id", super::StepId::CreateSignOnPolicy)?;
    let on = Some(Enabled { enabled: true });
    let body = SignOnPolicyAction::MultiFactorAuthentication {
        priority: 10,
        email: on,
        sms: on,
        authenticator: (s.config.device_type == DeviceType::Totp).then_some(Enabled { enabled: true }),
        device_authentication_policy: None,
    };
    mgmt_json(s, Method::Post, &format!("/signOnPolicies/{p}/actions"), 7, &body)
}

pub(super) fn apply_create_mfa_action(s: &mut WorkflowState, r: &HttpResponse, _: u64) -> Result<Applied, StepError> {
    s.created.mfa_action_id = Some(apply_created(r)?);
    Ok(Applied::Done)
}

pub(super) fn build_assign_sign_on_policy(s: &WorkflowState) -> Result<Planned, BuildError> {
    let app = need(&s.created.application_id, "application id", super::StepId::CreateApplication)?;
    let p = need(&s.created.sign_on_policy_id, "sign-on policy id", super::StepId::CreateSignOnPolicy)?;
    let body = CreateSignOnPolicyAssignment { priority: 1, sign_on_policy: IdRef { id: p.to_string() } };
    mgmt_json(s, Method::Post, &format!("/applications/{app}/signOnPolicyAssignments"), 8, &body)
}

pub(super) fn apply_assign_sign_on_policy(s: &mut WorkflowState, r: &HttpResponse, _: u64) -> Result<Applied, StepError> {
    s.created.sign_on_policy_assignment_id = Some(apply_created(r)?);
    Ok(Applied::Done)
}

pub(super) fn build_create_population(s: &WorkflowState) -> Result<Planned, BuildError> {
    let body = CreatePopulation {
        name: s.config.population_name.clone(),
        description: Some("Users created by PingOne Sign-On Workbench".into()),
    };
    mgmt_json(s, Method::Post, "/populations", 9, &body)
}

pub(super) fn apply_create_population(s: &mut WorkflowState, r: &HttpResponse, _: u64) -> Result<Applied, StepError> {
    s.created.population_id = Some(apply_created(r)?);
    Ok(Applied::Done)
}

pub(super) fn build_create_user(s: &WorkflowState) -> Result<Planned, BuildError> {
    let pop = need(&s.created.population_id, "population id", super::StepId::CreatePopulation)?;
    let body = CreateUser {
        username: s.config.username.clone(),
        email: s.config.email.clone(),
        population: IdRef { id: pop.to_string() },
        name: Some(UserName { given: s.config.given_name.clone(), family: s.config.family_name.clone() }),
    };
    mgmt_json(s, Method::Post, "/users", 10, &body)
}

pub(super) fn apply_create_user(s: &mut WorkflowState, r: &HttpResponse, _: u64) -> Result<Applied, StepError> {
    let u: User = expect(r, &[201])?;
    s.created.user_id = Some(u.id);
    Ok(Applied::Done)
}

pub(super) fn build_set_password(s: &WorkflowState) -> Result<Planned, BuildError> {
    let user = need(&s.created.user_id, "user id", super::StepId::CreateUser)?;
    if s.secrets.password.is_empty() {
        return Err(BuildError::NeedsInput(UserInput::Password));
    }
    let body = PasswordSet { value: s.secrets.password.expose().to_string(), force_change: false };
    Ok(Planned::Request(
        mgmt(s, Method::Put, &format!("/users/{user}/password"), 11)?.json_body(media::PASSWORD_SET, &body),
    ))
}

pub(super) fn apply_set_password(s: &mut WorkflowState, r: &HttpResponse, _: u64) -> Result<Applied, StepError> {
    let p: PasswordState = expect(r, &[200])?;
    s.created.password_status = Some(p.status);
    Ok(Applied::Done)
}

pub(super) fn build_enable_mfa(s: &WorkflowState) -> Result<Planned, BuildError> {
    let user = need(&s.created.user_id, "user id", super::StepId::CreateUser)?;
    mgmt_json(s, Method::Put, &format!("/users/{user}/mfaEnabled"), 12, &UserMfaEnabled { mfa_enabled: true })
}

pub(super) fn apply_enable_mfa(s: &mut WorkflowState, r: &HttpResponse, _: u64) -> Result<Applied, StepError> {
    let m: UserMfaEnabled = expect(r, &[200])?;
    s.created.mfa_enabled = Some(m.mfa_enabled);
    Ok(Applied::Done)
}

pub(super) fn build_create_device(s: &WorkflowState) -> Result<Planned, BuildError> {
    let user = need(&s.created.user_id, "user id", super::StepId::CreateUser)?;
    // An authenticator app is paired in two calls: create (answers its keyUri), then activate
    // with a code from it.
    if let (Some(device), Some("ACTIVATION_REQUIRED"), DeviceType::Totp) =
        (&s.created.device_id, s.created.device_status.as_deref(), s.config.device_type)
    {
        let otp = s.secrets.otp.as_ref().ok_or(BuildError::NeedsInput(UserInput::TotpCode))?;
        let body = serde_json::json!({ "otp": otp.expose() });
        let request = mgmt(s, Method::Post, &format!("/users/{user}/devices/{device}"), 13)?;
        return Ok(Planned::Request(request.json_body(media::DEVICE_ACTIVATE, &body)));
    }
    let c = &s.config;
    let body = CreateDevice {
        device_type: c.device_type,
        email: (c.device_type == DeviceType::Email).then(|| c.device_email.clone()),
        phone: (c.device_type == DeviceType::Sms).then(|| c.device_phone.clone()),
        nickname: None,
    };
    mgmt_json(s, Method::Post, &format!("/users/{user}/devices"), 13, &body)
}

pub(super) fn apply_create_device(s: &mut WorkflowState, r: &HttpResponse, _: u64) -> Result<Applied, StepError> {
    // The create status is undocumented (docs/pingone.md, call 13): accept 200 or 201.
    let d: Device = expect(r, &[200, 201])?;
    let activating = s.created.device_id.as_deref() == Some(d.id.as_str());
    let totp = d.device_type == "TOTP";
    if let Some(uri) = d.key_uri.as_ref().filter(|_| totp) {
        s.secrets.totp_key_uri = Some(TotpKeyUri::new(uri.clone()));
    }
    s.created.device_id = Some(d.id);
    s.created.device_status = Some(d.status.clone());
    if activating {
        s.secrets.otp = None;
    }
    // A new TOTP device waits for its activation call (same step); other devices are done.
    if !activating && totp && d.status == "ACTIVATION_REQUIRED" {
        return Ok(Applied::Again);
    }
    Ok(Applied::Done)
}

// ---------- 14-18 Sign on ----------

pub(super) fn build_authorize(s: &WorkflowState) -> Result<Planned, BuildError> {
    let app = need(&s.created.application_id, "application id", super::StepId::CreateApplication)?;
    let a = s.secrets.authorize.as_ref().ok_or(BuildError::NeedsInput(UserInput::AuthorizeSecrets))?;
    let scope = s.config.scopes.join(" ");
    let mut url = url::Url::parse(&format!("{}/as/authorize", s.config.auth_base()))
        .map_err(|e| BuildError::Invalid { field: "auth base URL", message: e.to_string() })?;
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", app)
        .append_pair("redirect_uri", &s.config.redirect_uri)
        .append_pair("scope", &scope)
        .append_pair("state", &a.state)
        .append_pair("nonce", &a.nonce)
        .append_pair("code_challenge", &a.code_challenge)
        .append_pair("code_challenge_method", "S256")
        .append_pair("response_mode", "pi.flow");
    Ok(Planned::Request(HttpRequest::new(Method::Get, url.to_string()).header("Accept", "*/*")))
}

pub(super) fn apply_authorize(s: &mut WorkflowState, r: &HttpResponse, _: u64) -> Result<Applied, StepError> {
    apply_flow(s, r)?;
    Ok(Applied::Done)
}

pub(super) fn build_read_flow(s: &WorkflowState) -> Result<Planned, BuildError> {
    let flow = s.flow.as_ref().ok_or(BuildError::Missing { what: "flow", from: super::StepId::Authorize })?;
    let href = flow
        .action_href("self")
        .map(str::to_string)
        .unwrap_or_else(|| format!("{}/flows/{}", s.config.auth_base(), flow.id));
    Ok(Planned::Request(flow_request(s, Method::Get, href).header("Accept", "*/*")))
}

pub(super) fn apply_read_flow(s: &mut WorkflowState, r: &HttpResponse, _: u64) -> Result<Applied, StepError> {
    apply_flow(s, r)?;
    Ok(Applied::Done)
}

#[derive(serde::Serialize)]
struct UsernamePassword<'a> {
    username: &'a str,
    password: &'a str,
}

pub(super) fn build_check_username_password(s: &WorkflowState) -> Result<Planned, BuildError> {
    if s.secrets.password.is_empty() {
        return Err(BuildError::NeedsInput(UserInput::Password));
    }
    let body = UsernamePassword { username: &s.config.username, password: s.secrets.password.expose() };
    flow_action(s, "usernamePassword.check", &body)
}

pub(super) fn apply_check_username_password(s: &mut WorkflowState, r: &HttpResponse, _: u64) -> Result<Applied, StepError> {
    match apply_flow(s, r)? {
        FlowStatus::Failed => Err(StepError::FlowFailed(flow_error_message(s))),
        _ => Ok(Applied::Done),
    }
}

#[derive(serde::Serialize)]
struct DeviceSelect {
    device: IdRef,
}

#[derive(serde::Serialize)]
struct OtpCheck<'a> {
    otp: &'a str,
}

pub(super) fn build_check_otp(s: &WorkflowState) -> Result<Planned, BuildError> {
    let flow = s.flow.as_ref().ok_or(BuildError::Missing { what: "flow", from: super::StepId::CheckUsernamePassword })?;
    match &flow.status {
        FlowStatus::Completed => Ok(Planned::Skip("the flow completed without MFA")),
        FlowStatus::DeviceSelectionRequired => {
            let wanted = s.selected_device_id.as_ref().or(s.created.device_id.as_ref());
            let device = wanted
                .and_then(|id| flow.devices().iter().find(|d| &d.id == id))
                .or_else(|| flow.devices().first())
                .ok_or_else(|| BuildError::Invalid { field: "device", message: "the flow offers no device".into() })?;
            flow_action(s, "device.select", &DeviceSelect { device: IdRef { id: device.id.clone() } })
        }
        FlowStatus::OtpRequired => {
            let otp = s.secrets.otp.as_ref().ok_or(BuildError::NeedsInput(UserInput::Otp))?;
            flow_action(s, "otp.check", &OtpCheck { otp: otp.expose() })
        }
        other => Err(BuildError::UnsupportedFlowStatus(other.clone())),
    }
}

pub(super) fn apply_check_otp(s: &mut WorkflowState, r: &HttpResponse, _: u64) -> Result<Applied, StepError> {
    // Refused before PingOne looked at the code: keep it for the call with the worker token.
    // An OTP is single-use: forget it whatever the answer was.
    let was_otp_check = s.flow.as_ref().map(|f| f.status == FlowStatus::OtpRequired).unwrap_or(false);
    if was_otp_check {
        s.secrets.otp = None;
    }
    match apply_flow(s, r)? {
        FlowStatus::Completed => Ok(Applied::Done),
        FlowStatus::OtpRequired | FlowStatus::DeviceSelectionRequired => Ok(Applied::Again),
        FlowStatus::Failed => Err(StepError::FlowFailed(flow_error_message(s))),
        other => Err(StepError::Workflow(format!("the flow moved to {other}, which this workflow does not cover"))),
    }
}

fn flow_error_message(s: &WorkflowState) -> String {
    s.flow
        .as_ref()
        .and_then(|f| f.error.as_ref())
        .and_then(|e| e.get("message").and_then(|m| m.as_str()).map(str::to_string))
        .unwrap_or_else(|| "the flow failed".to_string())
}

pub(super) fn build_resume(s: &WorkflowState) -> Result<Planned, BuildError> {
    let flow = s.flow.as_ref().ok_or(BuildError::Missing { what: "flow", from: super::StepId::Authorize })?;
    if flow.status != FlowStatus::Completed {
        return Err(BuildError::UnsupportedFlowStatus(flow.status.clone()));
    }
    let href = flow.resume_url.clone().unwrap_or_else(|| {
        let mut u = format!("{}/as/resume", s.config.auth_base());
        u.push_str("?flowId=");
        u.extend(url::form_urlencoded::byte_serialize(flow.id.as_bytes()));
        u
    });
    Ok(Planned::Request(flow_request(s, Method::Get, href).header("Accept", "*/*")))
}

pub(super) fn apply_resume(s: &mut WorkflowState, r: &HttpResponse, _: u64) -> Result<Applied, StepError> {
    // pi.flow answers JSON with authorizeResponse; redirect mode answers 302 with Location.
    let (code, state) = if (300..400).contains(&r.status) {
        let location = r.headers.get("location").ok_or_else(|| ApiError::Malformed {
            status: r.status,
            reason: "redirect without a Location header".into(),
        })?;
        let url = url::Url::parse(location)
            .map_err(|e| ApiError::Malformed { status: r.status, reason: format!("bad Location: {e}") })?;
        let q = |k: &str| url.query_pairs().find(|(n, _)| n == k).map(|(_, v)| v.into_owned());
        if let Some(err) = q("error") {
            return Err(ApiError::OAuth {
                status: r.status,
                error: crate::error::OAuthError { error: err, error_description: q("error_description") },
            }
            .into());
        }
        let code = q("code").ok_or_else(|| ApiError::Malformed { status: r.status, reason: "no code in Location".into() })?;
        (code, q("state"))
    } else {
        let flow: Flow = expect(r, &[200])?;
        let ar = flow.authorize_response.clone().ok_or_else(|| ApiError::Malformed {
            status: r.status,
            reason: "no authorizeResponse in the resume response".into(),
        })?;
        s.flow = Some(flow);
        (ar.code, ar.state)
    };
    let expected = s.secrets.authorize.as_ref().map(|a| a.state.clone());
    if expected.is_some() && state != expected {
        return Err(StepError::StateMismatch { expected: expected.unwrap_or_default(), got: state });
    }
    s.secrets.code = Some(AuthorizationCode::new(code));
    Ok(Applied::Done)
}

// ---------- 19-20 Tokens ----------

pub(super) fn build_read_application_secret(s: &WorkflowState) -> Result<Planned, BuildError> {
    let app = need(&s.created.application_id, "application id", super::StepId::CreateApplication)?;
    Ok(Planned::Request(mgmt(s, Method::Get, &format!("/applications/{app}/secret"), 19)?))
}

pub(super) fn apply_read_application_secret(s: &mut WorkflowState, r: &HttpResponse, _: u64) -> Result<Applied, StepError> {
    let sec: ApplicationSecret = expect(r, &[200])?;
    s.secrets.app_secret = Some(AppSecret::new(sec.secret));
    Ok(Applied::Done)
}

pub(super) fn build_exchange_code(s: &WorkflowState) -> Result<Planned, BuildError> {
    let app = need(&s.created.application_id, "application id", super::StepId::CreateApplication)?;
    let secret = s
        .secrets
        .app_secret
        .as_ref()
        .ok_or(BuildError::Missing { what: "application secret", from: super::StepId::ReadApplicationSecret })?;
    let code = s.secrets.code.as_ref().ok_or(BuildError::Missing { what: "authorization code", from: super::StepId::Resume })?;
    let verifier = s
        .secrets
        .authorize
        .as_ref()
        .map(|a| a.code_verifier.expose())
        .ok_or(BuildError::Missing { what: "PKCE code verifier", from: super::StepId::Authorize })?;
    Ok(Planned::Request(
        HttpRequest::new(Method::Post, format!("{}/as/token", s.config.auth_base()))
            .header("Authorization", basic_auth(app, secret.expose()))
            .form_body(&[
                ("grant_type", "authorization_code"),
                ("code", code.expose()),
                ("redirect_uri", &s.config.redirect_uri),
                ("code_verifier", verifier),
            ]),
    ))
}

pub(super) fn apply_exchange_code(s: &mut WorkflowState, r: &HttpResponse, _: u64) -> Result<Applied, StepError> {
    // The code is spent whatever the answer: never send it twice.
    s.secrets.code = None;
    let t: TokenResponse = expect(r, &[200])?;
    if t.id_token.is_none() {
        return Err(ApiError::Malformed { status: r.status, reason: "no id_token although openid was requested".into() }.into());
    }
    s.secrets.tokens = Some(t);
    Ok(Applied::Done)
}

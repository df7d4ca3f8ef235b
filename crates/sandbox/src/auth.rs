//! The authorization server, `{auth}/as/*`: token (calls 0 and 20), authorize (call 14),
//! resume (call 18), JWKS, discovery and userinfo.

use crate::clock::{iso8601, SECOND};
use crate::errors::{Detail, FlowErrorCode, OAuthCode, OAuthError, P1Error, Result};
use crate::flow::{flow_cookie, AuthorizeRequest, Flow, FlowStatus, LoginStep, MfaStep, ResponseMode, FLOW_COOKIE};
use crate::http::{hal_response, json_response, param, redirect, Incoming};
use crate::jwt::{at_hash, b64};
use crate::mgmt::put_opt;
use crate::store::{ActionKind, Application, AuthorizationCode, DeviceType, IssuedToken, RefreshToken, User};
use crate::{totp, Engine};
use pingone::http::{HttpResponse, Method};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

const FORM: &str = "application/x-www-form-urlencoded";
/// Access and ID tokens live one hour.
const TOKEN_LIFETIME_SECONDS: u64 = 3600;
/// Authorization codes are single-use and live one minute.
const CODE_LIFETIME: u64 = 60 * SECOND;
/// Audience of access tokens (worker tokens and tokens for the OpenID Connect scopes).
const API_AUDIENCE: &str = "https://api.pingone.com";

/// RFC 7636 `code_verifier` / `code_challenge` characters, 43 to 128 of them.
fn is_pkce_value(s: &str) -> bool {
    (43..=128).contains(&s.len()) && s.bytes().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'~'))
}

/// An authorize error detected after the client and redirect URI are known to be good.
struct AuthorizeError {
    code: OAuthCode,
    target: &'static str,
    missing: bool,
    message: String,
}

impl AuthorizeError {
    fn new(code: OAuthCode, target: &'static str, message: impl Into<String>) -> AuthorizeError {
        AuthorizeError { code, target, missing: false, message: message.into() }
    }
    fn missing(target: &'static str) -> AuthorizeError {
        AuthorizeError { code: OAuthCode::InvalidRequest, target, missing: true, message: format!("{target} is required.") }
    }
    /// The pi.flow (JSON) form: 400 `INVALID_DATA` with the parameter as `target`.
    fn to_p1(&self) -> P1Error {
        let detail = if self.missing { Detail::required(self.target) } else { Detail::invalid(self.target, self.message.clone()) };
        P1Error::invalid_one(detail)
    }
}

/// `Location` for an authorization response (code or error) in the flow's response mode.
fn response_location(redirect_uri: &str, mode: ResponseMode, params: &[(&str, &str)]) -> String {
    let encoded = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(params.iter()).finish();
    match mode {
        ResponseMode::Fragment => format!("{redirect_uri}#{encoded}"),
        _ if redirect_uri.contains('?') => format!("{redirect_uri}&{encoded}"),
        _ => format!("{redirect_uri}?{encoded}"),
    }
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('"', "&quot;").replace('<', "&lt;").replace('>', "&gt;").replace('\'', "&#39;")
}

/// An authorization response to the client: 302, or an auto-submitting form for `form_post`.
fn authorization_response(redirect_uri: &str, mode: ResponseMode, params: &[(&str, &str)]) -> HttpResponse {
    if mode != ResponseMode::FormPost {
        return redirect(&response_location(redirect_uri, mode, params));
    }
    let inputs: String =
        params.iter().map(|(k, v)| format!("<input type=\"hidden\" name=\"{}\" value=\"{}\"/>", html_escape(k), html_escape(v))).collect();
    let mut r = HttpResponse::new(200);
    r.headers.push("Content-Type", "text/html;charset=UTF-8");
    r.headers.push("Cache-Control", "no-store");
    r.body = format!(
        "<!DOCTYPE html><html><head><title>Submit This Form</title></head><body onload=\"document.forms[0].submit()\"><form method=\"post\" action=\"{}\">{inputs}<noscript><button type=\"submit\">Continue</button></noscript></form></body></html>",
        html_escape(redirect_uri)
    );
    r
}

/// How the client authenticated at the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ClientAuth {
    Basic,
    Post,
    None,
}

impl Engine {
    /// `/{envId}/as/...`.
    pub(crate) fn authorization_server(&mut self, req: &Incoming<'_>, endpoint: &[&str], now: u64) -> Result<HttpResponse> {
        let allow = |methods: &[&str]| -> Result<()> {
            if methods.contains(&req.method.as_str()) {
                Ok(())
            } else {
                Err(P1Error::method_not_allowed(methods).into())
            }
        };
        match endpoint {
            ["authorize"] => {
                allow(&["GET", "POST"])?;
                self.authorize(req, now)
            }
            ["token"] => {
                allow(&["POST"])?;
                self.token(req, now)
            }
            ["resume"] => {
                allow(&["GET"])?;
                self.resume(req, now)
            }
            ["jwks"] => {
                allow(&["GET"])?;
                Ok(json_response(200, &json!({ "keys": [self.signer.jwk()] })))
            }
            ["userinfo"] => {
                allow(&["GET", "POST"])?;
                self.userinfo(req, now)
            }
            [".well-known", "openid-configuration"] => {
                allow(&["GET"])?;
                Ok(json_response(200, &self.discovery(&req.origin)))
            }
            _ => Err(P1Error::not_found("the requested resource").into()),
        }
    }

    fn discovery(&self, origin: &str) -> Value {
        let base = format!("{origin}/{}/as", self.store.env.id);
        json!({
            "issuer": base,
            "authorization_endpoint": format!("{base}/authorize"),
            "token_endpoint": format!("{base}/token"),
            "userinfo_endpoint": format!("{base}/userinfo"),
            "jwks_uri": format!("{base}/jwks"),
            "response_types_supported": ["code"],
            "response_modes_supported": ["query", "fragment", "form_post", "pi.flow"],
            "grant_types_supported": ["authorization_code", "client_credentials", "refresh_token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
            "code_challenge_methods_supported": ["plain", "S256"],
            "scopes_supported": ["openid", "profile", "email", "address", "phone"],
            "claims_supported": [
                "sub", "iss", "auth_time", "acr", "amr", "sid", "nonce", "at_hash", "env", "org", "p1.region",
                "name", "given_name", "family_name", "middle_name", "preferred_username", "locale", "updated_at",
                "email", "email_verified", "phone_number", "phone_number_verified"
            ],
            "request_parameter_supported": false,
            "request_uri_parameter_supported": false,
            "claims_parameter_supported": false,
        })
    }

    // ---------- authorize (call 14) ----------

    /// `GET|POST /as/authorize`: validates the request and starts a sign-on flow.
    fn authorize(&mut self, req: &Incoming<'_>, now: u64) -> Result<HttpResponse> {
        // PingOne refuses a strict `Accept: application/json` here with 406 (docs/sandbox.md).
        if let Some(accept) = req.header("accept").filter(|a| !accepts_hal_json(a)) {
            return Err(P1Error::not_acceptable(accept, "application/hal+json").into());
        }
        let params: Vec<(String, String)> = match req.method {
            Method::Post => {
                if req.media_type().as_deref() != Some(FORM) {
                    return Err(P1Error::unsupported_media_type(req.header("content-type"), &[FORM]).into());
                }
                req.form()
            }
            _ => req.query.clone(),
        };
        let p = |k: &str| param(&params, k);
        for (k, _) in &params {
            if params.iter().filter(|(n, _)| n == k).count() > 1 {
                return Err(P1Error::invalid_one(Detail::invalid("request", format!("The parameter `{k}` appears more than once."))).into());
            }
        }
        let pi_flow = p("response_mode") == Some("pi.flow");

        // The client and the redirect URI: errors here can never go to the redirect URI.
        let client_id = p("client_id").filter(|c| !c.is_empty()).ok_or_else(|| P1Error::invalid_one(Detail::required("client_id")))?;
        let app = self.store.application(client_id).ok_or_else(|| {
            P1Error::invalid_one(Detail::invalid("client_id", format!("Unable to find an application with client_id {client_id}.")))
        })?;
        if !app.enabled {
            return Err(P1Error::invalid_one(Detail::invalid("client_id", "The application is disabled.")).into());
        }
        let redirect_uri = p("redirect_uri").map(str::to_string);
        match &redirect_uri {
            Some(r) if !app.redirect_uris.iter().any(|u| u == r) => {
                return Err(P1Error::invalid_one(Detail::invalid(
                    "redirect_uri",
                    "Redirect URI mismatch: it is not one of the application's redirectUris.",
                ))
                .into());
            }
            None if !pi_flow => return Err(P1Error::invalid_one(Detail::required("redirect_uri")).into()),
            _ => {}
        }
        let state = p("state").map(str::to_string);
        let mode = match p("response_mode") {
            None | Some("query") => Ok(ResponseMode::Query),
            Some("fragment") => Ok(ResponseMode::Fragment),
            Some("form_post") => Ok(ResponseMode::FormPost),
            Some("pi.flow") => Ok(ResponseMode::PiFlow),
            Some(other) => {
                Err(AuthorizeError::new(OAuthCode::InvalidRequest, "response_mode", format!("Unsupported response_mode `{other}`.")))
            }
        };
        let checked = mode.and_then(|mode| self.check_authorize(app, &params).map(|r| (mode, r)));
        let (mode, (scopes, code_challenge)) = match checked {
            Ok(ok) => ok,
            Err(e) if pi_flow => return Err(e.to_p1().into()),
            Err(e) => {
                let redirect_uri = redirect_uri.unwrap_or_default();
                let mut params = vec![("error", e.code.as_str()), ("error_description", e.message.as_str())];
                if let Some(s) = &state {
                    params.push(("state", s));
                }
                let mode = match p("response_mode") {
                    Some("fragment") => ResponseMode::Fragment,
                    Some("form_post") => ResponseMode::FormPost,
                    _ => ResponseMode::Query,
                };
                return Ok(authorization_response(&redirect_uri, mode, &params));
            }
        };
        let login_page_url = app.login_page_url.clone();
        let request = AuthorizeRequest {
            client_id: client_id.to_string(),
            mode,
            redirect_uri,
            state,
            nonce: p("nonce").map(str::to_string),
            scopes,
            code_challenge,
        };
        let binding = req
            .cookies(FLOW_COOKIE)
            .into_iter()
            .find(|v| !v.is_empty() && v.len() <= 64 && v.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-'))
            .unwrap_or_else(|| self.ids.uuid());
        let idx = self.start_flow(request, binding.clone(), now);
        let env = self.store.env.id.clone();
        let flow_id = self.store.flows[idx].id.clone();
        let mut resp = match mode {
            ResponseMode::PiFlow => hal_response(200, &self.flow_json(&req.origin, idx)),
            _ => redirect(&self.sign_on_page(&req.origin, login_page_url, &flow_id)),
        };
        resp.headers.push("Set-Cookie", flow_cookie(&env, &binding));
        Ok(resp)
    }

    /// The sign-on page of a flow: the app's `loginPageUrl`, else the hosted page
    /// `{origin}/{env}/signon/`, with `environmentId` and `flowId` (redirect-mode authorize's
    /// `Location`, and the flow's `_links.signOnPage`).
    pub(crate) fn sign_on_page(&self, origin: &str, login_page_url: Option<String>, flow_id: &str) -> String {
        let env = &self.store.env.id;
        let page = login_page_url.unwrap_or_else(|| format!("{origin}/{env}/signon/"));
        response_location(&page, ResponseMode::Query, &[("environmentId", env), ("flowId", flow_id)])
    }

    /// response_type, scope, PKCE and prompt checks. Returns the scopes and the PKCE challenge.
    #[allow(clippy::type_complexity)]
    fn check_authorize(
        &self,
        app: &Application,
        params: &[(String, String)],
    ) -> Result<(Vec<String>, Option<(String, String)>), AuthorizeError> {
        let p = |k: &str| param(params, k);
        match p("response_type") {
            None | Some("") => return Err(AuthorizeError::missing("response_type")),
            Some("code") => {}
            Some(other) => {
                return Err(AuthorizeError::new(
                    OAuthCode::UnsupportedResponseType,
                    "response_type",
                    format!("Unsupported response_type `{other}`: the sandbox emulates the authorization code flow (`code`)."),
                ))
            }
        }
        if !app.response_types.iter().any(|r| r == "CODE") {
            return Err(AuthorizeError::new(
                OAuthCode::UnsupportedResponseType,
                "response_type",
                "The application's responseTypes do not include CODE.",
            ));
        }
        if !app.has_grant_type("AUTHORIZATION_CODE") {
            return Err(AuthorizeError::new(
                OAuthCode::UnauthorizedClient,
                "response_type",
                "The application's grantTypes do not include AUTHORIZATION_CODE.",
            ));
        }
        let mut scopes: Vec<String> = Vec::new();
        for s in p("scope").unwrap_or_default().split_whitespace() {
            if !scopes.iter().any(|x| x == s) {
                scopes.push(s.to_string());
            }
        }
        if scopes.is_empty() {
            return Err(AuthorizeError::missing("scope"));
        }
        if !scopes.iter().any(|s| s == "openid") {
            return Err(AuthorizeError::new(OAuthCode::InvalidScope, "scope", "The scope must include `openid`."));
        }
        if let Some(s) = scopes.iter().find(|s| *s != "openid" && !self.store.granted_scope(&app.id, s)) {
            return Err(AuthorizeError::new(
                OAuthCode::InvalidScope,
                "scope",
                format!("The scope `{s}` is not granted to the application."),
            ));
        }
        let challenge = p("code_challenge").filter(|c| !c.is_empty());
        let method = p("code_challenge_method");
        let code_challenge = match (challenge, method) {
            (None, Some(_)) => {
                return Err(AuthorizeError::new(
                    OAuthCode::InvalidRequest,
                    "code_challenge",
                    "code_challenge_method was sent without code_challenge.",
                ))
            }
            (None, None) if matches!(app.pkce_enforcement.as_str(), "REQUIRED" | "S256_REQUIRED") => {
                return Err(AuthorizeError::new(
                    OAuthCode::InvalidRequest,
                    "code_challenge",
                    "The application requires PKCE: code_challenge is required.",
                ))
            }
            (None, None) => None,
            (Some(c), m) => {
                let m = m.unwrap_or("plain");
                if !matches!(m, "plain" | "S256") {
                    return Err(AuthorizeError::new(
                        OAuthCode::InvalidRequest,
                        "code_challenge_method",
                        format!("Unsupported code_challenge_method `{m}`."),
                    ));
                }
                if app.pkce_enforcement == "S256_REQUIRED" && m != "S256" {
                    return Err(AuthorizeError::new(
                        OAuthCode::InvalidRequest,
                        "code_challenge_method",
                        "The application requires code_challenge_method S256.",
                    ));
                }
                if !is_pkce_value(c) {
                    return Err(AuthorizeError::new(
                        OAuthCode::InvalidRequest,
                        "code_challenge",
                        "code_challenge must be 43 to 128 characters of [A-Za-z0-9-._~].",
                    ));
                }
                Some((c.to_string(), m.to_string()))
            }
        };
        if p("prompt").is_some_and(|pr| pr.split_whitespace().any(|x| x == "none")) {
            return Err(AuthorizeError::new(
                OAuthCode::LoginRequired,
                "prompt",
                "prompt=none: the sandbox keeps no single sign-on session to reuse.",
            ));
        }
        Ok((scopes, code_challenge))
    }

    /// A new flow under the application's sign-on policy (its highest-priority assignment, else
    /// the environment's default policy), with the policy's actions captured now.
    fn start_flow(&mut self, request: AuthorizeRequest, binding: String, now: u64) -> usize {
        let mut assigned: Vec<_> = self.store.assignments.iter().filter(|a| a.application_id == request.client_id).collect();
        assigned.sort_by_key(|a| a.priority);
        let policy = assigned.iter().find_map(|a| self.store.policy(&a.policy_id)).or_else(|| self.store.default_policy());
        let policy_id = policy.map(|p| p.id.clone()).unwrap_or_default();
        let policy_name = policy.map(|p| p.name.clone()).unwrap_or_default();
        let mut actions: Vec<_> = self.store.actions.iter().filter(|a| a.policy_id == policy_id).collect();
        actions.sort_by_key(|a| a.priority);
        let login = actions.iter().find_map(|a| match &a.kind {
            ActionKind::Login { recovery_enabled, registration_enabled, .. } => {
                Some(LoginStep { recovery: *recovery_enabled, registration: *registration_enabled })
            }
            _ => None,
        });
        let mfa = actions.iter().find_map(|a| match &a.kind {
            ActionKind::MultiFactorAuthentication { methods, device_authentication_policy_id, no_devices_mode } => {
                let dp = self.store.device_policy(device_authentication_policy_id).or_else(|| self.store.default_device_policy());
                let all = [DeviceType::Email, DeviceType::Sms, DeviceType::Voice, DeviceType::Totp];
                let device_types = match methods {
                    Some(m) => all
                        .into_iter()
                        .filter(|t| match t {
                            DeviceType::Email => m.email == Some(true),
                            DeviceType::Sms => m.sms == Some(true),
                            DeviceType::Voice => m.voice == Some(true),
                            DeviceType::Totp => m.authenticator == Some(true),
                        })
                        .collect(),
                    None => all.into_iter().filter(|t| dp.is_some_and(|p| p.allows(*t))).collect(),
                };
                Some(MfaStep {
                    device_types,
                    no_devices_mode: no_devices_mode.clone(),
                    otp_failure_count: dp.map(|p| p.otp_failure_count).unwrap_or(3),
                    otp_lifetime_ms: dp.map(|p| p.otp_lifetime_ms).unwrap_or(30 * crate::clock::MINUTE),
                })
            }
            _ => None,
        });
        let mut flow = Flow {
            id: self.ids.uuid(),
            binding,
            request,
            policy_name,
            login,
            mfa,
            status: FlowStatus::UsernamePasswordRequired,
            user_id: None,
            session_id: None,
            devices: vec![],
            selected_device: None,
            otp: None,
            amr: vec![],
            auth_time: None,
            error: None,
            created_at: now,
            last_activity: now,
        };
        if flow.login.is_none() {
            flow.fail(
                FlowErrorCode::UnsupportedPolicy,
                "The sign-on policy has no LOGIN action; the sandbox emulates LOGIN (+ MULTI_FACTOR_AUTHENTICATION) policies.",
            );
        }
        self.store.flows.push(flow);
        self.store.flows.len() - 1
    }

    // ---------- resume (call 18) ----------

    /// `GET /as/resume?flowId=`: a completed flow becomes an authorization code.
    fn resume(&mut self, req: &Incoming<'_>, now: u64) -> Result<HttpResponse> {
        let flow_id =
            req.query_param("flowId").filter(|f| !f.is_empty()).ok_or_else(|| P1Error::invalid_one(Detail::required("flowId")))?;
        let idx = self.flow_index(req, flow_id, now)?;
        let flow = &self.store.flows[idx];
        let r = flow.request.clone();
        match flow.status {
            FlowStatus::Completed => {}
            FlowStatus::Failed => {
                let message = flow.error.as_ref().map(|(_, m)| m.clone()).unwrap_or_else(|| "The sign-on flow failed.".into());
                return match (&r.redirect_uri, r.mode) {
                    (Some(uri), mode) if mode != ResponseMode::PiFlow => {
                        let mut params = vec![("error", OAuthCode::AccessDenied.as_str()), ("error_description", message.as_str())];
                        if let Some(s) = &r.state {
                            params.push(("state", s));
                        }
                        let resp = authorization_response(uri, mode, &params);
                        self.store.flows.remove(idx);
                        Ok(resp)
                    }
                    _ => Err(P1Error::invalid_request(format!("The request could not be completed. The flow failed: {message}")).into()),
                };
            }
            other => {
                return Err(P1Error::invalid_request(format!(
                    "The request could not be completed. The flow is not completed (status {}).",
                    other.as_str()
                ))
                .into())
            }
        }
        let code = AuthorizationCode {
            code: self.ids.uuid(),
            client_id: r.client_id.clone(),
            redirect_uri: r.redirect_uri.clone(),
            code_challenge: r.code_challenge.clone(),
            nonce: r.nonce.clone(),
            scopes: r.scopes.clone(),
            user_id: flow.user_id.clone().unwrap_or_default(),
            session_id: flow.session_id.clone().unwrap_or_default(),
            auth_time: flow.auth_time.unwrap_or(now),
            amr: flow.amr.clone(),
            acr: flow.policy_name.clone(),
            expires_at: now.saturating_add(CODE_LIFETIME),
        };
        let value = code.code.clone();
        self.store.codes.push(code);
        let flow = self.store.flows.remove(idx);
        let mut params = vec![("code", value.as_str())];
        if let Some(s) = &r.state {
            params.push(("state", s));
        }
        // pi.flow without a redirect_uri (it is optional there) redirects to the app's first one.
        let target = r.redirect_uri.clone().or_else(|| self.store.application(&r.client_id).and_then(|a| a.redirect_uris.first().cloned()));
        match (r.mode, &target) {
            (ResponseMode::PiFlow, Some(uri)) if self.resume == crate::ResumeAnswer::Redirect => {
                Ok(authorization_response(uri, ResponseMode::Query, &params))
            }
            (ResponseMode::PiFlow, _) | (_, None) => {
                let mut authorize_response = json!({ "code": value });
                put_opt(&mut authorize_response, "state", r.state.clone().map(Value::String));
                Ok(hal_response(
                    200,
                    &json!({
                        "id": flow.id,
                        "environment": { "id": self.store.env.id },
                        "status": FlowStatus::Completed.as_str(),
                        "createdAt": iso8601(flow.created_at),
                        "authorizeResponse": authorize_response,
                    }),
                ))
            }
            (mode, Some(uri)) => Ok(authorization_response(uri, mode, &params)),
        }
    }

    // ---------- token (calls 0 and 20) ----------

    /// `POST /as/token`.
    fn token(&mut self, req: &Incoming<'_>, now: u64) -> Result<HttpResponse> {
        if req.media_type().as_deref() != Some(FORM) {
            return Err(OAuthError::new(OAuthCode::InvalidRequest, format!("The token request must be {FORM}.")).into());
        }
        let form = req.form();
        let app_id = self.authenticate_client(req, &form)?;
        let grant_type = param(&form, "grant_type").filter(|g| !g.is_empty());
        let required_grant = match grant_type {
            None => return Err(OAuthError::new(OAuthCode::InvalidRequest, "grant_type is required.").into()),
            Some("client_credentials") => "CLIENT_CREDENTIALS",
            Some("authorization_code") => "AUTHORIZATION_CODE",
            Some("refresh_token") => "REFRESH_TOKEN",
            Some(other) => {
                return Err(OAuthError::new(OAuthCode::UnsupportedGrantType, format!("Unsupported grant_type `{other}`.")).into())
            }
        };
        let app =
            self.store.application(&app_id).ok_or_else(|| OAuthError::new(OAuthCode::InvalidClient, "Request denied: unknown client."))?;
        if !app.has_grant_type(required_grant) {
            return Err(OAuthError::new(
                OAuthCode::UnauthorizedClient,
                format!("The application's grantTypes do not include {required_grant}."),
            )
            .into());
        }
        let issuer = format!("{}/{}/as", req.origin, self.store.env.id);
        match required_grant {
            "CLIENT_CREDENTIALS" => {
                let access_token = self.issue_access_token(&issuer, &app_id, None, &[], now);
                Ok(token_response(json!({ "access_token": access_token, "token_type": "Bearer", "expires_in": TOKEN_LIFETIME_SECONDS })))
            }
            "AUTHORIZATION_CODE" => self.exchange_code(&issuer, &app_id, &form, now),
            _ => self.refresh(&issuer, &app_id, &form, now),
        }
    }

    /// Client authentication per the application's `tokenEndpointAuthMethod`; returns its id.
    fn authenticate_client(&self, req: &Incoming<'_>, form: &[(String, String)]) -> Result<String, OAuthError> {
        let body_id = param(form, "client_id");
        let body_secret = param(form, "client_secret");
        let (client_id, used, secret) = match req.basic_credentials() {
            Some(None) => return Err(basic_failure("Request denied: malformed Basic authorization header.")),
            Some(Some((id, secret))) => {
                if body_secret.is_some() || body_id.is_some_and(|b| b != id) {
                    return Err(OAuthError::new(OAuthCode::InvalidRequest, "Use one client authentication method only."));
                }
                (id, ClientAuth::Basic, Some(secret))
            }
            None => match (body_id, body_secret) {
                (Some(id), Some(s)) => (id.to_string(), ClientAuth::Post, Some(s.to_string())),
                (Some(id), None) => (id.to_string(), ClientAuth::None, None),
                (None, _) => return Err(basic_failure("Request denied: client authentication is required.")),
            },
        };
        let app = self.store.application(&client_id).filter(|a| a.enabled).ok_or_else(|| match used {
            ClientAuth::Basic => basic_failure("Request denied: client authentication failed."),
            _ => OAuthError::new(OAuthCode::InvalidClient, "Request denied: client authentication failed."),
        })?;
        let expected = match app.token_endpoint_auth_method.as_str() {
            "CLIENT_SECRET_BASIC" => ClientAuth::Basic,
            "CLIENT_SECRET_POST" => ClientAuth::Post,
            "NONE" => ClientAuth::None,
            _ => return Err(OAuthError::new(OAuthCode::InvalidClient, "Request denied: Unsupported authentication method (the sandbox emulates client_secret_basic, client_secret_post and none).")),
        };
        if used != expected {
            return Err(OAuthError::new(OAuthCode::InvalidClient, "Request denied: Unsupported authentication method."));
        }
        if let Some(secret) = secret {
            if !totp::constant_time_eq(secret.as_bytes(), app.secret.as_bytes()) {
                return Err(match used {
                    ClientAuth::Basic => basic_failure("Request denied: client authentication failed."),
                    _ => OAuthError::new(OAuthCode::InvalidClient, "Request denied: client authentication failed."),
                });
            }
        }
        Ok(app.id.clone())
    }

    /// `grant_type=authorization_code`: the code, bound to client, redirect URI and PKCE.
    fn exchange_code(&mut self, issuer: &str, app_id: &str, form: &[(String, String)], now: u64) -> Result<HttpResponse> {
        let code =
            param(form, "code").filter(|c| !c.is_empty()).ok_or_else(|| OAuthError::new(OAuthCode::InvalidRequest, "code is required."))?;
        let invalid = |m: &str| OAuthError::new(OAuthCode::InvalidGrant, m);
        // A code is spent by any attempt that presents it.
        let pos = self
            .store
            .codes
            .iter()
            .position(|c| c.code == code)
            .ok_or_else(|| invalid("The authorization code is invalid, expired or already used."))?;
        let c = self.store.codes.remove(pos);
        if c.expires_at <= now {
            return Err(invalid("The authorization code is invalid, expired or already used.").into());
        }
        if c.client_id != app_id {
            return Err(invalid("The authorization code was issued to another client.").into());
        }
        match (&c.redirect_uri, param(form, "redirect_uri")) {
            (Some(sent), Some(now_sent)) if sent == now_sent => {}
            (Some(_), _) => return Err(invalid("redirect_uri does not match the one of the authorization request.").into()),
            (None, Some(_)) => return Err(invalid("redirect_uri was not part of the authorization request.").into()),
            (None, None) => {}
        }
        match (&c.code_challenge, param(form, "code_verifier")) {
            (Some((challenge, method)), Some(verifier)) => {
                if !is_pkce_value(verifier) {
                    return Err(invalid("code_verifier must be 43 to 128 characters of [A-Za-z0-9-._~].").into());
                }
                let computed = match method.as_str() {
                    "S256" => b64(&Sha256::digest(verifier.as_bytes())),
                    _ => verifier.to_string(),
                };
                if !totp::constant_time_eq(computed.as_bytes(), challenge.as_bytes()) {
                    return Err(invalid("PKCE verification failed: code_verifier does not match code_challenge.").into());
                }
            }
            (Some(_), None) => return Err(invalid("code_verifier is required: the authorization request used PKCE.").into()),
            (None, Some(_)) => return Err(invalid("code_verifier was sent, but the authorization request had no code_challenge.").into()),
            (None, None) => {}
        }
        let user = self.store.user(&c.user_id).ok_or_else(|| invalid("The user of this authorization code no longer exists."))?;
        let claims = user_claims(user, &c.scopes);
        let session = SessionClaims {
            user_id: c.user_id.clone(),
            session_id: c.session_id.clone(),
            auth_time: c.auth_time,
            amr: c.amr.clone(),
            acr: c.acr.clone(),
        };
        let mut body = self.user_tokens(issuer, app_id, &session, &c.scopes, c.nonce.as_deref(), claims, now);
        if self.store.application(app_id).is_some_and(|a| a.has_grant_type("REFRESH_TOKEN")) {
            let refresh = self.ids.secret(64);
            let duration = self.store.application(app_id).map(|a| a.refresh_token_duration).unwrap_or(2_592_000);
            self.store.refresh_tokens.push(RefreshToken {
                token: refresh.clone(),
                client_id: app_id.to_string(),
                user_id: session.user_id.clone(),
                session_id: session.session_id.clone(),
                scopes: c.scopes.clone(),
                amr: session.amr.clone(),
                acr: session.acr.clone(),
                auth_time: session.auth_time,
                expires_at: now.saturating_add(duration.saturating_mul(SECOND)),
            });
            put_opt(&mut body, "refresh_token", Some(json!(refresh)));
        }
        Ok(token_response(body))
    }

    /// `grant_type=refresh_token`: new access (and ID) token, same refresh token.
    fn refresh(&mut self, issuer: &str, app_id: &str, form: &[(String, String)], now: u64) -> Result<HttpResponse> {
        let token = param(form, "refresh_token")
            .filter(|t| !t.is_empty())
            .ok_or_else(|| OAuthError::new(OAuthCode::InvalidRequest, "refresh_token is required."))?;
        let invalid = || OAuthError::new(OAuthCode::InvalidGrant, "The refresh token is invalid or expired.");
        let rt = self
            .store
            .refresh_tokens
            .iter()
            .find(|r| r.token == token && r.client_id == app_id && r.expires_at > now)
            .ok_or_else(invalid)?;
        let session = SessionClaims {
            user_id: rt.user_id.clone(),
            session_id: rt.session_id.clone(),
            auth_time: rt.auth_time,
            amr: rt.amr.clone(),
            acr: rt.acr.clone(),
        };
        let scopes = rt.scopes.clone();
        let user = self.store.user(&session.user_id).ok_or_else(invalid)?;
        let claims = user_claims(user, &scopes);
        let mut body = self.user_tokens(issuer, app_id, &session, &scopes, None, claims, now);
        put_opt(&mut body, "refresh_token", Some(json!(token)));
        Ok(token_response(body))
    }

    /// Signs an access token and remembers it (management calls and userinfo look it up).
    fn issue_access_token(
        &mut self,
        issuer: &str,
        client_id: &str,
        session: Option<&SessionClaims>,
        scopes: &[String],
        now: u64,
    ) -> String {
        let iat = now / SECOND;
        let mut claims = json!({
            "client_id": client_id,
            "iss": issuer,
            "jti": self.ids.uuid(),
            "iat": iat,
            "exp": iat + TOKEN_LIFETIME_SECONDS,
            "aud": [API_AUDIENCE],
            "env": self.store.env.id,
            "org": self.store.env.organization_id,
            "p1.region": "NA",
        });
        if let Some(s) = session {
            put_opt(&mut claims, "scope", Some(json!(scopes.join(" "))));
            put_opt(&mut claims, "sub", Some(json!(s.user_id)));
            put_opt(&mut claims, "sid", Some(json!(s.session_id)));
            put_opt(&mut claims, "auth_time", Some(json!(s.auth_time / SECOND)));
            put_opt(&mut claims, "acr", Some(json!(s.acr)));
            put_opt(&mut claims, "amr", Some(json!(s.amr)));
        }
        let token = self.signer.sign(&claims);
        self.store.tokens.push(IssuedToken {
            token: token.clone(),
            client_id: client_id.to_string(),
            user_id: session.map(|s| s.user_id.clone()),
            scopes: scopes.to_vec(),
            expires_at: now.saturating_add(TOKEN_LIFETIME_SECONDS * SECOND),
        });
        token
    }

    /// The token response for a signed-on user: access token, and an ID token for `openid`.
    #[allow(clippy::too_many_arguments)]
    fn user_tokens(
        &mut self,
        issuer: &str,
        client_id: &str,
        session: &SessionClaims,
        scopes: &[String],
        nonce: Option<&str>,
        claims: Map<String, Value>,
        now: u64,
    ) -> Value {
        let access_token = self.issue_access_token(issuer, client_id, Some(session), scopes, now);
        let mut body = json!({
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": TOKEN_LIFETIME_SECONDS,
            "scope": scopes.join(" "),
        });
        if scopes.iter().any(|s| s == "openid") {
            let iat = now / SECOND;
            let mut id = json!({
                "iss": issuer,
                "sub": session.user_id,
                "aud": client_id,
                "iat": iat,
                "exp": iat + TOKEN_LIFETIME_SECONDS,
                "auth_time": session.auth_time / SECOND,
                "sid": session.session_id,
                "acr": session.acr,
                "amr": session.amr,
                "at_hash": at_hash(&access_token),
                "env": self.store.env.id,
                "org": self.store.env.organization_id,
                "p1.region": "NA",
            });
            put_opt(&mut id, "nonce", nonce.map(|n| json!(n)));
            if let Some(map) = id.as_object_mut() {
                map.extend(claims);
            }
            put_opt(&mut body, "id_token", Some(json!(self.signer.sign(&id))));
        }
        body
    }

    // ---------- userinfo ----------

    /// `GET|POST /as/userinfo` with a user's access token.
    fn userinfo(&self, req: &Incoming<'_>, now: u64) -> Result<HttpResponse> {
        let denied = || P1Error::invalid_token().header("WWW-Authenticate", "Bearer error=\"invalid_token\"");
        let token = req.bearer().ok_or_else(denied)?;
        let issued = self.store.tokens.iter().find(|t| t.token == token && t.expires_at > now).ok_or_else(denied)?;
        let user = issued.user_id.as_deref().and_then(|id| self.store.user(id)).ok_or_else(denied)?;
        let mut body = json!({ "sub": user.id });
        if let Some(map) = body.as_object_mut() {
            map.extend(user_claims(user, &issued.scopes));
        }
        Ok(json_response(200, &body))
    }
}

/// Who signed on, and how (carried from the flow into the code and the tokens).
struct SessionClaims {
    user_id: String,
    session_id: String,
    auth_time: u64,
    amr: Vec<String>,
    acr: String,
}

/// Profile claims for the granted OpenID Connect scopes.
fn user_claims(user: &User, scopes: &[String]) -> Map<String, Value> {
    let mut m = Map::new();
    let has = |s: &str| scopes.iter().any(|x| x == s);
    if has("profile") {
        let name = user.name.as_ref();
        let part = |k: &str| name.and_then(|n| n.get(k)).and_then(Value::as_str).map(str::to_string);
        if let Some(g) = part("given") {
            m.insert("given_name".into(), json!(g));
        }
        if let Some(f) = part("family") {
            m.insert("family_name".into(), json!(f));
        }
        if let Some(mid) = part("middle") {
            m.insert("middle_name".into(), json!(mid));
        }
        let full = part("formatted").or_else(|| {
            let joined = [part("given"), part("family")].into_iter().flatten().collect::<Vec<_>>().join(" ");
            (!joined.is_empty()).then_some(joined)
        });
        if let Some(n) = full {
            m.insert("name".into(), json!(n));
        }
        m.insert("preferred_username".into(), json!(user.username));
        if let Some(l) = &user.locale {
            m.insert("locale".into(), json!(l));
        }
        m.insert("updated_at".into(), json!(user.updated_at / SECOND));
    }
    if has("email") {
        m.insert("email".into(), json!(user.email));
        m.insert("email_verified".into(), json!(false));
    }
    if has("phone") {
        if let Some(p) = user.primary_phone.as_ref().or(user.mobile_phone.as_ref()) {
            m.insert("phone_number".into(), json!(p));
            m.insert("phone_number_verified".into(), json!(false));
        }
    }
    m
}

/// True when an `Accept` header allows `application/hal+json` (the pi.flow answer): `*/*`,
/// `application/*` or that type itself, with a non-zero `q`. An empty header allows anything.
fn accepts_hal_json(accept: &str) -> bool {
    accept.trim().is_empty()
        || accept.split(',').any(|range| {
            let mut parts = range.split(';').map(str::trim);
            let media = parts.next().unwrap_or("").to_ascii_lowercase();
            let q_zero = parts.any(|p| p.strip_prefix("q=").and_then(|q| q.trim().parse::<f32>().ok()).is_some_and(|q| q <= 0.0));
            !q_zero && matches!(media.as_str(), "*/*" | "application/*" | "application/hal+json")
        })
}

fn basic_failure(description: &str) -> OAuthError {
    let mut e = OAuthError::new(OAuthCode::InvalidClient, description);
    e.www_authenticate = true;
    e
}

fn token_response(body: Value) -> HttpResponse {
    let mut r = json_response(200, &body);
    r.headers.push("Cache-Control", "no-store");
    r.headers.push("Pragma", "no-cache");
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_headers_that_allow_the_flow() {
        for ok in ["*/*", "", "application/hal+json", "application/*", "text/html,application/xhtml+xml,*/*;q=0.8", "APPLICATION/HAL+JSON"] {
            assert!(accepts_hal_json(ok), "{ok}");
        }
        for refused in ["application/json", "text/html", "application/json, text/plain", "*/*;q=0"] {
            assert!(!accepts_hal_json(refused), "{refused}");
        }
    }

    #[test]
    fn pkce_values_and_locations() {
        assert!(is_pkce_value(&"a".repeat(43)));
        assert!(!is_pkce_value(&"a".repeat(42)));
        assert!(!is_pkce_value(&format!("{}+", "a".repeat(43))));
        assert_eq!(
            response_location("https://a/cb", ResponseMode::Query, &[("code", "c"), ("state", "s t")]),
            "https://a/cb?code=c&state=s+t"
        );
        assert_eq!(response_location("https://a/cb?x=1", ResponseMode::Query, &[("code", "c")]), "https://a/cb?x=1&code=c");
        assert_eq!(response_location("https://a/cb", ResponseMode::Fragment, &[("code", "c")]), "https://a/cb#code=c");
        let form = authorization_response("https://a/cb", ResponseMode::FormPost, &[("code", "<c>")]);
        assert!(form.body.contains("value=\"&lt;c&gt;\""));
    }
}

//! Applications (call 1), their secret (call 19), resource grants (call 4), sign-on policy
//! assignments (call 8), and the environment's resources and scopes (calls 2 and 3).

use super::{entity_array, plain_json, put_opt, Filter, Hrefs};
use crate::clock::iso8601;
use crate::errors::{Detail, P1Error, Result};
use crate::http::{json_response, links, no_content, Incoming};
use crate::store::{Application, CorsSettings, Grant, Resource, Scope, SignOnPolicyAssignment};
use crate::validate::{is_cors_origin, is_redirect_uri, Body};
use crate::Engine;
use pingone::http::HttpResponse;
use serde_json::{json, Value};

const APP_TYPES: &[&str] = &[
    "WEB_APP",
    "NATIVE_APP",
    "SINGLE_PAGE_APP",
    "WORKER",
    "SERVICE",
    "CUSTOM_APP",
    "PING_ONE_SELF_SERVICE",
    "PING_ONE_ADMIN_CONSOLE",
    "PING_ONE_PORTAL",
    "TEMPLATE_APP",
    "PORTAL_LINK_APP",
];
/// Built-in types that cannot be created through the API.
const BUILT_IN_TYPES: &[&str] = &["PING_ONE_SELF_SERVICE", "PING_ONE_ADMIN_CONSOLE", "PING_ONE_PORTAL", "TEMPLATE_APP", "PORTAL_LINK_APP"];
const PROTOCOLS: &[&str] = &["OPENID_CONNECT", "SAML", "WS_FED", "EXTERNAL_LINK"];
const GRANT_TYPES: &[&str] =
    &["AUTHORIZATION_CODE", "IMPLICIT", "REFRESH_TOKEN", "CLIENT_CREDENTIALS", "DEVICE_CODE", "TOKEN_EXCHANGE", "CIBA"];
const RESPONSE_TYPES: &[&str] = &["TOKEN", "ID_TOKEN", "CODE"];
const AUTH_METHODS: &[&str] = &["NONE", "CLIENT_SECRET_BASIC", "CLIENT_SECRET_POST", "PRIVATE_KEY_JWT", "CLIENT_SECRET_JWT"];
const PKCE_OPTIONS: &[&str] = &["OPTIONAL", "REQUIRED", "S256_REQUIRED"];
const CORS_BEHAVIORS: &[&str] = &["ALLOW_NO_ORIGINS", "ALLOW_SPECIFIC_ORIGINS"];

impl Engine {
    pub(super) fn application_json(&self, h: &Hrefs, a: &Application) -> Value {
        let path = format!("/applications/{}", a.id);
        let mut v = json!({
            "_links": links(&[
                ("self", h.at(&path)),
                ("environment", h.env()),
                ("secret", h.at(&format!("{path}/secret"))),
                ("grants", h.at(&format!("{path}/grants"))),
                ("signOnPolicyAssignments", h.at(&format!("{path}/signOnPolicyAssignments"))),
            ]),
            "environment": self.env_ref(),
            "id": a.id,
            "name": a.name,
            "enabled": a.enabled,
            "type": a.app_type,
            "protocol": a.protocol,
            "createdAt": iso8601(a.created_at),
            "updatedAt": iso8601(a.updated_at),
            "grantTypes": a.grant_types,
            "tokenEndpointAuthMethod": a.token_endpoint_auth_method,
            "pkceEnforcement": a.pkce_enforcement,
            "refreshTokenDuration": a.refresh_token_duration,
            "parRequirement": "OPTIONAL",
            "parTimeout": 60,
        });
        put_opt(&mut v, "description", a.description.clone().map(Value::String));
        put_opt(&mut v, "responseTypes", (!a.response_types.is_empty()).then(|| json!(a.response_types)));
        put_opt(&mut v, "redirectUris", (!a.redirect_uris.is_empty()).then(|| json!(a.redirect_uris)));
        put_opt(&mut v, "postLogoutRedirectUris", (!a.post_logout_redirect_uris.is_empty()).then(|| json!(a.post_logout_redirect_uris)));
        put_opt(&mut v, "corsSettings", a.cors_settings.as_ref().map(|c| json!({ "behavior": c.behavior, "origins": c.origins })));
        put_opt(&mut v, "loginPageUrl", a.login_page_url.clone().map(Value::String));
        put_opt(&mut v, "homePageUrl", a.home_page_url.clone().map(Value::String));
        v
    }

    fn find_application(&self, id: &str) -> Result<&Application, P1Error> {
        self.store.application(id).ok_or_else(|| P1Error::not_found(&format!("application with id {id}")))
    }

    pub(super) fn list_applications(&self, h: &Hrefs, req: &Incoming<'_>) -> Result<HttpResponse> {
        let filter = Filter::from_query(req, &["name", "type", "protocol"])?;
        let items = self
            .store
            .applications
            .iter()
            .filter(|a| {
                filter.as_ref().is_none_or(|f| {
                    f.accepts(|attr| match attr {
                        "name" => Some(a.name.clone()),
                        "type" => Some(a.app_type.clone()),
                        _ => Some(a.protocol.clone()),
                    })
                })
            })
            .map(|a| self.application_json(h, a))
            .collect();
        entity_array(req, h.at("/applications"), "applications", items)
    }

    pub(super) fn read_application(&self, h: &Hrefs, id: &str) -> Result<HttpResponse> {
        let app = self.find_application(id)?;
        Ok(json_response(200, &self.application_json(h, app)))
    }

    /// `POST /applications` (ApplicationOIDC).
    pub(super) fn create_application(&mut self, h: &Hrefs, req: &Incoming<'_>, now: u64) -> Result<HttpResponse> {
        let body = plain_json(req)?;
        let mut b = Body::new(&body);
        let name = b.bounded_string("name", true, 256);
        let description = b.bounded_string("description", false, 1024);
        let enabled = b.bool("enabled", true);
        let app_type = b.one_of("type", true, APP_TYPES);
        let protocol = b.one_of("protocol", true, PROTOCOLS);
        if app_type.as_deref().is_some_and(|t| BUILT_IN_TYPES.contains(&t)) {
            b.push(Detail::invalid("type", "Built-in application types cannot be created."));
        }
        if protocol.as_deref().is_some_and(|p| p != "OPENID_CONNECT") {
            b.push(Detail::invalid("protocol", "The sandbox emulates OPENID_CONNECT applications only."));
        }
        let auth_method = b.one_of("tokenEndpointAuthMethod", true, AUTH_METHODS);
        let grant_types = b.enums("grantTypes", true, GRANT_TYPES);
        let response_types = b.enums("responseTypes", false, RESPONSE_TYPES);
        let pkce = b.one_of("pkceEnforcement", false, PKCE_OPTIONS);
        let redirect_uris = uri_list(&mut b, "redirectUris");
        let post_logout = uri_list(&mut b, "postLogoutRedirectUris");
        let cors = cors_settings(&mut b);
        let login_page_url = absolute_url(&mut b, "loginPageUrl");
        let home_page_url = absolute_url(&mut b, "homePageUrl");
        let refresh = b.int("refreshTokenDuration", false, 60, 2_147_483_647);
        if let (Some(grants), Some(responses)) = (&grant_types, &response_types) {
            let code_grant = grants.iter().any(|g| g == "AUTHORIZATION_CODE");
            let code_response = responses.iter().any(|r| r == "CODE");
            if code_grant && !code_response {
                b.push(Detail::invalid("responseTypes", "responseTypes must include CODE when grantTypes includes AUTHORIZATION_CODE."));
            }
            if code_response && !code_grant {
                b.push(Detail::invalid("grantTypes", "grantTypes must include AUTHORIZATION_CODE when responseTypes includes CODE."));
            }
        }
        if let (Some(grants), Some(method)) = (&grant_types, &auth_method) {
            if method == "NONE" && grants.iter().any(|g| g == "CLIENT_CREDENTIALS") {
                b.push(Detail::invalid("tokenEndpointAuthMethod", "A public client (NONE) cannot use the CLIENT_CREDENTIALS grant."));
            }
        }
        if grant_types.as_ref().is_some_and(Vec::is_empty) {
            b.push(Detail::invalid("grantTypes", "grantTypes must not be empty."));
        }
        b.finish()?;

        let app = Application {
            id: self.ids.uuid(),
            name: name.unwrap_or_default(),
            description,
            enabled: enabled.unwrap_or(true),
            app_type: app_type.unwrap_or_default(),
            protocol: protocol.unwrap_or_default(),
            grant_types: dedup(grant_types.unwrap_or_default()),
            response_types: dedup(response_types.unwrap_or_default()),
            token_endpoint_auth_method: auth_method.unwrap_or_default(),
            pkce_enforcement: pkce.unwrap_or_else(|| "OPTIONAL".into()),
            redirect_uris: redirect_uris.unwrap_or_default(),
            post_logout_redirect_uris: post_logout.unwrap_or_default(),
            cors_settings: cors,
            login_page_url,
            home_page_url,
            refresh_token_duration: refresh.unwrap_or(2_592_000),
            secret: self.ids.secret(64),
            created_at: now,
            updated_at: now,
        };
        let out = self.application_json(h, &app);
        self.store.applications.push(app);
        Ok(json_response(201, &out))
    }

    pub(super) fn delete_application(&mut self, id: &str) -> Result<HttpResponse> {
        let app = self.find_application(id)?;
        if app.id == self.store.worker_client_id {
            return Err(P1Error::invalid_one(Detail::new(
                crate::errors::DetailCode::ConstraintViolation,
                "id",
                "The sandbox's own worker application cannot be deleted.",
            ))
            .into());
        }
        self.store.applications.retain(|a| a.id != id);
        self.store.grants.retain(|g| g.application_id != id);
        self.store.assignments.retain(|s| s.application_id != id);
        Ok(no_content())
    }

    /// Call 19: `GET /applications/{id}/secret`.
    pub(super) fn read_application_secret(&self, h: &Hrefs, id: &str) -> Result<HttpResponse> {
        let app = self.find_application(id)?;
        let path = format!("/applications/{id}");
        Ok(json_response(
            200,
            &json!({
                "_links": links(&[("self", h.at(&format!("{path}/secret"))), ("application", h.at(&path))]),
                "environment": self.env_ref(),
                "secret": app.secret,
            }),
        ))
    }

    // ---------- grants ----------

    fn grant_json(&self, h: &Hrefs, g: &Grant) -> Value {
        let app_path = format!("/applications/{}", g.application_id);
        json!({
            "_links": links(&[
                ("self", h.at(&format!("{app_path}/grants/{}", g.id))),
                ("application", h.at(&app_path)),
                ("resource", h.at(&format!("/resources/{}", g.resource_id))),
            ]),
            "id": g.id,
            "environment": self.env_ref(),
            "application": { "id": g.application_id },
            "resource": { "id": g.resource_id },
            "scopes": g.scope_ids.iter().map(|id| json!({ "id": id })).collect::<Vec<_>>(),
            "createdAt": iso8601(g.created_at),
            "updatedAt": iso8601(g.created_at),
        })
    }

    pub(super) fn list_grants(&self, h: &Hrefs, req: &Incoming<'_>, app_id: &str) -> Result<HttpResponse> {
        self.find_application(app_id)?;
        Filter::refuse(req)?;
        let items = self.store.grants.iter().filter(|g| g.application_id == app_id).map(|g| self.grant_json(h, g)).collect();
        entity_array(req, h.at(&format!("/applications/{app_id}/grants")), "grants", items)
    }

    pub(super) fn read_grant(&self, h: &Hrefs, app_id: &str, id: &str) -> Result<HttpResponse> {
        self.find_application(app_id)?;
        let g = self
            .store
            .grants
            .iter()
            .find(|g| g.id == id && g.application_id == app_id)
            .ok_or_else(|| P1Error::not_found(&format!("grant with id {id}")))?;
        Ok(json_response(200, &self.grant_json(h, g)))
    }

    /// Call 4: `POST /applications/{id}/grants` `{resource: {id}, scopes: [{id}]}`.
    pub(super) fn create_grant(&mut self, h: &Hrefs, req: &Incoming<'_>, app_id: &str, now: u64) -> Result<HttpResponse> {
        self.find_application(app_id)?;
        let body = plain_json(req)?;
        let mut b = Body::new(&body);
        let resource_id = b.id_ref("resource", true);
        let mut scope_ids = Vec::new();
        if let Some(items) = b.objects("scopes", true) {
            if items.is_empty() {
                b.push(Detail::invalid("scopes", "scopes must list at least one scope."));
            }
            for mut item in items {
                let target = item.target_of("id");
                if let Some(id) = item.string("id", true) {
                    scope_ids.push((target, id));
                }
                b.absorb(item);
            }
        }
        let resource = resource_id.as_deref().map(|id| (id, self.store.resource(id)));
        match resource {
            Some((id, None)) => b.push(Detail::invalid("resource.id", format!("Unable to find resource with id {id}."))),
            Some((id, Some(_))) => {
                for (target, sid) in &scope_ids {
                    match self.store.scope(sid) {
                        Some(s) if s.resource_id == id => {}
                        Some(_) => b.push(Detail::invalid(target, format!("Scope {sid} does not belong to resource {id}."))),
                        None => b.push(Detail::invalid(target, format!("Unable to find scope with id {sid}."))),
                    }
                }
                if self.store.grants.iter().any(|g| g.application_id == app_id && g.resource_id == id) {
                    b.push(Detail::not_unique("resource.id", "a grant for this resource"));
                }
            }
            None => {}
        }
        b.finish()?;
        let grant = Grant {
            id: self.ids.uuid(),
            application_id: app_id.to_string(),
            resource_id: resource_id.unwrap_or_default(),
            scope_ids: dedup(scope_ids.into_iter().map(|(_, id)| id).collect()),
            created_at: now,
        };
        let out = self.grant_json(h, &grant);
        self.store.grants.push(grant);
        Ok(json_response(201, &out))
    }

    pub(super) fn delete_grant(&mut self, app_id: &str, id: &str) -> Result<HttpResponse> {
        self.find_application(app_id)?;
        let before = self.store.grants.len();
        self.store.grants.retain(|g| !(g.id == id && g.application_id == app_id));
        if before == self.store.grants.len() {
            return Err(P1Error::not_found(&format!("grant with id {id}")).into());
        }
        Ok(no_content())
    }

    // ---------- sign-on policy assignments ----------

    fn assignment_json(&self, h: &Hrefs, s: &SignOnPolicyAssignment) -> Value {
        let app_path = format!("/applications/{}", s.application_id);
        json!({
            "_links": links(&[
                ("self", h.at(&format!("{app_path}/signOnPolicyAssignments/{}", s.id))),
                ("application", h.at(&app_path)),
                ("signOnPolicy", h.at(&format!("/signOnPolicies/{}", s.policy_id))),
            ]),
            "id": s.id,
            "environment": self.env_ref(),
            "application": { "id": s.application_id },
            "signOnPolicy": { "id": s.policy_id },
            "priority": s.priority,
        })
    }

    pub(super) fn list_assignments(&self, h: &Hrefs, req: &Incoming<'_>, app_id: &str) -> Result<HttpResponse> {
        self.find_application(app_id)?;
        Filter::refuse(req)?;
        let mut list: Vec<&SignOnPolicyAssignment> = self.store.assignments.iter().filter(|s| s.application_id == app_id).collect();
        list.sort_by_key(|s| s.priority);
        let items = list.into_iter().map(|s| self.assignment_json(h, s)).collect();
        entity_array(req, h.at(&format!("/applications/{app_id}/signOnPolicyAssignments")), "signOnPolicyAssignments", items)
    }

    pub(super) fn read_assignment(&self, h: &Hrefs, app_id: &str, id: &str) -> Result<HttpResponse> {
        self.find_application(app_id)?;
        let s = self
            .store
            .assignments
            .iter()
            .find(|s| s.id == id && s.application_id == app_id)
            .ok_or_else(|| P1Error::not_found(&format!("sign-on policy assignment with id {id}")))?;
        Ok(json_response(200, &self.assignment_json(h, s)))
    }

    /// Call 8: `POST /applications/{id}/signOnPolicyAssignments` `{priority, signOnPolicy: {id}}`.
    pub(super) fn create_assignment(&mut self, h: &Hrefs, req: &Incoming<'_>, app_id: &str) -> Result<HttpResponse> {
        self.find_application(app_id)?;
        let body = plain_json(req)?;
        let mut b = Body::new(&body);
        let priority = b.int("priority", true, 1, 2_147_483_647);
        let policy_id = b.id_ref("signOnPolicy", true);
        if let Some(pid) = &policy_id {
            if self.store.policy(pid).is_none() {
                b.push(Detail::invalid("signOnPolicy.id", format!("Unable to find sign-on policy with id {pid}.")));
            } else if self.store.assignments.iter().any(|s| s.application_id == app_id && &s.policy_id == pid) {
                b.push(Detail::not_unique("signOnPolicy.id", "an assignment of this sign-on policy to this application"));
            }
        }
        b.finish()?;
        let assignment = SignOnPolicyAssignment {
            id: self.ids.uuid(),
            application_id: app_id.to_string(),
            policy_id: policy_id.unwrap_or_default(),
            priority: priority.unwrap_or(1),
        };
        let out = self.assignment_json(h, &assignment);
        self.store.assignments.push(assignment);
        Ok(json_response(201, &out))
    }

    pub(super) fn delete_assignment(&mut self, app_id: &str, id: &str) -> Result<HttpResponse> {
        self.find_application(app_id)?;
        let before = self.store.assignments.len();
        self.store.assignments.retain(|s| !(s.id == id && s.application_id == app_id));
        if before == self.store.assignments.len() {
            return Err(P1Error::not_found(&format!("sign-on policy assignment with id {id}")).into());
        }
        Ok(no_content())
    }

    // ---------- resources and scopes ----------

    fn resource_json(&self, h: &Hrefs, r: &Resource, expand_scopes: bool) -> Value {
        let path = format!("/resources/{}", r.id);
        let mut v = json!({
            "_links": links(&[("self", h.at(&path)), ("scopes", h.at(&format!("{path}/scopes"))), ("environment", h.env())]),
            "id": r.id,
            "environment": self.env_ref(),
            "name": r.name,
            "description": r.description,
            "type": r.resource_type,
            "accessTokenValiditySeconds": r.access_token_validity_seconds,
            "createdAt": iso8601(crate::store::SEEDED_AT),
            "updatedAt": iso8601(crate::store::SEEDED_AT),
        });
        put_opt(&mut v, "audience", r.audience.clone().map(Value::String));
        if expand_scopes {
            let scopes: Vec<Value> = self.store.scopes.iter().filter(|s| s.resource_id == r.id).map(|s| self.scope_json(h, s)).collect();
            put_opt(&mut v, "_embedded", Some(json!({ "scopes": scopes })));
        }
        v
    }

    fn scope_json(&self, h: &Hrefs, s: &Scope) -> Value {
        let mut v = json!({
            "_links": links(&[
                ("self", h.at(&format!("/resources/{}/scopes/{}", s.resource_id, s.id))),
                ("resource", h.at(&format!("/resources/{}", s.resource_id))),
            ]),
            "id": s.id,
            "environment": self.env_ref(),
            "resource": { "id": s.resource_id },
            "name": s.name,
            "description": s.description,
            "createdAt": iso8601(crate::store::SEEDED_AT),
            "updatedAt": iso8601(crate::store::SEEDED_AT),
        });
        put_opt(&mut v, "schemaAttributes", (!s.schema_attributes.is_empty()).then(|| json!(s.schema_attributes)));
        v
    }

    fn expand_scopes(req: &Incoming<'_>) -> bool {
        req.query_param("expand").is_some_and(|e| e.split(',').any(|x| x.trim() == "scopes"))
    }

    /// Call 2: `GET /resources` (`?expand=scopes` embeds each resource's scopes).
    pub(super) fn list_resources(&self, h: &Hrefs, req: &Incoming<'_>) -> Result<HttpResponse> {
        let filter = Filter::from_query(req, &["name", "type"])?;
        let expand = Self::expand_scopes(req);
        let items = self
            .store
            .resources
            .iter()
            .filter(|r| {
                filter.as_ref().is_none_or(|f| f.accepts(|a| Some(if a == "name" { r.name.clone() } else { r.resource_type.clone() })))
            })
            .map(|r| self.resource_json(h, r, expand))
            .collect();
        entity_array(req, h.at("/resources"), "resources", items)
    }

    pub(super) fn read_resource(&self, h: &Hrefs, req: &Incoming<'_>, id: &str) -> Result<HttpResponse> {
        let r = self.store.resource(id).ok_or_else(|| P1Error::not_found(&format!("resource with id {id}")))?;
        Ok(json_response(200, &self.resource_json(h, r, Self::expand_scopes(req))))
    }

    /// Call 3: `GET /resources/{id}/scopes`.
    pub(super) fn list_scopes(&self, h: &Hrefs, req: &Incoming<'_>, resource_id: &str) -> Result<HttpResponse> {
        self.store.resource(resource_id).ok_or_else(|| P1Error::not_found(&format!("resource with id {resource_id}")))?;
        let filter = Filter::from_query(req, &["name"])?;
        let items = self
            .store
            .scopes
            .iter()
            .filter(|s| s.resource_id == resource_id && filter.as_ref().is_none_or(|f| f.accepts(|_| Some(s.name.clone()))))
            .map(|s| self.scope_json(h, s))
            .collect();
        entity_array(req, h.at(&format!("/resources/{resource_id}/scopes")), "scopes", items)
    }

    pub(super) fn read_scope(&self, h: &Hrefs, resource_id: &str, id: &str) -> Result<HttpResponse> {
        self.store.resource(resource_id).ok_or_else(|| P1Error::not_found(&format!("resource with id {resource_id}")))?;
        let s = self
            .store
            .scopes
            .iter()
            .find(|s| s.id == id && s.resource_id == resource_id)
            .ok_or_else(|| P1Error::not_found(&format!("scope with id {id}")))?;
        Ok(json_response(200, &self.scope_json(h, s)))
    }
}

fn dedup(items: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for i in items {
        if !out.contains(&i) {
            out.push(i);
        }
    }
    out
}

/// An array of absolute redirect URIs.
fn uri_list(b: &mut Body<'_>, key: &str) -> Option<Vec<String>> {
    let list = b.strings(key, false)?;
    let mut ok = true;
    for (i, uri) in list.iter().enumerate() {
        if !is_redirect_uri(uri) {
            b.push(Detail::invalid(&format!("{key}[{i}]"), format!("`{uri}` is not an absolute URI without a fragment.")));
            ok = false;
        }
    }
    ok.then_some(list)
}

fn absolute_url(b: &mut Body<'_>, key: &str) -> Option<String> {
    let s = b.string(key, false)?;
    if url::Url::parse(&s).is_err() {
        b.push(Detail::invalid(key, format!("{key} must be an absolute URL.")));
        return None;
    }
    Some(s)
}

/// `corsSettings: {behavior, origins[]}` (≤ 20 origins, `scheme://host[:port]`).
fn cors_settings(b: &mut Body<'_>) -> Option<CorsSettings> {
    let mut c = b.object("corsSettings", false)?;
    let behavior = c.one_of("behavior", true, CORS_BEHAVIORS);
    let origins = c.strings("origins", false).unwrap_or_default();
    if origins.len() > 20 {
        c.push(Detail::invalid("corsSettings.origins", "At most 20 origins are allowed.").with("maximumValue", 20));
    }
    for (i, o) in origins.iter().enumerate() {
        if !is_cors_origin(o) {
            c.push(Detail::invalid(
                &format!("corsSettings.origins[{i}]"),
                format!("`{o}` is not an origin (scheme://host[:port], no path)."),
            ));
        }
    }
    if behavior.as_deref() == Some("ALLOW_SPECIFIC_ORIGINS") && origins.is_empty() {
        c.push(Detail::invalid("corsSettings.origins", "ALLOW_SPECIFIC_ORIGINS needs at least one origin."));
    }
    let ok = c.details.is_empty();
    b.absorb(c);
    if !ok {
        return None;
    }
    Some(CorsSettings { behavior: behavior.unwrap_or_default(), origins })
}

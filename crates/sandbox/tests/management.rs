//! The management API (calls 1–13, 19) and the worker token (call 0): successes and errors.

mod common;

use common::*;
use pingone::http::{HttpRequest, Method};
use sandbox::SandboxConfig;
use serde_json::{json, Value};

// ---------- call 0 and bearer tokens ----------

#[test]
fn worker_token_is_an_rs256_jwt_for_one_hour() {
    let mut c = Client::new(1);
    let r = c.send(
        HttpRequest::new(Method::Post, format!("{}/as/token", c.auth()))
            .header("Authorization", basic(&c.info.worker_client_id, &c.info.worker_client_secret))
            .form_body(&[("grant_type", "client_credentials")]),
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.headers.get("cache-control"), Some("no-store"));
    let b = body(&r);
    assert_eq!(b["token_type"], "Bearer");
    assert_eq!(b["expires_in"], 3600);
    assert!(b.get("refresh_token").is_none() && b.get("scope").is_none());
    let (header, claims) = decode_jwt(b["access_token"].as_str().unwrap());
    assert_eq!(header["alg"], "RS256");
    assert_eq!(header["kid"], c.sb.signing_key_id());
    assert_eq!(claims["client_id"], c.info.worker_client_id.as_str());
    assert_eq!(claims["iss"], format!("{}/as", c.auth()));
    assert_eq!(claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap(), 3600);
}

#[test]
fn worker_token_errors_are_oauth_errors() {
    let mut c = Client::new(2);
    let url = format!("{}/as/token", c.auth());
    let (id, secret) = (c.info.worker_client_id.clone(), c.info.worker_client_secret.clone());
    let oauth = |r: &pingone::http::HttpResponse| body(r)["error"].as_str().unwrap_or_default().to_string();

    let r = c.send(
        HttpRequest::new(Method::Post, &url)
            .header("Authorization", basic(&id, "wrong"))
            .form_body(&[("grant_type", "client_credentials")]),
    );
    assert_eq!((r.status, oauth(&r).as_str()), (401, "invalid_client"));
    assert!(r.headers.get("www-authenticate").is_some());
    assert!(body(&r)["error_description"].as_str().unwrap().contains("(Correlation ID: "));

    // The worker authenticates with CLIENT_SECRET_BASIC: credentials in the body are refused.
    let r = c.send(HttpRequest::new(Method::Post, &url).form_body(&[
        ("grant_type", "client_credentials"),
        ("client_id", &id),
        ("client_secret", &secret),
    ]));
    assert_eq!((r.status, oauth(&r).as_str()), (401, "invalid_client"));
    assert!(body(&r)["error_description"].as_str().unwrap().contains("Unsupported authentication method"));

    let r = c.send(HttpRequest::new(Method::Post, &url).form_body(&[("grant_type", "client_credentials")]));
    assert_eq!((r.status, oauth(&r).as_str()), (401, "invalid_client"), "no client authentication at all");

    let r = c.send(HttpRequest::new(Method::Post, &url).header("Authorization", basic(&id, &secret)).form_body(&[("scope", "x")]));
    assert_eq!((r.status, oauth(&r).as_str()), (400, "invalid_request"));
    let r =
        c.send(HttpRequest::new(Method::Post, &url).header("Authorization", basic(&id, &secret)).form_body(&[("grant_type", "password")]));
    assert_eq!((r.status, oauth(&r).as_str()), (400, "unsupported_grant_type"));
    let r = c.send(
        HttpRequest::new(Method::Post, &url)
            .header("Authorization", basic(&id, &secret))
            .form_body(&[("grant_type", "authorization_code"), ("code", "x")]),
    );
    assert_eq!((r.status, oauth(&r).as_str()), (400, "unauthorized_client"));
    let r = c.send(
        HttpRequest::new(Method::Post, &url)
            .header("Authorization", basic(&id, &secret))
            .json_body(JSON, &json!({"grant_type": "client_credentials"})),
    );
    assert_eq!((r.status, oauth(&r).as_str()), (400, "invalid_request"), "JSON instead of a form");
    let r = c.send(HttpRequest::new(Method::Get, &url));
    assert_eq!(r.status, 405);
}

fn assert_invalid_token(r: &pingone::http::HttpResponse) {
    assert_eq!(r.status, 401, "{}", r.body);
    let b = body(r);
    assert_eq!(b["code"], "ACCESS_FAILED");
    assert_eq!(b["details"][0]["code"], "INVALID_TOKEN");
    assert_eq!(b["details"][0]["target"], "Authentication Credentials");
    assert_eq!(b["id"].as_str(), r.headers.get("correlation-id"), "the error id is the correlation id");
}

#[test]
fn management_calls_need_a_valid_unexpired_worker_token() {
    let mut c = Client::new(3);
    let url = format!("{}/resources", c.api_env());
    assert_invalid_token(&c.send(HttpRequest::new(Method::Get, &url)));
    assert_invalid_token(&c.send(HttpRequest::new(Method::Get, &url).header("Authorization", "Bearer not-a-token")));
    assert_invalid_token(&c.send(HttpRequest::new(Method::Get, &url).header("Authorization", format!("Basic {}", c.token))));
    assert_eq!(c.mgmt(Method::Get, "/resources", None).status, 200);
    // Unknown paths and methods only after authentication.
    assert_invalid_token(&c.send(HttpRequest::new(Method::Get, format!("{}/nothing", c.api_env()))));
    // One hour later the token has expired.
    c.now += 3_600_000;
    assert_invalid_token(&c.mgmt(Method::Get, "/resources", None));
    c.token = c.worker_token();
    assert_eq!(c.mgmt(Method::Get, "/resources", None).status, 200);
}

#[test]
fn a_user_access_token_is_not_a_worker_token() {
    let mut c = Client::new(4);
    let s = c.provision(&["EMAIL"], Client::default_mfa_action());
    let p = pkce(1);
    let code = c.code(&s, &p);
    let r = c.send(c.token_request(
        &s,
        &[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", REDIRECT_URI), ("code_verifier", &p.verifier)],
    ));
    let user_token = body(&r)["access_token"].as_str().unwrap().to_string();
    assert_invalid_token(
        &c.send(HttpRequest::new(Method::Get, format!("{}/users", c.api_env())).header("Authorization", format!("Bearer {user_token}"))),
    );
}

#[test]
fn unknown_environment_path_and_method() {
    let mut c = Client::new(5);
    let req = HttpRequest::new(Method::Get, format!("{API}/environments/00000000-0000-4000-8000-000000000000/users"))
        .header("Authorization", format!("Bearer {}", c.token));
    let r = c.send(req);
    assert_eq!((r.status, body(&r)["code"].as_str().unwrap()), (404, "NOT_FOUND"));
    let r = c.mgmt(Method::Get, "/unknownThings", None);
    assert_eq!((r.status, body(&r)["code"].as_str().unwrap()), (404, "NOT_FOUND"));
    let r = c.mgmt(Method::Get, "/users/", None);
    assert_eq!(r.status, 404, "a trailing slash names no resource");
    let r = c.mgmt(Method::Patch, "/users", None);
    assert_eq!(r.status, 405);
    assert_eq!(r.headers.get("allow"), Some("GET, POST"));
    assert!(body(&r)["id"].is_string());
    let r = c.mgmt(Method::Get, "/users/00000000-0000-4000-8000-000000000000", None);
    assert_eq!((r.status, body(&r)["code"].as_str().unwrap()), (404, "NOT_FOUND"));
    // The environment itself.
    let env = c.mgmt_ok(Method::Get, "", None, 200);
    assert_eq!(env["id"], c.env().as_str());
}

#[test]
fn the_environment_reports_its_type() {
    let mut c = Client::new(6);
    let env = c.mgmt_ok(Method::Get, "", None, 200);
    assert_eq!((env["type"].as_str(), env["region"].as_str(), env["name"].as_str()), (Some("SANDBOX"), Some("NA"), Some("Sandbox")));
    assert!(env["organization"]["id"].is_string() && env["_links"]["self"]["href"].is_string());
    let mut prod = Client::with_config(SandboxConfig { seed: 6, production: true, ..SandboxConfig::default() });
    let env = prod.mgmt_ok(Method::Get, "", None, 200);
    assert_eq!(env["type"], "PRODUCTION");
    // Only the worker token opens it.
    let r = prod.send(HttpRequest::new(Method::Get, format!("{API}/environments/{}", prod.env())));
    assert_eq!(r.status, 401);
}

// ---------- call 1 and 19 ----------

#[test]
fn create_application_and_read_its_secret() {
    let mut c = Client::new(6);
    let app = c.mgmt_ok(
        Method::Post,
        "/applications",
        Some(json!({
            "name": "Login MFA App", "description": "d", "enabled": true, "type": "WEB_APP", "protocol": "OPENID_CONNECT",
            "grantTypes": ["AUTHORIZATION_CODE", "REFRESH_TOKEN"], "responseTypes": ["CODE"],
            "tokenEndpointAuthMethod": "CLIENT_SECRET_BASIC", "pkceEnforcement": "S256_REQUIRED",
            "redirectUris": [REDIRECT_URI], "postLogoutRedirectUris": ["https://app.example.com/"],
            "corsSettings": { "behavior": "ALLOW_SPECIFIC_ORIGINS", "origins": ["https://app.example.com"] }
        })),
        201,
    );
    let id = app["id"].as_str().unwrap();
    assert_eq!(app["environment"]["id"], c.env().as_str());
    assert_eq!(app["_links"]["self"]["href"], format!("{}/applications/{id}", c.api_env()));
    assert_eq!(app["_links"]["secret"]["href"], format!("{}/applications/{id}/secret", c.api_env()));
    assert_eq!(app["refreshTokenDuration"], 2_592_000);
    assert_eq!(app["createdAt"], "2026-01-01T00:00:00.010Z");
    assert_eq!(app["corsSettings"]["origins"][0], "https://app.example.com");
    assert!(app.get("secret").is_none() && app.get("clientSecret").is_none(), "the secret is read with call 19");
    let secret = c.mgmt_ok(Method::Get, &format!("/applications/{id}/secret"), None, 200);
    assert_eq!(secret["secret"].as_str().unwrap().len(), 64);
    assert_eq!(secret["environment"]["id"], c.env().as_str());
    assert_eq!(c.mgmt_ok(Method::Get, &format!("/applications/{id}"), None, 200)["name"], "Login MFA App");
    let list = c.mgmt_ok(Method::Get, "/applications?filter=name%20eq%20%22login%20mfa%20app%22", None, 200);
    assert_eq!(list["count"], 1);
    assert_eq!(c.mgmt(Method::Get, "/applications/nope/secret", None).status, 404);
}

#[test]
fn hrefs_follow_the_request_origin() {
    let mut c = Client::new(7);
    let req = HttpRequest::new(Method::Get, format!("http://127.0.0.1:4567/v1/environments/{}/resources", c.env()))
        .header("Authorization", format!("Bearer {}", c.token));
    let r = c.send(req);
    let b = body(&r);
    assert!(b["_links"]["self"]["href"].as_str().unwrap().starts_with("http://127.0.0.1:4567/v1/environments/"));
    assert!(b["_embedded"]["resources"][0]["_links"]["self"]["href"].as_str().unwrap().starts_with("http://127.0.0.1:4567/v1/"));
}

#[test]
fn create_application_validates_like_the_spec() {
    let mut c = Client::new(8);
    let r = c.mgmt(Method::Post, "/applications", Some(json!({})));
    assert_eq!((r.status, body(&r)["code"].as_str().unwrap()), (400, "INVALID_DATA"));
    let targets: Vec<String> = body(&r)["details"].as_array().unwrap().iter().map(|d| d["target"].as_str().unwrap().to_string()).collect();
    for t in ["name", "enabled", "type", "protocol", "tokenEndpointAuthMethod", "grantTypes"] {
        assert!(targets.contains(&t.to_string()), "missing {t} in {targets:?}");
    }
    assert!(body(&r)["details"].as_array().unwrap().iter().all(|d| d["code"] == "REQUIRED_VALUE"));

    let base = json!({ "name": "a", "enabled": true, "type": "WEB_APP", "protocol": "OPENID_CONNECT", "tokenEndpointAuthMethod": "CLIENT_SECRET_BASIC", "grantTypes": ["AUTHORIZATION_CODE"], "responseTypes": ["CODE"] });
    let with = |patch: Value| {
        let mut b = base.clone();
        b.as_object_mut().unwrap().extend(patch.as_object().unwrap().clone());
        b
    };
    let cases = [
        (json!({ "type": "WEBAPP" }), "type"),
        (json!({ "enabled": "yes" }), "enabled"),
        (json!({ "protocol": "SAML" }), "protocol"),
        (json!({ "tokenEndpointAuthMethod": "BASIC" }), "tokenEndpointAuthMethod"),
        (json!({ "grantTypes": ["AUTHORIZATION_CODE", "PASSWORD"] }), "grantTypes[1]"),
        (json!({ "responseTypes": ["TOKEN"] }), "responseTypes"),
        (json!({ "pkceEnforcement": "ALWAYS" }), "pkceEnforcement"),
        (json!({ "redirectUris": ["not a url"] }), "redirectUris[0]"),
        (json!({ "redirectUris": ["https://a.example.com/cb#x"] }), "redirectUris[0]"),
        (
            json!({ "corsSettings": { "behavior": "ALLOW_SPECIFIC_ORIGINS", "origins": ["https://a.example.com/path"] } }),
            "corsSettings.origins[0]",
        ),
        (json!({ "corsSettings": { "origins": [] } }), "corsSettings.behavior"),
        (json!({ "refreshTokenDuration": 5 }), "refreshTokenDuration"),
        (json!({ "type": "PING_ONE_PORTAL" }), "type"),
    ];
    for (patch, target) in cases {
        let r = c.mgmt(Method::Post, "/applications", Some(with(patch.clone())));
        assert_eq!(r.status, 400, "{patch}: {}", r.body);
        assert_eq!(detail_target(&r), target, "{patch}: {}", r.body);
    }
    let r = c.mgmt(Method::Post, "/applications", Some(with(json!({ "type": "NOPE" }))));
    assert_eq!(detail_code(&r), "INVALID_VALUE");
    assert!(body(&r)["details"][0]["innerError"]["allowedValues"].as_array().unwrap().contains(&json!("WEB_APP")));

    let mut req = c.mgmt_req(Method::Post, "/applications");
    req.body = Some("{\"name\": ".into());
    req.headers.set("Content-Type", JSON);
    let r = c.send(req);
    assert_eq!((r.status, body(&r)["code"].as_str().unwrap()), (400, "INVALID_DATA"), "malformed JSON");
    let r = c.send(c.mgmt_req(Method::Post, "/applications").json_body("text/plain", &base));
    assert_eq!((r.status, body(&r)["code"].as_str().unwrap()), (415, "UNSUPPORTED_MEDIA_TYPE"));
    let r = c.send(c.mgmt_req(Method::Post, "/applications").form_body(&[("name", "a")]));
    assert_eq!(r.status, 415);
    assert_eq!(c.mgmt(Method::Post, "/applications", Some(base)).status, 201);
}

// ---------- calls 2-4 ----------

#[test]
fn resources_scopes_and_grants() {
    let mut c = Client::new(9);
    let list = c.mgmt_ok(Method::Get, "/resources", None, 200);
    assert_eq!(list["count"], 2);
    assert_eq!(list["size"], 2);
    let resources = list["_embedded"]["resources"].as_array().unwrap();
    assert_eq!(resources[0]["name"], "openid");
    assert_eq!(resources[0]["type"], "OPENID_CONNECT");
    assert_eq!(resources[1]["type"], "PINGONE_API");
    let openid = resources[0]["id"].as_str().unwrap().to_string();
    let api = resources[1]["id"].as_str().unwrap().to_string();

    let expanded = c.mgmt_ok(Method::Get, "/resources?expand=scopes", None, 200);
    assert_eq!(expanded["_embedded"]["resources"][0]["_embedded"]["scopes"].as_array().unwrap().len(), 5);
    let scopes = c.mgmt_ok(Method::Get, &format!("/resources/{openid}/scopes"), None, 200);
    let names: Vec<&str> = scopes["_embedded"]["scopes"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["openid", "profile", "email", "address", "phone"]);
    assert_eq!(scopes["_embedded"]["scopes"][1]["resource"]["id"], openid.as_str());
    let r = c.mgmt(Method::Get, "/resources/00000000-0000-4000-8000-000000000000/scopes", None);
    assert_eq!((r.status, body(&r)["code"].as_str().unwrap()), (404, "NOT_FOUND"));

    let (app, _) = c.create_app(json!({}));
    let profile = c.scope_ids(&openid, &["profile"]).remove(0);
    let api_scope = c.scope_ids(&api, &["p1:read:user"]).remove(0);
    let grants = format!("/applications/{app}/grants");
    let r = c.mgmt(Method::Post, &grants, Some(json!({ "resource": { "id": openid }, "scopes": [{ "id": api_scope }] })));
    assert_eq!((r.status, detail_target(&r).as_str()), (400, "scopes[0].id"), "a scope of another resource");
    let r = c.mgmt(Method::Post, &grants, Some(json!({ "resource": { "id": "nope" }, "scopes": [{ "id": profile }] })));
    assert_eq!((r.status, detail_target(&r).as_str()), (400, "resource.id"));
    let r = c.mgmt(Method::Post, &grants, Some(json!({ "resource": { "id": openid } })));
    assert_eq!((r.status, detail_code(&r).as_str(), detail_target(&r).as_str()), (400, "REQUIRED_VALUE", "scopes"));
    let g = c.mgmt_ok(Method::Post, &grants, Some(json!({ "resource": { "id": openid }, "scopes": [{ "id": profile }] })), 201);
    assert_eq!(g["application"]["id"], app.as_str());
    assert_eq!(g["scopes"][0]["id"], profile.as_str());
    let r = c.mgmt(Method::Post, &grants, Some(json!({ "resource": { "id": openid }, "scopes": [{ "id": profile }] })));
    assert_eq!(detail_code(&r), "UNIQUENESS_VIOLATION");
    assert_eq!(c.mgmt(Method::Post, "/applications/nope/grants", Some(json!({}))).status, 404);
    assert_eq!(c.mgmt_ok(Method::Get, &grants, None, 200)["count"], 1);
}

// ---------- calls 5-8 ----------

#[test]
fn sign_on_policies_actions_and_assignments() {
    let mut c = Client::new(10);
    let p = c.mgmt_ok(Method::Post, "/signOnPolicies", Some(json!({ "name": "Login_MFA_Policy", "description": "x" })), 201);
    assert_eq!(p["default"], false);
    let pid = p["id"].as_str().unwrap().to_string();
    let r = c.mgmt(Method::Post, "/signOnPolicies", Some(json!({ "name": "login_mfa_policy" })));
    assert_eq!((r.status, detail_code(&r).as_str(), detail_target(&r).as_str()), (400, "UNIQUENESS_VIOLATION", "name"));
    let r = c.mgmt(Method::Post, "/signOnPolicies", Some(json!({ "name": "bad/name!" })));
    assert_eq!(detail_code(&r), "INVALID_VALUE");
    assert_eq!(body(&r)["details"][0]["innerError"]["allowedPattern"], "^[a-zA-Z0-9_. -]+$");
    let r = c.mgmt(Method::Post, "/signOnPolicies", Some(json!({ "name": "Single_Factor" })));
    assert_eq!(detail_code(&r), "UNIQUENESS_VIOLATION", "the seeded default policy counts");

    let actions = format!("/signOnPolicies/{pid}/actions");
    let login = c.mgmt_ok(Method::Post, &actions, Some(json!({ "priority": 1, "type": "LOGIN" })), 201);
    assert_eq!(login["recovery"]["enabled"], false);
    assert_eq!(login["signOnPolicy"]["id"], pid.as_str());
    let mfa = c.mgmt_ok(Method::Post, &actions, Some(Client::default_mfa_action()), 201);
    assert_eq!(mfa["type"], "MULTI_FACTOR_AUTHENTICATION");
    assert_eq!(mfa["email"]["enabled"], true);
    assert_eq!(mfa["noDevicesMode"], "BLOCK");
    let r = c.mgmt(Method::Post, &actions, Some(json!({ "priority": 1, "type": "LOGIN" })));
    assert_eq!((detail_code(&r).as_str(), detail_target(&r).as_str()), ("UNIQUENESS_VIOLATION", "priority"));

    // The device-authentication-policy shape (what the Terraform provider sends).
    let dap = c.mgmt_ok(Method::Get, "/deviceAuthenticationPolicies", None, 200)["_embedded"]["deviceAuthenticationPolicies"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let p2 = c.mgmt_ok(Method::Post, "/signOnPolicies", Some(json!({ "name": "Second" })), 201)["id"].as_str().unwrap().to_string();
    let a = c.mgmt_ok(
        Method::Post,
        &format!("/signOnPolicies/{p2}/actions"),
        Some(json!({ "priority": 2, "type": "MULTI_FACTOR_AUTHENTICATION", "deviceAuthenticationPolicy": { "id": dap }, "noDevicesMode": "BYPASS" })),
        201,
    );
    assert_eq!(a["deviceAuthenticationPolicy"]["id"], dap.as_str());
    let r = c.mgmt(
        Method::Post,
        &format!("/signOnPolicies/{p2}/actions"),
        Some(json!({ "priority": 3, "type": "MULTI_FACTOR_AUTHENTICATION", "deviceAuthenticationPolicy": { "id": "nope" } })),
    );
    assert_eq!(detail_target(&r), "deviceAuthenticationPolicy.id");
    let r = c.mgmt(Method::Post, &format!("/signOnPolicies/{p2}/actions"), Some(json!({ "priority": 4, "type": "AGREEMENT" })));
    assert_eq!((r.status, detail_target(&r).as_str()), (400, "type"));
    let r = c.mgmt(Method::Post, &format!("/signOnPolicies/{p2}/actions"), Some(json!({ "priority": 0, "type": "LOGIN" })));
    assert_eq!((detail_target(&r).as_str(), body(&r)["details"][0]["innerError"]["rangeMinimumValue"].as_u64()), ("priority", Some(1)));
    assert_eq!(c.mgmt(Method::Post, "/signOnPolicies/nope/actions", Some(json!({ "priority": 1, "type": "LOGIN" }))).status, 404);
    let list = c.mgmt_ok(Method::Get, &actions, None, 200);
    assert_eq!(list["_embedded"]["actions"].as_array().unwrap().len(), 2);

    let (app, _) = c.create_app(json!({}));
    let assignments = format!("/applications/{app}/signOnPolicyAssignments");
    let s = c.mgmt_ok(Method::Post, &assignments, Some(json!({ "priority": 1, "signOnPolicy": { "id": pid } })), 201);
    assert_eq!(s["application"]["id"], app.as_str());
    let r = c.mgmt(Method::Post, &assignments, Some(json!({ "priority": 2, "signOnPolicy": { "id": "nope" } })));
    assert_eq!((r.status, detail_target(&r).as_str()), (400, "signOnPolicy.id"));
    let r = c.mgmt(Method::Post, &assignments, Some(json!({ "signOnPolicy": { "id": pid } })));
    assert_eq!((detail_code(&r).as_str(), detail_target(&r).as_str()), ("REQUIRED_VALUE", "priority"));
}

// ---------- calls 9-13 ----------

#[test]
fn populations_and_users() {
    let mut c = Client::new(11);
    let pop = c.mgmt_ok(Method::Post, "/populations", Some(json!({ "name": "Workflow Users", "description": "d" })), 201);
    assert_eq!(pop["userCount"], 0);
    let pop_id = pop["id"].as_str().unwrap().to_string();
    let r = c.mgmt(Method::Post, "/populations", Some(json!({ "name": "workflow users" })));
    assert_eq!((r.status, detail_code(&r).as_str()), (400, "UNIQUENESS_VIOLATION"));
    let r = c.mgmt(Method::Post, "/populations", Some(json!({ "description": "no name" })));
    assert_eq!((detail_code(&r).as_str(), detail_target(&r).as_str()), ("REQUIRED_VALUE", "name"));

    let user = c.mgmt_ok(
        Method::Post,
        "/users",
        Some(json!({ "username": "Jamie.Doe", "email": "jamie@example.com", "population": { "id": pop_id }, "name": { "given": "Jamie", "family": "Doe" } })),
        201,
    );
    assert_eq!(user["enabled"], true);
    assert_eq!(user["mfaEnabled"], false);
    assert_eq!(user["lifecycle"]["status"], "ACCOUNT_OK");
    assert_eq!(user["account"]["status"], "OK");
    assert_eq!(user["identityProvider"]["type"], "PING_ONE");
    assert_eq!(user["population"]["id"], pop_id.as_str());
    assert_eq!(c.mgmt_ok(Method::Get, &format!("/populations/{pop_id}"), None, 200)["userCount"], 1);

    let r = c.mgmt(Method::Post, "/users", Some(json!({ "username": "jamie.doe", "email": "other@example.com" })));
    assert_eq!(
        (r.status, detail_code(&r).as_str(), detail_target(&r).as_str()),
        (400, "UNIQUENESS_VIOLATION", "username"),
        "usernames are case-insensitive"
    );
    assert_eq!(body(&r)["code"], "INVALID_DATA");
    let r = c.mgmt(Method::Post, "/users", Some(json!({ "username": "x" })));
    assert_eq!((detail_code(&r).as_str(), detail_target(&r).as_str()), ("REQUIRED_VALUE", "email"));
    let r = c.mgmt(Method::Post, "/users", Some(json!({ "username": "x", "email": "not-an-email" })));
    assert_eq!((detail_code(&r).as_str(), detail_target(&r).as_str()), ("INVALID_VALUE", "email"));
    let r = c.mgmt(Method::Post, "/users", Some(json!({ "username": "x", "email": "x@example.com", "population": { "id": "nope" } })));
    assert_eq!(detail_target(&r), "population.id");
    let r = c.mgmt(Method::Post, "/users", Some(json!({ "username": "x", "email": "x@example.com", "password": { "value": PASSWORD } })));
    assert_eq!(detail_target(&r), "password", "a password needs the import media type");
    // Without a population: the default one.
    let u2 = c.mgmt_ok(Method::Post, "/users", Some(json!({ "username": "second", "email": "second@example.com" })), 201);
    assert_ne!(u2["population"]["id"], pop_id.as_str());
    // Import with a password.
    let r = c.send(c.mgmt_req(Method::Post, "/users").json_body(
        "application/vnd.pingidentity.user.import+json",
        &json!({ "username": "imported", "email": "imported@example.com", "password": { "value": PASSWORD, "forceChange": true } }),
    ));
    assert_eq!(r.status, 201, "{}", r.body);
    let imported = body(&r)["id"].as_str().unwrap().to_string();
    assert_eq!(c.mgmt_ok(Method::Get, &format!("/users/{imported}/password"), None, 200)["status"], "MUST_CHANGE_PASSWORD");

    let found = c.mgmt_ok(Method::Get, "/users?filter=username%20eq%20%22JAMIE.DOE%22", None, 200);
    assert_eq!(found["count"], 1);
    assert_eq!(found["_embedded"]["users"][0]["id"], user["id"]);
    let r = c.mgmt(Method::Get, "/users?filter=password%20eq%20%22x%22", None);
    assert_eq!((r.status, detail_target(&r).as_str()), (400, "filter"));
    assert_eq!(c.mgmt_ok(Method::Get, "/users?limit=1", None, 200)["count"], 1);
    assert_eq!(c.mgmt_ok(Method::Get, "/populations?filter=name%20eq%20%22Workflow%20Users%22", None, 200)["count"], 1);
}

#[test]
fn password_set_mfa_enabled_and_devices() {
    let mut c = Client::new(12);
    let user = c.mgmt_ok(Method::Post, "/users", Some(json!({ "username": "pat", "email": "pat@example.com" })), 201)["id"]
        .as_str()
        .unwrap()
        .to_string();
    let pw = format!("/users/{user}/password");
    assert_eq!(c.mgmt_ok(Method::Get, &pw, None, 200)["status"], "NO_PASSWORD");
    // Plain JSON is the wrong media type for the password set.
    let r = c.mgmt(Method::Put, &pw, Some(json!({ "value": PASSWORD })));
    assert_eq!((r.status, body(&r)["code"].as_str().unwrap()), (415, "UNSUPPORTED_MEDIA_TYPE"));
    assert!(body(&r)["message"].as_str().unwrap().contains("password.set+json"));
    let set =
        |c: &mut Client, v: Value| c.send(c.mgmt_req(Method::Put, &pw).json_body("application/vnd.pingidentity.password.set+json", &v));
    let r = set(&mut c, json!({ "value": "short" }));
    assert_eq!((r.status, body(&r)["code"].as_str().unwrap(), detail_target(&r).as_str()), (400, "INVALID_DATA", "password"));
    assert!(body(&r)["details"][0]["innerError"]["unsatisfiedRequirements"].as_array().unwrap().contains(&json!("length")));
    let r = set(&mut c, json!({ "forceChange": false }));
    assert_eq!((detail_code(&r).as_str(), detail_target(&r).as_str()), ("REQUIRED_VALUE", "value"));
    let r = set(&mut c, json!({ "value": PASSWORD, "forceChange": false }));
    assert_eq!(r.status, 200, "{}", r.body);
    let state = body(&r);
    assert_eq!(state["status"], "OK");
    assert_eq!(state["user"]["id"], user.as_str());
    assert!(state["passwordPolicy"]["id"].is_string());
    assert!(state["lastChangedAt"].as_str().unwrap().ends_with('Z'));
    assert_eq!(body(&set(&mut c, json!({ "value": PASSWORD, "forceChange": true })))["status"], "MUST_CHANGE_PASSWORD");
    assert_eq!(c.mgmt(Method::Put, "/users/nope/password", Some(json!({}))).status, 404);

    let mfa = format!("/users/{user}/mfaEnabled");
    let m = c.mgmt_ok(Method::Put, &mfa, Some(json!({ "mfaEnabled": true })), 200);
    assert_eq!(m["mfaEnabled"], true);
    assert!(m["_links"]["self"]["href"].as_str().unwrap().ends_with("/mfaEnabled"));
    let r = c.mgmt(Method::Put, &mfa, Some(json!({ "mfaEnabled": "yes" })));
    assert_eq!(detail_target(&r), "mfaEnabled");
    assert_eq!(c.mgmt(Method::Put, &mfa, Some(json!({}))).status, 400);

    let devices = format!("/users/{user}/devices");
    let email = c.mgmt_ok(Method::Post, &devices, Some(json!({ "type": "EMAIL", "email": "pat@example.com" })), 201);
    assert_eq!(
        (email["status"].as_str(), email["type"].as_str(), email["user"]["id"].as_str()),
        (Some("ACTIVE"), Some("EMAIL"), Some(user.as_str()))
    );
    let sms = c.mgmt_ok(Method::Post, &devices, Some(json!({ "type": "SMS", "phone": "+1 (512) 555-1234", "nickname": "Work" })), 201);
    assert_eq!(sms["phone"], "+15125551234");
    for (bad, target) in [
        (json!({ "type": "SMS", "phone": "+1 512 CALL NOW" }), "phone"),
        (json!({ "type": "SMS" }), "phone"),
        (json!({ "type": "EMAIL", "email": "nope" }), "email"),
        (json!({ "type": "FIDO2" }), "type"),
        (json!({ "type": "CARRIER_PIGEON" }), "type"),
        (json!({ "type": "EMAIL", "email": "a@example.com", "policy": { "id": "nope" } }), "policy.id"),
    ] {
        let r = c.mgmt(Method::Post, &devices, Some(bad.clone()));
        assert_eq!((r.status, detail_target(&r).as_str()), (400, target), "{bad}");
    }
    assert_eq!(c.mgmt_ok(Method::Get, &devices, None, 200)["count"], 2);

    // A device created ACTIVATION_REQUIRED gets an activation code in the outbox.
    let pending = c.mgmt_ok(
        Method::Post,
        &devices,
        Some(json!({ "type": "EMAIL", "email": "pat2@example.com", "status": "ACTIVATION_REQUIRED" })),
        201,
    );
    assert_eq!(pending["status"], "ACTIVATION_REQUIRED");
    assert!(pending["_links"]["device.activate"]["href"].is_string());
    let code = c.newest_otp();
    assert_eq!(c.sb.outbox().last().unwrap().to, "pat2@example.com");
    let activate = format!("{devices}/{}", pending["id"].as_str().unwrap());
    let r = c.mgmt(Method::Post, &activate, Some(json!({ "otp": code })));
    assert_eq!(r.status, 415, "activation needs device.activate+json");
    let activate_with = |c: &mut Client, otp: &str| {
        c.send(c.mgmt_req(Method::Post, &activate).json_body("application/vnd.pingidentity.device.activate+json", &json!({ "otp": otp })))
    };
    let r = activate_with(&mut c, "000000x");
    assert_eq!((r.status, detail_code(&r).as_str()), (400, "INVALID_OTP"));
    let r = activate_with(&mut c, &code);
    assert_eq!((r.status, body(&r)["status"].as_str()), (200, Some("ACTIVE")));
}

#[test]
fn totp_devices_activate_with_rfc6238_codes() {
    let mut c = Client::new(13);
    let user = c.mgmt_ok(Method::Post, "/users", Some(json!({ "username": "tia", "email": "tia@example.com" })), 201)["id"]
        .as_str()
        .unwrap()
        .to_string();
    let d = c.mgmt_ok(Method::Post, &format!("/users/{user}/devices"), Some(json!({ "type": "TOTP", "status": "ACTIVE" })), 201);
    assert_eq!(d["status"], "ACTIVATION_REQUIRED", "a TOTP device always needs activation");
    let secret = d["secret"].as_str().unwrap();
    assert!(d["keyUri"].as_str().unwrap().starts_with("otpauth://totp/"));
    assert!(d["keyUri"].as_str().unwrap().contains(&format!("secret={secret}")));
    let key = totp_key(secret);
    let url = format!("/users/{user}/devices/{}", d["id"].as_str().unwrap());
    let wrong = if totp_now(&key, c.now + 5) == "123456" { "654321" } else { "123456" };
    let r = c.send(c.mgmt_req(Method::Post, &url).json_body("application/vnd.pingidentity.device.activate+json", &json!({ "otp": wrong })));
    assert_eq!((r.status, detail_code(&r).as_str()), (400, "INVALID_OTP"));
    assert_eq!(body(&r)["details"][0]["innerError"]["remainingAttempts"], 2);
    let code = totp_now(&key, c.now + 5);
    let r = c.send(c.mgmt_req(Method::Post, &url).json_body("application/vnd.pingidentity.device.activate+json", &json!({ "otp": code })));
    assert_eq!((r.status, body(&r)["status"].as_str()), (200, Some("ACTIVE")), "{}", r.body);
    assert!(body(&r).get("secret").is_none(), "the secret is shown once, at pairing");
    let r = c.send(c.mgmt_req(Method::Post, &url).json_body("application/vnd.pingidentity.device.activate+json", &json!({ "otp": code })));
    assert_eq!((r.status, body(&r)["code"].as_str()), (400, Some("INVALID_REQUEST")), "already active");
}

#[test]
fn clean_up_deletes() {
    let mut c = Client::new(14);
    let s = c.provision(&["EMAIL"], Client::default_mfa_action());
    let assignment = c.mgmt_ok(Method::Get, &format!("/applications/{}/signOnPolicyAssignments", s.app_id), None, 200)["_embedded"]
        ["signOnPolicyAssignments"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = c.mgmt(Method::Delete, &format!("/populations/{}", s.population_id), None);
    assert_eq!((r.status, detail_code(&r).as_str()), (400, "CONSTRAINT_VIOLATION"), "a population with users");
    let paths = [
        format!("/users/{}/devices/{}", s.user_id, s.device_ids[0]),
        format!("/users/{}", s.user_id),
        format!("/populations/{}", s.population_id),
        format!("/applications/{}/signOnPolicyAssignments/{assignment}", s.app_id),
        format!("/signOnPolicies/{}", s.policy_id),
        format!("/applications/{}", s.app_id),
    ];
    for p in &paths {
        let r = c.mgmt(Method::Delete, p, None);
        assert_eq!(r.status, 204, "DELETE {p}: {}", r.body);
        assert!(r.body.is_empty());
        assert_eq!(c.mgmt(Method::Get, p, None).status, 404, "GET {p} after delete");
        assert_eq!(c.mgmt(Method::Delete, p, None).status, 404, "DELETE {p} twice");
    }
    let default_policy = c.mgmt_ok(Method::Get, "/signOnPolicies?filter=name%20eq%20%22Single_Factor%22", None, 200)["_embedded"]
        ["signOnPolicies"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(detail_code(&c.mgmt(Method::Delete, &format!("/signOnPolicies/{default_policy}"), None)), "CONSTRAINT_VIOLATION");
    let worker = c.info.worker_client_id.clone();
    assert_eq!(c.mgmt(Method::Delete, &format!("/applications/{worker}"), None).status, 400);
}

#[test]
fn management_never_answers_cors() {
    let mut c = Client::new(15);
    c.create_app(json!({ "corsSettings": { "behavior": "ALLOW_SPECIFIC_ORIGINS", "origins": ["https://app.example.com"] } }));
    let r = c.send(c.mgmt_req(Method::Get, "/resources").header("Origin", "https://app.example.com"));
    assert_eq!(r.status, 200);
    assert!(r.headers.iter().all(|(n, _)| !n.to_ascii_lowercase().starts_with("access-control-")));
    let r = c.send(HttpRequest::new(Method::Options, format!("{}/users", c.api_env())).header("Origin", "https://app.example.com"));
    assert_eq!(r.status, 401, "a preflight carries no token");
    assert!(r.headers.get("access-control-allow-origin").is_none());
}

#[test]
fn same_seed_same_answers() {
    let (a, b) = (Client::new(77), Client::new(77));
    assert_eq!(a.info, b.info);
    assert_ne!(a.info, Client::new(78).info);
}

// ---------- TOTP helpers (RFC 6238, independent of the crate's) ----------

pub fn totp_key(base32: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = Vec::new();
    let (mut buf, mut bits) = (0u64, 0);
    for c in base32.bytes() {
        buf = (buf << 5) | ALPHABET.iter().position(|x| *x == c).unwrap() as u64;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buf >> bits) as u8);
        }
    }
    out
}

pub fn totp_now(key: &[u8], now_ms: u64) -> String {
    use sha1::{Digest, Sha1};
    let counter = (now_ms / 30_000).to_be_bytes();
    let mut k = [0u8; 64];
    k[..key.len()].copy_from_slice(key);
    let inner = Sha1::new().chain_update(k.map(|b| b ^ 0x36)).chain_update(counter).finalize();
    let mac = Sha1::new().chain_update(k.map(|b| b ^ 0x5c)).chain_update(inner).finalize();
    let o = (mac[19] & 0xf) as usize;
    let n = u32::from_be_bytes([mac[o] & 0x7f, mac[o + 1], mac[o + 2], mac[o + 3]]);
    format!("{:06}", n % 1_000_000)
}

//! The lists a client reads to find what it created (adoption by unique name after a lost
//! create response), their `filter`s, and the clean-up deletes that bring an environment back
//! to its seeded state.

mod common;

use common::*;
use pingone::http::Method;
use sandbox::{Sandbox, SandboxConfig};
use serde_json::{json, Value};

fn q(filter: &str) -> String {
    format!("filter={}", url::form_urlencoded::byte_serialize(filter.as_bytes()).collect::<String>())
}

/// The items of an EntityArray under `key`, after checking its shape.
fn items(list: &Value, key: &str) -> Vec<Value> {
    assert!(list["_links"]["self"]["href"].is_string(), "{list}");
    let items = list["_embedded"][key].as_array().unwrap_or_else(|| panic!("_embedded.{key}: {list}")).clone();
    assert_eq!(list["count"], items.len());
    assert_eq!(list["size"], items.len());
    items
}

fn names(list: &Value, key: &str, field: &str) -> Vec<String> {
    items(list, key).iter().map(|i| i[field].as_str().unwrap_or_default().to_string()).collect()
}

/// 400 INVALID_DATA with an INVALID_VALUE detail on `filter`.
fn assert_filter_refused(c: &mut Client, path: &str) {
    let r = c.mgmt(Method::Get, path, None);
    assert_eq!(r.status, 400, "GET {path}: {}", r.body);
    let b = body(&r);
    assert_eq!(b["code"], "INVALID_DATA", "{path}");
    assert_eq!(b["details"][0]["code"], "INVALID_VALUE", "{path}");
    assert_eq!(b["details"][0]["target"], "filter", "{path}");
    assert!(b["details"][0]["message"].as_str().is_some_and(|m| !m.is_empty()));
}

#[test]
fn users_filter_by_username_and_email() {
    let mut c = Client::new(31);
    let s = c.provision(&["EMAIL"], Client::default_mfa_action());
    let other = c.mgmt_ok(Method::Post, "/users", Some(json!({ "username": "other.person", "email": "other@example.com" })), 201);

    let all = c.mgmt_ok(Method::Get, "/users", None, 200);
    assert_eq!(items(&all, "users").len(), 2);
    let by_name = c.mgmt_ok(Method::Get, &format!("/users?{}", q(&format!("username eq \"{}\"", s.username))), None, 200);
    assert_eq!(names(&by_name, "users", "id"), [s.user_id.as_str()]);
    assert!(by_name["_links"]["self"]["href"].as_str().unwrap().contains("filter="), "self keeps the query");
    // Usernames are case-insensitive in PingOne, and so is the filter; attribute and operator too.
    let upper = c.mgmt_ok(Method::Get, &format!("/users?{}", q(&format!("USERNAME EQ \"{}\"", s.username.to_uppercase()))), None, 200);
    assert_eq!(names(&upper, "users", "id"), [s.user_id.as_str()]);
    let by_email = c.mgmt_ok(Method::Get, &format!("/users?{}", q("email eq \"other@example.com\"")), None, 200);
    assert_eq!(names(&by_email, "users", "id"), [other["id"].as_str().unwrap()]);
    let starts = c.mgmt_ok(Method::Get, &format!("/users?{}", q("username sw \"jamie.\"")), None, 200);
    assert_eq!(names(&starts, "users", "username"), [s.username.as_str()]);
    let by_population = c.mgmt_ok(Method::Get, &format!("/users?{}", q(&format!("population.id eq \"{}\"", s.population_id))), None, 200);
    assert_eq!(names(&by_population, "users", "id"), [s.user_id.as_str()]);
    let none = c.mgmt_ok(Method::Get, &format!("/users?{}", q("username eq \"nobody\"")), None, 200);
    assert!(items(&none, "users").is_empty(), "no match is an empty list, not a 404");
    // An escaped quote is part of the value.
    let escaped = c.mgmt_ok(Method::Get, &format!("/users?{}", q(r#"username eq "a\"b""#)), None, 200);
    assert!(items(&escaped, "users").is_empty());

    for bad in [
        "password eq \"x\"",                    // not a filterable attribute
        "username co \"jamie\"",                // operator not emulated
        "username eq jamie",                    // unquoted value
        "username",                             // no operator
        "username eq \"a\" and email eq \"b\"", // compound filters are not emulated
        "",
    ] {
        assert_filter_refused(&mut c, &format!("/users?{}", q(bad)));
    }
}

#[test]
fn populations_applications_and_policies_filter_by_name() {
    let mut c = Client::new(32);
    let s = c.provision(&["EMAIL"], Client::default_mfa_action());

    let pops = c.mgmt_ok(Method::Get, "/populations", None, 200);
    assert_eq!(names(&pops, "populations", "name"), ["Default".to_string(), format!("Pop {}", s.app_id)]);
    let by_name = c.mgmt_ok(Method::Get, &format!("/populations?{}", q(&format!("name eq \"Pop {}\"", s.app_id))), None, 200);
    assert_eq!(names(&by_name, "populations", "id"), [s.population_id.as_str()]);
    // The spec: "Only the id and name parameters are supported".
    let by_id = c.mgmt_ok(Method::Get, &format!("/populations?{}", q(&format!("id eq \"{}\"", s.population_id))), None, 200);
    assert_eq!(names(&by_id, "populations", "id"), [s.population_id.as_str()]);
    assert_filter_refused(&mut c, &format!("/populations?{}", q("description eq \"x\"")));

    let apps = c.mgmt_ok(Method::Get, "/applications", None, 200);
    assert_eq!(items(&apps, "applications").len(), 2, "the worker and the new app");
    let by_name = c.mgmt_ok(Method::Get, &format!("/applications?{}", q("name eq \"Login MFA App\"")), None, 200);
    assert_eq!(names(&by_name, "applications", "id"), [s.app_id.as_str()]);
    assert_filter_refused(&mut c, &format!("/applications?{}", q("redirectUris eq \"x\"")));

    let policies = c.mgmt_ok(Method::Get, "/signOnPolicies", None, 200);
    assert_eq!(items(&policies, "signOnPolicies").len(), 2, "Single_Factor and the new policy");
    let by_name = c.mgmt_ok(Method::Get, &format!("/signOnPolicies?{}", q(&format!("name eq \"Login_MFA_{}\"", s.app_id))), None, 200);
    assert_eq!(names(&by_name, "signOnPolicies", "id"), [s.policy_id.as_str()]);
    assert_filter_refused(&mut c, &format!("/signOnPolicies?{}", q("name gt \"a\"")));
}

#[test]
fn sub_collections_list_everything_and_refuse_filters() {
    let mut c = Client::new(33);
    let s = c.provision(&["EMAIL", "SMS"], Client::default_mfa_action());
    let resource = c.openid_resource();

    let actions = c.mgmt_ok(Method::Get, &format!("/signOnPolicies/{}/actions", s.policy_id), None, 200);
    assert_eq!(names(&actions, "actions", "type"), ["LOGIN", "MULTI_FACTOR_AUTHENTICATION"], "by priority");
    let grants = c.mgmt_ok(Method::Get, &format!("/applications/{}/grants", s.app_id), None, 200);
    assert_eq!(items(&grants, "grants")[0]["resource"]["id"], resource.as_str());
    let assignments = c.mgmt_ok(Method::Get, &format!("/applications/{}/signOnPolicyAssignments", s.app_id), None, 200);
    assert_eq!(items(&assignments, "signOnPolicyAssignments")[0]["signOnPolicy"]["id"], s.policy_id.as_str());
    let devices = c.mgmt_ok(Method::Get, &format!("/users/{}/devices", s.user_id), None, 200);
    assert_eq!(names(&devices, "devices", "id"), s.device_ids);
    assert_eq!(names(&devices, "devices", "type"), ["EMAIL", "SMS"]);
    let limited = c.mgmt_ok(Method::Get, &format!("/users/{}/devices?limit=1", s.user_id), None, 200);
    assert_eq!((limited["count"].as_u64(), limited["size"].as_u64()), (Some(1), Some(2)));

    // PingOne documents no `filter` on these: refused rather than silently ignored.
    for path in [
        format!("/signOnPolicies/{}/actions", s.policy_id),
        format!("/applications/{}/grants", s.app_id),
        format!("/applications/{}/signOnPolicyAssignments", s.app_id),
        format!("/users/{}/devices", s.user_id),
    ] {
        assert_filter_refused(&mut c, &format!("{path}?{}", q("type eq \"LOGIN\"")));
    }
    // Unknown parents are 404 NOT_FOUND.
    let ghost = "00000000-0000-4000-8000-000000000000";
    for path in [
        format!("/signOnPolicies/{ghost}/actions"),
        format!("/applications/{ghost}/grants"),
        format!("/applications/{ghost}/signOnPolicyAssignments"),
        format!("/users/{ghost}/devices"),
    ] {
        let r = c.mgmt(Method::Get, &path, None);
        assert_eq!((r.status, body(&r)["code"].as_str()), (404, Some("NOT_FOUND")), "{path}");
    }
}

/// The lists that describe an environment's configuration, keyed by collection.
fn environment_lists(c: &mut Client) -> Vec<(String, Value)> {
    ["applications", "signOnPolicies", "populations", "users", "resources"]
        .iter()
        .map(|key| (key.to_string(), c.mgmt_ok(Method::Get, &format!("/{key}"), None, 200)))
        .collect()
}

#[test]
fn deleting_a_workflow_in_reverse_restores_the_seeded_environment() {
    let seed = 34;
    let mut fresh = Client::new(seed);
    let seeded = environment_lists(&mut fresh);

    let mut c = Client::new(seed);
    let s = c.provision(&["EMAIL"], Client::default_mfa_action());
    assert_ne!(environment_lists(&mut c), seeded);
    let assignment = items(
        &c.mgmt_ok(Method::Get, &format!("/applications/{}/signOnPolicyAssignments", s.app_id), None, 200),
        "signOnPolicyAssignments",
    )[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let actions: Vec<String> = items(&c.mgmt_ok(Method::Get, &format!("/signOnPolicies/{}/actions", s.policy_id), None, 200), "actions")
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_string())
        .collect();
    let grant = items(&c.mgmt_ok(Method::Get, &format!("/applications/{}/grants", s.app_id), None, 200), "grants")[0]["id"]
        .as_str()
        .unwrap()
        .to_string();

    // The workflow's objects, newest first (device, user, population, assignment, policy with
    // its actions, application with its grant).
    let mut paths = vec![
        format!("/users/{}/devices/{}", s.user_id, s.device_ids[0]),
        format!("/users/{}", s.user_id),
        format!("/populations/{}", s.population_id),
        format!("/applications/{}/signOnPolicyAssignments/{assignment}", s.app_id),
    ];
    paths.extend(actions.iter().rev().map(|a| format!("/signOnPolicies/{}/actions/{a}", s.policy_id)));
    paths.push(format!("/signOnPolicies/{}", s.policy_id));
    paths.push(format!("/applications/{}/grants/{grant}", s.app_id));
    paths.push(format!("/applications/{}", s.app_id));
    for p in &paths {
        let r = c.mgmt(Method::Delete, p, None);
        assert_eq!(r.status, 204, "DELETE {p}: {}", r.body);
        assert!(r.body.is_empty(), "204 has no body");
        assert!(r.headers.get("content-type").is_none(), "204 has no content type");
        let again = c.mgmt(Method::Delete, p, None);
        assert_eq!(again.status, 404, "DELETE {p} twice");
        let b = body(&again);
        assert_eq!(b["code"], "NOT_FOUND");
        assert_eq!(b["id"].as_str(), again.headers.get("correlation-id"));
    }
    assert_eq!(environment_lists(&mut c), seeded, "the environment is as seeded");

    // The same names can be created again (nothing left behind holds them).
    c.mgmt_ok(Method::Post, "/populations", Some(json!({ "name": format!("Pop {}", s.app_id) })), 201);
    c.mgmt_ok(Method::Post, "/users", Some(json!({ "username": s.username, "email": s.email })), 201);
    c.mgmt_ok(Method::Post, "/signOnPolicies", Some(json!({ "name": format!("Login_MFA_{}", s.app_id) })), 201);

    // Same seed, same seeded ids: the comparison above is of the very same objects.
    assert_eq!(Sandbox::new(SandboxConfig { seed, ..SandboxConfig::default() }).info(), fresh.sb.info());
}

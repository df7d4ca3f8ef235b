//! Request and response bodies of the management calls (1-13, 19), after PingOne's OpenAPI
//! schemas (`ApplicationOIDC`, `Resource`, `ResourceScope`, `ApplicationResourceGrant`,
//! `SignOnPolicy`, `SignOnPolicyAction*`, `SignOnPolicyAssignment`, `Population`, `User`,
//! `UserMFAEnabled`, `ApplicationSecret`; MFA devices from the docs). Response structs read
//! only what the workflow uses and ignore the rest, as a tolerant client should.

use crate::flow::IdRef;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// `EntityArray`: `{"_embedded": {"<collection>": [...]}, "count", "size", "_links"}`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct EntityArray<T> {
    #[serde(rename = "_embedded", default = "BTreeMap::new")]
    pub embedded: BTreeMap<String, Vec<T>>,
    #[serde(default)]
    pub count: Option<u64>,
    #[serde(default)]
    pub size: Option<u64>,
}

impl<T> EntityArray<T> {
    /// The items under `_embedded[key]` (empty when absent).
    pub fn items(&self, key: &str) -> &[T] {
        self.embedded.get(key).map(Vec::as_slice).unwrap_or(&[])
    }
}

macro_rules! wire_enum {
    ($(#[$doc:meta])* $name:ident { $($variant:ident => $wire:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name { $(#[serde(rename = $wire)] $variant,)+ }
        impl $name {
            pub fn as_str(self) -> &'static str { match self { $($name::$variant => $wire,)+ } }
        }
    };
}

wire_enum!(
    /// `EnumApplicationType` (the values this workbench can create).
    ApplicationType { WebApp => "WEB_APP", SinglePageApp => "SINGLE_PAGE_APP", NativeApp => "NATIVE_APP", Worker => "WORKER", Service => "SERVICE" }
);
wire_enum!(ApplicationProtocol { OpenIdConnect => "OPENID_CONNECT", Saml => "SAML" });
wire_enum!(GrantType { AuthorizationCode => "AUTHORIZATION_CODE", RefreshToken => "REFRESH_TOKEN", Implicit => "IMPLICIT", ClientCredentials => "CLIENT_CREDENTIALS" });
wire_enum!(ResponseType { Code => "CODE", Token => "TOKEN", IdToken => "ID_TOKEN" });
wire_enum!(
    /// `EnumApplicationOIDCTokenAuthMethod`
    TokenEndpointAuthMethod { None => "NONE", ClientSecretBasic => "CLIENT_SECRET_BASIC", ClientSecretPost => "CLIENT_SECRET_POST" }
);
wire_enum!(
    /// `EnumApplicationOIDCPKCEOption`
    PkceEnforcement { Optional => "OPTIONAL", Required => "REQUIRED", S256Required => "S256_REQUIRED" }
);
wire_enum!(CorsBehavior { AllowNoOrigins => "ALLOW_NO_ORIGINS", AllowSpecificOrigins => "ALLOW_SPECIFIC_ORIGINS" });
wire_enum!(
    /// MFA device types this workflow can create.
    DeviceType { Email => "EMAIL", Sms => "SMS", Totp => "TOTP" }
);
wire_enum!(ResourceType { OpenIdConnect => "OPENID_CONNECT", PingOneApi => "PINGONE_API", Custom => "CUSTOM" });

/// `ApplicationCorsSettings`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CorsSettings {
    pub behavior: CorsBehavior,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub origins: Vec<String>,
}

/// Call 1 request: `ApplicationOIDC`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateApplication {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub enabled: bool,
    #[serde(rename = "type")]
    pub app_type: ApplicationType,
    pub protocol: ApplicationProtocol,
    pub grant_types: Vec<GrantType>,
    pub response_types: Vec<ResponseType>,
    pub token_endpoint_auth_method: TokenEndpointAuthMethod,
    pub pkce_enforcement: PkceEnforcement,
    pub redirect_uris: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub post_logout_redirect_uris: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cors_settings: Option<CorsSettings>,
}

/// Call 1 response (the fields the workflow reads).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Application {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub token_endpoint_auth_method: Option<TokenEndpointAuthMethod>,
    #[serde(default)]
    pub pkce_enforcement: Option<PkceEnforcement>,
    #[serde(default)]
    pub redirect_uris: Vec<String>,
}

/// Call 2 item: `Resource`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resource {
    pub id: String,
    pub name: String,
    #[serde(rename = "type", default)]
    pub resource_type: Option<String>,
}

/// Call 3 item: `ResourceScope`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceScope {
    pub id: String,
    pub name: String,
}

/// Call 4 request: `ApplicationResourceGrant`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateGrant {
    pub resource: IdRef,
    pub scopes: Vec<IdRef>,
}

/// Any created object the workflow only needs the id of.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Created {
    pub id: String,
}

/// Call 5 request: `SignOnPolicy`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateSignOnPolicy {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// `{"enabled": bool}` toggles of actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Enabled {
    pub enabled: bool,
}

/// Calls 6 and 7 request: a `SignOnPolicyAction` (LOGIN or MULTI_FACTOR_AUTHENTICATION).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum SignOnPolicyAction {
    #[serde(rename = "LOGIN")]
    Login {
        priority: u32,
        #[serde(skip_serializing_if = "Option::is_none")]
        recovery: Option<Enabled>,
    },
    /// The docs' body for this workflow: per-method toggles.
    #[serde(rename = "MULTI_FACTOR_AUTHENTICATION")]
    MultiFactorAuthentication {
        priority: u32,
        #[serde(skip_serializing_if = "Option::is_none")]
        email: Option<Enabled>,
        #[serde(skip_serializing_if = "Option::is_none")]
        sms: Option<Enabled>,
        #[serde(skip_serializing_if = "Option::is_none")]
        authenticator: Option<Enabled>,
        #[serde(rename = "deviceAuthenticationPolicy", skip_serializing_if = "Option::is_none")]
        device_authentication_policy: Option<IdRef>,
    },
}

/// Call 8 request: `SignOnPolicyAssignment`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateSignOnPolicyAssignment {
    pub priority: u32,
    #[serde(rename = "signOnPolicy")]
    pub sign_on_policy: IdRef,
}

/// Call 9 request: `Population`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatePopulation {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// `User.name`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserName {
    pub given: String,
    pub family: String,
}

/// Call 10 request: `User`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateUser {
    pub username: String,
    pub email: String,
    pub population: IdRef,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<UserName>,
}

/// Call 10 response (the fields the workflow reads).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub id: String,
    pub username: String,
    #[serde(default)]
    pub mfa_enabled: Option<bool>,
}

/// Call 11 request (`application/vnd.pingidentity.password.set+json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PasswordSet {
    pub value: String,
    pub force_change: bool,
}

/// Call 11 response: the user's password state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordState {
    pub status: String,
}

/// Call 12 request and response: `UserMFAEnabled`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserMfaEnabled {
    pub mfa_enabled: bool,
}

/// Call 13 request: create an MFA device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateDevice {
    #[serde(rename = "type")]
    pub device_type: DeviceType,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nickname: Option<String>,
}

/// Call 13 response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Device {
    pub id: String,
    #[serde(rename = "type")]
    pub device_type: String,
    pub status: String,
    #[serde(default)]
    pub secret: Option<String>,
    #[serde(default)]
    pub key_uri: Option<String>,
}

/// Call 19 response: `ApplicationSecret`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplicationSecret {
    pub secret: String,
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;
    use super::*;
    use serde_json::json;

    #[test]
    fn mfa_action_serialises_as_the_docs_body() {
        let a = SignOnPolicyAction::MultiFactorAuthentication {
            priority: 10,
            email: Some(Enabled { enabled: true }),
            sms: Some(Enabled { enabled: true }),
            authenticator: None,
            device_authentication_policy: None,
        };
        assert_eq!(
            serde_json::to_value(&a).unwrap(),
            json!({"type": "MULTI_FACTOR_AUTHENTICATION", "priority": 10, "email": {"enabled": true}, "sms": {"enabled": true}})
        );
        let l = SignOnPolicyAction::Login { priority: 1, recovery: None };
        assert_eq!(serde_json::to_value(&l).unwrap(), json!({"type": "LOGIN", "priority": 1}));
    }

    #[test]
    fn entity_array_reads_embedded() {
        let v: EntityArray<Resource> = serde_json::from_value(json!({
            "_links": {"self": {"href": "x"}},
            "_embedded": {"resources": [{"id": "r1", "name": "openid", "type": "OPENID_CONNECT"}]},
            "count": 1, "size": 1
        }))
        .unwrap();
        assert_eq!(v.items("resources")[0].name, "openid");
        assert!(v.items("scopes").is_empty());
    }
}

/// An environment's type (`GET /environments/{envID}`). PRODUCTION environments hold the
/// identities a business runs on: the workflow provisions into one only when the person says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EnvironmentType {
    Sandbox,
    Production,
    /// Not readable with the worker's roles, or a type this tool does not know.
    #[serde(other)]
    Unknown,
}

impl EnvironmentType {
    /// Provisioning into it needs the person's say-so: anything but SANDBOX.
    pub fn needs_confirmation(self) -> bool {
        self != EnvironmentType::Sandbox
    }

    pub fn as_str(self) -> &'static str {
        match self {
            EnvironmentType::Sandbox => "SANDBOX",
            EnvironmentType::Production => "PRODUCTION",
            EnvironmentType::Unknown => "unknown",
        }
    }
}

/// The part of an environment (`GET /environments/{envID}`, 200) the workflow reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Environment {
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(rename = "type")]
    pub environment_type: EnvironmentType,
}

impl Environment {
    /// How an answer to `GET /environments/{envID}` is read for the production guard: 200 gives
    /// the environment; 403 (the worker's roles may not read it) an environment of `Unknown`
    /// type, which may be PRODUCTION; any other status `None`, an error to report as such.
    pub fn from_answer(id: &str, status: u16, body: &[u8]) -> Option<Result<Environment, serde_json::Error>> {
        match status {
            200 => Some(serde_json::from_slice(body)),
            403 => Some(Ok(Environment { id: id.to_string(), name: String::new(), environment_type: EnvironmentType::Unknown })),
            _ => None,
        }
    }
}

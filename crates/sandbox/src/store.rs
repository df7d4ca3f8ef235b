//! The in-memory environment: every object the workflow creates, plus the objects a new
//! PingOne environment comes with (resources and scopes, the default population, sign-on
//! policy, password policy and MFA device policy, and the worker application).
//!
//! Collections are `Vec`s in creation order (lists answer in that order, deterministically);
//! they hold tens of objects, so lookups are linear.

use crate::clock::MINUTE;
use crate::flow::Flow;
use crate::ids::Ids;
use crate::OutboxMessage;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// When the seeded objects were "created": 2026-01-01T00:00:00.000Z.
pub const SEEDED_AT: u64 = 1_767_225_600_000;

pub struct Environment {
    pub id: String,
    pub name: String,
    pub organization_id: String,
    /// `SANDBOX`, or `PRODUCTION` when the sandbox was started with `production` set.
    pub environment_type: &'static str,
}

#[derive(Clone)]
pub struct CorsSettings {
    pub behavior: String,
    pub origins: Vec<String>,
}

pub struct Application {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub enabled: bool,
    pub app_type: String,
    pub protocol: String,
    pub grant_types: Vec<String>,
    pub response_types: Vec<String>,
    pub token_endpoint_auth_method: String,
    pub pkce_enforcement: String,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub cors_settings: Option<CorsSettings>,
    pub login_page_url: Option<String>,
    pub home_page_url: Option<String>,
    pub refresh_token_duration: u64,
    pub secret: String,
    pub created_at: u64,
    pub updated_at: u64,
}

impl Application {
    pub fn is_worker(&self) -> bool {
        self.app_type == "WORKER"
    }
    pub fn has_grant_type(&self, g: &str) -> bool {
        self.grant_types.iter().any(|x| x == g)
    }
}

pub struct Resource {
    pub id: String,
    pub name: String,
    pub description: String,
    pub resource_type: String,
    pub audience: Option<String>,
    pub access_token_validity_seconds: u64,
}

pub struct Scope {
    pub id: String,
    pub name: String,
    pub description: String,
    pub resource_id: String,
    pub schema_attributes: Vec<String>,
}

pub struct Grant {
    pub id: String,
    pub application_id: String,
    pub resource_id: String,
    pub scope_ids: Vec<String>,
    pub created_at: u64,
}

pub struct SignOnPolicy {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub default: bool,
    pub created_at: u64,
    pub updated_at: u64,
}

/// The legacy per-method switches of a MULTI_FACTOR_AUTHENTICATION action.
#[derive(Clone, Copy, Default, PartialEq, Eq, Debug)]
pub struct MfaMethods {
    pub email: Option<bool>,
    pub sms: Option<bool>,
    pub voice: Option<bool>,
    pub authenticator: Option<bool>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ActionKind {
    Login {
        recovery_enabled: bool,
        registration_enabled: bool,
        registration_population_id: Option<String>,
    },
    MultiFactorAuthentication {
        /// Present when the body used the per-method switches.
        methods: Option<MfaMethods>,
        device_authentication_policy_id: String,
        no_devices_mode: String,
    },
}

pub struct SignOnPolicyAction {
    pub id: String,
    pub policy_id: String,
    pub priority: u64,
    pub kind: ActionKind,
}

pub struct SignOnPolicyAssignment {
    pub id: String,
    pub application_id: String,
    pub policy_id: String,
    pub priority: u64,
}

pub struct Population {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub default: bool,
    pub password_policy_id: Option<String>,
    pub created_at: u64,
    pub updated_at: u64,
}

/// A stored password: salted SHA-256 (never the cleartext).
pub struct Password {
    salt: [u8; 16],
    hash: [u8; 32],
    /// `OK` or `MUST_CHANGE_PASSWORD`.
    pub status: String,
    pub last_changed_at: u64,
}

impl Password {
    pub fn new(ids: &mut Ids, value: &str, force_change: bool, now: u64) -> Password {
        let salt = ids.bytes::<16>();
        Password {
            hash: salted(&salt, value),
            salt,
            status: if force_change { "MUST_CHANGE_PASSWORD" } else { "OK" }.to_string(),
            last_changed_at: now,
        }
    }

    pub fn matches(&self, value: &str) -> bool {
        crate::totp::constant_time_eq(&salted(&self.salt, value), &self.hash)
    }

    /// A fingerprint of a wrong attempt, so that repeating the same wrong password is not
    /// counted twice (PingOne's password policies work that way).
    pub fn fingerprint(&self, value: &str) -> [u8; 32] {
        let mut pepper = self.salt;
        pepper[0] ^= 0xff;
        salted(&pepper, value)
    }
}

fn salted(salt: &[u8], value: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(salt);
    h.update(value.as_bytes());
    h.finalize().into()
}

/// Failed password attempts and the lock they lead to.
#[derive(Default)]
pub struct Lockout {
    pub failures: u32,
    pub last_failed: Option<[u8; 32]>,
    pub locked_until: Option<u64>,
}

pub struct User {
    pub id: String,
    pub username: String,
    pub email: String,
    pub population_id: String,
    /// `name` as given (validated object of strings).
    pub name: Option<Value>,
    pub mobile_phone: Option<String>,
    pub primary_phone: Option<String>,
    pub locale: Option<String>,
    pub mfa_enabled: bool,
    pub enabled: bool,
    pub lifecycle_status: String,
    pub password: Option<Password>,
    pub lockout: Lockout,
    pub created_at: u64,
    pub updated_at: u64,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum DeviceType {
    Email,
    Sms,
    Voice,
    Totp,
}

impl DeviceType {
    pub fn parse(s: &str) -> Option<DeviceType> {
        Some(match s {
            "EMAIL" => DeviceType::Email,
            "SMS" => DeviceType::Sms,
            "VOICE" => DeviceType::Voice,
            "TOTP" => DeviceType::Totp,
            _ => return None,
        })
    }
    pub fn as_str(self) -> &'static str {
        match self {
            DeviceType::Email => "EMAIL",
            DeviceType::Sms => "SMS",
            DeviceType::Voice => "VOICE",
            DeviceType::Totp => "TOTP",
        }
    }
}

/// An OTP that was "sent" (or expected), with its expiry and failed attempts.
#[derive(Clone, Debug)]
pub struct PendingOtp {
    pub value: String,
    pub expires_at: u64,
    pub failures: u32,
}

pub struct Device {
    pub id: String,
    pub user_id: String,
    pub device_type: DeviceType,
    /// `ACTIVE` or `ACTIVATION_REQUIRED`.
    pub status: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub nickname: Option<String>,
    /// TOTP shared secret.
    pub totp_secret: Option<Vec<u8>>,
    /// Last TOTP step accepted (no replay).
    pub last_totp_counter: Option<u64>,
    /// Activation code sent for an EMAIL/SMS/VOICE device created `ACTIVATION_REQUIRED`.
    pub activation: Option<PendingOtp>,
    pub policy_id: String,
    pub created_at: u64,
    pub updated_at: u64,
}

impl Device {
    pub fn is_active(&self) -> bool {
        self.status == "ACTIVE"
    }
    /// Where an OTP goes (email address or phone number); none for TOTP.
    pub fn target(&self) -> Option<&str> {
        self.email.as_deref().or(self.phone.as_deref())
    }
}

/// An MFA device authentication policy (only what the sign-on flow uses).
pub struct DeviceAuthenticationPolicy {
    pub id: String,
    pub name: String,
    pub default: bool,
    pub email: bool,
    pub sms: bool,
    pub voice: bool,
    pub totp: bool,
    pub otp_failure_count: u32,
    pub otp_lifetime_ms: u64,
    pub device_selection: String,
}

impl DeviceAuthenticationPolicy {
    pub fn allows(&self, t: DeviceType) -> bool {
        match t {
            DeviceType::Email => self.email,
            DeviceType::Sms => self.sms,
            DeviceType::Voice => self.voice,
            DeviceType::Totp => self.totp,
        }
    }
}

/// The environment's password policy (PingOne's built-in "Standard" rules).
pub struct PasswordPolicy {
    pub id: String,
    pub name: String,
    pub min_length: usize,
    pub max_length: usize,
    pub max_repeated_characters: usize,
    pub min_unique_characters: usize,
    pub lockout_failure_count: u32,
    pub lockout_duration_seconds: u64,
}

pub const SPECIAL_CHARACTERS: &str = "~!@#$%^&*()-_=+[]{}|;:,.<>/?";

pub struct AuthorizationCode {
    pub code: String,
    pub client_id: String,
    pub redirect_uri: Option<String>,
    /// `(challenge, method)`.
    pub code_challenge: Option<(String, String)>,
    pub nonce: Option<String>,
    pub scopes: Vec<String>,
    pub user_id: String,
    pub session_id: String,
    pub auth_time: u64,
    pub amr: Vec<String>,
    pub acr: String,
    pub expires_at: u64,
}

/// An access token this sandbox issued (looked up by its exact value).
pub struct IssuedToken {
    pub token: String,
    pub client_id: String,
    pub user_id: Option<String>,
    pub scopes: Vec<String>,
    pub expires_at: u64,
}

pub struct RefreshToken {
    pub token: String,
    pub client_id: String,
    pub user_id: String,
    pub session_id: String,
    pub scopes: Vec<String>,
    pub amr: Vec<String>,
    pub acr: String,
    pub auth_time: u64,
    pub expires_at: u64,
}

pub struct Store {
    pub env: Environment,
    pub worker_client_id: String,
    pub applications: Vec<Application>,
    pub resources: Vec<Resource>,
    pub scopes: Vec<Scope>,
    pub grants: Vec<Grant>,
    pub policies: Vec<SignOnPolicy>,
    pub actions: Vec<SignOnPolicyAction>,
    pub assignments: Vec<SignOnPolicyAssignment>,
    pub populations: Vec<Population>,
    pub users: Vec<User>,
    pub devices: Vec<Device>,
    pub device_policies: Vec<DeviceAuthenticationPolicy>,
    pub password_policy: PasswordPolicy,
    pub flows: Vec<Flow>,
    pub codes: Vec<AuthorizationCode>,
    pub tokens: Vec<IssuedToken>,
    pub refresh_tokens: Vec<RefreshToken>,
    pub outbox: Vec<OutboxMessage>,
}

impl Store {
    /// A new environment, as PingOne provisions one.
    pub fn seed(ids: &mut Ids) -> Store {
        let env = Environment { id: ids.uuid(), name: "Sandbox".into(), organization_id: ids.uuid(), environment_type: "SANDBOX" };
        let worker_client_id = ids.uuid();
        let worker = Application {
            id: worker_client_id.clone(),
            name: "Sandbox Worker".into(),
            description: Some("Worker application of the sandbox environment (client credentials, CLIENT_SECRET_BASIC)".into()),
            enabled: true,
            app_type: "WORKER".into(),
            protocol: "OPENID_CONNECT".into(),
            grant_types: vec!["CLIENT_CREDENTIALS".into()],
            response_types: vec![],
            token_endpoint_auth_method: "CLIENT_SECRET_BASIC".into(),
            pkce_enforcement: "OPTIONAL".into(),
            redirect_uris: vec![],
            post_logout_redirect_uris: vec![],
            cors_settings: None,
            login_page_url: None,
            home_page_url: None,
            refresh_token_duration: 2_592_000,
            secret: ids.secret(64),
            created_at: SEEDED_AT,
            updated_at: SEEDED_AT,
        };

        let openid = Resource {
            id: ids.uuid(),
            name: "openid".into(),
            description: "OpenID Connect scopes".into(),
            resource_type: "OPENID_CONNECT".into(),
            audience: None,
            access_token_validity_seconds: 3600,
        };
        let api = Resource {
            id: ids.uuid(),
            name: "PingOne API".into(),
            description: "The PingOne management API".into(),
            resource_type: "PINGONE_API".into(),
            audience: Some("https://api.pingone.com".into()),
            access_token_validity_seconds: 3600,
        };
        let mut scopes = Vec::new();
        let openid_scopes: [(&str, &str, &[&str]); 5] = [
            ("openid", "OpenID Connect: sign-on and the subject identifier", &[]),
            (
                "profile",
                "Default profile claims",
                &["name.family", "name.given", "name.middle", "nickname", "preferredLanguage", "locale", "username", "updatedAt"],
            ),
            ("email", "The user's email address", &["email", "emailVerified"]),
            ("address", "The user's postal address", &["address"]),
            ("phone", "The user's phone number", &["primaryPhone", "mobilePhone"]),
        ];
        for (name, description, attrs) in openid_scopes {
            scopes.push(Scope {
                id: ids.uuid(),
                name: name.into(),
                description: description.into(),
                resource_id: openid.id.clone(),
                schema_attributes: attrs.iter().map(|s| s.to_string()).collect(),
            });
        }
        for (name, description) in [
            ("p1:read:user", "Read the signed-on user"),
            ("p1:update:user", "Update the signed-on user"),
            ("p1:read:sessions", "Read the signed-on user's sessions"),
            ("p1:delete:sessions", "Delete the signed-on user's sessions"),
        ] {
            scopes.push(Scope {
                id: ids.uuid(),
                name: name.into(),
                description: description.into(),
                resource_id: api.id.clone(),
                schema_attributes: vec![],
            });
        }

        let password_policy = PasswordPolicy {
            id: ids.uuid(),
            name: "Standard".into(),
            min_length: 8,
            max_length: 255,
            max_repeated_characters: 2,
            min_unique_characters: 5,
            lockout_failure_count: 5,
            lockout_duration_seconds: 900,
        };
        let population = Population {
            id: ids.uuid(),
            name: "Default".into(),
            description: Some("The environment's default population".into()),
            default: true,
            password_policy_id: None,
            created_at: SEEDED_AT,
            updated_at: SEEDED_AT,
        };
        let device_policy = DeviceAuthenticationPolicy {
            id: ids.uuid(),
            name: "Default MFA Policy".into(),
            default: true,
            email: true,
            sms: true,
            voice: true,
            totp: true,
            otp_failure_count: 3,
            otp_lifetime_ms: 30 * MINUTE,
            device_selection: "PROMPT_TO_SELECT".into(),
        };
        let policy = SignOnPolicy {
            id: ids.uuid(),
            name: "Single_Factor".into(),
            description: Some("The environment's default sign-on policy: username and password".into()),
            default: true,
            created_at: SEEDED_AT,
            updated_at: SEEDED_AT,
        };
        let login = SignOnPolicyAction {
            id: ids.uuid(),
            policy_id: policy.id.clone(),
            priority: 1,
            kind: ActionKind::Login { recovery_enabled: true, registration_enabled: false, registration_population_id: None },
        };

        Store {
            env,
            worker_client_id,
            applications: vec![worker],
            resources: vec![openid, api],
            scopes,
            grants: vec![],
            policies: vec![policy],
            actions: vec![login],
            assignments: vec![],
            populations: vec![population],
            users: vec![],
            devices: vec![],
            device_policies: vec![device_policy],
            password_policy,
            flows: vec![],
            codes: vec![],
            tokens: vec![],
            refresh_tokens: vec![],
            outbox: vec![],
        }
    }

    pub fn application(&self, id: &str) -> Option<&Application> {
        self.applications.iter().find(|a| a.id == id)
    }
    pub fn resource(&self, id: &str) -> Option<&Resource> {
        self.resources.iter().find(|r| r.id == id)
    }
    pub fn scope(&self, id: &str) -> Option<&Scope> {
        self.scopes.iter().find(|s| s.id == id)
    }
    pub fn policy(&self, id: &str) -> Option<&SignOnPolicy> {
        self.policies.iter().find(|p| p.id == id)
    }
    pub fn population(&self, id: &str) -> Option<&Population> {
        self.populations.iter().find(|p| p.id == id)
    }
    pub fn user(&self, id: &str) -> Option<&User> {
        self.users.iter().find(|u| u.id == id)
    }
    pub fn user_mut(&mut self, id: &str) -> Option<&mut User> {
        self.users.iter_mut().find(|u| u.id == id)
    }
    /// Usernames are case-insensitive.
    pub fn user_by_username(&self, username: &str) -> Option<&User> {
        let wanted = username.to_lowercase();
        self.users.iter().find(|u| u.username.to_lowercase() == wanted)
    }
    pub fn device(&self, user_id: &str, id: &str) -> Option<&Device> {
        self.devices.iter().find(|d| d.id == id && d.user_id == user_id)
    }
    pub fn device_policy(&self, id: &str) -> Option<&DeviceAuthenticationPolicy> {
        self.device_policies.iter().find(|p| p.id == id)
    }
    pub fn default_device_policy(&self) -> Option<&DeviceAuthenticationPolicy> {
        self.device_policies.iter().find(|p| p.default).or(self.device_policies.first())
    }
    pub fn default_population(&self) -> Option<&Population> {
        self.populations.iter().find(|p| p.default)
    }
    pub fn default_policy(&self) -> Option<&SignOnPolicy> {
        self.policies.iter().find(|p| p.default)
    }

    /// The resource of a scope by name, among the app's grants (`openid` needs no grant).
    pub fn granted_scope(&self, app_id: &str, name: &str) -> bool {
        self.grants
            .iter()
            .filter(|g| g.application_id == app_id)
            .any(|g| g.scope_ids.iter().any(|sid| self.scope(sid).is_some_and(|s| s.name == name)))
    }

    /// Drops what has expired, so long-running servers do not grow.
    pub fn prune(&mut self, now: u64) {
        self.codes.retain(|c| c.expires_at > now);
        self.tokens.retain(|t| t.expires_at > now);
        self.refresh_tokens.retain(|t| t.expires_at > now);
        self.flows.retain(|f| !f.is_expired(now));
    }
}

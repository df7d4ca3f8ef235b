//! "Remember on this device": the secrets a person may keep in this browser's localStorage, one
//! opt-in each, in live mode only (the sandbox's tenant starts afresh with every page, so nothing
//! of it is worth keeping). Without the opt-in a secret lives in the page's memory only.
//!
//! Each record names what it belongs to (environment, application, user) and is put back only into
//! a run of that same object after a reload. One-time passcodes, the PKCE verifier of a sign-on
//! still in progress and the authorization code are never kept: each is used once.

use pingone::oauth::{AuthorizeSecrets, TokenResponse};
use pingone::secret::{AppSecret, Password, WorkerSecret};
use pingone::workflow::WorkflowState;
use serde::{de::DeserializeOwned, Deserialize, Serialize};

/// A secret a person may choose to keep on this device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kept {
    /// Environment id, worker client id and worker client secret (step 0).
    WorkerCredentials,
    /// The OIDC application's client secret (read in step 19).
    AppSecret,
    /// The test user's password (set in step 11, sent in step 16).
    Password,
    /// The token response of step 20, with the nonce its ID token is checked against.
    Tokens,
}

impl Kept {
    pub const ALL: [Kept; 4] = [Kept::WorkerCredentials, Kept::AppSecret, Kept::Password, Kept::Tokens];

    /// The localStorage key.
    pub const fn key(self) -> &'static str {
        match self {
            Kept::WorkerCredentials => "pingone-workbench.remember.worker.v1",
            Kept::AppSecret => "pingone-workbench.remember.app-secret.v1",
            Kept::Password => "pingone-workbench.remember.password.v1",
            Kept::Tokens => "pingone-workbench.remember.tokens.v1",
        }
    }

    /// The checkbox's `name`.
    pub fn input_name(self) -> &'static str {
        match self {
            Kept::WorkerCredentials => "remember_worker",
            Kept::AppSecret => "remember_app_secret",
            Kept::Password => "remember_password",
            Kept::Tokens => "remember_tokens",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Kept::WorkerCredentials => "Worker credentials (environment, client id, client secret)",
            Kept::AppSecret => "The application's client secret (step 19)",
            Kept::Password => "The user's password (steps 11 and 16)",
            Kept::Tokens => "The user's tokens (step 20)",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Which secrets the person chose to keep.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Choices([bool; 4]);

impl Choices {
    /// What this device holds now (a record's presence is the choice made earlier).
    pub fn from_storage() -> Choices {
        let mut c = Choices::default();
        for k in Kept::ALL {
            c.0[k.index()] = local_storage().and_then(|s| s.get_item(k.key()).ok().flatten()).is_some();
        }
        c
    }
    pub fn get(self, k: Kept) -> bool {
        self.0[k.index()]
    }
    pub fn set(&mut self, k: Kept, on: bool) {
        self.0[k.index()] = on;
    }
    pub fn any(self) -> bool {
        self.0.iter().any(|&b| b)
    }
}

#[derive(Serialize, Deserialize)]
pub(crate) struct WorkerRecord {
    pub environment_id: String,
    pub worker_client_id: String,
    pub worker_secret: WorkerSecret,
}

#[derive(Serialize, Deserialize)]
struct AppSecretRecord {
    environment_id: String,
    application_id: String,
    app_secret: AppSecret,
}

#[derive(Serialize, Deserialize)]
struct PasswordRecord {
    environment_id: String,
    username: String,
    password: Password,
}

#[derive(Serialize, Deserialize)]
struct TokensRecord {
    environment_id: String,
    application_id: String,
    tokens: TokenResponse,
    /// The sign-on's `nonce` and `state` (its PKCE verifier was spent by the exchange).
    authorize: Option<AuthorizeSecrets>,
}

fn local_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

fn read<T: DeserializeOwned>(k: Kept) -> Option<T> {
    local_storage()?.get_item(k.key()).ok().flatten().and_then(|j| serde_json::from_str(&j).ok())
}

fn write<T: Serialize>(k: Kept, record: &T) {
    if let (Some(storage), Ok(json)) = (local_storage(), serde_json::to_string(record)) {
        let _ = storage.set_item(k.key(), &json);
    }
}

/// Removes a kept secret from this device.
pub fn forget(k: Kept) {
    if let Some(storage) = local_storage() {
        let _ = storage.remove_item(k.key());
    }
}

/// The remembered worker credentials, if any.
pub(crate) fn worker() -> Option<WorkerRecord> {
    read(Kept::WorkerCredentials)
}

/// Writes the record of `k` from the run, when the run has that secret (an older record stays
/// until the run has a newer value). `provisioned` is the password step 11 set, which wins over
/// a different one typed afterwards to try a wrong password.
pub fn keep(k: Kept, s: &WorkflowState, provisioned: Option<&Password>) {
    let env = s.config.environment_id.clone();
    match k {
        Kept::WorkerCredentials => write(
            k,
            &WorkerRecord {
                environment_id: env,
                worker_client_id: s.config.worker_client_id.clone(),
                worker_secret: s.secrets.worker_secret.clone(),
            },
        ),
        Kept::AppSecret => {
            if let (Some(app), Some(secret)) = (&s.created.application_id, &s.secrets.app_secret) {
                write(k, &AppSecretRecord { environment_id: env, application_id: app.clone(), app_secret: secret.clone() });
            }
        }
        Kept::Password => {
            let password = provisioned.unwrap_or(&s.secrets.password);
            if !password.is_empty() {
                write(
                    k,
                    &PasswordRecord { environment_id: env, username: s.config.username.clone(), password: password.clone() },
                );
            }
        }
        Kept::Tokens => {
            if let (Some(app), Some(tokens)) = (&s.created.application_id, &s.secrets.tokens) {
                let authorize = s.secrets.authorize.clone();
                write(k, &TokensRecord { environment_id: env, application_id: app.clone(), tokens: tokens.clone(), authorize });
            }
        }
    }
}

/// What a reload put back.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Restored {
    pub worker: bool,
    pub app_secret: bool,
    pub password: bool,
    pub tokens: bool,
}

impl Restored {
    /// "the application secret, the user's password and the tokens", or `None`.
    pub fn describe(self) -> Option<String> {
        let names: Vec<&str> = [
            (self.worker, "the worker credentials"),
            (self.app_secret, "the application's client secret"),
            (self.password, "the user's password"),
            (self.tokens, "the tokens"),
        ]
        .into_iter()
        .filter_map(|(on, name)| on.then_some(name))
        .collect();
        match names.as_slice() {
            [] => None,
            [one] => Some(one.to_string()),
            [init @ .., last] => Some(format!("{} and {last}", init.join(", "))),
        }
    }
}

/// Puts the remembered secrets that belong to this run (same environment, worker, application,
/// user) back into it. Tokens only when the run had finished its sign-on (`signed_on`).
pub fn restore(s: &mut WorkflowState, signed_on: bool) -> Restored {
    let env = s.config.environment_id.clone();
    let app = s.created.application_id.clone();
    let mut restored = Restored::default();
    if let Some(r) = worker() {
        if r.environment_id == env && r.worker_client_id == s.config.worker_client_id {
            s.secrets.worker_secret = r.worker_secret;
            restored.worker = true;
        }
    }
    if let Some(r) = read::<AppSecretRecord>(Kept::AppSecret) {
        if r.environment_id == env && Some(&r.application_id) == app.as_ref() {
            s.secrets.app_secret = Some(r.app_secret);
            restored.app_secret = true;
        }
    }
    if let Some(r) = read::<PasswordRecord>(Kept::Password) {
        if r.environment_id == env && r.username == s.config.username && s.created.user_id.is_some() {
            s.secrets.password = r.password;
            restored.password = true;
        }
    }
    if signed_on {
        if let Some(r) = read::<TokensRecord>(Kept::Tokens) {
            if r.environment_id == env && Some(&r.application_id) == app.as_ref() {
                s.secrets.tokens = Some(r.tokens);
                s.secrets.authorize = r.authorize;
                restored.tokens = true;
            }
        }
    }
    restored
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn restored_secrets_are_listed_in_plain_words() {
        assert_eq!(Restored::default().describe(), None);
        let one = Restored { password: true, ..Restored::default() };
        assert_eq!(one.describe().as_deref(), Some("the user's password"));
        let all = Restored { worker: true, app_secret: true, password: true, tokens: true };
        assert_eq!(
            all.describe().as_deref(),
            Some("the worker credentials, the application's client secret, the user's password and the tokens")
        );
    }

    #[test]
    fn every_secret_has_its_own_key_and_checkbox() {
        let keys: std::collections::BTreeSet<_> = Kept::ALL.iter().map(|k| k.key()).collect();
        let names: std::collections::BTreeSet<_> = Kept::ALL.iter().map(|k| k.input_name()).collect();
        assert_eq!((keys.len(), names.len()), (4, 4));
    }
}

//! Secrets as types. Their `Debug` and `Display` print `[redacted]`, so a secret never reaches a
//! log line or an error message by accident; `expose()` is the one way to read the value.

use serde::{Deserialize, Serialize};

macro_rules! secret_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn new(value: impl Into<String>) -> Self {
                $name(value.into())
            }
            /// The secret value. Call only where it is sent to PingOne (or the proxy).
            pub fn expose(&self) -> &str {
                &self.0
            }
            pub fn is_empty(&self) -> bool {
                self.0.is_empty()
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, concat!(stringify!($name), "([redacted])"))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("[redacted]")
            }
        }
    };
}

secret_type!(
    /// The worker application's client secret (call 0).
    WorkerSecret
);
secret_type!(
    /// The OIDC application's client secret (read in call 19, used in call 20).
    AppSecret
);
secret_type!(
    /// The test user's password (calls 11 and 16).
    Password
);
secret_type!(
    /// A one-time passcode (call 17).
    Otp
);
secret_type!(
    /// The `keyUri` of an authenticator-app (TOTP) device: it carries the shared secret.
    TotpKeyUri
);
secret_type!(
    /// An OAuth access token (the worker token of call 0, or the user's from call 20).
    AccessToken
);
secret_type!(
    /// An OpenID Connect ID token.
    IdToken
);
secret_type!(
    /// A refresh token.
    RefreshToken
);
secret_type!(
    /// The PKCE code verifier (RFC 7636).
    PkceVerifier
);
secret_type!(
    /// An authorization code (call 18 -> call 20).
    AuthorizationCode
);

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;
    use super::*;

    #[test]
    fn debug_and_display_are_redacted() {
        let s = WorkerSecret::new("hunter2");
        assert_eq!(format!("{s:?}"), "WorkerSecret([redacted])");
        assert_eq!(format!("{s}"), "[redacted]");
        assert_eq!(s.expose(), "hunter2");
        assert_eq!(serde_json::to_string(&s).unwrap(), "\"hunter2\"");
    }
}

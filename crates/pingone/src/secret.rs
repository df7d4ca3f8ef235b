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

/// The character classes of a generated password: PingOne's default policy wants one of each.
/// Look-alike characters (I, l, O, 0, 1) are left out, for people who read the password off the
/// screen; the specials are ones PingOne's default policy counts and shells leave alone in quotes.
const PASSWORD_CLASSES: [&str; 4] = ["ABCDEFGHJKLMNPQRSTUVWXYZ", "abcdefghijkmnopqrstuvwxyz", "23456789", "!#%*+-=?@^_"];

/// A password for the workflow's test user from caller-supplied random bytes (WebCrypto in the
/// browser), one character per byte, at least 12: an upper-case letter, a lower-case letter, a
/// digit and a special character in the first four places, and no character used twice, so it
/// passes PingOne's default password policy (length 8+, one of each class, at most 2 repeated
/// characters in a row, 5+ different characters) whatever the bytes.
pub fn password_from_random(bytes: &[u8]) -> Password {
    let all: Vec<char> = PASSWORD_CLASSES.concat().chars().collect();
    let mut out: Vec<char> = Vec::with_capacity(bytes.len().max(12));
    let pick = |set: &[char], byte: u8, out: &mut Vec<char>| {
        // From the byte's position onwards, the first character not used yet (a set always has
        // more characters than the password is long, see the assertion below).
        let start = byte as usize % set.len();
        if let Some(c) = (0..set.len()).map(|k| set[(start + k) % set.len()]).find(|c| !out.contains(c)) {
            out.push(c);
        }
    };
    let byte_at = |i: usize| bytes.get(i).copied().unwrap_or((i as u8).wrapping_mul(73));
    for (i, class) in PASSWORD_CLASSES.iter().enumerate() {
        let set: Vec<char> = class.chars().collect();
        pick(&set, byte_at(i), &mut out);
    }
    for i in 4..bytes.len().clamp(12, 48) {
        pick(&all, byte_at(i), &mut out);
    }
    Password::new(out.into_iter().collect::<String>())
}

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

    #[test]
    fn generated_passwords_pass_pingones_default_policy_whatever_the_bytes() {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for round in 0..20_000 {
            let len = 12 + round % 10;
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    (x >> 24) as u8
                })
                .collect();
            let p = password_from_random(&bytes);
            let chars: Vec<char> = p.expose().chars().collect();
            assert_eq!(chars.len(), len, "{bytes:?}");
            for class in PASSWORD_CLASSES {
                assert!(chars.iter().any(|c| class.contains(*c)), "{bytes:?}: no character of {class}");
            }
            let mut unique = chars.clone();
            unique.sort_unstable();
            unique.dedup();
            assert_eq!(unique.len(), chars.len(), "{bytes:?}: a character repeats");
        }
        // Degenerate input still gives a valid password.
        for bytes in [vec![], vec![0u8; 40], vec![255u8; 12]] {
            let p = password_from_random(&bytes);
            assert!(p.expose().chars().count() >= 12, "{bytes:?}");
        }
    }
}

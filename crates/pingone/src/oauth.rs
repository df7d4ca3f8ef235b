//! OAuth 2.0 / OpenID Connect pieces: token responses, PKCE (RFC 7636), state and nonce, and a
//! JWT decoder for display. Hashing and randomness come from the caller (WebCrypto in the
//! browser), so this module stays pure.

use crate::secret::{AccessToken, IdToken, PkceVerifier, RefreshToken};
use base64::engine::general_purpose::{URL_SAFE_NO_PAD, STANDARD};
use base64::Engine;
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// The response of `/as/token` (calls 0 and 20).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenResponse {
    pub access_token: AccessToken,
    pub token_type: String,
    pub expires_in: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token: Option<IdToken>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<RefreshToken>,
}

/// `Authorization: Basic base64(client_id:client_secret)` with the raw id and secret, as
/// PingOne's samples and Postman collection send it (docs/pingone.md, call 0). RFC 6749 §2.3.1
/// would form-encode both first, which turns the `~` of a PingOne secret into `%7E`: PingOne
/// documents the raw form, so that is what this sends.
pub fn basic_auth(client_id: &str, client_secret: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{client_id}:{client_secret}")))
}

/// base64url without padding.
pub fn base64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PkceError {
    #[error("PKCE needs at least 32 random bytes, got {0}")]
    TooFewBytes(usize),
    #[error("a code verifier is 43-128 characters of [A-Za-z0-9-._~], got {0} characters")]
    BadVerifier(usize),
}

/// A code verifier from random bytes (>= 32 bytes gives >= 43 characters).
pub fn pkce_verifier(random: &[u8]) -> Result<PkceVerifier, PkceError> {
    if random.len() < 32 {
        return Err(PkceError::TooFewBytes(random.len()));
    }
    let v = base64url(&random[..random.len().min(96)]);
    validate_verifier(&v)?;
    Ok(PkceVerifier::new(v))
}

/// Checks RFC 7636 §4.1: 43-128 unreserved characters.
pub fn validate_verifier(v: &str) -> Result<(), PkceError> {
    let ok_len = (43..=128).contains(&v.len());
    let ok_chars = v.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
    if ok_len && ok_chars {
        Ok(())
    } else {
        Err(PkceError::BadVerifier(v.len()))
    }
}

/// The S256 challenge from `SHA-256(verifier)` computed by the caller.
pub fn pkce_challenge_from_digest(sha256_of_verifier: &[u8]) -> String {
    base64url(sha256_of_verifier)
}

/// An opaque `state` or `nonce` value from random bytes.
pub fn random_token(random: &[u8]) -> String {
    base64url(random)
}

/// The parameters of one authorize request that must come back or be proven later.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizeSecrets {
    pub state: String,
    pub nonce: String,
    pub code_verifier: PkceVerifier,
    pub code_challenge: String,
}

/// A decoded (not verified) JWT, for display.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodedJwt {
    pub header: serde_json::Value,
    pub claims: serde_json::Value,
    pub signature_len: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum JwtDecodeError {
    #[error("a JWT has three dot-separated parts, this has {0}")]
    Parts(usize),
    #[error("the {0} is not base64url")]
    Base64(&'static str),
    #[error("the {0} is not a JSON object")]
    Json(&'static str),
}

/// Splits and decodes a compact JWS. Does NOT verify anything.
pub fn decode_jwt(token: &str) -> Result<DecodedJwt, JwtDecodeError> {
    let parts: Vec<&str> = token.split('.').collect();
    if parts.len() != 3 {
        return Err(JwtDecodeError::Parts(parts.len()));
    }
    let part = |i: usize, name: &'static str| -> Result<serde_json::Value, JwtDecodeError> {
        let bytes = URL_SAFE_NO_PAD.decode(parts[i]).map_err(|_| JwtDecodeError::Base64(name))?;
        let v: serde_json::Value = serde_json::from_slice(&bytes).map_err(|_| JwtDecodeError::Json(name))?;
        if v.is_object() {
            Ok(v)
        } else {
            Err(JwtDecodeError::Json(name))
        }
    };
    let header = part(0, "header")?;
    let claims = part(1, "payload")?;
    let signature = URL_SAFE_NO_PAD.decode(parts[2]).map_err(|_| JwtDecodeError::Base64("signature"))?;
    Ok(DecodedJwt { header, claims, signature_len: signature.len() })
}

/// Which requested scope a standard claim comes from (OpenID Connect Core §5.4); `None` for
/// protocol claims (`iss`, `sub`, `aud`, `exp`, ...) and PingOne's own (`env`, `p1.region`).
pub fn scope_of_claim(claim: &str) -> Option<&'static str> {
    Some(match claim {
        "name" | "family_name" | "given_name" | "middle_name" | "nickname" | "preferred_username"
        | "profile" | "picture" | "website" | "gender" | "birthdate" | "zoneinfo" | "locale"
        | "updated_at" => "profile",
        "email" | "email_verified" => "email",
        "address" => "address",
        "phone_number" | "phone_number_verified" => "phone",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;
    use super::*;
    use sha2::{Digest, Sha256};

    #[test]
    fn rfc7636_appendix_b_vector() {
        let random: [u8; 32] = [
            116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96, 125, 216, 173, 187, 186, 22, 212, 37, 77,
            105, 214, 191, 240, 91, 88, 5, 88, 83, 132, 141, 121,
        ];
        let v = pkce_verifier(&random).unwrap();
        assert_eq!(v.expose(), "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
        let challenge = pkce_challenge_from_digest(&Sha256::digest(v.expose().as_bytes()));
        assert_eq!(challenge, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    }

    #[test]
    fn verifier_rules() {
        assert_eq!(pkce_verifier(&[0u8; 31]), Err(PkceError::TooFewBytes(31)));
        assert!(validate_verifier(&"a".repeat(42)).is_err());
        assert!(validate_verifier(&"a".repeat(129)).is_err());
        assert!(validate_verifier(&format!("{}+", "a".repeat(43))).is_err());
        assert!(validate_verifier(&"a~._-".repeat(9)).is_ok());
    }

    #[test]
    fn basic_auth_header() {
        assert_eq!(basic_auth("id", "secret"), "Basic aWQ6c2VjcmV0");
        // The raw secret, as PingOne's samples send it: `~` stays `~` (not `%7E`).
        assert_eq!(basic_auth("id", "a~b"), format!("Basic {}", STANDARD.encode("id:a~b")));
    }

    #[test]
    fn decodes_a_jwt_and_rejects_garbage() {
        let h = base64url(br#"{"alg":"RS256","kid":"k1"}"#);
        let c = base64url(br#"{"sub":"u","email":"a@b.c"}"#);
        let jwt = decode_jwt(&format!("{h}.{c}.{}", base64url(&[1, 2, 3]))).unwrap();
        assert_eq!(jwt.header["kid"], "k1");
        assert_eq!(jwt.claims["email"], "a@b.c");
        assert_eq!(jwt.signature_len, 3);
        assert_eq!(decode_jwt("a.b"), Err(JwtDecodeError::Parts(2)));
        assert_eq!(decode_jwt("!!.b.c"), Err(JwtDecodeError::Base64("header")));
        assert_eq!(decode_jwt(&format!("{}.{c}.", base64url(b"[1]"))), Err(JwtDecodeError::Json("header")));
    }

    #[test]
    fn claims_map_to_scopes() {
        assert_eq!(scope_of_claim("given_name"), Some("profile"));
        assert_eq!(scope_of_claim("email"), Some("email"));
        assert_eq!(scope_of_claim("sub"), None);
    }
}

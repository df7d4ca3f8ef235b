//! RS256 JSON Web Tokens signed with the sandbox's fixed, public test key.
//!
//! Generating an RSA key at start-up is far too slow in wasm (and needs an OS RNG), so one
//! 2048-bit key is embedded (`sandbox_signing_key.pem`). It is a published test key: it protects
//! nothing. The `kid` is its RFC 7638 JWK thumbprint.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use rsa::pkcs1v15::SigningKey;
use rsa::pkcs8::DecodePrivateKey;
use rsa::signature::{SignatureEncoding, Signer};
use rsa::traits::PublicKeyParts;
use rsa::RsaPrivateKey;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

const KEY_PEM: &str = include_str!("sandbox_signing_key.pem");

pub struct TokenSigner {
    key: SigningKey<Sha256>,
    kid: String,
    n: String,
    e: String,
}

impl TokenSigner {
    /// Loads the embedded key (its comment lines are skipped).
    pub fn load() -> Result<TokenSigner, String> {
        let pem: String = KEY_PEM.lines().filter(|l| !l.starts_with('#')).map(|l| format!("{l}\n")).collect();
        let private = RsaPrivateKey::from_pkcs8_pem(&pem).map_err(|e| format!("embedded signing key: {e}"))?;
        let n = URL_SAFE_NO_PAD.encode(private.n().to_bytes_be());
        let e = URL_SAFE_NO_PAD.encode(private.e().to_bytes_be());
        // RFC 7638: SHA-256 over the required members in lexicographic order, no whitespace.
        let canonical = format!(r#"{{"e":"{e}","kty":"RSA","n":"{n}"}}"#);
        let kid = URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()));
        Ok(TokenSigner { key: SigningKey::<Sha256>::new(private), kid, n, e })
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The public key as a JWK (for `/as/jwks`).
    pub fn jwk(&self) -> Value {
        json!({ "kty": "RSA", "kid": self.kid, "use": "sig", "alg": "RS256", "n": self.n, "e": self.e })
    }

    /// A compact JWS: `b64url(header).b64url(claims).b64url(RS256 signature)`.
    pub fn sign(&self, claims: &Value) -> String {
        let header = json!({ "alg": "RS256", "typ": "JWT", "kid": self.kid });
        let input = format!("{}.{}", b64(header.to_string().as_bytes()), b64(claims.to_string().as_bytes()));
        let signature = self.key.sign(input.as_bytes());
        format!("{input}.{}", b64(&signature.to_bytes()))
    }
}

pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// OIDC `at_hash`: base64url of the left half of SHA-256(access token).
pub fn at_hash(access_token: &str) -> String {
    let digest = Sha256::digest(access_token.as_bytes());
    b64(&digest[..16])
}

#[cfg(test)]
mod tests {
    use super::*;
    use rsa::pkcs1v15::{Signature, VerifyingKey};
    use rsa::signature::Verifier;
    use rsa::{BigUint, RsaPublicKey};

    #[test]
    fn signs_verifiable_tokens_with_a_stable_kid() {
        let s = TokenSigner::load().unwrap();
        assert_eq!(s.kid(), TokenSigner::load().unwrap().kid());
        let jwt = s.sign(&json!({"sub": "u"}));
        let parts: Vec<&str> = jwt.split('.').collect();
        assert_eq!(parts.len(), 3);
        let jwk = s.jwk();
        let n = URL_SAFE_NO_PAD.decode(jwk["n"].as_str().unwrap()).unwrap();
        let e = URL_SAFE_NO_PAD.decode(jwk["e"].as_str().unwrap()).unwrap();
        assert_eq!(n.len(), 256, "2048-bit key");
        let public = RsaPublicKey::new(BigUint::from_bytes_be(&n), BigUint::from_bytes_be(&e)).unwrap();
        let sig = Signature::try_from(URL_SAFE_NO_PAD.decode(parts[2]).unwrap().as_slice()).unwrap();
        VerifyingKey::<Sha256>::new(public).verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &sig).unwrap();
        let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
        assert_eq!(header["kid"], s.kid());
        assert_eq!(header["alg"], "RS256");
    }

    #[test]
    fn at_hash_is_half_a_sha256() {
        assert_eq!(at_hash("x").len(), 22);
    }
}

//! RFC 6238 TOTP (HMAC-SHA1, 30-second steps, 6 digits: what authenticator apps use) and the
//! RFC 4648 base32 of the shared secret.

use sha1::{Digest, Sha1};

const STEP_MS: u64 = 30_000;
const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

pub fn base32_encode(bytes: &[u8]) -> String {
    let mut out = String::new();
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(BASE32[((buffer >> bits) & 31) as usize] as char);
        }
        buffer &= (1 << bits) - 1;
    }
    if bits > 0 {
        out.push(BASE32[((buffer << (5 - bits)) & 31) as usize] as char);
    }
    out
}

#[cfg(test)]
pub fn base32_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let (mut buffer, mut bits) = (0u32, 0u32);
    for c in text.bytes().filter(|c| *c != b'=' && !c.is_ascii_whitespace()) {
        let v = BASE32.iter().position(|x| *x == c.to_ascii_uppercase())? as u32;
        buffer = ((buffer << 5) | v) & 0xffff;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
        }
    }
    Some(out)
}

fn hmac_sha1(key: &[u8], message: &[u8]) -> [u8; 20] {
    const BLOCK: usize = 64;
    let mut k = [0u8; BLOCK];
    if key.len() > BLOCK {
        k[..20].copy_from_slice(&Sha1::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha1::new();
    inner.update(k.map(|b| b ^ 0x36));
    inner.update(message);
    let mut outer = Sha1::new();
    outer.update(k.map(|b| b ^ 0x5c));
    outer.update(inner.finalize());
    outer.finalize().into()
}

/// RFC 4226 HOTP value, 6 digits.
pub fn hotp(key: &[u8], counter: u64) -> String {
    let mac = hmac_sha1(key, &counter.to_be_bytes());
    let offset = (mac[19] & 0x0f) as usize;
    let bin = (u32::from(mac[offset] & 0x7f) << 24)
        | (u32::from(mac[offset + 1]) << 16)
        | (u32::from(mac[offset + 2]) << 8)
        | u32::from(mac[offset + 3]);
    format!("{:06}", bin % 1_000_000)
}

/// The TOTP counter (time step) of `now_ms`.
pub fn counter_at(now_ms: u64) -> u64 {
    now_ms / STEP_MS
}

/// Checks `code` against the steps `now - window ..= now + window`, and returns the matching
/// counter (the caller rejects a counter already used, so a code cannot be replayed).
pub fn verify(key: &[u8], now_ms: u64, code: &str, window: u64) -> Option<u64> {
    let now = counter_at(now_ms);
    (now.saturating_sub(window)..=now.saturating_add(window)).find(|c| constant_time_eq(hotp(key, *c).as_bytes(), code.as_bytes()))
}

/// Comparison whose time does not depend on where the inputs differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6238_sha1_vectors() {
        // RFC 6238 appendix B (SHA-1 seed "12345678901234567890"), last 6 digits.
        let key = b"12345678901234567890";
        assert_eq!(hotp(key, counter_at(59_000)), "287082");
        assert_eq!(hotp(key, counter_at(1_111_111_109_000)), "081804");
        assert_eq!(hotp(key, counter_at(1_234_567_890_000)), "005924");
        assert_eq!(hotp(key, counter_at(20_000_000_000_000)), "353130");
        assert_eq!(verify(key, 59_000, "287082", 1), Some(1));
        assert_eq!(verify(key, 89_000, "287082", 1), Some(1), "previous step accepted");
        assert_eq!(verify(key, 150_000, "287082", 1), None);
    }

    #[test]
    fn base32_round_trips() {
        assert_eq!(base32_encode(b"foobar"), "MZXW6YTBOI");
        assert_eq!(base32_decode("MZXW6YTBOI").unwrap(), b"foobar");
        assert_eq!(base32_decode("mzxw6ytboi======").unwrap(), b"foobar");
        assert!(base32_decode("1!").is_none());
        let bytes: Vec<u8> = (0..20).collect();
        assert_eq!(base32_decode(&base32_encode(&bytes)).unwrap(), bytes);
    }
}

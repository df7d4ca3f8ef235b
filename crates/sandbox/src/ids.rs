//! Deterministic randomness: every id, secret, OTP and code comes from one ChaCha20 stream
//! seeded by `SandboxConfig::seed`, so a given seed and call sequence always yields the same
//! values (no `getrandom`: the engine runs in the browser).

use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};

pub struct Ids {
    rng: ChaCha20Rng,
}

/// Characters of generated secrets: URL-safe, so they survive form encoding untouched.
const SECRET_CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";

impl Ids {
    pub fn new(seed: u64) -> Ids {
        Ids { rng: ChaCha20Rng::seed_from_u64(seed) }
    }

    /// Another, independent stream of the same seed (e.g. the fault dice).
    pub fn with_stream(seed: u64, stream: u64) -> Ids {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        rng.set_stream(stream);
        Ids { rng }
    }

    /// A uniform number in `[0, 1)` (53 random bits).
    pub fn unit(&mut self) -> f64 {
        (self.rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn bytes<const N: usize>(&mut self) -> [u8; N] {
        let mut b = [0u8; N];
        self.rng.fill_bytes(&mut b);
        b
    }

    /// A random (version 4) UUID, lower-case, as PingOne ids are.
    pub fn uuid(&mut self) -> String {
        let mut b: [u8; 16] = self.bytes();
        b[6] = (b[6] & 0x0f) | 0x40;
        b[8] = (b[8] & 0x3f) | 0x80;
        let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
        format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
    }

    /// An unbiased index below `n` (`n` > 0).
    pub fn below(&mut self, n: u32) -> u32 {
        let n = n.max(1);
        let zone = u32::MAX - (u32::MAX % n);
        loop {
            let x = self.rng.next_u32();
            if x < zone {
                return x % n;
            }
        }
    }

    /// A client secret: `len` URL-safe characters.
    pub fn secret(&mut self, len: usize) -> String {
        (0..len).map(|_| SECRET_CHARS[self.below(SECRET_CHARS.len() as u32) as usize] as char).collect()
    }

    /// A numeric one-time passcode of `digits` digits (leading zeros kept).
    pub fn otp(&mut self, digits: usize) -> String {
        (0..digits).map(|_| char::from(b'0' + self.below(10) as u8)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_well_formed() {
        let (mut a, mut b) = (Ids::new(7), Ids::new(7));
        let u = a.uuid();
        assert_eq!(u, b.uuid());
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
        assert!(matches!(&u[19..20], "8" | "9" | "a" | "b"));
        assert_ne!(Ids::new(8).uuid(), u);
        let s = a.secret(64);
        assert_eq!(s.len(), 64);
        assert!(s.bytes().all(|c| SECRET_CHARS.contains(&c)));
        let o = a.otp(6);
        assert_eq!(o.len(), 6);
        assert!(o.bytes().all(|c| c.is_ascii_digit()));
    }

    #[test]
    fn streams_are_independent_and_units_uniform() {
        let (mut main, mut dice) = (Ids::new(7), Ids::with_stream(7, 1));
        assert_ne!(main.uuid(), dice.uuid());
        let mut dice = Ids::with_stream(7, 1);
        let rolls: Vec<f64> = (0..10_000).map(|_| dice.unit()).collect();
        assert!(rolls.iter().all(|r| (0.0..1.0).contains(r)));
        let below_half = rolls.iter().filter(|r| **r < 0.5).count();
        assert!((4_700..5_300).contains(&below_half), "{below_half}");
        let mut again = Ids::with_stream(7, 1);
        assert_eq!(again.unit(), rolls[0]);
    }
}

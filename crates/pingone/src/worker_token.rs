//! The worker token's life: when it expires, when to get a new one, and the rule "a 401 from
//! the management API gets a new token once and sends the call once more".

use crate::oauth::TokenResponse;
use serde::{Deserialize, Serialize};

/// Get a new worker token this long before the current one expires.
pub const DEFAULT_REFRESH_MARGIN_MS: u64 = 60_000;

/// When a worker token was obtained and when it expires (epoch ms).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkerTokenLifetime {
    pub obtained_at_ms: u64,
    pub expires_at_ms: u64,
}

impl WorkerTokenLifetime {
    /// From the token response's `expires_in` (seconds) and when the response arrived.
    pub fn new(obtained_at_ms: u64, expires_in_s: u64) -> Self {
        WorkerTokenLifetime { obtained_at_ms, expires_at_ms: obtained_at_ms.saturating_add(expires_in_s.saturating_mul(1000)) }
    }

    /// From a token response received at `obtained_at_ms`.
    pub fn of(response: &TokenResponse, obtained_at_ms: u64) -> Self {
        Self::new(obtained_at_ms, response.expires_in)
    }

    /// Milliseconds left (0 once expired).
    pub fn expires_in_ms(&self, now_ms: u64) -> u64 {
        self.expires_at_ms.saturating_sub(now_ms)
    }

    /// True from the expiry instant on: the token must not be sent any more.
    pub fn is_expired(&self, now_ms: u64) -> bool {
        now_ms >= self.expires_at_ms
    }

    /// True when less than `margin_ms` is left: get a new token before the next call.
    pub fn needs_refresh(&self, now_ms: u64, margin_ms: u64) -> bool {
        now_ms.saturating_add(margin_ms) >= self.expires_at_ms
    }
}

/// What to do with a management API answer, as far as the worker token is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum OnUnauthorized {
    /// Not a 401: nothing to do with the token.
    NotApplicable,
    /// First 401 for this call: get a new worker token (step 0), then send the call once more.
    RefreshAndRetry,
    /// A 401 again with a fresh token: the worker's credentials or roles are the problem.
    GiveUp,
}

/// The rule: a 401 refreshes the token once and retries the call once; `refreshed` says whether
/// this call was already sent again with a fresh token.
pub fn on_management_status(status: u16, refreshed: bool) -> OnUnauthorized {
    match (status, refreshed) {
        (401, false) => OnUnauthorized::RefreshAndRetry,
        (401, true) => OnUnauthorized::GiveUp,
        _ => OnUnauthorized::NotApplicable,
    }
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;
    use super::*;

    #[test]
    fn lifetime_counts_down_and_asks_for_a_refresh_in_time() {
        let t = WorkerTokenLifetime::new(1_000_000, 3600);
        assert_eq!(t.expires_at_ms, 1_000_000 + 3_600_000);
        assert_eq!(t.expires_in_ms(1_000_000), 3_600_000);
        assert!(!t.needs_refresh(1_000_000, DEFAULT_REFRESH_MARGIN_MS));
        assert!(!t.needs_refresh(t.expires_at_ms - 60_001, 60_000));
        assert!(t.needs_refresh(t.expires_at_ms - 60_000, 60_000));
        assert!(!t.is_expired(t.expires_at_ms - 1));
        assert!(t.is_expired(t.expires_at_ms));
        assert_eq!(t.expires_in_ms(t.expires_at_ms + 5), 0);
        assert_eq!(WorkerTokenLifetime::new(u64::MAX - 1, u64::MAX).expires_at_ms, u64::MAX);
        let r: TokenResponse = serde_json::from_str(r#"{"access_token":"t","token_type":"Bearer","expires_in":60}"#).unwrap();
        assert_eq!(WorkerTokenLifetime::of(&r, 5).expires_at_ms, 60_005);
    }

    #[test]
    fn a_401_refreshes_once_and_retries_once() {
        assert_eq!(on_management_status(401, false), OnUnauthorized::RefreshAndRetry);
        assert_eq!(on_management_status(401, true), OnUnauthorized::GiveUp);
        for status in [200, 201, 400, 403, 404, 429, 500] {
            assert_eq!(on_management_status(status, false), OnUnauthorized::NotApplicable);
        }
    }
}

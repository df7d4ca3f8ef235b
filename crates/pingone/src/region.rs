//! PingOne regions and their hosts (docs/pingone.md, "Hosts and base paths").

use serde::{Deserialize, Serialize};

/// A PingOne region: the top-level domain of its API and auth hosts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Region {
    /// North America, `pingone.com` (the default).
    Na,
    /// Europe, `pingone.eu`.
    Eu,
    /// Canada, `pingone.ca`.
    Ca,
    /// Asia-Pacific, `pingone.asia`.
    Ap,
    /// Australia, `pingone.com.au`.
    Au,
    /// Singapore, `pingone.sg` (newer; listed by Ping's Go SDK and client, not yet in the spec's servers).
    Sg,
}

impl Region {
    pub const ALL: [Region; 6] = [Region::Na, Region::Eu, Region::Ca, Region::Ap, Region::Au, Region::Sg];

    /// The top-level domain suffix of the region's hosts.
    pub fn tld(self) -> &'static str {
        match self {
            Region::Na => "com",
            Region::Eu => "eu",
            Region::Ca => "ca",
            Region::Ap => "asia",
            Region::Au => "com.au",
            Region::Sg => "sg",
        }
    }

    /// The short lower-case code used in proxy routes (`/na/api/...`).
    pub fn code(self) -> &'static str {
        match self {
            Region::Na => "na",
            Region::Eu => "eu",
            Region::Ca => "ca",
            Region::Ap => "ap",
            Region::Au => "au",
            Region::Sg => "sg",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Region::Na => "North America",
            Region::Eu => "Europe",
            Region::Ca => "Canada",
            Region::Ap => "Asia-Pacific",
            Region::Au => "Australia",
            Region::Sg => "Singapore",
        }
    }

    pub fn from_code(code: &str) -> Option<Region> {
        Region::ALL.into_iter().find(|r| r.code().eq_ignore_ascii_case(code))
    }

    /// `https://api.pingone.{tld}/v1`
    pub fn api_base(self) -> String {
        format!("https://api.pingone.{}/v1", self.tld())
    }

    /// `https://auth.pingone.{tld}` (the environment id follows as the first path segment).
    pub fn auth_root(self) -> String {
        format!("https://auth.pingone.{}", self.tld())
    }

    /// `https://auth.pingone.{tld}/{envId}`
    pub fn auth_base(self, env_id: &str) -> String {
        format!("{}/{}", self.auth_root(), env_id)
    }

    /// The ID token issuer of an environment: `https://auth.pingone.{tld}/{envId}/as`.
    pub fn issuer(self, env_id: &str) -> String {
        format!("{}/as", self.auth_base(env_id))
    }
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;
    use super::*;

    #[test]
    fn hosts_per_region() {
        assert_eq!(Region::Na.api_base(), "https://api.pingone.com/v1");
        assert_eq!(Region::Eu.auth_base("e"), "https://auth.pingone.eu/e");
        assert_eq!(Region::Eu.issuer("e"), "https://auth.pingone.eu/e/as");
        assert_eq!(Region::Au.api_base(), "https://api.pingone.com.au/v1");
        assert_eq!(Region::Ap.auth_root(), "https://auth.pingone.asia");
        assert_eq!(Region::Ca.tld(), "ca");
        assert_eq!(Region::Sg.tld(), "sg");
        assert_eq!(Region::from_code("EU"), Some(Region::Eu));
        assert_eq!(Region::from_code("xx"), None);
    }
}

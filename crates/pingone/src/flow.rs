//! The flow API (`{auth}/flows/{flowId}`): statuses, the flow object and its links (docs/pingone.md, calls 14-18).

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::BTreeMap;

macro_rules! flow_statuses {
    ($($variant:ident => $wire:literal),+ $(,)?) => {
        /// Every status the flow API documents, plus `Unknown` for anything newer.
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum FlowStatus {
            $($variant,)+
            /// A status this client does not know; kept verbatim.
            Unknown(String),
        }

        impl FlowStatus {
            /// Every documented status, in the order of PingOne's flow docs.
            pub const DOCUMENTED: &'static [FlowStatus] = &[$(FlowStatus::$variant,)+];

            pub fn as_str(&self) -> &str {
                match self {
                    $(FlowStatus::$variant => $wire,)+
                    FlowStatus::Unknown(s) => s,
                }
            }

            pub fn parse(s: &str) -> FlowStatus {
                match s {
                    $($wire => FlowStatus::$variant,)+
                    other => FlowStatus::Unknown(other.to_string()),
                }
            }
        }
    };
}

flow_statuses! {
    UsernamePasswordRequired => "USERNAME_PASSWORD_REQUIRED",
    SignOnRequired => "SIGN_ON_REQUIRED",
    PasswordRequired => "PASSWORD_REQUIRED",
    PasswordExpired => "PASSWORD_EXPIRED",
    MustChangePassword => "MUST_CHANGE_PASSWORD",
    RecoveryCodeRequired => "RECOVERY_CODE_REQUIRED",
    VerificationCodeRequired => "VERIFICATION_CODE_REQUIRED",
    DeviceSelectionRequired => "DEVICE_SELECTION_REQUIRED",
    OtpRequired => "OTP_REQUIRED",
    PushConfirmationRequired => "PUSH_CONFIRMATION_REQUIRED",
    PushConfirmationTimedOut => "PUSH_CONFIRMATION_TIMED_OUT",
    AccountLinkingRequired => "ACCOUNT_LINKING_REQUIRED",
    AccountConfirmationRequired => "ACCOUNT_CONFIRMATION_REQUIRED",
    ExternalAuthenticationRequired => "EXTERNAL_AUTHENTICATION_REQUIRED",
    ProfileDataRequired => "PROFILE_DATA_REQUIRED",
    AssertionRequired => "ASSERTION_REQUIRED",
    AgreementConsentRequired => "AGREEMENT_CONSENT_REQUIRED",
    DagUserCodeRequired => "DAG_USER_CODE_REQUIRED",
    DagConsentRequired => "DAG_CONSENT_REQUIRED",
    Completed => "COMPLETED",
    Failed => "FAILED",
}

impl FlowStatus {
    /// True for `COMPLETED` and `FAILED`.
    pub fn is_terminal(&self) -> bool {
        matches!(self, FlowStatus::Completed | FlowStatus::Failed)
    }

    /// True for the statuses this workflow's steps handle (14-18).
    pub fn is_covered_by_workflow(&self) -> bool {
        matches!(
            self,
            FlowStatus::UsernamePasswordRequired
                | FlowStatus::DeviceSelectionRequired
                | FlowStatus::OtpRequired
                | FlowStatus::Completed
        )
    }
}

impl std::fmt::Display for FlowStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for FlowStatus {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for FlowStatus {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Ok(FlowStatus::parse(&s))
    }
}

/// A HAL link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    pub href: String,
}

/// `{"id": "..."}` references used all over PingOne.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdRef {
    pub id: String,
}

/// The flow object returned by authorize (pi.flow), `GET /flows/{id}` and every flow action.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Flow {
    pub id: String,
    pub status: FlowStatus,
    #[serde(default, rename = "resumeUrl", skip_serializing_if = "Option::is_none")]
    pub resume_url: Option<String>,
    #[serde(default, rename = "_links")]
    pub links: BTreeMap<String, Link>,
    #[serde(default, rename = "_embedded", skip_serializing_if = "Option::is_none")]
    pub embedded: Option<FlowEmbedded>,
    #[serde(default, rename = "selectedDevice", skip_serializing_if = "Option::is_none")]
    pub selected_device: Option<IdRef>,
    /// Present on a completed pi.flow flow / the resume response.
    #[serde(default, rename = "authorizeResponse", skip_serializing_if = "Option::is_none")]
    pub authorize_response: Option<AuthorizeResponse>,
    /// `FAILED` flows carry an error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FlowEmbedded {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<FlowUser>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub devices: Vec<FlowDevice>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowUser {
    pub id: String,
    #[serde(default)]
    pub username: Option<String>,
}

/// A device offered by the flow (email and phone come masked).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowDevice {
    pub id: String,
    #[serde(rename = "type")]
    pub device_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nickname: Option<String>,
    /// `ACTIVE` for a device the flow offers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
}

impl FlowDevice {
    /// A short human label: "EMAIL jd****@example.com".
    pub fn label(&self) -> String {
        let target = self.nickname.as_deref().or(self.email.as_deref()).or(self.phone.as_deref());
        match target {
            Some(t) => format!("{} {}", self.device_type, t),
            None => self.device_type.clone(),
        }
    }
}

/// `authorizeResponse` of a pi.flow resume.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizeResponse {
    pub code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
}

impl Flow {
    /// The href of an allowed next action (`_links[action]`).
    pub fn action_href(&self, action: &str) -> Option<&str> {
        self.links.get(action).map(|l| l.href.as_str())
    }

    /// The actions `_links` allows now: every key but `self` and `signOnPage` (PingOne's hosted
    /// sign-on page for this flow, a page rather than an action).
    pub fn allowed_actions(&self) -> Vec<&str> {
        self.links.keys().map(String::as_str).filter(|k| !matches!(*k, "self" | "signOnPage")).collect()
    }

    pub fn devices(&self) -> &[FlowDevice] {
        self.embedded.as_ref().map(|e| e.devices.as_slice()).unwrap_or(&[])
    }
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;
    use super::*;

    #[test]
    fn status_round_trips_and_keeps_unknown() {
        for s in FlowStatus::DOCUMENTED {
            let json = serde_json::to_string(s).unwrap();
            assert_eq!(&serde_json::from_str::<FlowStatus>(&json).unwrap(), s);
        }
        assert_eq!(FlowStatus::DOCUMENTED.len(), 21);
        let u: FlowStatus = serde_json::from_str("\"BRAND_NEW\"").unwrap();
        assert_eq!(u, FlowStatus::Unknown("BRAND_NEW".into()));
        assert_eq!(u.as_str(), "BRAND_NEW");
    }

    #[test]
    fn parses_an_otp_required_flow() {
        let json = r#"{"id":"f1","status":"OTP_REQUIRED","resumeUrl":"https://auth.pingone.com/e/as/resume?flowId=f1",
          "selectedDevice":{"id":"d1"},
          "_embedded":{"user":{"id":"u1","username":"jdoe"},"devices":[{"id":"d1","type":"EMAIL","email":"jd****@example.com"}]},
          "_links":{"self":{"href":"https://auth.pingone.com/e/flows/f1"},"otp.check":{"href":"https://auth.pingone.com/e/flows/f1"},"device.select":{"href":"https://auth.pingone.com/e/flows/f1"}}}"#;
        let flow: Flow = serde_json::from_str(json).unwrap();
        assert_eq!(flow.status, FlowStatus::OtpRequired);
        assert_eq!(flow.action_href("otp.check"), Some("https://auth.pingone.com/e/flows/f1"));
        assert_eq!(flow.allowed_actions(), vec!["device.select", "otp.check"]);
        assert_eq!(flow.devices()[0].label(), "EMAIL jd****@example.com");
    }

    /// The shape of PingOne's documented flows: `signOnPage` link, `_embedded.application`,
    /// `session`, devices with `status` and `userRetries`, a phone masked as stars and the last
    /// digits. Fields this client does not model are ignored, never an error.
    #[test]
    fn parses_the_documented_flow_shape_with_fields_it_does_not_model() {
        let json = r#"{"id":"f1","status":"OTP_REQUIRED","environment":{"id":"e"},"session":{"id":"s1"},
          "resumeUrl":"https://auth.pingone.com/e/as/resume?flowId=f1","selectedDevice":{"id":"d1"},
          "_embedded":{"application":{"name":"App"},"user":{"id":"u1","username":"jdoe","name":{"given":"J"}},
            "devices":[{"id":"d1","type":"SMS","phone":"*******34","status":"ACTIVE","userRetries":0,"newField":[1]}]},
          "_links":{"self":{"href":"h"},"otp.check":{"href":"h"},"device.select":{"href":"h"},"signOnPage":{"href":"p"}},
          "somethingNew":{"x":1}}"#;
        let flow: Flow = serde_json::from_str(json).unwrap();
        assert_eq!(flow.allowed_actions(), vec!["device.select", "otp.check"], "signOnPage is a page, not an action");
        assert_eq!(flow.devices()[0].device_type, "SMS");
        assert_eq!(flow.devices()[0].status.as_deref(), Some("ACTIVE"));
        assert_eq!(flow.devices()[0].label(), "SMS *******34");
    }
}

//! Media types. PingOne selects some actions by the request's `Content-Type` (docs/pingone.md, "Requests and media types").

pub const JSON: &str = "application/json";
pub const FORM: &str = "application/x-www-form-urlencoded";

/// `PUT /users/{id}/password` (call 11).
pub const PASSWORD_SET: &str = "application/vnd.pingidentity.password.set+json";
/// `POST /users` with a password (import).
pub const USER_IMPORT: &str = "application/vnd.pingidentity.user.import+json";
/// `POST /users/{id}/devices/{id}` activation.
pub const DEVICE_ACTIVATE: &str = "application/vnd.pingidentity.device.activate+json";

/// Flow actions, `POST {auth}/flows/{flowId}`.
pub const USERNAME_PASSWORD_CHECK: &str = "application/vnd.pingidentity.usernamePassword.check+json";
pub const DEVICE_SELECT: &str = "application/vnd.pingidentity.device.select+json";
pub const OTP_CHECK: &str = "application/vnd.pingidentity.otp.check+json";
pub const SESSION_RESET: &str = "application/vnd.pingidentity.session.reset+json";
pub const PASSWORD_RESET: &str = "application/vnd.pingidentity.password.reset+json";
pub const PASSWORD_FORGOT: &str = "application/vnd.pingidentity.password.forgot+json";
pub const USER_LOOKUP: &str = "application/vnd.pingidentity.user.lookup+json";
pub const USER_REGISTER: &str = "application/vnd.pingidentity.user.register+json";

/// The flow action names as they appear as `_links` keys, with their media types.
pub const FLOW_ACTIONS: &[(&str, &str)] = &[
    ("usernamePassword.check", USERNAME_PASSWORD_CHECK),
    ("device.select", DEVICE_SELECT),
    ("otp.check", OTP_CHECK),
    ("session.reset", SESSION_RESET),
    ("password.reset", PASSWORD_RESET),
    ("password.forgot", PASSWORD_FORGOT),
    ("user.lookup", USER_LOOKUP),
    ("user.register", USER_REGISTER),
];

/// The media type of a flow action named by its `_links` key.
pub fn flow_action_media_type(action: &str) -> Option<&'static str> {
    FLOW_ACTIONS.iter().find(|(a, _)| *a == action).map(|(_, m)| *m)
}

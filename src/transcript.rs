//! The run's transcript: every call as it went over the wire (redacted when recorded), and the
//! JSON export of the whole run.

use pingone::http::{HttpRequest, HttpResponse};
use pingone::workflow::{Progress, WorkflowState, STEPS};
use serde::{Deserialize, Serialize};

/// One call: the redacted request and response, with timing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Exchange {
    /// 1-based position in the run.
    pub seq: u32,
    /// The documented step number (0-20).
    pub step: u8,
    /// A flow action name when the step sent one (`device.select`, `otp.check`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// Epoch ms when the request left.
    pub started_at_ms: f64,
    /// Round-trip time; `None` while in flight.
    #[serde(default)]
    pub duration_ms: Option<f64>,
    pub request: HttpRequest,
    #[serde(default)]
    pub response: Option<HttpResponse>,
    /// Why there was no response (network, CORS, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transport_error: Option<String>,
    /// Recorded while rebuilding the in-page sandbox after a reload.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub replayed: bool,
}

impl Exchange {
    /// `POST /env/as/token`-style summary.
    pub fn summary(&self) -> String {
        let path = crate::transport::url_path(&self.request.url);
        format!("{} {}", self.request.method, path)
    }
}

/// Step-level facts of a run that the export carries.
#[derive(Debug, Clone, Serialize)]
pub struct ExportStep {
    pub number: u8,
    pub title: &'static str,
    pub status: &'static str,
    pub duration_ms: Option<f64>,
    pub error: Option<String>,
}

/// The export document.
#[derive(Debug, Clone, Serialize)]
pub struct Export<'a> {
    pub tool: &'static str,
    pub format: u32,
    pub mode: &'static str,
    pub exported_at: String,
    pub note: &'static str,
    pub config: &'a pingone::workflow::WorkflowConfig,
    pub created: &'a pingone::workflow::Created,
    pub flow_status: Option<String>,
    pub steps: Vec<ExportStep>,
    pub exchanges: &'a [Exchange],
}

/// The whole run as pretty JSON, secrets masked (the exchanges are redacted when recorded and
/// `WorkflowState` never serialises its secrets).
pub fn export_json(
    mode: &'static str,
    state: &WorkflowState,
    progress: &Progress,
    runs: &[crate::state::StepRun],
    exchanges: &[Exchange],
) -> String {
    let steps = STEPS
        .iter()
        .map(|s| {
            let run = runs.get(s.number() as usize);
            ExportStep {
                number: s.number(),
                title: s.title,
                status: progress.status(s.id).label(),
                duration_ms: run.and_then(|r| r.duration_ms),
                error: run.and_then(|r| r.error.as_ref()).map(|e| e.one_line()),
            }
        })
        .collect();
    let export = Export {
        tool: "PingOne Sign-On Workbench",
        format: 1,
        mode,
        exported_at: String::from(js_sys::Date::new_0().to_iso_string()),
        note: "Secrets are replaced by shell variable names ($WORKER_TOKEN, $PASSWORD, ...); cookies by ••••••.",
        config: &state.config,
        created: &state.created,
        flow_status: state.flow.as_ref().map(|f| f.status.to_string()),
        steps,
        exchanges,
    };
    serde_json::to_string_pretty(&export).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
}

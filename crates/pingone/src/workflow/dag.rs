//! The step DAG: validation, critical path, and the run's progress (which steps are ready).

use super::{Step, StepId, STEPS};
use serde::{Deserialize, Serialize};
use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DagError {
    #[error("step {0:?} appears twice")]
    Duplicate(StepId),
    #[error("step {step:?} depends on {missing:?}, which is not in the workflow")]
    MissingDependency { step: StepId, missing: StepId },
    #[error("the dependencies form a cycle through {0:?}")]
    Cycle(Vec<StepId>),
}

/// Checks that ids are unique, every dependency exists, and there is no cycle.
/// Returns the steps in a topological order.
pub fn validate(steps: &[Step]) -> Result<Vec<StepId>, DagError> {
    let index = |id: StepId| steps.iter().position(|s| s.id == id);
    for (i, s) in steps.iter().enumerate() {
        if index(s.id) != Some(i) {
            return Err(DagError::Duplicate(s.id));
        }
        for &d in s.depends_on {
            if index(d).is_none() {
                return Err(DagError::MissingDependency { step: s.id, missing: d });
            }
        }
    }
    // Kahn's algorithm.
    let mut indegree: Vec<usize> = steps.iter().map(|s| s.depends_on.len()).collect();
    let mut queue: Vec<usize> = (0..steps.len()).filter(|&i| indegree[i] == 0).collect();
    let mut order = Vec::with_capacity(steps.len());
    while let Some(i) = queue.pop() {
        order.push(steps[i].id);
        for (j, s) in steps.iter().enumerate() {
            if s.depends_on.contains(&steps[i].id) {
                indegree[j] -= 1;
                if indegree[j] == 0 {
                    queue.push(j);
                }
            }
        }
    }
    if order.len() != steps.len() {
        let stuck = steps.iter().enumerate().filter(|(i, _)| indegree[*i] > 0).map(|(_, s)| s.id).collect();
        return Err(DagError::Cycle(stuck));
    }
    Ok(order)
}

/// The longest chain of dependent steps: the minimum number of sequential round trips when
/// everything that can run in parallel does.
pub fn critical_path(steps: &[Step]) -> Result<Vec<StepId>, DagError> {
    let order = validate(steps)?;
    let pos = |id: StepId| steps.iter().position(|s| s.id == id).unwrap_or(0);
    let mut best: Vec<(usize, Option<StepId>)> = vec![(1, None); steps.len()];
    for id in &order {
        let i = pos(*id);
        for &d in steps[i].depends_on {
            let cand = best[pos(d)].0 + 1;
            if cand > best[i].0 {
                best[i] = (cand, Some(d));
            }
        }
    }
    let Some(end) = (0..steps.len()).max_by_key(|&i| (best[i].0, std::cmp::Reverse(i))) else {
        return Ok(Vec::new());
    };
    let mut path = vec![steps[end].id];
    let mut cur = best[end].1;
    while let Some(d) = cur {
        path.push(d);
        cur = best[pos(d)].1;
    }
    path.reverse();
    Ok(path)
}

/// A step's status in a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum StepStatus {
    /// Some dependency is not done yet.
    Pending,
    /// Every dependency is done: it can run.
    Ready,
    Running,
    /// Waiting for something only a person can give (an OTP, a password).
    NeedsInput,
    Done,
    Failed,
    /// Not applicable to this run (e.g. no MFA was prompted).
    Skipped,
}

impl StepStatus {
    pub fn label(self) -> &'static str {
        match self {
            StepStatus::Pending => "pending",
            StepStatus::Ready => "ready",
            StepStatus::Running => "running",
            StepStatus::NeedsInput => "needs input",
            StepStatus::Done => "done",
            StepStatus::Failed => "failed",
            StepStatus::Skipped => "skipped",
        }
    }
    /// Done or skipped: dependants may go ahead.
    pub fn is_settled(self) -> bool {
        matches!(self, StepStatus::Done | StepStatus::Skipped)
    }
}

/// Status of every step of a run, with the readiness rule of the DAG.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    statuses: Vec<StepStatus>,
}

impl Default for Progress {
    fn default() -> Self {
        Progress::new()
    }
}

impl Progress {
    pub fn new() -> Progress {
        let mut p = Progress { statuses: vec![StepStatus::Pending; STEPS.len()] };
        p.refresh();
        p
    }

    pub fn status(&self, id: StepId) -> StepStatus {
        self.statuses.get(id as usize).copied().unwrap_or(StepStatus::Pending)
    }

    /// Sets a status, then recomputes which pending steps became ready (or stopped being so).
    pub fn set(&mut self, id: StepId, status: StepStatus) {
        if let Some(s) = self.statuses.get_mut(id as usize) {
            *s = status;
        }
        self.refresh();
    }

    /// Makes a failed or waiting step runnable again (after the person fixed its input).
    pub fn retry(&mut self, id: StepId) {
        if matches!(self.status(id), StepStatus::Failed | StepStatus::NeedsInput) {
            self.set(id, StepStatus::Pending);
        }
    }

    /// Puts a step and everything after it back to pending (e.g. to sign on again).
    pub fn reset_from(&mut self, ids: &[StepId]) {
        for &id in ids {
            if let Some(s) = self.statuses.get_mut(id as usize) {
                *s = StepStatus::Pending;
            }
        }
        self.refresh();
    }

    /// Every step it depends on, directly or not, is settled. Transitively: after a reset (a
    /// reload that needs a new worker token, say) a done step's own dependencies may be pending
    /// again, and a step waits for them too.
    fn deps_settled(&self, step: &Step) -> bool {
        step.depends_on.iter().all(|&d| self.status(d).is_settled() && self.deps_settled(d.step()))
    }

    fn refresh(&mut self) {
        for step in STEPS.iter() {
            let i = step.id as usize;
            let settled = self.deps_settled(step);
            self.statuses[i] = match self.statuses[i] {
                StepStatus::Pending if settled => StepStatus::Ready,
                StepStatus::Ready if !settled => StepStatus::Pending,
                s => s,
            };
        }
    }

    /// Steps that can run now (Run all starts all of them at once).
    pub fn ready(&self) -> Vec<StepId> {
        STEPS.iter().map(|s| s.id).filter(|&id| self.status(id) == StepStatus::Ready).collect()
    }

    /// The next step in documented order, for step-by-step mode: the lowest-numbered step that is
    /// not settled, if it may run now.
    pub fn next_in_order(&self) -> Option<StepId> {
        let first_open = STEPS.iter().map(|s| s.id).find(|&id| !self.status(id).is_settled())?;
        matches!(self.status(first_open), StepStatus::Ready | StepStatus::Failed | StepStatus::NeedsInput)
            .then_some(first_open)
    }

    /// True when a failed (or waiting) step lies upstream: the step cannot run until it is fixed.
    pub fn blocked_by(&self, id: StepId) -> Option<StepId> {
        let step = id.step();
        for &d in step.depends_on {
            if matches!(self.status(d), StepStatus::Failed | StepStatus::NeedsInput) {
                return Some(d);
            }
            if let Some(b) = self.blocked_by(d) {
                return Some(b);
            }
        }
        None
    }

    pub fn is_complete(&self) -> bool {
        self.statuses.iter().all(|s| s.is_settled())
    }

    pub fn count(&self, status: StepStatus) -> usize {
        self.statuses.iter().filter(|&&s| s == status).count()
    }

    /// Is anything still able to make progress without a person (ready or running)?
    pub fn is_active(&self) -> bool {
        self.statuses.iter().any(|s| matches!(s, StepStatus::Ready | StepStatus::Running))
    }
}

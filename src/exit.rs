//! The process exit codes: one documented enum, pinned by tests.
//!
//! Owns the mapping from outcomes to numbers; must not decide outcomes itself.

/// How a run of `rcdomains` ended. The numbers are part of the external contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Success; for `plan --detailed-exitcode`: no changes.
    Success = 0,
    /// Bad input, unreachable or refusing API, internal error. Nothing was changed.
    Error = 1,
    /// `plan --detailed-exitcode`: changes are pending; `generate --check`: the file would change.
    Changes = 2,
    /// Refused by a safety gate (removal cap, empty desired set, stale saved plan). Nothing was changed.
    Refused = 3,
    /// `apply` finished but some actions failed; a re-run converges.
    Partial = 4,
}

impl Exit {
    pub fn code(self) -> i32 {
        self as i32
    }
}

impl From<Exit> for std::process::ExitCode {
    fn from(e: Exit) -> Self {
        std::process::ExitCode::from(e as u8)
    }
}

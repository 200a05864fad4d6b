//! Wall-clock helpers of the sandbox: RunCloud's "YYYY-MM-DD HH:MM:SS" (UTC) timestamps.
//! Must not hold any state.

const FORMAT: &str = "%Y-%m-%d %H:%M:%S";

/// Seconds since the Unix epoch, now.
pub(crate) fn now_secs() -> i64 {
    jiff::Timestamp::now().as_second()
}

/// Unix seconds as RunCloud writes them, in UTC.
pub(crate) fn format_secs(secs: i64) -> String {
    jiff::Timestamp::from_second(secs)
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
        .strftime(FORMAT)
        .to_string()
}

/// Whether `s` is a RunCloud timestamp.
#[cfg(test)]
pub(crate) fn is_timestamp(s: &str) -> bool {
    jiff::civil::DateTime::strptime(FORMAT, s).is_ok()
}

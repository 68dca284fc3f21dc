//! Process-wide counters and the token-issuance latency histogram, served as Prometheus text at
//! `GET /metrics`: the seeds' "Key Metrics to Monitor" (authentication failures, token issuance
//! and refresh, reuse detections, JWKS fetch errors, storage errors, issuance latency).
//!
//! Counters only ever grow; no label carries a token, a user or a client id.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

/// Upper bounds (seconds) of the issuance-latency histogram buckets.
const BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

/// A counter with its help text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Counter {
    /// Requests refused for their credentials (`reason` label: the OAuth or bearer error).
    AuthFailures,
    /// Access tokens issued (`grant_type` label).
    TokensIssued,
    /// Refresh-token rotations.
    Refreshes,
    /// Reused authorization codes or refresh tokens (`kind` label).
    ReuseDetected,
    /// Failed fetches of an upstream JWKS.
    JwksFetchErrors,
    /// Token-storage failures.
    StorageErrors,
    /// Requests refused by a rate limit (`endpoint` label).
    RateLimited,
}

impl Counter {
    fn name(self) -> &'static str {
        match self {
            Counter::AuthFailures => "frontmcp_auth_failures_total",
            Counter::TokensIssued => "frontmcp_auth_tokens_issued_total",
            Counter::Refreshes => "frontmcp_auth_refreshes_total",
            Counter::ReuseDetected => "frontmcp_auth_reuse_detected_total",
            Counter::JwksFetchErrors => "frontmcp_auth_jwks_fetch_errors_total",
            Counter::StorageErrors => "frontmcp_auth_storage_errors_total",
            Counter::RateLimited => "frontmcp_auth_rate_limited_total",
        }
    }

    fn help(self) -> &'static str {
        match self {
            Counter::AuthFailures => "Requests refused for their credentials, by reason.",
            Counter::TokensIssued => "Access tokens issued, by grant type.",
            Counter::Refreshes => "Refresh-token rotations.",
            Counter::ReuseDetected => {
                "Reused authorization codes or refresh tokens (the family was revoked)."
            }
            Counter::JwksFetchErrors => "Failed fetches of an upstream JWKS.",
            Counter::StorageErrors => "Token-storage failures.",
            Counter::RateLimited => "Requests refused by a rate limit, by endpoint.",
        }
    }

    fn label(self) -> Option<&'static str> {
        match self {
            Counter::AuthFailures => Some("reason"),
            Counter::TokensIssued => Some("grant_type"),
            Counter::ReuseDetected => Some("kind"),
            Counter::RateLimited => Some("endpoint"),
            _ => None,
        }
    }
}

#[derive(Default)]
struct State {
    counters: BTreeMap<(Counter, String), u64>,
    buckets: Vec<u64>,
    latency_sum: f64,
    latency_count: u64,
}

fn state() -> &'static Mutex<State> {
    static STATE: OnceLock<Mutex<State>> = OnceLock::new();
    STATE.get_or_init(|| {
        Mutex::new(State {
            buckets: vec![0; BUCKETS.len()],
            ..State::default()
        })
    })
}

/// Adds one to `counter` with `label` (ignored for counters without a label).
pub fn count(counter: Counter, label: &str) {
    let label = if counter.label().is_some() {
        label.chars().take(64).collect()
    } else {
        String::new()
    };
    if let Ok(mut state) = state().lock() {
        *state.counters.entry((counter, label)).or_default() += 1;
    }
}

/// Records how long one token issuance took.
pub fn observe_issuance(took: Duration) {
    let seconds = took.as_secs_f64();
    if let Ok(mut state) = state().lock() {
        for (bucket, bound) in state.buckets.iter_mut().zip(BUCKETS) {
            if seconds <= *bound {
                *bucket += 1;
            }
        }
        state.latency_sum += seconds;
        state.latency_count += 1;
    }
}

/// The Prometheus text exposition of every metric.
pub fn render() -> String {
    let Ok(state) = state().lock() else {
        return String::new();
    };
    let mut out = String::new();
    let all = [
        Counter::AuthFailures,
        Counter::TokensIssued,
        Counter::Refreshes,
        Counter::ReuseDetected,
        Counter::JwksFetchErrors,
        Counter::StorageErrors,
        Counter::RateLimited,
    ];
    for counter in all {
        let _ = writeln!(out, "# HELP {} {}", counter.name(), counter.help());
        let _ = writeln!(out, "# TYPE {} counter", counter.name());
        let mut any = false;
        for ((_, label), value) in state.counters.iter().filter(|((c, _), _)| *c == counter) {
            any = true;
            match counter.label() {
                Some(name) => {
                    let _ = writeln!(
                        out,
                        "{}{{{name}=\"{}\"}} {value}",
                        counter.name(),
                        escape(label)
                    );
                }
                None => {
                    let _ = writeln!(out, "{} {value}", counter.name());
                }
            }
        }
        if !any && counter.label().is_none() {
            let _ = writeln!(out, "{} 0", counter.name());
        }
    }
    let name = "frontmcp_auth_token_issuance_seconds";
    let _ = writeln!(
        out,
        "# HELP {name} Time to issue an access token at the token endpoint."
    );
    let _ = writeln!(out, "# TYPE {name} histogram");
    for (bound, count) in BUCKETS.iter().zip(&state.buckets) {
        let _ = writeln!(out, "{name}_bucket{{le=\"{bound}\"}} {count}");
    }
    let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {}", state.latency_count);
    let _ = writeln!(out, "{name}_sum {}", state.latency_sum);
    let _ = writeln!(out, "{name}_count {}", state.latency_count);
    out
}

fn escape(label: &str) -> String {
    label
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(text: &str, line_start: &str) -> u64 {
        text.lines()
            .find_map(|l| l.strip_prefix(line_start))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0)
    }

    #[test]
    fn counters_and_the_histogram_render_as_prometheus_text() {
        let before = render();
        count(Counter::AuthFailures, "invalid_\"grant");
        count(Counter::StorageErrors, "ignored label");
        observe_issuance(Duration::from_millis(3));
        let after = render();
        let failures = "frontmcp_auth_failures_total{reason=\"invalid_\\\"grant\"} ";
        assert_eq!(value(&after, failures), value(&before, failures) + 1);
        let storage = "frontmcp_auth_storage_errors_total ";
        assert_eq!(value(&after, storage), value(&before, storage) + 1);
        let bucket = "frontmcp_auth_token_issuance_seconds_bucket{le=\"0.005\"} ";
        assert_eq!(value(&after, bucket), value(&before, bucket) + 1);
        assert!(after.contains("# TYPE frontmcp_auth_token_issuance_seconds histogram"));
    }
}

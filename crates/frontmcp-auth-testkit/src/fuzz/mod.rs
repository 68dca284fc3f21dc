//! A bounded HTTP fuzzer for the server: mutated versions of every valid request it knows
//! ([`seeds::templates`]), sent over raw TCP ([`wire`]) from a seeded generator
//! ([`mutate::Rng`]), so that a failing run is repeated from its seed. It counts answers by
//! status and reports every 5xx other than 503 (the documented answer of an unavailable
//! store), every connection closed without an answer, every request left unanswered, and every
//! body that shows a stack trace or an internal path.

pub mod mutate;
pub mod seeds;
pub mod wire;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mutate::{Rng, mutate};
use wire::{Outcome, Template, exchange};

/// Text a body must never show: a panic, a backtrace, or a path of the build machine (counted
/// only when the request itself did not carry it, so echoed input is not a leak).
const LEAKS: &[&str] = &[
    "panicked at",
    "stack backtrace",
    "RUST_BACKTRACE",
    ".rs:",
    "/src/",
    "/root/",
    "/home/",
    "/rustc/",
    "/.cargo/",
];

/// How a run goes.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The generator's seed.
    pub seed: u64,
    /// Requests to send.
    pub requests: u64,
    /// Requests in flight at once.
    pub workers: usize,
    /// The longest the whole run may take (it stops early, and says so).
    pub limit: Duration,
    /// The longest one request may wait for its answer.
    pub wait: Duration,
}

/// What a run saw.
#[derive(Debug, Default, Clone)]
pub struct Report {
    /// Requests sent.
    pub sent: u64,
    /// Answers by status.
    pub statuses: BTreeMap<u16, u64>,
    /// Connections reset before an answer (a server that answers early and closes with part
    /// of a large body unread resets; counted, not failed).
    pub resets: u64,
    /// Every failure (the first 50 in full).
    pub failures: u64,
    /// The first failures: template, what went wrong, and the request's start.
    pub examples: Vec<String>,
    /// Whether the time limit stopped the run.
    pub stopped_early: bool,
    /// How long it took.
    pub elapsed: Duration,
}

impl Report {
    fn fail(&mut self, template: &str, what: String, request: &[u8]) {
        self.failures += 1;
        if self.examples.len() < 50 {
            let start: String =
                String::from_utf8_lossy(&request[..request.len().min(300)]).into_owned();
            self.examples
                .push(format!("{template}: {what}\n  {start:?}"));
        }
    }

    /// The statuses as `status×count` pairs, for a report line.
    pub fn summary(&self) -> String {
        let statuses: Vec<String> = self
            .statuses
            .iter()
            .map(|(status, count)| format!("{status}×{count}"))
            .collect();
        format!(
            "{} requests in {:.1} s: {}; {} resets; {} failures{}",
            self.sent,
            self.elapsed.as_secs_f64(),
            statuses.join(" "),
            self.resets,
            self.failures,
            if self.stopped_early {
                " (stopped at the time limit)"
            } else {
                ""
            }
        )
    }
}

/// Sends `plan.requests` mutated requests built from `templates` to `addr`.
pub async fn run(addr: SocketAddr, templates: &[Template], plan: &Plan) -> Report {
    let started = Instant::now();
    let report = Arc::new(Mutex::new(Report::default()));
    let templates = Arc::new(templates.to_vec());
    let host = addr.to_string();
    let workers = plan.workers.max(1) as u64;
    let mut tasks = Vec::new();
    for worker in 0..workers {
        let per_worker = plan.requests / workers + u64::from(worker < plan.requests % workers);
        let (report, templates, host, plan) = (
            report.clone(),
            templates.clone(),
            host.clone(),
            plan.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut rng = Rng::new(plan.seed.wrapping_add(worker * 0x1000_0001));
            let mut local = Report::default();
            for _ in 0..per_worker {
                if started.elapsed() >= plan.limit {
                    local.stopped_early = true;
                    break;
                }
                let template = rng.pick(&templates).clone();
                let wire = mutate(&mut rng, &template, &host);
                let request = wire.bytes();
                let outcome =
                    exchange(addr, &request, wire.half_close, plan.wait, 256 * 1024).await;
                local.sent += 1;
                judge(&mut local, &template.name, &request, outcome);
            }
            let mut shared = report.lock().expect("report");
            shared.sent += local.sent;
            shared.resets += local.resets;
            shared.failures += local.failures;
            shared.stopped_early |= local.stopped_early;
            for (status, count) in local.statuses {
                *shared.statuses.entry(status).or_default() += count;
            }
            let room = 50usize.saturating_sub(shared.examples.len());
            shared
                .examples
                .extend(local.examples.into_iter().take(room));
        }));
    }
    for task in tasks {
        let _ = task.await;
    }
    let mut report = report.lock().expect("report").clone();
    report.elapsed = started.elapsed();
    report
}

fn judge(report: &mut Report, template: &str, request: &[u8], outcome: Outcome) {
    match outcome {
        Outcome::Answered { status, text } => {
            *report.statuses.entry(status).or_default() += 1;
            if status >= 500 && status != 503 {
                report.fail(template, format!("status {status}"), request);
            }
            let asked = String::from_utf8_lossy(request);
            if let Some(leak) = LEAKS
                .iter()
                .find(|l| text.contains(*l) && !asked.contains(*l))
            {
                report.fail(template, format!("the body shows `{leak}`"), request);
            }
        }
        Outcome::Dropped(why) if why.contains("reset") => report.resets += 1,
        Outcome::Dropped(why) => report.fail(template, format!("no answer: {why}"), request),
        Outcome::Silent => report.fail(template, String::from("no answer in time"), request),
    }
}

//! Terraform's progress lines for apply, printed through the engine's `Hook`, and on a terminal
//! a progress bar under them counting the operations done. With `SLIPWAY_TIMINGS=FILE`, each
//! operation's start and end are also written to FILE, one JSON object per line, so that a
//! benchmark can compare an apply's wall time with its critical path (`scripts/bench-apply`).

use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use slipway_core::address::{ProviderConfigAddr, ResourceInstanceAddr};
use slipway_engine::hooks::{Hook, Operation};

pub struct ProgressLines {
    /// Only on a terminal: in a pipeline log the lines alone say everything.
    bar: Option<ProgressBar>,
    timings: Option<Timings>,
}

/// Where operations' start and end times go, in seconds since the apply began.
struct Timings {
    began: Instant,
    started: Mutex<HashMap<String, f64>>,
    file: Mutex<std::fs::File>,
}

impl Timings {
    fn from_env() -> Option<Timings> {
        let path = std::env::var_os("SLIPWAY_TIMINGS")?;
        let file = std::fs::OpenOptions::new().create(true).append(true).open(path).ok()?;
        Some(Timings { began: Instant::now(), started: Mutex::new(HashMap::new()), file: Mutex::new(file) })
    }

    fn start(&self, addr: &ResourceInstanceAddr) {
        let now = self.began.elapsed().as_secs_f64();
        if let Ok(mut started) = self.started.lock() {
            started.insert(addr.to_string(), now);
        }
    }

    fn end(&self, addr: &ResourceInstanceAddr, op: Operation) {
        let end = self.began.elapsed().as_secs_f64();
        let address = addr.to_string();
        let start = self.started.lock().ok().and_then(|mut s| s.remove(&address)).unwrap_or(end);
        let line = serde_json::json!({"address": address, "operation": op.progressive(), "start": start, "end": end});
        if let Ok(mut file) = self.file.lock() {
            // Timings are a measurement aid: a write that fails must not fail the apply.
            let _ = writeln!(file, "{line}");
        }
    }
}

fn seconds(elapsed: Duration) -> String {
    let s = elapsed.as_secs();
    if s >= 60 { format!("{}m{}s", s / 60, s % 60) } else { format!("{s}s") }
}

impl ProgressLines {
    /// `operations`: how many operations the apply will run.
    pub fn new(operations: usize, no_color: bool) -> ProgressLines {
        let show = operations > 0 && std::io::stdout().is_terminal() && !no_color && !crate::render::in_ci();
        let bar = show.then(|| {
            let bar = ProgressBar::new(operations as u64);
            let style = ProgressStyle::with_template("{spinner} [{elapsed}] {wide_bar} {pos}/{len} operations")
                .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style);
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        ProgressLines { bar, timings: Timings::from_env() }
    }

    fn line(&self, text: String) {
        match &self.bar {
            Some(bar) => bar.println(text),
            None => outln!("{text}"),
        }
    }

    /// Removes the bar before the summary is printed.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl Hook for ProgressLines {
    fn started(&self, addr: &ResourceInstanceAddr, op: Operation, id: Option<&str>) {
        if let Some(t) = &self.timings {
            t.start(addr);
        }
        let id = id.map(|i| format!(" [id={i}]")).unwrap_or_default();
        self.line(format!("{addr}: {}...{id}", op.progressive()));
    }

    fn still_running(&self, addr: &ResourceInstanceAddr, op: Operation, elapsed: Duration) {
        self.line(format!("{addr}: Still {}... [{} elapsed]", op.still(), seconds(elapsed)));
    }

    fn completed(&self, addr: &ResourceInstanceAddr, op: Operation, elapsed: Duration, id: Option<&str>) {
        if let Some(t) = &self.timings {
            t.end(addr, op);
        }
        let id = id.map(|i| format!(" [id={i}]")).unwrap_or_default();
        self.line(format!("{addr}: {} after {}{id}", op.complete(), seconds(elapsed)));
        if let Some(bar) = &self.bar {
            bar.inc(1);
        }
    }

    fn provider_waiting(&self, provider: &ProviderConfigAddr, why: &str, elapsed: Duration) {
        let why = if why.is_empty() { String::new() } else { format!(": {why}") };
        if elapsed.is_zero() {
            self.line(format!(
                "provider[{provider}]: Configuring with the applied values, waiting until it answers{why}"
            ));
        } else {
            self.line(format!(
                "provider[{provider}]: Still waiting until it answers... [{} elapsed]{why}",
                seconds(elapsed)
            ));
        }
    }

    fn provider_ready(&self, provider: &ProviderConfigAddr, elapsed: Duration) {
        self.line(format!("provider[{provider}]: Ready after {}", seconds(elapsed)));
    }

    fn failed(&self, _addr: &ResourceInstanceAddr, _op: Operation, _elapsed: Duration) {
        // The error itself is reported with the other diagnostics once the walk is over.
        if let Some(bar) = &self.bar {
            bar.inc(1);
        }
    }
}

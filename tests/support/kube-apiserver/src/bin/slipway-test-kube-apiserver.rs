//! The test API server as a process, for the benchmark scripts: prints its URL on the first
//! line of standard output and serves until standard input closes; then prints its timeline
//! (`SECONDS EVENT` per line: every request, every finished rollout) and exits.

use std::io::{BufRead, Write};

fn main() {
    let server = slipway_test_kube_apiserver::ApiServer::start();
    let mut out = std::io::stdout();
    let _ = writeln!(out, "{}", server.url);
    let _ = out.flush();
    // Blocks until the script that started it closes the pipe (or exits).
    let _ = std::io::stdin().lock().lines().count();
    for (at, what) in server.timeline() {
        let _ = writeln!(out, "{at:.4} {what}");
    }
    let _ = out.flush();
}

//! Terraform's progress lines for apply, printed through the engine's `Hook`.

use std::time::Duration;

use slipway_core::address::ResourceInstanceAddr;
use slipway_engine::hooks::{Hook, Operation};

pub struct ProgressLines;

fn seconds(elapsed: Duration) -> String {
    let s = elapsed.as_secs();
    if s >= 60 { format!("{}m{}s", s / 60, s % 60) } else { format!("{s}s") }
}

impl Hook for ProgressLines {
    fn started(&self, addr: &ResourceInstanceAddr, op: Operation) {
        println!("{addr}: {}...", op.progressive());
    }

    fn still_running(&self, addr: &ResourceInstanceAddr, op: Operation, elapsed: Duration) {
        println!("{addr}: Still {}... [{} elapsed]", op.still(), seconds(elapsed));
    }

    fn completed(&self, addr: &ResourceInstanceAddr, op: Operation, elapsed: Duration, id: Option<&str>) {
        let id = id.map(|i| format!(" [id={i}]")).unwrap_or_default();
        println!("{addr}: {} after {}{id}", op.complete(), seconds(elapsed));
    }
}

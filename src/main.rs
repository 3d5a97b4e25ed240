//! The `slipway` binary: parses arguments, calls the engine and language crates, renders what
//! they return, and exits with a code. It holds no logic of its own.

// The binary is the one place that prints (ARCHITECTURE.md, invariant 10); the workspace lints
// forbid printing everywhere else. Standard output goes through `out!`/`outln!`, which end
// quietly on a closed pipe (`slipway plan | head`) where `print!` would panic.
#![allow(clippy::print_stderr)]
// The CLI reads and writes the user's files directly (`fmt`); the engine goes through traits.
#![allow(clippy::disallowed_methods)]

/// `print!` that ends quietly when standard output is a closed pipe.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::commands::write_stdout(&format!($($arg)*))
    };
}

/// `println!` that ends quietly when standard output is a closed pipe.
macro_rules! outln {
    () => {
        $crate::commands::write_stdout("\n")
    };
    ($($arg:tt)*) => {
        $crate::commands::write_stdout(&format!("{}\n", format_args!($($arg)*)))
    };
}

mod cli;
mod commands;
mod diagnostics;
mod json_ui;
mod progress;
mod render;

use std::process::ExitCode;

use clap::Parser;

// Planning thousands of resources is allocation-bound (about half of a no-change plan's time
// went to the system allocator); mimalloc halves that.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let args = cli::normalize_args(std::env::args_os());
    let cli = match cli::Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            // clap prints help and version to stdout and errors to stderr itself.
            let _ = e.print();
            return if e.use_stderr() { ExitCode::from(1) } else { ExitCode::SUCCESS };
        }
    };
    if let Some(dir) = &cli.chdir
        && let Err(e) = std::env::set_current_dir(dir)
    {
        let _ = diagnostics::print_plain_error(&format!(
            "Error handling -chdir option: could not change to {}: {e}",
            dir.display()
        ));
        return ExitCode::from(1);
    }
    commands::run(cli.command)
}

//! Writes the front-end benchmark configuration to standard output: N `null_resource` blocks in
//! ten dependency chains (resource i depends on i-10, and on i-30 when i % 4 == 0), the shape the
//! engine benchmarks use. `cargo run --example bench_config -- 5000 > main.tf`

#![allow(clippy::print_stdout)]

#[path = "../benches/config_gen.rs"]
mod config_gen;

fn main() {
    let n = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(5000);
    print!("{}", config_gen::chains_config(n));
}

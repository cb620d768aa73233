//! The `gatehouse` binary: parse the command line and hand over to `cli::run`. No logic here
//! beyond the runtime the command runs on.

use std::process::ExitCode;

use clap::Parser;

/// A single-threaded runtime on the main thread: commands are sequential, and `serve` makes
/// this thread its first worker and starts one more single-threaded worker per extra core
/// (src/server/workers.rs).
#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    gatehouse::cli::run(gatehouse::cli::Cli::parse()).await
}

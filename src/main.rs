//! The `gatehouse` binary: parse the command line and hand over to `cli::run`. No logic here
//! beyond the process-wide choices: the allocator and the runtime the command runs on.

use std::process::ExitCode;

use clap::Parser;

/// mimalloc instead of glibc's malloc: faster on the request path, and it gives large freed
/// blocks (argon2's 19 MiB per hash) back to the system instead of keeping them resident
/// (bench/README.md has the comparison).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A single-threaded runtime on the main thread: commands are sequential, and `serve` makes
/// this thread its first worker and starts one more single-threaded worker per extra core
/// (src/server/workers.rs).
#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    gatehouse::cli::run(gatehouse::cli::Cli::parse()).await
}

//! The `gatehouse` binary: parse the command line and hand over to `cli::run`. No logic here.

use std::process::ExitCode;

use clap::Parser;

#[tokio::main]
async fn main() -> ExitCode {
    gatehouse::cli::run(gatehouse::cli::Cli::parse()).await
}

//! The real `gatehouse serve` raises its soft open-file limit to the hard limit at start, so
//! the connection caps, not the kernel, decide when connections are refused.

use std::time::Duration;

use crate::harness::*;

/// The soft and hard "Max open files" limits of a running process.
fn open_file_limits(pid: u32) -> (String, String) {
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).unwrap();
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .unwrap()
        .to_owned();
    let mut fields = line.trim_start_matches("Max open files").split_whitespace();
    (
        fields.next().unwrap().to_owned(),
        fields.next().unwrap().to_owned(),
    )
}

#[tokio::test]
async fn serve_raises_the_open_file_limit_to_the_hard_limit() {
    let echo = Echo::start().await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let opts = Opts::with(Store::Memory, "[log]\nlevel = \"info\"\n");
    let config = dir.path().join("gatehouse.toml");
    std::fs::write(
        &config,
        TestApp::config_text(&opts, port, &echo, &dir, "unused:"),
    )
    .unwrap();
    let log = dir.path().join("serve.log");
    // Start with a low soft limit, as many service managers do (1024 or less).
    let mut cmd = std::process::Command::new("sh");
    cmd.arg("-c")
        .arg("ulimit -Sn 256 && exec \"$0\" serve --config \"$1\"")
        .arg(env!("CARGO_BIN_EXE_gatehouse"))
        .arg(&config)
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap());
    for (k, _) in std::env::vars() {
        if k.starts_with("GATEHOUSE_") || k == "RUST_LOG" {
            cmd.env_remove(k);
        }
    }
    let mut child = cmd.spawn().unwrap();
    let mut listening = false;
    for _ in 0..300 {
        if std::fs::read_to_string(&log).is_ok_and(|l| l.contains("listening")) {
            listening = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let limits = open_file_limits(child.id());
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        listening,
        "serve did not start: {}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );
    let (soft, hard) = limits;
    assert_ne!(soft, "256", "the soft open-file limit was not raised");
    assert_eq!(soft, hard, "the soft open-file limit is not the hard limit");
}

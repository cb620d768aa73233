//! Redis servers (and sentinels) of a test's own, on free loopback ports, so that stopping one
//! (to test an outage) or reconfiguring one harms no other test.
//!
//! A start is confirmed only when the started server itself listens on its port (see
//! `ports.rs`): another test's server may have bound it first.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::ports::{Waited, free_port, wait_listening};

pub const MISSING_SERVER: &str = "redis-server is missing: run scripts/test.sh, which installs it";

pub fn spawn(program: &str, args: &[&str], missing: &str) -> Child {
    Command::new(program)
        .args(args)
        .stdout(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{program}: {e}; {missing}"))
}

/// A plain server's arguments: loopback only, no snapshots, no append-only file, its files in
/// `dir`. Later arguments (`extra`) override these, as in a config file.
pub fn server_args(port: u16, dir: &Path, extra: &[&str]) -> Vec<String> {
    let mut args = vec![
        "--port".to_owned(),
        port.to_string(),
        "--bind".to_owned(),
        "127.0.0.1".to_owned(),
        "--save".to_owned(),
        String::new(),
        "--appendonly".to_owned(),
        "no".to_owned(),
        "--dir".to_owned(),
        dir.to_str().unwrap().to_owned(),
    ];
    args.extend(extra.iter().map(|a| (*a).to_owned()));
    args
}

/// Starts `program` with `args(port)` on a free loopback port and waits until it answers there
/// as itself. When another process took the port first, or the server exited, it starts again
/// on another port (three tries).
pub async fn listening(
    program: &str,
    missing: &str,
    args: impl Fn(u16) -> Vec<String>,
) -> (Child, u16) {
    let mut last = String::new();
    for _ in 0..3 {
        let port = free_port();
        let argv = args(port);
        let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
        let mut child = spawn(program, &argv, missing);
        match answering(&mut child, program, port).await {
            Ok(()) => return (child, port),
            Err(why) => {
                let _ = child.kill();
                let _ = child.wait();
                last = why;
            }
        }
    }
    panic!("{program} did not start: {last}, three times");
}

/// Waits (10 s) until `child` listens on `port`. Err says what happened instead: the child
/// exited, or another process listens there. Still nothing after 10 s is a failure.
pub async fn answering(child: &mut Child, program: &str, port: u16) -> Result<(), String> {
    match wait_listening(child, port, Duration::from_secs(10)).await {
        Waited::Listening => Ok(()),
        Waited::Taken => Err(format!("port {port} was taken by another process")),
        Waited::Exited(status) => Err(format!("{program} on port {port} exited ({status})")),
        Waited::TimedOut => panic!("{program} on port {port} still not listening after 10 s"),
    }
}

/// One plain `redis-server` that a test may stop and start again.
pub struct PrivateRedis {
    child: Child,
    pub url: String,
    port: u16,
    /// Keeps its data in an append-only file written on every command, so that a server
    /// killed and started again still holds the sessions (an outage, not a wipe).
    persistent: bool,
    dir: tempfile::TempDir,
}

impl PrivateRedis {
    pub async fn start() -> Self {
        Self::start_with(false).await
    }

    /// A server whose data survives `stop` and `start_again`.
    pub async fn start_persistent() -> Self {
        Self::start_with(true).await
    }

    async fn start_with(persistent: bool) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let (child, port) = listening("redis-server", MISSING_SERVER, |port| {
            Self::args(port, persistent, dir.path())
        })
        .await;
        Self {
            child,
            url: format!("redis://127.0.0.1:{port}"),
            port,
            persistent,
            dir,
        }
    }

    fn args(port: u16, persistent: bool, dir: &Path) -> Vec<String> {
        let appendonly: &[&str] = if persistent {
            &["--appendonly", "yes", "--appendfsync", "always"]
        } else {
            &[]
        };
        server_args(port, dir, appendonly)
    }

    /// Stops the server: the outage.
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts the server again on the same port (and, when persistent, with the same data): the
    /// gateway under test is configured with this port, so another is no option. A test whose
    /// port another server took meanwhile fails saying so.
    pub async fn start_again(&mut self) {
        self.stop();
        let argv = Self::args(self.port, self.persistent, self.dir.path());
        let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
        self.child = spawn("redis-server", &argv, MISSING_SERVER);
        if let Err(why) = answering(&mut self.child, "redis-server", self.port).await {
            panic!("redis-server did not start again on its port: {why}");
        }
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        self.stop();
    }
}

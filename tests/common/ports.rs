//! Loopback ports for the outside programs a test starts (nginx, Caddy, chromedriver, Redis).
//!
//! A port is picked free (bound to port 0, then released) and handed to the program, so another
//! test may bind it first. A plain connect cannot tell, and would talk to the other program: a
//! start counts only once the started process itself listens on the port, as the kernel's
//! socket tables say (`/proc/net/tcp*` and the process's open files).

use std::collections::HashSet;
use std::process::{Child, ExitStatus};
use std::time::{Duration, Instant};

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Who listens on a loopback port, from one process's point of view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listener {
    /// Nobody yet.
    Nobody,
    /// The process asked about (its own socket, not inherited by a child it started).
    It,
    /// Only another process: the port was taken before the process could bind it.
    Other,
}

/// How waiting for a started process to listen on its port ended.
#[derive(Debug)]
pub enum Waited {
    Listening,
    /// Another process listens there: it took the port first.
    Taken,
    Exited(ExitStatus),
    /// Nobody listened within the limit.
    TimedOut,
}

/// Waits (at most `limit`) until `child` itself listens on `port`.
pub async fn wait_listening(child: &mut Child, port: u16, limit: Duration) -> Waited {
    let deadline = Instant::now() + limit;
    loop {
        match listener(child.id(), port) {
            Listener::It => return Waited::Listening,
            Listener::Other => return Waited::Taken,
            Listener::Nobody => {}
        }
        if let Ok(Some(status)) = child.try_wait() {
            return Waited::Exited(status);
        }
        if Instant::now() >= deadline {
            return Waited::TimedOut;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Who listens on `port` (any local address, IPv4 or IPv6), as seen by process `pid`.
pub fn listener(pid: u32, port: u16) -> Listener {
    let listening = listening_inodes(port);
    if listening.is_empty() {
        return Listener::Nobody;
    }
    let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        // The process is gone: whatever listens is someone else's.
        return Listener::Other;
    };
    let holds = fds.flatten().any(|fd| {
        std::fs::read_link(fd.path()).is_ok_and(|target| {
            let target = target.to_string_lossy();
            target
                .strip_prefix("socket:[")
                .and_then(|rest| rest.strip_suffix(']'))
                .is_some_and(|inode| listening.contains(inode))
        })
    });
    if holds { Listener::It } else { Listener::Other }
}

/// The inodes of the listening TCP sockets on `port`.
fn listening_inodes(port: u16) -> HashSet<String> {
    const LISTEN: &str = "0A";
    let mut found = HashSet::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(table) else {
            continue;
        };
        for line in text.lines().skip(1) {
            // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
            let fields: Vec<&str> = line.split_whitespace().collect();
            let (Some(local), Some(state), Some(inode)) =
                (fields.get(1), fields.get(3), fields.get(9))
            else {
                continue;
            };
            let local_port = local
                .rsplit_once(':')
                .and_then(|(_, hex)| u16::from_str_radix(hex, 16).ok());
            if *state == LISTEN && local_port == Some(port) {
                found.insert((*inode).to_owned());
            }
        }
    }
    found
}

/// The check itself: a socket this process listens on is its own, the same port seen from
/// another process is someone else's, and a released port has nobody.
#[test]
fn a_listening_socket_is_told_apart_by_its_owner() {
    let held = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = held.local_addr().unwrap().port();
    assert_eq!(listener(std::process::id(), port), Listener::It);
    let mut other = std::process::Command::new("sleep")
        .arg("30")
        .spawn()
        .unwrap();
    assert_eq!(listener(other.id(), port), Listener::Other);
    let _ = other.kill();
    let _ = other.wait();
    drop(held);
    assert_eq!(listener(std::process::id(), port), Listener::Nobody);
}

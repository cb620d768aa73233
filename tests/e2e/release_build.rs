//! The profile-guided release build (`scripts/pgo-build.sh`) learns from
//! `scripts/pgo-train.sh`: that workload must keep exercising the paths a deployment runs
//! most, against the binary as it is now. The script checks every answer it gets; this runs
//! it against the built binary and a recording upstream, so a change to the sign-in form, the
//! forward-auth endpoints or the redirects that would leave it training on error pages fails
//! here, not in a container build.

use std::process::Command;

use crate::binary::{clean_env, run};
use crate::harness::Echo;

const TRAIN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/pgo-train.sh");

#[tokio::test]
async fn the_training_workload_signs_in_and_gets_every_answer_it_trains_on() {
    let echo = Echo::start().await;
    let mut cmd = Command::new(TRAIN);
    cmd.args([
        "--bin",
        env!("CARGO_BIN_EXE_gatehouse"),
        "--upstream",
        &format!("http://{}", echo.addr),
        "--requests",
        "40",
    ]);
    clean_env(&mut cmd);
    let out = run(cmd, None).await;
    assert!(out.status.success(), "{}", out.show());
    for part in [
        "proxy: 40 × 200",
        "auth-request: 40 × 200",
        "forward-auth: 40 × 200",
        "proxy-signed-out: 5 × 302",
        "auth-request-signed-out: 5 × 401",
        "done",
    ] {
        assert!(
            out.stderr.contains(part),
            "{part:?} missing:\n{}",
            out.show()
        );
    }
    // Only the signed-in proxied requests reach the app.
    assert_eq!(echo.count(), 40);
    assert!(echo.last().uri.starts_with("/app/page?n="));
}

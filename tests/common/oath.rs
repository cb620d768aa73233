//! TOTP codes from Debian's `oathtool`, an implementation independent of ours (the gateway
//! uses `totp-rs`): every target that checks codes computes them here.

use std::process::Command;

/// The TOTP code of `secret` at Unix time `at`, computed by oathtool.
pub fn oathtool_at(secret: &str, at: i64) -> String {
    let out = Command::new("oathtool")
        .args(["--totp", "-b", "-N", &format!("@{at}"), secret])
        .output()
        .unwrap_or_else(|e| {
            panic!("oathtool is missing ({e}): install Debian's `oathtool` (scripts/test.sh does)")
        });
    assert!(out.status.success(), "oathtool failed: {out:?}");
    let code = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert_eq!(code.len(), 6, "{code}");
    code
}

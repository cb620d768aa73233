//! The config check of the SMTP notifier (docs/security.md#smtp): it refuses unsafe settings
//! and lists every problem. Mail sent to a real SMTP server is tested in the end-to-end
//! target (`tests/e2e/mail.rs`).

use std::io::Write as _;
use std::path::Path;
use std::time::Duration;

/// (f) The config check refuses `file_dir` with `[notifier.smtp]` and plain SMTP to a host
/// that is not loopback, listing both; other mistakes are listed with them.
#[test]
fn smtp_config_problems_are_all_listed() {
    let base = "[portal]\nurl = \"https://auth.example.com\"\n[session]\ndomain = \"example.com\"\n[[sites]]\nhost = \"app.example.com\"\nupstream = \"http://127.0.0.1:8080\"\n";
    let problems = |extra: &str| {
        gatehouse::config::load_str(
            &format!("{base}{extra}"),
            Path::new("/tmp"),
            std::iter::empty(),
        )
        .expect_err("the config should be refused")
    };
    let keys = |p: &[gatehouse::config::Problem]| -> Vec<String> {
        p.iter().map(|p| p.key.clone()).collect()
    };

    let p = problems(
        "[notifier]\nfile_dir = \"mail\"\n[notifier.smtp]\nhost = \"smtp.example.com\"\nsecurity = \"none\"\n",
    );
    assert_eq!(
        keys(&p),
        vec!["notifier.file_dir", "notifier.smtp.security"],
        "{p:#?}"
    );
    for problem in &p {
        assert!(
            !problem.message.is_empty() && !problem.hint.is_empty(),
            "{problem:?}"
        );
    }
    assert!(p[1].message.contains("none"), "{:?}", p[1]);

    let p = problems(
        "[notifier.smtp]\nsecurity = \"opportunistic\"\nusername = \"me\"\nca_file = \"/nonexistent/ca.pem\"\ntimeout = \"soon\"\nhelo_name = \"not a name\"\nport = 0\n",
    );
    assert_eq!(
        keys(&p),
        vec![
            "notifier.smtp.host",
            "notifier.smtp.security",
            "notifier.smtp.port",
            "notifier.smtp.password",
            "notifier.smtp.ca_file",
            "notifier.smtp.helo_name",
            "notifier.smtp.timeout",
        ],
        "{p:#?}"
    );
    let p = problems(
        "[notifier.smtp]\nhost = \"smtp.example.com:587\"\npassword = \"x\"\ntlsmode = 1\n",
    );
    assert_eq!(
        keys(&p),
        vec![
            "notifier.smtp.tlsmode",
            "notifier.smtp.host",
            "notifier.smtp.username"
        ],
        "{p:#?}"
    );

    // Plain SMTP to a loopback relay is fine; `.localhost` names are not loopback here.
    let ok = |extra: &str| {
        gatehouse::config::load_str(
            &format!("{base}{extra}"),
            Path::new("/tmp"),
            std::iter::empty(),
        )
        .unwrap_or_else(|p| panic!("{extra}: {p:#?}"))
    };
    for host in ["localhost", "127.0.0.1", "::1", "[::1]"] {
        let c = ok(&format!(
            "[notifier.smtp]\nhost = \"{host}\"\nsecurity = \"none\"\n"
        ));
        let s = c.notifier.smtp.unwrap();
        assert_eq!(
            (s.port, s.host.trim_matches(['[', ']'])),
            (25, host.trim_matches(['[', ']']))
        );
    }
    let p = problems("[notifier.smtp]\nhost = \"mail.localhost\"\nsecurity = \"none\"\n");
    assert_eq!(keys(&p), vec!["notifier.smtp.security"]);

    // Defaults: starttls on 587, 10 s; tls on 465.
    let c = ok("[notifier.smtp]\nhost = \"smtp.example.com\"\n");
    let s = c.notifier.smtp.unwrap();
    assert_eq!(s.security, gatehouse::config::SmtpSecurity::StartTls);
    assert_eq!((s.port, s.timeout), (587, Duration::from_secs(10)));
    assert!(s.credentials.is_none() && s.ca_file.is_none() && s.helo_name.is_none());
    let c = ok("[notifier.smtp]\nhost = \"smtp.example.com\"\nsecurity = \"tls\"\n");
    assert_eq!(c.notifier.smtp.unwrap().port, 465);

    // The password from a file named by the environment; it never shows in Debug output.
    let dir = tempfile::tempdir().unwrap();
    let pw = dir.path().join("smtp-password");
    let mut f = std::fs::File::create(&pw).unwrap();
    writeln!(f, "s3cr3t-smtp-password").unwrap();
    crate::harness::private(&pw);
    let c = gatehouse::config::load_str(
        &format!("{base}[notifier.smtp]\nhost = \"smtp.example.com\"\nusername = \"gate\"\n"),
        dir.path(),
        vec![(
            "GATEHOUSE_NOTIFIER__SMTP__PASSWORD_FILE".to_owned(),
            pw.display().to_string(),
        )],
    )
    .unwrap_or_else(|p| panic!("{p:#?}"));
    let creds = c
        .notifier
        .smtp
        .as_ref()
        .unwrap()
        .credentials
        .as_ref()
        .unwrap();
    assert_eq!(creds.password.expose(), "s3cr3t-smtp-password");
    assert!(
        !format!("{c:?}").contains("s3cr3t"),
        "a secret leaked into Debug output"
    );
}

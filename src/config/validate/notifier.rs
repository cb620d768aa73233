//! Validation of `[notifier.smtp]` (docs/security.md#smtp): TLS is implicit or required STARTTLS, and
//! plain SMTP is accepted only for a relay on loopback. Every problem is collected.

use std::net::IpAddr;

use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;

use super::Ctx;
use crate::config::file::RawSmtp;
use crate::config::types::{SmtpConfig, SmtpCredentials, SmtpSecurity};

/// The relay of `[notifier.smtp]`.
pub(super) fn smtp(cx: &mut Ctx<'_>, raw: &RawSmtp) -> SmtpConfig {
    // `[::1]` is accepted as well as `::1`; lettre wants the bare address.
    let host = raw
        .host
        .trim()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    if host.is_empty() {
        cx.problem(
            "notifier.smtp.host",
            "is required",
            "the relay's host name, e.g. \"smtp.example.com\"",
        );
    } else if !is_host(&host) {
        cx.problem(
            "notifier.smtp.host",
            &format!("{:?} is not a host name or IP address", raw.host),
            "write the bare name, without scheme or port, e.g. \"smtp.example.com\"",
        );
    }
    let security = match raw.security.as_str() {
        "starttls" => SmtpSecurity::StartTls,
        "tls" => SmtpSecurity::Tls,
        "none" => SmtpSecurity::None,
        other => {
            cx.problem(
                "notifier.smtp.security",
                &format!("{other:?} is not a security mode"),
                "use \"starttls\" (port 587) or \"tls\" (port 465); \"none\" only for a relay on loopback",
            );
            SmtpSecurity::StartTls
        }
    };
    if security == SmtpSecurity::None && !host.is_empty() && !is_loopback_relay(&host) {
        cx.problem(
            "notifier.smtp.security",
            &format!("\"none\" (no TLS) is refused for the non-loopback host {host:?}"),
            "use \"starttls\" or \"tls\"; plain SMTP is only for a relay on localhost, 127.0.0.1 or ::1",
        );
    }
    let port = raw.port.unwrap_or(match security {
        SmtpSecurity::StartTls => 587,
        SmtpSecurity::Tls => 465,
        SmtpSecurity::None => 25,
    });
    if port == 0 {
        cx.problem(
            "notifier.smtp.port",
            "must be between 1 and 65535",
            "the defaults are 587 for starttls and 465 for tls",
        );
    }
    let has_password = raw.password.is_some() || raw.password_file.is_some();
    let password = cx.secret(
        "notifier.smtp.password",
        raw.password.as_ref(),
        raw.password_file.as_ref(),
    );
    let credentials = match (&raw.username, has_password) {
        (Some(username), true) => {
            if username.is_empty() || username.chars().any(char::is_control) {
                cx.problem(
                    "notifier.smtp.username",
                    "must be non-empty and without control characters",
                    "the login the relay expects, often a mail address",
                );
            }
            password.map(|password| SmtpCredentials {
                username: username.clone(),
                password,
            })
        }
        (Some(_), false) => {
            cx.problem(
                "notifier.smtp.password",
                "username is set without a password",
                "set password_file (mode 0600), or password",
            );
            None
        }
        (None, true) => {
            cx.problem(
                "notifier.smtp.username",
                "a password is set without a username",
                "set username, or remove the password for a relay without login",
            );
            None
        }
        (None, false) => None,
    };
    let ca_file = raw.ca_file.as_ref().map(|f| cx.path(f));
    if let Some(path) = &ca_file
        && let Err(why) = pem_certificates(path)
    {
        cx.problem(
            "notifier.smtp.ca_file",
            &why,
            "point it at a PEM file with the CA certificate(s) that signed the relay's certificate",
        );
    }
    let helo_name = raw.helo_name.as_ref().map(|n| n.trim().to_owned());
    if let Some(name) = &helo_name
        && !is_dns_name(name)
    {
        cx.problem(
            "notifier.smtp.helo_name",
            &format!("{name:?} is not a host name"),
            "the gateway's own fully qualified name, e.g. \"auth.example.com\"; remove it for the default",
        );
    }
    SmtpConfig {
        host,
        port,
        security,
        credentials,
        ca_file,
        timeout: cx.duration("notifier.smtp.timeout", &raw.timeout),
        helo_name,
    }
}

/// The certificates of a PEM file: at least one, all parseable.
pub(super) fn pem_certificates(
    path: &std::path::Path,
) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
        .map_err(|e| format!("{}: {e}", path.display()))?
        .collect::<Result<_, _>>()
        .map_err(|e| format!("{}: {e}", path.display()))?;
    if certs.is_empty() {
        return Err(format!("{} holds no PEM certificate", path.display()));
    }
    Ok(certs)
}

/// A relay that plain SMTP may reach: `localhost` or a loopback address. Names under
/// `.localhost` are not accepted here: the system resolver may ask DNS for them.
fn is_loopback_relay(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

fn is_host(host: &str) -> bool {
    host.parse::<IpAddr>().is_ok() || is_dns_name(host)
}

/// Letters, digits, `-` and `.`, in labels of 1 to 63 characters, 253 at most in all.
fn is_dns_name(name: &str) -> bool {
    let name = name.strip_suffix('.').unwrap_or(name);
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

#[cfg(test)]
mod tests {
    use super::{is_dns_name, is_host, is_loopback_relay};

    #[test]
    fn hosts_and_loopback() {
        for ok in [
            "smtp.example.com",
            "localhost",
            "127.0.0.1",
            "::1",
            "mail-1.example",
        ] {
            assert!(is_host(ok), "{ok}");
        }
        for bad in [
            "",
            "smtp.example.com:587",
            "smtp://x",
            "a b",
            "-x.example",
            "a..b",
        ] {
            assert!(!is_host(bad), "{bad}");
        }
        for lo in ["localhost", "LOCALHOST", "127.0.0.1", "127.1.2.3", "::1"] {
            assert!(is_loopback_relay(lo), "{lo}");
        }
        for not in [
            "smtp.example.com",
            "mail.localhost",
            "10.0.0.1",
            "::2",
            "0.0.0.0",
        ] {
            assert!(!is_loopback_relay(not), "{not}");
        }
        assert!(is_dns_name("auth.example.com."));
        assert!(!is_dns_name("auth example"));
    }
}

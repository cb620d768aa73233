//! The SMTP transport (docs/security.md#smtp): lettre's async SMTP client on tokio, with rustls on the
//! ring provider.
//!
//! - `starttls`: STARTTLS is *required* (lettre's `Tls::Required`), never opportunistic: a
//!   relay that does not offer it gets no credentials and no message.
//! - `tls`: TLS from the first byte (`Tls::Wrapper`, SMTPS).
//! - `none`: plain SMTP, which the config check allows only for a relay on loopback.
//!
//! Certificates are always verified, names included (TLS 1.2 at least), against the system
//! roots (rustls-native-certs) plus the CA certificates of `ca_file`. There is no switch to
//! turn verification off. A failed send returns the reason, which the mailer logs; users
//! never see it.

use std::error::Error as _;

use anyhow::Context as _;
use async_trait::async_trait;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;

use super::Transport;
use crate::config::{SmtpConfig, SmtpSecurity};

/// Sends each message over a new connection to the configured relay.
pub struct SmtpTransport {
    inner: AsyncSmtpTransport<Tokio1Executor>,
    /// `host:port (security)`, for the log.
    relay: String,
}

impl SmtpTransport {
    /// A transport for `config`; fails when the CA file cannot be read or TLS cannot be set up.
    pub fn new(config: &SmtpConfig) -> anyhow::Result<Self> {
        let tls = match config.security {
            SmtpSecurity::StartTls => Tls::Required(tls_parameters(config)?),
            SmtpSecurity::Tls => Tls::Wrapper(tls_parameters(config)?),
            SmtpSecurity::None => Tls::None,
        };
        // `builder_dangerous` only means "no TLS chosen yet": it is set right here.
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&config.host)
            .port(config.port)
            .tls(tls)
            .timeout(Some(config.timeout));
        if let Some(name) = &config.helo_name {
            builder = builder.hello_name(ClientId::Domain(name.clone()));
        }
        if let Some(c) = &config.credentials {
            builder = builder.credentials(Credentials::new(
                c.username.clone(),
                c.password.expose().to_owned(),
            ));
        }
        let security = match config.security {
            SmtpSecurity::StartTls => "starttls",
            SmtpSecurity::Tls => "tls",
            SmtpSecurity::None => "none",
        };
        Ok(Self {
            inner: builder.build(),
            relay: format!("{}:{} ({security})", config.host, config.port),
        })
    }
}

/// Verification against the system roots plus `ca_file`; the name checked is the host.
fn tls_parameters(config: &SmtpConfig) -> anyhow::Result<TlsParameters> {
    let mut builder = TlsParameters::builder(config.host.clone());
    if let Some(path) = &config.ca_file {
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
            .with_context(|| format!("notifier.smtp.ca_file {}", path.display()))?
            .collect::<Result<_, _>>()
            .with_context(|| format!("notifier.smtp.ca_file {}", path.display()))?;
        anyhow::ensure!(
            !certs.is_empty(),
            "notifier.smtp.ca_file {} holds no PEM certificate",
            path.display()
        );
        for cert in certs {
            let cert = Certificate::from_der(cert.to_vec())
                .with_context(|| format!("notifier.smtp.ca_file {}", path.display()))?;
            builder = builder.add_root_certificate(cert);
        }
    }
    builder.build().context("setting up TLS for notifier.smtp")
}

/// The error with every cause not already in its text, e.g. "Connection error: invalid peer
/// certificate: UnknownIssuer" (lettre's own text already ends with the first cause).
fn reason(e: &lettre::transport::smtp::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let more = c.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        cause = c.source();
    }
    text
}

#[async_trait]
impl Transport for SmtpTransport {
    async fn send(&self, message: Message) -> Result<(), String> {
        self.inner
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| format!("SMTP relay {}: {}", self.relay, reason(&e)))
    }
}

//! Notices to account holders by mail (docs/security.md#factor-enrolment, #factor-changes, #recovery-codes, #smtp): the message text, and the
//! transports that carry it. Messages are built with lettre, so headers are encoded by the
//! library; the only user data in a header is the recipient's stored address, parsed as a
//! mailbox (a value that does not parse is not sent). Sending happens off the request path.
//!
//! Transports: an SMTP relay (`smtp.rs`: required STARTTLS or implicit TLS, certificates always
//! verified), or a directory of `.eml` files for development. An unconfigured notifier only
//! logs that a notice was due.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use lettre::Message;
use lettre::message::{Mailbox, MultiPart};
use minijinja::Environment;
use serde::Serialize;
use serde_json::json;

use crate::config::NotifierConfig;
use crate::domain::user::User;
use crate::i18n::{Catalogs, Msg};
use crate::templates::template_source;

pub mod smtp;

/// Something that happened to an account that its holder must hear about.
#[derive(Clone, PartialEq, Eq)]
pub enum Notice {
    /// A password reset was asked for: the single-use link (never a password or code).
    PasswordReset {
        /// The link, built from the configured portal URL.
        link: String,
        /// How long it works, in words of the catalog ("15 minutes").
        valid_for: Msg,
    },
    /// An administrator created the account: a single-use link to choose the first password.
    Invitation {
        /// The link, built from the configured portal URL.
        link: String,
        /// How long it works, in words of the catalog ("3 days").
        valid_for: Msg,
    },
    /// The password was changed by the user or through a reset link.
    PasswordChanged,
    /// An administrator set a new password.
    PasswordSetByAdmin,
    /// Two-factor authentication was turned on.
    TwoFactorEnabled,
    /// Two-factor authentication was turned off by the user.
    TwoFactorDisabled,
    /// An administrator reset the user's two-factor authentication.
    TwoFactorReset,
    /// A recovery code was used to sign in; `left` remain.
    RecoveryCodeUsed {
        /// Unused codes remaining.
        left: u64,
    },
    /// A new set of recovery codes replaced the old one.
    RecoveryCodesRegenerated,
    /// A passkey was registered.
    PasskeyAdded {
        /// The name its owner gave it.
        name: String,
    },
    /// A passkey was removed.
    PasskeyRemoved {
        /// Its name.
        name: String,
    },
}

impl Notice {
    /// A name for logs: never the content (a reset link is a credential, docs/security.md#reset-page).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::PasswordReset { .. } => "password_reset",
            Self::Invitation { .. } => "invitation",
            Self::PasswordChanged => "password_changed",
            Self::PasswordSetByAdmin => "password_set_by_admin",
            Self::TwoFactorEnabled => "two_factor_enabled",
            Self::TwoFactorDisabled => "two_factor_disabled",
            Self::TwoFactorReset => "two_factor_reset",
            Self::RecoveryCodeUsed { .. } => "recovery_code_used",
            Self::RecoveryCodesRegenerated => "recovery_codes_regenerated",
            Self::PasskeyAdded { .. } => "passkey_added",
            Self::PasskeyRemoved { .. } => "passkey_removed",
        }
    }

    /// Subject line and body paragraphs (catalog messages, and the link as it is).
    fn text(&self) -> (Msg, Vec<Paragraph>) {
        use Paragraph::{Link, Text};
        let not_you = || Text(Msg::new("mail-not-you"));
        let by_admin = || Text(Msg::new("mail-by-admin"));
        match self {
            Self::PasswordReset { link, valid_for } => (
                Msg::new("mail-reset-subject"),
                vec![
                    Text(Msg::new("mail-reset-1")),
                    Link(link.clone()),
                    Text(Msg::new("mail-reset-2").with("valid", valid_for.clone())),
                ],
            ),
            Self::Invitation { link, valid_for } => (
                Msg::new("mail-invite-subject"),
                vec![
                    Text(Msg::new("mail-invite-1")),
                    Link(link.clone()),
                    Text(Msg::new("mail-invite-2").with("valid", valid_for.clone())),
                ],
            ),
            Self::PasswordChanged => (
                Msg::new("mail-changed-subject"),
                vec![
                    Text(Msg::new("mail-changed-1")),
                    Text(Msg::new("mail-changed-2")),
                ],
            ),
            Self::PasswordSetByAdmin => (
                Msg::new("mail-admin-set-subject"),
                vec![Text(Msg::new("mail-admin-set-1")), by_admin()],
            ),
            Self::TwoFactorEnabled => (
                Msg::new("mail-2fa-on-subject"),
                vec![Text(Msg::new("mail-2fa-on-1")), not_you()],
            ),
            Self::TwoFactorDisabled => (
                Msg::new("mail-2fa-off-subject"),
                vec![Text(Msg::new("mail-2fa-off-1")), not_you()],
            ),
            Self::TwoFactorReset => (
                Msg::new("mail-2fa-reset-subject"),
                vec![Text(Msg::new("mail-2fa-reset-1")), by_admin()],
            ),
            &Self::RecoveryCodeUsed { left } => (
                Msg::new("mail-code-used-subject"),
                vec![
                    Text(Msg::new("mail-code-used-1").with("left", left)),
                    not_you(),
                ],
            ),
            Self::RecoveryCodesRegenerated => (
                Msg::new("mail-codes-new-subject"),
                vec![Text(Msg::new("mail-codes-new-1")), not_you()],
            ),
            Self::PasskeyAdded { name } => (
                Msg::new("mail-passkey-added-subject"),
                vec![
                    Text(Msg::new("mail-passkey-added-1").with("name", name.clone())),
                    not_you(),
                ],
            ),
            Self::PasskeyRemoved { name } => (
                Msg::new("mail-passkey-removed-subject"),
                vec![
                    Text(Msg::new("mail-passkey-removed-1").with("name", name.clone())),
                    not_you(),
                ],
            ),
        }
    }
}

/// A paragraph of a notice: a catalog message, or a link shown as it is.
#[derive(Serialize)]
#[serde(untagged)]
enum Paragraph {
    Text(Msg),
    Link(String),
}

/// When the change a notice reports happened, and, when a person did it on their own account,
/// from which device and address (so they can tell whether it was them). An administrator's
/// change names neither.
#[derive(Clone, Debug)]
pub struct Occasion {
    /// Unix seconds.
    pub at: i64,
    /// The device (as a catalog message) and client address of whoever made the change.
    pub from: Option<(Msg, String)>,
}

impl Occasion {
    /// A change at `at` with no device to name (an administrator's, the operator's).
    pub fn at(at: i64) -> Self {
        Self { at, from: None }
    }
}

/// Carries a finished message.
#[async_trait]
pub trait Transport: Send + Sync + 'static {
    /// Sends one message.
    async fn send(&self, message: Message) -> Result<(), String>;
}

/// One `.eml` file per message in a directory (development, tests). The files hold live reset
/// links, so each is created 0600 and the directory 0700: another local account must not be
/// able to read a link and take over the account.
struct FileTransport {
    dir: PathBuf,
}

impl FileTransport {
    fn new(dir: &Path) -> anyhow::Result<Self> {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| anyhow::anyhow!("notifier.file_dir {}: {e}", dir.display()))?;
        Ok(Self {
            dir: dir.to_path_buf(),
        })
    }
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(bytes)
}

#[async_trait]
impl Transport for FileTransport {
    async fn send(&self, message: Message) -> Result<(), String> {
        let path = self
            .dir
            .join(format!("{}.eml", crate::domain::secret::random_token(16)));
        let bytes = message.formatted();
        tokio::task::spawn_blocking(move || write_private(&path, &bytes))
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())
    }
}

const TEXT: &str = include_str!("../../templates/email/notice.txt");
const HTML: &str = include_str!("../../templates/email/notice.html");

/// Builds notices and hands them to the transport.
#[derive(Clone)]
pub struct Mailer {
    from: Option<Mailbox>,
    transport: Option<Arc<dyn Transport>>,
    templates: Arc<Environment<'static>>,
    catalogs: Arc<Catalogs>,
    product: String,
    /// The account page every notice links to (from the configured portal URL).
    account_url: String,
}

impl Mailer {
    /// A mailer for the configured notifier; `product` names the gateway in messages.
    /// `templates_dir` is the operator's template directory: `email/notice.txt` and
    /// `email/notice.html` there replace the built-in message templates, as pages are replaced.
    pub fn new(
        config: &NotifierConfig,
        (product, account_url): (&str, &str),
        templates_dir: Option<&Path>,
        catalogs: Arc<Catalogs>,
    ) -> anyhow::Result<Self> {
        let transport: Option<Arc<dyn Transport>> = match (&config.file_dir, &config.smtp) {
            (Some(_), Some(_)) => {
                anyhow::bail!("notifier: file_dir and smtp are both set; keep one")
            }
            (Some(dir), None) => Some(Arc::new(FileTransport::new(dir)?)),
            (None, Some(relay)) => Some(Arc::new(smtp::SmtpTransport::new(relay)?)),
            (None, None) => None,
        };
        Self::with_transport(
            config,
            (product, account_url),
            (templates_dir, catalogs),
            transport,
        )
    }

    /// A mailer over any transport (tests); texts from `catalogs`.
    pub fn with_transport(
        config: &NotifierConfig,
        (product, account_url): (&str, &str),
        (templates_dir, catalogs): (Option<&Path>, Arc<Catalogs>),
        transport: Option<Arc<dyn Transport>>,
    ) -> anyhow::Result<Self> {
        let mut env = Environment::new();
        crate::i18n::install(&mut env, catalogs.clone());
        for (name, builtin) in [("notice.txt", TEXT), ("notice.html", HTML)] {
            let source = template_source(templates_dir, &format!("email/{name}"), builtin)
                .map_err(anyhow::Error::msg)?;
            env.add_template_owned(name, source)?;
        }
        Ok(Self {
            from: config.from.parse().ok(),
            transport,
            templates: Arc::new(env),
            catalogs,
            product: product.to_owned(),
            account_url: account_url.to_owned(),
        })
    }

    /// The message for `notice` to `user`, or why there is none.
    pub fn message(
        &self,
        user: &User,
        notice: &Notice,
        occasion: &Occasion,
    ) -> Result<Message, String> {
        let from = self.from.clone().ok_or("notifier.from is not a mailbox")?;
        let to: Mailbox = user
            .email
            .parse::<lettre::Address>()
            .map(|a| Mailbox::new(None, a))
            .map_err(|_| "the account has no valid email address".to_owned())?;
        // The holder's own choice in the portal, else the default: a notice may be caused by
        // someone else (an administrator, a reset asked by anyone), whose language is no clue.
        let lang = self
            .catalogs
            .by_tag(&user.language)
            .unwrap_or_else(|| self.catalogs.default_lang());
        let (subject, paragraphs) = notice.text();
        let subject = self.catalogs.text(lang, &subject);
        // The name goes only into the body (never a header); line breaks and other control
        // characters in it become spaces so that it cannot shape the text (docs/security.md#mail-content).
        let name: String = user
            .display_name
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        let source = occasion.from.as_ref().map(|(device, ip)| {
            let from = Msg::new("mail-from-value")
                .with("device", device.clone())
                .with("ip", ip.as_str());
            self.catalogs.text(lang, &from)
        });
        let ctx = minijinja::Value::from(minijinja::value::Serde(json!({
            "lang": self.catalogs.tag(lang),
            "product": self.product, "name": name, "username": user.username,
            "paragraphs": paragraphs, "subject": subject,
            "when": crate::domain::calendar::datetime(occasion.at), "from": source,
            "account_url": self.account_url,
        })));
        let text = self
            .templates
            .get_template("notice.txt")
            .and_then(|t| t.render(&ctx))
            .map_err(|e| e.to_string())?;
        let html = self
            .templates
            .get_template("notice.html")
            .and_then(|t| t.render(&ctx))
            .map_err(|e| e.to_string())?;
        // RFC 5322 §3.6.4: a unique id, under the sender's domain (relays mark mail without one).
        let message_id = format!(
            "<{}@{}>",
            crate::domain::secret::random_token(18),
            from.email.domain()
        );
        Message::builder()
            .message_id(Some(message_id))
            .from(from)
            .to(to)
            .subject(format!("{}: {subject}", self.product))
            .multipart(MultiPart::alternative_plain_html(text, html))
            .map_err(|e| e.to_string())
    }

    /// Sends `notice` to `user` in the background, off the request path; failures are
    /// logged, never shown.
    pub fn notify(&self, user: &User, notice: Notice, occasion: Occasion) {
        let mailer = self.clone();
        let user = user.clone();
        tokio::spawn(async move { mailer.send(&user, notice, occasion).await });
    }

    /// Sends `notice` to `user` and waits (for callers that exit right after, like the CLI).
    /// Failures are logged, never returned: a notice never blocks the change it reports.
    pub async fn send(&self, user: &User, notice: Notice, occasion: Occasion) {
        let Some(transport) = &self.transport else {
            tracing::info!(user = %crate::audit::Clean(&user.username), notice = notice.kind(), "no notifier configured; notice not sent");
            return;
        };
        let result = match self.message(user, &notice, &occasion) {
            Ok(message) => transport.send(message).await,
            Err(why) => Err(why),
        };
        if let Err(e) = result {
            // The reason may quote the relay's reply: control characters are escaped.
            tracing::error!(user = %crate::audit::Clean(&user.username), notice = notice.kind(), error = %crate::audit::Clean(&e), "notice not sent");
        }
    }
}

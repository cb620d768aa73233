//! What a refusal says on a page: the catalog message for each rule the domain and the
//! services name (their `Display` texts stay for logs and the CLI, in English).

use crate::domain::email::FieldError;
use crate::domain::password::PolicyError;
use crate::domain::user::NameError;
use crate::i18n::Msg;
use crate::service::passwords::PasswordError;

/// Why a new password is refused.
pub(super) fn policy(e: &PolicyError) -> Msg {
    match e {
        &PolicyError::TooShort(min) => Msg::new("password-too-short").with("min", min),
        &PolicyError::TooLong(max) => Msg::new("password-too-long").with("max", max),
        PolicyError::ContextWord => Msg::new("password-predictable"),
        PolicyError::ControlCharacter => Msg::new("password-control-characters"),
        PolicyError::Common => Msg::new("password-too-common"),
    }
}

/// Why a password change or reset changed nothing (the credential failures have their own
/// pages and never come here).
pub(super) fn password(e: &PasswordError) -> Msg {
    match e {
        PasswordError::Mismatch => Msg::new("password-mismatch"),
        PasswordError::Policy(p) => policy(p),
        PasswordError::BadLink => Msg::new("reset-invalid"),
        PasswordError::Auth(_) => Msg::new("error-internal-text"),
    }
}

/// The rule a username or group name breaks (completes "it …").
pub(super) fn name(e: &NameError) -> Msg {
    match e {
        NameError::Empty => Msg::new("rule-empty"),
        &NameError::TooLong(max) => Msg::new("rule-too-long").with("max", max),
        NameError::BadCharacter => Msg::new("rule-bad-character"),
    }
}

/// The rule an email address or display name breaks (completes "it …").
pub(super) fn field(e: &FieldError) -> Msg {
    match e {
        &FieldError::TooLong(max) => Msg::new("rule-too-long").with("max", max),
        FieldError::Control => Msg::new("rule-control-characters"),
        FieldError::Whitespace => Msg::new("rule-spaces"),
        FieldError::Shape => Msg::new("rule-email-form"),
    }
}

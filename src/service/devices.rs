//! Remembered devices: issue a token after a successful code (when the user asks), let a
//! browser holding a valid one skip the code, list and forget them (issue 4, point 5).

use crate::domain::user::UserId;
use crate::i18n::Msg;
use std::sync::Arc;

use crate::domain::device::{DeviceSigner, IssuedDevice};
use crate::domain::user::User;
use crate::store::{DeviceStore, RememberedDevice, StoreResult};

/// Longest device label kept (a user agent, shortened).
const MAX_LABEL: usize = 120;

/// The remembered-device use cases.
#[derive(Clone)]
pub struct Devices {
    store: Arc<dyn DeviceStore>,
    signer: DeviceSigner,
    days: u32,
}

impl Devices {
    /// Devices over `store`, remembered for `days` (0: the option is off).
    pub fn new(store: Arc<dyn DeviceStore>, signer: DeviceSigner, days: u32) -> Self {
        Self {
            store,
            signer,
            days,
        }
    }

    /// Days a device is remembered; 0 when the option is off.
    pub fn days(&self) -> u32 {
        self.days
    }

    /// Seconds a device is remembered.
    pub fn lifetime(&self) -> i64 {
        i64::from(self.days) * 86_400
    }

    /// Remembers this browser for the user; returns the cookie value, or `None` when off.
    pub async fn remember(
        &self,
        user: &User,
        ip: &str,
        user_agent: &str,
        now: i64,
    ) -> StoreResult<Option<IssuedDevice>> {
        if self.days == 0 {
            return Ok(None);
        }
        let issued = self.signer.issue(user.id);
        self.store
            .add_device(&RememberedDevice {
                id: issued.id.clone(),
                user_id: user.id,
                label: describe(user_agent),
                ip: ip.to_owned(),
                created_at: now,
                expires_at: now.saturating_add(self.lifetime()),
                last_used_at: now,
            })
            .await?;
        Ok(Some(issued))
    }

    /// Whether `cookie` is a valid, unrevoked, unexpired device of `user` (and marks it used).
    pub async fn recognise(
        &self,
        user: &User,
        cookie: Option<&str>,
        now: i64,
    ) -> StoreResult<bool> {
        if self.days == 0 {
            return Ok(false);
        }
        match cookie.and_then(|c| self.signer.verify(c, user.id)) {
            Some(id) => self.store.use_device(user.id, &id, now).await,
            None => Ok(false),
        }
    }

    /// The user's remembered devices.
    pub async fn list(&self, user_id: UserId, now: i64) -> StoreResult<Vec<RememberedDevice>> {
        self.store.devices(user_id, now).await
    }

    /// Forgets one device.
    pub async fn forget(&self, user_id: UserId, id: &str) -> StoreResult<bool> {
        self.store.remove_device(user_id, id).await
    }

    /// Forgets every device of the user (password change, 2FA off or reset).
    pub async fn forget_all(&self, user_id: UserId) -> StoreResult<u64> {
        self.store.remove_all_devices(user_id).await
    }
}

/// A short human label from a user agent, in English: browser and platform when
/// recognisable (stored with a remembered device, shown by the CLI).
pub fn describe(user_agent: &str) -> String {
    match recognise(user_agent) {
        (Some(b), Some(p)) => format!("{b} on {p}"),
        (Some(b), None) => b.to_owned(),
        (None, Some(p)) => p.to_owned(),
        (None, None) if user_agent.trim().is_empty() => "Unknown device".to_owned(),
        (None, None) => user_agent.chars().take(MAX_LABEL).collect(),
    }
}

/// The same label as a catalog message, for pages and mails in the reader's language.
pub fn label(user_agent: &str) -> Msg {
    match recognise(user_agent) {
        (Some(b), Some(p)) => Msg::new("common-device-on")
            .with("browser", b)
            .with("platform", p),
        (Some(name), None) | (None, Some(name)) => Msg::new("common-verbatim").with("text", name),
        (None, None) if user_agent.trim().is_empty() => Msg::new("common-unknown-device"),
        (None, None) => {
            let text: String = user_agent.chars().take(MAX_LABEL).collect();
            Msg::new("common-verbatim").with("text", text)
        }
    }
}

/// A label [`describe`] wrote (a remembered device's, stored in English) as a catalog message.
pub fn stored_label(label: &str) -> Msg {
    let known = |name: &str| {
        BROWSERS.iter().any(|(_, b)| *b == name) || PLATFORMS.iter().any(|(_, p)| *p == name)
    };
    match label.split_once(" on ") {
        Some((b, p)) if known(b) && known(p) => Msg::new("common-device-on")
            .with("browser", b)
            .with("platform", p),
        _ if label == "Unknown device" => Msg::new("common-unknown-device"),
        _ => Msg::new("common-verbatim").with("text", label),
    }
}

const BROWSERS: &[(&str, &str)] = &[
    ("Edg/", "Edge"),
    ("Firefox/", "Firefox"),
    ("Chromium/", "Chromium"),
    ("HeadlessChrome/", "Headless Chrome"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
    ("curl/", "curl"),
];

const PLATFORMS: &[(&str, &str)] = &[
    ("Android", "Android"),
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("Linux", "Linux"),
];

/// The browser and the platform a user agent names, when recognisable (product names, the
/// same in every language).
fn recognise(ua: &str) -> (Option<&'static str>, Option<&'static str>) {
    let find = |table: &[(&str, &'static str)]| {
        table
            .iter()
            .find(|(needle, _)| ua.contains(needle))
            .map(|(_, name)| *name)
    };
    (find(BROWSERS), find(PLATFORMS))
}

#[cfg(test)]
mod tests {
    use super::{describe, label, stored_label};

    #[test]
    fn a_stored_label_reads_back_as_the_message_of_its_user_agent() {
        for ua in [
            "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
            "curl/8.5.0",
            "",
            "SomeBot on Mars/1.0",
        ] {
            assert_eq!(stored_label(&describe(ua)), label(ua), "{ua}");
        }
    }

    #[test]
    fn user_agents_become_short_labels() {
        assert_eq!(
            describe(
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"
            ),
            "Chrome on Linux"
        );
        assert_eq!(
            describe(
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Version/17.0 Mobile/15E148 Safari/604.1"
            ),
            "Safari on iPhone"
        );
        assert_eq!(describe(""), "Unknown device");
        assert_eq!(describe(&"x".repeat(500)).len(), 120);
    }
}

//! A software authenticator for the passkey tests: webauthn-authenticator-rs's `SoftPasskey`
//! (a real P-256 signer with a signature counter) driven through its backend trait, which
//! signs whatever origin and RP ID it is given, so that tests can also answer as a phishing
//! page would. Options come from the portal's pages as a browser would read them.

use webauthn_authenticator_rs::AuthenticatorBackend;
use webauthn_authenticator_rs::softpasskey::SoftPasskey;
use webauthn_authenticator_rs::softtoken::SoftToken;
use webauthn_rs::prelude::{CreationChallengeResponse, RequestChallengeResponse, Url};

use crate::harness::TestApp;
use crate::totp_util::between;

pub struct SoftKey {
    token: Box<dyn AuthenticatorBackend>,
    pub origin: Url,
    /// The user handle the last registration was given (base64url), which a discoverable
    /// credential returns when it signs in.
    pub handle: Option<String>,
    /// The credential ids it registered (base64url).
    pub ids: Vec<serde_json::Value>,
    /// It cannot verify the person and answers without doing so, whatever was asked.
    presence_only: bool,
}

/// Asks for no verification in `options` (what a key without a PIN, or a tampered page,
/// answers to), so that the soft token signs with the presence flag alone.
fn ask_no_verification(options: &mut serde_json::Value) {
    if let Some(sel) = options.pointer_mut("/publicKey/authenticatorSelection") {
        sel["userVerification"] = "discouraged".into();
    }
    // Request options (an assertion) carry it at the top; creation options have an `rp`.
    if let Some(public) = options.pointer_mut("/publicKey")
        && public.get("rp").is_none()
    {
        public["userVerification"] = "discouraged".into();
    }
}

impl SoftKey {
    /// An authenticator in a browser on the test app's portal.
    pub fn new(app: &TestApp) -> Self {
        Self::at(&format!("http://{}:{}", app.portal_host, app.port))
    }

    /// An authenticator in a browser on another origin.
    pub fn at(origin: &str) -> Self {
        Self {
            // `true`: it reports the person verified, as a PIN or fingerprint would.
            token: Box::new(SoftPasskey::new(true)),
            origin: Url::parse(origin).unwrap(),
            handle: None,
            ids: Vec::new(),
            presence_only: false,
        }
    }

    /// An authenticator that cannot verify the person (a security key without a PIN): it
    /// proves presence only.
    pub fn without_verification(app: &TestApp) -> Self {
        Self {
            token: Box::new(SoftPasskey::new(false)),
            presence_only: true,
            ..Self::new(app)
        }
    }

    /// An authenticator that proves its make and model (AAGUID
    /// `webauthn_authenticator_rs::softtoken::AAGUID`) with a chain to its own root, returned
    /// as PEM: a hardware key as a team's attestation policy sees one.
    pub fn attested(app: &TestApp) -> (Self, String) {
        use crypto_glue::traits::{EncodePem, LineEndingPem};
        let (token, root) = SoftToken::new(true).expect("a soft token");
        let pem = root.to_pem(LineEndingPem::LF).expect("PEM");
        let key = Self {
            token: Box::new(token),
            ..Self::new(app)
        };
        (key, pem)
    }

    /// The registration answer to creation options (JSON) as `navigator.credentials.create`.
    pub fn register(&mut self, options: &str) -> String {
        // The soft token keeps no resident keys: it is asked for an ordinary credential, and
        // `assert` plays the resident part (the server cannot tell, and does not rely on it).
        let mut options: serde_json::Value = serde_json::from_str(options).unwrap();
        if self.presence_only {
            ask_no_verification(&mut options);
        }
        if let Some(sel) = options.pointer_mut("/publicKey/authenticatorSelection") {
            sel["residentKey"] = "discouraged".into();
            sel["requireResidentKey"] = false.into();
        }
        self.handle = options["publicKey"]["user"]["id"]
            .as_str()
            .map(str::to_owned);
        let ccr: CreationChallengeResponse = serde_json::from_value(options).unwrap();
        let reg = self
            .token
            .perform_register(self.origin.clone(), ccr.public_key, 60_000)
            .expect("the soft authenticator registers");
        let json = serde_json::to_value(&reg).unwrap();
        self.ids.push(json["rawId"].clone());
        json.to_string()
    }

    /// The assertion to request options (JSON), with the user handle a discoverable
    /// credential returns (the soft token keeps none; the handle is not signed).
    pub fn assert(&mut self, options: &str) -> String {
        let mut options: serde_json::Value = serde_json::from_str(options).unwrap();
        if self.presence_only {
            ask_no_verification(&mut options);
        }
        let allow = &mut options["publicKey"]["allowCredentials"];
        if allow.as_array().is_none_or(Vec::is_empty) {
            // A discoverable sign-in names no credential: the authenticator offers its own.
            let own: Vec<serde_json::Value> = self
                .ids
                .iter()
                .map(|id| serde_json::json!({ "type": "public-key", "id": id }))
                .collect();
            *allow = own.into();
        }
        let rcr: RequestChallengeResponse = serde_json::from_value(options).unwrap();
        let cred = self
            .token
            .perform_auth(self.origin.clone(), rcr.public_key, 60_000)
            .expect("the soft authenticator signs");
        let mut json = serde_json::to_value(&cred).unwrap();
        if let Some(h) = &self.handle {
            json["response"]["userHandle"] = h.clone().into();
        }
        json.to_string()
    }
}

/// Undoes the template engine's attribute escaping.
pub fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#x2f;", "/")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The options and ceremony of the passkey form `form_id` on a page.
pub fn challenge_in(html: &str, form_id: &str) -> (String, String) {
    let form = between(html, &format!("id=\"{form_id}\""), "</form>");
    let options = unescape(&between(&form, "data-options=\"", "\""));
    let ceremony = between(&form, "name=\"ceremony\" value=\"", "\"");
    (options, ceremony)
}

//! `session.redis.ca_file`, `client_cert` and `client_key`: read and parsed when the config is
//! loaded, so that `check-config` names an unreadable file or a bad PEM with its key, rather
//! than the first connection failing (docs/security.md#redis-tls).

use std::path::Path;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use super::Ctx;
use crate::config::file::RawRedis;
use crate::config::types::RedisTls;
use crate::domain::secret::SecretString;

/// The TLS material of `raw`; `tls` says whether the URL is `rediss://` (or, with sentinels or a cluster,
/// `tls = true`).
pub(super) fn redis_tls(cx: &mut Ctx<'_>, raw: &RawRedis, tls: bool) -> RedisTls {
    let files = [
        ("session.redis.ca_file", &raw.ca_file),
        ("session.redis.client_cert", &raw.client_cert),
        ("session.redis.client_key", &raw.client_key),
    ];
    if !tls {
        for (key, file) in files {
            if file.is_some() {
                cx.problem(
                    key,
                    "is only used over TLS: session.redis.url is not rediss://, or (with sentinels or cluster) tls is not true",
                    "use a rediss:// URL (with sentinels or cluster: tls = true), or remove the key",
                );
            }
        }
        return RedisTls::default();
    }
    let ca = raw
        .ca_file
        .as_ref()
        .and_then(|f| certificates(cx, "session.redis.ca_file", f));
    let client = match (&raw.client_cert, &raw.client_key) {
        (Some(cert), Some(key)) => {
            let chain = certificates(cx, "session.redis.client_cert", cert);
            let key = private_key(cx, key);
            chain.zip(key)
        }
        (Some(_), None) => {
            cx.problem(
                "session.redis.client_key",
                "is missing: session.redis.client_cert needs its key",
                "set client_key to the PEM file of the certificate's private key",
            );
            None
        }
        (None, Some(_)) => {
            cx.problem(
                "session.redis.client_cert",
                "is missing: session.redis.client_key needs its certificate",
                "set client_cert to the PEM file of the client certificate (chain)",
            );
            None
        }
        (None, None) => None,
    };
    RedisTls { ca, client }
}

fn read(cx: &mut Ctx<'_>, key: &str, file: &Path) -> Option<Vec<u8>> {
    let path = cx.path(file);
    match std::fs::read(&path) {
        Ok(bytes) => Some(bytes),
        Err(e) => {
            cx.problem(
                key,
                &format!("cannot read {}: {e}", path.display()),
                "give the path of a readable PEM file (relative paths are from the config file)",
            );
            None
        }
    }
}

/// A PEM file holding at least one certificate, every one of them well-formed.
fn certificates(cx: &mut Ctx<'_>, key: &str, file: &Path) -> Option<Vec<u8>> {
    let pem = read(cx, key, file)?;
    match CertificateDer::pem_slice_iter(&pem).collect::<Result<Vec<_>, _>>() {
        Ok(certs) if !certs.is_empty() => Some(pem),
        Ok(_) => {
            cx.problem(
                key,
                "holds no PEM certificate",
                "give a file with -----BEGIN CERTIFICATE----- blocks",
            );
            None
        }
        Err(e) => {
            cx.problem(
                key,
                &format!("is not a valid PEM certificate file: {e}"),
                "give a file with -----BEGIN CERTIFICATE----- blocks",
            );
            None
        }
    }
}

/// A PEM file holding a private key (PKCS#8, PKCS#1 or SEC1).
fn private_key(cx: &mut Ctx<'_>, file: &Path) -> Option<SecretString> {
    let key = "session.redis.client_key";
    // A key others can read is a key shared with them (docs/security.md#file-permissions).
    if let Err(e) = crate::config::private_file(&cx.path(file)) {
        cx.problem(key, &e.to_string(), crate::config::secret_file_hint(&e));
        return None;
    }
    let pem = read(cx, key, file)?;
    if let Err(e) = PrivateKeyDer::from_pem_slice(&pem) {
        cx.problem(
            key,
            &format!("holds no usable PEM private key: {e}"),
            "give the unencrypted PEM key of session.redis.client_cert",
        );
        return None;
    }
    match String::from_utf8(pem) {
        Ok(text) => Some(SecretString::new(text)),
        Err(_) => {
            cx.problem(key, "is not a text PEM file", "give a PEM (not DER) key");
            None
        }
    }
}

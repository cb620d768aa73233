//! The head of the upstream request our own client sends (`plain.rs`), written in one pass over
//! the client's headers. The rules are those that clean a header map for hyper's client, the
//! same functions ([`headers::withheld`], [`headers::connection_listed`],
//! [`cookies::without_own`]); only the way differs. There, the withheld names are removed from
//! the client's map, the gateway's own inserted, and the map written out: the removals and
//! insertions, each hashing a name, cost more than writing the head (bench/changes.md).

use http::Method;
use http::header::{self, HeaderMap, HeaderName, HeaderValue};

use super::ForwardError;
use super::headers::{self, Stripped};
use crate::http::cookies;

/// What an upstream request's head is made of.
pub(super) struct Head<'a> {
    pub method: &'a Method,
    /// The request target in origin-form, in its pieces: the upstream's base path, the
    /// canonical path, the query.
    pub base: &'a str,
    pub path: &'a str,
    pub query: Option<&'a str>,
    /// The client's headers, as they came.
    pub client: &'a HeaderMap,
    /// The session cookie's name: it and the gateway's other cookies (`cookies::is_own`)
    /// never go upstream.
    pub session_cookie: &'a str,
    /// The gateway's own headers (forwarded facts, identity, `Host`), written after the
    /// client's: none of their names is left among those.
    pub own: &'a [(&'a HeaderName, &'a HeaderValue)],
}

/// How the client's `Cookie` headers go upstream, decided at the first of them.
enum Cookies {
    Unseen,
    /// No gateway cookie among them: each as it came.
    AsSent,
    /// The others' pairs were written as one header in place of the first.
    Replaced,
}

impl Head<'_> {
    /// Writes the head to `out` and returns the withheld names the audit log reports. A target
    /// that is not visible ASCII is refused (it cannot be from a request the gateway parsed,
    /// but a request line must never be split).
    pub(super) fn write(&self, out: &mut Vec<u8>) -> Result<Stripped, ForwardError> {
        let target = [self.base, self.path, self.query.unwrap_or("")];
        if !target
            .iter()
            .all(|t| t.bytes().all(|b| b.is_ascii_graphic()))
        {
            return Err(ForwardError::Unreachable(
                "the request target has bytes a request line cannot carry".to_owned(),
            ));
        }
        out.extend_from_slice(self.method.as_str().as_bytes());
        out.push(b' ');
        out.extend_from_slice(self.base.as_bytes());
        out.extend_from_slice(self.path.as_bytes());
        if let Some(query) = self.query {
            out.push(b'?');
            out.extend_from_slice(query.as_bytes());
        }
        out.extend_from_slice(b" HTTP/1.1\r\n");

        let mut stripped = Stripped::default();
        let listed = headers::connection_listed(self.client);
        let mut cookies = Cookies::Unseen;
        for (name, value) in self.client {
            let n = name.as_str();
            if let Some(why) = headers::withheld(n) {
                stripped.note(why, n);
                continue;
            }
            if name == header::HOST || listed.iter().any(|l| l == n) {
                continue;
            }
            if name == header::COOKIE {
                match cookies {
                    Cookies::AsSent => {}
                    Cookies::Replaced => continue,
                    Cookies::Unseen => {
                        let all = self.client.get_all(header::COOKIE);
                        let Some(kept) = cookies::without_own(all, self.session_cookie) else {
                            cookies = Cookies::AsSent;
                            line(out, n, value.as_bytes());
                            continue;
                        };
                        cookies = Cookies::Replaced;
                        // As a header map would take it: not empty, and a valid value (the
                        // test `HeaderValue::from_str` makes, without its copy).
                        let valid = kept.bytes().all(|b| b == b'\t' || (b >= b' ' && b != 0x7f));
                        if !kept.is_empty() && valid {
                            line(out, n, kept.as_bytes());
                        }
                        continue;
                    }
                }
            }
            line(out, n, value.as_bytes());
        }
        for (name, value) in self.own {
            line(out, name.as_str(), value.as_bytes());
        }
        out.extend_from_slice(b"\r\n");
        Ok(stripped)
    }
}

/// One header line. A `HeaderValue` holds no CR, LF or NUL, so no value can end it early.
fn line(out: &mut Vec<u8>, name: &str, value: &[u8]) {
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b": ");
    out.extend_from_slice(value);
    out.extend_from_slice(b"\r\n");
}

#[cfg(test)]
#[path = "head_tests.rs"]
mod tests;

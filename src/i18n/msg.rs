//! A text named by its catalog key, with its arguments: what code hands to a page or a mail
//! instead of a sentence.

use std::borrow::Cow;

use serde::ser::{Serialize, SerializeMap, Serializer};

/// An argument of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arg {
    /// Text (a name, a host, a date already written out).
    Text(String),
    /// A number (Fluent picks the plural form by it).
    Number(i64),
    /// Another message, rendered in the same language ("Try again in { $wait }").
    Msg(Box<Msg>),
}

impl From<Msg> for Arg {
    fn from(m: Msg) -> Self {
        Self::Msg(Box::new(m))
    }
}

impl From<&str> for Arg {
    fn from(s: &str) -> Self {
        Self::Text(s.to_owned())
    }
}

impl From<String> for Arg {
    fn from(s: String) -> Self {
        Self::Text(s)
    }
}

impl From<i64> for Arg {
    fn from(n: i64) -> Self {
        Self::Number(n)
    }
}

impl From<u64> for Arg {
    fn from(n: u64) -> Self {
        Self::Number(i64::try_from(n).unwrap_or(i64::MAX))
    }
}

impl From<usize> for Arg {
    fn from(n: usize) -> Self {
        Self::Number(i64::try_from(n).unwrap_or(i64::MAX))
    }
}

/// A catalog key and its arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Msg {
    key: Cow<'static, str>,
    args: Vec<(Cow<'static, str>, Arg)>,
}

impl Msg {
    /// The message `key` (a key of `locales/en.ftl`).
    pub const fn new(key: &'static str) -> Self {
        Self {
            key: Cow::Borrowed(key),
            args: Vec::new(),
        }
    }

    /// A message whose key is known only at run time (a template's `t("…")`).
    pub fn named(key: String) -> Self {
        Self {
            key: Cow::Owned(key),
            args: Vec::new(),
        }
    }

    /// With the argument `$name`.
    pub fn with(mut self, name: &'static str, value: impl Into<Arg>) -> Self {
        self.args.push((Cow::Borrowed(name), value.into()));
        self
    }

    /// With an argument whose name is known only at run time.
    pub fn with_named(mut self, name: String, value: Arg) -> Self {
        self.args.push((Cow::Owned(name), value));
        self
    }

    /// The key.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The arguments.
    pub fn args(&self) -> &[(Cow<'static, str>, Arg)] {
        &self.args
    }
}

/// A page receives a message as `{key, args}`; the template's `t(...)` renders it in the
/// reader's language (`http::pages`).
impl Serialize for Msg {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        struct Args<'a>(&'a [(Cow<'static, str>, Arg)]);
        impl Serialize for Args<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut m = s.serialize_map(Some(self.0.len()))?;
                for (name, value) in self.0 {
                    match value {
                        Arg::Text(t) => m.serialize_entry(name, t)?,
                        Arg::Number(n) => m.serialize_entry(name, n)?,
                        Arg::Msg(inner) => m.serialize_entry(name, inner.as_ref())?,
                    }
                }
                m.end()
            }
        }
        let mut m = s.serialize_map(Some(2))?;
        m.serialize_entry("key", self.key.as_ref())?;
        m.serialize_entry("args", &Args(&self.args))?;
        m.end()
    }
}

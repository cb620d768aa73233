//! The templates' `t(...)`: `{{ t("login-title") }}`, `{{ t("login-remember", days=30) }}`, or
//! `{{ t(error) }}` for a [`Msg`] a handler put into the page. The language is the page's
//! `lang` (its tag, set by whoever renders); an unknown or missing one is the default. The
//! result is plain text, so the page's auto-escaping applies to it and to its arguments.

use std::sync::Arc;

use minijinja::value::{Kwargs, ValueKind};
use minijinja::{Environment, Error, ErrorKind, State, Value};

use super::{Arg, Catalogs, Msg};

/// Adds `t` to `env`.
pub fn install(env: &mut Environment<'static>, catalogs: Arc<Catalogs>) {
    env.add_function(
        "t",
        move |state: &State, what: Value, kwargs: Kwargs| -> Result<String, Error> {
            let lang = state
                .lookup("lang")
                .and_then(|v| v.as_str().and_then(|tag| catalogs.by_tag(tag)))
                .unwrap_or_else(|| catalogs.default_lang());
            let mut msg = message(&what)?;
            for name in kwargs.args() {
                let value: Value = kwargs.get(name)?;
                msg = msg.with_named(name.to_owned(), arg(&value)?);
            }
            Ok(catalogs.text(lang, &msg))
        },
    );
}

/// A key, or a serialized [`Msg`] (`{key, args}`).
fn message(v: &Value) -> Result<Msg, Error> {
    if let Some(key) = v.as_str() {
        return Ok(Msg::named(key.to_owned()));
    }
    let key = v.get_attr("key")?;
    let Some(key) = key.as_str() else {
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            format!("t() takes a message key or a message, not {v}"),
        ));
    };
    let mut msg = Msg::named(key.to_owned());
    let args = v.get_attr("args")?;
    if let Ok(names) = args.try_iter() {
        for name in names {
            let value = args.get_item(&name)?;
            msg = msg.with_named(name.to_string(), arg(&value)?);
        }
    }
    Ok(msg)
}

fn arg(v: &Value) -> Result<Arg, Error> {
    Ok(match v.kind() {
        ValueKind::Number => match v.as_i64() {
            Some(n) => Arg::Number(n),
            None => Arg::Text(v.to_string()),
        },
        ValueKind::Map => Arg::Msg(Box::new(message(v)?)),
        _ => Arg::Text(v.as_str().map_or_else(|| v.to_string(), str::to_owned)),
    })
}

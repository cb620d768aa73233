//! The passkeys of the account page (docs/passkeys.md): adding one and removing one after a
//! recent password (`Fresh`), renaming one. Adding needs the script (`passkey.js`); without
//! it the add page is never linked and the list, rename and remove still work.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use http::{HeaderMap, Response, StatusCode};
use serde::{Deserialize, Serialize};

use super::account::{Done, account_after, account_page, origin, with_session};
use super::errors::WebError;
use super::extract::{CsrfForm, Fresh, SignedIn};
use super::forms::see_other;
use super::login::{LoginQuery, query_rd, safe_rd, target};
use super::view::{self, Template};
use crate::domain::passkey::parse_name;
use crate::http::request::RequestCtx;
use crate::http::state::AppState;
use crate::i18n::Msg;
use crate::service::AuthError;
use crate::service::sessions::Resolved;

#[derive(Deserialize)]
pub(super) struct AddForm {
    #[serde(default)]
    ceremony: String,
    #[serde(default)]
    credential: String,
    #[serde(default)]
    name: String,
    /// The app that asked for a second factor (a `two_factor` rule's enrolment link).
    #[serde(default)]
    rd: String,
}

#[derive(Deserialize)]
pub(super) struct PasskeyForm {
    #[serde(default)]
    id: String,
    #[serde(default)]
    name: String,
}

#[derive(Serialize)]
struct AddPage<'a> {
    title: Msg,
    ceremony: &'a str,
    /// The options for `navigator.credentials.create`, as JSON.
    options: &'a str,
    name: &'a str,
    rd: &'a str,
    error: Option<Msg>,
    passkey_script: bool,
}

impl Template for AddPage<'_> {
    const NAME: &'static str = "passkey_add.html";
}

/// The add page with a fresh challenge (each showing draws one: a challenge answers once).
async fn add_page(
    app: &AppState,
    ctx: &RequestCtx,
    headers: &HeaderMap,
    s: &Resolved,
    (status, name, rd): (StatusCode, &str, &str),
    error: Option<Msg>,
) -> Result<Response<Body>, WebError> {
    let challenge = match app.passkeys.begin_registration(s, &ctx.host, ctx.now).await {
        Ok(c) => c,
        Err(AuthError::TooManyPasskeys) => {
            let why = Some(Msg::new("passkey-too-many"));
            return account_page(app, ctx, headers, s, StatusCode::CONFLICT, why, None).await;
        }
        Err(e) => return Err(e.into()),
    };
    let page = AddPage {
        title: Msg::new("passkey-add-title"),
        ceremony: &challenge.ceremony,
        options: &challenge.options,
        name,
        rd,
        error,
        passkey_script: true,
    };
    Ok(view::form(app, headers, status, &page))
}

/// `GET /account/passkeys/add`: the name field and the button that creates the passkey.
pub(super) async fn add_form(
    State(app): State<Arc<AppState>>,
    ctx: RequestCtx,
    Fresh(s, _): Fresh<SignedIn>,
    headers: HeaderMap,
    query: Result<Query<LoginQuery>, QueryRejection>,
) -> Result<Response<Body>, WebError> {
    let rd = query_rd(&app, &ctx, query);
    add_page(&app, &ctx, &headers, &s, (StatusCode::OK, "", &rd), None).await
}

/// `POST /account/passkeys/add`: the authenticator's answer, checked and stored.
pub(super) async fn add_submit(
    State(app): State<Arc<AppState>>,
    ctx: RequestCtx,
    Fresh(s, _): Fresh<SignedIn>,
    headers: HeaderMap,
    CsrfForm(form): CsrfForm<AddForm>,
) -> Result<Response<Body>, WebError> {
    let again = |why: &'static str| Some(Msg::new(why));
    let rd = safe_rd(&app, &ctx, &form.rd);
    let Ok(name) = parse_name(&form.name) else {
        let status = (StatusCode::BAD_REQUEST, form.name.as_str(), rd.as_str());
        return add_page(
            &app,
            &ctx,
            &headers,
            &s,
            status,
            again("passkey-name-invalid"),
        )
        .await;
    };
    let who = origin(&ctx, &headers);
    let done =
        app.passkeys
            .finish_registration(&s, &form.ceremony, &form.credential, &name, ctx.now, who);
    let why = match done.await {
        Ok(()) => return added(&app, &ctx, &headers, &s, &rd).await,
        Err(AuthError::PasskeyRefused) => "passkey-refused",
        Err(AuthError::CeremonyExpired) => "passkey-expired",
        Err(e) => return Err(e.into()),
    };
    let status = (StatusCode::BAD_REQUEST, name.as_str(), rd.as_str());
    add_page(&app, &ctx, &headers, &s, status, again(why)).await
}

/// After the first passkey of a user without an authenticator app: their recovery codes,
/// shown once, in a passkey session (`TwoFactor::first_passkey`); else the account page.
/// Either goes on to the app that asked for a second factor (`rd`) when there is one.
async fn added(
    app: &AppState,
    ctx: &RequestCtx,
    headers: &HeaderMap,
    s: &Resolved,
    rd: &str,
) -> Result<Response<Body>, WebError> {
    let next = if rd.is_empty() {
        account_after(app, Done::PasskeyAdded)
    } else {
        target(app, rd)
    };
    match app.two_factor.first_passkey(s, ctx.now).await? {
        Some((id, codes)) => {
            let intro = Msg::new("codes-intro-passkey");
            let page = super::account_2fa::codes_page(app, headers, &codes, intro, &next);
            with_session(app, ctx, page, &id).await
        }
        None => Ok(see_other(&next)),
    }
}

/// `POST /account/passkeys/rename`.
pub(super) async fn rename(
    State(app): State<Arc<AppState>>,
    ctx: RequestCtx,
    SignedIn(s): SignedIn,
    headers: HeaderMap,
    CsrfForm(form): CsrfForm<PasskeyForm>,
) -> Result<Response<Body>, WebError> {
    let Ok(name) = parse_name(&form.name) else {
        let why = Some(Msg::new("passkey-name-invalid"));
        return account_page(&app, &ctx, &headers, &s, StatusCode::BAD_REQUEST, why, None).await;
    };
    app.passkeys.rename(&s.user, &form.id, &name).await?;
    Ok(see_other(&account_after(&app, Done::PasskeyRenamed)))
}

/// `POST /account/passkeys/remove`: after a recent password, like every factor change.
pub(super) async fn remove(
    State(app): State<Arc<AppState>>,
    ctx: RequestCtx,
    Fresh(s, _): Fresh<SignedIn>,
    headers: HeaderMap,
    CsrfForm(form): CsrfForm<PasskeyForm>,
) -> Result<Response<Body>, WebError> {
    let who = origin(&ctx, &headers);
    app.passkeys.remove(&s.user, &form.id, ctx.now, who).await?;
    Ok(see_other(&account_after(&app, Done::PasskeyRemoved)))
}

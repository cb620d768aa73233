//! `GET`/`HEAD <portal>/assets/<name>`: the operator's assets (docs/branding.md), from the
//! table `http::branding` read at start. A request never touches the disk: the name is looked
//! up as it is, so `..`, encoded separators, dotfiles and links out of the directory have
//! nothing to reach (the walk in `config::validate::branding` admitted only plain, typed,
//! bounded files). `<portal>/static/…`: Gatehouse's own stylesheet and scripts, answered the
//! same way.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, State};
use http::{HeaderMap, Response, StatusCode, header};

use super::errors::{PageError, WebError};
use crate::http::branding::Asset;
use crate::http::headers::PublicAsset;
use crate::http::state::AppState;

/// `GET`/`HEAD <portal>/assets/<name>`: the file, or the 404 page for any other name.
pub(super) async fn asset(
    State(app): State<Arc<AppState>>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Result<Response<Body>, WebError> {
    let asset = app.branding.asset(&name).ok_or(PageError::NotFound)?;
    Ok(answer(asset, &headers))
}

/// `GET`/`HEAD <portal>/static/<name>`: Gatehouse's stylesheet (with the configured accents,
/// as app hosts' error pages inline it) and scripts, or the 404 page for any other name.
pub(super) async fn builtin(
    State(app): State<Arc<AppState>>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Result<Response<Body>, WebError> {
    let file = app.branding.builtin.get(&name).ok_or(PageError::NotFound)?;
    Ok(answer(file, &headers))
}

/// The file, or 304 when the request names its `ETag`; cacheable, with the assets' CSP.
fn answer(asset: &Asset, headers: &HeaderMap) -> Response<Body> {
    let fresh = headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|tag| tag.trim() == asset.etag || tag.trim() == "*");
    let mut resp = if fresh {
        let mut r = Response::new(Body::empty());
        *r.status_mut() = StatusCode::NOT_MODIFIED;
        r
    } else {
        let mut r = Response::new(Body::from(asset.body.clone()));
        let ct = http::HeaderValue::from_static(asset.content_type);
        r.headers_mut().insert(header::CONTENT_TYPE, ct);
        r
    };
    resp.headers_mut().insert(header::ETAG, asset.etag.clone());
    resp.extensions_mut().insert(PublicAsset);
    resp
}

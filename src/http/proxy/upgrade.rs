//! Protocol upgrades: the gateway tunnels exactly one protocol, WebSocket (RFC 6455), and
//! nothing else. After the upstream answers 101 with `Upgrade: websocket`, bytes are copied
//! both ways between the two upgraded connections until either side closes.
//!
//! Why only WebSocket: after a tunnelled upgrade the gateway no longer sees requests. With
//! `h2c` (RFC 7540 §3.2), which hypercorn, Tomcat, Jetty and httpd can honour, one allowed
//! request would open an HTTP/2 connection whose later streams skip the access rules and carry
//! any identity headers the client likes. Every other token is therefore dropped (the request
//! goes upstream as a plain request), and a 101 for anything but the WebSocket the client
//! asked for is refused, so nothing is ever tunnelled that was not a WebSocket.

use http::{HeaderMap, Method, Request, header};
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;

/// The only upgrade token the gateway forwards.
pub(super) const WEBSOCKET: &str = "websocket";

/// Whether the client asked for a WebSocket upgrade: a GET with `Connection: upgrade` and
/// exactly one `Upgrade` header holding exactly the one token `websocket` (any letter case).
/// Any other request, `h2c` or a token list included, is proxied as a plain request.
pub(super) fn websocket_requested<B>(req: &Request<B>) -> bool {
    req.method() == Method::GET
        && is_websocket(req.headers())
        && req
            .headers()
            .get_all(header::CONNECTION)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|t| t.trim().eq_ignore_ascii_case("upgrade"))
}

/// Whether the upstream's 101 switched to the WebSocket that was asked for.
pub(super) fn websocket_accepted(headers: &HeaderMap) -> bool {
    is_websocket(headers)
}

/// Exactly one `Upgrade` value, and it is the single token `websocket`.
fn is_websocket(headers: &HeaderMap) -> bool {
    let mut values = headers.get_all(header::UPGRADE).iter();
    match (values.next(), values.next()) {
        (Some(v), None) => v
            .to_str()
            .is_ok_and(|s| s.trim().eq_ignore_ascii_case(WEBSOCKET)),
        _ => false,
    }
}

/// Joins the two upgraded connections in a background task.
pub(super) fn tunnel(client: OnUpgrade, upstream: OnUpgrade) {
    tokio::spawn(async move {
        let (client, upstream) = match tokio::try_join!(client, upstream) {
            Ok(pair) => pair,
            Err(e) => {
                tracing::debug!(error = %e, "upgrade failed");
                return;
            }
        };
        let mut client = TokioIo::new(client);
        let mut upstream = TokioIo::new(upstream);
        if let Err(e) = tokio::io::copy_bidirectional(&mut client, &mut upstream).await {
            tracing::debug!(error = %e, "tunnel closed");
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn req(upgrades: &[&str], connection: &str, method: Method) -> Request<()> {
        let mut r = Request::builder().method(method).uri("/");
        for u in upgrades {
            r = r.header(header::UPGRADE, *u);
        }
        r.header(header::CONNECTION, connection).body(()).unwrap()
    }

    #[test]
    fn only_one_websocket_token_is_an_upgrade() {
        for ok in ["websocket", "WebSocket", " WEBSOCKET "] {
            assert!(
                websocket_requested(&req(&[ok], "Upgrade", Method::GET)),
                "{ok}"
            );
        }
        assert!(websocket_requested(&req(
            &["websocket"],
            "keep-alive, upgrade",
            Method::GET
        )));
        for bad in [
            "h2c",
            "websocket, h2c",
            "h2c,websocket",
            "websocket/13",
            "",
            "TLS/1.2",
        ] {
            assert!(
                !websocket_requested(&req(&[bad], "Upgrade", Method::GET)),
                "{bad}"
            );
        }
        assert!(!websocket_requested(&req(
            &["websocket", "h2c"],
            "Upgrade",
            Method::GET
        )));
        assert!(!websocket_requested(&req(
            &["websocket"],
            "keep-alive",
            Method::GET
        )));
        assert!(!websocket_requested(&req(
            &["websocket"],
            "Upgrade",
            Method::POST
        )));
    }

    #[test]
    fn a_101_must_name_websocket() {
        let mut h = HeaderMap::new();
        assert!(!websocket_accepted(&h));
        h.insert(header::UPGRADE, HeaderValue::from_static("h2c"));
        assert!(!websocket_accepted(&h));
        h.insert(header::UPGRADE, HeaderValue::from_static("WebSocket"));
        assert!(websocket_accepted(&h));
        h.append(header::UPGRADE, HeaderValue::from_static("websocket"));
        assert!(!websocket_accepted(&h));
    }
}

//! The HTTP edge: every request enters at `entry` (precheck, classify, dispatch) and is
//! served by the portal, forward-auth or the proxy; `authz` is the one access decision.
//! Order, top to bottom (scripts/check-layers.py): `entry` > `portal`, `forward_auth` > `authz` > `state` > `proxy`
//! (the site table the state holds) > `request`, `cookies`, `csrf`, `headers`, `pages` > `page_cache`.

pub mod authz;
pub mod branding;
pub mod cookies;
pub mod csrf;
pub mod entry;
pub mod forward_auth;
pub mod headers;
pub mod host_memo;
pub mod lang;
pub mod page_cache;
pub mod pages;
pub mod portal;
mod precheck_scan;
pub mod proxy;
pub mod request;
pub mod state;

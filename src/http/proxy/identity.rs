//! The identity header values of a user (docs/security.md#identity-headers), built once per
//! user as the user cache holds it and then cloned per request: a `HeaderValue` clone shares
//! its bytes, where building one checks and copies the text and joins the groups.
//!
//! Kept per thread, in a small table indexed by user id: an entry serves only the very `User`
//! it was built from (the same `Arc`), so a user read again from the store (a refresh, a change)
//! gets fresh values with no invalidation to get wrong.

use std::cell::RefCell;
use std::sync::Arc;

use http::header::HeaderValue;

use super::headers::clean_value;
use crate::domain::user::User;

/// Entries per thread; a user whose slot another took is rebuilt, as every user was before.
const SLOTS: usize = 256;

/// The four identity header values, ready to insert.
#[derive(Debug, Clone)]
pub struct IdentityValues {
    pub user: HeaderValue,
    pub groups: HeaderValue,
    pub email: HeaderValue,
    pub name: HeaderValue,
}

type Slot = Option<(Arc<User>, IdentityValues)>;

thread_local! {
    static BUILT: RefCell<Vec<Slot>> = const { RefCell::new(Vec::new()) };
}

impl IdentityValues {
    /// Values from the raw texts, stripped of control characters so that no stored value can
    /// split a header.
    pub fn new(user: &str, groups: &[String], email: &str, name: &str) -> Self {
        Self {
            user: clean_value(user),
            groups: clean_value(&groups.join(",")),
            email: clean_value(email),
            name: clean_value(name),
        }
    }

    /// Empty values: the identity of an anonymous request (a bypass rule).
    pub fn anonymous() -> Self {
        let empty = HeaderValue::from_static("");
        Self {
            user: empty.clone(),
            groups: empty.clone(),
            email: empty.clone(),
            name: empty,
        }
    }

    /// The values for `user`, built on this thread's first request for this copy of it.
    pub fn of(user: &Arc<User>) -> Self {
        let build = || {
            Self::new(
                &user.username,
                &user.groups,
                &user.email,
                &user.display_name,
            )
        };
        BUILT
            .try_with(|built| {
                let mut built = built.borrow_mut();
                if built.is_empty() {
                    built.resize_with(SLOTS, || None);
                }
                let slot = &mut built[slot_of(user)];
                match slot {
                    Some((cached, values)) if Arc::ptr_eq(cached, user) => values.clone(),
                    _ => {
                        let values = build();
                        *slot = Some((user.clone(), values.clone()));
                        values
                    }
                }
            })
            .unwrap_or_else(|_| build())
    }
}

fn slot_of(user: &User) -> usize {
    (user.id.0.unsigned_abs() % SLOTS as u64) as usize
}

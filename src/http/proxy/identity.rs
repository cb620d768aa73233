//! The identity header values of a user (docs/security.md#identity-headers), built once per
//! user as the user cache holds it and then cloned per request: a `HeaderValue` clone shares
//! its bytes, where building one checks and copies the text and joins the groups.
//!
//! Kept per thread, in a small table indexed by user id: an entry serves only the very `User`
//! it was built from (the same `Arc`), so a user read again from the store (a refresh, a change)
//! gets fresh values with no invalidation to get wrong. A forward-auth allow answer inserts the
//! four values into the call's own header map, emptied ([`write_identity`]): hyper parses the
//! connection's next request head into the map it last wrote, so a map of the answer's own
//! would be grown again for every call (bench/changes.md).

use std::cell::RefCell;
use std::sync::Arc;

use http::header::{HeaderMap, HeaderValue};

use super::headers::{clean_value, set_identity};
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

/// What a slot keeps: the values of one copy of a user.
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
        with_built(user, Self::clone)
    }

    /// The values of `user`, built anew.
    fn build(user: &User) -> Self {
        Self::new(
            &user.username,
            &user.groups,
            &user.email,
            &user.display_name,
        )
    }
}

/// Adds the four identity headers of `user` to `headers` (a forward-auth allow answer's,
/// which has none of them), from the values [`IdentityValues::of`] keeps.
pub fn write_identity(headers: &mut HeaderMap, user: &Arc<User>) {
    with_built(user, |values| set_identity(headers, values));
}

/// `take` applied to this thread's entry for this copy of `user`, built first when missing.
fn with_built<T>(user: &Arc<User>, mut take: impl FnMut(&IdentityValues) -> T) -> T {
    BUILT
        .try_with(|built| {
            let mut built = built.borrow_mut();
            if built.is_empty() {
                built.resize_with(SLOTS, || None);
            }
            let slot = &mut built[slot_of(user)];
            match slot {
                Some((cached, entry)) if Arc::ptr_eq(cached, user) => take(entry),
                _ => take(&slot.insert((user.clone(), IdentityValues::build(user))).1),
            }
        })
        .unwrap_or_else(|_| take(&IdentityValues::build(user)))
}

fn slot_of(user: &User) -> usize {
    (user.id.0.unsigned_abs() % SLOTS as u64) as usize
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::proxy::headers::{REMOTE_EMAIL, REMOTE_GROUPS, REMOTE_NAME, REMOTE_USER};

    fn user(email: &str) -> Arc<User> {
        Arc::new(User {
            email: email.to_owned(),
            display_name: "Ada\nLovelace".to_owned(),
            groups: vec!["admins".to_owned(), "dev".to_owned()],
            ..User::fixture(7, "ada")
        })
    }

    #[test]
    fn the_header_map_holds_the_same_four_values_once_each() {
        let ada = user("ada@example.com");
        let values = IdentityValues::of(&ada);
        for _ in 0..2 {
            let mut headers = HeaderMap::new();
            write_identity(&mut headers, &ada);
            assert_eq!(headers.len(), 4);
            assert_eq!(headers.keys_len(), 4);
            assert_eq!(headers[REMOTE_USER], values.user);
            assert_eq!(headers[REMOTE_GROUPS], "admins,dev");
            assert_eq!(headers[REMOTE_EMAIL], "ada@example.com");
            // Cleaned as the values are: a stored newline cannot split the answer's headers.
            assert_eq!(headers[REMOTE_NAME], "AdaLovelace");
        }
    }

    #[test]
    fn a_user_read_again_gets_fresh_headers() {
        let headers = |u: &Arc<User>| {
            let mut h = HeaderMap::new();
            write_identity(&mut h, u);
            h
        };
        let before = user("old@example.com");
        assert_eq!(headers(&before)[REMOTE_EMAIL], "old@example.com");
        // The same id in the same slot, but another copy: the entry is rebuilt, not reused.
        let after = user("new@example.com");
        assert_eq!(headers(&after)[REMOTE_EMAIL], "new@example.com");
        assert_eq!(IdentityValues::of(&after).email, "new@example.com");
    }
}

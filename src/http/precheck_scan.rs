//! The request headers the pre-check judges, found in one pass over the request's headers.
//!
//! Every request is pre-checked (`entry::precheck`), and it asked the header map for five
//! names, each a hash and a probe: a walk over the few headers a request carries, comparing
//! names, costs less than two of them.

use http::header::{self, HeaderMap, HeaderValue};
use smallvec::SmallVec;

use super::request::{X_FORWARDED_FOR, X_FORWARDED_PROTO};

/// How many values a header had.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen<'a> {
    Absent,
    One(&'a HeaderValue),
    Repeated,
}

impl<'a> Seen<'a> {
    fn add(&mut self, value: &'a HeaderValue) {
        *self = match self {
            Seen::Absent => Seen::One(value),
            Seen::One(_) | Seen::Repeated => Seen::Repeated,
        };
    }
}

/// The headers the pre-check reads.
#[derive(Debug)]
pub struct Scanned<'a> {
    pub transfer_encoding: bool,
    pub content_length: Seen<'a>,
    pub host: Seen<'a>,
    /// The first `X-Forwarded-Proto`, as `HeaderMap::get` gives it.
    pub forwarded_proto: Option<&'a HeaderValue>,
    /// Every `X-Forwarded-For`, in the order `HeaderMap::get_all` gives them.
    pub forwarded_for: SmallVec<[&'a HeaderValue; 2]>,
}

/// Walks `headers` once. A header map yields each name's values one after another, in order.
pub fn scan(headers: &HeaderMap) -> Scanned<'_> {
    let mut s = Scanned {
        transfer_encoding: false,
        content_length: Seen::Absent,
        host: Seen::Absent,
        forwarded_proto: None,
        forwarded_for: SmallVec::new(),
    };
    for (name, value) in headers {
        if name == header::HOST {
            s.host.add(value);
        } else if name == header::CONTENT_LENGTH {
            s.content_length.add(value);
        } else if name == header::TRANSFER_ENCODING {
            s.transfer_encoding = true;
        } else if name == X_FORWARDED_FOR {
            s.forwarded_for.push(value);
        } else if name == X_FORWARDED_PROTO && s.forwarded_proto.is_none() {
            s.forwarded_proto = Some(value);
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the header map's own lookups say of `headers`, to hold the scan to.
    fn looked_up(
        h: &HeaderMap,
    ) -> (
        bool,
        Seen<'_>,
        Seen<'_>,
        Option<&HeaderValue>,
        Vec<&HeaderValue>,
    ) {
        let seen = |name| {
            let mut values = h.get_all(name).iter();
            match (values.next(), values.next()) {
                (None, _) => Seen::Absent,
                (Some(v), None) => Seen::One(v),
                (Some(_), Some(_)) => Seen::Repeated,
            }
        };
        (
            h.contains_key(header::TRANSFER_ENCODING),
            seen(header::CONTENT_LENGTH),
            seen(header::HOST),
            h.get(X_FORWARDED_PROTO),
            h.get_all(X_FORWARDED_FOR).iter().collect(),
        )
    }

    #[test]
    fn the_scan_finds_what_the_lookups_find() {
        let cases: &[&[(&str, &str)]] = &[
            &[],
            &[("host", "a.example"), ("cookie", "x=1"), ("accept", "*/*")],
            &[("host", "a.example"), ("host", "b.example")],
            &[("content-length", "1"), ("transfer-encoding", "chunked")],
            &[("content-length", "1"), ("content-length", "1")],
            &[
                ("x-forwarded-for", "203.0.113.7"),
                ("host", "a.example"),
                ("x-forwarded-proto", "https"),
                ("x-forwarded-for", "198.51.100.2, 10.0.0.1"),
                ("x-forwarded-proto", "http"),
                ("x-forwarded-for", "192.0.2.9"),
            ],
            &[("x-forwarded-host", "evil"), ("forwarded", "for=1.2.3.4")],
        ];
        for case in cases {
            let mut h = HeaderMap::new();
            for (n, v) in *case {
                h.append(
                    http::HeaderName::from_bytes(n.as_bytes()).unwrap(),
                    HeaderValue::from_str(v).unwrap(),
                );
            }
            let s = scan(&h);
            let found = (
                s.transfer_encoding,
                s.content_length,
                s.host,
                s.forwarded_proto,
                s.forwarded_for.to_vec(),
            );
            assert_eq!(found, looked_up(&h), "{case:?}");
        }
    }
}

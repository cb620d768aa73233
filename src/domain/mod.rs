//! Pure domain logic: parsing, validation and decisions with no I/O, no clock reads and no
//! HTTP types. Everything here is a function of its arguments so it can be tested exhaustively.

pub mod client_ip;
pub mod host;
pub mod path;
pub mod redirect;

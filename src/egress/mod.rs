//! The way out of the process: where shiprelay may connect. Used by the subscription service (to
//! refuse a URL when it is created) and by the sender (to pin every connection to the addresses
//! it checked), so neither reaches into the other.

pub mod ssrf;

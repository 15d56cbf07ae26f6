//! TODO: carrier detection from tracking numbers.

/// The carrier code (`usps`, `ups`, `fedex`, `dhl`, `canada_post`, `upu`) a tracking number's format
/// identifies, or `None` when it is unknown or ambiguous.
pub fn detect(tracking_number: &str) -> Option<&'static str> {
    let _ = tracking_number;
    None
}

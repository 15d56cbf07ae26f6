//! Carriers: provider carrier names to our codes, and the carrier a tracking number's format
//! identifies when a provider does not say.
//!
//! Tracking numbers are not globally unique, so tracking subjects are keyed on (carrier, number).
//! A provider's own carrier code always wins ([`resolve`]); detection is the fallback, and it answers
//! `None` ("unknown") rather than guess, because a wrong carrier silently files events under the
//! wrong subject while `unknown:<number>` is at least honest.
//!
//! Detection rules (providers.md section 7), applied after removing whitespace and upper-casing:
//! - `ups`: `1Z` + 16 alphanumerics whose last one is the UPS check digit (letters count as
//!   `(ASCII - 63) mod 10`, every second character of the 15-character body doubled, mod 10).
//! - `upu`: UPU S10, 2 letters, 8 digits, the S10 check digit (weights 8 6 4 2 3 5 9 7, mod 11)
//!   and a 2-letter country. This names the *format*, not the operator: `..US` and `..CA` numbers
//!   are issued by USPS and Canada Post, but we still answer `upu`, because the postal network
//!   that moves an international item is not the issuer alone and one code per format keeps the
//!   subject stable whichever country scans it.
//! - `usps`: 20 or 21 digits, or 22 digits starting `92`-`95` (IMpb), with the USPS mod-10 check
//!   digit (weights 3, 1, 3, ... from the right of the body). An IMpb may sit behind a `420` +
//!   ZIP routing prefix (28-30 digits with a 5-digit ZIP, 32-34 with a ZIP+4): the prefix is
//!   stripped and the rest must be an IMpb (`92`-`95`, valid check digit).
//! - `fedex`: 12 or 15 digits, or 22 digits starting `96`.
//! - `dhl`: 10 digits (DHL Express waybill).
//! - `canada_post`: 16 digits.
//!
//! Overlaps and how they are settled:
//! - 22 digits is the one length two rules share (USPS IMpb and FedEx `96`). The prefix settles
//!   it: a `96` number is FedEx even when the USPS check digit happens to hold (one in ten do),
//!   since USPS 22-digit numbers are IMpb and start `92`-`95`; a 22-digit number starting with
//!   anything else (including the old `91` series) is `None`.
//! - FedEx SmartPost numbers are IMpb (`92...`) handed to USPS for delivery: `usps`, which is the
//!   network that tracks the final mile.
//! - A number with a carrier's shape but a wrong check digit is `None`, never the next carrier
//!   that fits by length: a failed check digit means a typo or a format we do not know.
//! - A `420`-prefixed number whose rest is not an IMpb is `None` (the prefix is a GS1 routing
//!   code other carriers also print; we only know how USPS uses it).
//! - FedEx, DHL and Canada Post numbers have no check digit here: their lengths (10, 12, 15, 16)
//!   are used by no other rule, so the length alone decides. Any other length is `None`.

/// The carrier code (`usps`, `ups`, `fedex`, `dhl`, `canada_post`, `upu`) a tracking number's format
/// identifies, or `None` when it is unknown or ambiguous.
pub fn detect(tracking_number: &str) -> Option<&'static str> {
    let number = canonical_number(tracking_number);
    if let Some(body) = number.strip_prefix("1Z") {
        return is_ups(body).then_some("ups");
    }
    if is_s10(&number) {
        return Some("upu");
    }
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    detect_digits(&number)
}

/// Our lower-case code for a provider's carrier name: the well-known carriers under one code
/// whatever the provider calls them, any other name lower-cased with runs of spaces, hyphens and
/// underscores as one `_`.
pub fn normalize_code(provider_carrier: &str) -> String {
    let code = provider_carrier
        .trim()
        .to_lowercase()
        .split(|c: char| c.is_whitespace() || c == '-' || c == '_')
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join("_");
    let letters: String = code.chars().filter(char::is_ascii_alphanumeric).collect();
    let known = match letters.as_str() {
        "usps" | "uspostalservice" | "unitedstatespostalservice" => "usps",
        "ups" | "unitedparcelservice" => "ups",
        "fedex" | "federalexpress" | "fedexexpress" | "fedexground" | "fedexsmartpost" => "fedex",
        "dhl" | "dhlexpress" => "dhl",
        "canadapost" | "postescanada" => "canada_post",
        _ => return code,
    };
    known.to_string()
}

/// The carrier of a tracking event: the provider's code when it gives one, else the one the
/// number's format identifies.
pub fn resolve(provider_carrier: Option<&str>, tracking_number: Option<&str>) -> Option<String> {
    provider_carrier
        .map(normalize_code)
        .filter(|code| !code.is_empty())
        .or_else(|| tracking_number.and_then(detect).map(str::to_string))
}

/// `<carrier>:<number>` (`unknown:<number>` without a carrier), the number in its canonical form so
/// that one parcel keeps one subject however a provider spaces or cases it; `None` without a number.
pub fn tracking_subject(carrier: Option<&str>, tracking_number: Option<&str>) -> Option<String> {
    let number = canonical_number(tracking_number?);
    if number.is_empty() {
        return None;
    }
    Some(format!("{}:{number}", carrier.unwrap_or("unknown")))
}

/// The number without whitespace, upper-cased.
pub fn canonical_number(tracking_number: &str) -> String {
    tracking_number
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

fn detect_digits(number: &str) -> Option<&'static str> {
    match number.len() {
        10 => Some("dhl"),
        12 | 15 => Some("fedex"),
        16 => Some("canada_post"),
        22 if number.starts_with("96") => Some("fedex"),
        20..=22 => is_usps(number).then_some("usps"),
        28..=30 | 32..=34 => is_routed_impb(number).then_some("usps"),
        _ => None,
    }
}

/// A USPS number of 20-22 digits (all ASCII digits, checked by the caller).
fn is_usps(digits: &str) -> bool {
    if digits.len() == 22 && !has_impb_prefix(digits) {
        return false;
    }
    usps_check_digit_holds(digits)
}

/// `420` + a 5-digit ZIP (28-30 digits in all) or a ZIP+4 (32-34) + an IMpb.
fn is_routed_impb(digits: &str) -> bool {
    let zip_len = if digits.len() <= 30 { 5 } else { 9 };
    digits
        .strip_prefix("420")
        .and_then(|rest| rest.get(zip_len..))
        .is_some_and(is_impb)
}

/// An Intelligent Mail package barcode number: 20-22 digits starting `92`-`95`, valid check digit.
fn is_impb(digits: &str) -> bool {
    (20..=22).contains(&digits.len()) && has_impb_prefix(digits) && usps_check_digit_holds(digits)
}

fn has_impb_prefix(digits: &str) -> bool {
    matches!(digits.get(..2), Some("92" | "93" | "94" | "95"))
}

/// USPS mod 10: weights 3, 1, 3, ... from the rightmost digit of the body (all but the last).
fn usps_check_digit_holds(digits: &str) -> bool {
    let values = digit_values(digits);
    let Some((check, body)) = values.split_last() else {
        return false;
    };
    let sum: u32 = body
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| if i % 2 == 0 { d * 3 } else { *d })
        .sum();
    (10 - sum % 10) % 10 == *check
}

/// The 16 characters after `1Z`: 15 alphanumerics and a check digit.
fn is_ups(body: &str) -> bool {
    let bytes = body.as_bytes();
    if bytes.len() != 16 || !bytes.iter().all(u8::is_ascii_alphanumeric) {
        return false;
    }
    let (serial, check) = bytes.split_at(15);
    let sum: u32 = serial
        .iter()
        .enumerate()
        .map(|(i, b)| ups_value(*b) * if i % 2 == 1 { 2 } else { 1 })
        .sum();
    check == [b'0' + ((10 - sum % 10) % 10) as u8]
}

/// Digits count as themselves, upper-case letters as `(ASCII - 63) mod 10` (A=2 ... H=9, I=0, ...).
fn ups_value(b: u8) -> u32 {
    if b.is_ascii_digit() {
        u32::from(b - b'0')
    } else {
        (u32::from(b) - 63) % 10
    }
}

/// UPU S10: `AA` + 8 digits + check digit + 2-letter country.
fn is_s10(number: &str) -> bool {
    let bytes = number.as_bytes();
    if bytes.len() != 13 {
        return false;
    }
    let (service, rest) = bytes.split_at(2);
    let (serial, rest) = rest.split_at(8);
    let (check, country) = rest.split_at(1);
    let letters = |part: &[u8]| part.iter().all(u8::is_ascii_uppercase);
    let digits = |part: &[u8]| part.iter().all(u8::is_ascii_digit);
    if !(letters(service) && letters(country) && digits(serial) && digits(check)) {
        return false;
    }
    let sum: u32 = serial
        .iter()
        .zip([8, 6, 4, 2, 3, 5, 9, 7])
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    let expected = match 11 - sum % 11 {
        10 => 0,
        11 => 5,
        n => n,
    };
    check == [b'0' + expected as u8]
}

/// The values of a string of ASCII digits (other characters are skipped; callers check first).
fn digit_values(digits: &str) -> Vec<u32> {
    digits.chars().filter_map(|c| c.to_digit(10)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_ups_with_a_valid_check_digit() {
        assert_eq!(detect("1Z999AA10123456784"), Some("ups"));
        assert_eq!(detect("1Z0A12345E03123456"), Some("ups"));
        assert_eq!(detect("1ZV7W8930368203210"), Some("ups"));
    }

    #[test]
    fn rejects_ups_with_a_wrong_check_digit_or_shape() {
        assert_eq!(detect("1Z999AA10123456785"), None);
        assert_eq!(detect("1Z999AA1012345678"), None);
        assert_eq!(detect("1Z999AA101234567844"), None);
        assert_eq!(detect("1Z999AA1012345678-"), None);
    }

    #[test]
    fn detects_usps_impb_and_legacy_numbers() {
        assert_eq!(detect("9400111899223456789017"), Some("usps"));
        assert_eq!(detect("9305541090000123456704"), Some("usps"));
        assert_eq!(detect("9205590175547700001012"), Some("usps"));
        assert_eq!(detect("9505501234567890123450"), Some("usps"));
        assert_eq!(detect("03071790000523483741"), Some("usps"));
        assert_eq!(detect("030717900005234837407"), Some("usps"));
    }

    #[test]
    fn rejects_usps_with_a_wrong_check_digit() {
        // FlexOps's documentation sample: the shape of an IMpb, but its check digit would be 7.
        assert_eq!(detect("9400111899223456789012"), None);
        assert_eq!(detect("03071790000523483742"), None);
    }

    #[test]
    fn a_22_digit_number_outside_the_impb_range_is_not_usps() {
        // Valid USPS check digits, but 22-digit USPS numbers start 92-95.
        assert_eq!(detect("9101123456789000000013"), None);
        assert_eq!(detect("1234567890123456789017"), None);
    }

    #[test]
    fn strips_a_420_zip_routing_prefix_before_an_impb() {
        assert_eq!(detect("42084101 9400111899223456789017"), Some("usps"));
        assert_eq!(detect("420841011234 9400111899223456789017"), Some("usps"));
        // The rest fails its check digit, or is not an IMpb, or the prefix is not 420.
        assert_eq!(detect("420841019400111899223456789012"), None);
        assert_eq!(detect("420841019612345678901234567897"), None);
        assert_eq!(detect("421841019400111899223456789017"), None);
    }

    #[test]
    fn detects_fedex_by_length_and_the_96_prefix() {
        assert_eq!(detect("794612345678"), Some("fedex"));
        assert_eq!(detect("612345678901234"), Some("fedex"));
        assert_eq!(detect("9612345678901234567804"), Some("fedex"));
    }

    #[test]
    fn a_96_number_is_fedex_even_when_the_usps_check_digit_holds() {
        assert!(usps_check_digit_holds("9612345678901234567897"));
        assert_eq!(detect("9612345678901234567897"), Some("fedex"));
    }

    #[test]
    fn detects_dhl_and_canada_post_by_length() {
        assert_eq!(detect("3318810025"), Some("dhl"));
        assert_eq!(detect("7023210039414604"), Some("canada_post"));
    }

    #[test]
    fn detects_upu_s10_whatever_the_country() {
        assert_eq!(detect("AA123456785GB"), Some("upu"));
        assert_eq!(detect("RR473124829US"), Some("upu"));
        assert_eq!(detect("EE987654326CA"), Some("upu"));
        assert_eq!(detect("CP200123455DE"), Some("upu"));
    }

    #[test]
    fn rejects_s10_with_a_wrong_check_digit_or_shape() {
        assert_eq!(detect("AA123456784GB"), None);
        assert_eq!(detect("A1123456785GB"), None);
        assert_eq!(detect("AA12345678GB"), None);
    }

    #[test]
    fn ignores_whitespace_and_case() {
        assert_eq!(detect(" 1z 999 aa1 0123 4567 84 "), Some("ups"));
        assert_eq!(detect("9400 1118 9922 3456 7890 17"), Some("usps"));
        assert_eq!(detect("aa 123 456 785 gb"), Some("upu"));
        assert_eq!(detect("\t3318810025\n"), Some("dhl"));
    }

    #[test]
    fn answers_none_for_empty_garbage_and_unknown_lengths() {
        for number in [
            "",
            "   ",
            "hello",
            "1Z",
            "12345",
            "12345678901",
            "1234567890123",
            "12345678901234567",
            "94001118992234567890-7",
            "９４００１１１８９９２２３４５６７８９０１７",
            "1Zé99AA10123456784",
        ] {
            assert_eq!(detect(number), None, "{number:?}");
        }
    }

    #[test]
    fn normalizes_carrier_names_to_our_codes() {
        assert_eq!(normalize_code("USPS"), "usps");
        assert_eq!(normalize_code("U.S. Postal Service"), "usps");
        assert_eq!(normalize_code("United Parcel Service"), "ups");
        assert_eq!(normalize_code("ups"), "ups");
        assert_eq!(normalize_code("FedEx"), "fedex");
        assert_eq!(normalize_code("FEDEX_GROUND"), "fedex");
        assert_eq!(normalize_code("DHL Express"), "dhl");
        assert_eq!(normalize_code("canada_post"), "canada_post");
        assert_eq!(normalize_code("Canada Post"), "canada_post");
        assert_eq!(normalize_code("Estes Express"), "estes_express");
        assert_eq!(normalize_code(" DHL-eCommerce "), "dhl_ecommerce");
        assert_eq!(
            normalize_code("La  Poste - Colissimo"),
            "la_poste_colissimo"
        );
        assert_eq!(normalize_code(""), "");
    }

    #[test]
    fn resolve_prefers_the_provider_code_over_detection() {
        assert_eq!(
            resolve(Some("UPS"), Some("9400111899223456789017")).as_deref(),
            Some("ups")
        );
        assert_eq!(
            resolve(None, Some("9400111899223456789017")).as_deref(),
            Some("usps")
        );
        assert_eq!(
            resolve(Some("  "), Some("3318810025")).as_deref(),
            Some("dhl")
        );
        assert_eq!(resolve(None, Some("garbage")), None);
        assert_eq!(resolve(None, None), None);
    }

    #[test]
    fn builds_tracking_subjects() {
        assert_eq!(
            tracking_subject(Some("ups"), Some("1z999aa1 0123456784")).as_deref(),
            Some("ups:1Z999AA10123456784")
        );
        assert_eq!(
            tracking_subject(None, Some("ABC")).as_deref(),
            Some("unknown:ABC")
        );
        assert_eq!(tracking_subject(Some("ups"), None), None);
        assert_eq!(tracking_subject(Some("ups"), Some(" ")), None);
    }

    proptest::proptest! {
        #[test]
        fn never_panics_on_any_input(input in "\\PC*") {
            let _ = detect(&input);
            let _ = normalize_code(&input);
            let _ = tracking_subject(None, Some(&input));
        }

        #[test]
        fn never_panics_on_digit_strings(input in "[0-9 ]{0,40}") {
            let _ = detect(&input);
        }
    }
}

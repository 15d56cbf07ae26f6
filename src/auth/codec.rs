//! Decoding of presented digests and credentials, lenient about form (hex case, base64 padding)
//! and strict about content.

use base64::Engine;
use base64::engine::GeneralPurpose;
use base64::engine::general_purpose::STANDARD_PAD_INDIFFERENT;

use super::Encoding;

/// Standard alphabet; encodes with padding, decodes with or without it.
pub(super) const BASE64: GeneralPurpose = STANDARD_PAD_INDIFFERENT;

/// The digest bytes of `text`, or the reason it is not a digest in `encoding`.
pub(super) fn decode_digest(encoding: Encoding, text: &str) -> Result<Vec<u8>, &'static str> {
    match encoding {
        Encoding::Hex => hex::decode(text).map_err(|_| "the digest is not valid hex"),
        Encoding::Base64 => BASE64
            .decode(text)
            .map_err(|_| "the digest is not valid base64"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_is_case_insensitive() {
        assert_eq!(decode_digest(Encoding::Hex, "aB0f"), Ok(vec![0xab, 0x0f]));
    }

    #[test]
    fn odd_length_or_foreign_hex_is_refused() {
        assert!(decode_digest(Encoding::Hex, "abc").is_err());
        assert!(decode_digest(Encoding::Hex, "zz").is_err());
    }

    #[test]
    fn base64_padding_is_optional() {
        assert_eq!(decode_digest(Encoding::Base64, "Zm8="), Ok(b"fo".to_vec()));
        assert_eq!(decode_digest(Encoding::Base64, "Zm8"), Ok(b"fo".to_vec()));
        assert!(decode_digest(Encoding::Base64, "Zm8*").is_err());
    }
}

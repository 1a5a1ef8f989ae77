//! Text short enough for a link: raw DEFLATE (RFC 1951), then base64url without padding
//! (RFC 4648 §5), so that a whole scenario or app state fits in a URL on a slide.
//! Decoding treats its input as untrusted: any byte string gives a value or a
//! [`LinkError`], and the inflated size is capped.

use std::fmt;

/// Most bytes a link may inflate to: far above any real state, far below what would hurt.
pub const MAX_DECODED: usize = 256 * 1024;
/// Most characters of encoded text accepted (a URL that long is already unusable).
pub const MAX_ENCODED: usize = 64 * 1024;

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LinkError {
    /// A character outside base64url, at this position.
    NotBase64 { at: usize },
    /// Longer than [`MAX_ENCODED`].
    TooLong { len: usize },
    /// The bytes are not a DEFLATE stream (a truncated or altered link).
    NotDeflate,
    /// It would inflate past [`MAX_DECODED`].
    TooLarge,
}

impl fmt::Display for LinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LinkError::NotBase64 { at } => {
                write!(f, "character {at} is not base64url (A-Z a-z 0-9 - _)")
            }
            LinkError::TooLong { len } => {
                write!(f, "{len} characters, more than {MAX_ENCODED}")
            }
            LinkError::NotDeflate => write!(f, "not compressed data: truncated or altered"),
            LinkError::TooLarge => write!(f, "it expands past {MAX_DECODED} bytes"),
        }
    }
}

/// `bytes`, compressed and written in base64url.
pub fn encode(bytes: &[u8]) -> String {
    base64url(&miniz_oxide::deflate::compress_to_vec(bytes, 9))
}

/// The bytes `text` was encoded from.
pub fn decode(text: &str) -> Result<Vec<u8>, LinkError> {
    if text.len() > MAX_ENCODED {
        return Err(LinkError::TooLong { len: text.len() });
    }
    let packed = from_base64url(text)?;
    miniz_oxide::inflate::decompress_to_vec_with_limit(&packed, MAX_DECODED).map_err(|e| {
        match e.status {
            miniz_oxide::inflate::TINFLStatus::HasMoreOutput => LinkError::TooLarge,
            _ => LinkError::NotDeflate,
        }
    })
}

fn base64url(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | (b as u32) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

fn from_base64url(text: &str) -> Result<Vec<u8>, LinkError> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for (at, c) in text.bytes().enumerate() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => return Err(LinkError::NotBase64 { at }),
        };
        acc = (acc << 6) | v as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    // One leftover character carries fewer than 8 bits: no whole byte, a broken link.
    if bits >= 6 {
        return Err(LinkError::NotBase64 { at: text.len() - 1 });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64url_matches_rfc_4648_vectors() {
        // RFC 4648 §10, without padding, in the URL-safe alphabet.
        for (plain, coded) in [
            ("", ""),
            ("f", "Zg"),
            ("fo", "Zm8"),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg"),
            ("fooba", "Zm9vYmE"),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64url(plain.as_bytes()), coded);
            assert_eq!(from_base64url(coded).unwrap(), plain.as_bytes());
        }
        assert_eq!(base64url(&[0xfb, 0xff]), "-_8");
        assert_eq!(from_base64url("-_8").unwrap(), vec![0xfb, 0xff]);
    }

    #[test]
    fn round_trips_and_compresses() {
        let state = br#"{"v":1,"kafka_version":"4.0","producer":{"acks":"1","linger.ms":"20"},"partitions":3}"#.repeat(4);
        let text = encode(&state);
        assert!(text.len() < state.len(), "{} ≥ {}", text.len(), state.len());
        assert_eq!(decode(&text).unwrap(), state);
    }

    #[test]
    fn bad_links_are_errors_not_panics() {
        assert_eq!(from_base64url("ab=c"), Err(LinkError::NotBase64 { at: 2 }));
        assert_eq!(decode("Zg+"), Err(LinkError::NotBase64 { at: 2 }));
        assert_eq!(decode("A"), Err(LinkError::NotBase64 { at: 0 }));
        assert_eq!(decode("Zm9vYmFy"), Err(LinkError::NotDeflate));
        let long = "A".repeat(MAX_ENCODED + 1);
        assert!(matches!(decode(&long), Err(LinkError::TooLong { .. })));
        // A bomb: a few hundred bytes that inflate to megabytes.
        let bomb = encode(&vec![b'x'; 4 * MAX_DECODED]);
        assert!(bomb.len() < 10_000);
        assert_eq!(decode(&bomb), Err(LinkError::TooLarge));
        // Every truncation of a good link is refused or decodes to a prefix.
        let good = encode(b"hello, kafka lab");
        for end in 0..good.len() {
            if let Ok(bytes) = decode(&good[..end]) {
                assert!(b"hello, kafka lab".starts_with(&bytes));
            }
        }
    }
}

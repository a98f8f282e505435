//! Standard base64 (RFC 4648 §4, padded), as DSSE envelopes carry payloads
//! and signatures. By hand: a few hundred bytes of wasm rather than the
//! general crate's kilobytes. Decoding is strict: canonical padding only and
//! no stray bits, so one payload has exactly one encoding.

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Why a text is not canonical base64.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Base64Error {
    #[error("length {0} is not a multiple of 4")]
    Length(usize),
    #[error("invalid character at offset {0}")]
    Character(usize),
    #[error("padding or trailing bits are not canonical")]
    Padding,
}

pub(crate) fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = |i: usize| u32::from(chunk.get(i).copied().unwrap_or(0));
        let n = (b(0) << 16) | (b(1) << 8) | b(2);
        for i in 0..4 {
            let c = if i <= chunk.len() {
                ALPHABET
                    .get(((n >> (18 - 6 * i)) & 63) as usize)
                    .copied()
                    .unwrap_or(b'=')
            } else {
                b'='
            };
            out.push(char::from(c));
        }
    }
    out
}

fn sextet(c: u8) -> Option<u32> {
    let v = match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => return None,
    };
    Some(u32::from(v))
}

pub(crate) fn decode(text: &[u8]) -> Result<Vec<u8>, Base64Error> {
    if text.len() % 4 != 0 {
        return Err(Base64Error::Length(text.len()));
    }
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let quads = text.len() / 4;
    for (q, quad) in text.chunks_exact(4).enumerate() {
        let last = q + 1 == quads;
        let pad = quad.iter().rev().take_while(|c| **c == b'=').count();
        if pad > 2 || (pad > 0 && !last) {
            return Err(Base64Error::Padding);
        }
        let mut n = 0u32;
        for (i, c) in quad.iter().enumerate() {
            n <<= 6;
            if i < 4 - pad {
                n |= sextet(*c).ok_or(Base64Error::Character(q * 4 + i))?;
            }
        }
        let bytes = n.to_be_bytes();
        let (_, keep) = bytes.split_at(1);
        let (keep, dropped) = keep.split_at(3 - pad);
        if dropped.iter().any(|b| *b != 0) {
            return Err(Base64Error::Padding);
        }
        out.extend_from_slice(keep);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ::base64::Engine as _;
    use ::base64::engine::general_purpose::STANDARD;

    #[test]
    fn round_trips_as_the_standard_engine_does() {
        for len in 0..70 {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 37 + len) as u8).collect();
            let text = encode(&bytes);
            assert_eq!(text, STANDARD.encode(&bytes));
            assert_eq!(decode(text.as_bytes()), Ok(bytes));
        }
    }

    #[test]
    fn refuses_what_the_standard_engine_refuses() {
        for bad in [
            "abc", "ab=c", "a===", "ab==ab==", "AB==", "ABC=", "ab c", "ab-_", "=abc",
        ] {
            assert!(decode(bad.as_bytes()).is_err(), "{bad}");
            assert!(STANDARD.decode(bad).is_err(), "{bad}");
        }
        assert_eq!(decode(b"abc"), Err(Base64Error::Length(3)));
        assert_eq!(decode(b"ab-_"), Err(Base64Error::Character(2)));
        assert_eq!(decode(b"AB=="), Err(Base64Error::Padding));
        assert_eq!(decode(b"AA=="), Ok(vec![0]));
    }
}

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

/// Each byte's 6-bit value, or `NOT` for bytes outside the alphabet.
const NOT: u8 = 0xff;
const SEXTETS: [u8; 256] = sextets();

// Evaluated at compile time, where an index out of range fails the build.
#[allow(clippy::indexing_slicing)]
const fn sextets() -> [u8; 256] {
    let mut table = [NOT; 256];
    let mut i = 0;
    while i < 64 {
        table[ALPHABET[i] as usize] = i as u8;
        i += 1;
    }
    table
}

pub(crate) fn decode(text: &[u8]) -> Result<Vec<u8>, Base64Error> {
    if text.len() % 4 != 0 {
        return Err(Base64Error::Length(text.len()));
    }
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let quads = text.len() / 4;
    for (q, quad) in text.chunks_exact(4).enumerate() {
        let pad = if q + 1 == quads {
            quad.iter().rev().take_while(|c| **c == b'=').count()
        } else {
            0
        };
        if pad > 2 {
            return Err(Base64Error::Padding);
        }
        let mut n = 0u32;
        for (i, c) in quad.iter().enumerate() {
            let v = if i < 4 - pad {
                SEXTETS.get(usize::from(*c)).copied().unwrap_or(NOT)
            } else {
                0
            };
            if v == NOT {
                // A `=` before the end is padding in the wrong place.
                return Err(if *c == b'=' {
                    Base64Error::Padding
                } else {
                    Base64Error::Character(q * 4 + i)
                });
            }
            n = (n << 6) | u32::from(v);
        }
        let [_, a, b, c] = n.to_be_bytes();
        match pad {
            0 => out.extend_from_slice(&[a, b, c]),
            1 if c == 0 => out.extend_from_slice(&[a, b]),
            2 if b == 0 && c == 0 => out.push(a),
            _ => return Err(Base64Error::Padding),
        }
    }
    Ok(out)
}

/// Lowercase hex, the other way bytes are written as text (digests, key ids).
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    let digit = |n: u8| char::from(DIGITS.get(usize::from(n)).copied().unwrap_or(b'0'));
    for b in bytes {
        s.push(digit(b >> 4));
        s.push(digit(b & 15));
    }
    s
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
        assert_eq!(decode(b"ab==ab=="), Err(Base64Error::Padding));
        assert_eq!(decode(b"=abc"), Err(Base64Error::Padding));
    }
}

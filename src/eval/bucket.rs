//! Deterministic bucketing, exactly as `docs/bucketing.md` writes it down:
//! every runtime must put a user in the same bucket, so nothing here may
//! depend on the platform, the allocator or the order of evaluation.

use xxhash_rust::xxh3::xxh3_64_with_seed;

pub use crate::model::BUCKETS;

/// Seed of the hash that decides whether a user is inside the rollout.
pub const INCLUSION_SEED: u64 = 0;

/// Seed of the hash that picks the variant of a user inside the rollout.
/// A second, independent hash keeps a user's variant fixed as stages advance.
pub const VARIANT_SEED: u64 = 1;

/// Maps a 64-bit hash to `[0, BUCKETS)` by taking the high part of
/// `hash * BUCKETS`: no modulo, and every bucket gets ⌊2^64/BUCKETS⌋ or
/// ⌈2^64/BUCKETS⌉ hash values.
#[inline]
pub fn to_bucket(hash: u64) -> u32 {
    // The high 64 bits of `hash * BUCKETS`, in two 32-bit halves: wasm has no
    // 128-bit product, and its `__multi3` call was a tenth of an evaluation.
    // Exact: with hash = h·2^32 + l, ⌊hash·B / 2^64⌋ = ⌊(h·B + ⌊l·B / 2^32⌋) / 2^32⌋,
    // and h·B < 2^49 leaves room for the sum. Below BUCKETS, so the cast is lossless.
    let b = u64::from(BUCKETS);
    (((hash >> 32) * b + (((hash & 0xffff_ffff) * b) >> 32)) >> 32) as u32
}

/// The bucket of `value` under `salt` for the given seed.
///
/// Bytes hashed: `len(salt)` as u32 little-endian, the salt's UTF-8 bytes,
/// `len(value)` as u32 little-endian, the value's UTF-8 bytes. Length
/// prefixes keep `("ab", "c")` and `("a", "bc")` apart.
#[inline]
pub fn bucket(salt: &[u8], value: &[u8], seed: u64) -> u32 {
    // Zeroing a stack buffer costs time on every evaluation: keep it small,
    // since salts and keys are short, and fall back to the heap beyond.
    const STACK: usize = 64;
    let total = 8 + salt.len() + value.len();
    let hash = if total <= STACK {
        let mut buf = [0u8; STACK];
        let n = frame_into(&mut buf, salt, value);
        xxh3_64_with_seed(buf.get(..n).unwrap_or_default(), seed)
    } else {
        xxh3_64_with_seed(&frame(salt, value), seed)
    };
    to_bucket(hash)
}

fn frame_into(buf: &mut [u8], salt: &[u8], value: &[u8]) -> usize {
    let mut at = 0;
    for part in [salt, value] {
        // Lengths above u32::MAX cannot come from a snapshot within the size limit.
        let len = u32::try_from(part.len()).unwrap_or(u32::MAX).to_le_bytes();
        for chunk in [&len[..], part] {
            if let Some(dst) = buf.get_mut(at..at + chunk.len()) {
                dst.copy_from_slice(chunk);
            }
            at += chunk.len();
        }
    }
    at
}

/// The framed bytes, for documentation and other implementations' tests.
pub fn frame(salt: &[u8], value: &[u8]) -> Vec<u8> {
    let mut buf = vec![0u8; 8 + salt.len() + value.len()];
    let n = frame_into(&mut buf, salt, value);
    buf.truncate(n);
    buf
}

/// Writes an integer in decimal into `buf`, returning the digits: integral
/// numbers bucket as their decimal string, as in every other runtime.
pub(crate) fn decimal(n: i64, buf: &mut [u8; 20]) -> &[u8] {
    let mut i = buf.len();
    let neg = n < 0;
    let mut m = n.unsigned_abs();
    loop {
        i -= 1;
        if let Some(slot) = buf.get_mut(i) {
            *slot = b'0' + (m % 10) as u8;
        }
        m /= 10;
        if m == 0 || i == 0 {
            break;
        }
    }
    if neg && i > 0 {
        i -= 1;
        if let Some(slot) = buf.get_mut(i) {
            *slot = b'-';
        }
    }
    buf.get(i..).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn framing_is_length_prefixed() {
        assert_eq!(frame(b"ab", b"c"), b"\x02\0\0\0ab\x01\0\0\0c");
        assert_ne!(frame(b"ab", b"c"), frame(b"a", b"bc"));
    }

    #[test]
    fn bucket_edges() {
        assert_eq!(to_bucket(0), 0);
        assert_eq!(to_bucket(u64::MAX), BUCKETS - 1);
        assert_eq!(to_bucket(1 << 63), BUCKETS / 2);
    }

    #[test]
    fn buckets_are_the_high_part_of_the_128_bit_product() {
        let mut h: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..100_000 {
            h = h.rotate_left(17).wrapping_mul(0xbf58_476d_1ce4_e5b9) ^ 0x94d0_49bb;
            let wide = ((u128::from(h) * u128::from(BUCKETS)) >> 64) as u32;
            assert_eq!(to_bucket(h), wide, "{h:#x}");
        }
        for h in [
            0,
            1,
            u64::MAX,
            u64::MAX - 1,
            1 << 32,
            (1 << 32) - 1,
            u64::MAX << 32,
        ] {
            assert_eq!(
                u128::from(to_bucket(h)),
                (u128::from(h) * u128::from(BUCKETS)) >> 64
            );
        }
    }

    #[test]
    fn long_values_hash_like_short_ones() {
        let long = "x".repeat(1000);
        let expect = to_bucket(xxh3_64_with_seed(&frame(b"s", long.as_bytes()), 0));
        assert_eq!(bucket(b"s", long.as_bytes(), 0), expect);
    }

    #[test]
    fn decimals() {
        let mut b = [0u8; 20];
        assert_eq!(decimal(0, &mut b), b"0");
        assert_eq!(decimal(-42, &mut b), b"-42");
        assert_eq!(decimal(i64::MIN, &mut b), b"-9223372036854775808");
        assert_eq!(decimal(9_007_199_254_740_992, &mut b), b"9007199254740992");
    }
}

//! An immutable, compiled set of flags for one environment: what the edge,
//! the browser and the CLI evaluate.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use crate::compile::condition::Cond;
use crate::compile::{self, Flag, Origins};
use crate::format::time::Timestamp;
use crate::model::error::ReleaseError;
use crate::model::{Definitions, FlagDef};

/// A multiply-rotate hasher (the Fx hash of rustc) for lookups by flag key and
/// targeting key on every evaluation. SipHash's flooding resistance buys
/// nothing here: the keys come from a signed snapshot.
#[derive(Default)]
pub struct KeyHasher(u64);

impl KeyHasher {
    #[inline]
    fn mix(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl Hasher for KeyHasher {
    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.mix(u64::from_le_bytes(w));
        }
        let mut w = [0u8; 8];
        let rest = chunks.remainder();
        if let Some(dst) = w.get_mut(..rest.len()) {
            dst.copy_from_slice(rest);
        }
        self.mix(u64::from_le_bytes(w) ^ ((rest.len() as u64) << 59));
    }
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.mix(u64::from(i));
    }
    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.mix(i as u64);
    }
}

pub(crate) type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<KeyHasher>>;

/// Compiled flags, ready to evaluate. Cheap to share, never mutated.
pub struct Snapshot {
    pub(crate) defs: Definitions,
    pub(crate) flags: Vec<Flag>,
    pub(crate) segments: Vec<Vec<Cond>>,
    pub(crate) index: FastMap<Box<str>, usize>,
    /// When the signed snapshot stops being fresh; evaluations after it are `STALE`.
    pub(crate) expires_at: Option<Timestamp>,
}

impl std::fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Snapshot")
            .field("release", &self.defs.release.name)
            .field("environment", &self.defs.environment)
            .field("flags", &self.defs.flags.len())
            .finish()
    }
}

impl Snapshot {
    /// Validates and compiles definitions.
    pub fn compile(defs: Definitions) -> Result<Snapshot, ReleaseError> {
        let origins: Vec<Origins> = defs.flags.keys().map(|_| Origins::default()).collect();
        Snapshot::compile_with(defs, &origins)
    }

    pub(crate) fn compile_with(
        defs: Definitions,
        origins: &[Origins],
    ) -> Result<Snapshot, ReleaseError> {
        let segments = compile::segments(&defs.segments)?;
        let mut flags = Vec::with_capacity(defs.flags.len());
        for ((key, def), origin) in defs.flags.iter().zip(origins) {
            flags.push(compile::flag(key, def, &defs, origin)?);
        }
        let keys: Vec<&str> = defs.flags.keys().map(String::as_str).collect();
        compile::check_cycles(&flags, &keys)?;
        let index = compile::index(&keys);
        Ok(Snapshot {
            defs,
            flags,
            segments,
            index,
            expires_at: None,
        })
    }

    /// This snapshot with an expiry: from then on every evaluation is `STALE`,
    /// and flags marked `stale = "safe"` serve their rollback variant.
    pub fn with_expiry(mut self, expires_at: Option<Timestamp>) -> Self {
        self.expires_at = expires_at;
        self
    }

    /// When the snapshot expires, if it does.
    pub fn expires_at(&self) -> Option<Timestamp> {
        self.expires_at
    }

    /// Whether the snapshot has expired at `now`.
    pub fn is_stale(&self, now: Timestamp) -> bool {
        self.expires_at.is_some_and(|e| now > e)
    }

    /// The definitions this snapshot was compiled from.
    pub fn definitions(&self) -> &Definitions {
        &self.defs
    }

    /// The environment the snapshot is for.
    pub fn environment(&self) -> &str {
        &self.defs.environment
    }

    /// The flag keys, in the order of the release file.
    pub fn flag_keys(&self) -> impl ExactSizeIterator<Item = &str> {
        self.defs.flags.keys().map(String::as_str)
    }

    /// A flag's definition by key.
    pub fn flag(&self, key: &str) -> Option<&FlagDef> {
        self.defs.flags.get(key)
    }

    /// A flag's position, for evaluating the same flag many times without a lookup.
    pub fn flag_id(&self, key: &str) -> Option<FlagId> {
        self.index.get(key).map(|i| FlagId(*i))
    }
}

/// A flag's position in one snapshot (see [`Snapshot::flag_id`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FlagId(pub(crate) usize);

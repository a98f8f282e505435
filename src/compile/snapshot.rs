//! An immutable, compiled set of flags for one environment: what the edge,
//! the browser and the CLI evaluate.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use crate::compile::condition::Cond;
use crate::compile::{self, Flag, Origins};
use crate::format::time::Timestamp;
use crate::model::context::TARGETING_KEY;
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

/// Compiled flags, ready to evaluate. Cheap to share; only a guard's halt
/// ([`Snapshot::apply_halts`]) changes how it evaluates.
#[derive(Clone)]
pub struct Snapshot {
    pub(crate) defs: Definitions,
    pub(crate) flags: Vec<Flag>,
    pub(crate) segments: Vec<Vec<Cond>>,
    pub(crate) index: FastMap<Box<str>, usize>,
    /// Every attribute any flag reads, in order of first use.
    pub(crate) attributes: Vec<Box<str>>,
    /// Per flag, the positions in `attributes` of those its result can depend on.
    pub(crate) reads: Vec<Vec<u32>>,
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
        let segments = compile::segments(&defs)?;
        let mut flags = Vec::with_capacity(defs.flags.len());
        for ((key, def), origin) in defs.flags.iter().zip(origins) {
            flags.push(compile::flag(key, def, &defs, origin)?);
        }
        let keys: Vec<&str> = defs.flags.keys().map(String::as_str).collect();
        compile::check_cycles(&flags, &keys)?;
        let index = compile::index(&keys);
        let (attributes, reads) = attributes(&flags, &segments);
        Ok(Snapshot {
            defs,
            flags,
            segments,
            index,
            attributes,
            reads,
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

    /// The names of every context attribute that any condition, target list
    /// or bucketing of this snapshot reads, each once, in order of first use.
    /// No other attribute can change a result, so a caller holding a large
    /// context object may convert only these (the JS wrapper does, per call).
    pub fn attributes(&self) -> &[Box<str>] {
        &self.attributes
    }

    /// The positions in [`Snapshot::attributes`] of the attributes that flag
    /// `id`'s result can depend on: its own conditions, segments, targets and
    /// bucketing, and its prerequisites', transitively. A caller may reuse a
    /// converted context for this flag when these attributes are unchanged.
    pub fn flag_attributes(&self, id: FlagId) -> &[u32] {
        self.reads.get(id.0).map_or(&[], Vec::as_slice)
    }

    /// A flag's position, for evaluating the same flag many times without a lookup.
    pub fn flag_id(&self, key: &str) -> Option<FlagId> {
        self.index.get(key).map(|i| FlagId(*i))
    }
}

/// A flag's position in one snapshot (see [`Snapshot::flag_id`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FlagId(pub(crate) usize);

/// What [`Snapshot::attributes`] and [`Snapshot::flag_attributes`] list.
/// Prerequisites are acyclic (checked before), so the recursion ends.
fn attributes(flags: &[Flag], segments: &[Vec<Cond>]) -> (Vec<Box<str>>, Vec<Vec<u32>>) {
    let mut names: Vec<Box<str>> = Vec::new();
    let mut own: Vec<Vec<u32>> = Vec::with_capacity(flags.len());
    for flag in flags {
        let mut reads = Vec::new();
        let mut add = |name: &str| {
            let at = match names.iter().position(|n| **n == *name) {
                Some(at) => at,
                None => {
                    names.push(name.into());
                    names.len() - 1
                }
            };
            // Fewer than 2^32 attributes fit in a snapshot within the size limit.
            let at = u32::try_from(at).unwrap_or(u32::MAX);
            if !reads.contains(&at) {
                reads.push(at);
            }
        };
        if !flag.targets.is_empty() {
            add(TARGETING_KEY);
        }
        for step in flag.rollbacks.iter().chain(&flag.rules) {
            let segment = step.segment.and_then(|s| segments.get(s));
            for cond in segment.into_iter().flatten().chain(&step.conds) {
                add(cond.attr());
            }
            if let crate::compile::Serve::Rollout(plan) = &step.serve {
                add(&plan.by);
            }
        }
        if let Some(plan) = &flag.rollout {
            add(&plan.by);
        }
        own.push(reads);
    }
    let mut all: Vec<Option<Vec<u32>>> = vec![None; flags.len()];
    for i in 0..flags.len() {
        with_prerequisites(i, flags, &own, &mut all);
    }
    (
        names,
        all.into_iter().map(Option::unwrap_or_default).collect(),
    )
}

fn with_prerequisites(
    i: usize,
    flags: &[Flag],
    own: &[Vec<u32>],
    all: &mut [Option<Vec<u32>>],
) -> Vec<u32> {
    if let Some(Some(done)) = all.get(i) {
        return done.clone();
    }
    let mut reads = own.get(i).cloned().unwrap_or_default();
    for (p, _) in flags.get(i).map_or(&[][..], |f| &f.prerequisites) {
        for at in with_prerequisites(*p, flags, own, all) {
            if !reads.contains(&at) {
                reads.push(at);
            }
        }
    }
    if let Some(slot) = all.get_mut(i) {
        *slot = Some(reads.clone());
    }
    reads
}

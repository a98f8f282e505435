#![doc = include_str!("../README.md")]

#[cfg(feature = "console")]
mod console;
mod context;
mod convert;
mod options;
mod outcome;
mod resolve;

// The size-tuned browser build allocates with a free list: 3.2 KB less
// (gzip) than the default dlmalloc, and a page allocates little (a snapshot,
// its contexts). Node, workers and the console keep dlmalloc (BENCHMARKS.md).
#[cfg(all(target_arch = "wasm32", not(feature = "console")))]
#[global_allocator]
static ALLOC: lol_alloc::LockedAllocator<lol_alloc::FreeListAllocator> =
    lol_alloc::LockedAllocator::new(lol_alloc::FreeListAllocator::new());

use edgeflag::{FlagId, Verified};
use wasm_bindgen::prelude::*;

pub use context::FlagContext;
pub use convert::time_micros;
pub use resolve::{Kind, UNCACHED};

use convert::{error, timestamp};
use outcome::Outcomes;

/// Whether a snapshot refused with `code` may be accepted later unchanged:
/// the core's rule (a verdict that depends on the clock, such as
/// `ISSUED_IN_FUTURE`), so a consumer knows when to offer the same bytes again.
#[wasm_bindgen(js_name = mayChange)]
pub fn may_change(code: &str) -> bool {
    edgeflag::SnapshotError::may_change(code)
}

/// The name a floor store keeps an environment's high-water mark under, for
/// `audience` ("server" or "browser"): the core's rule, so the npm providers
/// and the worker name marks alike.
#[wasm_bindgen(js_name = markName)]
pub fn mark_name(environment: &str, audience: &str) -> Result<String, JsValue> {
    let audience = edgeflag::Audience::from_name(audience).ok_or_else(|| {
        error(
            "INVALID_ARGUMENT",
            format!("unknown audience `{audience}`: server or browser"),
        )
    })?;
    Ok(edgeflag::mark_name(environment, audience))
}

/// The result number that stands for "read it with `lastOutcome()`".
#[wasm_bindgen(js_name = uncachedOutcome)]
pub fn uncached_outcome() -> u32 {
    UNCACHED
}

/// An envelope as bytes (a string's UTF-8, any `ArrayBuffer` view, or an
/// `ArrayBuffer`), as `fromSnapshot` reads it; `MALFORMED` for anything else.
#[wasm_bindgen(js_name = envelopeBytes)]
pub fn envelope_bytes(envelope: &JsValue) -> Result<Vec<u8>, JsValue> {
    options::envelope_bytes(envelope)
}

/// A verified snapshot, ready to evaluate.
#[wasm_bindgen]
pub struct EdgeFlags {
    verified: Verified,
    /// Flag keys and ids in release-file order; JS numbers flags by position.
    flags: Vec<(String, FlagId)>,
    outcomes: Outcomes,
}

#[wasm_bindgen]
impl EdgeFlags {
    /// Judges a signed snapshot (DSSE envelope) with the core's acceptance
    /// policy (`accept`: against `options.current` and `options.floor` when
    /// given) and loads it. Errors start with a stable code: the core's snapshot codes
    /// (`BAD_SIGNATURE`, `EXPIRED`, ...), `INVALID_KEY` for a trusted key that
    /// is not an Ed25519 SPKI PEM, `INVALID_ARGUMENT` for other bad options.
    #[wasm_bindgen(js_name = fromSnapshot)]
    pub fn from_snapshot(envelope: &JsValue, options: &JsValue) -> Result<EdgeFlags, JsValue> {
        let (policy, holding) = options::policy(options)?;
        let bytes = options::envelope_bytes(envelope)?;
        let verified =
            edgeflag::accept(&bytes, &policy, &holding).map_err(|e| error(e.code(), &e))?;
        let snapshot = &verified.snapshot;
        let flags: Vec<(String, FlagId)> = snapshot
            .flag_keys()
            .filter_map(|k| Some((k.to_owned(), snapshot.flag_id(k)?)))
            .collect();
        let outcomes = Outcomes::new(flags.len());
        Ok(EdgeFlags {
            verified,
            flags,
            outcomes,
        })
    }

    /// The snapshot's version (it only grows per environment).
    #[wasm_bindgen(getter)]
    pub fn version(&self) -> f64 {
        self.verified.version as f64
    }

    /// The environment the snapshot was built for.
    #[wasm_bindgen(getter)]
    pub fn environment(&self) -> String {
        self.verified.snapshot.environment().to_owned()
    }

    /// When the snapshot was issued, RFC 3339.
    #[wasm_bindgen(getter, js_name = issuedAt)]
    pub fn issued_at(&self) -> String {
        self.verified.issued_at.to_string()
    }

    /// When the snapshot expires, RFC 3339; `undefined` if never.
    #[wasm_bindgen(getter, js_name = expiresAt)]
    pub fn expires_at(&self) -> Option<String> {
        self.verified.expires_at.map(|t| t.to_string())
    }

    /// Whether the snapshot has expired at `now` (microseconds, see `timeMicros`).
    #[wasm_bindgen(js_name = isExpired)]
    pub fn is_expired(&self, now: f64) -> bool {
        timestamp(now).is_some_and(|t| self.verified.is_expired(t))
    }

    /// Whether the snapshot was built with `--expires-in never --force`.
    #[wasm_bindgen(getter, js_name = neverExpires)]
    pub fn never_expires(&self) -> bool {
        self.verified.never_expires
    }

    /// Whom the snapshot is for: `"server"` or `"browser"`.
    #[wasm_bindgen(getter)]
    pub fn audience(&self) -> String {
        self.verified.audience.name().to_owned()
    }

    /// The payload's digest, `sha256:` and hex.
    #[wasm_bindgen(getter)]
    pub fn digest(&self) -> String {
        self.verified.digest.clone()
    }

    /// The digest of the previous snapshot of this environment, if any.
    #[wasm_bindgen(getter)]
    pub fn previous(&self) -> Option<String> {
        self.verified.previous.clone()
    }

    /// Whether the snapshot was built with `--force` despite a failing checklist.
    #[wasm_bindgen(getter)]
    pub fn forced(&self) -> bool {
        self.verified.forced
    }

    /// The release candidate (`edgeflag::candidate`): the same in every
    /// environment's snapshot of one release.
    #[wasm_bindgen(getter)]
    pub fn candidate(&self) -> Option<String> {
        self.verified.candidate.clone()
    }

    /// How the promotion gate let the snapshot through: `{ from, version,
    /// digest, issuedAt, hotfix, forced }`, or `undefined`. Built field by
    /// field: serde_json's writer would add kilobytes to the browser build.
    #[wasm_bindgen(getter)]
    pub fn promotion(&self) -> JsValue {
        let Some(p) = &self.verified.promotion else {
            return JsValue::UNDEFINED;
        };
        let text = |t: &Option<String>| t.as_deref().map_or(JsValue::UNDEFINED, JsValue::from_str);
        let o = js_sys::Object::new();
        let fields = [
            ("from", JsValue::from_str(&p.from)),
            (
                "version",
                p.version
                    .map_or(JsValue::UNDEFINED, |v| JsValue::from_f64(v as f64)),
            ),
            ("digest", text(&p.digest)),
            ("issuedAt", text(&p.issued_at)),
            ("hotfix", JsValue::from_bool(p.hotfix)),
            ("forced", text(&p.forced)),
        ];
        for (k, v) in fields {
            // Setting a property on a fresh plain object cannot fail.
            let _ = js_sys::Reflect::set(&o, &JsValue::from_str(k), &v);
        }
        o.into()
    }

    /// The ids of the trusted keys whose signatures verified.
    #[wasm_bindgen(getter, js_name = signedBy)]
    pub fn signed_by(&self) -> Vec<String> {
        self.verified.signed_by.clone()
    }

    /// Applies the fleet's guard halts (docs/guards.md), given as the JSON
    /// list of halt records `GET /v1/guards` shows, in place of any applied
    /// before: each whose flag, rule and plan match a guarded rollout of this
    /// snapshot takes effect as the signed guard says. Returns how many
    /// applied. Not in the browser build: browsers read no guard ledger.
    #[cfg(feature = "halts")]
    #[wasm_bindgen(js_name = applyHalts)]
    pub fn apply_halts(&mut self, halts: &str) -> Result<u32, JsValue> {
        let halts: Vec<edgeflag::halt::Halt> = serde_json::from_str(halts)
            .map_err(|e| error("INVALID_ARGUMENT", format_args!("halts: {e}")))?;
        let applied = self.verified.snapshot.apply_halts(&halts).len();
        // Results borrowed names from the plans a halt changes.
        self.outcomes = Outcomes::new(self.flags.len());
        Ok(u32::try_from(applied).unwrap_or(u32::MAX))
    }

    /// The flag keys in release-file order.
    #[wasm_bindgen(js_name = flagKeys)]
    pub fn flag_keys(&self) -> Vec<String> {
        self.flags.iter().map(|(k, _)| k.clone()).collect()
    }

    /// The attributes that any flag of this snapshot reads
    /// (`Snapshot::attributes`): the only properties of a plain context
    /// object that the wrapper converts.
    pub fn attributes(&self) -> Vec<String> {
        let names = self.verified.snapshot.attributes();
        names.iter().map(|n| n.to_string()).collect()
    }

    /// The positions in `attributes()` of those flag number `flag` reads
    /// (`Snapshot::flag_attributes`).
    #[wasm_bindgen(js_name = flagAttributes)]
    pub fn flag_attributes(&self, flag: u32) -> Vec<u32> {
        match self.flags.get(flag as usize) {
            Some((_, id)) => self.verified.snapshot.flag_attributes(*id).to_vec(),
            None => Vec::new(),
        }
    }

    /// The context of `attributes()`'s values, encoded by the wrapper (see
    /// `context::decode_slots`); `INVALID_CONTEXT` when the encoding is bad.
    #[wasm_bindgen(js_name = contextOf)]
    pub fn context_of(&self, slots: &str) -> Result<FlagContext, JsValue> {
        context::decode_slots(self.verified.snapshot.attributes(), slots)
            .map(|ctx| FlagContext { ctx })
            .map_err(|m| {
                error(
                    "INVALID_CONTEXT",
                    format!("the context cannot be read: {m}"),
                )
            })
    }

    /// Parses a context once, for any number of evaluations (`INVALID_CONTEXT`
    /// when it is not an object of JSON-compatible attributes).
    pub fn context(&self, attributes: &JsValue) -> Result<FlagContext, JsValue> {
        context::parse_context(attributes)
            .map(|ctx| FlagContext { ctx })
            .map_err(|m| error("INVALID_CONTEXT", m))
    }
}

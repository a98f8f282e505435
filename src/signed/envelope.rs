//! What travels: the DSSE envelope and the payload it signs, each declared
//! once (see `format::decode`), so the CLI writes exactly what the edge reads.

use crate::format::decode::schema;
use crate::model::{Audience, Definitions};

schema! {
    /// The DSSE envelope as it travels and is stored.
    pub struct Envelope {
        payload: String = req "payload",
        payload_type: String = req "payloadType",
        signatures: Vec<EnvelopeSignature> = req "signatures",
    }
}

schema! {
    /// One signature of an envelope.
    pub struct EnvelopeSignature {
        keyid: String = req "keyid",
        sig: String = req "sig",
    }
}

schema! {
    /// What a snapshot says: its place in the history and the flag definitions.
    pub struct Payload {
        schema: u32 = req "schema",
        /// Only grows per environment; the edge refuses anything below what it served.
        version: u64 = req "version",
        issued_at: String = req "issued_at",
        expires_at: Option<String> = opt "expires_at",
        /// The digest of the previous payload of this environment: the audit chain.
        previous: Option<String> = opt "previous",
        /// Built with `--force` despite a failing release checklist.
        forced: bool = or_default "forced",
        /// Built with `--expires-in never --force`: no `expires_at`, on purpose.
        /// Without it, a payload with no expiry is refused (`NO_EXPIRY`).
        never_expires: bool = or_default "never_expires",
        /// Whom the snapshot is for: a consumer refuses any other audience,
        /// so an edge snapshot never reaches a browser, nor the reverse.
        audience: Audience = or_default "audience",
        /// The release candidate: the digest of the release file's meaning
        /// (`reports::promote::candidate`), the same in every environment's
        /// snapshot of one release.
        candidate: Option<String> = opt "candidate",
        /// How the promotion gate let this snapshot through, in a gated environment.
        promotion: Option<Promotion> = opt "promotion",
        definitions: Definitions = req "definitions",
    }
}

schema! {
    /// The gate's record: the snapshot of the source environment the
    /// candidate soaked in, or why `--force` bypassed the gate.
    pub struct Promotion {
        /// The source environment (`[checklist] promote.from`).
        from: String = req "from",
        /// The source snapshot of the same candidate: version, digest, issue time.
        version: Option<u64> = opt "version",
        digest: Option<String> = opt "digest",
        issued_at: Option<String> = opt "issued_at",
        /// Only hotfix flags changed since the target's previous snapshot,
        /// so the shorter `hotfix_soak` applied.
        hotfix: bool = or_default "hotfix",
        /// Built with `--force --reason`: the gate was bypassed, and why.
        forced: Option<String> = opt "forced",
    }
}

#[cfg(test)]
#[path = "decode_tests.rs"]
mod tests;

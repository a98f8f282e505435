//! Exposures: which flag served which variant, and why, under which snapshot.
//! Counted into Workers Analytics Engine (when `EXPOSURES` is bound) so a
//! release manager can watch each stage, and sampled into JSON log lines so a
//! post-mortem can tell which version served what. No context attribute is
//! ever recorded: targeting keys are personal data.

use edgeflag::{Reason, Resolution};

use crate::loader::Loaded;

/// Analytics Engine accepts this many data points per invocation; a bulk
/// answer for a larger release counts its first flags only (and says so).
pub const MAX_POINTS_PER_REQUEST: usize = 250;

/// One evaluation, as counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Exposure<'a> {
    pub flag: &'a str,
    pub variant: Option<&'a str>,
    pub reason: Reason,
}

impl<'a> Exposure<'a> {
    pub fn of(flag: &'a str, res: &Resolution<'a>) -> Self {
        Exposure {
            flag,
            variant: res.variant,
            reason: res.reason,
        }
    }
}

/// An Analytics Engine data point. Schema: index = flag (the sampling key,
/// so each flag is sampled on its own); blobs = flag, variant (empty when
/// none), reason, environment, snapshot version; doubles = 1 (the count),
/// snapshot version.
#[derive(Clone, Debug, PartialEq)]
pub struct DataPoint {
    pub index: String,
    pub blobs: [String; 5],
    pub doubles: [f64; 2],
}

pub fn data_point(e: &Exposure<'_>, l: &Loaded) -> DataPoint {
    DataPoint {
        index: e.flag.to_owned(),
        blobs: [
            e.flag.to_owned(),
            e.variant.unwrap_or_default().to_owned(),
            e.reason.name().to_owned(),
            l.environment().to_owned(),
            l.version.to_string(),
        ],
        doubles: [1.0, l.version as f64],
    }
}

/// Whether a request's exposures are logged: `draw` is uniform in `[0, 1)`.
pub fn sampled(rate: f64, draw: f64) -> bool {
    draw < rate
}

/// One structured log line per exposure of a sampled request. `sample` is the
/// rate, so counts can be scaled back up.
pub fn log_line(e: &Exposure<'_>, l: &Loaded, sample: f64) -> String {
    serde_json::json!({
        "event": "exposure",
        "flag": e.flag,
        "variant": e.variant,
        "reason": e.reason.name(),
        "snapshot_version": l.version,
        "environment": l.environment(),
        "release": l.release(),
        "sample": sample,
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loader::{Loader, Outcome};
    use crate::testkit::{at, config, envelope, key};
    use edgeflag::Context;

    #[test]
    fn points_and_lines_name_flag_variant_reason_and_version() {
        let now = at("2026-11-27T00:00:00Z");
        let mut l = Loader::default();
        l.begin(now);
        let Outcome::Accepted(loaded) =
            l.offer(Ok(Some(envelope(&key(1), 12, None))), &config(), now)
        else {
            panic!("not loaded")
        };
        let ctx = Context::with_key("u1").with("beta", true);
        let res = loaded.snapshot.evaluate("new-checkout", &ctx, now);
        let e = Exposure::of("new-checkout", &res);
        let p = data_point(&e, &loaded);
        assert_eq!(p.index, "new-checkout");
        assert_eq!(
            p.blobs,
            ["new-checkout", "on", "TARGETING_MATCH", "production", "12"].map(String::from)
        );
        assert_eq!(p.doubles, [1.0, 12.0]);
        let line: serde_json::Value = serde_json::from_str(&log_line(&e, &loaded, 0.25)).unwrap();
        assert_eq!(
            line,
            serde_json::json!({"event": "exposure", "flag": "new-checkout", "variant": "on",
                "reason": "TARGETING_MATCH", "snapshot_version": 12, "environment": "production",
                "release": "unit", "sample": 0.25})
        );
        assert!(
            sampled(0.01, 0.005)
                && !sampled(0.01, 0.01)
                && !sampled(0.0, 0.0)
                && sampled(1.0, 0.999)
        );
    }
}

//! Exposures: which flag served which variant, and why, under which snapshot.
//! Counted into Workers Analytics Engine (when `EXPOSURES` is bound) so a
//! release manager can watch each stage, and sampled into JSON log lines so a
//! post-mortem can tell which version served what. No context attribute is
//! ever recorded: targeting keys are personal data.

use edgeflag::halt::GuardHit;
use edgeflag::{Reason, Resolution};

use crate::loader::Loaded;

/// Analytics Engine accepts this many data points per invocation; a bulk
/// answer for a larger release counts its first flags only (and says so).
pub const MAX_POINTS_PER_REQUEST: usize = 250;

/// One evaluation, as counted.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Exposure<'a> {
    pub flag: &'a str,
    pub variant: Option<&'a str>,
    pub reason: Reason,
    /// The rule or partial rollback that decided, so each rule rollout can be
    /// watched on its own.
    pub rule: Option<&'a str>,
    /// The stage (0-based) of the rollout that decided.
    pub stage: Option<usize>,
    /// The guarded rollout the user counts for, and the arm.
    pub guard: Option<GuardHit>,
}

impl<'a> Exposure<'a> {
    pub fn of(flag: &'a str, res: &Resolution<'a>) -> Self {
        Exposure {
            flag,
            variant: res.variant,
            reason: res.reason,
            rule: res.rule,
            stage: res.stage,
            guard: res.guard,
        }
    }
}

/// An Analytics Engine data point, in the shape `writeDataPoint` takes (so a
/// request's points cross to JS as one JSON text: one call, where building
/// each point through JS objects was over half a bulk request's time).
/// Schema: index = flag (the sampling key, so each flag is sampled on its
/// own); blobs = flag, variant (empty when none), reason, environment,
/// snapshot version, rule (empty when none), stage (0-based, empty when
/// none); doubles = 1 (the count), snapshot version. New blobs go last, so
/// queries written against the earlier ones keep working.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct DataPoint<'a> {
    pub indexes: [&'a str; 1],
    pub blobs: [std::borrow::Cow<'a, str>; 7],
    pub doubles: [f64; 2],
}

pub fn data_point<'a>(e: &Exposure<'a>, l: &'a Loaded, version: &'a str) -> DataPoint<'a> {
    DataPoint {
        indexes: [e.flag],
        blobs: [
            e.flag.into(),
            e.variant.unwrap_or_default().into(),
            e.reason.name().into(),
            l.environment().into(),
            version.into(),
            e.rule.unwrap_or_default().into(),
            e.stage.map_or("".into(), |s| s.to_string().into()),
        ],
        doubles: [1.0, l.version as f64],
    }
}

/// The first [`MAX_POINTS_PER_REQUEST`] exposures' data points, as a JSON array.
pub fn data_points(exposures: &[Exposure<'_>], l: &Loaded) -> String {
    let version = l.version.to_string();
    let points: Vec<DataPoint<'_>> = exposures
        .iter()
        .take(MAX_POINTS_PER_REQUEST)
        .map(|e| data_point(e, l, &version))
        .collect();
    // Strings and finite numbers only: serialising cannot fail.
    serde_json::to_string(&points).unwrap_or_else(|_| "[]".into())
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
        "rule": e.rule,
        "stage": e.stage,
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
        let points: serde_json::Value =
            serde_json::from_str(&data_points(&[e, e], &loaded)).unwrap();
        let one = serde_json::json!({
            "indexes": ["new-checkout"],
            "blobs": ["new-checkout", "on", "TARGETING_MATCH", "production", "12", "beta testers", ""],
            "doubles": [1.0, 12.0],
        });
        assert_eq!(points, serde_json::json!([one, one]));
        let many = vec![e; MAX_POINTS_PER_REQUEST + 3];
        let points: Vec<serde_json::Value> =
            serde_json::from_str(&data_points(&many, &loaded)).unwrap();
        assert_eq!(points.len(), MAX_POINTS_PER_REQUEST);
        let line: serde_json::Value = serde_json::from_str(&log_line(&e, &loaded, 0.25)).unwrap();
        assert_eq!(
            line,
            serde_json::json!({"event": "exposure", "flag": "new-checkout", "variant": "on",
                "reason": "TARGETING_MATCH", "rule": "beta testers", "stage": null,
                "snapshot_version": 12, "environment": "production",
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

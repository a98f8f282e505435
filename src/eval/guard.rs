//! The guard's decision (docs/guards.md): from the counts of a guarded
//! rollout's two arms, whether the treatment regressed. The test is a
//! mixture sequential probability ratio test on the difference of the two
//! event rates, valid however often it is checked: each new count may be
//! judged, and the chance of ever halting a rollout that did not regress
//! stays under `ALPHA`.

use serde::{Deserialize, Serialize};

use crate::model::Guard;

/// The error the guard accepts over the whole rollout: at most this share of
/// rollouts without a regression is ever halted.
pub const ALPHA: f64 = 0.05;

/// The mixing variance of the standardized effect per exposure: the prior
/// the likelihood ratio averages over. It tunes which effects are found
/// soonest (about sqrt of it: 0.04 standard deviations per exposure, a 1%
/// baseline doubling) and never the error rate.
pub const MIXTURE: f64 = 0.0016;

/// Exposures per arm before any verdict when the guard does not say.
pub const DEFAULT_MIN_EXPOSURES: u64 = 1000;

/// One arm's counts: users served and the metric's events among them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Arm {
    pub exposures: u64,
    pub events: u64,
}

impl Arm {
    /// The observed rate (0 with no exposures).
    pub fn rate(self) -> f64 {
        if self.exposures == 0 {
            0.0
        } else {
            self.events.min(self.exposures) as f64 / self.exposures as f64
        }
    }

    /// The rate for variances: never 0 or 1, so that an arm with no events
    /// yet still has an uncertainty.
    fn smoothed(self) -> f64 {
        (self.events.min(self.exposures) as f64 + 0.5) / (self.exposures as f64 + 1.0)
    }

    /// An always-valid confidence interval of the rate (the same normal
    /// mixture, two-sided at `ALPHA`): true at every count at once.
    pub fn interval(self) -> (f64, f64) {
        let n = self.exposures as f64;
        if n == 0.0 {
            return (0.0, 1.0);
        }
        let p = self.smoothed();
        let half = half_width(p * (1.0 - p), n);
        ((self.rate() - half).max(0.0), (self.rate() + half).min(1.0))
    }
}

/// `sqrt(V/n · (1 + 1/(nρ)) · (2 ln(1/α) + ln(1 + nρ)))`.
fn half_width(variance: f64, n: f64) -> f64 {
    let nr = n * MIXTURE;
    (variance / n * (1.0 + 1.0 / nr) * (2.0 * (1.0 / ALPHA).ln() + (1.0 + nr).ln())).sqrt()
}

/// What the guard saw, for the verdict and for people.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    pub control: Arm,
    pub treatment: Arm,
    pub control_rate: f64,
    pub treatment_rate: f64,
    pub control_interval: (f64, f64),
    pub treatment_interval: (f64, f64),
    /// The treatment's rate minus (1 + max_relative_increase) × the control's.
    pub excess: f64,
    /// The mixture likelihood ratio against "no regression"; a regression
    /// once it reaches `threshold` (1/α) with a positive excess.
    pub likelihood_ratio: f64,
    pub threshold: f64,
}

/// The decision.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Verdict {
    /// Fewer exposures than `min_exposures` in an arm: nothing is judged.
    Waiting {
        evidence: Evidence,
        min_exposures: u64,
    },
    Continue {
        evidence: Evidence,
    },
    Regression {
        evidence: Evidence,
    },
}

impl Verdict {
    pub fn is_regression(&self) -> bool {
        matches!(self, Verdict::Regression { .. })
    }

    pub fn evidence(&self) -> &Evidence {
        match self {
            Verdict::Waiting { evidence, .. }
            | Verdict::Continue { evidence }
            | Verdict::Regression { evidence } => evidence,
        }
    }
}

/// Judges a guarded rollout's counts. Pure: the same counts give the same
/// verdict in every runtime.
pub fn judge(guard: &Guard, control: Arm, treatment: Arm) -> Verdict {
    let k = 1.0 + guard.max_relative_increase.max(0.0);
    let (pc, pt) = (control.smoothed(), treatment.smoothed());
    let (nc, nt) = (control.exposures as f64, treatment.exposures as f64);
    let excess = treatment.rate() - k * control.rate();
    // The variance of the excess, and the exposures per arm it amounts to
    // for the per-exposure variance of the pair.
    let per_exposure = pt * (1.0 - pt) + k * k * pc * (1.0 - pc);
    let variance = if nc > 0.0 && nt > 0.0 {
        pt * (1.0 - pt) / nt + k * k * pc * (1.0 - pc) / nc
    } else {
        f64::INFINITY
    };
    let likelihood_ratio = if variance.is_finite() && variance > 0.0 {
        let n = per_exposure / variance;
        let nr = n * MIXTURE;
        let z2 = excess * excess / variance;
        (((nr / (1.0 + nr)) * z2 / 2.0).exp() / (1.0 + nr).sqrt()).min(f64::MAX)
    } else {
        0.0
    };
    let evidence = Evidence {
        control,
        treatment,
        control_rate: control.rate(),
        treatment_rate: treatment.rate(),
        control_interval: control.interval(),
        treatment_interval: treatment.interval(),
        excess,
        likelihood_ratio,
        threshold: 1.0 / ALPHA,
    };
    let min = guard.min_exposures.unwrap_or(DEFAULT_MIN_EXPOSURES);
    if control.exposures < min || treatment.exposures < min {
        return Verdict::Waiting {
            evidence,
            min_exposures: min,
        };
    }
    if excess > 0.0 && likelihood_ratio >= 1.0 / ALPHA {
        Verdict::Regression { evidence }
    } else {
        Verdict::Continue { evidence }
    }
}

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
//! The guard's statistics, simulated (the figures in docs/guards.md): staged
//! rollouts whose counts grow batch by batch and are judged after every
//! batch, as the edge judges them continuously.
//! - False positives: with equal rates, and even with the treatment exactly
//!   at the allowed increase, at most 5% of rollouts ever halt.
//! - Detection: with the treatment at twice a 1% baseline, at least 90% of
//!   rollouts halt within `DETECT_WITHIN` exposures per arm.

use edgeflag::guard::{Arm, judge};
use edgeflag::{Guard, OnRegression};

/// SplitMix64, as the reference workload uses.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn uniform(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Binomial(n, p) by inversion: about n·p steps.
    fn binomial(&mut self, n: u64, p: f64) -> u64 {
        let u = self.uniform();
        let q = 1.0 - p;
        let mut pmf = q.powf(n as f64);
        let mut cdf = pmf;
        let mut k = 0;
        while cdf < u && k < n {
            pmf *= (n - k) as f64 / (k + 1) as f64 * p / q;
            k += 1;
            cdf += pmf;
        }
        k
    }
}

fn guard() -> Guard {
    Guard {
        metric: "match_error".to_owned(),
        max_relative_increase: 0.25,
        min_exposures: Some(1000),
        on_regression: OnRegression::Rollback,
    }
}

/// Exposures per arm per batch, and the largest rollout simulated.
const BATCH: u64 = 250;
const MAX_PER_ARM: u64 = 60_000;
const DETECT_WITHIN: u64 = 12_000;

/// One rollout: the exposures per arm at its first halt, if it halts.
fn rollout(rng: &mut Rng, control: f64, treatment: f64) -> Option<u64> {
    let g = guard();
    let (mut c, mut t) = (Arm::default(), Arm::default());
    while c.exposures < MAX_PER_ARM {
        c.exposures += BATCH;
        c.events += rng.binomial(BATCH, control);
        t.exposures += BATCH;
        t.events += rng.binomial(BATCH, treatment);
        if judge(&g, c, t).is_regression() {
            return Some(c.exposures);
        }
    }
    None
}

/// No regression by the guard's definition: equal rates, and the hardest
/// case, the treatment exactly at the allowed increase (25% above the
/// control). Each: (what, seed, control, treatment). At most 5% may halt.
const NO_REGRESSION: [(&str, u64, f64, f64); 2] = [
    ("equal rates (1%)", 16, 0.01, 0.01),
    ("1% vs 1.25% (the allowed increase)", 18, 0.01, 0.0125),
];

#[test]
fn without_a_regression_at_most_five_percent_of_rollouts_halt() {
    let runs = 1000;
    for (what, seed, control, treatment) in NO_REGRESSION {
        let mut rng = Rng(seed);
        let halted = (0..runs)
            .filter(|_| rollout(&mut rng, control, treatment).is_some())
            .count();
        println!("{what}: {halted} of {runs} rollouts halted over {MAX_PER_ARM} exposures per arm");
        assert!(
            halted * 100 <= runs * 5,
            "{what}: {halted} of {runs} halted"
        );
    }
}

#[test]
fn a_doubled_error_rate_halts_within_the_documented_exposures() {
    let mut rng = Rng(17);
    let runs = 1000;
    let mut at: Vec<u64> = (0..runs)
        .filter_map(|_| rollout(&mut rng, 0.01, 0.02))
        .collect();
    at.sort_unstable();
    let within = at.iter().filter(|n| **n <= DETECT_WITHIN).count();
    let q = |f: f64| {
        at.get(((at.len() as f64) * f) as usize)
            .copied()
            .unwrap_or(0)
    };
    println!(
        "1% vs 2%: {} of {runs} halted; within {DETECT_WITHIN} per arm: {within}; median {}, 90th percentile {}",
        at.len(),
        q(0.5),
        q(0.9)
    );
    assert!(
        within * 100 >= runs * 90,
        "only {within} of {runs} halted within {DETECT_WITHIN}"
    );
}

#[test]
fn too_few_exposures_are_never_judged() {
    let g = guard();
    let v = judge(
        &g,
        Arm {
            exposures: 999,
            events: 0,
        },
        Arm {
            exposures: 999,
            events: 500,
        },
    );
    assert!(
        matches!(
            v,
            edgeflag::guard::Verdict::Waiting {
                min_exposures: 1000,
                ..
            }
        ),
        "{v:?}"
    );
    // Arms without exposures judge nothing and report wide intervals.
    let v = judge(&g, Arm::default(), Arm::default());
    assert_eq!(v.evidence().likelihood_ratio, 0.0);
    assert_eq!(v.evidence().control_interval, (0.0, 1.0));
}

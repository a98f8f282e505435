//! Seeded releases and probes. Every release is valid by construction (the
//! generator only writes what the release checker accepts) and mixes what the
//! engine decides: targets, partial rollbacks, rules with segments, negated
//! conditions of every operator family, rule and flag rollouts (one variant or
//! weights, constant or staged, by another attribute or salted), prerequisites,
//! disabled flags and environment overrides. Probes are a context and a time;
//! a third of the times sit on a stage boundary, to the microsecond.

use edgeflag::Timestamp;
use serde_json::{Map, Value, json};

use crate::workload::{COUNTRIES, Rng};

const PLANS: [&str; 3] = ["free", "pro", "enterprise"];
const DOMAINS: [&str; 4] = [
    "@example.com",
    "@corp.test",
    "@mail.test",
    "@example.com.au",
];
const VERSIONS: [&str; 8] = [
    "1.9.9",
    "2.0.0",
    "2.3.0",
    "2.3.0-beta.1",
    "2.10.1",
    "3.0.0",
    "10.0.0",
    "not-a-version",
];
/// The window the stages fall in, and the probes a day either side of it.
const START: &str = "2026-12-01T00:00:00Z";
const DAYS: i64 = 9;
const DAY_MS: i64 = 86_400_000;
/// Keys in targets and the probes' targeting keys share this range, so targets hit.
const USERS: usize = 2000;

pub struct Gen {
    rng: Rng,
    /// Every stage and `since` time written, for probes on the boundaries.
    times: Vec<Timestamp>,
}

impl Gen {
    pub fn new(seed: u64) -> Self {
        Gen {
            rng: Rng::new(seed),
            times: Vec::new(),
        }
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.rng.below(100) < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        // `below` is under `len`, so this is in bounds; `first` is the
        // fallback the compiler wants, never taken for a non-empty slice.
        let i = self.rng.below(items.len());
        items
            .get(i)
            .or(items.first())
            .unwrap_or_else(|| unreachable!())
    }

    fn start() -> Timestamp {
        Timestamp::parse(START).unwrap_or_else(|| unreachable!("a valid constant"))
    }

    /// A time in the stage window, on a whole minute.
    fn stage_time(&mut self) -> Timestamp {
        let minutes = self.rng.below((DAYS * 24 * 60) as usize) as i64;
        let t = Self::start().add_millis(minutes * 60_000);
        self.times.push(t);
        t
    }

    /// A release of `flags` flags.
    pub fn release(&mut self, name: &str, flags: usize) -> Value {
        self.times.clear();
        let mut out = Map::new();
        let mut keys: Vec<(String, Vec<String>)> = Vec::new();
        for i in 0..flags {
            let key = format!("f{i}");
            let (def, variants) = self.flag(&keys);
            out.insert(key.clone(), def);
            keys.push((key, variants));
        }
        json!({
            "schema": 1,
            "release": { "name": name, "environments": ["production", "staging"] },
            "segments": {
                "eu": { "match": [{ "attr": "country", "op": "in", "values": ["DE", "FR", "ES", "IT", "NL", "SE", "PL"] }] },
                "staff": { "internal": true, "match": [{ "attr": "email", "op": "ends_with", "value": "@corp.test" }] },
                "old-app": { "match": [{ "attr": "appVersion", "op": "semver_lt", "value": "2.0.0" }] }
            },
            "flags": out
        })
    }

    /// One flag, and its variant names. `earlier` are the flags before it:
    /// prerequisites point only backwards, so there is never a cycle.
    fn flag(&mut self, earlier: &[(String, Vec<String>)]) -> (Value, Vec<String>) {
        let (kind, all): (&str, Vec<(&str, Value)>) = match self.rng.below(4) {
            0 => ("boolean", vec![("on", json!(true)), ("off", json!(false))]),
            1 => (
                "string",
                vec![
                    ("a", json!("alpha")),
                    ("b", json!("beta")),
                    ("c", json!("gamma")),
                    ("d", json!("")),
                ],
            ),
            2 => (
                "number",
                vec![
                    ("low", json!(1)),
                    ("mid", json!(2.5)),
                    ("neg", json!(-3)),
                    ("big", json!(1e21)),
                ],
            ),
            _ => (
                "json",
                vec![
                    ("x", json!({ "k": 1, "list": [1, "a", null] })),
                    ("y", json!([true, 0.1])),
                    ("z", json!("plain")),
                ],
            ),
        };
        let count = if kind == "boolean" {
            2
        } else {
            2 + self.rng.below(all.len() - 1)
        };
        let chosen: Vec<(&str, Value)> = all.into_iter().take(count).collect();
        let names: Vec<String> = chosen.iter().map(|(n, _)| (*n).to_owned()).collect();
        let mut def = Map::new();
        def.insert("type".into(), json!(kind));
        // A boolean flag may leave its variants implicit (on/off).
        if kind != "boolean" || self.chance(50) {
            let variants: Map<String, Value> =
                chosen.into_iter().map(|(n, v)| (n.to_owned(), v)).collect();
            def.insert("variants".into(), Value::Object(variants));
        }
        def.insert("default".into(), json!(self.pick(&names)));
        if self.chance(50) {
            def.insert("rollback".into(), json!({ "variant": self.pick(&names) }));
        }
        if self.chance(8) {
            def.insert("enabled".into(), json!(false));
        }
        if !earlier.is_empty() && self.chance(20) {
            let (flag, variants) = self.pick(earlier);
            let variant = self.pick(variants).clone();
            def.insert(
                "prerequisites".into(),
                json!([{ "flag": flag, "variant": variant }]),
            );
        }
        if self.chance(20) {
            let users: Vec<String> = (0..1 + self.rng.below(4))
                .map(|_| format!("user-{}", self.rng.below(USERS)))
                .collect();
            let mut targets = Map::new();
            targets.insert(self.pick(&names).clone(), json!(users));
            def.insert("targets".into(), Value::Object(targets));
        }
        if self.chance(15) {
            let since = self.stage_time().to_string();
            let rollback = json!({ "name": "rb0", "match": [self.condition()], "serve": self.pick(&names), "since": since });
            def.insert("rollbacks".into(), json!([rollback]));
        }
        let rules: Vec<Value> = (0..self.rng.below(4))
            .map(|i| self.rule(i, &names))
            .collect();
        if !rules.is_empty() {
            def.insert("rules".into(), Value::Array(rules));
        }
        if self.chance(50) {
            def.insert("rollout".into(), self.rollout(&names));
        }
        if self.chance(10) {
            let change = if self.chance(50) {
                json!({ "enabled": false })
            } else {
                json!({ "rollout": self.rollout(&names) })
            };
            def.insert("env".into(), json!({ "production": change }));
        }
        (Value::Object(def), names)
    }

    fn rule(&mut self, i: usize, names: &[String]) -> Value {
        let mut rule = Map::new();
        rule.insert("name".into(), json!(format!("r{i}")));
        if self.chance(30) {
            rule.insert(
                "segment".into(),
                json!(self.pick(&["eu", "staff", "old-app"])),
            );
        }
        if !rule.contains_key("segment") || self.chance(30) {
            let conditions: Vec<Value> = (0..1 + self.rng.below(2))
                .map(|_| self.condition())
                .collect();
            rule.insert("match".into(), Value::Array(conditions));
        }
        if self.chance(60) {
            rule.insert("serve".into(), json!(self.pick(names)));
        } else {
            rule.insert("rollout".into(), self.rollout(names));
        }
        Value::Object(rule)
    }

    /// A condition of one of the operator families, on an attribute of its type.
    fn condition(&mut self) -> Value {
        let mut c = match self.rng.below(7) {
            0 => {
                let n = 1 + self.rng.below(5);
                let values: Vec<&str> = (0..n).map(|_| *self.pick(&COUNTRIES)).collect();
                let op = self.pick(&["in", "not_in"]);
                json!({ "attr": "country", "op": op, "values": values })
            }
            1 => {
                json!({ "attr": "plan", "op": self.pick(&["eq", "neq"]), "value": self.pick(&PLANS) })
            }
            2 => {
                let (op, value) = *self.pick(&[
                    ("ends_with", "@example.com"),
                    ("starts_with", "u1"),
                    ("contains", "corp"),
                    ("ends_with", ".au"),
                ]);
                json!({ "attr": "email", "op": op, "value": value })
            }
            3 => {
                let op = self.pick(&[
                    "semver_eq",
                    "semver_lt",
                    "semver_lte",
                    "semver_gt",
                    "semver_gte",
                ]);
                json!({ "attr": "appVersion", "op": op, "value": self.pick(&VERSIONS[..7]) })
            }
            4 => {
                let op = self.pick(&["lt", "lte", "gt", "gte", "eq"]);
                json!({ "attr": "age", "op": op, "value": self.pick(&[json!(18), json!(30.5), json!(0), json!(-1)]) })
            }
            5 => {
                let op = self.pick(&["before", "after"]);
                json!({ "attr": "signup", "op": op, "value": self.stage_time().to_string() })
            }
            _ => {
                if self.chance(50) {
                    json!({ "attr": "beta", "op": "exists" })
                } else {
                    json!({ "attr": "beta", "op": "eq", "value": self.chance(50) })
                }
            }
        };
        if let (true, Some(obj)) = (self.chance(15), c.as_object_mut()) {
            obj.insert("negate".to_owned(), json!(true));
        }
        c
    }

    /// A rollout: one variant or weights; a constant percent or stages.
    fn rollout(&mut self, names: &[String]) -> Value {
        let mut r = Map::new();
        if names.len() > 1 && self.chance(50) {
            let weights = self.weights(names);
            r.insert("weights".into(), weights);
        } else {
            r.insert("variant".into(), json!(self.pick(names)));
        }
        if self.chance(40) {
            r.insert(
                "percent".into(),
                json!(self.pick(&[0.0, 0.001, 5.0, 12.5, 50.0, 99.999, 100.0])),
            );
        } else {
            let mut times: Vec<Timestamp> = (0..1 + self.rng.below(4))
                .map(|_| self.stage_time())
                .collect();
            times.sort();
            times.dedup();
            let mut percent = 0.0;
            let stages: Vec<Value> = times
                .iter()
                .map(|t| {
                    percent = f64::min(
                        100.0,
                        percent + *self.pick(&[0.001, 1.0, 4.5, 10.0, 25.0, 50.0]),
                    );
                    json!({ "at": t.to_string(), "percent": (percent * 1000.0).round() / 1000.0 })
                })
                .collect();
            r.insert("stages".into(), Value::Array(stages));
        }
        if self.chance(15) {
            r.insert("by".into(), json!("accountId"));
        }
        if self.chance(15) {
            r.insert("salt".into(), json!(format!("salt-{}", self.rng.below(10))));
        }
        Value::Object(r)
    }

    /// Weights over two or more of the variants, summing to exactly 100.
    fn weights(&mut self, names: &[String]) -> Value {
        let n = 2 + self.rng.below(names.len() - 1);
        let shares: Vec<u64> = (0..n).map(|_| 1 + self.rng.below(1000) as u64).collect();
        let total: u64 = shares.iter().sum();
        // In thousandths of a percent, the remainder on the last weight.
        let mut left: u64 = 100_000;
        let mut out = Map::new();
        for (i, (name, share)) in names.iter().zip(&shares).enumerate() {
            let w = if i + 1 == n {
                left
            } else {
                share * 100_000 / total
            };
            left -= w;
            out.insert(name.clone(), json!(w as f64 / 1000.0));
        }
        Value::Object(out)
    }

    /// One probe: a context and a time.
    pub fn probe(&mut self) -> Value {
        let mut ctx = Map::new();
        if self.chance(95) {
            ctx.insert(
                "targetingKey".into(),
                json!(format!("user-{}", self.rng.below(USERS))),
            );
        }
        if self.chance(50) {
            ctx.insert(
                "accountId".into(),
                json!(format!("acct-{}", self.rng.below(300))),
            );
        }
        if self.chance(60) {
            // Now and then a number where a string is expected.
            let country = if self.chance(5) {
                json!(49)
            } else {
                json!(self.pick(&COUNTRIES))
            };
            ctx.insert("country".into(), country);
        }
        if self.chance(60) {
            ctx.insert("plan".into(), json!(self.pick(&PLANS)));
        }
        if self.chance(60) {
            let email = format!("u{}{}", self.rng.below(USERS), self.pick(&DOMAINS));
            ctx.insert("email".into(), json!(email));
        }
        if self.chance(60) {
            ctx.insert("appVersion".into(), json!(self.pick(&VERSIONS)));
        }
        if self.chance(60) {
            let age = self
                .pick(&[
                    json!(17),
                    json!(18),
                    json!(30.5),
                    json!(30.500001),
                    json!(-0.0),
                    json!("30"),
                    json!(1e300),
                ])
                .clone();
            ctx.insert("age".into(), age);
        }
        if self.chance(40) {
            let signup = self.probe_time().to_string();
            ctx.insert("signup".into(), json!(signup));
        }
        if self.chance(40) {
            let beta = if self.chance(10) {
                json!("true")
            } else {
                json!(self.chance(50))
            };
            ctx.insert("beta".into(), beta);
        }
        let at = self.probe_time().to_string();
        // Now and then the same instant with an offset.
        let at = if self.chance(10) {
            at.replace('Z', "+00:00")
        } else {
            at
        };
        json!({ "context": ctx, "at": at })
    }

    /// A time around the window, or (a third of the time) on a boundary.
    fn probe_time(&mut self) -> Timestamp {
        if !self.times.is_empty() && self.chance(33) {
            let t = *self.pick(&self.times.clone());
            let nudge = *self.pick(&[-1_000_000_i64, -1, 0, 0, 1]);
            return Timestamp::from_micros(t.as_micros() + nudge);
        }
        let span = ((DAYS + 2) * DAY_MS / 1000) as usize;
        Self::start().add_millis(-DAY_MS + self.rng.below(span) as i64 * 1000)
    }
}

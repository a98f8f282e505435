//! The worker's settings, read once per isolate from its vars and secrets
//! (`wrangler.toml` and `wrangler secret put`). Reading them is pure so that
//! every message can be tested natively.

use edgeflag::{Audience, PublicKey};

/// `REFRESH_SECONDS` when unset.
pub const DEFAULT_REFRESH_SECONDS: f64 = 30.0;
/// `EXPOSURE_LOG_SAMPLE` when unset.
pub const DEFAULT_EXPOSURE_LOG_SAMPLE: f64 = 0.01;

/// A binding's value as the runtime hands it over: `[vars]` may hold strings,
/// numbers, booleans or (TOML arrays) lists.
#[derive(Clone, Debug, PartialEq)]
pub enum Raw {
    Missing,
    Text(String),
    Number(f64),
    Bool(bool),
    List(Vec<String>),
    /// Anything else (an object, a list with non-strings): always an error.
    Other,
}

/// What the worker needs to know, checked.
#[derive(Clone, Debug)]
pub struct Config {
    /// The KV key of this environment's signed snapshot.
    pub snapshot_key: String,
    /// The KV key of its browser snapshot (`edgeflag build --audience
    /// browser`), served at `GET /v1/snapshot?audience=browser`; optional.
    pub browser_snapshot_key: Option<String>,
    pub trusted: Vec<PublicKey>,
    /// Distinct trusted signatures required (M of N).
    pub threshold: usize,
    /// The lowest snapshot version ever accepted.
    pub min_version: u64,
    /// How long an isolate serves what it has before it looks at KV again.
    pub refresh_ms: i64,
    /// The share of evaluations written as JSON log lines, in `[0, 1]`.
    pub exposure_sample: f64,
    /// When not empty, OFREP and `/v1/snapshot` need one of these.
    pub api_keys: Vec<String>,
    /// Keys that may read the operators' details (`/healthz` beyond its
    /// status); they also pass wherever `api_keys` are asked for.
    pub admin_keys: Vec<String>,
    /// The largest envelope read from KV (`MAX_SNAPSHOT_BYTES`).
    pub max_snapshot_bytes: usize,
    /// Staging and testing only: honour `X-Edgeflag-At`.
    pub allow_time_override: bool,
    /// Other environments' snapshots `GET /v1/snapshot?env=NAME` may hand out
    /// (environment, KV key), for the console's environment switch. They are
    /// served as stored and never evaluated here: the browser verifies them.
    pub console_snapshots: Vec<(String, String)>,
    /// The environment this worker serves (`ENVIRONMENT`, required): only
    /// its snapshots are accepted, so a validly signed staging snapshot
    /// written under the production key is refused; it also names the high-water mark.
    pub environment: String,
}

/// A setting the worker cannot run with; it names the variable.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    #[error("`{name}` is not set")]
    Missing { name: &'static str },
    #[error("`{name}` is `{value}`, not {expected}")]
    Invalid {
        name: &'static str,
        value: String,
        expected: &'static str,
    },
    #[error("`TRUSTED_KEYS`: {why}")]
    Keys { why: String },
}

impl Config {
    /// Reads every setting through `get` (binding name → raw value).
    /// The KV key of the snapshot for `audience`, when there is one.
    pub fn key(&self, audience: Audience) -> Option<&str> {
        match audience {
            Audience::Browser => self.browser_snapshot_key.as_deref(),
            _ => Some(&self.snapshot_key),
        }
    }

    pub fn read(get: impl Fn(&str) -> Raw) -> Result<Config, ConfigError> {
        let snapshot_key = match get("SNAPSHOT_KEY") {
            Raw::Text(t) if !t.trim().is_empty() => t.trim().to_owned(),
            Raw::Missing => {
                return Err(ConfigError::Missing {
                    name: "SNAPSHOT_KEY",
                });
            }
            other => return Err(invalid("SNAPSHOT_KEY", &other, "a kv key name")),
        };
        let browser_snapshot_key = match get("BROWSER_SNAPSHOT_KEY") {
            Raw::Missing => None,
            Raw::Text(t) if t.trim().is_empty() => None,
            Raw::Text(t) if t.trim() == snapshot_key => {
                return Err(invalid(
                    "BROWSER_SNAPSHOT_KEY",
                    &Raw::Text(t),
                    "a kv key other than SNAPSHOT_KEY's (browser and edge snapshots are kept apart)",
                ));
            }
            Raw::Text(t) => Some(t.trim().to_owned()),
            other => return Err(invalid("BROWSER_SNAPSHOT_KEY", &other, "a kv key name")),
        };
        let trusted = trusted_keys(get("TRUSTED_KEYS"))?;
        let threshold = whole("THRESHOLD", get("THRESHOLD"), 1)?;
        let min_version = whole("MIN_SNAPSHOT_VERSION", get("MIN_SNAPSHOT_VERSION"), 0)?;
        let refresh =
            number("REFRESH_SECONDS", get("REFRESH_SECONDS"))?.unwrap_or(DEFAULT_REFRESH_SECONDS);
        if !(0.0..=86_400.0).contains(&refresh) {
            return Err(invalid(
                "REFRESH_SECONDS",
                &Raw::Number(refresh),
                "a number of seconds from 0 to 86400",
            ));
        }
        let sample = number("EXPOSURE_LOG_SAMPLE", get("EXPOSURE_LOG_SAMPLE"))?
            .unwrap_or(DEFAULT_EXPOSURE_LOG_SAMPLE);
        if !(0.0..=1.0).contains(&sample) {
            return Err(invalid(
                "EXPOSURE_LOG_SAMPLE",
                &Raw::Number(sample),
                "a share from 0 to 1",
            ));
        }
        Ok(Config {
            snapshot_key,
            browser_snapshot_key,
            trusted,
            threshold: usize::try_from(threshold).unwrap_or(usize::MAX),
            min_version,
            refresh_ms: (refresh * 1000.0).round() as i64,
            exposure_sample: sample,
            api_keys: api_keys(get("API_KEYS"))?,
            allow_time_override: flag("ALLOW_TIME_OVERRIDE", get("ALLOW_TIME_OVERRIDE"))?,
            console_snapshots: console_snapshots(get("CONSOLE_SNAPSHOTS"))?,
            admin_keys: api_keys(get("ADMIN_KEYS"))?,
            max_snapshot_bytes: usize::try_from(whole(
                "MAX_SNAPSHOT_BYTES",
                get("MAX_SNAPSHOT_BYTES"),
                edgeflag::EDGE_MAX_SIZE as u64,
            )?)
            .unwrap_or(usize::MAX),
            environment: match get("ENVIRONMENT") {
                Raw::Text(t) if !t.trim().is_empty() => t.trim().to_owned(),
                Raw::Missing => {
                    return Err(ConfigError::Missing {
                        name: "ENVIRONMENT",
                    });
                }
                other => return Err(invalid("ENVIRONMENT", &other, "an environment name")),
            },
        })
    }

    /// The keys that open OFREP and `/v1/snapshot`: none asked when
    /// `API_KEYS` is empty, else those and the admin keys.
    pub fn client_keys(&self) -> Vec<String> {
        if self.api_keys.is_empty() {
            return Vec::new();
        }
        self.api_keys
            .iter()
            .chain(&self.admin_keys)
            .cloned()
            .collect()
    }

    /// The KV key of an environment's snapshot for the console, if listed.
    pub fn console_snapshot(&self, env: &str) -> Option<&str> {
        self.console_snapshots
            .iter()
            .find(|(name, _)| name == env)
            .map(|(_, key)| key.as_str())
    }
}

/// `CONSOLE_SNAPSHOTS`: `production=snapshot:production, staging=snapshot:staging`.
fn console_snapshots(raw: Raw) -> Result<Vec<(String, String)>, ConfigError> {
    let text = match &raw {
        Raw::Missing => return Ok(Vec::new()),
        Raw::Text(t) => t.clone(),
        _ => {
            return Err(invalid(
                "CONSOLE_SNAPSHOTS",
                &raw,
                "`env=kv-key` pairs separated by commas",
            ));
        }
    };
    text.split(',')
        .map(str::trim)
        .filter(|pair| !pair.is_empty())
        .map(|pair| match pair.split_once('=') {
            Some((env, key)) if !env.trim().is_empty() && !key.trim().is_empty() => {
                Ok((env.trim().to_owned(), key.trim().to_owned()))
            }
            _ => Err(invalid(
                "CONSOLE_SNAPSHOTS",
                &raw,
                "`env=kv-key` pairs separated by commas",
            )),
        })
        .collect()
}

fn shown(raw: &Raw) -> String {
    match raw {
        Raw::Missing => "unset".into(),
        Raw::Text(t) => t.clone(),
        Raw::Number(n) => n.to_string(),
        Raw::Bool(b) => b.to_string(),
        Raw::List(items) => format!("a list of {} item(s)", items.len()),
        Raw::Other => "an object".into(),
    }
}

fn invalid(name: &'static str, raw: &Raw, expected: &'static str) -> ConfigError {
    ConfigError::Invalid {
        name,
        value: shown(raw),
        expected,
    }
}

fn number(name: &'static str, raw: Raw) -> Result<Option<f64>, ConfigError> {
    match &raw {
        Raw::Missing => Ok(None),
        Raw::Text(t) if t.trim().is_empty() => Ok(None),
        Raw::Text(t) => t
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|n| n.is_finite())
            .map(Some)
            .ok_or_else(|| invalid(name, &raw, "a number")),
        Raw::Number(n) if n.is_finite() => Ok(Some(*n)),
        _ => Err(invalid(name, &raw, "a number")),
    }
}

fn whole(name: &'static str, raw: Raw, default: u64) -> Result<u64, ConfigError> {
    let shown_raw = raw.clone();
    match number(name, raw)? {
        None => Ok(default),
        Some(n) if n >= 0.0 && n.fract() == 0.0 && n <= 9_007_199_254_740_992.0 => Ok(n as u64),
        Some(_) => Err(invalid(name, &shown_raw, "a whole number from 0")),
    }
}

fn flag(name: &'static str, raw: Raw) -> Result<bool, ConfigError> {
    match &raw {
        Raw::Missing => Ok(false),
        Raw::Bool(b) => Ok(*b),
        Raw::Text(t) => match t.trim().to_ascii_lowercase().as_str() {
            "" | "0" | "false" | "no" | "off" => Ok(false),
            "1" | "true" | "yes" | "on" => Ok(true),
            _ => Err(invalid(name, &raw, "true or false")),
        },
        _ => Err(invalid(name, &raw, "true or false")),
    }
}

/// PEM text (one key or several), a JSON list of PEM strings, or a TOML list.
fn trusted_keys(raw: Raw) -> Result<Vec<PublicKey>, ConfigError> {
    let pems: Vec<String> = match raw {
        Raw::Missing => {
            return Err(ConfigError::Missing {
                name: "TRUSTED_KEYS",
            });
        }
        Raw::Text(t) if t.trim_start().starts_with('[') => {
            serde_json::from_str(&t).map_err(|e| ConfigError::Keys {
                why: format!("not a json list of pem strings: {e}"),
            })?
        }
        Raw::Text(t) => vec![t],
        Raw::List(items) => items,
        other => {
            return Err(invalid(
                "TRUSTED_KEYS",
                &other,
                "pem public keys or a list of them",
            ));
        }
    };
    let mut keys = Vec::new();
    for (i, pem) in pems.iter().enumerate() {
        if pem.trim().is_empty() {
            continue;
        }
        let found = PublicKey::all_from_pem(pem).map_err(|e| ConfigError::Keys {
            why: if pems.len() > 1 {
                format!("item {}: {e}", i + 1)
            } else {
                e.to_string()
            },
        })?;
        for k in found {
            if !keys.contains(&k) {
                keys.push(k);
            }
        }
    }
    if keys.is_empty() {
        return Err(ConfigError::Keys {
            why: "holds no public key".into(),
        });
    }
    Ok(keys)
}

/// Comma- or whitespace-separated keys, or a list.
fn api_keys(raw: Raw) -> Result<Vec<String>, ConfigError> {
    let items = match raw {
        Raw::Missing => return Ok(Vec::new()),
        Raw::Text(t) => t
            .split(|c: char| c == ',' || c.is_whitespace())
            .map(str::to_owned)
            .collect(),
        Raw::List(items) => items,
        other => return Err(invalid("API_KEYS", &other, "keys separated by commas")),
    };
    Ok(items
        .into_iter()
        .map(|k| k.trim().to_owned())
        .filter(|k| !k.is_empty())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use edgeflag::SigningKey;

    fn pem(seed: u8) -> String {
        SigningKey::from_secret_bytes([seed; 32])
            .public()
            .to_spki_pem()
            .unwrap()
    }

    fn read(vars: &[(&str, Raw)]) -> Result<Config, ConfigError> {
        Config::read(|name| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map_or(Raw::Missing, |(_, v)| v.clone())
        })
    }

    fn base() -> Vec<(&'static str, Raw)> {
        vec![
            ("SNAPSHOT_KEY", Raw::Text("snapshot:production".into())),
            ("ENVIRONMENT", Raw::Text("production".into())),
            ("TRUSTED_KEYS", Raw::Text(pem(1))),
        ]
    }

    #[test]
    fn defaults() {
        let c = read(&base()).unwrap();
        assert_eq!(c.snapshot_key, "snapshot:production");
        assert_eq!(c.trusted.len(), 1);
        assert_eq!((c.threshold, c.min_version, c.refresh_ms), (1, 0, 30_000));
        assert_eq!(c.environment, "production");
        assert_eq!(c.max_snapshot_bytes, 128 * 1024);
        assert!(c.admin_keys.is_empty());
        assert!((c.exposure_sample - 0.01).abs() < 1e-12);
        assert!(c.api_keys.is_empty());
        assert!(!c.allow_time_override);
        assert!(c.console_snapshots.is_empty());
    }

    #[test]
    fn console_snapshots_map_environments_to_kv_keys() {
        let mut vars = base();
        vars.push((
            "CONSOLE_SNAPSHOTS",
            Raw::Text(" production=snapshot:production, staging = snapshot:staging ,".into()),
        ));
        let c = read(&vars).unwrap();
        assert_eq!(c.console_snapshot("staging"), Some("snapshot:staging"));
        assert_eq!(
            c.console_snapshot("production"),
            Some("snapshot:production")
        );
        assert_eq!(c.console_snapshot("dev"), None);
        let mut bad = base();
        bad.push(("CONSOLE_SNAPSHOTS", Raw::Text("staging".into())));
        assert_eq!(
            read(&bad).unwrap_err().to_string(),
            "`CONSOLE_SNAPSHOTS` is `staging`, not `env=kv-key` pairs separated by commas"
        );
    }

    #[test]
    fn keys_as_pem_text_json_list_and_toml_list() {
        let two = format!("{}\n{}", pem(1), pem(2));
        let json = serde_json::to_string(&vec![pem(1), pem(2), pem(1)]).unwrap();
        for raw in [
            Raw::Text(two),
            Raw::Text(json),
            Raw::List(vec![pem(1), pem(2)]),
        ] {
            let mut vars: Vec<(&str, Raw)> = base()
                .into_iter()
                .filter(|(n, _)| *n != "TRUSTED_KEYS")
                .collect();
            vars.push(("TRUSTED_KEYS", raw));
            assert_eq!(read(&vars).unwrap().trusted.len(), 2);
        }
    }

    #[test]
    fn precise_errors() {
        let cases: Vec<(&str, Raw, &str)> = vec![
            (
                "THRESHOLD",
                Raw::Text("two".into()),
                "`THRESHOLD` is `two`, not a number",
            ),
            (
                "THRESHOLD",
                Raw::Number(1.5),
                "`THRESHOLD` is `1.5`, not a whole number from 0",
            ),
            (
                "REFRESH_SECONDS",
                Raw::Text("-1".into()),
                "`REFRESH_SECONDS` is `-1`, not a number of seconds from 0 to 86400",
            ),
            (
                "BROWSER_SNAPSHOT_KEY",
                Raw::Text("snapshot:production".into()),
                "`BROWSER_SNAPSHOT_KEY` is `snapshot:production`, not a kv key other than SNAPSHOT_KEY's (browser and edge snapshots are kept apart)",
            ),
            (
                "EXPOSURE_LOG_SAMPLE",
                Raw::Number(2.0),
                "`EXPOSURE_LOG_SAMPLE` is `2`, not a share from 0 to 1",
            ),
            (
                "ALLOW_TIME_OVERRIDE",
                Raw::Text("maybe".into()),
                "`ALLOW_TIME_OVERRIDE` is `maybe`, not true or false",
            ),
            (
                "TRUSTED_KEYS",
                Raw::Text("[1]".into()),
                "`TRUSTED_KEYS`: not a json list of pem strings: invalid type: integer `1`, expected a string at line 1 column 2",
            ),
            (
                "TRUSTED_KEYS",
                Raw::Text("   ".into()),
                "`TRUSTED_KEYS`: holds no public key",
            ),
            ("SNAPSHOT_KEY", Raw::Missing, "`SNAPSHOT_KEY` is not set"),
            ("ENVIRONMENT", Raw::Missing, "`ENVIRONMENT` is not set"),
            (
                "MAX_SNAPSHOT_BYTES",
                Raw::Text("big".into()),
                "`MAX_SNAPSHOT_BYTES` is `big`, not a number",
            ),
        ];
        for (name, raw, want) in cases {
            let mut vars: Vec<(&str, Raw)> =
                base().into_iter().filter(|(n, _)| *n != name).collect();
            vars.push((name, raw));
            assert_eq!(read(&vars).unwrap_err().to_string(), want);
        }
    }

    #[test]
    fn numbers_flags_and_api_keys() {
        let mut vars = base();
        vars.extend([
            ("THRESHOLD", Raw::Number(1.0)),
            ("MIN_SNAPSHOT_VERSION", Raw::Text("7".into())),
            ("REFRESH_SECONDS", Raw::Text("0.5".into())),
            ("EXPOSURE_LOG_SAMPLE", Raw::Text("1".into())),
            ("API_KEYS", Raw::Text(" k1, k2\nk3 ,".into())),
            ("ALLOW_TIME_OVERRIDE", Raw::Text("true".into())),
        ]);
        let c = read(&vars).unwrap();
        assert_eq!((c.min_version, c.refresh_ms), (7, 500));
        assert_eq!(c.api_keys, ["k1", "k2", "k3"]);
        assert!(c.allow_time_override);
    }
}

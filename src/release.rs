//! Release files: parsing, environment overrides, and line numbers for errors.

use crate::compile::Origins;
use crate::error::{Loc, ReleaseError};
use crate::model::{RELEASE_SCHEMA, ReleaseFile};
use crate::snapshot::{Definitions, Snapshot};

impl ReleaseFile {
    /// Parses a release file and checks that every environment it mentions
    /// compiles, with the TOML line of the first problem.
    #[cfg(feature = "toml")]
    pub fn from_toml(src: &str) -> Result<ReleaseFile, ReleaseError> {
        let file: ReleaseFile = toml::from_str(src).map_err(|e| ReleaseError::Syntax {
            message: e.message().trim_end().to_owned(),
            line: e.span().map(|s| crate::lines::line_of(src, s.start)),
        })?;
        file.validate().map_err(|e| crate::lines::locate(e, src))?;
        Ok(file)
    }

    /// Checks the schema and that the base plan and every environment compile.
    pub fn validate(&self) -> Result<(), ReleaseError> {
        if self.schema != RELEASE_SCHEMA {
            return Err(ReleaseError::UnsupportedSchema {
                found: self.schema,
                supported: RELEASE_SCHEMA,
            });
        }
        for env in self.environment_names() {
            self.compile(&env)?;
        }
        Ok(())
    }

    /// Every environment the file names: declared ones and those with overrides.
    pub fn environment_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.release.environments.clone().unwrap_or_default();
        for def in self.flags.values() {
            for env in def.env.keys() {
                if !names.contains(env) {
                    names.push(env.clone());
                }
            }
        }
        if names.is_empty() {
            names.push("production".to_owned());
        }
        names
    }

    /// The definitions of one environment: each override replaces its field.
    pub fn for_environment(&self, env: &str) -> Result<Definitions, ReleaseError> {
        Ok(self.resolve(env)?.0)
    }

    /// Compiles the snapshot of one environment.
    pub fn compile(&self, env: &str) -> Result<Snapshot, ReleaseError> {
        let (defs, origins) = self.resolve(env)?;
        Snapshot::compile_with(defs, &origins)
    }

    fn resolve(&self, env: &str) -> Result<(Definitions, Vec<Origins>), ReleaseError> {
        if let Some(declared) = &self.release.environments {
            let list = declared.join(", ");
            if !declared.iter().any(|d| d == env) {
                return Err(ReleaseError::UnknownEnvironment {
                    at: Loc::root().key("release").key("environments"),
                    env: env.to_owned(),
                    declared: list,
                });
            }
            for (key, def) in &self.flags {
                if let Some(name) = def.env.keys().find(|n| !declared.contains(n)) {
                    return Err(ReleaseError::UnknownEnvironment {
                        at: Loc::root().key("flags").key(key).key("env").key(name),
                        env: name.clone(),
                        declared: list,
                    });
                }
            }
        }
        let mut flags = indexmap::IndexMap::with_capacity(self.flags.len());
        let mut origins = Vec::with_capacity(self.flags.len());
        for (key, def) in &self.flags {
            let mut resolved = def.clone();
            resolved.env.clear();
            let mut origin = Origins::plain(key);
            if let Some(o) = def.env.get(env) {
                let at = origin.base.key("env").key(env);
                if let Some(v) = o.enabled {
                    resolved.enabled = Some(v);
                    origin.enabled = at.clone();
                }
                if let Some(v) = &o.targets {
                    resolved.targets = v.clone();
                    origin.targets = at.clone();
                }
                if let Some(v) = &o.rules {
                    resolved.rules = v.clone();
                    origin.rules = at.clone();
                }
                if let Some(v) = &o.rollout {
                    resolved.rollout = Some(v.clone());
                    origin.rollout = at;
                }
            }
            flags.insert(key.clone(), resolved);
            origins.push(origin);
        }
        let defs = Definitions {
            release: self.release.clone(),
            environment: env.to_owned(),
            segments: self.segments.clone(),
            flags,
        };
        Ok((defs, origins))
    }
}

//! Spin application variables: `[variables]` declarations with defaults, `required`
//! and `secret`, values from `SPIN_VARIABLE_<NAME>` environment variables (Spin's
//! environment provider), and per-component templates such as `db_url = "{{ db_url }}"`.

use std::collections::{BTreeMap, HashMap};

use anyhow::{Context, anyhow, bail};

use crate::manifest::{Manifest, expand_template};

/// Where variable values come from, in priority order: explicit overrides (used by the
/// test harness and `cargo xtask up`), then `SPIN_VARIABLE_<NAME>` from the process
/// environment, then the manifest default.
#[derive(Debug, Clone, Default)]
pub struct VariableSource {
    pub overrides: HashMap<String, String>,
    pub read_environment: bool,
}

impl VariableSource {
    pub fn from_environment() -> Self {
        Self {
            overrides: HashMap::new(),
            read_environment: true,
        }
    }

    fn lookup(&self, name: &str) -> Option<String> {
        if let Some(v) = self.overrides.get(name) {
            return Some(v.clone());
        }
        if self.read_environment {
            let key = format!("SPIN_VARIABLE_{}", name.to_ascii_uppercase());
            if let Ok(v) = std::env::var(key) {
                return Some(v);
            }
        }
        None
    }
}

/// Resolved application variables (name → value). Secrets are never printed by `Debug`.
#[derive(Clone)]
pub struct AppVariables {
    values: BTreeMap<String, String>,
}

impl std::fmt::Debug for AppVariables {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.values.keys()).finish()
    }
}

impl AppVariables {
    /// Resolves every declared variable; a `required` variable without a value is an
    /// error at start-up, as on Spin.
    pub fn resolve(manifest: &Manifest, source: &VariableSource) -> anyhow::Result<Self> {
        let mut values = BTreeMap::new();
        for (name, decl) in &manifest.variables {
            if decl.required && decl.default.is_some() {
                bail!("variable {name}: `required` and `default` are mutually exclusive");
            }
            let value = source.lookup(name).or_else(|| decl.default.clone());
            match value {
                Some(v) => {
                    values.insert(name.clone(), v);
                }
                None if decl.required => bail!(
                    "required variable {name} has no value: set SPIN_VARIABLE_{}",
                    name.to_ascii_uppercase()
                ),
                None => {}
            }
        }
        for name in source.overrides.keys() {
            if !manifest.variables.contains_key(name) {
                bail!("variable {name} is set but not declared in spin.toml [variables]");
            }
        }
        Ok(Self { values })
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// Expands `{{ name }}` against the application variables.
    pub fn expand(&self, template: &str) -> anyhow::Result<String> {
        expand_template(template, |name| {
            self.values
                .get(name)
                .cloned()
                .ok_or_else(|| anyhow!("variable {name} is not declared or has no value"))
        })
    }

    /// The values a component sees through `variables::get`: its own `[component.x.variables]`
    /// table with templates expanded. Other application variables stay invisible to it.
    pub fn for_component(
        &self,
        templates: &BTreeMap<String, String>,
    ) -> anyhow::Result<HashMap<String, String>> {
        templates
            .iter()
            .map(|(name, template)| {
                let value = self
                    .expand(template)
                    .with_context(|| format!("component variable {name}"))?;
                Ok((name.clone(), value))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest() -> Manifest {
        Manifest::parse(
            r#"
spin_manifest_version = 2
[application]
name = "x"
[variables]
db_url = { required = true, secret = true }
db_host = { default = "127.0.0.1" }
token = { default = "" }
"#,
        )
        .expect("valid manifest")
    }

    fn source(pairs: &[(&str, &str)]) -> VariableSource {
        VariableSource {
            overrides: pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            read_environment: false,
        }
    }

    #[test]
    fn a_missing_required_variable_fails_with_the_environment_name() {
        let err = AppVariables::resolve(&manifest(), &source(&[])).unwrap_err();
        assert!(err.to_string().contains("SPIN_VARIABLE_DB_URL"), "{err}");
    }

    #[test]
    fn overrides_beat_defaults() {
        let vars = AppVariables::resolve(
            &manifest(),
            &source(&[("db_url", "postgres://a"), ("db_host", "db")]),
        )
        .expect("resolves");
        assert_eq!(vars.get("db_host"), Some("db"));
        assert_eq!(vars.get("token"), Some(""));
    }

    #[test]
    fn components_see_only_their_own_expanded_variables() {
        let vars = AppVariables::resolve(&manifest(), &source(&[("db_url", "postgres://a")]))
            .expect("resolves");
        let templates = BTreeMap::from([("url".to_string(), "{{ db_url }}/x".to_string())]);
        let seen = vars.for_component(&templates).expect("expands");
        assert_eq!(seen.get("url").map(String::as_str), Some("postgres://a/x"));
        assert!(!seen.contains_key("db_host"));
    }

    #[test]
    fn an_undeclared_override_is_refused() {
        assert!(AppVariables::resolve(&manifest(), &source(&[("nope", "1")])).is_err());
    }

    #[test]
    fn debug_output_never_shows_values() {
        let vars = AppVariables::resolve(&manifest(), &source(&[("db_url", "secret-pw")]))
            .expect("resolves");
        assert!(!format!("{vars:?}").contains("secret-pw"));
    }
}

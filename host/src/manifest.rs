//! The subset of Spin's application manifest (`spin_manifest_version = 2`) that this
//! repository uses: variables, HTTP triggers, components with `source`, `files`,
//! `allowed_outbound_hosts`, `variables` and `environment`.
//!
//! Unknown fields are ignored (Spin's `build` tables, for example); fields that change
//! behaviour and that the host does not implement are refused, so that a manifest never
//! means something different here than on Spin.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub spin_manifest_version: u32,
    pub application: Application,
    #[serde(default)]
    pub variables: BTreeMap<String, VariableDecl>,
    #[serde(default)]
    pub trigger: Triggers,
    #[serde(default)]
    pub component: BTreeMap<String, ComponentDecl>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Application {
    pub name: String,
    #[serde(default)]
    pub version: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VariableDecl {
    #[serde(default)]
    pub default: Option<String>,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub secret: bool,
    #[serde(default)]
    pub description: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Triggers {
    #[serde(default)]
    pub http: Vec<HttpTrigger>,
    /// Spin's command trigger (a plugin for `spin up`, bundled in containerd-shim-spin):
    /// components that export `wasi:cli/run` and run once.
    #[serde(default)]
    pub command: Vec<CommandTrigger>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CommandTrigger {
    pub component: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct HttpTrigger {
    pub route: String,
    pub component: String,
    #[serde(default)]
    pub executor: Option<toml::Value>,
}

/// A component table. Like Spin, unknown fields are refused (a typo must fail here as it
/// fails on `spin up`); fields Spin knows but this host does not use are accepted.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComponentDecl {
    pub source: toml::Value,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub build: Option<toml::Value>,
    #[serde(default)]
    pub tool: Option<toml::Value>,
    #[serde(default)]
    pub exclude_files: Vec<String>,
    #[serde(default)]
    pub ai_models: Vec<String>,
    #[serde(default)]
    pub dependencies_inherit_configuration: bool,
    #[serde(default)]
    pub dependencies: Option<toml::Value>,
    #[serde(default)]
    pub files: Vec<FileMount>,
    #[serde(default)]
    pub allowed_outbound_hosts: Vec<String>,
    #[serde(default)]
    pub variables: BTreeMap<String, String>,
    #[serde(default)]
    pub environment: BTreeMap<String, String>,
    #[serde(default)]
    pub key_value_stores: Vec<String>,
    #[serde(default)]
    pub sqlite_databases: Vec<String>,
}

/// `files = ["static/**"]` or `files = [{ source = "static", destination = "/" }]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum FileMount {
    Pattern(String),
    Placement { source: String, destination: String },
}

impl Manifest {
    pub fn from_file(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading manifest {}", path.display()))?;
        Self::parse(&text).with_context(|| format!("in manifest {}", path.display()))
    }

    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let manifest: Manifest = toml::from_str(text).context("parsing spin.toml")?;
        manifest.validate()?;
        Ok(manifest)
    }

    fn validate(&self) -> anyhow::Result<()> {
        if self.spin_manifest_version != 2 {
            bail!(
                "spin_manifest_version {} is not supported (only 2)",
                self.spin_manifest_version
            );
        }
        for name in self.variables.keys() {
            check_variable_name(name)?;
        }
        for trigger in &self.trigger.http {
            if trigger.executor.is_some() {
                bail!(
                    "route {}: only the default (wasi-http / spin) executor is supported",
                    trigger.route
                );
            }
            if !self.component.contains_key(&trigger.component) {
                bail!(
                    "route {} names component {:?}, which is not defined",
                    trigger.route,
                    trigger.component
                );
            }
        }
        for trigger in &self.trigger.command {
            if !self.component.contains_key(&trigger.component) {
                bail!(
                    "command trigger names component {:?}, which is not defined",
                    trigger.component
                );
            }
        }
        for (id, component) in &self.component {
            if !component.sqlite_databases.is_empty()
                || !component.ai_models.is_empty()
                || component.dependencies.is_some()
                || !component.exclude_files.is_empty()
            {
                bail!(
                    "component {id}: SQLite, AI models, component dependencies and \
                     exclude_files are not supported by this host"
                );
            }
            crate::kv::check_labels(&component.key_value_stores)
                .with_context(|| format!("component {id}"))?;
            for name in component.variables.keys() {
                check_variable_name(name).with_context(|| format!("component {id}"))?;
            }
            component
                .source_path()
                .with_context(|| format!("component {id}"))?;
        }
        Ok(())
    }
}

impl ComponentDecl {
    /// The local `.wasm` path (relative to the manifest's directory).
    pub fn source_path(&self) -> anyhow::Result<PathBuf> {
        match &self.source {
            toml::Value::String(path) => Ok(PathBuf::from(path)),
            _ => bail!("only a local file path is supported as `source` (no url or registry)"),
        }
    }
}

/// Spin variable names: lower-case ASCII letters, digits and underscores, starting with a letter.
pub fn check_variable_name(name: &str) -> anyhow::Result<()> {
    let mut chars = name.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_lowercase());
    if first_ok
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !name.contains("__")
        && !name.ends_with('_')
    {
        Ok(())
    } else {
        bail!(
            "invalid variable name {name:?}: use lower-case letters, digits and single underscores"
        )
    }
}

/// Expands `{{ name }}` references in a template with `lookup`. Text outside braces is kept.
pub fn expand_template(
    template: &str,
    mut lookup: impl FnMut(&str) -> anyhow::Result<String>,
) -> anyhow::Result<String> {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            bail!("unterminated `{{{{` in template {template:?}");
        };
        let name = after[..end].trim();
        check_variable_name(name).with_context(|| format!("in template {template:?}"))?;
        out.push_str(&lookup(name)?);
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"
spin_manifest_version = 2
[application]
name = "x"
[variables]
db_url = { required = true, secret = true }
db_host = { default = "127.0.0.1" }
[[trigger.http]]
route = "/api/..."
component = "api"
[component.api]
source = "api.wasm"
allowed_outbound_hosts = ["postgres://{{ db_host }}:5432"]
files = [{ source = "static", destination = "/" }, "more/*.txt"]
[component.api.variables]
db_url = "{{ db_url }}"
[component.api.build]
command = "cargo build"
"#;

    #[test]
    fn a_manifest_with_variables_triggers_and_files_parses() {
        let m = Manifest::parse(SAMPLE).expect("parses");
        assert_eq!(m.application.name, "x");
        assert!(m.variables["db_url"].required);
        assert_eq!(m.trigger.http[0].component, "api");
        assert_eq!(m.component["api"].files.len(), 2);
    }

    #[test]
    fn a_route_to_an_undefined_component_is_refused() {
        let text = SAMPLE.replace("component = \"api\"", "component = \"nope\"");
        let err = Manifest::parse(&text).unwrap_err();
        assert!(format!("{err:#}").contains("not defined"));
    }

    #[test]
    fn an_unknown_component_field_is_refused_as_spin_does() {
        let text = SAMPLE.replace(
            "source = \"api.wasm\"",
            "source = \"api.wasm\"\nallowed_hosts = []",
        );
        let err = Manifest::parse(&text).unwrap_err();
        assert!(format!("{err:#}").contains("allowed_hosts"), "{err:#}");
    }

    #[test]
    fn manifest_version_one_is_refused() {
        let text = SAMPLE.replace("spin_manifest_version = 2", "spin_manifest_version = 1");
        assert!(Manifest::parse(&text).is_err());
    }

    #[test]
    fn templates_expand_every_reference() {
        let out = expand_template("postgres://{{ db_host }}:{{db_port}}/x", |n| {
            Ok(format!("<{n}>"))
        })
        .expect("expands");
        assert_eq!(out, "postgres://<db_host>:<db_port>/x");
    }

    #[test]
    fn an_unterminated_template_is_an_error() {
        assert!(expand_template("{{ db_host", |_| Ok(String::new())).is_err());
    }

    #[test]
    fn variable_names_follow_spin_rules() {
        assert!(check_variable_name("db_url").is_ok());
        assert!(check_variable_name("Db").is_err());
        assert!(check_variable_name("1db").is_err());
        assert!(check_variable_name("db-url").is_err());
        assert!(check_variable_name("").is_err());
    }
}

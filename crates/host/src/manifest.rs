//! The Spin application manifest (`spin.toml`, manifest v2), read and checked up front.
//!
//! Only what an HTTP app run by this runtime uses is modelled; unknown keys in the
//! places Spin defines are refused so that a typo never silently drops a capability.
//! [`Manifest::load`] reports every problem of the file at once, each with a hint,
//! the way `spin up` refuses a bad manifest before it serves anything.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// A parsed manifest, before it is checked against the rest of the world.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawManifest {
    /// Must be 2.
    pub spin_manifest_version: toml::Value,
    /// `[application]`.
    pub application: Application,
    /// `[variables]`: application variables.
    #[serde(default)]
    pub variables: BTreeMap<String, VariableDecl>,
    /// `[[trigger.<type>]]`: only `http` is served here.
    #[serde(default)]
    pub trigger: BTreeMap<String, Vec<toml::Table>>,
    /// `[component.<id>]`.
    #[serde(default)]
    pub component: BTreeMap<String, RawComponent>,
}

/// `[application]`.
#[derive(Debug, Deserialize)]
pub struct Application {
    /// The application name.
    pub name: String,
    /// The application version.
    #[serde(default)]
    pub version: Option<String>,
    /// Free text.
    #[serde(default)]
    pub description: Option<String>,
    /// Authors.
    #[serde(default)]
    pub authors: Vec<String>,
    /// Application-level trigger settings (unused by HTTP).
    #[serde(default)]
    pub trigger: Option<toml::Table>,
}

/// One `[variables]` entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VariableDecl {
    /// Value used when no provider has one.
    #[serde(default)]
    pub default: Option<String>,
    /// A value must come from a provider (the environment) at start-up.
    #[serde(default)]
    pub required: bool,
    /// Never log the value.
    #[serde(default)]
    pub secret: bool,
    /// Free text.
    #[serde(default)]
    pub description: Option<String>,
}

/// `[component.<id>]` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawComponent {
    /// A path to the `.wasm` file (a registry or URL source is not supported here).
    pub source: toml::Value,
    /// Free text.
    #[serde(default)]
    pub description: Option<String>,
    /// Files mounted read-only into the guest.
    #[serde(default)]
    pub files: Vec<FileMount>,
    /// Files left out of glob mounts.
    #[serde(default)]
    pub exclude_files: Vec<String>,
    /// Hosts the component may call.
    #[serde(default)]
    pub allowed_outbound_hosts: Vec<String>,
    /// SQLite database labels the component may open.
    #[serde(default)]
    pub sqlite_databases: Vec<String>,
    /// Key-value store labels the component may open.
    #[serde(default)]
    pub key_value_stores: Vec<String>,
    /// Environment variables of the guest.
    #[serde(default)]
    pub environment: BTreeMap<String, String>,
    /// Component variables: templates over application variables.
    #[serde(default)]
    pub variables: BTreeMap<String, String>,
    /// `[component.<id>.build]`: used by `spin build`, ignored when serving.
    #[serde(default)]
    pub build: Option<toml::Table>,
    /// LLM models the component may use (linked, but this runtime runs no models).
    #[serde(default)]
    pub ai_models: Vec<String>,
    /// Deprecated Spin 1 key.
    #[serde(default)]
    pub allowed_http_hosts: Vec<String>,
    /// Tooling metadata, ignored.
    #[serde(default)]
    pub tool: Option<toml::Table>,
    /// Component dependencies (composition), not supported here.
    #[serde(default)]
    pub dependencies: Option<toml::Table>,
    /// Whether dependencies inherit configuration.
    #[serde(default)]
    pub dependencies_inherit_configuration: Option<bool>,
}

/// One `files` entry: a glob pattern, or a directory mapped to a guest path.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum FileMount {
    /// `"static/**/*"`: matching files, mounted at the same relative path under `/`.
    Pattern(String),
    /// `{ source = "static", destination = "/" }`.
    Mapping {
        /// A directory relative to the manifest.
        source: String,
        /// An absolute guest path.
        destination: String,
    },
}

/// A checked HTTP trigger.
#[derive(Debug, Clone)]
pub struct HttpTrigger {
    /// The route as written (`/api/...`), or `None` for a private endpoint.
    pub route: Option<String>,
    /// The component that handles it.
    pub component: String,
}

/// A checked component.
#[derive(Debug, Clone)]
pub struct ComponentSpec {
    /// The component id.
    pub id: String,
    /// Absolute path of the `.wasm` file.
    pub source: PathBuf,
    /// File mounts, sources made absolute.
    pub files: Vec<FileMount>,
    /// Patterns left out of glob mounts.
    pub exclude_files: Vec<String>,
    /// `allowed_outbound_hosts` as written (checked by [`crate::outbound`]).
    pub allowed_outbound_hosts: Vec<String>,
    /// Database labels.
    pub sqlite_databases: Vec<String>,
    /// Store labels.
    pub key_value_stores: Vec<String>,
    /// Guest environment.
    pub environment: BTreeMap<String, String>,
    /// Component variables (templates).
    pub variables: BTreeMap<String, String>,
    /// LLM models it may use.
    pub ai_models: Vec<String>,
}

/// A manifest that passed every check.
#[derive(Debug, Clone)]
pub struct Manifest {
    /// The directory holding `spin.toml`; relative paths start here.
    pub dir: PathBuf,
    /// The application name.
    pub name: String,
    /// The application version.
    pub version: String,
    /// Application variables.
    pub variables: BTreeMap<String, VariableDecl>,
    /// HTTP triggers in file order.
    pub http_triggers: Vec<HttpTrigger>,
    /// Components by id (only those some trigger uses are instantiated).
    pub components: BTreeMap<String, ComponentSpec>,
}

/// One thing wrong with the manifest, with what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// What is wrong, naming the place.
    pub message: String,
    /// How to fix it.
    pub hint: String,
}

/// Every problem found in the manifest (and in the runtime setup that depends on it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problems(pub Vec<Problem>);

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "the application cannot start: {} problem(s)", self.0.len())?;
        for p in &self.0 {
            writeln!(f, "  - {}\n    hint: {}", p.message, p.hint)?;
        }
        Ok(())
    }
}

impl std::error::Error for Problems {}

impl Problems {
    /// Records one problem.
    pub fn push(&mut self, message: impl Into<String>, hint: impl Into<String>) {
        self.0.push(Problem {
            message: message.into(),
            hint: hint.into(),
        });
    }

    /// `Ok(())` when nothing was recorded.
    pub fn into_result(self) -> Result<(), Problems> {
        if self.0.is_empty() { Ok(()) } else { Err(self) }
    }
}

impl Manifest {
    /// Reads and checks the manifest at `path`.
    pub fn load(path: &Path) -> Result<Manifest, Problems> {
        let mut problems = Problems(Vec::new());
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) => {
                problems.push(
                    format!("cannot read {}: {e}", path.display()),
                    "pass the path of the app's spin.toml with --from",
                );
                return Err(problems);
            }
        };
        let dir = path
            .canonicalize()
            .ok()
            .and_then(|p| p.parent().map(Path::to_path_buf))
            .unwrap_or_else(|| PathBuf::from("."));
        Self::parse(&text, &dir)
    }

    /// Checks manifest text whose relative paths start at `dir`.
    pub fn parse(text: &str, dir: &Path) -> Result<Manifest, Problems> {
        let mut problems = Problems(Vec::new());
        let raw: RawManifest = match toml::from_str(text) {
            Ok(raw) => raw,
            Err(e) => {
                problems.push(
                    format!("spin.toml is not a valid manifest: {}", e.to_string().trim()),
                    "compare it with the manifest v2 reference (spin_manifest_version = 2, [application], [[trigger.http]], [component.<id>])",
                );
                return Err(problems);
            }
        };
        if raw.spin_manifest_version.as_integer() != Some(2) {
            problems.push(
                format!(
                    "spin_manifest_version is {}, only 2 is supported",
                    raw.spin_manifest_version
                ),
                "set spin_manifest_version = 2 (run `spin doctor` to migrate a v1 manifest)",
            );
        }
        check_variables(&raw.variables, &mut problems);
        let http_triggers = check_triggers(&raw, &mut problems);
        crate::router::Router::build(&http_triggers, &mut problems); // reports duplicate routes
        let mut components = BTreeMap::new();
        for (id, c) in &raw.component {
            if let Some(spec) = check_component(id, c, dir, &raw.variables, &mut problems) {
                components.insert(id.clone(), spec);
            }
        }
        problems.into_result()?;
        Ok(Manifest {
            dir: dir.to_path_buf(),
            name: raw.application.name,
            version: raw.application.version.unwrap_or_else(|| "0.0.0".into()),
            variables: raw.variables,
            http_triggers,
            components,
        })
    }
}

/// How to write an `allowed_outbound_hosts` entry.
pub const ALLOWED_HOSTS_HINT: &str = "write `scheme://host[:port]`, e.g. \"https://api.example.com\", \"https://*.example.com:443\", \"tcp://127.0.0.1:5000..5010\", \"*://10.0.0.0/8:*\" or \"http://self\"";

/// Spin's rule for variable and component-variable names.
pub fn is_valid_variable_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !name.ends_with('_')
        && !name.contains("__")
}

fn check_variables(vars: &BTreeMap<String, VariableDecl>, problems: &mut Problems) {
    for (name, decl) in vars {
        if !is_valid_variable_name(name) {
            problems.push(
                format!("variable `{name}` has an invalid name"),
                "use lowercase letters, digits and single underscores, starting with a letter",
            );
        }
        if decl.required && decl.default.is_some() {
            problems.push(
                format!("variable `{name}` is both required and has a default"),
                "drop `default` or set `required = false`",
            );
        }
    }
}

fn check_triggers(raw: &RawManifest, problems: &mut Problems) -> Vec<HttpTrigger> {
    let mut out = Vec::new();
    for (kind, triggers) in &raw.trigger {
        if kind != "http" {
            problems.push(
                format!("trigger type `{kind}` is not supported by this runtime"),
                "only [[trigger.http]] is served; remove the other triggers or run them on Spin",
            );
            continue;
        }
        for (i, t) in triggers.iter().enumerate() {
            let at = format!("[[trigger.http]] #{}", i + 1);
            for key in t.keys() {
                if !["route", "component", "id", "executor", "static_response"].contains(&key.as_str()) {
                    problems.push(
                        format!("{at} has an unknown key `{key}`"),
                        "a trigger takes `route` and `component`",
                    );
                }
            }
            let route = match t.get("route") {
                Some(toml::Value::String(r)) => {
                    if !r.starts_with('/') {
                        problems.push(
                            format!("{at} route `{r}` does not start with `/`"),
                            "write routes like `/api/...` or `/health`",
                        );
                    }
                    Some(r.clone())
                }
                Some(toml::Value::Table(tbl)) if tbl.get("private").and_then(|v| v.as_bool()) == Some(true) => None,
                _ => {
                    problems.push(
                        format!("{at} has no route"),
                        "add `route = \"/path\"` (or `route = { private = true }`)",
                    );
                    continue;
                }
            };
            if let Some(toml::Value::String(exec)) = t.get("executor").and_then(|e| e.get("type"))
                && exec != "spin"
            {
                problems.push(
                    format!("{at} uses executor `{exec}`"),
                    "only Spin (wasi:http) components are supported; drop the executor",
                );
            }
            match t.get("component") {
                Some(toml::Value::String(c)) => {
                    if !raw.component.contains_key(c) {
                        problems.push(
                            format!("{at} names component `{c}`, which is not defined"),
                            format!("add a [component.{c}] table or fix the name"),
                        );
                    }
                    out.push(HttpTrigger {
                        route,
                        component: c.clone(),
                    });
                }
                _ => problems.push(
                    format!("{at} has no `component`"),
                    "name a component defined in a [component.<id>] table",
                ),
            }
        }
    }
    out
}

fn check_component(
    id: &str,
    c: &RawComponent,
    dir: &Path,
    app_vars: &BTreeMap<String, VariableDecl>,
    problems: &mut Problems,
) -> Option<ComponentSpec> {
    let at = format!("[component.{id}]");
    if !c.allowed_http_hosts.is_empty() {
        problems.push(
            format!("{at} uses the Spin 1 key `allowed_http_hosts`"),
            "rename it to `allowed_outbound_hosts` with full URLs, e.g. \"https://example.com\"",
        );
    }
    if c.dependencies.is_some() {
        problems.push(
            format!("{at} has dependencies"),
            "component composition is not supported here; compose before deploying",
        );
    }
    let source = match &c.source {
        toml::Value::String(s) => dir.join(s),
        _ => {
            problems.push(
                format!("{at} source is not a local file path"),
                "build the component and point `source` at its .wasm file",
            );
            return None;
        }
    };
    if !source.is_file() {
        problems.push(
            format!("{at} source {} does not exist", source.display()),
            "build the components first (`cargo xtask up` does, or `spin build`)",
        );
    }
    let mut files = Vec::new();
    for mount in &c.files {
        match mount {
            FileMount::Pattern(p) => {
                if Path::new(p).is_absolute() || p.contains("..") {
                    problems.push(
                        format!("{at} files pattern `{p}` leaves the app directory"),
                        "use a pattern relative to spin.toml",
                    );
                }
                files.push(mount.clone());
            }
            FileMount::Mapping { source, destination } => {
                let src = dir.join(source);
                if !src.is_dir() {
                    problems.push(
                        format!("{at} files source `{source}` is not a directory"),
                        "create the directory or fix the path (it is relative to spin.toml)",
                    );
                }
                if !destination.starts_with('/') {
                    problems.push(
                        format!("{at} files destination `{destination}` is not absolute"),
                        "destinations are guest paths such as \"/\" or \"/assets\"",
                    );
                }
                files.push(FileMount::Mapping {
                    source: src.to_string_lossy().into_owned(),
                    destination: destination.clone(),
                });
            }
        }
    }
    for host in &c.allowed_outbound_hosts {
        // A templated entry is checked once its variables are known (`App::load`).
        let checked = match crate::variables::template_references(host) {
            Ok(refs) if refs.is_empty() => crate::allowed_hosts::AllowedHost::parse(host).map(|_| ()),
            Ok(refs) => match refs.iter().find(|r| !app_vars.contains_key(*r)) {
                Some(r) => Err(format!("it refers to `{{{{ {r} }}}}`, which is not in [variables]")),
                None => Ok(()),
            },
            Err(e) => Err(e),
        };
        if let Err(e) = checked {
            problems.push(
                format!("{at} allowed_outbound_hosts entry `{host}`: {e}"),
                ALLOWED_HOSTS_HINT,
            );
        }
    }
    for (name, template) in &c.variables {
        if !is_valid_variable_name(name) {
            problems.push(
                format!("{at} variable `{name}` has an invalid name"),
                "use lowercase letters, digits and single underscores, starting with a letter",
            );
        }
        match crate::variables::template_references(template) {
            Ok(refs) => {
                for r in refs {
                    if !app_vars.contains_key(&r) {
                        problems.push(
                            format!("{at} variable `{name}` refers to `{{{{ {r} }}}}`, which is not in [variables]"),
                            format!("declare it: [variables] {r} = {{ default = \"...\" }}"),
                        );
                    }
                }
            }
            Err(e) => problems.push(
                format!("{at} variable `{name}`: {e}"),
                "write templates like \"prefix-{{ app_var }}\"",
            ),
        }
    }
    Some(ComponentSpec {
        id: id.to_string(),
        source,
        files,
        exclude_files: c.exclude_files.clone(),
        allowed_outbound_hosts: c.allowed_outbound_hosts.clone(),
        sqlite_databases: c.sqlite_databases.clone(),
        key_value_stores: c.key_value_stores.clone(),
        environment: c.environment.clone(),
        variables: c.variables.clone(),
        ai_models: c.ai_models.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems_of(text: &str) -> Vec<String> {
        match Manifest::parse(text, Path::new("/nonexistent")) {
            Ok(_) => Vec::new(),
            Err(p) => p.0.into_iter().map(|p| p.message).collect(),
        }
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let found = problems_of(
            r#"
spin_manifest_version = 2
[application]
name = "x"
[variables]
Bad = { default = "1" }
[[trigger.http]]
route = "api"
component = "missing"
[[trigger.redis]]
channel = "c"
component = "a"
[component.a]
source = "a.wasm"
allowed_outbound_hosts = ["not a url"]
variables = { key = "{{ nope }}" }
"#,
        );
        let expected = [
            "variable `Bad` has an invalid name",
            "route `api` does not start with `/`",
            "names component `missing`",
            "trigger type `redis`",
            "a.wasm does not exist",
            "allowed_outbound_hosts entry `not a url`",
            "refers to `{{ nope }}`",
        ];
        for e in expected {
            assert!(found.iter().any(|f| f.contains(e)), "missing {e:?} in {found:#?}");
        }
        assert_eq!(found.len(), expected.len(), "{found:#?}");
    }

    #[test]
    fn a_toml_syntax_error_is_one_problem_with_the_position() {
        let found = problems_of("spin_manifest_version = 2\n[application\n");
        assert_eq!(found.len(), 1);
        assert!(found[0].contains("line 2"), "{found:?}");
    }

    #[test]
    fn unknown_component_keys_are_refused() {
        let found = problems_of(
            "spin_manifest_version = 2\n[application]\nname='x'\n[component.a]\nsource='a.wasm'\nsqlite_database=['default']\n",
        );
        assert!(found[0].contains("sqlite_database"), "{found:?}");
    }

    #[test]
    fn variable_names_follow_spin() {
        for ok in ["a", "db_url", "x1"] {
            assert!(is_valid_variable_name(ok), "{ok}");
        }
        for bad in ["", "A", "1a", "a-b", "a__b", "a_", "_a"] {
            assert!(!is_valid_variable_name(bad), "{bad}");
        }
    }
}

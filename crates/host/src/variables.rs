//! Variables: `[variables]` of the app, component variable templates, and the
//! `fermyon:spin/variables` and `wasi:config/store` interfaces.
//!
//! Values come, as with `spin up`, from the environment (`SPIN_VARIABLE_<NAME>`)
//! or the declared default; a `required` variable with no value stops start-up.
//! Everything is resolved once at start-up, so a guest `get` is a map lookup.

use std::collections::{BTreeMap, HashMap};

use crate::manifest::{Manifest, Problems, is_valid_variable_name};

/// The names of app variables a template refers to (`"a-{{ name }}-b"` -> `["name"]`).
pub fn template_references(template: &str) -> Result<Vec<String>, String> {
    Ok(parse_template(template)?
        .into_iter()
        .filter_map(|part| match part {
            Part::Var(v) => Some(v),
            Part::Text(_) => None,
        })
        .collect())
}

enum Part {
    Text(String),
    Var(String),
}

fn parse_template(template: &str) -> Result<Vec<Part>, String> {
    let mut parts = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        if start > 0 {
            parts.push(Part::Text(rest[..start].to_string()));
        }
        let after = &rest[start + 2..];
        let end = after
            .find("}}")
            .ok_or_else(|| format!("`{template}` has an unclosed `{{{{`"))?;
        let name = after[..end].trim();
        if !is_valid_variable_name(name) {
            return Err(format!("`{name}` is not a variable name"));
        }
        parts.push(Part::Var(name.to_string()));
        rest = &after[end + 2..];
    }
    if !rest.is_empty() {
        parts.push(Part::Text(rest.to_string()));
    }
    Ok(parts)
}

/// Resolved component variables, per component id.
#[derive(Debug, Default)]
pub struct ResolvedVariables {
    app: HashMap<String, String>,
    by_component: HashMap<String, HashMap<String, String>>,
}

impl ResolvedVariables {
    /// Resolves every component's variables against the environment and defaults.
    pub fn resolve(manifest: &Manifest, env: &HashMap<String, String>, problems: &mut Problems) -> ResolvedVariables {
        let mut app: BTreeMap<&str, String> = BTreeMap::new();
        for (name, decl) in &manifest.variables {
            let env_name = format!("SPIN_VARIABLE_{}", name.to_ascii_uppercase());
            match env.get(&env_name).cloned().or_else(|| decl.default.clone()) {
                Some(v) => {
                    app.insert(name, v);
                }
                None if decl.required => problems.push(
                    format!("required variable `{name}` has no value"),
                    format!("set the environment variable {env_name}"),
                ),
                None => {}
            }
        }
        let mut by_component = HashMap::new();
        for (id, spec) in &manifest.components {
            let mut vars = HashMap::new();
            for (key, template) in &spec.variables {
                let Ok(parts) = parse_template(template) else { continue };
                let mut value = String::new();
                let mut complete = true;
                for part in parts {
                    match part {
                        Part::Text(t) => value.push_str(&t),
                        Part::Var(v) => match app.get(v.as_str()) {
                            Some(x) => value.push_str(x),
                            None => complete = false,
                        },
                    }
                }
                if complete {
                    vars.insert(key.clone(), value);
                }
            }
            by_component.insert(id.clone(), vars);
        }
        let app = app.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
        ResolvedVariables { app, by_component }
    }

    /// `template` with each `{{ name }}` replaced by the app variable's value (templated
    /// `allowed_outbound_hosts` entries).
    pub fn render(&self, template: &str) -> Result<String, String> {
        let mut out = String::new();
        for part in parse_template(template)? {
            match part {
                Part::Text(t) => out.push_str(&t),
                Part::Var(v) => match self.app.get(&v) {
                    Some(value) => out.push_str(value),
                    None => return Err(format!("variable `{v}` has no value")),
                },
            }
        }
        Ok(out)
    }

    /// The variables of one component.
    pub fn for_component(&self, id: &str) -> HashMap<String, String> {
        self.by_component.get(id).cloned().unwrap_or_default()
    }
}

/// The guest-facing lookup with Spin's error cases.
pub fn get(vars: &HashMap<String, String>, name: &str) -> Result<String, VariableError> {
    if !is_valid_variable_name(name) {
        return Err(VariableError::InvalidName(name.to_string()));
    }
    vars.get(name)
        .cloned()
        .ok_or_else(|| VariableError::Undefined(name.to_string()))
}

/// Why a variable lookup failed.
#[derive(Debug, PartialEq, Eq)]
pub enum VariableError {
    /// Not a valid variable name.
    InvalidName(String),
    /// Not declared for the component, or it has no value.
    Undefined(String),
}

impl crate::bindings::fermyon::spin::variables::Host for crate::state::RequestState {
    fn get(
        &mut self,
        name: String,
    ) -> wasmtime::Result<Result<String, crate::bindings::fermyon::spin::variables::Error>> {
        use crate::bindings::fermyon::spin::variables::Error;
        Ok(get(&self.caps.variables, &name).map_err(|e| match e {
            VariableError::InvalidName(n) => Error::InvalidName(n),
            VariableError::Undefined(n) => Error::Undefined(n),
        }))
    }
}

/// `wasi:config/store`, as Spin provides it: the component's variables. An undefined name is
/// `none`; a name that cannot be a variable is an `upstream` error.
impl crate::bindings::wasi::config::store::Host for crate::state::RequestState {
    fn get(
        &mut self,
        key: String,
    ) -> wasmtime::Result<Result<Option<String>, crate::bindings::wasi::config::store::Error>> {
        use crate::bindings::wasi::config::store::Error;
        Ok(match get(&self.caps.variables, &key) {
            Ok(value) => Ok(Some(value)),
            Err(VariableError::Undefined(_)) => Ok(None),
            Err(VariableError::InvalidName(n)) => Err(Error::Upstream(format!("`{n}` is not a valid variable name"))),
        })
    }

    fn get_all(
        &mut self,
    ) -> wasmtime::Result<Result<Vec<(String, String)>, crate::bindings::wasi::config::store::Error>> {
        let mut all: Vec<(String, String)> = self
            .caps
            .variables
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        all.sort();
        Ok(Ok(all))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn templates_name_their_variables() {
        assert_eq!(template_references("a-{{ x }}-{{y_1}}").unwrap(), vec!["x", "y_1"]);
        assert!(template_references("{{ x ").is_err());
        assert!(template_references("{{ X }}").is_err());
        assert!(template_references("plain").unwrap().is_empty());
    }

    #[test]
    fn env_overrides_default_and_required_needs_a_value() {
        let manifest = Manifest::parse(
            r#"
spin_manifest_version = 2
[application]
name = "x"
[variables]
greeting = { default = "hello" }
token = { required = true, secret = true }
[component.c]
source = "Cargo.toml"
variables = { message = "{{ greeting }}, world", secret = "{{ token }}" }
"#,
            Path::new(env!("CARGO_MANIFEST_DIR")),
        )
        .unwrap();
        let mut problems = Problems(Vec::new());
        let vars = ResolvedVariables::resolve(&manifest, &HashMap::new(), &mut problems);
        assert_eq!(problems.0.len(), 1);
        assert!(problems.0[0].hint.contains("SPIN_VARIABLE_TOKEN"));
        assert_eq!(get(&vars.for_component("c"), "message").unwrap(), "hello, world");

        let env = HashMap::from([
            ("SPIN_VARIABLE_GREETING".to_string(), "hi".to_string()),
            ("SPIN_VARIABLE_TOKEN".to_string(), "s3cret".to_string()),
        ]);
        let mut problems = Problems(Vec::new());
        let vars = ResolvedVariables::resolve(&manifest, &env, &mut problems);
        assert!(problems.0.is_empty());
        let c = vars.for_component("c");
        assert_eq!(get(&c, "message").unwrap(), "hi, world");
        assert_eq!(get(&c, "secret").unwrap(), "s3cret");
        assert_eq!(get(&c, "nope"), Err(VariableError::Undefined("nope".into())));
        assert_eq!(get(&c, "Bad-Name"), Err(VariableError::InvalidName("Bad-Name".into())));
        assert_eq!(
            vars.render("https://{{ greeting }}.example:{{token}}").unwrap(),
            "https://hi.example:s3cret"
        );
        assert!(vars.render("{{ nope }}").unwrap_err().contains("`nope`"));
    }
}

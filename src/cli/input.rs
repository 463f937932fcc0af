//! Reading resources from `-f` files.
//!
//! A file is UTF-8 JSON or YAML, with or without a byte order mark: `.json`
//! files are JSON, `.yaml` and `.yml` files are YAML, and anything else
//! (stdin included) is JSON when its first character is `{` or `[`, YAML
//! otherwise. A YAML file may contain several documents separated by `---`,
//! and a JSON file may contain a list of them.
//!
//! Each document is one resource in one of these forms:
//!
//! - the request body: `{"profileTemplate": {...}}`, optionally with an
//!   `updateMask`, or `{"runnerId": "...", "runner": {...}}`, or
//!   `{"runner": {...}, "updateMask": "..."}`;
//! - the bare resource: a ProfileTemplate or a Runner;
//! - the structured form of CoreWeave's CLI: a bare ProfileTemplate whose
//!   `spec.namespace`, `spec.network` and `spec.pod` are objects, stored as
//!   the strings `namespaceConfigJson`, `networkConfigJson` and
//!   `podTemplateJson`. A binding may give `overrides` as an object in place
//!   of the `overridesJson` string.
//!
//! Keys may be lowerCamelCase or snake_case, and a key may appear once per
//! object. A document may carry `kind: ProfileTemplate` or `kind: Runner`;
//! without it the shape decides: `profileTemplate` or `spec` means a
//! template, `runner`, `runnerId`, `identity`, `managedSpec` or
//! `profileBindings` means a runner. Unknown fields are errors.

use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::error::CliError;
use super::schema::{self, describe, join};
use super::unique_keys::UniqueKeys;
use crate::ops::MaskError;
use crate::v1beta2::{ProfileTemplate, Runner};
use crate::wkt::FieldMask;

/// The kind of a resource document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    ProfileTemplate,
    Runner,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Self::ProfileTemplate => "ProfileTemplate",
            Self::Runner => "Runner",
        }
    }
}

/// One resource read from a file.
#[derive(Debug, Clone, PartialEq)]
// A few documents live at a time, so the size of the larger variant costs nothing.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Resource {
    ProfileTemplate {
        template: ProfileTemplate,
        mask: Option<FieldMask>,
    },
    Runner {
        /// The runner id from `runnerId` or `identity.runnerId`; empty when neither is set.
        runner_id: String,
        runner: Runner,
        mask: Option<FieldMask>,
    },
}

/// A resource and where it came from, for messages.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Document {
    pub(crate) origin: String,
    pub(crate) resource: Resource,
}

/// Largest input file read with `-f`. Resource files are a few KiB; the
/// limit keeps a wrong path such as `/dev/zero` from filling memory.
const MAX_INPUT_BYTES: u64 = 16 * 1024 * 1024;

/// Reads one file (`-` for stdin) and returns its documents. A document
/// whose shape fits either kind is read as `expected` when that is given.
pub(crate) fn read_file(path: &str, expected: Option<Kind>) -> Result<Vec<Document>, CliError> {
    let (label, text) = if path == "-" {
        let text = read_limited(std::io::stdin(), "stdin")?;
        ("stdin".to_string(), text)
    } else {
        let file = std::fs::File::open(path).map_err(|error| {
            CliError::usage(format!(
                "cannot read {path}: {error}; check the path given to -f"
            ))
        })?;
        (path.to_string(), read_limited(file, path)?)
    };
    parse_text(&label, &text, expected)
}

/// Reads at most [`MAX_INPUT_BYTES`] as UTF-8 text.
fn read_limited(reader: impl Read, label: &str) -> Result<String, CliError> {
    let mut bytes = Vec::new();
    reader
        .take(MAX_INPUT_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|error| CliError::usage(format!("cannot read {label}: {error}")))?;
    if bytes.len() as u64 > MAX_INPUT_BYTES {
        return Err(CliError::usage(format!(
            "{label} is larger than {} MiB, too large for a resource file; check the path given to -f",
            MAX_INPUT_BYTES / (1024 * 1024)
        )));
    }
    String::from_utf8(bytes).map_err(|error| {
        CliError::usage(format!(
            "cannot read {label}: not UTF-8 text ({error}); save the file as UTF-8"
        ))
    })
}

/// Reads every file of `-f` arguments, expanding a directory to its `.json`,
/// `.yaml` and `.yml` files in name order (not recursive).
pub(crate) fn read_paths(paths: &[String]) -> Result<Vec<Document>, CliError> {
    let mut documents = Vec::new();
    for path in paths {
        if path != "-" && Path::new(path).is_dir() {
            for file in directory_files(path)? {
                documents.extend(read_file(&file.to_string_lossy(), None)?);
            }
        } else {
            documents.extend(read_file(path, None)?);
        }
    }
    Ok(documents)
}

fn directory_files(path: &str) -> Result<Vec<PathBuf>, CliError> {
    let entries = std::fs::read_dir(path)
        .map_err(|error| CliError::usage(format!("cannot read directory {path}: {error}")))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|file| {
            let extension = file.extension().and_then(|extension| extension.to_str());
            file.is_file() && matches!(extension, Some("json" | "yaml" | "yml"))
        })
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(CliError::usage(format!(
            "directory {path} has no .json, .yaml or .yml files"
        )));
    }
    Ok(files)
}

/// Parses the text of one file into its documents. A UTF-8 byte order mark
/// at the start, as some Windows editors write, is skipped.
pub(crate) fn parse_text(
    label: &str,
    text: &str,
    expected: Option<Kind>,
) -> Result<Vec<Document>, CliError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let values = parse_values(label, text)?;
    if values.is_empty() {
        return Err(CliError::usage(format!("{label} contains no document")));
    }
    let several = values.len() > 1;
    values
        .into_iter()
        .enumerate()
        .map(|(index, value)| {
            let origin = if several {
                format!("{label} (document {})", index + 1)
            } else {
                label.to_string()
            };
            let resource = to_resource(value, expected).map_err(|(path, problem)| {
                let location = if path.is_empty() {
                    String::new()
                } else {
                    format!("{path}: ")
                };
                CliError::usage(format!("{origin}: {location}{problem}"))
            })?;
            Ok(Document { origin, resource })
        })
        .collect()
}

fn parse_values(label: &str, text: &str) -> Result<Vec<Value>, CliError> {
    let lower = label.to_ascii_lowercase();
    let json = if lower.ends_with(".json") {
        true
    } else if lower.ends_with(".yaml") || lower.ends_with(".yml") {
        false
    } else {
        text.trim_start().starts_with(['{', '['])
    };

    if json {
        let UniqueKeys(value) = serde_json::from_str(text)
            .map_err(|error| CliError::usage(format!("invalid JSON in {label}: {error}")))?;
        return Ok(match value {
            Value::Array(items) => items,
            other => vec![other],
        });
    }

    let mut values = Vec::new();
    for document in serde_yaml_ng::Deserializer::from_str(text) {
        let UniqueKeys(value) = serde::Deserialize::deserialize(document)
            .map_err(|error| CliError::usage(format!("invalid YAML in {label}: {error}")))?;
        if !value.is_null() {
            values.push(value);
        }
    }
    Ok(values)
}

/// A problem in a document: the JSON path and what is wrong.
type Problem = (String, String);

fn problem(path: &str, text: impl Into<String>) -> Problem {
    (path.to_string(), text.into())
}

/// Turns one parsed document into a resource.
fn to_resource(value: Value, expected: Option<Kind>) -> Result<Resource, Problem> {
    let Value::Object(mut object) = value else {
        return Err(problem(
            "",
            format!("expected a resource object, found {}", describe(&value)),
        ));
    };
    let declared = take_kind(&mut object)?;
    let kind = match (declared, detect_kind(&object), expected) {
        (Some(kind), _, _) | (None, Ok(kind), _) | (None, Err(_), Some(kind)) => kind,
        (None, Err(problem), None) => return Err(problem),
    };

    let wrapped = match kind {
        Kind::ProfileTemplate => has_any(&object, &["profileTemplate", "profile_template"]),
        Kind::Runner => has_any(&object, &["runner", "runnerId", "runner_id"]),
    };
    let (body, body_path, mask, runner_id) = if wrapped {
        unwrap_request(kind, object)?
    } else {
        (Value::Object(object), String::new(), None, None)
    };

    match kind {
        Kind::ProfileTemplate => {
            let template = template_from_value(body, &body_path)?;
            Ok(Resource::ProfileTemplate { template, mask })
        }
        Kind::Runner => {
            let runner = runner_from_value(body, &body_path)?;
            let from_identity = runner
                .identity
                .as_ref()
                .map(|identity| identity.runner_id.clone())
                .unwrap_or_default();
            let runner_id = match runner_id {
                Some(top) if !from_identity.is_empty() && top != from_identity => {
                    return Err(problem(
                        "runnerId",
                        format!(
                            "{top:?} differs from {}.identity.runnerId {from_identity:?}; \
                             set them to the same value or drop one",
                            if body_path.is_empty() {
                                "runner"
                            } else {
                                &body_path
                            }
                        ),
                    ));
                }
                Some(top) => top,
                None => from_identity,
            };
            Ok(Resource::Runner {
                runner_id,
                runner,
                mask,
            })
        }
    }
}

fn take_kind(object: &mut Map<String, Value>) -> Result<Option<Kind>, Problem> {
    let Some(kind) = object.remove("kind") else {
        return Ok(None);
    };
    match kind.as_str() {
        Some("ProfileTemplate" | "profileTemplate" | "Profile") => Ok(Some(Kind::ProfileTemplate)),
        Some("Runner" | "ManagedRunner") => Ok(Some(Kind::Runner)),
        _ => Err(problem(
            "kind",
            format!(
                "unknown kind {}: expected ProfileTemplate or Runner",
                describe(&kind)
            ),
        )),
    }
}

fn detect_kind(object: &Map<String, Value>) -> Result<Kind, Problem> {
    let template_keys = ["profileTemplate", "profile_template", "spec"];
    let runner_keys = [
        "runner",
        "runnerId",
        "runner_id",
        "identity",
        "managedSpec",
        "managed_spec",
        "profileBindings",
        "profile_bindings",
    ];
    match (
        has_any(object, &template_keys),
        has_any(object, &runner_keys),
    ) {
        (true, false) => Ok(Kind::ProfileTemplate),
        (false, true) => Ok(Kind::Runner),
        _ => Err(problem(
            "",
            "cannot tell whether this document is a profile template or a runner: \
             add `kind: ProfileTemplate` or `kind: Runner`",
        )),
    }
}

fn has_any(object: &Map<String, Value>, keys: &[&str]) -> bool {
    keys.iter().any(|key| object.contains_key(*key))
}

/// The resource body, its JSON path, the update mask and the runner id of a request body.
type Unwrapped = (Value, String, Option<FieldMask>, Option<String>);

/// Splits a request body into the resource and the request's other fields.
fn unwrap_request(kind: Kind, object: Map<String, Value>) -> Result<Unwrapped, Problem> {
    let (body_key, extra_keys): (&str, &[&str]) = match kind {
        Kind::ProfileTemplate => ("profileTemplate", &["updateMask"]),
        Kind::Runner => ("runner", &["updateMask", "runnerId"]),
    };
    let mut body = None;
    let mut mask = None;
    let mut runner_id = None;
    for (key, value) in object {
        let camel = to_camel_case(&key);
        if camel == body_key {
            body = Some(value);
        } else if camel == "updateMask" && extra_keys.contains(&"updateMask") {
            mask = parse_mask_value(&value)?;
        } else if camel == "runnerId" && extra_keys.contains(&"runnerId") {
            let Value::String(id) = value else {
                return Err(problem(
                    "runnerId",
                    format!("wrong type: expected a string, found {}", describe(&value)),
                ));
            };
            runner_id = Some(id);
        } else {
            let mut fields = vec![body_key];
            fields.extend_from_slice(extra_keys);
            return Err(problem(
                &key,
                format!(
                    "unknown field: a {} request body has the fields {}",
                    kind.name(),
                    fields.join(", ")
                ),
            ));
        }
    }
    let body = body.unwrap_or_else(|| Value::Object(Map::new()));
    Ok((body, body_key.to_string(), mask, runner_id))
}

fn parse_mask_value(value: &Value) -> Result<Option<FieldMask>, Problem> {
    match value {
        Value::Null => Ok(None),
        Value::String(text) => Ok(Some(parse_mask(text))),
        _ => Err(problem(
            "updateMask",
            format!(
                "wrong type: expected a string of comma-separated paths, found {}",
                describe(value)
            ),
        )),
    }
}

/// Returns the mask of an update command: `--mask` when given, else the
/// file's `updateMask`, each checked with `validate`. When both are given
/// they must name the same paths, because the command would otherwise
/// ignore one of them.
pub(crate) fn update_mask(
    flag: Option<&str>,
    file_mask: Option<FieldMask>,
    path: &str,
    validate: impl Fn(&FieldMask) -> Result<(), MaskError>,
) -> Result<Option<FieldMask>, CliError> {
    let flag_mask = flag.map(parse_mask);
    for mask in flag_mask.iter().chain(&file_mask) {
        validate(mask)?;
    }
    let (Some(flag), Some(flag_mask)) = (flag, flag_mask) else {
        return Ok(file_mask);
    };
    if let Some(file_mask) = file_mask {
        let flag_paths: BTreeSet<&String> = flag_mask.paths.iter().collect();
        let file_paths: BTreeSet<&String> = file_mask.paths.iter().collect();
        if flag_paths != file_paths {
            return Err(CliError::usage(format!(
                "--mask {flag:?} differs from the updateMask {:?} in {path}; drop --mask to \
                 send the file's mask, or remove updateMask from the file to send --mask",
                file_mask.paths.join(",")
            )));
        }
    }
    Ok(Some(flag_mask))
}

/// Parses comma-separated mask paths, in camelCase or snake_case, into a
/// field mask of snake_case paths.
pub(crate) fn parse_mask(text: &str) -> FieldMask {
    FieldMask {
        paths: text
            .split(',')
            .map(str::trim)
            .filter(|path| !path.is_empty())
            .map(|path| {
                path.split('.')
                    .map(to_snake_case)
                    .collect::<Vec<_>>()
                    .join(".")
            })
            .collect(),
    }
}

fn to_snake_case(segment: &str) -> String {
    let mut output = String::with_capacity(segment.len() + 4);
    for character in segment.chars() {
        if character.is_ascii_uppercase() {
            output.push('_');
            output.push(character.to_ascii_lowercase());
        } else {
            output.push(character);
        }
    }
    output
}

fn to_camel_case(key: &str) -> String {
    let mut output = String::with_capacity(key.len());
    let mut upper = false;
    for character in key.chars() {
        if character == '_' {
            upper = true;
        } else if upper {
            output.push(character.to_ascii_uppercase());
            upper = false;
        } else {
            output.push(character);
        }
    }
    output
}

/// The structured spec blocks and the JSON-string fields they fill.
const STRUCTURED_SPEC: [(&str, &str); 3] = [
    ("namespace", "namespaceConfigJson"),
    ("network", "networkConfigJson"),
    ("pod", "podTemplateJson"),
];

fn template_from_value(mut value: Value, path: &str) -> Result<ProfileTemplate, Problem> {
    if let Some(Value::Object(spec)) = value.get_mut("spec") {
        let spec_path = join(path, "spec");
        for (block, field) in STRUCTURED_SPEC {
            encode_structured(spec, block, field, &spec_path)?;
        }
    }
    decode("coreweave.sandbox.v1beta2.ProfileTemplate", &value, path)
}

fn runner_from_value(mut value: Value, path: &str) -> Result<Runner, Problem> {
    let key = ["profileBindings", "profile_bindings"]
        .into_iter()
        .find(|key| value.get(*key).is_some());
    if let Some(key) = key
        && let Some(Value::Array(items)) = value.get_mut(key)
    {
        for (index, item) in items.iter_mut().enumerate() {
            if let Value::Object(binding) = item {
                let binding_path = format!("{}[{index}]", join(path, key));
                encode_structured(binding, "overrides", "overridesJson", &binding_path)?;
            }
        }
    }
    decode("coreweave.sandbox.v1beta2.Runner", &value, path)
}

/// Replaces the object under `block` with its compact JSON text under `field`.
fn encode_structured(
    object: &mut Map<String, Value>,
    block: &str,
    field: &str,
    path: &str,
) -> Result<(), Problem> {
    let Some(value) = object.remove(block) else {
        return Ok(());
    };
    let block_path = join(path, block);
    let snake_field = to_snake_case(field);
    if object.contains_key(field) || object.contains_key(&snake_field) {
        return Err(problem(
            &block_path,
            format!("{block} and {field} set the same field; keep one of them"),
        ));
    }
    match value {
        Value::Object(_) => {
            object.insert(field.to_string(), Value::String(value.to_string()));
            Ok(())
        }
        Value::Null => Ok(()),
        other => Err(problem(
            &block_path,
            format!(
                "wrong type: expected an object (the structured form of {field}), found {}",
                describe(&other)
            ),
        )),
    }
}

fn decode<T: DeserializeOwned>(full_name: &str, value: &Value, path: &str) -> Result<T, Problem> {
    let normalized =
        schema::normalize(full_name, value, path).map_err(|error| (error.path, error.problem))?;
    serde_json::from_value(normalized)
        .map_err(|error| problem(path, format!("invalid value: {error}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(label: &str, text: &str) -> Resource {
        let mut documents = parse_text(label, text, None).unwrap();
        assert_eq!(documents.len(), 1);
        documents.remove(0).resource
    }

    fn error(label: &str, text: &str) -> String {
        parse_text(label, text, None).unwrap_err().to_string()
    }

    #[test]
    fn template_request_body_form() {
        let resource = one(
            "a.json",
            r#"{"profileTemplate": {"displayName": "x", "spec": {}}}"#,
        );
        let Resource::ProfileTemplate { template, mask } = resource else {
            panic!("expected a template");
        };
        assert_eq!(template.display_name, "x");
        assert!(template.spec.is_some());
        assert!(mask.is_none());
    }

    #[test]
    fn structured_yaml_form() {
        let text = "display_name: agents\nspec:\n  runtime_class: gvisor\n  namespace:\n    strategy: per-user\n  network:\n    egress: {default: off, modes: {off: {type: none}}}\n";
        let Resource::ProfileTemplate { template, .. } = one("a.yaml", text) else {
            panic!("expected a template");
        };
        let spec = template.spec.unwrap();
        assert_eq!(spec.runtime_class, "gvisor");
        assert_eq!(spec.namespace_config_json, r#"{"strategy":"per-user"}"#);
        let network: Value = serde_json::from_str(&spec.network_config_json).unwrap();
        assert_eq!(network["egress"]["modes"]["off"]["type"], "none");
    }

    #[test]
    fn runner_request_body_form() {
        let text = r#"{"runnerId": "lab", "runner": {"identity": {"zone": "Z", "clusterName": "c"},
            "profileBindings": [{"profileTemplateId": "p", "isDefault": true,
                                 "overrides": {"tags": ["a"]}}]}}"#;
        let Resource::Runner {
            runner_id,
            runner,
            mask,
        } = one("r.json", text)
        else {
            panic!("expected a runner");
        };
        assert_eq!(runner_id, "lab");
        assert!(mask.is_none());
        assert_eq!(
            runner.profile_bindings[0].overrides_json,
            r#"{"tags":["a"]}"#
        );
    }

    #[test]
    fn update_body_carries_mask() {
        let text =
            r#"{"runner": {"id": "R"}, "updateMask": "identity.zone,managedSpec.releaseChannel"}"#;
        let Resource::Runner { mask, .. } = one("-", text) else {
            panic!("expected a runner");
        };
        assert_eq!(
            mask.unwrap().paths,
            ["identity.zone", "managed_spec.release_channel"]
        );
    }

    #[test]
    fn bare_runner_takes_identity_runner_id() {
        let text = "kind: Runner\nidentity:\n  runnerId: lab\n  zone: Z\n";
        let Resource::Runner { runner_id, .. } = one("r.yaml", text) else {
            panic!("expected a runner");
        };
        assert_eq!(runner_id, "lab");
    }

    #[test]
    fn multi_document_yaml() {
        let text =
            "kind: ProfileTemplate\ndisplayName: a\nspec: {}\n---\nrunnerId: lab\nrunner: {}\n";
        let documents = parse_text("all.yaml", text, None).unwrap();
        assert_eq!(documents.len(), 2);
        assert_eq!(documents[1].origin, "all.yaml (document 2)");
        assert!(matches!(documents[1].resource, Resource::Runner { .. }));
    }

    #[test]
    fn unknown_field_is_named() {
        let message = error("a.yaml", "displayName: a\nspec:\n  runtimeClas: gvisor\n");
        assert!(
            message.contains("a.yaml: spec.runtimeClas: unknown field"),
            "{message}"
        );
        assert!(message.contains("runtimeClass"), "{message}");
    }

    #[test]
    fn unknown_top_level_field_in_body() {
        let message = error("a.json", r#"{"profileTemplate": {}, "extra": 1}"#);
        assert!(message.contains("extra: unknown field"), "{message}");
    }

    #[test]
    fn wrong_type_is_named() {
        let message = error("a.yaml", "displayName: 5\nspec: {}\n");
        assert!(
            message.contains("displayName: wrong type: expected a string"),
            "{message}"
        );
    }

    #[test]
    fn invalid_yaml_is_reported() {
        let message = error("a.yaml", "displayName: [a\n");
        assert!(
            message.starts_with("error: invalid YAML in a.yaml"),
            "{message}"
        );
    }

    #[test]
    fn invalid_json_is_reported() {
        let message = error("a.json", "{\"displayName\": }");
        assert!(
            message.starts_with("error: invalid JSON in a.json"),
            "{message}"
        );
    }

    #[test]
    fn ambiguous_document_asks_for_kind() {
        let message = error("a.yaml", "displayName: a\n");
        assert!(message.contains("kind: ProfileTemplate"), "{message}");
    }

    #[test]
    fn expected_kind_settles_ambiguous_shape() {
        let text = "displayName: a\nlabels: {team: x}\n";
        let documents = parse_text("a.yaml", text, Some(Kind::ProfileTemplate)).unwrap();
        assert!(matches!(
            documents[0].resource,
            Resource::ProfileTemplate { .. }
        ));
    }

    #[test]
    fn structured_and_string_conflict() {
        let message = error(
            "a.yaml",
            "displayName: a\nspec:\n  pod: {}\n  podTemplateJson: '{}'\n",
        );
        assert!(message.contains("keep one of them"), "{message}");
    }

    fn accept(_: &FieldMask) -> Result<(), MaskError> {
        Ok(())
    }

    #[test]
    fn update_mask_takes_flag_or_file() {
        let file_mask = || Some(parse_mask("spec,labels"));
        let chosen = update_mask(None, file_mask(), "u.json", accept).unwrap();
        assert_eq!(chosen.unwrap().paths, ["spec", "labels"]);
        let chosen = update_mask(Some("description"), None, "u.json", accept).unwrap();
        assert_eq!(chosen.unwrap().paths, ["description"]);
        assert!(update_mask(None, None, "u.json", accept).unwrap().is_none());
    }

    #[test]
    fn update_mask_accepts_same_paths_twice() {
        let file_mask = Some(parse_mask("spec,labels"));
        let chosen = update_mask(Some("labels, spec"), file_mask, "u.json", accept).unwrap();
        assert_eq!(chosen.unwrap().paths, ["labels", "spec"]);
    }

    #[test]
    fn update_mask_rejects_different_paths() {
        let file_mask = Some(parse_mask("spec"));
        let message = update_mask(Some("labels"), file_mask, "u.json", accept)
            .unwrap_err()
            .to_string();
        assert!(
            message.contains(r#"--mask "labels" differs from the updateMask "spec" in u.json"#),
            "{message}"
        );
        assert!(message.contains("drop --mask"), "{message}");
    }

    #[test]
    fn update_mask_checks_paths_first() {
        let file_mask = Some(parse_mask("spec"));
        let result = update_mask(
            Some("bogus"),
            file_mask,
            "u.json",
            crate::ops::validate_profile_template_mask,
        );
        let message = result.unwrap_err().to_string();
        assert!(message.contains("bogus"), "{message}");
        assert!(
            message.contains("no such field exists in ProfileTemplate"),
            "{message}"
        );
        assert!(!message.contains("differs"), "{message}");
    }

    #[test]
    fn mask_accepts_both_cases() {
        assert_eq!(
            parse_mask("displayName, managed_spec.releaseChannel,").paths,
            ["display_name", "managed_spec.release_channel"]
        );
    }

    #[test]
    fn conflicting_runner_ids_are_rejected() {
        let message = error(
            "r.json",
            r#"{"runnerId": "a", "runner": {"identity": {"runnerId": "b"}}}"#,
        );
        assert!(
            message.contains("differs from runner.identity.runnerId"),
            "{message}"
        );
    }
}

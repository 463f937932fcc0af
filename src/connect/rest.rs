//! REST transcoding: a request message to an HTTP request per its
//! google.api.http rule, and a JSON response body back to a message.
//!
//! The message is serialized to proto3 JSON first, and each path variable
//! takes its field out of that JSON. The `body` of the rule then decides
//! where the remaining fields go. With `*` all of them form the JSON body.
//! With a field name, that field is the body and the others become query
//! parameters. With no body, all of them become query parameters.

use http::HeaderMap;
use percent_encoding::utf8_percent_encode;
use serde_json::{Map, Value};

use super::channel::Message;
use super::code::Code;
use super::codec::{check_json, decode_json, json_error};
use super::error_body::{content_type, is_json_content_type};
use super::method::{HttpRule, MethodDescriptor};
use super::path_template::{ExpandError, PathTemplate, UNRESERVED};
use super::status::{ClientErrorKind, Status};

/// The parts of a transcoded HTTP request.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RestRequest {
    pub method: http::Method,
    /// The path, and the query when there is one, to append to the endpoint prefix.
    pub path_and_query: String,
    /// The JSON body, for rules that have one.
    pub body: Option<Vec<u8>>,
}

/// Transcodes a request message per the method's google.api.http rule.
pub(crate) fn transcode<M: Message>(
    method: &MethodDescriptor,
    message: &M,
) -> Result<RestRequest, Status> {
    let Some(rule) = method.http.as_ref() else {
        return Err(encode_error(
            Code::Unimplemented,
            format!(
                "{} has no google.api.http rule, so it cannot be called over REST; \
                 use Protocol::Connect",
                method.procedure
            ),
        ));
    };
    let value = serde_json::to_value(message).map_err(|error| {
        encode_error(
            Code::Internal,
            format!("failed to encode {} as JSON: {error}", method.input_type),
        )
        .with_source(error)
    })?;
    let Value::Object(fields) = value else {
        return Err(encode_error(
            Code::Internal,
            format!("{} did not encode as a JSON object", method.input_type),
        ));
    };
    transcode_value(method.method, rule, fields)
}

/// Transcodes the proto3 JSON object of a request.
pub(crate) fn transcode_value(
    method_name: &str,
    rule: &HttpRule,
    mut fields: Map<String, Value>,
) -> Result<RestRequest, Status> {
    let template = PathTemplate::parse(rule.path).map_err(|error| {
        encode_error(
            Code::Internal,
            format!("{method_name} has an invalid HTTP rule: {error}"),
        )
    })?;

    let mut path_error = None;
    let path = template.expand(|variable| {
        let taken = take_field(&mut fields, &variable.field_path);
        match taken.as_ref().map(scalar_text) {
            Some(Ok(text)) => Some(text),
            Some(Err(kind)) => {
                path_error.get_or_insert(format!(
                    "field {} is {kind}, but the path of {method_name} needs a string or number",
                    variable.field_path
                ));
                None
            }
            None => None,
        }
    });
    if let Some(message) = path_error {
        return Err(encode_error(Code::InvalidArgument, message));
    }
    let mut path_and_query = path.map_err(|error| path_status(method_name, rule, error))?;

    let body = match rule.body {
        "*" => Some(std::mem::take(&mut fields).into()),
        "" => None,
        field => Some(take_field(&mut fields, field).unwrap_or(Value::Object(Map::new()))),
    };
    let mut pairs = Vec::new();
    flatten_query("", &Value::Object(fields), &mut pairs)?;
    if !pairs.is_empty() {
        path_and_query.push('?');
        path_and_query.push_str(&encode_query(&pairs));
    }

    let body = body
        .map(|body| serde_json::to_vec(&body))
        .transpose()
        .map_err(|error| {
            encode_error(
                Code::Internal,
                format!("failed to encode the body: {error}"),
            )
        })?;
    Ok(RestRequest {
        method: rule.verb.as_method(),
        path_and_query,
        body,
    })
}

fn path_status(method_name: &str, rule: &HttpRule, error: ExpandError) -> Status {
    let message = match error {
        ExpandError::Missing { field_path } => format!(
            "missing field {field_path}: {method_name} needs a non-empty value for it \
             to build the path {}",
            rule.path
        ),
        ExpandError::Mismatch {
            field_path,
            value,
            pattern,
        } => format!(
            "field {field_path} is {value:?}, which does not match the pattern {pattern} \
             of the path {}",
            rule.path
        ),
    };
    encode_error(Code::InvalidArgument, message)
}

fn encode_error(code: Code, message: String) -> Status {
    Status::client(code, message).with_kind(ClientErrorKind::Encode)
}

/// Removes the field at a dotted proto field path from a JSON object and
/// returns it. Each name is looked up in its JSON (lowerCamelCase) form first,
/// then as written.
pub(crate) fn take_field(fields: &mut Map<String, Value>, field_path: &str) -> Option<Value> {
    let mut names = field_path.split('.').peekable();
    let mut current = fields;
    while let Some(name) = names.next() {
        let key = json_key(current, name)?;
        if names.peek().is_none() {
            return current.remove(&key);
        }
        current = current.get_mut(&key)?.as_object_mut()?;
    }
    None
}

fn json_key(fields: &Map<String, Value>, proto_name: &str) -> Option<String> {
    let camel = lower_camel(proto_name);
    if fields.contains_key(&camel) {
        Some(camel)
    } else if fields.contains_key(proto_name) {
        Some(proto_name.to_string())
    } else {
        None
    }
}

/// Returns the JSON name protoc gives a field: underscores removed and the
/// letter after each one capitalized.
pub(crate) fn lower_camel(proto_name: &str) -> String {
    let mut name = String::with_capacity(proto_name.len());
    let mut upper_next = false;
    for character in proto_name.chars() {
        if character == '_' {
            upper_next = true;
        } else if upper_next {
            name.push(character.to_ascii_uppercase());
            upper_next = false;
        } else {
            name.push(character);
        }
    }
    name
}

/// Returns the text of a scalar JSON value, or the kind of a non-scalar one.
fn scalar_text(value: &Value) -> Result<String, &'static str> {
    match value {
        Value::String(text) => Ok(text.clone()),
        Value::Number(number) => Ok(number.to_string()),
        Value::Bool(flag) => Ok(flag.to_string()),
        Value::Null => Ok(String::new()),
        Value::Array(_) => Err("a list"),
        Value::Object(_) => Err("a message"),
    }
}

/// Flattens the fields left for the query into `name=value` pairs: nested
/// messages as dotted names and repeated values as repeated names. Null, empty
/// lists and empty messages are left out.
pub(crate) fn flatten_query(
    prefix: &str,
    value: &Value,
    pairs: &mut Vec<(String, String)>,
) -> Result<(), Status> {
    match value {
        Value::Null => {}
        Value::Object(fields) => {
            for (name, field) in fields {
                let name = if prefix.is_empty() {
                    name.clone()
                } else {
                    format!("{prefix}.{name}")
                };
                flatten_query(&name, field, pairs)?;
            }
        }
        Value::Array(items) => {
            for item in items {
                match scalar_text(item) {
                    Ok(text) => pairs.push((prefix.to_string(), text)),
                    Err(kind) => {
                        return Err(encode_error(
                            Code::InvalidArgument,
                            format!(
                                "field {prefix} is a list of {kind}s, which cannot be sent \
                                 as query parameters; the HTTP rule needs a body for it"
                            ),
                        ));
                    }
                }
            }
        }
        scalar => {
            if let Ok(text) = scalar_text(scalar) {
                pairs.push((prefix.to_string(), text));
            }
        }
    }
    Ok(())
}

/// Percent-encodes query pairs. Every byte outside `[-_.~0-9a-zA-Z]` is
/// encoded, in names and values alike.
pub(crate) fn encode_query(pairs: &[(String, String)]) -> String {
    let encoded: Vec<String> = pairs
        .iter()
        .map(|(name, value)| {
            format!(
                "{}={}",
                utf8_percent_encode(name, UNRESERVED),
                utf8_percent_encode(value, UNRESERVED)
            )
        })
        .collect();
    encoded.join("&")
}

/// Decodes the JSON body of a successful REST response. An empty body is the
/// default message. A body that is not JSON by its content type is `Unknown`,
/// because it may come from something other than the API, such as a login
/// page or a proxy. Invalid JSON is `Internal`.
pub(crate) fn decode_response<M: Message>(
    rule: Option<&HttpRule>,
    headers: &HeaderMap,
    body: &[u8],
    max_json_depth: usize,
) -> Result<M, Status> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(M::default());
    }
    if let Some(received) = content_type(headers)
        && !is_json_content_type(received)
    {
        return Err(Status::client(
            Code::Unknown,
            format!("the response has content type {received}, expected application/json"),
        )
        .with_kind(ClientErrorKind::Decode));
    }
    let wraps = rule.is_some_and(|rule| !rule.response_body.is_empty());
    if !wraps {
        return decode_json(body, max_json_depth);
    }
    let text = check_json(body, max_json_depth)?;
    let value = serde_json::from_str(text)
        .map(|value| wrap_response_body(rule, value))
        .and_then(serde_json::from_value);
    value.map_err(json_error)
}

/// Wraps a response body that holds only the rule's `response_body` field
/// into the full response message.
pub(crate) fn wrap_response_body(rule: Option<&HttpRule>, body: Value) -> Value {
    match rule {
        Some(rule) if !rule.response_body.is_empty() => {
            let mut fields = Map::new();
            fields.insert(lower_camel(rule.response_body), body);
            Value::Object(fields)
        }
        _ => body,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connect::HttpVerb;
    use serde_json::json;

    fn rule(verb: HttpVerb, path: &'static str, body: &'static str) -> HttpRule {
        HttpRule {
            verb,
            path,
            body,
            response_body: "",
        }
    }

    fn run(rule: &HttpRule, value: Value) -> Result<RestRequest, Status> {
        let Value::Object(fields) = value else {
            panic!("test value must be an object");
        };
        transcode_value("Test", rule, fields)
    }

    fn body_json(request: &RestRequest) -> Value {
        serde_json::from_slice(request.body.as_ref().unwrap()).unwrap()
    }

    #[test]
    fn get_moves_remaining_fields_to_query() {
        let rule = rule(HttpVerb::Get, "/v1/things", "");
        let request = run(&rule, json!({"pageSize": 10, "pageToken": "a b&c"})).unwrap();
        assert_eq!(request.method, http::Method::GET);
        assert_eq!(
            request.path_and_query,
            "/v1/things?pageSize=10&pageToken=a%20b%26c"
        );
        assert_eq!(request.body, None);
    }

    #[test]
    fn query_flattens_nested_and_repeated_fields() {
        let rule = rule(HttpVerb::Get, "/v1/things/{id}", "");
        let value = json!({
            "id": "x",
            "filter": {"zone": "US-EAST-04A", "labels": {"team": "ml"}},
            "tags": ["a", "b/c"],
            "updateMask": "displayName,managedSpec.releaseChannel",
            "enabled": true,
            "count": "9007199254740993",
            "empty": {},
            "none": [],
            "missing": null
        });
        let request = run(&rule, value).unwrap();
        let (path, query) = request.path_and_query.split_once('?').unwrap();
        assert_eq!(path, "/v1/things/x");
        let mut pairs: Vec<&str> = query.split('&').collect();
        pairs.sort_unstable();
        assert_eq!(
            pairs,
            [
                "count=9007199254740993",
                "enabled=true",
                "filter.labels.team=ml",
                "filter.zone=US-EAST-04A",
                "tags=a",
                "tags=b%2Fc",
                "updateMask=displayName%2CmanagedSpec.releaseChannel",
            ]
        );
    }

    #[test]
    fn repeated_messages_cannot_be_query_parameters() {
        let rule = rule(HttpVerb::Get, "/v1/things", "");
        let status = run(&rule, json!({"items": [{"a": 1}]})).unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument);
        assert!(status.message().contains("items"), "{status}");
        assert!(status.is_unsent());
    }

    #[test]
    fn body_star_removes_path_fields() {
        let rule = rule(HttpVerb::Patch, "/v1/runners/{runner.id}", "*");
        let value = json!({
            "runner": {"id": "r/1", "displayName": "lab"},
            "updateMask": "displayName"
        });
        let request = run(&rule, value).unwrap();
        assert_eq!(request.method, http::Method::PATCH);
        assert_eq!(request.path_and_query, "/v1/runners/r%2F1");
        assert_eq!(
            body_json(&request),
            json!({"runner": {"displayName": "lab"}, "updateMask": "displayName"})
        );
    }

    #[test]
    fn body_field_splits_body_and_query() {
        let rule = rule(HttpVerb::Post, "/v1/things/{id}:run", "spec");
        let value = json!({"id": "t1", "spec": {"image": "x"}, "dryRun": true});
        let request = run(&rule, value).unwrap();
        assert_eq!(request.path_and_query, "/v1/things/t1:run?dryRun=true");
        assert_eq!(body_json(&request), json!({"image": "x"}));
    }

    #[test]
    fn body_field_uses_camel_case_key() {
        let rule = rule(HttpVerb::Post, "/v1/templates", "profile_template");
        let request = run(&rule, json!({"profileTemplate": {"displayName": "a"}})).unwrap();
        assert_eq!(body_json(&request), json!({"displayName": "a"}));
    }

    #[test]
    fn empty_body_star_sends_empty_object() {
        let rule = rule(HttpVerb::Post, "/v1/runners/{id}/apply-update", "*");
        let request = run(&rule, json!({"id": "r1"})).unwrap();
        assert_eq!(request.path_and_query, "/v1/runners/r1/apply-update");
        assert_eq!(body_json(&request), json!({}));
    }

    #[test]
    fn missing_path_field_names_the_field() {
        let rule = rule(HttpVerb::Get, "/v1/runners/{runner.id}", "");
        for value in [
            json!({}),
            json!({"runner": {}}),
            json!({"runner": {"id": ""}}),
        ] {
            let status = run(&rule, value).unwrap_err();
            assert_eq!(status.code(), Code::InvalidArgument);
            assert!(status.message().contains("runner.id"), "{status}");
            assert!(status.is_unsent());
            assert!(!status.is_from_server());
        }
    }

    #[test]
    fn message_in_path_is_rejected() {
        let rule = rule(HttpVerb::Get, "/v1/runners/{runner}", "");
        let status = run(&rule, json!({"runner": {"id": "x"}})).unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument);
        assert!(status.message().contains("a message"), "{status}");
    }

    #[test]
    fn numbers_and_proto_names_fill_the_path() {
        let rule = rule(HttpVerb::Get, "/v1/pages/{page_number}/{shard_id}", "");
        let request = run(&rule, json!({"pageNumber": 3, "shard_id": "s"})).unwrap();
        assert_eq!(request.path_and_query, "/v1/pages/3/s");
    }

    #[test]
    fn camel_case_follows_protoc() {
        assert_eq!(lower_camel("profile_template"), "profileTemplate");
        assert_eq!(lower_camel("runner_id"), "runnerId");
        assert_eq!(lower_camel("id"), "id");
        assert_eq!(lower_camel("field_1"), "field1");
    }

    #[test]
    fn query_encodes_reserved_and_unicode() {
        let pairs = [
            ("a.b".to_string(), "x y".to_string()),
            ("q".to_string(), "100%/é?".to_string()),
        ];
        assert_eq!(encode_query(&pairs), "a.b=x%20y&q=100%25%2F%C3%A9%3F");
    }

    #[test]
    fn response_body_field_is_wrapped() {
        let mut rule = rule(HttpVerb::Get, "/v1/x", "");
        rule.response_body = "profile_templates";
        let value = wrap_response_body(Some(&rule), json!([{"id": "a"}]));
        assert_eq!(value, json!({"profileTemplates": [{"id": "a"}]}));
    }
}

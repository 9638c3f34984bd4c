//! A small JSON Schema (draft 2020-12) checker for the subset
//! `docs/scan-json-schema.json` uses: `type`, `required`, `properties`,
//! `additionalProperties: false`, `items`, `enum`, `oneOf`, `minimum`,
//! `format: date` and local `$ref`s into `$defs`. A keyword it does not know
//! is an error, so the schema cannot carry constraints nobody checks.
#![allow(clippy::unwrap_used, dead_code)]

use serde_json::Value;

/// Keywords that only annotate.
const ANNOTATIONS: &[&str] = &["$schema", "$id", "$defs", "title", "description"];

/// The schema shipped in `docs/`.
pub fn scan_schema() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/scan-json-schema.json"
    );
    let text = std::fs::read_to_string(path).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// Every violation of `schema` by `doc`, as `path: message`.
pub fn validate(schema: &Value, doc: &Value) -> Vec<String> {
    let mut errors = Vec::new();
    check(schema, schema, doc, "$", &mut errors);
    errors
}

/// Panics listing every violation.
pub fn assert_valid(schema: &Value, doc: &Value, what: &str) {
    let e = validate(schema, doc);
    assert!(
        e.is_empty(),
        "{what}: not valid against the schema:\n  {}",
        e.join("\n  ")
    );
}

fn type_ok(t: &str, v: &Value) -> bool {
    match t {
        "null" => v.is_null(),
        "boolean" => v.is_boolean(),
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "number" => v.is_number(),
        "integer" => v.is_i64() || v.is_u64(),
        other => panic!("schema: unknown type {other:?}"),
    }
}

fn is_date(s: &str) -> bool {
    s.len() == 10 && chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok()
}

fn resolve<'a>(root: &'a Value, r: &str) -> &'a Value {
    let name = r
        .strip_prefix("#/$defs/")
        .unwrap_or_else(|| panic!("schema: unsupported $ref {r:?}"));
    root["$defs"]
        .get(name)
        .unwrap_or_else(|| panic!("schema: $ref to a missing definition {r:?}"))
}

fn check(root: &Value, schema: &Value, v: &Value, at: &str, errors: &mut Vec<String>) {
    let obj = schema
        .as_object()
        .unwrap_or_else(|| panic!("schema at {at} is not an object"));
    for (key, kw) in obj {
        match key.as_str() {
            k if ANNOTATIONS.contains(&k) => {}
            "$ref" => check(root, resolve(root, kw.as_str().unwrap()), v, at, errors),
            "type" => {
                let types: Vec<&str> = match kw {
                    Value::String(s) => vec![s.as_str()],
                    Value::Array(a) => a.iter().map(|t| t.as_str().unwrap()).collect(),
                    _ => panic!("schema: bad type at {at}"),
                };
                if !types.iter().any(|t| type_ok(t, v)) {
                    errors.push(format!("{at}: {v} is not of type {types:?}"));
                }
            }
            "enum" => {
                if !kw.as_array().unwrap().contains(v) {
                    errors.push(format!("{at}: {v} is not one of {kw}"));
                }
            }
            "minimum" => {
                if let Some(x) = v.as_f64()
                    && x < kw.as_f64().unwrap()
                {
                    errors.push(format!("{at}: {x} < minimum {kw}"));
                }
            }
            "format" => {
                assert_eq!(kw, "date", "schema: unsupported format at {at}");
                if let Some(s) = v.as_str()
                    && !is_date(s)
                {
                    errors.push(format!("{at}: {s:?} is not a YYYY-MM-DD date"));
                }
            }
            "required" => {
                if let Some(o) = v.as_object() {
                    for k in kw.as_array().unwrap() {
                        let k = k.as_str().unwrap();
                        if !o.contains_key(k) {
                            errors.push(format!("{at}: required key {k:?} is missing"));
                        }
                    }
                }
            }
            "properties" => {
                if let Some(o) = v.as_object() {
                    for (k, sub) in kw.as_object().unwrap() {
                        if let Some(x) = o.get(k) {
                            check(root, sub, x, &format!("{at}.{k}"), errors);
                        }
                    }
                }
            }
            "additionalProperties" => {
                assert_eq!(
                    kw, false,
                    "schema: only additionalProperties: false is supported"
                );
                if let Some(o) = v.as_object() {
                    let known = obj.get("properties").and_then(Value::as_object);
                    for k in o.keys() {
                        if !known.is_some_and(|p| p.contains_key(k)) {
                            errors.push(format!("{at}: key {k:?} is not in the schema"));
                        }
                    }
                }
            }
            "items" => {
                if let Some(a) = v.as_array() {
                    for (i, x) in a.iter().enumerate() {
                        check(root, kw, x, &format!("{at}[{i}]"), errors);
                    }
                }
            }
            "oneOf" => {
                let n = kw
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|sub| validate_at(root, sub, v, at).is_empty())
                    .count();
                if n != 1 {
                    errors.push(format!(
                        "{at}: {v} matches {n} of the oneOf branches, not 1"
                    ));
                }
            }
            other => panic!("schema: unsupported keyword {other:?} at {at}"),
        }
    }
}

fn validate_at(root: &Value, schema: &Value, v: &Value, at: &str) -> Vec<String> {
    let mut e = Vec::new();
    check(root, schema, v, at, &mut e);
    e
}

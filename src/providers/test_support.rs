//! Helpers shared by the normalisers' unit tests.

use serde_json::{Value, json};

/// Every variant of `value` with one member, at any depth, replaced by a value of another JSON
/// type: providers send nulls, numbers and arrays where strings are expected.
pub fn with_each_member_retyped(value: &Value) -> Vec<Value> {
    let odd = [
        json!(null),
        json!(7),
        json!(-1.5),
        json!(true),
        json!([]),
        json!({}),
        json!(""),
    ];
    let mut variants = Vec::new();
    let mut paths = Vec::new();
    collect_pointers(value, String::new(), &mut paths);
    for pointer in paths {
        for replacement in &odd {
            let mut variant = value.clone();
            if let Some(slot) = variant.pointer_mut(&pointer) {
                *slot = replacement.clone();
            }
            variants.push(variant);
        }
    }
    variants
}

fn collect_pointers(value: &Value, at: String, out: &mut Vec<String>) {
    let children: Vec<(String, &Value)> = match value {
        Value::Object(map) => map.iter().map(|(k, v)| (k.clone(), v)).collect(),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, v)| (i.to_string(), v))
            .collect(),
        _ => Vec::new(),
    };
    for (key, child) in children {
        let pointer = format!("{at}/{key}");
        out.push(pointer.clone());
        collect_pointers(child, pointer, out);
    }
}

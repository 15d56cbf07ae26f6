//! TODO: normaliser for generic sources.

use super::{Context, GenericFields, NormalizeError, Parsed};

pub fn normalize(
    raw: &serde_json::Value,
    cx: Context<'_>,
    fields: &GenericFields,
) -> Result<Parsed, NormalizeError> {
    let _ = (raw, cx, fields);
    todo!()
}

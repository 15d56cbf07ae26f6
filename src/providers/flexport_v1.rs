//! TODO: normaliser for `flexport_v1`.

use super::{Context, NormalizeError, Parsed};

pub fn normalize(raw: &serde_json::Value, cx: Context<'_>) -> Result<Parsed, NormalizeError> {
    let _ = (raw, cx);
    todo!()
}

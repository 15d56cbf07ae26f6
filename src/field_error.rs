//! A field-located problem with a request (`events[2]`, `headers.Host`, `pageSize`): what the
//! pure validators return and the HTTP edge renders into a problem document's `errors`.

use serde::Serialize;

/// One thing wrong with a request, located by its field path (`events[2]`, `headers.Host`,
/// `pageSize`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> FieldError {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }
}

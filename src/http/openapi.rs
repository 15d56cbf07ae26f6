//! The OpenAPI document: paths come from the handlers' `#[utoipa::path]` annotations as they are
//! registered (utoipa-actix-web), so a route cannot be served without being documented; this file
//! adds what is global (info, security schemes, shared schemas).

use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::pagination::{CursorInfo, PageInfo};
use crate::field_error::FieldError;
use crate::http::error::Problem;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "shiprelay",
        description = "Webhook relay for logistics events: provider ingest, subscriptions and events. \
                       Errors are application/problem+json; every response carries X-Correlation-ID; \
                       every POST under /v1 honours Idempotency-Key.",
    ),
    components(schemas(Problem, FieldError, CursorInfo, PageInfo)),
    modifiers(&Security),
    tags(
        (name = "ingest", description = "Provider webhooks"),
        (name = "subscriptions", description = "Who receives which events, where"),
        (name = "events", description = "Normalised events as stored"),
        (name = "deliveries", description = "Delivery logs, dead letters, redrive and replay"),
        (name = "operations", description = "Health, readiness, metrics, this document"),
        (name = "tenants", description = "Tenants, their API keys, the caller and the audit log"),
        (name = "stats", description = "Figures per minute for the console's Overview"),
    )
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-API-Key"))),
        );
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// Rules every documented operation follows, applied to the generated document so no route can
/// miss them and no route repeats them: every `/v1` operation takes an API key (`security`), each
/// response has a description (the status's reason phrase unless the route gives one), and the
/// problem+json responses that follow from what an operation is are added by [`shared_problems`]. A route's annotation lists only what is
/// particular to it (a 403 of an admin-only read, a 409 of a compare-and-set, its own wording).
pub fn apply_common_responses(document: &mut serde_json::Value) {
    let Some(paths) = document["paths"].as_object_mut() else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for (method, operation) in item.iter_mut() {
            let shared = shared_problems(path, method, operation);
            if path.starts_with("/v1/")
                && let Some(operation) = operation.as_object_mut()
            {
                // Every `/v1` call takes an API key, in either header.
                operation
                    .entry("security")
                    .or_insert_with(|| serde_json::json!([{"api_key": []}, {"bearer": []}]));
            }
            let Some(responses) = operation["responses"].as_object_mut() else {
                continue;
            };
            for (status, description) in shared {
                responses
                    .entry(status.to_string())
                    .or_insert_with(|| problem_response(status, description));
            }
            for (status, response) in responses.iter_mut() {
                let described = response
                    .get("description")
                    .and_then(|d| d.as_str())
                    .is_some_and(|d| !d.is_empty());
                if !described && let Some(object) = response.as_object_mut() {
                    object.insert("description".into(), reason(status).into());
                }
            }
            responses.sort_keys();
        }
    }
}

/// The problem responses an operation has because of what it is, with their description (`None`:
/// the reason phrase):
/// - 400 (a malformed request): every `/v1` operation with a body or query parameters;
/// - 401 (no or a wrong key or signature): every `/v1` operation and ingest;
/// - 403 (a read-only key, or a tenant key on an admin route): every `/v1` operation that changes
///   something, and every one under `/v1/tenants` and `/v1/audit`;
/// - 404 (no such resource): every operation with a path parameter;
/// - 408 and 413 (the body was too slow, or too large): every operation that reads a body;
/// - 409 (an `Idempotency-Key` reused with another request): every `/v1` POST;
/// - 415 and 422 (not JSON, or not valid): every `/v1` operation with a JSON body;
/// - 429 (the per-key rate limit): every `/v1` operation;
/// - 503 (storage unavailable): every operation that reads or writes it.
fn shared_problems(
    path: &str,
    method: &str,
    operation: &serde_json::Value,
) -> Vec<(u16, Option<&'static str>)> {
    let api = path.starts_with("/v1/");
    let ingest = path.starts_with("/ingest/");
    let reads_body = !matches!(method, "get" | "delete" | "head" | "options");
    let json_body = operation["requestBody"]["content"]
        .get("application/json")
        .is_some();
    let query = operation["parameters"]
        .as_array()
        .is_some_and(|ps| ps.iter().any(|p| p["in"] == "query"));
    let stored = api || ingest || path == "/readyz";
    let admin_only = path.starts_with("/v1/tenants") || path == "/v1/audit";
    let rules = [
        (400, api && (reads_body || query), None),
        (401, api || ingest, None),
        (403, api && (method != "get" || admin_only), None),
        (404, path.contains('{'), None),
        (408, reads_body, Some(BODY_TIMEOUT)),
        (409, api && method == "post", None),
        (413, reads_body, None),
        (415, api && json_body, None),
        (422, api && json_body, None),
        (429, api, None),
        (503, stored, None),
    ];
    rules
        .into_iter()
        .filter(|(_, applies, _)| *applies)
        .map(|(status, _, description)| (status, description))
        .collect()
}

const BODY_TIMEOUT: &str = "The body did not arrive within `server.body_timeout_secs`";

fn reason(status: &str) -> String {
    status
        .parse::<u16>()
        .ok()
        .and_then(|code| actix_web::http::StatusCode::from_u16(code).ok())
        .and_then(|code| code.canonical_reason())
        .unwrap_or("Response")
        .to_string()
}

fn problem_response(status: u16, description: Option<&str>) -> serde_json::Value {
    let description = description.map_or_else(|| reason(&status.to_string()), str::to_string);
    serde_json::json!({
        "description": description,
        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
    })
}

/// Path templates and their methods, read off the document, for 404-versus-405 answers.
#[derive(Debug, Clone, Default)]
pub struct RouteTable {
    routes: Vec<(Vec<String>, Vec<String>)>,
}

impl RouteTable {
    pub fn from_document(document: &serde_json::Value) -> RouteTable {
        let routes = document["paths"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(path, item)| {
                let segments = path
                    .trim_matches('/')
                    .split('/')
                    .map(str::to_string)
                    .collect();
                let methods = item
                    .as_object()
                    .into_iter()
                    .flatten()
                    .map(|(method, _)| method.to_ascii_uppercase())
                    .filter(|m| ["GET", "POST", "PUT", "PATCH", "DELETE"].contains(&m.as_str()))
                    .collect();
                (segments, methods)
            })
            .collect();
        RouteTable { routes }
    }

    /// The methods served at `path`, or `None` when no route has that shape. Where templates
    /// overlap (`/v1/dead-letters/redrive` and `/v1/dead-letters/{id}`), the one with the most
    /// literal segments is the path's.
    pub fn methods(&self, path: &str) -> Option<Vec<String>> {
        let wanted: Vec<&str> = path.trim_matches('/').split('/').collect();
        let matching: Vec<(usize, &Vec<String>)> = self
            .routes
            .iter()
            .filter(|(segments, _)| {
                segments.len() == wanted.len()
                    && segments.iter().zip(&wanted).all(|(template, actual)| {
                        template == actual || (template.starts_with('{') && !actual.is_empty())
                    })
            })
            .map(|(segments, methods)| {
                (
                    segments.iter().filter(|s| !s.starts_with('{')).count(),
                    methods,
                )
            })
            .collect();
        let most_literal = matching.iter().map(|(literal, _)| *literal).max()?;
        let mut methods: Vec<String> = matching
            .into_iter()
            .filter(|(literal, _)| *literal == most_literal)
            .flat_map(|(_, methods)| methods.iter().cloned())
            .collect();
        methods.sort();
        methods.dedup();
        (!methods.is_empty()).then_some(methods)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_templates_and_lists_methods() {
        let document = serde_json::json!({"paths": {
            "/v1/subscriptions": {"get": {}, "post": {}},
            "/v1/subscriptions/{id}": {"get": {}, "patch": {}, "delete": {}, "parameters": []},
        }});
        let table = RouteTable::from_document(&document);
        assert_eq!(table.methods("/v1/subscriptions").unwrap(), ["GET", "POST"]);
        assert_eq!(
            table.methods("/v1/subscriptions/sub_1").unwrap(),
            ["DELETE", "GET", "PATCH"]
        );
        assert_eq!(table.methods("/v1/subscriptions/sub_1/x"), None);
        let overlapping = serde_json::json!({"paths": {
            "/v1/dead-letters/redrive": {"post": {}},
            "/v1/dead-letters/{id}": {"delete": {}},
        }});
        let table = RouteTable::from_document(&overlapping);
        assert_eq!(table.methods("/v1/dead-letters/redrive").unwrap(), ["POST"]);
        assert_eq!(table.methods("/v1/dead-letters/1-0").unwrap(), ["DELETE"]);
        assert_eq!(table.methods("/v2/subscriptions"), None);
    }
}

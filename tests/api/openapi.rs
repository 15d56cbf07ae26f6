//! `/openapi.json` is generated from the registered routes; check it covers every route the app
//! serves, and that every documented route is really served.

use serde_json::Value;

use crate::helpers::*;

/// Every route shiprelay serves at this point.
const SERVED: &[(&str, &str)] = &[
    ("post", "/ingest/{source}"),
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("get", "/metrics"),
    ("get", "/openapi.json"),
    ("post", "/v1/subscriptions"),
    ("get", "/v1/subscriptions"),
    ("get", "/v1/subscriptions/{id}"),
    ("patch", "/v1/subscriptions/{id}"),
    ("delete", "/v1/subscriptions/{id}"),
    ("post", "/v1/subscriptions/{id}/rotate-secret"),
    ("post", "/v1/subscriptions/{id}/test"),
    ("get", "/v1/events"),
    ("get", "/v1/events/{id}"),
    ("get", "/v1/subscriptions/{id}/deliveries"),
    ("get", "/v1/dead-letters"),
    ("post", "/v1/dead-letters/redrive"),
    ("post", "/v1/events/{id}/replay"),
    ("post", "/v1/subscriptions/{id}/replay"),
    ("delete", "/v1/dead-letters/{id}"),
    ("post", "/v1/tenants"),
    ("get", "/v1/tenants"),
    ("get", "/v1/tenants/{id}"),
    ("patch", "/v1/tenants/{id}"),
    ("delete", "/v1/tenants/{id}"),
    ("post", "/v1/tenants/{id}/keys"),
    ("get", "/v1/tenants/{id}/keys"),
    ("delete", "/v1/tenants/{id}/keys/{keyId}"),
    ("get", "/v1/me"),
    ("get", "/v1/audit"),
    ("get", "/v1/stats"),
];

async fn document(app: &TestApp) -> Value {
    let response = app.get_anonymously("/openapi.json").await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

fn documented(doc: &Value) -> Vec<(String, String)> {
    let mut routes = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            routes.push((method.clone(), path.clone()));
        }
    }
    routes.sort();
    routes
}

#[tokio::test]
async fn the_document_lists_exactly_the_served_routes() {
    let app = spawn_app().await;
    let doc = document(&app).await;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let mut expected: Vec<(String, String)> = SERVED
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    expected.sort();
    assert_eq!(documented(&doc), expected);
    for schema in [
        "Problem",
        "FieldError",
        "SubscriptionView",
        "CreateSubscription",
        "Event",
    ] {
        assert!(
            doc["components"]["schemas"][schema].is_object(),
            "{schema} is documented"
        );
    }
}

#[tokio::test]
async fn every_documented_route_is_served() {
    let app = spawn_app().await;
    for (method, path) in documented(&document(&app).await) {
        let concrete = path.replace("{source}", "flexops").replace("{id}", "x");
        let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let response = app
            .client
            .request(method.clone(), format!("{}{concrete}", app.address))
            .header("X-API-Key", API_KEY)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let body = response.text().await.unwrap();
        assert!(
            status != 405 && !body.contains("no route for"),
            "{method} {path}: {status} {body}"
        );
        assert!(status < 500, "{method} {path}: {status} {body}");
    }
}

#[tokio::test]
async fn every_documented_error_is_problem_json() {
    let app = spawn_app().await;
    let doc = document(&app).await;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            for (status, response) in operation["responses"].as_object().unwrap() {
                if status.starts_with('4') || status.starts_with('5') {
                    let content = response["content"]
                        .as_object()
                        .unwrap_or_else(|| panic!("{method} {path} {status}"));
                    assert!(
                        content.contains_key("application/problem+json"),
                        "{method} {path} {status}"
                    );
                }
            }
        }
    }
}

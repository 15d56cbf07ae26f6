//! `/v1/subscriptions` end to end: auth, every route, every validation error, idempotency,
//! pagination edges, rotation, test events, and persistence across processes.

use base64::Engine;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;

fn valid() -> Value {
    json!({"url": "https://hooks.example.com/shiprelay", "events": ["tracking.*", "order.shipped"]})
}

async fn field_errors(response: reqwest::Response, status: u16) -> Vec<String> {
    let slug = if status == 422 {
        "validation-failed"
    } else {
        "bad-request"
    };
    let problem = assert_problem(response, status, slug).await;
    problem["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("no errors in {problem}"))
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn the_api_needs_a_valid_key_in_either_header() {
    let app = spawn_app().await;
    let url = format!("{}/v1/subscriptions", app.address);
    let missing = app.client.get(&url).send().await.unwrap();
    assert_eq!(missing.headers()["www-authenticate"], "Bearer");
    assert_problem(missing, 401, "unauthorized").await;
    let wrong = app
        .client
        .get(&url)
        .header("X-API-Key", "not-the-key-0123456789")
        .send()
        .await
        .unwrap();
    let problem = assert_problem(wrong, 401, "unauthorized").await;
    assert!(!problem.to_string().contains(API_KEY));
    let bearer_wrong = app
        .client
        .get(&url)
        .header("Authorization", "Basic abc")
        .send()
        .await
        .unwrap();
    assert_eq!(bearer_wrong.status(), 401);

    let by_header = app
        .client
        .get(&url)
        .header("X-API-Key", API_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(by_header.status(), 200);
    let by_bearer = app
        .client
        .get(&url)
        .bearer_auth(API_KEY_2)
        .send()
        .await
        .unwrap();
    assert_eq!(by_bearer.status(), 200);
}

#[tokio::test]
async fn without_configured_keys_every_api_call_is_401() {
    let app = spawn_app_with(|toml| {
        toml.replace(
            &format!("keys = [\"{API_KEY}\", \"{API_KEY_2}\"]"),
            "keys = []",
        )
    })
    .await;
    let response = app.call(Method::GET, "/v1/subscriptions").await;
    assert_problem(response, 401, "unauthorized").await;
}

#[tokio::test]
async fn create_returns_the_subscription_and_its_secret_once() {
    let app = spawn_app().await;
    let body = json!({
        "url": "https://hooks.example.com/in", "events": ["tracking.*", "order.shipped"],
        "sources": ["flexops"], "carriers": ["ups", "usps"], "description": "warehouse team",
        "headers": {"X-Team": "wh-1"}
    });
    let response = app
        .call_json(Method::POST, "/v1/subscriptions", &body)
        .await;
    assert_eq!(response.status(), 201);
    let location = response.headers()["location"].to_str().unwrap().to_string();
    let created: Value = response.json().await.unwrap();
    let id = created["id"].as_str().unwrap();
    assert!(id.starts_with("sub_"), "{id}");
    assert_eq!(location, format!("/v1/subscriptions/{id}"));
    for field in [
        "url",
        "events",
        "sources",
        "carriers",
        "description",
        "headers",
    ] {
        assert_eq!(created[field], body[field], "{field}");
    }
    assert_eq!(created["enabled"], true);
    assert!(created["createdAt"].is_string() && created["updatedAt"].is_string());
    let secret = created["secret"].as_str().unwrap();
    let key = base64::engine::general_purpose::STANDARD
        .decode(secret.strip_prefix("whsec_").expect("whsec_ prefix"))
        .unwrap();
    assert_eq!(key.len(), 32);

    let fetched: Value = app.get_json(&location).await;
    assert_eq!(fetched["id"], id);
    assert!(fetched.get("secret").is_none());
    let listed = app
        .call(Method::GET, "/v1/subscriptions")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        !listed.contains(secret),
        "the secret is only shown on create and rotate"
    );
    assert!(!listed.contains("whsec_"));
}

#[tokio::test]
async fn every_validation_rule_names_its_field() {
    let app = spawn_app().await;
    let many_headers: serde_json::Map<String, Value> =
        (0..21).map(|i| (format!("X-H{i}"), json!("v"))).collect();
    let cases: Vec<(Value, &str)> = vec![
        (
            json!({"url": "ftp://example.com/x", "events": ["*"]}),
            "url",
        ),
        (
            json!({"url": "https://user:pass@example.com/x", "events": ["*"]}),
            "url",
        ),
        (json!({"url": "not a url", "events": ["*"]}), "url"),
        (
            json!({"url": "https://example.com/x", "events": []}),
            "events",
        ),
        (
            json!({"url": "https://example.com/x", "events": ["tracking.**"]}),
            "events[0]",
        ),
        (
            json!({"url": "https://example.com/x", "events": ["*", "tracking.updatd"]}),
            "events[1]",
        ),
        (
            json!({"url": "https://example.com/x", "events": ["nope.*"]}),
            "events[0]",
        ),
        (
            json!({"url": "https://example.com/x", "events": ["*"], "sources": ["ghost"]}),
            "sources[0]",
        ),
        (
            json!({"url": "https://example.com/x", "events": ["*"], "carriers": ["UPS!"]}),
            "carriers[0]",
        ),
        (
            json!({"url": "https://example.com/x", "events": ["*"], "description": "x".repeat(501)}),
            "description",
        ),
        (
            json!({"url": "https://example.com/x", "events": ["*"], "headers": many_headers}),
            "headers",
        ),
        (
            json!({"url": "https://example.com/x", "events": ["*"], "headers": {"Host": "evil"}}),
            "headers.Host",
        ),
        (
            json!({"url": "https://example.com/x", "events": ["*"], "headers": {"content-length": "1"}}),
            "headers.content-length",
        ),
        (
            json!({"url": "https://example.com/x", "events": ["*"], "headers": {"webhook-id": "x"}}),
            "headers.webhook-id",
        ),
    ];
    for (body, field) in cases {
        let response = app
            .call_json(Method::POST, "/v1/subscriptions", &body)
            .await;
        let fields = field_errors(response, 422).await;
        assert!(
            fields.iter().any(|f| f == field),
            "expected `{field}` in {fields:?} for {body}"
        );
    }
    // All problems at once.
    let body = json!({"url": "ftp://x", "events": ["bad pattern"], "headers": {"Host": "h"}});
    let response = app
        .call_json(Method::POST, "/v1/subscriptions", &body)
        .await;
    let fields = field_errors(response, 422).await;
    for field in ["url", "events[0]", "headers.Host"] {
        assert!(fields.iter().any(|f| f == field), "{field} in {fields:?}");
    }
    let listed: Value = app.get_json("/v1/subscriptions").await;
    assert_eq!(
        listed["pagination"]["totalCount"], 0,
        "nothing invalid was stored"
    );
}

#[tokio::test]
async fn malformed_bodies_are_400_415_or_413() {
    let app = spawn_app().await;
    let post = || app.api(Method::POST, "/v1/subscriptions");
    let bad_json = post()
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(field_errors(bad_json, 400).await, ["(body)"]);
    let wrong_type = post()
        .json(&json!({"url": "https://e.com", "events": "tracking.*"}))
        .send()
        .await
        .unwrap();
    assert_eq!(field_errors(wrong_type, 400).await, ["events"]);
    let unknown_field = post()
        .json(&json!({"url": "https://e.com", "events": ["*"], "colour": "red"}))
        .send()
        .await
        .unwrap();
    assert_eq!(field_errors(unknown_field, 400).await.len(), 1);
    let missing = post().json(&json!({"events": ["*"]})).send().await.unwrap();
    assert_eq!(field_errors(missing, 400).await.len(), 1);
    let form = post()
        .header("content-type", "text/plain")
        .body("url=x")
        .send()
        .await
        .unwrap();
    assert_problem(form, 415, "unsupported-media-type").await;
    let huge = post()
        .json(&json!({"url": "https://e.com", "events": ["*"], "description": "x".repeat(20_000)}))
        .send()
        .await
        .unwrap();
    assert_problem(huge, 413, "payload-too-large").await;
}

#[tokio::test]
async fn unknown_ids_are_404_on_every_route() {
    let app = spawn_app().await;
    for (method, path) in [
        (Method::GET, "/v1/subscriptions/sub_nope"),
        (Method::PATCH, "/v1/subscriptions/sub_nope"),
        (Method::DELETE, "/v1/subscriptions/sub_nope"),
        (Method::POST, "/v1/subscriptions/sub_nope/rotate-secret"),
        (Method::POST, "/v1/subscriptions/sub_nope/test"),
    ] {
        let response = app
            .api(method.clone(), path)
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_problem(response, 404, "not-found").await;
    }
}

#[tokio::test]
async fn patch_changes_only_the_given_fields_and_validates_them() {
    let app = spawn_app().await;
    let created = app.create_subscription(valid()).await;
    let path = format!("/v1/subscriptions/{}", created["id"].as_str().unwrap());

    let response = app
        .call_json(
            Method::PATCH,
            &path,
            &json!({"enabled": false, "description": "paused", "events": ["shipment.*"]}),
        )
        .await;
    assert_eq!(response.status(), 200);
    let updated: Value = response.json().await.unwrap();
    assert_eq!(updated["enabled"], false);
    assert_eq!(updated["description"], "paused");
    assert_eq!(updated["events"], json!(["shipment.*"]));
    assert_eq!(updated["url"], created["url"], "untouched");

    let invalid = app
        .call_json(Method::PATCH, &path, &json!({"url": "http://"}))
        .await;
    assert_eq!(field_errors(invalid, 422).await, ["url"]);
    let noop = app.call_json(Method::PATCH, &path, &json!({})).await;
    assert_eq!(noop.status(), 200);
    let fetched: Value = app.get_json(&path).await;
    assert_eq!(fetched["description"], "paused");
}

#[tokio::test]
async fn delete_removes_it_everywhere() {
    let app = spawn_app().await;
    let created = app.create_subscription(valid()).await;
    let path = format!("/v1/subscriptions/{}", created["id"].as_str().unwrap());
    assert_eq!(app.call(Method::DELETE, &path).await.status(), 204);
    assert_eq!(app.call(Method::GET, &path).await.status(), 404);
    assert_eq!(app.call(Method::DELETE, &path).await.status(), 404);
    let listed: Value = app.get_json("/v1/subscriptions").await;
    assert_eq!(listed["data"], json!([]));
}

#[tokio::test]
async fn pagination_edges() {
    let app = spawn_app().await;
    let page = |query: &str| {
        app.api(Method::GET, &format!("/v1/subscriptions{query}"))
            .send()
    };

    let empty: Value = page("").await.unwrap().json().await.unwrap();
    assert_eq!(
        empty,
        json!({"data": [], "pagination": {"page": 1, "pageSize": 20, "totalCount": 0, "totalPages": 0}})
    );

    let mut ids = Vec::new();
    for _ in 0..5 {
        ids.push(app.create_subscription(valid()).await["id"].clone());
    }
    let mut seen = Vec::new();
    for n in 1..=3 {
        let body: Value = page(&format!("?page={n}&pageSize=2"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(
            body["pagination"],
            json!({"page": n, "pageSize": 2, "totalCount": 5, "totalPages": 3})
        );
        seen.extend(
            body["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["id"].clone()),
        );
    }
    assert_eq!(seen, ids, "creation order, every subscription once");
    let past_the_end: Value = page("?page=4&pageSize=2")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(past_the_end["data"], json!([]));
    let max: Value = page("?pageSize=100").await.unwrap().json().await.unwrap();
    assert_eq!(max["data"].as_array().unwrap().len(), 5);

    for (query, field) in [
        ("?pageSize=0", "pageSize"),
        ("?pageSize=101", "pageSize"),
        ("?page=0", "page"),
    ] {
        assert_eq!(
            field_errors(page(query).await.unwrap(), 400).await,
            [field],
            "{query}"
        );
    }
    assert_eq!(
        field_errors(page("?pageSize=abc").await.unwrap(), 400)
            .await
            .len(),
        1
    );
}

#[tokio::test]
async fn rotation_returns_a_new_secret_and_starts_the_grace_period() {
    let app = spawn_app().await;
    let created = app.create_subscription(valid()).await;
    let path = format!(
        "/v1/subscriptions/{}/rotate-secret",
        created["id"].as_str().unwrap()
    );
    let response = app.call(Method::POST, &path).await;
    assert_eq!(response.status(), 200);
    let rotated: Value = response.json().await.unwrap();
    assert_ne!(rotated["secret"], created["secret"]);
    assert!(rotated["secret"].as_str().unwrap().starts_with("whsec_"));
    let ends: chrono::DateTime<chrono::Utc> = rotated["secretRotationEndsAt"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let expected = chrono::Utc::now() + chrono::Duration::hours(24);
    assert!((ends - expected).num_seconds().abs() < 60, "{ends}");
    assert!(created["secretRotationEndsAt"].is_null());
}

#[tokio::test]
async fn a_test_event_is_queued_for_that_subscription_alone() {
    let app = spawn_app().await;
    let created = app.create_subscription(valid()).await;
    let id = created["id"].as_str().unwrap();
    let response = app
        .call(Method::POST, &format!("/v1/subscriptions/{id}/test"))
        .await;
    assert_eq!(response.status(), 202);
    let event: Value = response.json().await.unwrap();
    assert_eq!(event["type"], "ping");
    assert_eq!(event["subject"], format!("subscription:{id}"));
    let entries = app.stream_fields("{test}:events").await;
    assert_eq!(entries.len(), 1);
    assert_eq!(
        entries[0]["target"],
        id.as_bytes(),
        "routed to this subscription only"
    );
    let stored: Value = app
        .api(
            Method::GET,
            &format!("/v1/events/{}", event["id"].as_str().unwrap()),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stored, event);
}

#[tokio::test]
async fn idempotency_keys_replay_the_first_response_and_reject_other_requests() {
    let app = spawn_app().await;
    let post = |key: &str, body: &Value| {
        app.api(Method::POST, "/v1/subscriptions")
            .header("Idempotency-Key", key)
            .json(body)
            .send()
    };
    let first = post("create-1", &valid()).await.unwrap();
    assert_eq!(first.status(), 201);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let first_location = first.headers()["location"].clone();
    let first: Value = first.json().await.unwrap();

    let again = post("create-1", &valid()).await.unwrap();
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(again.headers()["location"], first_location);
    assert_eq!(again.json::<Value>().await.unwrap(), first);

    let mut other = valid();
    other["description"] = json!("different");
    let conflict = post("create-1", &other).await.unwrap();
    assert_problem(conflict, 409, "conflict").await;

    // The same key on another route is another request too.
    let id = first["id"].as_str().unwrap();
    let elsewhere = app
        .api(Method::POST, &format!("/v1/subscriptions/{id}/test"))
        .header("Idempotency-Key", "create-1")
        .send()
        .await
        .unwrap();
    assert_eq!(elsewhere.status(), 409);

    // Keys are per API key: the second key may use the same name freely.
    let second_key = app
        .client
        .post(format!("{}/v1/subscriptions", app.address))
        .header("X-API-Key", API_KEY_2)
        .header("Idempotency-Key", "create-1")
        .json(&valid())
        .send()
        .await
        .unwrap();
    assert!(second_key.headers().get("idempotent-replayed").is_none());

    // A failed request frees its key.
    let invalid = post("create-2", &json!({"url": "ftp://x", "events": ["*"]}))
        .await
        .unwrap();
    assert_eq!(invalid.status(), 422);
    let retried = post("create-2", &valid()).await.unwrap();
    assert_eq!(retried.status(), 201);

    let too_long = post(&"k".repeat(256), &valid()).await.unwrap();
    assert_eq!(field_errors(too_long, 400).await, ["Idempotency-Key"]);

    let listed: Value = app.get_json("/v1/subscriptions").await;
    assert_eq!(
        listed["pagination"]["totalCount"], 3,
        "first, second key's, and the retried one"
    );
}

#[tokio::test]
async fn subscriptions_survive_a_restart_and_are_shared_between_processes() {
    let app = spawn_app().await;
    let created = app.create_subscription(valid()).await;
    let id = created["id"].as_str().unwrap();
    let second = app.spawn_second().await;
    app.stop().await;
    let fetched: Value = app
        .client
        .get(format!("{}/v1/subscriptions/{id}", second.address))
        .header("X-API-Key", API_KEY)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(fetched["id"], id);
    assert_eq!(fetched["url"], created["url"]);
}

#[tokio::test]
async fn redis_down_is_503_for_the_api_too() {
    let mut app = spawn_app().await;
    app.redis.kill();
    let response = app.call(Method::GET, "/v1/subscriptions").await;
    assert_problem(response, 503, "unavailable").await;
    let response = app
        .call_json(Method::POST, "/v1/subscriptions", &valid())
        .await;
    assert_problem(response, 503, "unavailable").await;
}

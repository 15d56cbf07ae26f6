//! The isolation matrix: two tenants with write keys, a read key, an admin and no key, against
//! every `/v1` route of the OpenAPI document (enumerated from it, so a route added later without
//! an expectation fails here). No response to tenant B carries anything of tenant A's.

use std::collections::BTreeSet;

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::sink::{Answer, Sink};
use crate::tenants_api::{World, world};

/// Who calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Nobody,
    OtherTenant,
    OwnReader,
    OwnWriter,
    Admin,
}

const EVERYONE: [Who; 5] = [
    Who::Nobody,
    Who::OtherTenant,
    Who::OwnReader,
    Who::OwnWriter,
    Who::Admin,
];

/// What a route is, for the expectations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Admin keys only (tenants, keys, audit).
    AdminOnly,
    /// Acts on one of tenant A's objects, named in the path.
    OnOwnObject,
    /// A list or a create: each caller gets its own view.
    Scoped,
}

fn kind(path: &str) -> Kind {
    if path.starts_with("/v1/tenants") || path == "/v1/audit" {
        Kind::AdminOnly
    } else if path.contains('{') {
        Kind::OnOwnObject
    } else {
        Kind::Scoped
    }
}

fn success(method: &str, path: &str) -> u16 {
    match (method, path) {
        ("post", "/v1/subscriptions" | "/v1/tenants" | "/v1/tenants/{id}/keys") => 201,
        ("post", "/v1/subscriptions/{id}/test")
        | ("post", "/v1/subscriptions/{id}/replay")
        | ("post", "/v1/events/{id}/replay") => 202,
        ("delete", _) => 204,
        _ => 200,
    }
}

fn expected(who: Who, method: &str, path: &str) -> u16 {
    let writes = method != "get";
    match (who, kind(path)) {
        (Who::Nobody, _) => 401,
        (Who::OwnReader, _) if writes => 403,
        (Who::OtherTenant | Who::OwnReader | Who::OwnWriter, Kind::AdminOnly) => 403,
        (Who::OtherTenant, Kind::OnOwnObject) => 404,
        _ => success(method, path),
    }
}

fn body(method: &str, path: &str, world: &World) -> Option<Value> {
    Some(match (method, path) {
        ("post", "/v1/subscriptions") => json!({"url": world.sink_url, "events": ["order.*"]}),
        ("patch", "/v1/subscriptions/{id}") => json!({"description": "changed"}),
        ("post", "/v1/subscriptions/{id}/replay") => json!({"since": "2020-01-01T00:00:00Z"}),
        ("post", "/v1/events/{id}/replay") => json!({}),
        ("post", "/v1/dead-letters/redrive") => json!({"all": true}),
        ("post", "/v1/tenants") => json!({"id": format!("t-{}", ulid_lower()), "name": "New"}),
        ("patch", "/v1/tenants/{id}") => json!({"name": "Acme Corp"}),
        ("post", "/v1/tenants/{id}/keys") => json!({"role": "read", "label": "matrix"}),
        ("post", _) => json!({}),
        _ => return None,
    })
}

fn ulid_lower() -> String {
    ulid::Ulid::generate().to_string().to_ascii_lowercase()
}

#[tokio::test]
async fn every_route_answers_each_principal_as_scoped_and_leaks_nothing_of_another_tenant() {
    let sink = Sink::start().await;
    sink.answer(Answer::status(200));
    let world = world(&sink).await;
    let doc: Value = world
        .app
        .client
        .get(format!("{}/openapi.json", world.app.address))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut routes = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        if path.starts_with("/v1/") {
            for method in item.as_object().unwrap().keys() {
                routes.insert((method.clone(), path.clone()));
            }
        }
    }
    assert!(routes.len() >= 25, "{routes:?}");

    let mut leaked = Vec::new();
    let mut checked = 0;
    for (method, path) in &routes {
        for who in EVERYONE {
            // Destructive routes get a fresh victim for each caller expected to succeed.
            let concrete = world
                .fill(method, path, who == Who::OwnWriter || who == Who::Admin)
                .await;
            let key = match who {
                Who::Nobody => None,
                Who::OtherTenant => Some(world.key_b.as_str()),
                Who::OwnReader => Some(world.key_a_read.as_str()),
                Who::OwnWriter => Some(world.key_a.as_str()),
                Who::Admin => Some(API_KEY),
            };
            let mut request = world.app.client.request(
                Method::from_bytes(method.to_uppercase().as_bytes()).unwrap(),
                format!("{}{concrete}", world.app.address),
            );
            if let Some(key) = key {
                request = request.header("X-API-Key", key);
            }
            if let Some(body) = body(method, path, &world) {
                request = request.json(&body);
            }
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            let text = response.text().await.unwrap();
            assert_eq!(
                status,
                expected(who, method, path),
                "{who:?} {method} {concrete}: {text}"
            );
            if who == Who::OtherTenant {
                leaked.extend(
                    world
                        .secrets_of_a()
                        .into_iter()
                        .filter(|s| text.contains(s.as_str()))
                        .map(|s| format!("{method} {concrete}: {s}")),
                );
            }
            assert!(
                !text.contains(crate::tenants_api::SENSITIVE_VALUE),
                "{who:?} {method} {concrete} shows a sensitive header value"
            );
            checked += 1;
        }
    }
    assert!(
        leaked.is_empty(),
        "tenant B saw tenant A's data: {leaked:?}"
    );
    assert_eq!(checked, routes.len() * EVERYONE.len());
}

#[tokio::test]
async fn another_tenants_id_and_an_unknown_id_get_the_same_404() {
    let sink = Sink::start().await;
    let world = world(&sink).await;
    for (theirs, unknown) in [
        (
            format!("/v1/subscriptions/{}", world.sub_a),
            "/v1/subscriptions/sub_01M8S5J2W2XNF6CKX3Y6B6KS4S".to_string(),
        ),
        (
            format!("/v1/events/{}", world.event_a),
            "/v1/events/evt_01M8S5J2W2XNF6CKX3Y6B6KS4S".to_string(),
        ),
        (
            format!("/v1/subscriptions/{}/deliveries", world.sub_a),
            "/v1/subscriptions/sub_nope/deliveries".to_string(),
        ),
    ] {
        let get = |path: String| {
            world
                .app
                .client
                .get(format!("{}{path}", world.app.address))
                .header("X-API-Key", &world.key_b)
                .send()
        };
        let a = get(theirs.clone()).await.unwrap();
        let b = get(unknown.clone()).await.unwrap();
        assert_eq!((a.status().as_u16(), b.status().as_u16()), (404, 404));
        assert_ne!(
            a.headers()["x-correlation-id"],
            b.headers()["x-correlation-id"]
        );
        let (a, b) = (a.text().await.unwrap(), b.text().await.unwrap());
        assert_eq!(a, b, "{theirs} vs {unknown}");
        assert!(!a.contains("sub_") && !a.contains("evt_"), "{a}");
    }
}

//! `/v1/events`: the stored events, newest first, filtered and cursor-paginated; lookup by id.

use std::collections::HashSet;

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;

async fn ingest_flexops(app: &TestApp, id: &str, kind: &str, number: &str) -> String {
    let body = serde_json::to_vec(&json!({
        "id": id, "type": kind, "createdAt": "2026-03-10T14:30:00Z",
        "data": {"trackingNumber": number, "carrier": "ups", "status": "in_transit"}
    }))
    .unwrap();
    let response = app.ingest_flexops(&body).await;
    let answer: Value = response.json().await.unwrap();
    answer["events"][0].as_str().unwrap().to_string()
}

async fn get(app: &TestApp, query: &str) -> reqwest::Response {
    app.call(Method::GET, &format!("/v1/events{query}")).await
}

#[tokio::test]
async fn lists_newest_first_with_filters() {
    let app = spawn_app().await;
    let a = ingest_flexops(&app, "e1", "tracking.updated", "1Z999AA10123456784").await;
    let b = ingest_flexops(&app, "e2", "tracking.delivered", "1Z999AA10123456784").await;
    let c = ingest_flexops(&app, "e3", "tracking.updated", "1ZXXXXXXXXXXXXXXXX").await;
    let ping = fixture("flexport_v1/ping.json");
    app.post_ingest("flexport", &ping, &flexport_v1_headers(&ping))
        .await;

    let all: Value = get(&app, "").await.json().await.unwrap();
    let ids: Vec<&str> = all["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 4);
    assert_eq!(
        &ids[1..],
        [c.as_str(), b.as_str(), a.as_str()],
        "newest first"
    );
    assert_eq!(
        all["pagination"],
        json!({"pageSize": 20, "nextCursor": null})
    );

    let ids_of = |body: Value| -> Vec<String> {
        body["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        ids_of(
            get(&app, "?type=tracking.updated")
                .await
                .json()
                .await
                .unwrap()
        ),
        [c.clone(), a.clone()]
    );
    assert_eq!(
        ids_of(get(&app, "?source=flexops").await.json().await.unwrap()).len(),
        3
    );
    assert_eq!(
        ids_of(get(&app, "?source=flexport").await.json().await.unwrap()).len(),
        1
    );
    assert_eq!(
        ids_of(
            get(
                &app,
                "?subject=ups:1Z999AA10123456784&type=tracking.delivered"
            )
            .await
            .json()
            .await
            .unwrap()
        ),
        std::slice::from_ref(&b)
    );
    let future = (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339();
    let since_future = get(&app, &format!("?since={}", urlencode(&future)))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(ids_of(since_future).len(), 0);
    let until_future = get(&app, &format!("?until={}", urlencode(&future)))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(ids_of(until_future).len(), 4);
}

#[tokio::test]
async fn cursor_pages_cover_every_event_once() {
    let app = spawn_app().await;
    let mut expected = HashSet::new();
    for i in 0..7 {
        expected.insert(
            ingest_flexops(
                &app,
                &format!("e{i}"),
                "tracking.updated",
                "1Z999AA10123456784",
            )
            .await,
        );
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..10 {
        let query = match &cursor {
            Some(c) => format!("?pageSize=3&cursor={c}"),
            None => "?pageSize=3".to_string(),
        };
        let page: Value = get(&app, &query).await.json().await.unwrap();
        seen.extend(
            page["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["id"].as_str().unwrap().to_string()),
        );
        match page["pagination"]["nextCursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 7, "{seen:?}");
    // Nothing is older than the first possible id (found by the generated-input test).
    let oldest: Value = get(&app, "?cursor=0-0").await.json().await.unwrap();
    assert_eq!(
        oldest,
        json!({"data": [], "pagination": {"pageSize": 20, "nextCursor": null}})
    );
    assert_eq!(seen.iter().cloned().collect::<HashSet<_>>(), expected);
}

#[tokio::test]
async fn bad_filters_are_400_naming_the_parameter() {
    let app = spawn_app().await;
    for (query, field) in [
        ("?type=tracking.nope", "type"),
        ("?source=ghost", "source"),
        ("?cursor=abc", "cursor"),
        ("?cursor=99999999999999999999-0", "cursor"),
        ("?pageSize=0", "pageSize"),
        ("?pageSize=101", "pageSize"),
        (
            "?since=2026-03-11T00:00:00Z&until=2026-03-10T00:00:00Z",
            "since",
        ),
    ] {
        let problem = assert_problem(get(&app, query).await, 400, "bad-request").await;
        assert_eq!(problem["errors"][0]["field"], field, "{query}: {problem}");
    }
    let problem = assert_problem(get(&app, "?since=yesterday").await, 400, "bad-request").await;
    assert_eq!(problem["errors"][0]["field"], "(query)");
}

#[tokio::test]
async fn an_event_is_found_by_id() {
    let app = spawn_app().await;
    let id = ingest_flexops(&app, "e1", "tracking.updated", "1Z999AA10123456784").await;
    let response = app.call(Method::GET, &format!("/v1/events/{id}")).await;
    assert_eq!(response.status(), 200);
    let event: Value = response.json().await.unwrap();
    assert_eq!(event["id"], id);
    assert_eq!(event["type"], "tracking.updated");
    assert_eq!(event, app.stored_events().await[0]);

    let missing = app.call(Method::GET, "/v1/events/evt_nope").await;
    assert_problem(missing, 404, "not-found").await;
    let anonymous = app.get_anonymously(&format!("/v1/events/{id}")).await;
    assert_eq!(anonymous.status(), 401);
}

fn urlencode(text: &str) -> String {
    text.replace('+', "%2B").replace(':', "%3A")
}

//! Tenants and keys end to end: the world the isolation matrix runs in, and the tenancy rules a
//! user sees (read keys, revocation across processes, limits, allowed sources, the upgrade of a
//! Redis written before tenants, the audit log holding no secret).

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::sink::{Answer, Sink};
use crate::store::{self, Store};

pub const SENSITIVE_VALUE: &str = "Bearer acme-sensitive-token-0123456789";
const HEADER_VALUE: &str = "acme-team-header-value";
const WAIT: Duration = Duration::from_secs(10);

/// Two tenants (acme: flexops only; bolt: shop only), their keys, and acme's objects.
pub struct World {
    pub app: TestApp,
    pub sink_url: String,
    pub key_a: String,
    pub key_a_read: String,
    pub key_b: String,
    pub key_ids_a: Vec<String>,
    pub sub_a: String,
    pub url_a: String,
    pub event_a: String,
    pub dead_a: String,
}

pub async fn admin(app: &TestApp, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
    call(app, API_KEY, method, path, body).await
}

pub async fn call(
    app: &TestApp,
    key: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = app
        .client
        .request(method, format!("{}{path}", app.address))
        .header("X-API-Key", key);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// Creates a tenant and returns its write key (and key id).
pub async fn tenant_with_key(
    app: &TestApp,
    id: &str,
    sources: Value,
    role: &str,
) -> (String, String) {
    let (status, body) = admin(
        app,
        Method::POST,
        "/v1/tenants",
        Some(json!({"id": id, "name": id, "allowedSources": sources})),
    )
    .await;
    assert!(status == 201 || status == 409, "{status} {body}");
    new_key(app, id, role).await
}

pub async fn new_key(app: &TestApp, tenant: &str, role: &str) -> (String, String) {
    let (status, key) = admin(
        app,
        Method::POST,
        &format!("/v1/tenants/{tenant}/keys"),
        Some(json!({"role": role, "label": "test"})),
    )
    .await;
    assert_eq!(status, 201, "{key}");
    (
        key["key"].as_str().unwrap().to_string(),
        key["id"].as_str().unwrap().to_string(),
    )
}

pub async fn world(sink: &Sink) -> World {
    let app = spawn_app().await;
    let (key_a, id_a) = tenant_with_key(&app, "acme", json!(["flexops"]), "write").await;
    let (key_a_read, id_a_read) = new_key(&app, "acme", "read").await;
    let (key_b, _) = tenant_with_key(&app, "bolt", json!(["shop"]), "write").await;
    let url_a = format!("{}/acme-only-path", sink.url.trim_end_matches("/hook"));
    let (status, sub) = call(
        &app,
        &key_a,
        Method::POST,
        "/v1/subscriptions",
        Some(json!({
            "url": url_a, "events": ["*"],
            "headers": {"X-Team": HEADER_VALUE},
            "sensitiveHeaders": {"Authorization": SENSITIVE_VALUE},
        })),
    )
    .await;
    assert_eq!(status, 201, "{sub}");
    let body = br#"{"id":"evt_acme_1","type":"tracking.updated","data":{"trackingNumber":"1Z999AA10123456784","carrier":"ups","status":"in_transit"}}"#;
    let answer: Value = app.ingest_flexops(body).await.json().await.unwrap();
    let event_a = answer["events"][0].as_str().unwrap().to_string();
    let sub_a = sub["id"].as_str().unwrap().to_string();
    let mut world = World {
        sink_url: sink.url.clone(),
        key_a,
        key_a_read,
        key_b,
        key_ids_a: vec![id_a, id_a_read],
        url_a,
        event_a,
        dead_a: String::new(),
        sub_a,
        app,
    };
    world.dead_a = world.dead_letter().await;
    world
}

impl World {
    /// Everything of tenant A's that tenant B must never see.
    pub fn secrets_of_a(&self) -> Vec<String> {
        let mut all = vec![
            self.sub_a.clone(),
            self.url_a.clone(),
            "acme-only-path".into(),
            HEADER_VALUE.into(),
            SENSITIVE_VALUE.into(),
            self.event_a.clone(),
            self.dead_a.clone(),
            "acme".into(),
        ];
        all.extend(self.key_ids_a.iter().cloned());
        all
    }

    /// A dead letter of A's subscription, as the worker would have written it.
    pub async fn dead_letter(&self) -> String {
        let (_, event) = admin(
            &self.app,
            Method::GET,
            &format!("/v1/events/{}", self.event_a),
            None,
        )
        .await;
        let job = json!({
            "event_id": self.event_a, "subscription_id": self.sub_a, "attempt": 4,
            "first_attempt_at": null, "subject": event["subject"], "event_time": event["time"],
            "received_at": event["time"], "event": event.to_string(),
        });
        let (job, failed_at) = (job.to_string(), chrono::Utc::now().timestamp_millis());
        let fields = [
            ("job", job.as_str()),
            ("reason", "HTTP 500"),
            ("failed_at", &failed_at.to_string()),
        ];
        let id = (Store::on(self.app.redis.conn().await))
            .append(&store::partition(0).dead(), "*", &fields)
            .await;
        format!("{id}-0") // its position: partition 0
    }

    /// The route's path with A's objects in it; `fresh`: a victim made for a destructive call.
    pub async fn fill(&self, method: &str, template: &str, fresh: bool) -> String {
        let victim = fresh && method == "delete";
        let sub = if victim && template == "/v1/subscriptions/{id}" {
            let (_, sub) = call(
                &self.app,
                &self.key_a,
                Method::POST,
                "/v1/subscriptions",
                Some(json!({"url": self.url_a, "events": ["*"]})),
            )
            .await;
            sub["id"].as_str().unwrap().to_string()
        } else {
            self.sub_a.clone()
        };
        let dead = if victim {
            self.dead_letter().await
        } else {
            self.dead_a.clone()
        };
        let (tenant, key) = if victim && template.starts_with("/v1/tenants/{id}") {
            let id = format!(
                "v-{}",
                ulid::Ulid::generate().to_string().to_ascii_lowercase()
            );
            let (_, key_id) = tenant_with_key(&self.app, &id, json!([]), "read").await;
            (id, key_id)
        } else {
            ("acme".to_string(), self.key_ids_a[1].clone())
        };
        let id = if template.starts_with("/v1/subscriptions") {
            sub
        } else if template.starts_with("/v1/events") {
            self.event_a.clone()
        } else if template.starts_with("/v1/dead-letters") {
            dead
        } else {
            tenant
        };
        template.replace("{id}", &id).replace("{keyId}", &key)
    }
}

#[tokio::test]
async fn read_keys_read_and_unknown_or_revoked_keys_are_refused() {
    let app = spawn_app().await;
    let (write, write_id) = tenant_with_key(&app, "acme", json!(["*"]), "write").await;
    let (read, _) = new_key(&app, "acme", "read").await;
    let (status, me) = call(&app, &read, Method::GET, "/v1/me", None).await;
    assert_eq!(
        (status, me["kind"].as_str(), me["role"].as_str()),
        (200, Some("tenant"), Some("read")),
        "{me}"
    );
    assert_eq!(me["tenant"]["id"], "acme");
    let (status, problem) = call(
        &app,
        &read,
        Method::POST,
        "/v1/subscriptions",
        Some(json!({"url": "http://127.0.0.1:9/x", "events": ["*"]})),
    )
    .await;
    assert_eq!(
        (status, problem["type"].as_str()),
        (403, Some("urn:shiprelay:problem:forbidden"))
    );
    assert_eq!(
        call(&app, &write, Method::GET, "/v1/tenants", None).await.0,
        403
    );
    assert_eq!(
        call(
            &app,
            "srk_not-a-key-at-all-0123456789",
            Method::GET,
            "/v1/me",
            None
        )
        .await
        .0,
        401
    );
    let (status, keys) = admin(&app, Method::GET, "/v1/tenants/acme/keys", None).await;
    assert_eq!(status, 200);
    let listed = keys["data"].as_array().unwrap();
    assert_eq!(listed.len(), 2);
    assert!(
        listed
            .iter()
            .all(|k| k.get("key").is_none() && k["prefix"].as_str().unwrap().starts_with("srk_"))
    );
    assert!(
        !keys.to_string().contains(&write[8..]),
        "a listing shows no key"
    );
    assert_eq!(
        admin(
            &app,
            Method::DELETE,
            &format!("/v1/tenants/acme/keys/{write_id}"),
            None
        )
        .await
        .0,
        204
    );
    assert_eq!(call(&app, &write, Method::GET, "/v1/me", None).await.0, 401);
    assert_eq!(
        admin(
            &app,
            Method::DELETE,
            &format!("/v1/tenants/acme/keys/{write_id}"),
            None
        )
        .await
        .0,
        404
    );
}

#[tokio::test]
async fn a_revoked_key_is_refused_by_a_second_process_within_two_seconds() {
    let app = spawn_app().await;
    let second = app.spawn_second().await;
    let (key, key_id) = tenant_with_key(&app, "acme", json!(["*"]), "write").await;
    let me = |address: String| {
        let client = app.client.clone();
        let key = key.clone();
        async move {
            client
                .get(format!("{address}/v1/me"))
                .header("X-API-Key", key)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(
        me(second.address.clone()).await,
        200,
        "the second process accepts (and caches) it"
    );
    let revoked_at = Instant::now();
    assert_eq!(
        admin(
            &app,
            Method::DELETE,
            &format!("/v1/tenants/acme/keys/{key_id}"),
            None
        )
        .await
        .0,
        204
    );
    while me(second.address.clone()).await != 401 {
        assert!(
            revoked_at.elapsed() < Duration::from_secs(2),
            "still accepted 2 s after revocation"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn tenant_limits_and_allowed_sources_hold() {
    let sink = Sink::start().await;
    sink.answer(Answer::status(200));
    let app = spawn_app().await;
    let (key, _) = tenant_with_key(&app, "acme", json!(["flexops", "shop"]), "write").await;
    let (status, problem) = call(
        &app,
        &key,
        Method::POST,
        "/v1/subscriptions",
        Some(json!({"url": sink.url, "events": ["*"], "sources": ["standard"]})),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(problem["errors"][0]["field"], "sources[0]");
    assert!(
        problem["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("`standard`"),
        "{problem}"
    );
    let (status, sub) = call(
        &app,
        &key,
        Method::POST,
        "/v1/subscriptions",
        Some(json!({"url": sink.url, "events": ["*"]})),
    )
    .await;
    assert_eq!(status, 201, "{sub}");
    assert_eq!(sub["tenant"], "acme");

    let flexops = |id: &str| {
        format!(r#"{{"id":"{id}","type":"tracking.updated","data":{{"trackingNumber":"1Z999AA10123456784","carrier":"ups"}}}}"#).into_bytes()
    };
    let body = flexops("evt_before");
    app.ingest_flexops(&body).await;
    sink.wait_for(1, WAIT).await;
    // Narrowing the tenant's sources stops routing flexops to it at once; shop still flows.
    assert_eq!(
        admin(
            &app,
            Method::PATCH,
            "/v1/tenants/acme",
            Some(json!({"allowedSources": ["shop"]}))
        )
        .await
        .0,
        200
    );
    let body = flexops("evt_after");
    app.ingest_flexops(&body).await;
    let shop = br#"{"type":"orders/create","id":77}"#;
    app.post_ingest(
        "shop",
        shop,
        &[(
            "X-Shopify-Hmac-Sha256",
            hmac_sha256_base64(SHOP_SECRET, shop),
        )],
    )
    .await;
    let received = sink.wait_for(2, WAIT).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        sink.received().len(),
        2,
        "the narrowed source was not delivered"
    );
    assert!(
        received[1].json()["source"]
            .as_str()
            .unwrap()
            .ends_with("/shop")
    );

    assert_eq!(
        admin(
            &app,
            Method::PATCH,
            "/v1/tenants/acme",
            Some(json!({"maxSubscriptions": 1}))
        )
        .await
        .0,
        200
    );
    let (status, problem) = call(
        &app,
        &key,
        Method::POST,
        "/v1/subscriptions",
        Some(json!({"url": sink.url, "events": ["*"]})),
    )
    .await;
    assert_eq!(status, 422, "{problem}");
    assert!(
        problem.to_string().contains("maxSubscriptions"),
        "{problem}"
    );

    let (status, problem) = admin(&app, Method::DELETE, "/v1/tenants/acme", None).await;
    assert_eq!(status, 409, "{problem}");
    assert_eq!(
        call(
            &app,
            &key,
            Method::DELETE,
            &format!("/v1/subscriptions/{}", sub["id"].as_str().unwrap()),
            None
        )
        .await
        .0,
        204
    );
    assert_eq!(
        admin(&app, Method::DELETE, "/v1/tenants/acme", None)
            .await
            .0,
        204
    );
    assert_eq!(
        call(&app, &key, Method::GET, "/v1/me", None).await.0,
        401,
        "a deleted tenant's keys go with it"
    );
}

#[tokio::test]
async fn tenant_requests_are_validated_field_by_field() {
    let app = spawn_app().await;
    let (status, problem) = admin(
        &app,
        Method::POST,
        "/v1/tenants",
        Some(json!({"id": "Bad Id", "name": "", "allowedSources": ["nope"]})),
    )
    .await;
    assert_eq!(status, 422);
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["id", "name", "allowedSources[0]"]);
    assert_eq!(
        admin(
            &app,
            Method::POST,
            "/v1/tenants",
            Some(json!({"id": "ops", "name": "Ops"}))
        )
        .await
        .0,
        201
    );
    assert_eq!(
        admin(
            &app,
            Method::POST,
            "/v1/tenants",
            Some(json!({"id": "ops", "name": "Ops"}))
        )
        .await
        .0,
        409
    );
    let (_, tenant) = admin(&app, Method::GET, "/v1/tenants/ops", None).await;
    assert_eq!(
        (
            tenant["allowedSources"].clone(),
            tenant["maxSubscriptions"].clone()
        ),
        (json!([]), json!(100))
    );
    assert_eq!(
        admin(
            &app,
            Method::POST,
            "/v1/tenants/nope/keys",
            Some(json!({"role": "write"}))
        )
        .await
        .0,
        404
    );
    assert_eq!(
        admin(
            &app,
            Method::POST,
            "/v1/tenants/ops/keys",
            Some(json!({"role": "owner"}))
        )
        .await
        .0,
        400
    );
}

#[tokio::test]
async fn sensitive_headers_are_sent_but_never_shown_and_content_headers_are_refused() {
    let sink = Sink::start().await;
    sink.answer(Answer::status(200));
    let app = spawn_app().await;
    let sub = app.create_subscription(json!({"url": sink.url, "events": ["*"], "headers": {"X-Team": "ops"}, "sensitiveHeaders": {"Authorization": SENSITIVE_VALUE}})).await;
    assert_eq!(sub["sensitiveHeaders"], json!(["Authorization"]));
    assert_eq!(sub["tenant"], "default");
    let (_, shown) = admin(
        &app,
        Method::GET,
        &format!("/v1/subscriptions/{}", sub["id"].as_str().unwrap()),
        None,
    )
    .await;
    assert!(!shown.to_string().contains(SENSITIVE_VALUE), "{shown}");
    let body = br#"{"id":"evt_sens","type":"tracking.updated","data":{"trackingNumber":"1Z999AA10123456784"}}"#;
    app.ingest_flexops(body).await;
    let received = sink.wait_for(1, WAIT).await;
    assert_eq!(received[0].header_map()["authorization"], SENSITIVE_VALUE);
    assert_eq!(received[0].header_map()["x-team"], "ops");
    for (field, headers) in [
        (
            "headers.Content-Encoding",
            json!({"headers": {"Content-Encoding": "gzip"}}),
        ),
        (
            "sensitiveHeaders.content-language",
            json!({"sensitiveHeaders": {"content-language": "de"}}),
        ),
        (
            "sensitiveHeaders.x-team",
            json!({"sensitiveHeaders": {"x-team": "dup"}}),
        ),
    ] {
        let (status, problem) = admin(
            &app,
            Method::PATCH,
            &format!("/v1/subscriptions/{}", sub["id"].as_str().unwrap()),
            Some(headers),
        )
        .await;
        assert_eq!(status, 422, "{problem}");
        assert_eq!(problem["errors"][0]["field"], field, "{problem}");
    }
}

#[tokio::test]
async fn each_key_has_a_request_rate_limit() {
    let app = spawn_app_with(|toml| {
        toml.replace(
            "requests_per_second_per_key = 1000",
            "requests_per_second_per_key = 5",
        )
    })
    .await;
    let mut statuses = Vec::new();
    let mut retry_after = None;
    for _ in 0..12 {
        let response = app.call(Method::GET, "/v1/me").await;
        if response.status() == 429 {
            retry_after = response
                .headers()
                .get("retry-after")
                .map(|v| v.to_str().unwrap().to_string());
        }
        statuses.push(response.status().as_u16());
    }
    assert!(
        statuses.iter().filter(|s| **s == 200).count() <= 10,
        "{statuses:?}"
    );
    assert!(statuses.contains(&429), "{statuses:?}");
    assert_eq!(retry_after.as_deref(), Some("1"));
    // Another key has its own window.
    assert_eq!(
        app.client
            .get(format!("{}/v1/me", app.address))
            .header("X-API-Key", API_KEY_2)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}

#[tokio::test]
async fn an_admin_key_may_be_configured_as_its_digest() {
    let digest = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(
        b"hashed-admin-key-0123456789",
    ));
    let app = spawn_app_with(|toml| {
        toml.replace(
            &format!("keys = [\"{API_KEY}\", \"{API_KEY_2}\"]"),
            &format!("keys = [\"sha256:{digest}\"]"),
        )
    })
    .await;
    let me = app
        .client
        .get(format!("{}/v1/me", app.address))
        .header("X-API-Key", "hashed-admin-key-0123456789")
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
    assert_eq!(me.json::<Value>().await.unwrap()["kind"], "admin");
    assert_eq!(app.call(Method::GET, "/v1/me").await.status(), 401);
}

#[tokio::test]
async fn a_redis_written_before_tenants_serves_its_subscriptions_as_tenant_default() {
    let sink = Sink::start().await;
    sink.answer(Answer::status(200));
    let redis = TestRedis::start();
    // The previous version's record: no tenant, no tenant index, no tenants at all.
    let old = json!({"id": "sub_01OLD0000000000000000000000", "url": sink.url, "events": ["*"], "sources": [], "carriers": [],
        "description": "from before", "headers": {}, "enabled": true, "disabled_reason": null,
        "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "previous_secret": null,
        "created_at": "2026-11-01T00:00:00Z", "updated_at": "2026-11-01T00:00:00Z"});
    let mut earlier = Store::on(redis.conn().await);
    let id = "sub_01OLD0000000000000000000000";
    let (record, index) = (
        store::registry().subscription(id),
        store::registry().subscriptions(),
    );
    earlier.set_field(&record, "record", &old.to_string()).await;
    let _: i64 = earlier
        .run("ZADD", (&index, 1_700_000_000_000i64, id))
        .await;
    let app = spawn_app_on(redis).await;
    let (status, sub) = admin(
        &app,
        Method::GET,
        "/v1/subscriptions/sub_01OLD0000000000000000000000",
        None,
    )
    .await;
    assert_eq!(
        (status, sub["tenant"].as_str()),
        (200, Some("default")),
        "{sub}"
    );
    let (_, tenant) = admin(&app, Method::GET, "/v1/tenants/default", None).await;
    assert_eq!(tenant["allowedSources"], json!(["*"]));
    let (_, page) = admin(&app, Method::GET, "/v1/subscriptions?tenant=default", None).await;
    assert_eq!(page["pagination"]["totalCount"], 1, "{page}");
    let body = br#"{"id":"evt_upgrade","type":"tracking.updated","data":{"trackingNumber":"1Z999AA10123456784"}}"#;
    app.ingest_flexops(body).await;
    sink.wait_for(1, WAIT).await;
    // A key for tenant default sees it as its own.
    let (key, _) = new_key(&app, "default", "read").await;
    assert_eq!(
        call(
            &app,
            &key,
            Method::GET,
            "/v1/subscriptions/sub_01OLD0000000000000000000000",
            None
        )
        .await
        .0,
        200
    );
}

#[tokio::test]
async fn every_change_is_audited_and_the_audit_log_holds_no_secret() {
    let sink = Sink::start().await;
    sink.answer(Answer::status(200));
    let world = world(&sink).await;
    let app = &world.app;
    let (_, rotated) = call(
        app,
        &world.key_a,
        Method::POST,
        &format!("/v1/subscriptions/{}/rotate-secret", world.sub_a),
        None,
    )
    .await;
    call(
        app,
        &world.key_a,
        Method::PATCH,
        &format!("/v1/subscriptions/{}", world.sub_a),
        Some(json!({"description": "x"})),
    )
    .await;
    call(
        app,
        &world.key_a,
        Method::POST,
        &format!("/v1/events/{}/replay", world.event_a),
        Some(json!({})),
    )
    .await;
    call(
        app,
        &world.key_a,
        Method::POST,
        "/v1/dead-letters/redrive",
        Some(json!({"all": true})),
    )
    .await;
    let extra = world.dead_letter().await;
    assert_eq!(
        call(
            app,
            &world.key_a,
            Method::DELETE,
            &format!("/v1/dead-letters/{extra}"),
            None
        )
        .await
        .0,
        204
    );
    call(
        app,
        &world.key_a,
        Method::POST,
        &format!("/v1/subscriptions/{}/test", world.sub_a),
        None,
    )
    .await;
    call(
        app,
        &world.key_a,
        Method::POST,
        &format!("/v1/subscriptions/{}/replay", world.sub_a),
        Some(json!({"since": "2020-01-01T00:00:00Z"})),
    )
    .await;
    call(
        app,
        &world.key_a,
        Method::DELETE,
        &format!("/v1/subscriptions/{}", world.sub_a),
        None,
    )
    .await;
    tenant_with_key(app, "doomed", json!([]), "read").await;
    assert_eq!(
        admin(app, Method::DELETE, "/v1/tenants/doomed", None)
            .await
            .0,
        204
    );
    let (victim_key, victim_id) = new_key(app, "bolt", "read").await;
    admin(
        app,
        Method::DELETE,
        &format!("/v1/tenants/bolt/keys/{victim_id}"),
        None,
    )
    .await;
    admin(
        app,
        Method::PATCH,
        "/v1/tenants/bolt",
        Some(json!({"name": "Bolt"})),
    )
    .await;

    let (status, audit) = admin(app, Method::GET, "/v1/audit?pageSize=100", None).await;
    assert_eq!(status, 200);
    let actions: Vec<&str> = audit["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for action in [
        "tenant.created",
        "tenant.updated",
        "key.created",
        "key.revoked",
        "subscription.created",
        "subscription.updated",
        "subscription.secret_rotated",
        "subscription.deleted",
        "events.replayed",
        "dead_letters.redriven",
        "dead_letters.deleted",
        "subscription.tested",
        "tenant.deleted",
    ] {
        assert!(actions.contains(&action), "no {action} in {actions:?}");
    }
    // Both replays (one event, a range) are recorded.
    assert!(actions.iter().filter(|a| **a == "events.replayed").count() >= 2);
    let entry = audit["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "subscription.deleted")
        .unwrap();
    assert_eq!(entry["actor"], world.key_ids_a[0]);
    assert_eq!(entry["tenant"], "acme");
    assert!(!entry["correlationId"].as_str().unwrap().is_empty());
    let (_, narrowed) = admin(app, Method::GET, "/v1/audit?tenant=bolt", None).await;
    assert!(
        narrowed["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["tenant"] == "bolt")
    );

    let raw: Vec<String> = {
        let audit = store::registry().audit();
        let entries = Store::on(app.redis.conn().await).entries(&audit).await;
        entries
            .iter()
            .map(|(_, fields)| format!("{fields:?}"))
            .collect()
    };
    assert!(raw.len() >= 11);
    for secret in [
        world.key_a.as_str(),
        world.key_a_read.as_str(),
        world.key_b.as_str(),
        victim_key.as_str(),
        rotated["secret"].as_str().unwrap(),
        SENSITIVE_VALUE,
        HEADER_VALUE,
        API_KEY,
    ] {
        assert!(
            !raw.iter().any(|e| e.contains(secret)),
            "the audit log holds a secret"
        );
    }
}

#[tokio::test]
async fn admins_narrow_lists_by_tenant_and_keys_record_their_last_use() {
    let sink = Sink::start().await;
    let world = world(&sink).await;
    let app = &world.app;
    let ids = |page: &Value, field: &str| -> Vec<String> {
        page["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e[field].as_str().unwrap().to_string())
            .collect()
    };
    let (_, acme) = admin(app, Method::GET, "/v1/dead-letters?tenant=acme", None).await;
    assert_eq!(ids(&acme, "id"), vec![world.dead_a.clone()]);
    let (_, bolt) = admin(app, Method::GET, "/v1/dead-letters?tenant=bolt", None).await;
    assert!(ids(&bolt, "id").is_empty(), "{bolt}");
    let (_, acme) = admin(app, Method::GET, "/v1/events?tenant=acme", None).await;
    assert!(ids(&acme, "id").contains(&world.event_a));
    let (_, bolt) = admin(app, Method::GET, "/v1/events?tenant=bolt", None).await;
    assert!(!ids(&bolt, "id").contains(&world.event_a), "{bolt}");
    // A tenant asking for another tenant's view gets nothing, not an error that says it exists.
    let (status, other) = call(
        app,
        &world.key_b,
        Method::GET,
        "/v1/events?tenant=acme",
        None,
    )
    .await;
    assert_eq!((status, other["data"].as_array().unwrap().len()), (200, 0));

    let deadline = Instant::now() + WAIT;
    loop {
        let (_, keys) = admin(app, Method::GET, "/v1/tenants/acme/keys", None).await;
        let write = keys["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["id"] == world.key_ids_a[0])
            .cloned()
            .unwrap();
        if write["lastUsedAt"].is_string() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "lastUsedAt was never written: {write}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

//! Unit tests of `model`.

use super::*;
use chrono::TimeZone;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 1, 12, 0, 0).unwrap()
}

fn request() -> CreateSubscription {
    CreateSubscription {
        url: "https://hooks.example.com/shiprelay".to_string(),
        events: vec!["tracking.*".to_string(), "order.shipped".to_string()],
        ..CreateSubscription::default()
    }
}

fn subscription() -> Subscription {
    create(
        request(),
        "sub_01".to_string(),
        Secret::new("whsec_current"),
        t0(),
    )
}

#[test]
fn secret_is_whsec_and_base64_of_the_32_random_bytes() {
    let random: [u8; 32] = std::array::from_fn(|i| i as u8 * 7);
    let secret = new_secret(random);
    let encoded = secret.expose().strip_prefix("whsec_").unwrap();
    assert_eq!(STANDARD.decode(encoded).unwrap(), random);
    assert_eq!(
        new_secret([0; 32]).expose(),
        "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
    );
}

#[test]
fn create_fills_defaults() {
    let sub = subscription();
    assert_eq!(sub.id, "sub_01");
    assert!(sub.enabled);
    assert!(sub.sources.is_empty() && sub.carriers.is_empty() && sub.headers.is_empty());
    assert_eq!(sub.description, None);
    assert_eq!((sub.created_at, sub.updated_at), (t0(), t0()));
    assert_eq!(sub.previous_secret, None);
}

#[test]
fn create_keeps_given_fields() {
    let req = CreateSubscription {
        sources: Some(vec!["flexport".into()]),
        carriers: Some(vec!["usps".into()]),
        description: Some("ops".into()),
        headers: Some(BTreeMap::from([("X-Team".into(), "ops".into())])),
        enabled: Some(false),
        ..request()
    };
    let sub = create(req, "sub_02".into(), Secret::new("s"), t0());
    assert_eq!(sub.sources, ["flexport"]);
    assert_eq!(sub.carriers, ["usps"]);
    assert_eq!(sub.description.as_deref(), Some("ops"));
    assert_eq!(sub.headers["X-Team"], "ops");
    assert!(!sub.enabled);
}

#[test]
fn update_replaces_given_fields_only() {
    let mut sub = subscription();
    let later = t0() + TimeDelta::minutes(5);
    let update = UpdateSubscription {
        url: Some("https://other.example.com/".into()),
        carriers: Some(vec!["ups".into()]),
        ..UpdateSubscription::default()
    };
    apply_update(&mut sub, update, later);
    assert_eq!(sub.url, "https://other.example.com/");
    assert_eq!(sub.carriers, ["ups"]);
    assert_eq!(sub.events, request().events);
    assert_eq!(sub.updated_at, later);
    assert_eq!(sub.created_at, t0());
}

#[test]
fn empty_description_clears_it() {
    let mut sub = subscription();
    sub.description = Some("old".into());
    let update = UpdateSubscription {
        description: Some(String::new()),
        ..Default::default()
    };
    apply_update(&mut sub, update, t0());
    assert_eq!(sub.description, None);
}

#[test]
fn empty_update_changes_nothing() {
    let mut sub = subscription();
    let before = sub.clone();
    apply_update(
        &mut sub,
        UpdateSubscription::default(),
        t0() + TimeDelta::hours(1),
    );
    assert_eq!(sub, before);
}

#[test]
fn re_enabling_clears_the_disabled_reason() {
    let mut sub = subscription();
    sub.enabled = false;
    sub.disabled_reason = Some("endpoint failing for 3 days".into());
    let disable = UpdateSubscription {
        enabled: Some(false),
        ..Default::default()
    };
    apply_update(&mut sub, disable, t0());
    assert!(
        sub.disabled_reason.is_some(),
        "disabling again keeps the reason"
    );
    let enable = UpdateSubscription {
        enabled: Some(true),
        ..Default::default()
    };
    apply_update(&mut sub, enable, t0());
    assert!(sub.enabled);
    assert_eq!(sub.disabled_reason, None);
}

#[test]
fn re_enabling_or_moving_restarts_the_failure_streak_and_nothing_else_does() {
    let mut disabled = subscription();
    disabled.enabled = false;
    let mut enabled = disabled.clone();
    enabled.enabled = true;
    assert!(disabled.restarts_streak(&enabled));
    assert!(!enabled.restarts_streak(&disabled), "disabling keeps it");
    let mut moved = enabled.clone();
    moved.url = "https://elsewhere.example.com/".into();
    assert!(enabled.restarts_streak(&moved));
    let mut renamed = enabled.clone();
    renamed.description = Some("ops".into());
    assert!(!enabled.restarts_streak(&renamed));
}

#[test]
fn ordered_subscriptions_put_subjects_in_lanes_and_others_never() {
    let mut sub = subscription();
    assert_eq!(sub.lane_of(Some("ups:1Z")), None);
    sub.ordering = Ordering::Subject;
    assert_eq!(sub.lane_of(Some("ups:1Z")).as_deref(), Some("ups:1Z"));
    assert_eq!(sub.lane_of(None), None, "no subject: never held back");
}

#[test]
fn a_rate_limit_is_set_kept_or_removed_by_an_update() {
    let mut sub = subscription();
    let set: UpdateSubscription =
        serde_json::from_str(r#"{"rateLimitPerSecond":20,"ordering":"subject"}"#).unwrap();
    apply_update(&mut sub, set, t0());
    assert_eq!(sub.rate_limit_per_second, Some(20));
    assert_eq!(sub.ordering, Ordering::Subject);
    let other: UpdateSubscription = serde_json::from_str(r#"{"enabled":true}"#).unwrap();
    apply_update(&mut sub, other, t0());
    assert_eq!(sub.rate_limit_per_second, Some(20), "absent: kept");
    let clear: UpdateSubscription = serde_json::from_str(r#"{"rateLimitPerSecond":null}"#).unwrap();
    apply_update(&mut sub, clear, t0());
    assert_eq!(sub.rate_limit_per_second, None, "null: removed");
    assert!(serde_json::from_str::<UpdateSubscription>(r#"{"ordering":"time"}"#).is_err());
}

#[test]
fn rotation_keeps_current_and_previous_with_expiry() {
    let mut sub = subscription();
    let grace = DEFAULT_ROTATION_GRACE;
    rotate(&mut sub, Secret::new("whsec_second"), t0(), grace);
    assert_eq!(sub.secret.expose(), "whsec_second");
    let previous = sub.previous_secret.as_ref().unwrap();
    assert_eq!(previous.secret.expose(), "whsec_current");
    assert_eq!(previous.expires_at, t0() + TimeDelta::hours(24));
    assert_eq!(sub.updated_at, t0());
}

#[test]
fn rotation_during_grace_replaces_the_older_previous_secret() {
    let mut sub = subscription();
    rotate(
        &mut sub,
        Secret::new("whsec_second"),
        t0(),
        DEFAULT_ROTATION_GRACE,
    );
    let later = t0() + TimeDelta::hours(1);
    rotate(
        &mut sub,
        Secret::new("whsec_third"),
        later,
        DEFAULT_ROTATION_GRACE,
    );
    let secrets: Vec<&str> = sub
        .signing_secrets(later)
        .iter()
        .map(|s| s.expose())
        .collect();
    assert_eq!(secrets, ["whsec_third", "whsec_second"]);
    assert_eq!(
        sub.previous_secret.unwrap().expires_at,
        later + TimeDelta::hours(24)
    );
}

#[test]
fn signing_secrets_drop_the_previous_after_expiry() {
    let mut sub = subscription();
    rotate(
        &mut sub,
        Secret::new("whsec_second"),
        t0(),
        TimeDelta::hours(2),
    );
    let expiry = t0() + TimeDelta::hours(2);
    let names = |now| -> Vec<String> {
        sub.signing_secrets(now)
            .iter()
            .map(|s| s.expose().to_string())
            .collect()
    };
    assert_eq!(
        names(expiry - TimeDelta::seconds(1)),
        ["whsec_second", "whsec_current"]
    );
    assert_eq!(names(expiry), ["whsec_second"]);
    assert_eq!(
        sub.view(expiry - TimeDelta::seconds(1))
            .secret_rotation_ends_at,
        Some(expiry)
    );
    assert_eq!(sub.view(expiry).secret_rotation_ends_at, None);
}

#[test]
fn rotation_grace_overflow_does_not_panic() {
    let mut sub = subscription();
    rotate(&mut sub, Secret::new("whsec_second"), t0(), TimeDelta::MAX);
    assert_eq!(
        sub.previous_secret.unwrap().expires_at,
        DateTime::<Utc>::MAX_UTC
    );
}

#[test]
fn view_never_contains_a_secret() {
    let mut sub = subscription();
    rotate(
        &mut sub,
        Secret::new("whsec_second"),
        t0(),
        DEFAULT_ROTATION_GRACE,
    );
    let json = serde_json::to_string(&sub.view(t0())).unwrap();
    assert!(!json.contains("whsec_"), "{json}");
    assert!(json.contains("\"secretRotationEndsAt\""), "{json}");
    assert!(format!("{sub:?}").contains("[redacted]"));
    assert!(!format!("{sub:?}").contains("whsec_"));
}

#[test]
fn view_uses_camel_case() {
    let json = serde_json::to_value(subscription().view(t0())).unwrap();
    for key in [
        "createdAt",
        "updatedAt",
        "disabledReason",
        "secretRotationEndsAt",
    ] {
        assert!(json.get(key).is_some(), "{key} missing in {json}");
    }
}

#[test]
fn with_secret_flattens_the_view_and_adds_the_secret() {
    let json = serde_json::to_value(subscription().with_secret(t0())).unwrap();
    assert_eq!(json["secret"], "whsec_current");
    assert_eq!(json["id"], "sub_01");
    assert_eq!(json["createdAt"], "2025-03-01T12:00:00Z");
    assert!(!format!("{:?}", subscription().with_secret(t0())).contains("whsec_"));
}

#[test]
fn stored_record_round_trips_with_its_secrets() {
    let mut sub = subscription();
    rotate(
        &mut sub,
        Secret::new("whsec_second"),
        t0(),
        DEFAULT_ROTATION_GRACE,
    );
    let json = serde_json::to_string(&sub).unwrap();
    let back: Subscription = serde_json::from_str(&json).unwrap();
    assert_eq!(back, sub);
}

#[test]
fn requests_reject_unknown_fields_and_read_camel_case() {
    let unknown = r#"{"url":"https://x.example","events":["*"],"secret":"mine"}"#;
    assert!(serde_json::from_str::<CreateSubscription>(unknown).is_err());
    let update: UpdateSubscription = serde_json::from_str(r#"{"enabled":true}"#).unwrap();
    assert_eq!(update.enabled, Some(true));
    assert!(UpdateSubscription::default().is_empty());
    assert!(!update.is_empty());
}

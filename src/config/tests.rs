use super::*;
use crate::auth::Scheme;

fn load(toml: &str) -> Result<Config, ConfigError> {
    Config::from_toml(toml, Vec::new())
}

fn problems(toml: &str, env: &[(&str, &str)]) -> Vec<String> {
    let env = env.iter().map(|(k, v)| (k.to_string(), v.to_string()));
    match Config::from_toml(toml, env) {
        Ok(_) => Vec::new(),
        Err(ConfigError::Invalid(problems)) => problems.iter().map(ToString::to_string).collect(),
        Err(e) => vec![e.to_string()],
    }
}

const EXAMPLE: &str = include_str!("../../deploy/shiprelay.example.toml");

#[test]
fn the_example_config_is_valid() {
    let config = load(EXAMPLE).unwrap();
    assert!(config.sources.len() >= 5);
}

#[test]
fn defaults_apply_to_an_empty_file() {
    let config = load("").unwrap();
    assert_eq!(config.settings.server.listen, "127.0.0.1:8080");
    assert_eq!(config.settings.server.max_body_bytes, 1_048_576);
    assert_eq!(config.settings.server.header_timeout_secs, 5);
    assert_eq!(config.settings.server.body_timeout_secs, 30);
    assert_eq!(config.settings.redis.url, "redis://127.0.0.1:6379");
    assert_eq!(config.settings.redis.prefix, "shiprelay");
    assert!(config.sources.is_empty());
}

#[test]
fn environment_overrides_the_file_including_numbers_and_source_secrets() {
    let toml = "[redis]\nurl = \"redis://a:1\"\n[[sources]]\nid = \"flexport\"\nkind = \"flexport_v1\"\nsecrets = [\"old\"]\n";
    let env = [
        ("SHIPRELAY_REDIS__URL", "redis://b:2"),
        ("SHIPRELAY_SERVER__MAX_BODY_BYTES", "2048"),
        ("SHIPRELAY_SOURCES__FLEXPORT__SECRETS", "new,old"),
    ];
    let env = env.iter().map(|(k, v)| (k.to_string(), v.to_string()));
    let config = Config::from_toml(toml, env).unwrap();
    assert_eq!(config.settings.redis.url, "redis://b:2");
    assert_eq!(config.settings.server.max_body_bytes, 2048);
    let secrets: Vec<_> = config.sources[0]
        .secrets
        .iter()
        .map(|s| s.expose())
        .collect();
    assert_eq!(secrets, ["new", "old"]);
}

#[test]
fn names_every_problem_with_its_path() {
    let toml = r#"
[server]
listen = "nowhere"
[redis]
url = "http://localhost"
[[sources]]
id = "a"
kind = "flexport_v3"
secrets = ["x"]
[[sources]]
id = "b"
kind = "flexops"
[[sources]]
id = "b"
kind = "flexops"
secrets = ["y"]
token_header = "X-Token"
"#;
    let found = problems(toml, &[]);
    let expect = [
        "server.listen: `nowhere` is not an address",
        "redis.url: not a Redis URL",
        "sources[0].kind: unknown kind `flexport_v3`",
        "sources[1].secrets: at least one secret is required",
        "sources[2].id: duplicate source id `b`",
        "sources[2].token_header: not used by kind `flexops`",
    ];
    for e in expect {
        assert!(
            found.iter().any(|p| p.starts_with(e)),
            "missing `{e}` in {found:#?}"
        );
    }
    assert_eq!(found.len(), expect.len(), "{found:#?}");
}

#[test]
fn reports_unknown_settings_and_type_errors() {
    let found = problems(
        "[server]\nlisten = \"127.0.0.1:1\"\nlisen = 3\n[[sources]]\nid = \"a\"\nkind = \"flexops\"\nsecrets = [\"s\"]\nsecret = \"x\"\n",
        &[],
    );
    assert!(
        found.contains(&"server.lisen: unknown setting".to_string()),
        "{found:?}"
    );
    assert!(
        found.contains(&"sources[0].secret: unknown setting".to_string()),
        "{found:?}"
    );

    let found = problems("[server]\nmax_body_bytes = \"lots\"\n", &[]);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].starts_with("server.max_body_bytes: "), "{found:?}");

    let found = problems("[server\n", &[]);
    assert!(found[0].starts_with("(file): "), "{found:?}");
}

#[test]
fn request_timeouts_must_be_between_one_second_and_an_hour() {
    let found = problems(
        "[server]\nheader_timeout_secs = 0\nbody_timeout_secs = 3601\n",
        &[],
    );
    assert_eq!(
        found,
        [
            "server.header_timeout_secs: must be between 1 and 3600 seconds",
            "server.body_timeout_secs: must be between 1 and 3600 seconds",
        ],
    );
    let fine = load("[server]\nheader_timeout_secs = 1\nbody_timeout_secs = 3600\n").unwrap();
    assert_eq!(fine.settings.server.body_timeout_secs, 3600);
}

#[test]
fn reports_environment_variables_that_address_nothing() {
    let found = problems("", &[("SHIPRELAY_SOURCES__GHOST__SECRETS", "x")]);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].starts_with("(environment): SHIPRELAY_SOURCES__GHOST__SECRETS"),
        "{found:?}"
    );
}

#[test]
fn generic_sources_need_a_known_scheme_and_its_settings() {
    let base = "[[sources]]\nid = \"g\"\nkind = \"generic\"\nsecrets = [\"s\"]\n";
    let found = problems(base, &[]);
    assert!(
        found[0].starts_with("sources[0].scheme: required by kind `generic`"),
        "{found:?}"
    );

    let found = problems(&format!("{base}scheme = \"md5\"\n"), &[]);
    assert!(
        found[0].starts_with("sources[0].scheme: unknown scheme `md5`"),
        "{found:?}"
    );

    let found = problems(
        &format!("{base}scheme = \"hmac\"\nalgorithm = \"md5\"\nencoding = \"hex\"\n"),
        &[],
    );
    assert!(
        found
            .iter()
            .any(|p| p.starts_with("sources[0].signature_header: required")),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|p| p.starts_with("sources[0].algorithm: `md5`")),
        "{found:?}"
    );

    let found = problems(
        &format!("{base}scheme = \"token\"\nsignature_header = \"X\"\n"),
        &[],
    );
    assert!(
        found
            .iter()
            .any(|p| p.starts_with("sources[0].token_header: required")),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|p| p == "sources[0].signature_header: not used by scheme `token`"),
        "{found:?}"
    );

    let found = problems(
        &format!("{base}scheme = \"standard-webhooks\"\nid_pointer = \"id\"\n"),
        &[],
    );
    assert!(
        found
            .iter()
            .any(|p| p.starts_with("sources[0].secrets: Standard Webhooks secrets")),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|p| p.starts_with("sources[0].id_pointer: `id` is not a JSON pointer")),
        "{found:?}"
    );
}

#[test]
fn builds_the_scheme_each_kind_uses() {
    let config = load(
        "[[sources]]\nid = \"l\"\nkind = \"flexport_logistics\"\ntoken_header = \"X-Relay-Token\"\nsecrets = [\"t\"]\n\
         [[sources]]\nid = \"s\"\nkind = \"generic\"\nscheme = \"hmac\"\nsignature_header = \"X-Shopify-Hmac-Sha256\"\nencoding = \"base64\"\nsecrets = [\"k\"]\n",
    )
    .unwrap();
    assert_eq!(
        config.sources[0].scheme,
        Scheme::TokenOrBasic {
            header: Some("X-Relay-Token".into()),
            username: None
        }
    );
    match &config.sources[1].scheme {
        Scheme::Hmac(h) => {
            assert_eq!(h.header, "X-Shopify-Hmac-Sha256");
            assert_eq!(h.encoding, crate::auth::Encoding::Base64);
            assert_eq!(h.digest, crate::auth::Digest::Sha256);
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn secrets_do_not_appear_in_debug_output() {
    let config =
        load("[[sources]]\nid = \"a\"\nkind = \"flexops\"\nsecrets = [\"whsec_topsecret\"]\n")
            .unwrap();
    assert!(!format!("{config:?}").contains("topsecret"));
}

#[test]
fn metrics_have_a_port_of_their_own_by_default_and_the_main_port_takes_both_settings() {
    let config = load("").unwrap();
    assert_eq!(config.settings.metrics.listen, "0.0.0.0:9464");
    assert!(!config.settings.metrics.public);
    assert!(load("[metrics]\nlisten = \"\"\npublic = true\n").is_ok());
    for alone in ["[metrics]\nlisten = \"\"\n", "[metrics]\npublic = true\n"] {
        let found = problems(alone, &[]);
        assert!(
            found.iter().any(|p| p.starts_with("metrics.listen:")
                && p.contains("metrics.public = true")
                && p.contains("metrics.listen = \"\"")),
            "{alone}: {found:#?}"
        );
    }
}

#[test]
fn tenant_labels_are_capped_by_default_overridable_and_bounded() {
    let config = load("").unwrap();
    assert_eq!(config.settings.metrics.max_tenant_labels, 100);
    let from_file = load("[metrics]\nmax_tenant_labels = 0\n").unwrap();
    assert_eq!(from_file.settings.metrics.max_tenant_labels, 0);
    let env = [(
        "SHIPRELAY_METRICS__MAX_TENANT_LABELS".to_string(),
        "250".to_string(),
    )];
    let from_env = Config::from_toml("[metrics]\nmax_tenant_labels = 5\n", env).unwrap();
    assert_eq!(from_env.settings.metrics.max_tenant_labels, 250);
    assert!(load("[metrics]\nmax_tenant_labels = 10000\n").is_ok());
    let found = problems("[metrics]\nmax_tenant_labels = 10001\n", &[]);
    assert!(
        found.len() == 1
            && found[0].starts_with("metrics.max_tenant_labels: must be at most 10000"),
        "{found:#?}"
    );
    let found = problems("", &[("SHIPRELAY_METRICS__MAX_TENANT_LABELS", "many")]);
    assert!(
        found.iter().any(|p| p.contains("max_tenant_labels")),
        "{found:#?}"
    );
}

#[test]
fn admin_keys_may_be_given_as_digests_and_malformed_digests_are_named() {
    let digest = "a".repeat(64);
    assert!(load(&format!("[api]\nkeys = [\"sha256:{digest}\"]\n")).is_ok());
    let found = problems("[api]\nkeys = [\"sha256:abc0123456789abc\"]\n", &[]);
    assert!(
        found
            .iter()
            .any(|p| p.starts_with("api.keys[0]:") && p.contains("sha256:")),
        "{found:#?}"
    );
    let config = load("").unwrap();
    assert_eq!(config.settings.api.requests_per_second_per_key, 100);
    assert_eq!(config.settings.api.audit_len, 100_000);
}

#[test]
fn retention_and_replication_settings_have_defaults_and_are_checked() {
    let redis = load("").unwrap().settings.redis;
    assert_eq!(
        (
            redis.dead_retention_secs,
            redis.quarantine_retention_secs,
            redis.idle_consumer_secs
        ),
        (1_209_600, 1_209_600, 3600)
    );
    assert_eq!((redis.wait_replicas, redis.wait_timeout_ms), (0, 200));
    let found = problems(
        "[redis]\ncommand_timeout_ms = 100\nwait_timeout_ms = 500\ndead_retention_secs = 0\n",
        &[],
    );
    for expected in ["redis.wait_timeout_ms:", "redis.dead_retention_secs:"] {
        assert!(
            found.iter().any(|p| p.starts_with(expected)),
            "{expected} in {found:#?}"
        );
    }
}

#[test]
fn cluster_settings_are_validated_with_their_paths() {
    let redis = load("").unwrap().settings.redis;
    assert_eq!(redis.mode, super::RedisMode::Single);
    assert_eq!(redis.partitions, 8);
    let found = problems("[redis]\nmode = \"cluster\"\npartitions = 0\n", &[]);
    for expected in ["redis.urls:", "redis.partitions:"] {
        assert!(
            found.iter().any(|p| p.starts_with(expected)),
            "{expected} in {found:?}"
        );
    }
    let found = problems(
        "[redis]\nmode = \"cluster\"\nurls = [\"redis://10.0.0.1:6379\", \"unix:///tmp/r.sock\"]\n",
        &[],
    );
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].starts_with("redis.urls[1]:"), "{found:?}");
    let ok =
        load("[redis]\nmode = \"cluster\"\nurls = [\"redis://10.0.0.1:6379\"]\npartitions = 16\n");
    let redis = ok.unwrap().settings.redis;
    assert_eq!(redis.addresses(), vec!["redis://10.0.0.1:6379"]);
    assert!(!problems("[redis]\nmode = \"sharded\"\n", &[]).is_empty());
}

#[test]
fn events_must_outlast_the_jobs_that_reference_them() {
    let found = problems(
        "[redis]\nevents_retention_secs = 3600\n[delivery]\nmax_age_secs = 7200\n",
        &[],
    );
    assert!(
        found
            .iter()
            .any(|p| p.starts_with("redis.events_retention_secs:") && p.contains("max_age_secs")),
        "{found:?}"
    );
}

#[test]
fn telemetry_is_off_by_default_and_set_and_checked_through_the_environment() {
    assert!(!load("").unwrap().settings.telemetry.enabled());
    let env = [
        (
            "SHIPRELAY_TELEMETRY__OTLP_ENDPOINT",
            "http://collector:4318",
        ),
        ("SHIPRELAY_TELEMETRY__SAMPLE_RATIO", "0.25"),
    ];
    let config =
        Config::from_toml("", env.iter().map(|(k, v)| (k.to_string(), v.to_string()))).unwrap();
    assert_eq!(
        config.settings.telemetry.traces_url(),
        "http://collector:4318/v1/traces"
    );
    assert_eq!(config.settings.telemetry.sample_ratio, 0.25);
    let named = problems(
        "[telemetry]\notlp_endpoint = \"collector\"\nsample_ratio = 2.0\n",
        &[],
    );
    assert!(
        named
            .iter()
            .any(|p| p.starts_with("telemetry.otlp_endpoint"))
            && named
                .iter()
                .any(|p| p.starts_with("telemetry.sample_ratio")),
        "{named:?}"
    );
}

//! `[[sources]]`: where providers post (`/ingest/<id>`), how their requests are authenticated and
//! which normaliser reads them. Raw settings are checked here and turned into a [`Source`].

use std::collections::HashSet;

use base64::Engine;
use serde::Deserialize;

use super::{Problem, lenient};
use crate::auth::{Digest, Encoding, HmacScheme, Scheme};
use crate::providers::{GenericFields, ProviderKind};
use crate::secret::Secret;

/// Default timestamp tolerance for timestamped schemes (Standard Webhooks and Stripe use 5 min).
pub const DEFAULT_TOLERANCE_SECS: u64 = 300;

/// One `[[sources]]` table as written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct SourceSettings {
    pub id: String,
    pub kind: String,
    /// Newest first; any one verifies.
    pub secrets: Vec<Secret>,
    pub token_header: Option<String>,
    pub basic_username: Option<String>,
    /// generic only: hub-sha1 | hub-sha256 | hmac | standard-webhooks | stripe | token | basic
    pub scheme: Option<String>,
    pub signature_header: Option<String>,
    pub algorithm: Option<String>,
    pub encoding: Option<String>,
    pub signature_prefix: Option<String>,
    #[serde(deserialize_with = "lenient::optional_number")]
    pub tolerance_secs: Option<u64>,
    pub id_pointer: Option<String>,
    pub type_pointer: Option<String>,
    pub subject_pointer: Option<String>,
    pub time_pointer: Option<String>,
}

/// A validated source.
#[derive(Debug, Clone)]
pub struct Source {
    pub id: String,
    pub provider: ProviderKind,
    pub scheme: Scheme,
    pub secrets: Vec<Secret>,
}

pub const KINDS: &[&str] = &[
    "flexport_v1",
    "flexport_v2",
    "flexport_logistics",
    "flexops",
    "generic",
];
pub const SCHEMES: &[&str] = &[
    "hub-sha1",
    "hub-sha256",
    "hmac",
    "standard-webhooks",
    "stripe",
    "token",
    "basic",
];

/// Builds every valid source; problems with the others are appended to `problems`.
pub fn build_all(raw: &[SourceSettings], problems: &mut Vec<Problem>) -> Vec<Source> {
    let mut seen = HashSet::new();
    let mut built = Vec::new();
    for (index, settings) in raw.iter().enumerate() {
        let mut check = Checker {
            base: format!("sources[{index}]"),
            problems: Vec::new(),
        };
        if !seen.insert(settings.id.as_str()) {
            check.fail("id", format!("duplicate source id `{}`", settings.id));
        }
        let source = build(settings, &mut check);
        if check.problems.is_empty() {
            built.extend(source);
        }
        problems.append(&mut check.problems);
    }
    built
}

struct Checker {
    base: String,
    problems: Vec<Problem>,
}

impl Checker {
    fn fail(&mut self, field: &str, message: impl Into<String>) {
        self.problems.push(Problem {
            path: format!("{}.{field}", self.base),
            message: message.into(),
        });
    }

    fn require<'a>(&mut self, field: &str, value: &'a Option<String>, why: &str) -> &'a str {
        match value.as_deref() {
            Some(v) if !v.trim().is_empty() => v,
            _ => {
                self.fail(field, format!("required {why}"));
                ""
            }
        }
    }
}

fn build(s: &SourceSettings, check: &mut Checker) -> Option<Source> {
    if s.id.is_empty() {
        check.fail("id", "required: the source receives at POST /ingest/<id>");
    } else if !s
        .id
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        || s.id.len() > 128
    {
        check.fail(
            "id",
            format!(
                "`{}` must be 1-128 letters, digits, `-`, `_` or `.` (it is a URL path segment)",
                s.id
            ),
        );
    }
    if s.secrets.is_empty() {
        check.fail(
            "secrets",
            "at least one secret is required: unauthenticated payloads are never accepted",
        );
    }
    if s.secrets.iter().any(|secret| secret.expose().is_empty()) {
        check.fail("secrets", "a secret is empty");
    }
    let (provider, scheme) = match s.kind.as_str() {
        "flexport_v1" => (ProviderKind::FlexportV1, Some(Scheme::hub_sha1())),
        "flexport_v2" => (ProviderKind::FlexportV2, Some(Scheme::FlexportV2)),
        "flexops" => (ProviderKind::FlexOps, Some(Scheme::flexops())),
        "flexport_logistics" => (
            ProviderKind::FlexportLogistics,
            Some(Scheme::TokenOrBasic {
                header: s.token_header.clone(),
                username: s.basic_username.clone(),
            }),
        ),
        "generic" => (
            ProviderKind::Generic(generic_fields(s, check)),
            generic_scheme(s, check),
        ),
        "" => {
            check.fail("kind", format!("required: one of {}", KINDS.join(", ")));
            return None;
        }
        other => {
            check.fail(
                "kind",
                format!(
                    "unknown kind `{other}`: expected one of {}",
                    KINDS.join(", ")
                ),
            );
            return None;
        }
    };
    if let Some((allowed, owner)) = allowed_fields(s) {
        for field in not_applicable(s, &allowed) {
            check.fail(field, format!("not used by {owner}"));
        }
    }
    Some(Source {
        id: s.id.clone(),
        provider,
        scheme: scheme?,
        secrets: s.secrets.clone(),
    })
}

/// The optional fields that are set although `allowed` does not name them.
fn not_applicable(s: &SourceSettings, allowed: &[&str]) -> Vec<&'static str> {
    let set: [(&'static str, bool); 12] = [
        ("scheme", s.scheme.is_some()),
        ("signature_header", s.signature_header.is_some()),
        ("algorithm", s.algorithm.is_some()),
        ("encoding", s.encoding.is_some()),
        ("signature_prefix", s.signature_prefix.is_some()),
        ("tolerance_secs", s.tolerance_secs.is_some()),
        ("token_header", s.token_header.is_some()),
        ("basic_username", s.basic_username.is_some()),
        ("id_pointer", s.id_pointer.is_some()),
        ("type_pointer", s.type_pointer.is_some()),
        ("subject_pointer", s.subject_pointer.is_some()),
        ("time_pointer", s.time_pointer.is_some()),
    ];
    set.into_iter()
        .filter(|(name, is_set)| *is_set && !allowed.contains(name))
        .map(|(name, _)| name)
        .collect()
}

fn generic_fields(s: &SourceSettings, check: &mut Checker) -> GenericFields {
    for (field, pointer) in [
        ("id_pointer", &s.id_pointer),
        ("type_pointer", &s.type_pointer),
        ("subject_pointer", &s.subject_pointer),
        ("time_pointer", &s.time_pointer),
    ] {
        if let Some(p) = pointer
            && !p.starts_with('/')
        {
            check.fail(
                field,
                format!(
                    "`{p}` is not a JSON pointer (RFC 6901): it must start with `/`, e.g. /data/id"
                ),
            );
        }
    }
    GenericFields {
        id_pointer: s.id_pointer.clone(),
        type_pointer: s.type_pointer.clone(),
        subject_pointer: s.subject_pointer.clone(),
        time_pointer: s.time_pointer.clone(),
    }
}

fn generic_scheme(s: &SourceSettings, check: &mut Checker) -> Option<Scheme> {
    let scheme = s.scheme.as_deref().unwrap_or("");
    let tolerance = s.tolerance_secs.unwrap_or(DEFAULT_TOLERANCE_SECS);
    if s.tolerance_secs == Some(0) {
        check.fail("tolerance_secs", "must be positive");
    }
    let built = match scheme {
        "hub-sha1" => Scheme::hub_sha1(),
        "hub-sha256" => Scheme::hub_sha256(),
        "hmac" => Scheme::Hmac(hmac_scheme(s, check)),
        "standard-webhooks" => standard_webhooks_scheme(s, check, tolerance),
        "stripe" => Scheme::Stripe {
            header: s
                .signature_header
                .clone()
                .unwrap_or_else(|| "Stripe-Signature".into()),
            tolerance_secs: tolerance,
        },
        "token" => Scheme::Token {
            header: check
                .require("token_header", &s.token_header, "by scheme `token`")
                .to_string(),
        },
        "basic" => Scheme::Basic {
            username: s.basic_username.clone(),
        },
        "" => {
            check.fail(
                "scheme",
                format!("required by kind `generic`: one of {}", SCHEMES.join(", ")),
            );
            return None;
        }
        other => {
            check.fail(
                "scheme",
                format!(
                    "unknown scheme `{other}`: expected one of {}",
                    SCHEMES.join(", ")
                ),
            );
            return None;
        }
    };
    Some(built)
}

/// `scheme = "hmac"`: its header, digest, encoding and prefix.
fn hmac_scheme(s: &SourceSettings, check: &mut Checker) -> HmacScheme {
    HmacScheme {
        header: check
            .require("signature_header", &s.signature_header, "by scheme `hmac`")
            .to_string(),
        digest: match s.algorithm.as_deref().unwrap_or("sha256") {
            "sha256" => Digest::Sha256,
            "sha1" => Digest::Sha1,
            other => {
                check.fail("algorithm", format!("`{other}`: expected sha256 or sha1"));
                Digest::Sha256
            }
        },
        encoding: match s.encoding.as_deref().unwrap_or("hex") {
            "hex" => Encoding::Hex,
            "base64" => Encoding::Base64,
            other => {
                check.fail("encoding", format!("`{other}`: expected hex or base64"));
                Encoding::Hex
            }
        },
        prefix: s.signature_prefix.clone().filter(|p| !p.is_empty()),
        prefix_optional: false,
    }
}

/// `scheme = "standard-webhooks"`: every secret must be `whsec_` + base64.
fn standard_webhooks_scheme(s: &SourceSettings, check: &mut Checker, tolerance: u64) -> Scheme {
    let engine = base64::engine::general_purpose::STANDARD;
    let undecodable = s.secrets.iter().any(|secret| {
        let key = secret.expose();
        engine
            .decode(key.strip_prefix("whsec_").unwrap_or(key))
            .is_err()
    });
    if undecodable {
        check.fail(
            "secrets",
            "Standard Webhooks secrets are `whsec_` + base64; one is not valid base64",
        );
    }
    Scheme::StandardWebhooks {
        tolerance_secs: tolerance,
    }
}

/// The optional fields a source may set, and who they belong to (for the error message); `None`
/// when the kind or scheme is itself invalid, which is reported already.
fn allowed_fields(s: &SourceSettings) -> Option<(Vec<&'static str>, String)> {
    match s.kind.as_str() {
        "flexport_logistics" => Some((
            vec!["token_header", "basic_username"],
            "kind `flexport_logistics`".into(),
        )),
        "generic" => {
            let scheme = s.scheme.as_deref()?;
            let own: &[&str] = match scheme {
                "hmac" => &[
                    "signature_header",
                    "algorithm",
                    "encoding",
                    "signature_prefix",
                ],
                "stripe" => &["signature_header", "tolerance_secs"],
                "standard-webhooks" => &["tolerance_secs"],
                "token" => &["token_header"],
                "basic" => &["basic_username"],
                "hub-sha1" | "hub-sha256" => &[],
                _ => return None,
            };
            let common = [
                "scheme",
                "id_pointer",
                "type_pointer",
                "subject_pointer",
                "time_pointer",
            ];
            Some((
                common.iter().chain(own).copied().collect(),
                format!("scheme `{scheme}`"),
            ))
        }
        kind if KINDS.contains(&kind) => Some((Vec::new(), format!("kind `{kind}`"))),
        _ => None,
    }
}

//! Checks on tenant and key requests: every problem at once, with its field path (422).

use super::model::{CreateKey, CreateTenant, UpdateTenant};
use crate::field_error::FieldError;

pub const MAX_TENANT_ID_CHARS: usize = 64;
pub const MAX_NAME_CHARS: usize = 200;
pub const MAX_ALLOWED_SOURCES: usize = 50;
pub const MAX_SUBSCRIPTIONS_LIMIT: u32 = 100_000;
pub const MAX_RATE_LIMIT: u32 = 100_000;
pub const MAX_LABEL_CHARS: usize = 200;

/// `[a-z0-9-]{1,64}`.
pub fn is_tenant_id(text: &str) -> bool {
    (1..=MAX_TENANT_ID_CHARS).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

pub fn validate_create(
    request: &CreateTenant,
    known_sources: &[&str],
) -> Result<(), Vec<FieldError>> {
    let mut errors = Vec::new();
    if !is_tenant_id(&request.id) {
        errors.push(FieldError::new(
            "id",
            "must be 1-64 characters of a-z, 0-9 and -",
        ));
    }
    check_name(&request.name, &mut errors);
    check_common(
        request.allowed_sources.as_deref(),
        request.max_subscriptions,
        known_sources,
        &mut errors,
    );
    if let Some(rate) = request.max_deliveries_per_second
        && !(1..=MAX_RATE_LIMIT).contains(&rate)
    {
        errors.push(FieldError::new(
            "maxDeliveriesPerSecond",
            format!("must be 1-{MAX_RATE_LIMIT}"),
        ));
    }
    finish(errors)
}

pub fn validate_update(
    request: &UpdateTenant,
    known_sources: &[&str],
) -> Result<(), Vec<FieldError>> {
    let mut errors = Vec::new();
    if let Some(name) = &request.name {
        check_name(name, &mut errors);
    }
    check_common(
        request.allowed_sources.as_deref(),
        request.max_subscriptions,
        known_sources,
        &mut errors,
    );
    if let Some(rate) = request.max_deliveries_per_second
        && rate > MAX_RATE_LIMIT
    {
        errors.push(FieldError::new(
            "maxDeliveriesPerSecond",
            format!("must be 0 (no cap) to {MAX_RATE_LIMIT}"),
        ));
    }
    finish(errors)
}

pub fn validate_key(request: &CreateKey) -> Result<(), Vec<FieldError>> {
    let mut errors = Vec::new();
    if let Some(label) = &request.label
        && label.chars().nth(MAX_LABEL_CHARS).is_some()
    {
        errors.push(FieldError::new(
            "label",
            format!("must be at most {MAX_LABEL_CHARS} characters"),
        ));
    }
    finish(errors)
}

fn check_name(name: &str, errors: &mut Vec<FieldError>) {
    if name.trim().is_empty() || name.chars().nth(MAX_NAME_CHARS).is_some() {
        errors.push(FieldError::new(
            "name",
            format!("must be 1-{MAX_NAME_CHARS} characters"),
        ));
    }
}

fn check_common(
    sources: Option<&[String]>,
    max_subscriptions: Option<u32>,
    known_sources: &[&str],
    errors: &mut Vec<FieldError>,
) {
    if let Some(sources) = sources {
        if sources.len() > MAX_ALLOWED_SOURCES {
            errors.push(FieldError::new(
                "allowedSources",
                format!("at most {MAX_ALLOWED_SOURCES} sources"),
            ));
        }
        if sources.iter().any(|s| s == "*") && sources.len() > 1 {
            errors.push(FieldError::new(
                "allowedSources",
                "`*` (every source) stands alone",
            ));
        }
        for (i, source) in sources.iter().enumerate() {
            if source != "*" && !known_sources.contains(&source.as_str()) {
                errors.push(FieldError::new(
                    format!("allowedSources[{i}]"),
                    format!("unknown source; configured: {}", known_sources.join(", ")),
                ));
            }
        }
    }
    if let Some(max) = max_subscriptions
        && max > MAX_SUBSCRIPTIONS_LIMIT
    {
        errors.push(FieldError::new(
            "maxSubscriptions",
            format!("must be at most {MAX_SUBSCRIPTIONS_LIMIT}"),
        ));
    }
}

fn finish(errors: Vec<FieldError>) -> Result<(), Vec<FieldError>> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SOURCES: &[&str] = &["flexops", "shop"];

    fn fields(result: Result<(), Vec<FieldError>>) -> Vec<String> {
        result
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|e| e.field)
            .collect()
    }

    #[test]
    fn tenant_ids_are_lower_case_digits_and_dashes() {
        assert!(is_tenant_id("team-7"));
        assert!(!is_tenant_id(""));
        assert!(!is_tenant_id("Team"));
        assert!(!is_tenant_id("a_b"));
        assert!(!is_tenant_id(&"a".repeat(65)));
    }

    #[test]
    fn every_problem_of_a_create_is_named() {
        let request = CreateTenant {
            id: "Bad Id".into(),
            name: "".into(),
            allowed_sources: Some(vec!["flexops".into(), "nope".into()]),
            max_subscriptions: Some(200_000),
            max_deliveries_per_second: Some(0),
        };
        assert_eq!(
            fields(validate_create(&request, SOURCES)),
            vec![
                "id",
                "name",
                "allowedSources[1]",
                "maxSubscriptions",
                "maxDeliveriesPerSecond"
            ]
        );
    }

    #[test]
    fn star_stands_alone() {
        let update = UpdateTenant {
            allowed_sources: Some(vec!["*".into(), "shop".into()]),
            ..Default::default()
        };
        assert_eq!(
            fields(validate_update(&update, SOURCES)),
            vec!["allowedSources"]
        );
        let update = UpdateTenant {
            allowed_sources: Some(vec!["*".into()]),
            max_deliveries_per_second: Some(0),
            ..Default::default()
        };
        assert!(validate_update(&update, SOURCES).is_ok());
    }
}

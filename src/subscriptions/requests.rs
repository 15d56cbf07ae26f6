//! The bodies of `POST /v1/subscriptions` and `PATCH /v1/subscriptions/{id}`, as the API reads
//! them (validated by `validate`, applied by `model::create` and `model::apply_update`).

use std::collections::BTreeMap;

use serde::Deserialize;
use utoipa::ToSchema;

use super::filter::Condition;
use super::options::{Format, Ordering};

/// `POST /v1/subscriptions` body.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CreateSubscription {
    /// Where events are POSTed: http or https, no credentials.
    #[schema(
        max_length = 2048,
        pattern = "^https?://",
        example = "https://hooks.example.com/shiprelay"
    )]
    pub url: String,
    /// Event type patterns: an exact type, `prefix.*`, or `*`.
    #[schema(min_items = 1, max_items = 50, example = json!(["tracking.*", "order.shipped"]))]
    pub events: Vec<String>,
    #[schema(max_items = 50)]
    pub sources: Option<Vec<String>>,
    #[schema(max_items = 50)]
    pub carriers: Option<Vec<String>>,
    #[schema(max_length = 500)]
    pub description: Option<String>,
    /// Extra headers sent with every delivery (at most 20 with the sensitive ones; not Host,
    /// Content-*, User-Agent, webhook-*, ce-*, traceparent and other headers shiprelay sets). Returned by the API.
    pub headers: Option<BTreeMap<String, String>>,
    /// Headers sent like `headers` whose values are never returned (e.g. `Authorization`); the
    /// API shows their names only.
    pub sensitive_headers: Option<BTreeMap<String, String>>,
    pub enabled: Option<bool>,
    /// Admin keys only: the owning tenant (default `default`). A tenant key's subscriptions are
    /// its tenant's.
    #[schema(pattern = "^[a-z0-9-]{1,64}$")]
    pub tenant: Option<String>,
    /// Default `none`.
    pub ordering: Option<Ordering>,
    /// Attempts per second at most (1 to 100000), retries included, across all processes;
    /// default: no limit.
    #[schema(minimum = 1, maximum = 100000)]
    pub rate_limit_per_second: Option<u32>,
    /// Conditions on the event (JSON pointers into the CloudEvent) that must all hold; at most
    /// 20. Default: none.
    #[schema(max_items = 20)]
    pub filter: Option<Vec<Condition>>,
    /// Default `json`.
    pub format: Option<Format>,
}

/// `PATCH /v1/subscriptions/{id}` body: absent fields stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct UpdateSubscription {
    #[schema(max_length = 2048, pattern = "^https?://")]
    pub url: Option<String>,
    #[schema(min_items = 1, max_items = 50)]
    pub events: Option<Vec<String>>,
    /// An empty list means any source.
    #[schema(max_items = 50)]
    pub sources: Option<Vec<String>>,
    /// An empty list means any carrier.
    #[schema(max_items = 50)]
    pub carriers: Option<Vec<String>>,
    /// `""` clears the description.
    #[schema(max_length = 500)]
    pub description: Option<String>,
    /// Replaces all extra headers; `{}` removes them.
    pub headers: Option<BTreeMap<String, String>>,
    /// Replaces all sensitive headers; `{}` removes them.
    pub sensitive_headers: Option<BTreeMap<String, String>>,
    pub enabled: Option<bool>,
    /// Jobs already waiting in lanes still go out one at a time when this becomes `none`.
    pub ordering: Option<Ordering>,
    /// `null` removes the limit.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<u32>, minimum = 1, maximum = 100000)]
    pub rate_limit_per_second: Option<Option<u32>>,
    /// Replaces the whole filter; `[]` or `null` removes it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Vec<Condition>>, max_items = 20)]
    pub filter: Option<Option<Vec<Condition>>>,
    pub format: Option<Format>,
}

/// A field that is present, even as `null` (absent is the `default`, `None`).
fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

impl UpdateSubscription {
    /// True when the request changes nothing.
    pub fn is_empty(&self) -> bool {
        self == &UpdateSubscription::default()
    }
}

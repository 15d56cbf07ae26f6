//! The audit log: a capped stream of who changed what, read newest first by admins. An entry never
//! holds a secret, a key or a header value: callers pass ids and action names only.

use serde::Serialize;
use utoipa::ToSchema;

use super::{Entry, QueueError, Registry, StreamId};

/// One audit entry, as written and as `GET /v1/audit` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditRecord {
    /// The stream entry id (also the paging cursor).
    pub id: String,
    /// RFC 3339, UTC.
    pub at: String,
    /// `admin:<key digest prefix>` or `key_...`.
    pub actor: String,
    /// The tenant the change concerns; empty when none.
    pub tenant: String,
    /// `subscription.created`, `key.revoked`, `dead_letters.redriven`, ...
    pub action: String,
    /// The id of what was changed.
    pub target: String,
    pub correlation_id: String,
}

const FIELDS: [&str; 6] = [
    "at",
    "actor",
    "tenant",
    "action",
    "target",
    "correlation_id",
];

impl Registry {
    /// Appends an entry, keeping about the newest `max_len`.
    pub async fn audit_append(
        &self,
        record: &AuditRecord,
        max_len: usize,
    ) -> Result<(), QueueError> {
        let values = [
            &record.at,
            &record.actor,
            &record.tenant,
            &record.action,
            &record.target,
            &record.correlation_id,
        ];
        let mut command = redis::cmd("XADD");
        command
            .arg(self.keys.audit())
            .arg("MAXLEN")
            .arg("~")
            .arg(max_len)
            .arg("*");
        for (field, value) in FIELDS.iter().zip(values) {
            command.arg(*field).arg(value);
        }
        let mut conn = self.conn();
        self.bounded("XADD audit", command.query_async::<()>(&mut conn))
            .await
    }

    /// Up to `count` entries older than `before` (all: none), newest first, and the id of the last
    /// entry examined (to continue from) when more may remain.
    pub async fn audit_page(
        &self,
        before: Option<StreamId>,
        count: usize,
        tenant: Option<&str>,
    ) -> Result<(Vec<AuditRecord>, Option<String>), QueueError> {
        const BATCH: usize = 500;
        const SCAN_LIMIT: usize = 10_000;
        let mut before = before;
        let (mut records, mut scanned) = (Vec::new(), 0);
        loop {
            let entries = self
                .queue
                .stream_page(&self.keys.audit(), before, BATCH)
                .await?;
            let exhausted = entries.len() < BATCH;
            for entry in entries {
                scanned += 1;
                before = StreamId::parse(&entry.id);
                let record = audit_record(entry);
                if tenant.is_none_or(|t| t == record.tenant) {
                    records.push(record);
                    if records.len() == count {
                        return Ok((records, before.map(|id| id.to_string())));
                    }
                }
            }
            if exhausted {
                return Ok((records, None));
            }
            if scanned >= SCAN_LIMIT {
                return Ok((records, before.map(|id| id.to_string())));
            }
        }
    }
}

fn audit_record(entry: Entry) -> AuditRecord {
    let mut fields = entry.fields;
    let mut take = |name: &str| fields.remove(name).unwrap_or_default();
    AuditRecord {
        at: take("at"),
        actor: take("actor"),
        tenant: take("tenant"),
        action: take("action"),
        target: take("target"),
        correlation_id: take("correlation_id"),
        id: entry.id,
    }
}

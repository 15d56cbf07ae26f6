//! `/v1/tenants` and their keys (admin keys only), `/v1/me` and `/v1/audit`. Handlers extract,
//! call [`Tenants`](crate::services::tenants::Tenants), and map.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::AppState;
use super::api_key::Caller;
use super::body::parse_json;
use super::idempotent::{self, Created, IdempotencyKey};
use super::pagination::{CursorInfo, cursor_page, cursor_response};
use crate::http::error::{ApiError, Problem};
use crate::queue::AuditRecord;
use crate::tenancy::model::{CreateKey, CreateTenant, CreatedKey, UpdateTenant};
use crate::tenancy::{Principal, Role, Tenant, TenantKey};

fn created<T: Serialize>(status: StatusCode, location: Option<String>, body: &T) -> Created {
    Created {
        status,
        location,
        body: serde_json::to_value(body).unwrap_or_default(),
    }
}

/// Create a tenant.
#[utoipa::path(
    tag = "tenants",
    operation_id = "createTenant",
    request_body = CreateTenant,
    params(IdempotencyKey),
    responses(
        (status = 201, description = "Created", body = Tenant, headers(("Location" = String))),
    )
)]
#[post("/v1/tenants")]
pub async fn create(
    state: web::Data<AppState>,
    request: HttpRequest,
    Caller(call): Caller,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let body = state.api_body(&request, payload).await?;
    idempotent::run(&state, &request, &call, &body, || async {
        let create: CreateTenant = parse_json(&request, &body)?;
        let tenant = state
            .tenants()
            .create(&call, create, Utc::now())
            .await
            .map_err(|e| state.service_error(e, "tenant"))?;
        let location = Some(format!("/v1/tenants/{}", tenant.id));
        Ok(created(StatusCode::CREATED, location, &tenant))
    })
    .await
}

#[derive(Serialize, ToSchema)]
pub struct TenantList {
    pub data: Vec<Tenant>,
}

/// Every tenant, in creation order.
#[utoipa::path(
    tag = "tenants",
    operation_id = "listTenants",
    responses(
        (status = 200, description = "Every tenant", body = TenantList),
    )
)]
#[get("/v1/tenants")]
pub async fn list(
    state: web::Data<AppState>,
    Caller(call): Caller,
) -> Result<HttpResponse, ApiError> {
    let data = state
        .tenants()
        .list(&call)
        .await
        .map_err(|e| state.service_error(e, "tenant"))?;
    Ok(HttpResponse::Ok().json(TenantList { data }))
}

/// One tenant.
#[utoipa::path(
    tag = "tenants",
    operation_id = "getTenant",
    params(("id" = String, Path)),
    responses(
        (status = 200, description = "The tenant", body = Tenant),
    )
)]
#[get("/v1/tenants/{id}")]
pub async fn get_one(
    state: web::Data<AppState>,
    Caller(call): Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let tenant = state
        .tenants()
        .get(&call, &id)
        .await
        .map_err(|e| state.service_error(e, "tenant"))?;
    Ok(HttpResponse::Ok().json(tenant))
}

/// Change a tenant; narrowing `allowedSources` stops routing and replaying those sources to its
/// subscriptions at once.
#[utoipa::path(
    tag = "tenants",
    operation_id = "updateTenant",
    params(("id" = String, Path)),
    request_body = UpdateTenant,
    responses(
        (status = 200, description = "The tenant as changed", body = Tenant),
        (status = 409, body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/v1/tenants/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    request: HttpRequest,
    Caller(call): Caller,
    id: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let body = state.api_body(&request, payload).await?;
    let update: UpdateTenant = parse_json(&request, &body)?;
    let tenant = state
        .tenants()
        .update(&call, &id, update, Utc::now())
        .await
        .map_err(|e| state.service_error(e, "tenant"))?;
    Ok(HttpResponse::Ok().json(tenant))
}

/// Delete a tenant and its keys; refused (409) while it has subscriptions.
#[utoipa::path(
    tag = "tenants",
    operation_id = "deleteTenant",
    params(("id" = String, Path)),
    responses(
        (status = 204, description = "Deleted"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/v1/tenants/{id}")]
pub async fn remove(
    state: web::Data<AppState>,
    Caller(call): Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    state
        .tenants()
        .delete(&call, &id)
        .await
        .map_err(|e| state.service_error(e, "tenant"))?;
    state.keys.forget();
    Ok(HttpResponse::NoContent().finish())
}

/// Create a key for the tenant: the answer shows it this once.
#[utoipa::path(
    tag = "tenants",
    operation_id = "createTenantKey",
    params(("id" = String, Path), IdempotencyKey),
    request_body = CreateKey,
    responses(
        (status = 201, description = "Created; `key` is shown only here", body = CreatedKey),
    )
)]
#[post("/v1/tenants/{id}/keys")]
pub async fn create_key(
    state: web::Data<AppState>,
    request: HttpRequest,
    Caller(call): Caller,
    id: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let body = state.api_body(&request, payload).await?;
    idempotent::run(&state, &request, &call, &body, || async {
        let wanted: CreateKey = parse_json(&request, &body)?;
        let key = state
            .tenants()
            .create_key(
                &call,
                &id,
                wanted,
                Utc::now(),
                rand::random(),
                rand::random(),
            )
            .await
            .map_err(|e| state.service_error(e, "tenant"))?;
        Ok(created(StatusCode::CREATED, None, &key))
    })
    .await
}

#[derive(Serialize, ToSchema)]
pub struct KeyList {
    pub data: Vec<TenantKey>,
}

/// The tenant's keys (never the keys themselves: their first 8 characters as `prefix`).
#[utoipa::path(
    tag = "tenants",
    operation_id = "listTenantKeys",
    params(("id" = String, Path)),
    responses(
        (status = 200, description = "The tenant's keys", body = KeyList),
    )
)]
#[get("/v1/tenants/{id}/keys")]
pub async fn list_keys(
    state: web::Data<AppState>,
    Caller(call): Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let data = state
        .tenants()
        .list_keys(&call, &id)
        .await
        .map_err(|e| state.service_error(e, "tenant"))?;
    Ok(HttpResponse::Ok().json(KeyList { data }))
}

/// Revoke a key: every shiprelay process refuses it within 2 s.
#[utoipa::path(
    tag = "tenants",
    operation_id = "revokeTenantKey",
    params(("id" = String, Path), ("keyId" = String, Path)),
    responses(
        (status = 204, description = "Revoked"),
    )
)]
#[delete("/v1/tenants/{id}/keys/{keyId}")]
pub async fn revoke_key(
    state: web::Data<AppState>,
    Caller(call): Caller,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (tenant, key_id) = path.into_inner();
    state
        .tenants()
        .revoke_key(&call, &tenant, &key_id)
        .await
        .map_err(|e| state.service_error(e, "key"))?;
    state.keys.forget();
    Ok(HttpResponse::NoContent().finish())
}

/// Who the key is.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Me {
    /// `admin` or `tenant`.
    pub kind: &'static str,
    pub tenant: Option<Tenant>,
    pub role: Option<Role>,
    pub key_id: Option<String>,
}

/// The caller: an admin key, or a tenant key with its tenant and role.
#[utoipa::path(
    tag = "tenants",
    operation_id = "me",
    responses(
        (status = 200, description = "The caller", body = Me),
    )
)]
#[get("/v1/me")]
pub async fn me(Caller(call): Caller) -> HttpResponse {
    let me = match call.principal {
        Principal::Admin { .. } => Me {
            kind: "admin",
            tenant: None,
            role: None,
            key_id: None,
        },
        Principal::Tenant {
            tenant,
            key_id,
            role,
        } => Me {
            kind: "tenant",
            tenant: Some(tenant),
            role: Some(role),
            key_id: Some(key_id),
        },
    };
    HttpResponse::Ok().json(me)
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    /// Only entries about this tenant.
    pub tenant: Option<String>,
    /// `nextCursor` of the previous page.
    #[param(pattern = "^[0-9]{1,20}-[0-9]{1,20}$")]
    pub cursor: Option<String>,
    /// Entries per page, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub page_size: Option<u64>,
}

/// The audit log, newest first (admin keys only).
#[utoipa::path(
    tag = "tenants",
    operation_id = "listAudit",
    params(AuditParams),
    responses(
        (status = 200, description = "A page of audit entries", body = inline(super::pagination::Paged<AuditRecord, CursorInfo>)),
    )
)]
#[get("/v1/audit")]
pub async fn audit(
    state: web::Data<AppState>,
    Caller(call): Caller,
    params: web::Query<AuditParams>,
) -> Result<HttpResponse, ApiError> {
    let (size, before) = cursor_page(params.page_size, params.cursor.as_deref())?;
    let (data, next_cursor) = state
        .tenants()
        .audit(&call, params.tenant.as_deref(), before.map(|p| p.id), size)
        .await
        .map_err(|e| state.service_error(e, "tenant"))?;
    Ok(cursor_response(data, size, next_cursor))
}

//! List responses: `{"data": [...], "pagination": {...}}`, as in the providers' APIs. Page-numbered
//! for subscriptions (a small, stable set), cursor-based for events (a stream that grows).

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::http::error::{ApiError, FieldError};
use crate::queue::Position;

pub const DEFAULT_PAGE_SIZE: u64 = 20;
pub const MAX_PAGE_SIZE: u64 = 100;
/// Far past any real list; keeps page arithmetic comfortably inside every integer type.
pub const MAX_PAGE: u64 = 1_000_000;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// 1-based page number (default 1, at most 1000000).
    #[param(minimum = 1, maximum = 1000000)]
    pub page: Option<u64>,
    /// Items per page, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub page_size: Option<u64>,
}

impl PageParams {
    /// (page, page size), or 400 naming the parameter that is out of bounds.
    pub fn resolve(&self) -> Result<(u64, u64), ApiError> {
        let mut errors = Vec::new();
        let page = self.page.unwrap_or(1);
        if !(1..=MAX_PAGE).contains(&page) {
            errors.push(FieldError::new(
                "page",
                format!("must be between 1 and {MAX_PAGE}"),
            ));
        }
        let size = page_size(self.page_size, &mut errors);
        if errors.is_empty() {
            Ok((page, size))
        } else {
            Err(ApiError::InvalidRequest(errors))
        }
    }
}

pub fn page_size(requested: Option<u64>, errors: &mut Vec<FieldError>) -> u64 {
    let size = requested.unwrap_or(DEFAULT_PAGE_SIZE);
    if !(1..=MAX_PAGE_SIZE).contains(&size) {
        errors.push(FieldError::new(
            "pageSize",
            format!("must be between 1 and {MAX_PAGE_SIZE}"),
        ));
    }
    size
}

/// A `cursor` query parameter: a position (or, for logs of the registry, a stream id) this API
/// returned as `nextCursor`.
pub fn cursor(value: Option<&str>, errors: &mut Vec<FieldError>) -> Option<Position> {
    let value = value?;
    let parsed = Position::parse(value);
    if parsed.is_none() {
        errors.push(FieldError::new(
            "cursor",
            "not a cursor returned by this API",
        ));
    }
    parsed
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PageInfo {
    pub page: u64,
    pub page_size: u64,
    pub total_count: u64,
    pub total_pages: u64,
}

impl PageInfo {
    pub fn new(page: u64, page_size: u64, total_count: u64) -> PageInfo {
        PageInfo {
            page,
            page_size,
            total_count,
            total_pages: total_count.div_ceil(page_size),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CursorInfo {
    pub page_size: u64,
    /// Pass as `cursor` for the next (older) page; null when there is none.
    pub next_cursor: Option<String>,
}

/// A cursor-paged request's page size and starting point, or 400 naming what is wrong.
pub fn cursor_page(
    requested_size: Option<u64>,
    requested_cursor: Option<&str>,
) -> Result<(usize, Option<Position>), ApiError> {
    let mut errors = Vec::new();
    let size = page_size(requested_size, &mut errors) as usize;
    let before = cursor(requested_cursor, &mut errors);
    if errors.is_empty() {
        Ok((size, before))
    } else {
        Err(ApiError::InvalidRequest(errors))
    }
}

/// `{"data": [...], "pagination": {"pageSize", "nextCursor"}}`.
pub fn cursor_response<T: Serialize>(
    data: Vec<T>,
    size: usize,
    next_cursor: Option<String>,
) -> actix_web::HttpResponse {
    actix_web::HttpResponse::Ok().json(Paged {
        data,
        pagination: CursorInfo {
            page_size: size as u64,
            next_cursor,
        },
    })
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Paged<T, P> {
    pub data: Vec<T>,
    pub pagination: P,
}

//! `/console`: the operator and subscriber console, served by the binary itself.
//!
//! The console is a static client of the public `/v1` API: the API key lives only in the browser
//! (`sessionStorage`), so the server cannot render pages per caller, and every action goes through
//! the same routes and scoping as any other client (there is no private back door). Its files are
//! embedded at compile time from `console/`, so building and running shiprelay needs no Node.js;
//! a name not in [`ASSETS`] is a 404 (nothing is read from disk).
//!
//! Every console response carries a strict Content-Security-Policy: scripts only from this origin
//! (no inline script, no `eval`), no framing, no plugins, requests only to this origin.

use actix_web::http::header;
use actix_web::{HttpResponse, web};

use crate::http::error::ApiError;

/// One embedded file of the console.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

macro_rules! asset {
    ($name:literal, $content_type:expr) => {
        Asset {
            name: $name,
            content_type: $content_type,
            body: include_bytes!(concat!("../../console/", $name)),
        }
    };
}

const JS: &str = "text/javascript; charset=utf-8";

/// Every file the console is made of.
const ASSETS: &[Asset] = &[
    asset!("index.html", "text/html; charset=utf-8"),
    asset!("style.css", "text/css; charset=utf-8"),
    asset!("app.js", JS),
    asset!("api.js", JS),
    asset!("dom.js", JS),
    asset!("forms.js", JS),
    asset!("charts.js", JS),
    asset!("views-common.js", JS),
    asset!("views-overview.js", JS),
    asset!("views-subscriptions.js", JS),
    asset!("views-subscription.js", JS),
    asset!("views-subscription-form.js", JS),
    asset!("views-events.js", JS),
    asset!("views-dead-letters.js", JS),
    asset!("views-tenants.js", JS),
    asset!("views-audit.js", JS),
];

/// The policy of every console response.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; \
     base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// Registers `/console` and its files (not part of the OpenAPI document: they are not API).
pub fn configure(config: &mut web::ServiceConfig) {
    config
        .route("/console", web::get().to(index))
        .route("/console/", web::get().to(index))
        .route("/console/{name}", web::get().to(file));
}

async fn index() -> HttpResponse {
    serve("index.html").unwrap_or_else(|| HttpResponse::InternalServerError().finish())
}

async fn file(name: web::Path<String>) -> Result<HttpResponse, ApiError> {
    serve(&name).ok_or_else(|| ApiError::NotFound("no such console file".into()))
}

fn serve(name: &str) -> Option<HttpResponse> {
    let asset = ASSETS.iter().find(|a| a.name == name)?;
    Some(
        HttpResponse::Ok()
            .content_type(asset.content_type)
            .insert_header((header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY))
            .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
            .insert_header((header::X_FRAME_OPTIONS, "DENY"))
            .insert_header((header::REFERRER_POLICY, "no-referrer"))
            .insert_header((header::CACHE_CONTROL, "no-cache"))
            .body(asset.body),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_asset_is_embedded_and_the_policy_allows_no_inline_script() {
        assert!(ASSETS.iter().all(|a| !a.body.is_empty()));
        assert!(ASSETS.iter().any(|a| a.name == "index.html"));
        assert!(!CONTENT_SECURITY_POLICY.contains("unsafe-inline"));
        assert!(!CONTENT_SECURITY_POLICY.contains("unsafe-eval"));
        assert!(CONTENT_SECURITY_POLICY.contains("frame-ancestors 'none'"));
    }

    #[test]
    fn the_page_loads_its_script_from_this_origin_only() {
        let page = std::str::from_utf8(serve_body("index.html")).unwrap();
        assert!(page.contains(r#"src="/console/app.js""#));
        assert!(!page.contains("<script>"), "no inline script");
    }

    #[test]
    fn asset_names_are_flat_and_each_has_its_type() {
        for asset in ASSETS {
            assert!(
                !asset.name.contains('/') && !asset.name.starts_with('.'),
                "{}",
                asset.name
            );
            let expected = match asset.name.rsplit_once('.').map(|(_, ext)| ext) {
                Some("js") => JS,
                Some("css") => "text/css; charset=utf-8",
                Some("html") => "text/html; charset=utf-8",
                other => panic!("{}: no content type for {other:?}", asset.name),
            };
            assert_eq!(asset.content_type, expected, "{}", asset.name);
        }
        assert!(serve("../Cargo.toml").is_none());
        assert!(serve("nope.js").is_none());
    }

    fn serve_body(name: &str) -> &'static [u8] {
        ASSETS.iter().find(|a| a.name == name).unwrap().body
    }
}

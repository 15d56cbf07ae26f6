//! The ingest ceiling: the least an ingest endpoint must do. Verify the FlexOps HMAC-SHA256 (hex
//! header, constant-time), parse the JSON, XADD the body to a stream, answer 200. Nothing else: no
//! normalising, no dedupe, no metrics, no logging. shiprelay's ingest figures are divided by this.

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use hmac::{Hmac, KeyInit, Mac};
use shiprelay_bench::Args;

const USAGE: &str =
    "ceiling-ingest --listen 127.0.0.1:8090 --redis redis://127.0.0.1:6379 --secret S
                    [--stream ceiling:events] [--workers 0 (one per core)]";

struct State {
    redis: redis::aio::MultiplexedConnection,
    secret: Vec<u8>,
    stream: String,
}

async fn ingest(req: HttpRequest, body: web::Bytes, st: web::Data<State>) -> HttpResponse {
    let Some(sig) = req
        .headers()
        .get("x-flexops-signature")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| hex::decode(v).ok())
    else {
        return HttpResponse::Unauthorized().finish();
    };
    let mut mac = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(&st.secret).expect("any key");
    mac.update(&body);
    if mac.verify_slice(&sig).is_err() {
        return HttpResponse::Unauthorized().finish();
    }
    if serde_json::from_slice::<serde_json::Value>(&body).is_err() {
        return HttpResponse::BadRequest().finish();
    }
    let mut conn = st.redis.clone();
    let added: redis::RedisResult<String> = redis::cmd("XADD")
        .arg(&st.stream)
        .arg("*")
        .arg("event")
        .arg(body.as_ref())
        .query_async(&mut conn)
        .await;
    match added {
        Ok(id) => HttpResponse::Ok()
            .content_type("application/json")
            .body(format!(r#"{{"accepted":1,"events":["{id}"]}}"#)),
        Err(_) => HttpResponse::ServiceUnavailable().finish(),
    }
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let args = Args::parse(USAGE, &[]);
    let listen = args
        .opt("listen")
        .unwrap_or_else(|| "127.0.0.1:8090".into());
    let workers: usize = args.num("workers", 0usize);
    let client = redis::Client::open(args.req("redis")).expect("redis url");
    let redis = client
        .get_multiplexed_async_connection()
        .await
        .expect("redis connection");
    let state = web::Data::new(State {
        redis,
        secret: args.req("secret").into_bytes(),
        stream: args
            .opt("stream")
            .unwrap_or_else(|| "ceiling:events".into()),
    });
    let mut server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .route("/ingest/{source}", web::post().to(ingest))
    });
    if workers > 0 {
        server = server.workers(workers);
    }
    server.backlog(1024).bind(listen)?.run().await
}

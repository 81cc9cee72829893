//! A visit counter: the smallest useful session app.
//!
//! `cargo run --example basic` serves it with the in-memory store; set `REDIS_URL` (for example
//! `redis://127.0.0.1:6379`) to keep sessions in Redis, and `PORT` to change the port (3000).

use axum::{Router, routing::get};
use tower_redis_session::{MemoryStore, RedisStore, Session, SessionError, SessionLayer};

async fn count(session: Session) -> Result<String, SessionError> {
    let visits: u64 = session.get("visits").await?.unwrap_or(0) + 1;
    session.insert("visits", &visits).await?;
    Ok(format!("You have visited this page {visits} time(s).\n"))
}

async fn forget(session: Session) -> Result<&'static str, SessionError> {
    session.delete().await?;
    Ok("Session deleted.\n")
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,tower_redis_session=debug".into()),
        )
        .init();

    // Browsers accept Secure cookies from http://localhost, so the secure defaults stay on.
    let layer = match std::env::var("REDIS_URL") {
        Ok(url) => {
            println!("Sessions are stored in Redis at {url}");
            let store = RedisStore::builder(url).build()?;
            // A Redis that may evict keys could undo sign-outs: refuse to start on one.
            if let Err(error) = store.check().await {
                eprintln!("{error}");
                std::process::exit(1);
            }
            SessionLayer::builder(store).build()?
        }
        Err(_) => {
            println!("Sessions are stored in memory (set REDIS_URL to use Redis)");
            SessionLayer::builder(MemoryStore::new()).build()?
        }
    };
    let app = Router::new()
        .route("/", get(count))
        .route("/forget", get(forget))
        .layer(layer);

    let port = std::env::var("PORT").unwrap_or_else(|_| "3000".into());
    let listener = tokio::net::TcpListener::bind(format!("127.0.0.1:{port}")).await?;
    println!("Listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}

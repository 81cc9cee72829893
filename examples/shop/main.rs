//! A small shop that uses every feature of the crate: sign-in with "remember me", a cart for
//! visitors and users, preferences, the device list with sign-out per device, activity.
//!
//! `cargo run --example shop` serves it on http://127.0.0.1:3000 with the in-memory store; set
//! `REDIS_URL` to use Redis. See `app/config.rs` for the other variables.

mod app;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,tower_redis_session=debug".into()),
        )
        .init();
    let config = app::Config::from_env()?;
    match &config.redis_url {
        Some(url) => println!("Sessions are stored in Redis at {url}"),
        None => println!("Sessions are stored in memory (set REDIS_URL to use Redis)"),
    }
    let router = match app::router(&config).await {
        Ok(router) => router,
        Err(error) => {
            eprintln!("The shop cannot start: {error}");
            std::process::exit(1);
        }
    };
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", config.port)).await?;
    println!("Shop listening on http://{}", listener.local_addr()?);
    println!("Demo users: alice@example.com / wonderland, bob@example.com / builder");
    app::serve(listener, router).await?;
    Ok(())
}

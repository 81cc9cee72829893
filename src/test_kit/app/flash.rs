//! The test application's routes for flash messages.

use axum::extract::Path;
use axum::http::StatusCode;

use crate::{Flash, Level, Session, SessionError};

/// Pushes the body as a message at `level` (`info`, `success`, `warning`, `error`); 422 for
/// another level.
pub(super) async fn push(
    flash: Flash,
    Path(level): Path<String>,
    text: String,
) -> Result<StatusCode, SessionError> {
    let level = match level.as_str() {
        "info" => Level::Info,
        "success" => Level::Success,
        "warning" => Level::Warning,
        "error" => Level::Error,
        _ => return Ok(StatusCode::UNPROCESSABLE_ENTITY),
    };
    flash.push(level, text).await?;
    Ok(StatusCode::OK)
}

/// The waiting messages, one `level: text` line each.
pub(super) async fn take(flash: Flash) -> Result<String, SessionError> {
    let messages = flash.take().await?;
    let lines: Vec<String> = messages
        .into_iter()
        .map(|message| format!("{}: {}", message.level.as_str(), message.text))
        .collect();
    Ok(lines.join("\n"))
}

/// Logs out, then pushes the body as an info message for the next page.
pub(super) async fn logout_then_push(
    session: Session,
    flash: Flash,
    text: String,
) -> Result<&'static str, SessionError> {
    session.logout().await?;
    flash.info(text).await?;
    Ok("ok")
}

//! Devices as people recognise them: "Firefox on macOS" rather than a User-Agent string, and
//! "3 minutes ago" rather than a timestamp.

use std::time::{Duration, SystemTime};

/// A readable name for the browser and system a User-Agent describes: "Firefox on macOS",
/// "Safari on iPhone"; the client's own name for what is not a browser ("curl"); "Unknown
/// device" when there is nothing to go on.
pub fn name(user_agent: Option<&str>) -> String {
    let Some(user_agent) = user_agent.map(str::trim).filter(|ua| !ua.is_empty()) else {
        return "Unknown device".into();
    };
    // Crawlers and HTTP libraries ("misc") get their own product name, not a category.
    let parsed = woothee::parser::Parser::new()
        .parse(user_agent)
        .filter(|parsed| !matches!(parsed.category, "crawler" | "misc"));
    let known = |text: &str| text != woothee::woothee::VALUE_UNKNOWN && !text.is_empty();
    let browser = parsed.as_ref().map(|p| p.name).filter(|name| known(name));
    let system = parsed
        .as_ref()
        .map(|p| p.os)
        .filter(|os| known(os))
        .map(system);
    match (browser, system) {
        (Some(browser), Some(system)) => format!("{browser} on {system}"),
        (Some(browser), None) => browser.to_owned(),
        (None, Some(system)) => format!("A browser on {system}"),
        (None, None) => product(user_agent),
    }
}

/// The system's name as its users say it: "macOS", "Windows" (whose browsers report Windows 11
/// as 10), "iPhone", "Android", "Linux".
fn system(os: &str) -> &str {
    match os {
        "Mac OSX" => "macOS",
        os if os.starts_with("Windows") => "Windows",
        os => os,
    }
}

/// The first product token of a User-Agent (`curl/8.5.0` → `curl`), bounded in length.
fn product(user_agent: &str) -> String {
    let token = user_agent.split(['/', ' ', '(']).next().unwrap_or_default();
    if token.is_empty() {
        return "Unknown device".into();
    }
    token.chars().take(40).collect()
}

/// How long before `now` `time` was, as a person says it: "just now", "3 minutes ago",
/// "2 hours ago", "5 days ago".
pub fn ago(time: SystemTime, now: SystemTime) -> String {
    let elapsed = now.duration_since(time).unwrap_or(Duration::ZERO).as_secs();
    let (count, unit) = match elapsed {
        0..60 => return "just now".into(),
        60..3_600 => (elapsed / 60, "minute"),
        3_600..86_400 => (elapsed / 3_600, "hour"),
        _ => (elapsed / 86_400, "day"),
    };
    let plural = if count == 1 { "" } else { "s" };
    format!("{count} {unit}{plural} ago")
}

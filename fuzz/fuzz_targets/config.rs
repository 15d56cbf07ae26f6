//! The config parser `Config::from_toml` with environment overrides: never panics.
//!
//! Input layout: TOML text, then optionally a NUL byte and `NAME=value` lines for the environment
//! (a name without the `SHIPRELAY_` prefix gets it added, so most lines reach the overlay).
#![no_main]

use libfuzzer_sys::fuzz_target;
use shiprelay::config::Config;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (toml, env) = text.split_once('\0').unwrap_or((&text, ""));
    let env: Vec<(String, String)> = env
        .lines()
        .map(|line| {
            let (name, value) = line.split_once('=').unwrap_or((line, ""));
            let name = if name.starts_with("SHIPRELAY_") {
                name.to_string()
            } else {
                format!("SHIPRELAY_{name}")
            };
            (name, value.to_string())
        })
        .collect();
    let _ = Config::from_toml(toml, env);
});

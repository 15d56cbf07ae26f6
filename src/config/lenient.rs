//! Numbers and booleans that may arrive as strings: environment variables are always text.

use std::fmt::Display;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, de::Error};

#[derive(Deserialize)]
#[serde(untagged)]
enum NumberOrText<T> {
    Native(T),
    Text(String),
}

pub fn number<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + FromStr,
    T::Err: Display,
{
    match NumberOrText::<T>::deserialize(deserializer)? {
        NumberOrText::Native(n) => Ok(n),
        NumberOrText::Text(s) => s
            .trim()
            .parse()
            .map_err(|e| D::Error::custom(format!("`{s}` is not a valid value: {e}"))),
    }
}

pub fn optional_number<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + FromStr,
    T::Err: Display,
{
    number(deserializer).map(Some)
}

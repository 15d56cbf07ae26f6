//! `SHIPRELAY_*` environment variables laid over the TOML file.
//!
//! `SHIPRELAY_REDIS__URL=...` sets `[redis] url`: the prefix is dropped, `__` separates levels and
//! names are lower-cased. Arrays of tables are addressed by index or by their `id`, so
//! `SHIPRELAY_SOURCES__FLEXPORT__SECRETS=a,b` sets the secrets of the source whose id is `flexport`
//! (`-` in an id may be written `_`), which keeps secrets out of config files. An index one past the
//! end appends a new table. Values are always inserted as strings (comma-separated ones become
//! arrays where an array is expected); the settings types accept numbers and booleans written as
//! strings, so no guessing of types happens here.

use toml::{Table, Value};

pub const PREFIX: &str = "SHIPRELAY_";

/// Settings that are lists of strings: a comma-separated variable becomes an array for these.
const LIST_KEYS: &[&str] = &["secrets", "keys"];

/// Settings that are arrays of tables, so a variable naming one is never taken as a table key.
const ARRAY_KEYS: &[&str] = &["sources"];

/// Applies every `SHIPRELAY_` variable in `vars` to `root`. Returns one message per variable that
/// could not be applied (e.g. it indexes past the end of an array).
pub fn apply(root: &mut Table, vars: impl IntoIterator<Item = (String, String)>) -> Vec<String> {
    let mut problems = Vec::new();
    let mut vars: Vec<_> = vars
        .into_iter()
        .filter(|(name, _)| name.starts_with(PREFIX) && name.len() > PREFIX.len())
        .collect();
    // Deterministic order, so that `SOURCES__1__ID` is applied before `SOURCES__1__KIND`.
    vars.sort();
    for (name, value) in vars {
        let path: Vec<String> = name[PREFIX.len()..]
            .split("__")
            .map(|s| s.to_ascii_lowercase())
            .collect();
        if path.iter().any(String::is_empty) {
            problems.push(format!("{name}: empty path segment"));
            continue;
        }
        if let Err(reason) = set(root, &path, value) {
            problems.push(format!("{name}: {reason}"));
        }
    }
    problems
}

fn set(table: &mut Table, path: &[String], value: String) -> Result<(), String> {
    let (key, rest) = path.split_first().ok_or("empty path")?;
    if rest.is_empty() {
        let is_list =
            LIST_KEYS.contains(&key.as_str()) || matches!(table.get(key), Some(Value::Array(_)));
        table.insert(key.clone(), leaf(value, is_list));
        return Ok(());
    }
    let indexed = ARRAY_KEYS.contains(&key.as_str()) || rest[0].parse::<usize>().is_ok();
    let child = table.entry(key.clone()).or_insert_with(|| {
        if indexed {
            Value::Array(Vec::new())
        } else {
            Value::Table(Table::new())
        }
    });
    descend(child, rest, value, key)
}

fn descend(node: &mut Value, path: &[String], value: String, name: &str) -> Result<(), String> {
    match node {
        Value::Table(table) => set(table, path, value),
        Value::Array(items) => {
            let (selector, rest) = path.split_first().ok_or("empty path")?;
            let item = select(items, selector).ok_or_else(|| {
                format!("no element `{selector}` in `{name}` (use an index or an id)")
            })?;
            if rest.is_empty() {
                return Err(format!(
                    "`{name}.{selector}` is a table; name one of its settings"
                ));
            }
            descend(item, rest, value, selector)
        }
        _ => Err(format!("`{name}` is not a table")),
    }
}

/// The array element an index or an `id` names; an index equal to the length appends a table.
fn select<'a>(items: &'a mut Vec<Value>, selector: &str) -> Option<&'a mut Value> {
    if let Ok(index) = selector.parse::<usize>() {
        if index == items.len() {
            items.push(Value::Table(Table::new()));
        }
        return items.get_mut(index);
    }
    let wanted = selector.replace('-', "_");
    items.iter_mut().find(|item| {
        item.get("id")
            .and_then(Value::as_str)
            .is_some_and(|id| id.to_ascii_lowercase().replace('-', "_") == wanted)
    })
}

fn leaf(value: String, is_list: bool) -> Value {
    if !is_list {
        return Value::String(value);
    }
    let items = value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| Value::String(s.to_string()))
        .collect();
    Value::Array(items)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn table(toml: &str) -> Table {
        toml.parse().unwrap()
    }

    #[test]
    fn sets_nested_scalars_as_strings() {
        let mut root = table("[redis]\nurl = \"redis://a\"\n");
        let problems = apply(
            &mut root,
            vars(&[
                ("SHIPRELAY_REDIS__URL", "redis://b"),
                ("SHIPRELAY_SERVER__MAX_BODY_BYTES", "10"),
            ]),
        );
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(root["redis"]["url"].as_str(), Some("redis://b"));
        assert_eq!(root["server"]["max_body_bytes"].as_str(), Some("10"));
    }

    #[test]
    fn ignores_other_variables() {
        let mut root = Table::new();
        apply(
            &mut root,
            vars(&[("PATH", "/bin"), ("SHIPRELAY_", "x"), ("SHIPRELAYX", "y")]),
        );
        assert!(root.is_empty());
    }

    #[test]
    fn addresses_sources_by_id_or_index_and_splits_lists() {
        let mut root = table(
            "[[sources]]\nid = \"flexport-logistics\"\nkind = \"flexport_logistics\"\n\
             [[sources]]\nid = \"ops\"\nkind = \"flexops\"\n",
        );
        let problems = apply(
            &mut root,
            vars(&[
                ("SHIPRELAY_SOURCES__FLEXPORT_LOGISTICS__SECRETS", "t1, t2"),
                ("SHIPRELAY_SOURCES__1__SECRETS", "whsec_x"),
                ("SHIPRELAY_API__KEYS", "k1,k2"),
            ]),
        );
        assert!(problems.is_empty(), "{problems:?}");
        let sources = root["sources"].as_array().unwrap();
        assert_eq!(
            sources[0]["secrets"],
            Value::Array(vec!["t1".into(), "t2".into()])
        );
        assert_eq!(sources[1]["secrets"], Value::Array(vec!["whsec_x".into()]));
        assert_eq!(
            root["api"]["keys"],
            Value::Array(vec!["k1".into(), "k2".into()])
        );
    }

    #[test]
    fn appends_a_source_at_the_next_index() {
        let mut root = Table::new();
        let problems = apply(
            &mut root,
            vars(&[
                ("SHIPRELAY_SOURCES__0__ID", "a"),
                ("SHIPRELAY_SOURCES__0__KIND", "flexops"),
            ]),
        );
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(root["sources"][0]["id"].as_str(), Some("a"));
        assert_eq!(root["sources"][0]["kind"].as_str(), Some("flexops"));
    }

    #[test]
    fn reports_unknown_ids_and_bad_paths() {
        let mut root = table("[[sources]]\nid = \"a\"\n");
        let problems = apply(
            &mut root,
            vars(&[
                ("SHIPRELAY_SOURCES__NOPE__SECRETS", "x"),
                ("SHIPRELAY_SOURCES__5__SECRETS", "x"),
                ("SHIPRELAY_SOURCES__A", "x"),
                ("SHIPRELAY_REDIS____URL", "x"),
            ]),
        );
        assert_eq!(problems.len(), 4, "{problems:?}");
        assert!(problems[0].starts_with("SHIPRELAY_REDIS____URL"));
        assert!(problems.iter().any(|p| p.contains("no element `nope`")));
        assert!(problems.iter().any(|p| p.contains("no element `5`")));
        assert!(problems.iter().any(|p| p.contains("is a table")));
    }
}

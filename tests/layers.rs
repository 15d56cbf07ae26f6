//! The layer order of `src/`, kept. The order is written down once, as the table in the README's
//! "Code layout" (between the `layers:begin` and `layers:end` markers); this test reads it and
//! every `crate::` path in every source file (in `use` lines and inline), and fails on:
//! - an import of a module that comes later in the table (a lower layer reaching up, or a module
//!   reaching sideways to one listed after it), naming the importing and the imported file;
//! - a module of `src/` the table does not place;
//! - a circle of imports between files, naming the files on it.
//!
//! A module's own `mod.rs` re-exporting its children is not an import (Rust needs it), so a
//! folder's `mod.rs` -> child edges are left out of the circle check, and so are unit tests
//! (`#[cfg(test)] mod tests`, `tests.rs`): a test may use a sibling's fixture. Everything else
//! counts, `super::` paths included, and the layer order holds for tests too.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// One row of the README table: a layer and its modules, in order.
struct Layer {
    name: String,
    modules: Vec<String>,
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn layers() -> Vec<Layer> {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let start = readme
        .find("<!-- layers:begin -->")
        .expect("README: layers:begin marker");
    let end = readme
        .find("<!-- layers:end -->")
        .expect("README: layers:end marker");
    readme[start..end]
        .lines()
        .filter(|l| l.starts_with('|') && !l.starts_with("|---") && !l.starts_with("| layer"))
        .map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            Layer {
                name: cells[1].to_string(),
                modules: cells[2]
                    .split(',')
                    .map(|m| m.trim().trim_matches('`').to_string())
                    .filter(|m| !m.is_empty())
                    .collect(),
            }
        })
        .collect()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `src/a/b.rs` -> `["a", "b"]`; `src/a/mod.rs` -> `["a"]`; `src/lib.rs` -> `["lib"]`.
fn module_path(file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(root().join("src")).unwrap();
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_string())
        .collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    parts
}

/// The file a path names: the longest prefix of it that is a file of `src/`.
fn file_of(path: &[String], files: &BTreeSet<PathBuf>) -> Option<PathBuf> {
    let src = root().join("src");
    (1..=path.len()).rev().find_map(|n| {
        let stem = path[..n].join("/");
        [format!("{stem}.rs"), format!("{stem}/mod.rs")]
            .into_iter()
            .map(|f| src.join(f))
            .find(|f| files.contains(f))
    })
}

/// The code of a file without its comments (`//` to the end of a line) and string literals.
fn code_of(source: &str) -> String {
    let mut out = String::new();
    for line in source.lines() {
        let mut in_string = false;
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\'' if !in_string && chars.clone().nth(1) == Some('\'') => {
                    chars.next();
                    chars.next();
                }
                '"' => in_string = !in_string,
                '\\' if in_string => {
                    chars.next();
                }
                '/' if !in_string && chars.peek() == Some(&'/') => break,
                _ if !in_string => out.push(c),
                _ => {}
            }
        }
        out.push('\n');
    }
    out
}

/// Expands `a::{b, c::{d, e}}` into `a::b`, `a::c::d`, `a::c::e`.
fn expand(prefix: &str, tree: &str, out: &mut Vec<String>) {
    let tree = tree.trim();
    let Some(open) = tree.find('{') else {
        let item = tree.split(" as ").next().unwrap().trim();
        if !item.is_empty() {
            out.push(format!("{prefix}{item}"));
        }
        return;
    };
    let head = format!("{prefix}{}", &tree[..open]);
    let inner = &tree[open + 1..tree.rfind('}').unwrap()];
    let (mut depth, mut start) = (0, 0);
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                expand(&head, &inner[start..i], out);
                start = i + 1;
            }
            _ => {}
        }
    }
    expand(&head, &inner[start..], out);
}

/// Every `crate::` (and `super::`) path a file names, as module paths from the crate root.
fn imports(file: &Path, code: &str) -> Vec<Vec<String>> {
    let own = module_path(file);
    let mut paths = Vec::new();
    for root_word in ["crate::", "super::", "shiprelay::"] {
        if root_word == "shiprelay::" && !file.ends_with("main.rs") {
            continue;
        }
        for (at, _) in code.match_indices(root_word) {
            let before = code[..at].bytes().last();
            if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b':') {
                continue;
            }
            let rest = &code[at + root_word.len()..];
            let bytes = rest.as_bytes();
            let mut end = 0;
            while end < bytes.len() {
                match bytes[end] {
                    c if c.is_ascii_alphanumeric() || c == b'_' || c == b':' => end += 1,
                    b'{' => {
                        end += matching_brace(&rest[end..]) + 1;
                        break;
                    }
                    _ => break,
                }
            }
            let mut expanded = Vec::new();
            expand("", rest[..end].trim_end_matches(':'), &mut expanded);
            for path in expanded {
                let mut parts: Vec<String> = path
                    .split("::")
                    .map(|p| p.trim().to_string())
                    .filter(|p| !p.is_empty())
                    .collect();
                if root_word == "super::" {
                    let mut base = own.clone();
                    base.pop();
                    base.extend(parts);
                    parts = base;
                }
                paths.push(parts);
            }
        }
    }
    paths
}

fn matching_brace(text: &str) -> usize {
    let mut depth = 0;
    for (i, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return i;
                }
            }
            _ => {}
        }
    }
    text.len() - 1
}

fn relative(file: &Path) -> String {
    file.strip_prefix(root()).unwrap().display().to_string()
}

/// The code without its `#[cfg(test)] mod tests { .. }` module.
fn without_tests(code: &str) -> String {
    match code.find("#[cfg(test)]") {
        Some(at) => match (code[at..].find('{'), code[at..].find(';')) {
            (_, Some(semi)) if code[at..].find('{').is_none_or(|open| semi < open) => {
                format!("{}{}", &code[..at], without_tests(&code[at + semi + 1..]))
            }
            (Some(open), _) => {
                let close = at + open + matching_brace(&code[at + open..]);
                format!("{}{}", &code[..at], without_tests(&code[close + 1..]))
            }
            (None, _) => code[..at].to_string(),
        },
        None => code.to_string(),
    }
}

/// All files of `src/`, and each file's imports resolved to files (with or without unit tests).
fn graph(with_tests: bool) -> BTreeMap<PathBuf, BTreeSet<PathBuf>> {
    let mut files = Vec::new();
    rust_files(&root().join("src"), &mut files);
    let set: BTreeSet<PathBuf> = files.iter().cloned().collect();
    let mut graph = BTreeMap::new();
    for file in &files {
        let code = code_of(&std::fs::read_to_string(file).unwrap());
        let code = match with_tests {
            true => code,
            false if file.ends_with("tests.rs") => String::new(),
            false => without_tests(&code),
        };
        let targets = imports(file, &code)
            .iter()
            .filter_map(|path| file_of(path, &set))
            .filter(|target| target != file)
            .collect();
        graph.insert(file.clone(), targets);
    }
    graph
}

#[test]
fn every_import_follows_the_layer_order_of_the_readme() {
    let layers = layers();
    let order: Vec<(&str, &str)> = layers
        .iter()
        .flat_map(|l| l.modules.iter().map(|m| (m.as_str(), l.name.as_str())))
        .collect();
    let rank = |file: &Path| {
        let top = module_path(file)[0].clone();
        order
            .iter()
            .position(|(m, _)| *m == top)
            .map(|i| (i, order[i]))
    };
    let mut problems = Vec::new();
    for (file, targets) in graph(true) {
        let Some((from, (module, layer))) = rank(&file) else {
            problems.push(format!(
                "{}: module `{}` is in no layer of the README's Code layout table",
                relative(&file),
                module_path(&file)[0]
            ));
            continue;
        };
        for target in targets {
            let Some((to, (target_module, target_layer))) = rank(&target) else {
                continue;
            };
            if to > from {
                problems.push(format!(
                    "{} (`{module}`, {layer}) imports {} (`{target_module}`, {target_layer}), \
                     which comes after it in the layer order",
                    relative(&file),
                    relative(&target)
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn no_files_import_each_other_in_a_circle() {
    let graph = graph(false);
    // A folder's mod.rs declares and re-exports its children: not an import.
    let edges = |file: &PathBuf| -> Vec<PathBuf> {
        let folder = file.parent().unwrap();
        graph[file]
            .iter()
            .filter(|t| !(file.ends_with("mod.rs") && t.starts_with(folder)))
            .cloned()
            .collect()
    };
    let mut state: BTreeMap<PathBuf, u8> = BTreeMap::new(); // 1 on the path, 2 done
    let mut circles = Vec::new();
    fn visit(
        file: &PathBuf,
        edges: &dyn Fn(&PathBuf) -> Vec<PathBuf>,
        state: &mut BTreeMap<PathBuf, u8>,
        path: &mut Vec<PathBuf>,
        circles: &mut Vec<String>,
    ) {
        state.insert(file.clone(), 1);
        path.push(file.clone());
        for next in edges(file) {
            match state.get(&next) {
                Some(1) => {
                    let at = path.iter().position(|p| *p == next).unwrap();
                    let mut names: Vec<String> = path[at..].iter().map(|p| relative(p)).collect();
                    names.push(relative(&next));
                    circles.push(names.join(" -> "));
                }
                Some(_) => {}
                None => visit(&next, edges, state, path, circles),
            }
        }
        path.pop();
        state.insert(file.clone(), 2);
    }
    for file in graph.keys() {
        if !state.contains_key(file) {
            visit(file, &edges, &mut state, &mut Vec::new(), &mut circles);
        }
    }
    assert!(
        circles.is_empty(),
        "import circles:\n{}",
        circles.join("\n")
    );
}

#[test]
fn the_checks_see_what_they_are_meant_to_see() {
    // The parser: braces, renames, nesting, inline paths, comments and strings.
    let file = root().join("src/delivery/worker.rs");
    let code = code_of(
        "use crate::{a::{b, c as d}, e};\n// use crate::hidden;\nlet s = \"crate::nope\";\n\
         let x = crate::f::g(1);\nuse super::h::I;\n",
    );
    let found: Vec<String> = imports(&file, &code).iter().map(|p| p.join("::")).collect();
    assert_eq!(found, ["a::b", "a::c", "e", "f::g", "delivery::h::I"]);
    // The table: every layer has modules, and each module appears once.
    let layers = layers();
    assert!(layers.len() >= 4, "the README table has the layers");
    let all: Vec<&String> = layers.iter().flat_map(|l| &l.modules).collect();
    let unique: BTreeSet<&&String> = all.iter().collect();
    assert_eq!(all.len(), unique.len(), "a module is listed twice");
    // The graph: a known edge is seen.
    let code = code_of("use crate::a;\n#[cfg(test)]\nmod tests {\n    use crate::b;\n}\n");
    assert_eq!(without_tests(&code).trim(), "use crate::a;");
    let graph = graph(true);
    assert!(
        graph[&root().join("src/delivery/worker.rs")].contains(&root().join("src/queue/mod.rs"))
    );
}

//! The layering ARCHITECTURE.md describes, checked on the source: no two
//! top-level modules import each other (directly or through others), nor
//! two modules of one folder at any level, the planner imports only the
//! model, the pure core (model, plan, lint) does no I/O, migrations are reached through `migrate::api` only, and nothing
//! returns `Result<_, String>`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Each top-level module of `src/` and the top-level modules its files name as `crate::x`.
fn imports() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for entry in std::fs::read_dir(&src).unwrap() {
        let path = entry.unwrap().path();
        let module = path.file_stem().unwrap().to_string_lossy().to_string();
        if module == "lib" || module == "main" {
            continue;
        }
        let mut deps = BTreeSet::new();
        for file in rust_files(&path) {
            let text = std::fs::read_to_string(&file).unwrap();
            for (at, _) in text.match_indices("crate::") {
                let name: String = text[at + 7..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if name != module && !name.is_empty() {
                    deps.insert(name);
                }
            }
        }
        out.insert(module, deps);
    }
    out
}

fn rust_files(path: &Path) -> Vec<std::path::PathBuf> {
    if path.is_file() {
        return vec![path.to_path_buf()];
    }
    let mut files = Vec::new();
    for entry in std::fs::read_dir(path).unwrap() {
        files.extend(rust_files(&entry.unwrap().path()));
    }
    files.retain(|f| f.extension().is_some_and(|e| e == "rs"));
    files
}

#[test]
fn top_level_modules_import_each_other_in_one_direction_only() {
    let graph = imports();
    // Depth-first search for a cycle.
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) {
        if let Some(at) = path.iter().position(|p| p == node) {
            panic!("import cycle: {} -> {node}", path[at..].join(" -> "));
        }
        if !done.insert(node.to_string()) {
            return;
        }
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            visit(next, graph, path, done);
        }
        path.pop();
    }
    let mut done = BTreeSet::new();
    for module in graph.keys() {
        let mut fresh = BTreeSet::new();
        visit(module, &graph, &mut Vec::new(), &mut fresh);
        done.extend(fresh);
    }
    assert!(
        done.contains("plan") && done.contains("server"),
        "{graph:?}"
    );
}

#[test]
fn the_planner_imports_only_the_model() {
    let graph = imports();
    let plan: Vec<&String> = graph["plan"].iter().collect();
    assert_eq!(plan, vec!["model"], "plan/ must stay pure");
}

/// The pure core (the model, the planner, the lint rules) reads no file,
/// talks to no server, and spawns nothing: the edges do (`cli/`, `server/`).
#[test]
fn the_pure_core_does_no_io() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut found = Vec::new();
    for module in ["model", "plan", "lint"] {
        for file in rust_files(&src.join(module)) {
            if file.to_string_lossy().ends_with("tests.rs") {
                continue;
            }
            let text = std::fs::read_to_string(&file).unwrap();
            for io in [
                "std::fs",
                "tokio::",
                "mongodb::",
                "std::process",
                "std::net",
            ] {
                if text.contains(io) {
                    found.push(format!("{}: {io}", file.display()));
                }
            }
        }
    }
    assert!(found.is_empty(), "I/O in the pure core: {found:#?}");
}

#[test]
fn no_function_returns_a_bare_string_error() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let found: Vec<String> = rust_files(&src)
        .into_iter()
        .filter(|f| !f.to_string_lossy().contains("tests"))
        .flat_map(|f| {
            let text = std::fs::read_to_string(&f).unwrap();
            text.lines()
                .enumerate()
                .filter(|(_, l)| l.contains("Result<") && l.contains(", String>"))
                .map(|(n, l)| format!("{}:{}: {}", f.display(), n + 1, l.trim()))
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(found.is_empty(), "{found:#?}");
}

/// The module path of a source file: `src/cli/apply.rs` → `["cli", "apply"]`;
/// `mod.rs` is its folder; `lib.rs` the crate.
fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().to_string())
        .collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
        parts.pop();
    }
    parts
}

/// Every module path a file names (`crate::a::b`, `super::x`, `self::y`,
/// and each item of a `{…}` group after one), made absolute.
fn references(module: &[String], text: &str) -> Vec<Vec<String>> {
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    // A comment's paths are not imports.
    let code: String = text
        .lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n");
    let mut out = Vec::new();
    for start in ["crate::", "super::", "self::"] {
        for (at, _) in code.match_indices(start) {
            if at > 0 {
                let before = code[..at].chars().last().unwrap();
                if before.is_ascii_alphanumeric() || before == '_' || before == ':' {
                    continue;
                }
            }
            // The base: where `super` and `self` start from (a folder's
            // `mod.rs` is the folder itself).
            let mut base: Vec<String> = match start {
                "crate::" => Vec::new(),
                _ => module.to_vec(),
            };
            let mut rest = &code[at..];
            loop {
                let word = ident(rest);
                match word.as_str() {
                    "crate" => {}
                    "self" => {}
                    "super" => {
                        base.pop();
                    }
                    _ => break,
                }
                rest = &rest[word.len()..];
                match rest.strip_prefix("::") {
                    Some(r) => rest = r,
                    None => break,
                }
            }
            let mut path = base.clone();
            loop {
                let word = ident(rest);
                if word.is_empty() {
                    // A group: each item's first segment.
                    if let Some(group) = rest.strip_prefix('{') {
                        let end = group.find('}').unwrap_or(group.len());
                        for item in group[..end].split(',') {
                            let first = ident(item.trim());
                            if !first.is_empty() {
                                let mut p = path.clone();
                                p.push(first);
                                out.push(p);
                            }
                        }
                    }
                    break;
                }
                path.push(word.clone());
                rest = &rest[word.len()..];
                match rest.strip_prefix("::") {
                    Some(r) => rest = r,
                    None => break,
                }
            }
            out.push(path);
        }
    }
    out
}

/// For each folder of `src/`, its child modules and the children each one
/// names: the graph that must have no cycle.
fn sibling_graphs() -> BTreeMap<String, BTreeMap<String, BTreeSet<String>>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut graphs: BTreeMap<String, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for file in rust_files(&src) {
        let name = file.file_stem().unwrap().to_string_lossy().to_string();
        if name.ends_with("tests") || name == "tests" {
            continue;
        }
        let module = module_of(&src, &file);
        let text = std::fs::read_to_string(&file).unwrap();
        for target in references(&module, &text) {
            // The deepest folder both lie in, and the child of it each lies in.
            let common = module
                .iter()
                .zip(&target)
                .take_while(|(a, b)| a == b)
                .count();
            if common >= module.len() || common >= target.len() {
                continue; // a module naming itself, a child or a parent
            }
            let folder = module[..common].join("/");
            let from = module[common].clone();
            let to = target[common].clone();
            // Only modules count: a child of the folder (file or folder).
            let dir = src.join(module[..common].iter().collect::<std::path::PathBuf>());
            let is_child =
                dir.join(format!("{to}.rs")).is_file() || dir.join(&to).join("mod.rs").is_file();
            if from != to && is_child {
                graphs
                    .entry(folder)
                    .or_default()
                    .entry(from)
                    .or_default()
                    .insert(to);
            }
        }
    }
    graphs
}

#[test]
fn no_module_imports_a_sibling_that_imports_it_back_at_any_level() {
    let mut cycles = Vec::new();
    for (folder, graph) in sibling_graphs() {
        fn visit(
            node: &str,
            graph: &BTreeMap<String, BTreeSet<String>>,
            path: &mut Vec<String>,
            done: &mut BTreeSet<String>,
            found: &mut BTreeSet<String>,
        ) {
            if let Some(at) = path.iter().position(|p| p == node) {
                let mut cycle = path[at..].to_vec();
                // The same cycle from any start is one cycle.
                let min = (0..cycle.len()).min_by_key(|&i| &cycle[i]).unwrap();
                cycle.rotate_left(min);
                found.insert(cycle.join(" -> "));
                return;
            }
            if done.contains(node) {
                return;
            }
            path.push(node.to_string());
            for next in graph.get(node).into_iter().flatten() {
                visit(next, graph, path, done, found);
            }
            path.pop();
            done.insert(node.to_string());
        }
        let mut found = BTreeSet::new();
        for node in graph.keys() {
            visit(
                node,
                &graph,
                &mut Vec::new(),
                &mut BTreeSet::new(),
                &mut found,
            );
        }
        let shown = if folder.is_empty() {
            "src".to_string()
        } else {
            format!("src/{folder}")
        };
        cycles.extend(found.into_iter().map(|c| format!("{shown}: {c}")));
    }
    assert!(cycles.is_empty(), "import cycles:\n{}", cycles.join("\n"));
}

#[test]
fn the_rest_of_mig_reaches_migrations_through_their_facade_only() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut bypass = Vec::new();
    for file in rust_files(&src) {
        if file.starts_with(src.join("migrate")) {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        for (n, line) in text.lines().enumerate() {
            for (at, _) in line.match_indices("crate::migrate::") {
                if !line[at + "crate::migrate::".len()..].starts_with("api") {
                    bypass.push(format!("{}:{}: {}", file.display(), n + 1, line.trim()));
                }
            }
        }
    }
    assert!(
        bypass.is_empty(),
        "use crate::migrate::api:\n{}",
        bypass.join("\n")
    );
}

//! tracer-core's top-level modules import one another in one direction
//! only: this test reads every `crate::…` path in the sources (comments
//! left out) and fails on a cycle, naming the imports that close it.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// A top-level module's imports: for each module it names, where.
type Imports = BTreeMap<String, BTreeMap<String, Vec<String>>>;

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).expect("read src") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a source file belongs to (`None` for lib.rs).
fn module_of(src: &Path, file: &Path) -> Option<String> {
    let relative = file.strip_prefix(src).ok()?;
    let first = relative.components().next()?.as_os_str().to_str()?.to_string();
    match first.strip_suffix(".rs") {
        Some("lib") => None,
        // `#[path = "private.rs"] pub mod __private;`
        Some("private") => Some("__private".to_string()),
        Some(name) => Some(name.to_string()),
        None => Some(first),
    }
}

/// The code of a line, without its comment (`//` outside a string is
/// enough here: no path in a string literal names a module).
fn code(line: &str) -> &str {
    match line.find("//") {
        Some(at) => &line[..at],
        None => line,
    }
}

/// The modules a line of code names through `crate::` (also `$crate::` in
/// macros, and `crate::{a, b::c}` groups).
fn named_modules(line: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = line;
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for item in group[..end].split(',') {
                names.extend(leading_ident(item.trim()));
            }
        } else {
            names.extend(leading_ident(rest));
        }
    }
    names
}

fn leading_ident(text: &str) -> Option<String> {
    let ident: String = text
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    (!ident.is_empty()).then_some(ident)
}

fn imports() -> (BTreeSet<String>, Imports) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let modules: BTreeSet<String> = files.iter().filter_map(|f| module_of(&src, f)).collect();
    let mut imports = Imports::new();
    for file in &files {
        let Some(from) = module_of(&src, file) else { continue };
        let text = fs::read_to_string(file).expect("read source");
        for (number, line) in text.lines().enumerate() {
            for to in named_modules(code(line)) {
                if to != from && modules.contains(&to) {
                    let place = format!("{}:{}", file.strip_prefix(&src).unwrap().display(), number + 1);
                    imports
                        .entry(from.clone())
                        .or_default()
                        .entry(to)
                        .or_default()
                        .push(place);
                }
            }
        }
    }
    (modules, imports)
}

/// A cycle through the import graph, if there is one, as a list of modules
/// whose last imports the first.
fn find_cycle(modules: &BTreeSet<String>, imports: &Imports) -> Option<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        OnPath,
        Done,
    }
    fn visit(
        module: &str,
        imports: &Imports,
        marks: &mut BTreeMap<String, Mark>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        marks.insert(module.to_string(), Mark::OnPath);
        path.push(module.to_string());
        for next in imports.get(module).into_iter().flat_map(BTreeMap::keys) {
            match marks.get(next).copied().unwrap_or(Mark::New) {
                Mark::OnPath => {
                    let start = path.iter().position(|m| m == next).expect("on the path");
                    return Some(path[start..].to_vec());
                }
                Mark::New => {
                    if let Some(cycle) = visit(next, imports, marks, path) {
                        return Some(cycle);
                    }
                }
                Mark::Done => {}
            }
        }
        path.pop();
        marks.insert(module.to_string(), Mark::Done);
        None
    }
    let mut marks = BTreeMap::new();
    for module in modules {
        if marks.get(module).copied().unwrap_or(Mark::New) == Mark::New {
            if let Some(cycle) = visit(module, imports, &mut marks, &mut Vec::new()) {
                return Some(cycle);
            }
        }
    }
    None
}

#[test]
fn top_level_modules_import_one_another_without_a_cycle() {
    let (modules, imports) = imports();
    // The reader sees the layout it checks.
    for expected in ["model", "buffer", "runtime", "provider", "processor", "export", "span"] {
        assert!(
            modules.contains(expected),
            "no module `{expected}` found in {modules:?}"
        );
    }
    assert!(
        imports.get("runtime").is_some_and(|to| to.contains_key("provider")),
        "the reader should see runtime importing provider"
    );
    if let Some(cycle) = find_cycle(&modules, &imports) {
        let mut report = format!(
            "tracer-core's modules import each other in a circle: {}\n",
            cycle.join(" -> ")
        );
        for (i, from) in cycle.iter().enumerate() {
            let to = &cycle[(i + 1) % cycle.len()];
            let places = &imports[from][to];
            report += &format!("  {from} -> {to}: {}\n", places.join(", "));
        }
        panic!("{report}");
    }
}

#[test]
fn the_cycle_finder_finds_a_circle_and_nothing_else() {
    let modules: BTreeSet<String> = ["a", "b", "c", "d"].map(String::from).into();
    let edge = |imports: &mut Imports, from: &str, to: &str| {
        imports
            .entry(from.to_string())
            .or_default()
            .insert(to.to_string(), vec![format!("{from}.rs:1")]);
    };
    let mut imports = Imports::new();
    edge(&mut imports, "a", "b");
    edge(&mut imports, "b", "c");
    edge(&mut imports, "a", "c");
    edge(&mut imports, "d", "a");
    assert_eq!(find_cycle(&modules, &imports), None);
    edge(&mut imports, "c", "a");
    assert_eq!(
        find_cycle(&modules, &imports),
        Some(["a", "b", "c"].map(String::from).to_vec())
    );
}

#[test]
fn paths_are_read_from_code_not_comments() {
    assert_eq!(named_modules(code("use crate::model::{SpanData, SpanId};")), ["model"]);
    assert_eq!(
        named_modules(code("use crate::{buffer, runtime::Entry};")),
        ["buffer", "runtime"]
    );
    assert_eq!(named_modules(code("let l = $crate::provider::limits();")), ["provider"]);
    assert!(named_modules(code("/// see [`x`](crate::processor::SpanBatch)")).is_empty());
    assert!(named_modules(code("    // crate::span is above")).is_empty());
}

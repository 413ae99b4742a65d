//! The architecture rule, checked on every build: data flows one way, surfaces (`web`, `api`,
//! `mcp`, `client`) → who is calling (`auth`) → use cases → store and renderer (`db`,
//! `render`); never sideways, never up, and no two top-level modules import each other in a
//! circle. Read from the `crate::…` paths in `src/` (see `docs/architecture.md`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const SURFACES: &[&str] = &["web", "api", "mcp", "client"];
const CORE: &[&str] = &["config", "state", "error"];
const ENTRY: &[&str] = &["lib", "main", "server", "guard"];
const USE_CASES: &[&str] = &["diagrams", "tokens", "accounts"];
/// What the surfaces share about HTTP and JSON: above the use cases, below `auth`.
const SURFACE_KIT: &[&str] = &["http", "wire"];
/// The store and the renderer import nothing of Reef's but themselves.
const BELOW: &[&str] = &["db", "render"];

/// Top-level module → the top-level modules it names, with one place each is named.
type Edges = BTreeMap<String, BTreeMap<String, String>>;

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a file belongs to: `src/web/settings.rs` → `web`, `src/state.rs` →
/// `state`.
fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).expect("under src");
    let first = rel
        .components()
        .next()
        .expect("a component")
        .as_os_str()
        .to_string_lossy()
        .into_owned();
    first.strip_suffix(".rs").unwrap_or(&first).to_owned()
}

/// The modules a line names through `crate::x`, `crate::{x, …}` or `use crate::{…, x::…}`.
fn named_modules(line: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = line;
    while let Some(at) = rest.find("crate::") {
        // `reef::crate::` cannot occur; but `my_crate::` must not count.
        let before = rest[..at].chars().next_back();
        rest = &rest[at + "crate::".len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for item in group[..end].split(',') {
                let name: String = item
                    .trim()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    found.push(name);
                }
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                found.push(name);
            }
        }
    }
    found
}

/// Every import between top-level modules, outside comments and `#[cfg(test)]` code.
fn edges(src: &Path) -> Edges {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let modules: BTreeSet<String> = files.iter().map(|f| module_of(src, f)).collect();
    let mut edges = Edges::new();
    for file in &files {
        let from = module_of(src, file);
        let text = std::fs::read_to_string(file).expect("read a source file");
        for (n, line) in text.lines().enumerate() {
            if line.contains("#[cfg(test)]") {
                break;
            }
            let code = line.trim_start();
            if code.starts_with("//") {
                continue;
            }
            for to in named_modules(code) {
                // Items of lib.rs (`crate::app`) are not modules; `self`/`super` are local.
                if to != from && modules.contains(&to) {
                    edges
                        .entry(from.clone())
                        .or_default()
                        .entry(to)
                        .or_insert_with(|| format!("{}:{}", file.display(), n + 1));
                }
            }
        }
    }
    edges
}

/// Imports that break the rule, each with the reason and where.
fn violations(edges: &Edges) -> Vec<String> {
    let is = |set: &[&str], m: &str| set.contains(&m);
    let mut bad = Vec::new();
    for (from, tos) in edges {
        for (to, place) in tos {
            let why = if is(SURFACES, from) && is(SURFACES, to) {
                Some("a surface imports another surface")
            } else if is(BELOW, from) {
                Some("the store and the renderer import nothing of Reef's")
            } else if is(CORE, from) && (is(SURFACES, to) || is(ENTRY, to)) {
                Some("core imports a surface or the entry")
            } else if is(ENTRY, to) && !is(ENTRY, from) {
                Some("imports from the entry point")
            } else if !is(SURFACES, from) && !is(ENTRY, from) && is(SURFACES, to) {
                Some("a lower layer imports a surface")
            } else if is(USE_CASES, from) && (to == "auth" || to == "error" || is(SURFACE_KIT, to))
            {
                Some("a use case imports HTTP, who-is-calling or the surfaces' error model")
            } else if is(SURFACE_KIT, from) && to == "auth" {
                Some("the surfaces' HTTP and JSON kit imports who-is-calling")
            } else {
                None
            };
            if let Some(why) = why {
                bad.push(format!("{from} -> {to}: {why} ({place})"));
            }
        }
    }
    bad
}

/// Groups of two or more modules that import each other in a circle (Tarjan's strongly
/// connected components).
fn knots(edges: &Edges) -> Vec<Vec<String>> {
    struct Walk<'a> {
        edges: &'a Edges,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        knots: Vec<Vec<String>>,
    }
    impl<'a> Walk<'a> {
        fn visit(&mut self, v: &'a str) {
            let n = self.index.len();
            self.index.insert(v, n);
            self.low.insert(v, n);
            self.stack.push(v);
            for w in self.edges.get(v).into_iter().flat_map(|m| m.keys()) {
                let w = w.as_str();
                if !self.index.contains_key(w) {
                    self.visit(w);
                    let lw = self.low[w];
                    let lv = self.low.get_mut(v).expect("visited");
                    *lv = (*lv).min(lw);
                } else if self.stack.contains(&w) {
                    let iw = self.index[w];
                    let lv = self.low.get_mut(v).expect("visited");
                    *lv = (*lv).min(iw);
                }
            }
            if self.low[v] == self.index[v] {
                let mut knot = Vec::new();
                while let Some(w) = self.stack.pop() {
                    knot.push(w.to_owned());
                    if w == v {
                        break;
                    }
                }
                if knot.len() > 1 {
                    knot.sort();
                    self.knots.push(knot);
                }
            }
        }
    }
    let mut walk = Walk {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        knots: Vec::new(),
    };
    for v in edges.keys() {
        if !walk.index.contains_key(v.as_str()) {
            walk.visit(v);
        }
    }
    walk.knots
}

#[test]
fn modules_import_only_downwards_and_never_in_a_circle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let edges = edges(&src);
    // The scan sees the real wiring (a scan that finds nothing proves nothing).
    assert!(edges["api"].contains_key("diagrams"), "{edges:?}");
    assert!(edges["web"].contains_key("auth"), "{edges:?}");
    let bad = violations(&edges);
    assert!(
        bad.is_empty(),
        "imports against the layering:\n{}",
        bad.join("\n")
    );
    let knots = knots(&edges);
    assert!(
        knots.is_empty(),
        "modules importing each other in a circle: {knots:?}"
    );
}

#[test]
fn the_checker_catches_each_kind_of_wrong_import() {
    assert_eq!(
        named_modules("use crate::{auth::Visitor, db, state::AppState};"),
        ["auth", "db", "state"]
    );
    assert_eq!(
        named_modules("let x = crate::web::x(my_crate::y);"),
        ["web"]
    );
    let wire = |pairs: &[(&str, &str)]| {
        let mut edges = Edges::new();
        for (a, b) in pairs {
            edges
                .entry((*a).to_owned())
                .or_default()
                .insert((*b).to_owned(), "here".to_owned());
        }
        edges
    };
    for wrong in [
        ("api", "web"),
        ("mcp", "api"),
        ("db", "auth"),
        ("render", "db"),
        ("state", "api"),
        ("error", "web"),
        ("config", "client"),
        ("diagrams", "auth"),
        ("diagrams", "web"),
        ("tokens", "http"),
        ("accounts", "error"),
        ("wire", "auth"),
        ("web", "lib"),
    ] {
        assert_eq!(violations(&wire(&[wrong])).len(), 1, "{wrong:?}");
    }
    assert!(violations(&wire(&[("web", "diagrams"), ("auth", "tokens")])).is_empty());
    assert_eq!(
        knots(&wire(&[
            ("error", "assets"),
            ("assets", "error"),
            ("web", "error")
        ])),
        [["assets", "error"]]
    );
}

//! The static site's safety, checked in its sources (issue 9): no markup is ever built from
//! text (Yew escapes everything it renders; the doors that would not are never opened),
//! every page carries a Content-Security-Policy that allows only the site itself, and no
//! source names another origin. The e2e tests watch the running pages for requests
//! leaving the site.

use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Files under `dir` ending in one of `exts`, skipping what the build writes.
fn files(dir: &Path, exts: &[&str], out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy();
        if path.is_dir() {
            if !["pkg", "vendor"].contains(&name.as_ref()) {
                files(&path, exts, out);
            }
        } else if exts.iter().any(|e| name.ends_with(e)) {
            out.push(path);
        }
    }
}

/// (file, what) for every use of `sinks` in files under `dir` with these extensions.
fn uses(dir: &str, exts: &[&str], sinks: &[&str]) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let mut paths = Vec::new();
    files(&repo().join(dir), exts, &mut paths);
    assert!(!paths.is_empty(), "no sources under {dir}");
    for path in paths {
        let text = std::fs::read_to_string(&path).unwrap();
        for sink in sinks {
            if text.contains(sink) {
                found.push((path.display().to_string(), sink.to_string()));
            }
        }
    }
    found
}

#[test]
fn no_markup_is_built_from_text() {
    // Yew's raw-HTML constructors and the DOM's, from Rust; and the same from the shell.
    let rust = uses(
        "web/src",
        &[".rs"],
        &[
            "from_html_unchecked",
            "set_inner_html",
            "set_outer_html",
            "insert_adjacent_html",
            "js_sys::eval",
            "Function::new",
        ],
    );
    let js = uses(
        "www",
        &[".js", ".html"],
        &[
            "innerHTML",
            "outerHTML",
            "insertAdjacentHTML",
            "document.write",
            "eval(",
            "new Function",
        ],
    );
    assert_eq!([rust, js].concat(), vec![]);
}

#[test]
fn every_page_allows_only_the_site_itself() {
    let mut pages = Vec::new();
    files(&repo().join("www"), &[".html"], &mut pages);
    assert!(pages.len() >= 2, "{pages:?}");
    for page in pages {
        let html = std::fs::read_to_string(&page).unwrap();
        let csp = html
            .split("http-equiv=\"Content-Security-Policy\"")
            .nth(1)
            .and_then(|rest| rest.split("content=\"").nth(1))
            .and_then(|rest| rest.split('"').next())
            .unwrap_or_else(|| panic!("{}: no Content-Security-Policy", page.display()));
        let directives: Vec<&str> = csp.split(';').map(str::trim).collect();
        assert!(
            directives.contains(&"default-src 'self'")
                && directives.contains(&"object-src 'none'")
                && directives.contains(&"base-uri 'self'"),
            "{}: {csp}",
            page.display()
        );
        // Sources are the site, data: URLs (the deck theme's fonts) or nothing else.
        for source in directives.iter().flat_map(|d| d.split_whitespace().skip(1)) {
            assert!(
                [
                    "'self'",
                    "'none'",
                    "data:",
                    "'wasm-unsafe-eval'",
                    "'unsafe-inline'"
                ]
                .contains(&source),
                "{}: {source} in {csp}",
                page.display()
            );
        }
        // Inline styles only: no script may run from the page's own text.
        let script_src = directives
            .iter()
            .find(|d| d.starts_with("script-src"))
            .unwrap_or(&"");
        assert!(!script_src.contains("unsafe-inline"), "{}", page.display());
    }
}

#[test]
fn no_source_names_another_origin() {
    let found = uses(
        "www",
        &[".html", ".js", ".css", ".json"],
        &["http://", "https://", "//fonts.", "//cdn"],
    );
    assert_eq!(found, vec![]);
}

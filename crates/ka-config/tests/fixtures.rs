//! Golden tests over the fixture files: every diagnostic (file:line:column, severity and
//! sentence) and the `-t` exit code, and the dump round trip `parse(dump(parse(x))) == parse(x)`.
//!
//! `.expected` files are written with `BLESS=1 cargo test -p ka-config --test fixtures`;
//! review the difference before committing it.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use ka_config::{dump, load, parse_str, Options, Severity};

fn opts() -> Options {
    Options {
        config_id: "node1".into(),
        interfaces: Some(
            ["lo", "eth0", "red"]
                .iter()
                .map(|s| s.to_string())
                .collect::<BTreeSet<_>>(),
        ),
        ..Options::default()
    }
}

fn fixtures(dir: &str) -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(dir);
    let mut v: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "conf"))
        .collect();
    v.sort();
    v
}

/// Diagnostics as `name:line:col: severity: message` (paths made relative to the fixture
/// directory) and the exit code, as one text.
fn report(path: &Path) -> String {
    let dir = path.parent().unwrap().display().to_string() + "/";
    let l = load(path, &opts());
    let mut s = String::new();
    for d in &l.diagnostics {
        s.push_str(&d.short(&l.sources).replace(&dir, ""));
        s.push('\n');
    }
    s.push_str(&format!("exit: {}\n", l.config_test_exit_code()));
    s
}

fn golden(dir: &str) -> usize {
    let bless = std::env::var_os("BLESS").is_some();
    let mut failures = Vec::new();
    let files = fixtures(dir);
    for f in &files {
        let got = report(f);
        let exp_path = f.with_extension("expected");
        if bless {
            std::fs::write(&exp_path, &got).unwrap();
            continue;
        }
        let want = std::fs::read_to_string(&exp_path).unwrap_or_default();
        if got != want {
            failures.push(format!(
                "{}:\n--- expected\n{want}--- got\n{got}",
                f.display()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    files.len()
}

#[test]
fn seed_configs_give_keepalived_warnings() {
    assert_eq!(golden("seed"), 10);
}

#[test]
fn broken_configs_give_exact_diagnostics() {
    let n = golden("broken");
    assert!(n >= 40, "only {n} broken fixtures");
    // Each broken fixture must say something that changes the exit code, except the one
    // that shows an unsupported keyword is only a warning.
    for f in fixtures("broken") {
        let l = load(&f, &opts());
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        if name.contains("unsupported") {
            assert_eq!(l.config_test_exit_code(), 0, "{name}");
            assert_eq!(l.count(|s| s == Severity::Unsupported), 1, "{name}");
        } else if name == "14-missing-include.conf" {
            // A plain include of a file that is not there is only logged (keepalived
            // 2.2.7 exits 0); includea makes it an error with exit code 6.
            assert_eq!(l.config_test_exit_code(), 0, "{name}");
        } else {
            assert!(
                l.config_test_exit_code() >= 5,
                "{name} exits {}",
                l.config_test_exit_code()
            );
        }
    }
}

#[test]
fn valid_configs_are_clean() {
    golden("valid");
    for f in fixtures("valid") {
        let l = load(&f, &opts());
        assert_eq!(
            l.config_test_exit_code(),
            0,
            "{}: {:#?}",
            f.display(),
            l.short()
        );
    }
}

#[test]
fn dump_round_trips_for_every_fixture() {
    for dir in ["seed", "broken", "valid", "fuzz"] {
        for f in fixtures(dir) {
            let first = load(&f, &opts());
            let text = dump::dump(&first.config);
            let second = parse_str("dump.conf", &text, &opts());
            assert_eq!(
                second.config,
                first.config,
                "{}: the dump does not parse back to the same configuration\n{text}",
                f.display()
            );
            // The dump is canonical: dumping it again gives the same text, with nothing to
            // say beyond interfaces and VIP counts that were already reported.
            assert_eq!(dump::dump(&second.config), text, "{}", f.display());
            let errors: Vec<String> = second
                .diagnostics
                .iter()
                .filter(|d| d.severity == Severity::Error)
                .map(|d| d.short(&second.sources))
                .collect();
            assert!(
                errors.is_empty(),
                "{}: dump has errors {errors:#?}\n{text}",
                f.display()
            );
        }
    }
}

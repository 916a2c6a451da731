//! `Options::free_as_read` (what `-t` uses) changes when the tree's memory goes, never
//! what is read: the same model and the same diagnostics for every fixture.

use std::path::Path;

use ka_config::{dump::dump, load, Options};

#[test]
fn the_same_model_and_diagnostics_either_way() {
    let mut seen = 0;
    for dir in ["valid", "broken"] {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(dir);
        for e in std::fs::read_dir(&dir).unwrap() {
            let path = e.unwrap().path();
            if path.extension().is_none_or(|x| x != "conf") {
                continue;
            }
            let keep = Options::default();
            let free = Options {
                free_as_read: true,
                ..Options::default()
            };
            let (a, b) = (load(&path, &keep), load(&path, &free));
            assert_eq!(dump(&a.config), dump(&b.config), "{}", path.display());
            assert_eq!(a.short(), b.short(), "{}", path.display());
            seen += 1;
        }
    }
    assert!(seen > 20, "only {seen} fixtures");
}

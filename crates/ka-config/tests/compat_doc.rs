//! docs/COMPATIBILITY.md must name every keyword the parser knows.
use ka_config::{lvs, validate};

#[test]
fn every_known_keyword_is_documented() {
    let doc = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/COMPATIBILITY.md"
    ))
    .unwrap();
    let lists: &[&[&str]] = &[
        validate::TOP_KEYWORDS,
        validate::TOP_UNSUPPORTED,
        validate::GLOBAL_KEYWORDS,
        validate::PROCESS_KEYWORDS,
        validate::GLOBAL_UNSUPPORTED,
        validate::INSTANCE_KEYWORDS,
        validate::INSTANCE_UNSUPPORTED,
        lvs::VS_KEYWORDS,
        lvs::VS_UNSUPPORTED,
    ];
    let missing: Vec<&str> = lists
        .iter()
        .flat_map(|l| l.iter())
        .copied()
        .filter(|k| !doc.contains(&format!("`{k}`")))
        .collect();
    assert!(
        missing.is_empty(),
        "not in docs/COMPATIBILITY.md: {missing:?}"
    );
}

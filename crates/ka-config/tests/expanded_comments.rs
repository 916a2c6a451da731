//! keepalived's built-in parameters `${_HASH}` and `${_BANG}`: a line that starts with one
//! after expansion is a comment (as keepalived 2.2.7 reads it); inside a value they stand
//! for the character.

use ka_config::{parse_str, Options};

#[test]
fn a_line_that_expands_to_a_comment_is_one() {
    let text = "${_HASH} vrrp_instance commented {\nglobal_defs {\n    ${_BANG} router_id foo\n  ${_HASH}\n    router_id bar\n}\n";
    let l = parse_str("h.conf", text, &Options::default());
    assert!(l.diagnostics.is_empty(), "{:?}", l.short());
    assert_eq!(l.config.global.router_id.as_deref(), Some("bar"));
    assert!(l.config.instances.is_empty());
    let l = parse_str(
        "h.conf",
        "global_defs {\n    router_id \"a${_HASH}b${_BANG}\"\n}\n",
        &Options::default(),
    );
    assert_eq!(l.config.global.router_id.as_deref(), Some("a#b!"));
}

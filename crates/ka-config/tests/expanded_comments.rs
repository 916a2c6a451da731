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

#[test]
fn env_reads_the_environment() {
    // keepalived 2.4.0's ${_ENV NAME}: the variable's value, empty when unset; any other
    // number of parameters is an error and the text stays as it is.
    std::env::set_var("KA_RS_TEST_ROUTER", "node-7");
    std::env::remove_var("KA_RS_TEST_UNSET");
    let l = parse_str(
        "e.conf",
        "global_defs {\n    router_id ${_ENV KA_RS_TEST_ROUTER}\n    notification_email_from a${_ENV KA_RS_TEST_UNSET}b@example.org\n}\n",
        &Options::default(),
    );
    assert!(l.diagnostics.is_empty(), "{:?}", l.short());
    assert_eq!(l.config.global.router_id.as_deref(), Some("node-7"));
    assert_eq!(
        l.config.global.notification_email_from.as_deref(),
        Some("ab@example.org")
    );
    let l = parse_str(
        "e.conf",
        "global_defs {\n    router_id ${_ENV A B}\n}\n",
        &Options::default(),
    );
    let e = l
        .diagnostics
        .iter()
        .find(|d| d.message == "Definition _ENV requires between 1 and 1 parameters, 2 specified.")
        .expect("the _ENV error");
    assert_eq!(e.pos.line, 2);
}

#[test]
fn random_seed_makes_a_reload_read_the_same_randoms() {
    // keepalived: random_seed seeds ${_RANDOM} for the next read of the files, so two
    // reloads of the same text give the same values whatever the first read's seed.
    let text = "global_defs {\n    random_seed 7\n    router_id r${_RANDOM 1 1000000}\n}\n";
    let first = |seed: u64| {
        let o = Options {
            random_seed: seed,
            ..Options::default()
        };
        parse_str("r.conf", text, &o)
    };
    let (a, b) = (first(11), first(12));
    assert!(a.diagnostics.is_empty(), "{:?}", a.short());
    assert_eq!(a.config.global.random_seed, Some(7));
    assert_ne!(
        a.config.global.router_id, b.config.global.router_id,
        "first reads differ"
    );
    let reload = |base: u64, running: &ka_config::Config| {
        let o = Options {
            random_seed: base,
            ..Options::default()
        };
        parse_str("r.conf", text, &o.with_seed(running.global.random_seed))
    };
    assert_eq!(
        reload(11, &a.config).config.global.router_id,
        reload(12, &b.config).config.global.router_id,
        "reloads agree"
    );
    // Out of range: keepalived's words, no seed.
    let l = parse_str(
        "r.conf",
        "global_defs {\n    random_seed -1\n}\n",
        &Options::default(),
    );
    assert_eq!(l.diagnostics[0].message, "random_seed -1 invalid");
    assert_eq!(l.config.global.random_seed, None);
}

//! keepalived 2.2.7's include checks (parser.c): what a missing include is called, when it
//! is an error (the include variant's checks, global_defs' include_check from its line on,
//! `-e`), and exit code 6 when it is.

use std::path::Path;

use ka_config::fs::MemFs;
use ka_config::{load_with, Options, Severity};

const VI: &str = "vrrp_instance VI_1 {\n    interface eth0\n    virtual_router_id 51\n    virtual_ipaddress {\n        192.0.2.1\n    }\n}\n";

fn run(main: &str, opts: &Options) -> (i32, Vec<(u32, Severity, String)>) {
    let fs = MemFs::default()
        .with("/k/main.conf", &format!("{main}{VI}"))
        .with("/k/conf.d/a.conf", "! a\n");
    let l = load_with(&fs, Path::new("/k/main.conf"), opts);
    let d = l
        .diagnostics
        .iter()
        .filter(|d| !d.message.contains("eth0"))
        .map(|d| (d.pos.line, d.severity, d.message.clone()))
        .collect();
    (l.config_test_exit_code(), d)
}

#[test]
fn what_keepalived_calls_each_miss() {
    let o = Options::default();
    // Without checks: logged, exit code untouched.
    let (_, d) = run("include /k/missing.conf\n", &o);
    assert_eq!(
        d,
        vec![(
            1,
            Severity::Note,
            "Config files missing '/k/missing.conf'.".into()
        )]
    );
    // A wildcard that matches nothing in a directory that exists: not even logged.
    let (_, d) = run("include /k/conf.d/*.none\n", &o);
    assert!(d.is_empty(), "{d:?}");
    // ... in a directory that does not exist: missing.
    let (_, d) = run("include /k/nodir/*.conf\n", &o);
    assert_eq!(d[0].2, "Config files missing '/k/nodir/*.conf'.");
    // Brace alternatives with one missing: "Some config files missing".
    let (_, d) = run("include /k/conf.d/{a,b}.conf\n", &o);
    assert_eq!(
        d[0].2,
        "Some config files missing: \"/k/conf.d/{a,b}.conf\"."
    );
}

#[test]
fn the_variants_and_include_check_make_them_errors() {
    let o = Options::default();
    let errors = |r: &(i32, Vec<(u32, Severity, String)>)| {
        r.1.iter()
            .filter(|x| x.1 == Severity::Error)
            .map(|x| x.0)
            .collect::<Vec<_>>()
    };
    let r = run("includea /k/missing.conf\n", &o);
    assert_eq!((r.0, errors(&r)), (6, vec![1]));
    // includem: a missing name, not a wildcard that matches nothing.
    let r = run("includem /k/conf.d/*.none\nincludem /k/missing.conf\n", &o);
    assert_eq!((r.0, errors(&r)), (6, vec![2]));
    let r = run("includew /k/conf.d/*.none\n", &o);
    assert_eq!((r.0, errors(&r)), (6, vec![1]));
    // include_check in global_defs: from its line on, set, added to and taken from.
    let r = run(
        "include /k/m1.conf\nglobal_defs {\n    include_check match\n}\ninclude /k/m2.conf\ninclude /k/conf.d/*.none\nglobal_defs {\n    include_check -match +wildcard_match\n}\ninclude /k/m3.conf\ninclude /k/conf.d/*.none\n",
        &o,
    );
    assert_eq!((r.0, errors(&r)), (6, vec![5, 11]));
    // With no word: every check.
    let r = run(
        "global_defs {\n    include_check\n}\ninclude /k/conf.d/*.none\n",
        &o,
    );
    assert_eq!(errors(&r), vec![4]);
    // Outside global_defs it is an unknown keyword and checks nothing.
    let r = run("include_check\ninclude /k/missing.conf\n", &o);
    assert!(errors(&r).is_empty(), "{r:?}");
    // keepalived's errors for its words.
    let r = run("global_defs {\n    include_check read match bogus\n}\n", &o);
    let msgs: Vec<&str> = r.1.iter().map(|x| x.2.as_str()).collect();
    assert!(
        msgs.contains(&"Duplicate include_check 'match' specified - ignoring"),
        "{msgs:?}"
    );
    assert!(
        msgs.contains(&"Duplicate include_check 'bogus' specified - ignoring"),
        "{msgs:?}"
    );
    let r = run("global_defs {\n    include_check +bogus\n}\n", &o);
    assert!(r
        .1
        .iter()
        .any(|x| x.2 == "Unknown include_check type 'bogus' - ignoring"));
    // -e: every include checked.
    let e = Options {
        all_config: true,
        ..Options::default()
    };
    let r = run("include /k/conf.d/*.none\n", &e);
    assert_eq!((r.0, errors(&r)), (6, vec![1]));
}

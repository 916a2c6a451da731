//! keepalived's url regex parameters (check_http.c): options, offsets and JIT stack, read
//! and checked as keepalived 2.2.7 reads them.

use ka_config::{dump, parse_str, Options};

fn url(body: &str) -> (ka_config::model::Url, Vec<String>) {
    let text = format!(
        "virtual_server 192.0.2.1 80 {{\n    protocol TCP\n    lb_algo rr\n    lb_kind NAT\n    real_server 192.0.2.2 80 {{\n        HTTP_GET {{\n            url {{\n                path /\n{body}\n            }}\n        }}\n    }}\n}}\n"
    );
    let l = parse_str("u.conf", &text, &Options::default());
    let again = parse_str("d.conf", &dump::dump(&l.config), &Options::default());
    assert_eq!(again.config, l.config, "{}", dump::dump(&l.config));
    let ka_config::model::CheckKind::Http(h) =
        &l.config.virtual_servers[0].real_servers[0].checkers[0].kind
    else {
        panic!("not an HTTP_GET");
    };
    (
        h.urls[0].clone(),
        l.diagnostics.iter().map(|d| d.message.clone()).collect(),
    )
}

#[test]
fn options_offsets_and_stack_are_kept() {
    let (u, d) = url("regex \"ok\"\nregex_options caseless multiline\nregex_min_offset 3\nregex_max_offset 40\nregex_stack 32768 65536");
    assert!(d.is_empty(), "{d:?}");
    assert_eq!(u.regex_options, ["caseless", "multiline"]);
    assert_eq!((u.regex_min_offset, u.regex_max_offset), (3, Some(40)));
    assert_eq!(u.regex_stack, Some((32768, 65536)));
    let re = u.compile_regex().unwrap().unwrap();
    assert!(u.regex_match(&re, b"abcOK").is_some());
    assert!(u.regex_match(&re, b"OK").is_none());
}

#[test]
fn keepalived_checks() {
    // Without a regex, the parameters are dropped with keepalived's message.
    let (u, d) = url("regex_options caseless\nregex_min_offset 3");
    assert!(u.regex_options.is_empty() && u.regex_min_offset == 0);
    assert!(
        d.iter()
            .any(|m| m.starts_with("regex parameters specified without regex")),
        "{d:?}"
    );
    // min above max: both dropped.
    let (u, d) = url("regex ok\nregex_min_offset 9\nregex_max_offset 3");
    assert_eq!((u.regex_min_offset, u.regex_max_offset), (0, None));
    assert!(
        d.iter()
            .any(|m| m.starts_with("regex min offset 9 > regex_max_offset 3")),
        "{d:?}"
    );
    // A number keepalived cannot read is 0.
    let (u, d) = url("regex ok\nregex_min_offset 3x");
    assert_eq!(u.regex_min_offset, 0);
    assert!(
        d.iter()
            .any(|m| m.starts_with("invalid regex_min_offset '3x'")),
        "{d:?}"
    );
    // regex_stack: start above max is refused.
    let (u, d) = url("regex ok\nregex_stack 9 3");
    assert_eq!(u.regex_stack, None);
    assert!(
        d.iter()
            .any(|m| m.starts_with("regex stack start cannot exceed max value")),
        "{d:?}"
    );
    // An option name keepalived does not know: ignored (with a warning here).
    let (u, d) = url("regex ok\nregex_options nosuch caseless");
    assert_eq!(u.regex_options, ["nosuch", "caseless"]);
    assert!(
        d.iter()
            .any(|m| m == "unknown regex option 'nosuch'; ignored"),
        "{d:?}"
    );
    // One that changes PCRE2's syntax with no counterpart: said so.
    let (_, d) = url("regex ok\nregex_options alt_bsux");
    assert!(
        d.iter()
            .any(|m| m.starts_with("regex option 'alt_bsux' changes PCRE2's pattern syntax")),
        "{d:?}"
    );
    // One that only tunes PCRE2: no word.
    let (_, d) = url("regex ok\nregex_options no_start_optimize no_auto_capture");
    assert!(d.is_empty(), "{d:?}");
}

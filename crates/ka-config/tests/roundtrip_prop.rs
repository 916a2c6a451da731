//! Property tests: generated valid configurations (in varied layouts) satisfy
//! `parse(dump(parse(x))) == parse(x)`, and no input makes the parser panic.

use ka_config::{dump, parse_str, Options, Severity};
use proptest::prelude::*;

fn opts() -> Options {
    Options {
        config_id: "node1".into(),
        ..Options::default()
    }
}

/// How blocks are opened: `{` on the keyword line, or on a line of its own.
fn open(head: &str, own_line: bool) -> String {
    if own_line {
        format!("{head}\n{{\n")
    } else {
        format!("{head} {{\n")
    }
}

fn word() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9_.-]{0,8}"
}

fn arg() -> impl Strategy<Value = String> {
    prop_oneof![
        word(),
        "[a-z ]{1,8}",
        "[a-z]{1,4}'[a-z]{1,4}",
        "[a-z]{1,3}\"[a-z]{1,3}",
        "tab\t[a-z]{1,3}"
    ]
}

/// A script command: program and arguments, quoted shell-style.
fn command() -> impl Strategy<Value = String> {
    (word(), prop::collection::vec(arg(), 0..3)).prop_map(|(p, args)| {
        let mut argv = vec![format!("/usr/bin/{p}")];
        argv.extend(args);
        format!("\"{}\"", ka_config::shell::join(&argv))
    })
}

#[derive(Debug, Clone)]
struct Inst {
    vrid: u8,
    prio: u8,
    master: Option<bool>,
    advert: u8,
    v3: bool,
    pass: Option<String>,
    vips: Vec<(u8, u8, u8)>,
    nopreempt: bool,
    notify: Option<String>,
    track: bool,
    garp_delay: Option<u8>,
}

fn inst() -> impl Strategy<Value = Inst> {
    (
        1u8..=255,
        1u8..=255,
        prop::option::of(any::<bool>()),
        1u8..=10,
        any::<bool>(),
        prop::option::of("[A-Za-z0-9]{1,12}"),
        prop::collection::vec((0u8..=255, 0u8..=255, 8u8..=32), 0..4),
        any::<bool>(),
        prop::option::of(command()),
        any::<bool>(),
        prop::option::of(0u8..=30),
    )
        .prop_map(
            |(vrid, prio, master, advert, v3, pass, vips, nopreempt, notify, track, garp_delay)| {
                Inst {
                    vrid,
                    prio,
                    master,
                    advert,
                    v3,
                    pass,
                    vips,
                    nopreempt,
                    notify,
                    track,
                    garp_delay,
                }
            },
        )
}

#[derive(Debug, Clone)]
struct Vs {
    port: u16,
    algo: &'static str,
    kind: &'static str,
    delay_loop: Option<u8>,
    connect_timeout: Option<u8>,
    persistence: Option<u16>,
    rs: Vec<(u8, u16, u16, u8, Option<u8>)>,
}

fn vs() -> impl Strategy<Value = Vs> {
    (
        1u16..=65535,
        prop::sample::select(vec!["rr", "wrr", "lc", "wlc", "sh"]),
        prop::sample::select(vec!["NAT", "DR", "TUN"]),
        prop::option::of(1u8..=60),
        prop::option::of(1u8..=10),
        prop::option::of(1u16..=3600),
        prop::collection::vec(
            (
                1u8..=254,
                1u16..=65535,
                0u16..=100,
                0u8..=5,
                prop::option::of(0u8..=5),
            ),
            0..4,
        ),
    )
        .prop_map(
            |(port, algo, kind, delay_loop, connect_timeout, persistence, rs)| Vs {
                port,
                algo,
                kind,
                delay_loop,
                connect_timeout,
                persistence,
                rs,
            },
        )
}

fn render(insts: &[Inst], vss: &[Vs], own_line: bool, script_weight: i8) -> String {
    let mut s = String::new();
    s.push_str("! generated\n");
    s.push_str(&open("global_defs", own_line));
    s.push_str("    router_id gen # trailing comment\n}\n");
    s.push_str(&open("vrrp_script chk", own_line));
    s.push_str(&format!(
        "    script \"/bin/true\"\n    weight {script_weight}\n}}\n"
    ));
    for (n, i) in insts.iter().enumerate() {
        s.push_str(&open(&format!("vrrp_instance VI_{n}"), own_line));
        s.push_str("    interface eth0\n");
        s.push_str(&format!("    virtual_router_id {}\n", i.vrid));
        s.push_str(&format!("    priority {}\n", i.prio));
        match i.master {
            Some(true) => s.push_str("    state MASTER\n"),
            Some(false) => s.push_str("    state BACKUP\n"),
            None => {}
        }
        if i.v3 {
            s.push_str(&format!(
                "    version 3\n    advert_int 0.{:02}\n",
                i.advert
            ));
        } else {
            s.push_str(&format!("    advert_int {}\n", i.advert));
        }
        if let Some(p) = &i.pass {
            s.push_str(&format!(
                "    authentication {{\n        auth_type PASS\n        auth_pass {p}\n    }}\n"
            ));
        }
        if !i.vips.is_empty() {
            s.push_str(&open("    virtual_ipaddress", own_line));
            for (a, b, len) in &i.vips {
                s.push_str(&format!("        10.{a}.{b}.1/{len}\n"));
            }
            s.push_str("    }\n");
        }
        if i.nopreempt {
            s.push_str("    nopreempt\n");
        }
        if let Some(c) = &i.notify {
            s.push_str(&format!("    notify_master {c}\n"));
        }
        if i.track {
            s.push_str("    track_script {\n        chk weight 5\n    }\n");
        }
        if let Some(d) = i.garp_delay {
            s.push_str(&format!("    garp_master_delay {d}\n"));
        }
        s.push_str("}\n");
    }
    for (n, v) in vss.iter().enumerate() {
        s.push_str(&open(
            &format!("virtual_server 192.168.{}.1 {}", n % 250, v.port),
            own_line,
        ));
        s.push_str(&format!(
            "    protocol TCP\n    lb_algo {}\n    lb_kind {}\n",
            v.algo, v.kind
        ));
        if let Some(d) = v.delay_loop {
            s.push_str(&format!("    delay_loop {d}\n"));
        }
        if let Some(c) = v.connect_timeout {
            s.push_str(&format!("    connect_timeout {c}\n"));
        }
        if let Some(p) = v.persistence {
            s.push_str(&format!("    persistence_timeout {p}\n"));
        }
        for (host, port, weight, kind, retry) in &v.rs {
            s.push_str(&format!(
                "    real_server 192.168.200.{host} {port} {{\n        weight {weight}\n"
            ));
            let check = match kind {
                0 => "TCP_CHECK {\n".to_string(),
                1 => "HTTP_GET {\n            url {\n                path /\n                status_code 200-299\n            }\n".into(),
                2 => "MISC_CHECK {\n            misc_path \"/bin/true x\"\n".into(),
                3 => "SMTP_CHECK {\n".into(),
                4 => "DNS_CHECK {\n            type A\n".into(),
                _ => "PING_CHECK {\n".into(),
            };
            s.push_str(&format!("        {check}"));
            if let Some(r) = retry {
                s.push_str(&format!("            retry {r}\n"));
            }
            s.push_str("        }\n    }\n");
        }
        s.push_str("}\n");
    }
    s
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn generated_configs_round_trip(
        insts in prop::collection::vec(inst(), 0..5),
        vss in prop::collection::vec(vs(), 0..4),
        own_line in any::<bool>(),
        weight in -50i8..=50,
    ) {
        let text = render(&insts, &vss, own_line, weight);
        let first = parse_str("gen.conf", &text, &opts());
        let syntax: Vec<_> = first.diagnostics.iter()
            .filter(|d| d.severity == Severity::Error && d.message.contains('{'))
            .collect();
        prop_assert!(syntax.is_empty(), "{:?}\n{}", syntax, text);
        let dumped = dump::dump(&first.config);
        let second = parse_str("dump.conf", &dumped, &opts());
        prop_assert_eq!(&second.config, &first.config, "{}\n---\n{}", text, dumped);
        prop_assert_eq!(dump::dump(&second.config), dumped);
    }

    #[test]
    fn fast_tokenizer_cuts_as_the_grammar(line in "[a-z0-9 {}\t\r\x0B\x0C/._:@~$!#éü-]{0,60}") {
        let fast: Vec<_> = ka_config::preprocess::simple_tokens(&line)
            .map(|(at, text, kind)| (at, text.to_string(), kind))
            .collect();
        let slow = ka_config::preprocess::grammar_tokens(&line).expect("no quotes, so no error");
        prop_assert_eq!(fast, slow);
    }

    #[test]
    fn any_text_parses_without_panic(text in "(?s).{0,400}") {
        let l = parse_str("any.conf", &text, &opts());
        let _ = dump::dump(&l.config);
    }

    #[test]
    fn keyword_soup_parses_without_panic(
        words in prop::collection::vec(prop::sample::select(vec![
            "vrrp_instance", "virtual_server", "real_server", "{", "}", "\n", "TCP_CHECK", "HTTP_GET",
            "url", "path", "/", "interface", "eth0", "virtual_router_id", "1", "300", "priority",
            "virtual_ipaddress", "10.0.0.1/24", "\"", "'", "\\", "$A=", "${A}", "$A", "@node1", "@^x",
            "~SEQ(i,1,3)", "~LST(a,1,2)", "include", "*.conf", "!", "#", "track_script", "chk",
            "vrrp_script", "script", "notify", "authentication", "auth_type", "PASS", "auth_pass",
            "virtual_server_group", "group", "fwmark", "vrrp_sync_group", "10.0.0.1-5", "80",
        ]), 0..80),
    ) {
        let text = words.join(" ");
        let l = parse_str("soup.conf", &text, &opts());
        let dumped = dump::dump(&l.config);
        let again = parse_str("dump.conf", &dumped, &opts());
        prop_assert_eq!(&again.config, &l.config, "{}\n---\n{}", text, dumped);
    }
}

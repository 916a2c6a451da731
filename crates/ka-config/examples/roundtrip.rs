//! Checks `parse(dump(parse(x))) == parse(x)` for one file and shows the first difference
//! (used to minimise fuzzer findings): `cargo run -p ka-config --example roundtrip FILE`.
use ka_config::{dump, load, parse_str, Options};

fn main() {
    let path = std::env::args().nth(1).expect("usage: roundtrip FILE");
    let opts = Options {
        config_id: "node1".into(),
        ..Options::default()
    };
    let a = load(std::path::Path::new(&path), &opts);
    let text = dump::dump(&a.config);
    let b = parse_str("dump.conf", &text, &opts);
    if a.config == b.config {
        println!("round trip ok");
        return;
    }
    let x = format!("{:#?}", a.config);
    let y = format!("{:#?}", b.config);
    for (i, (l, r)) in x.lines().zip(y.lines()).enumerate() {
        if l != r {
            println!("first difference at line {i}:\n  parsed: {l}\n  dumped: {r}");
            break;
        }
    }
    for d in b.short() {
        println!("dump diag: {d}");
    }
    std::process::exit(1);
}

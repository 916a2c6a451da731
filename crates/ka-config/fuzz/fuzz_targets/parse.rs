//! Any bytes as keepalived.conf, with an include tree in memory: the parser must return
//! diagnostics, never panic or hang, and its dump must parse back to the same model.
#![no_main]

use std::path::Path;

use ka_config::fs::MemFs;
use ka_config::{dump, load_with, parse_str, Options};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let opts = Options { config_id: "node1".into(), ..Options::default() };
    // The input is the main file and, split at its first NUL, an included file that may
    // include the main file again (recursion) or itself.
    let (main, inc) = match text.split_once('\0') {
        Some((a, b)) => (a.to_string(), b.to_string()),
        None => (text.to_string(), "include /etc/k/main.conf\n".to_string()),
    };
    let fs = MemFs::default().with("/etc/k/main.conf", &main).with("/etc/k/conf.d/a.conf", &inc);
    let loaded = load_with(&fs, Path::new("/etc/k/main.conf"), &opts);
    let dumped = dump::dump(&loaded.config);
    let again = parse_str("dump.conf", &dumped, &opts);
    assert_eq!(again.config, loaded.config, "dump does not round-trip:\n{dumped}");
});

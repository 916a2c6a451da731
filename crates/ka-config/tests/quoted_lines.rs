//! The preprocessor streams files and keeps none; the lines diagnostics quote are read
//! again once they are known, and only if the file is still what was read.

use std::io;
use std::path::{Path, PathBuf};

use ka_config::fs::{FileSource, MemFs};
use ka_config::{load_with, Options};

const CONF: &str =
    "vrrp_instance VI_1 {\r\n    interface eth0\n    virtual_router_id 999\n    priority 100\n}\n";

fn rendered(fs: &dyn FileSource) -> String {
    let l = load_with(fs, Path::new("/k.conf"), &Options::default());
    let mut out = String::new();
    for d in &l.diagnostics {
        out.push_str(&d.render(&l.sources).to_string());
    }
    out
}

#[test]
fn a_diagnostic_quotes_its_line() {
    let fs = MemFs::default().with("/k.conf", CONF);
    let out = rendered(&fs);
    assert!(out.contains("--> /k.conf:3:"), "{out}");
    assert!(out.contains("3 |     virtual_router_id 999\n"), "{out}");
}

/// What `open` gives is not what `read` gives: the file changed between the two.
struct Changed(MemFs, String);

impl FileSource for Changed {
    fn read(&self, _: &Path) -> io::Result<String> {
        Ok(self.1.clone())
    }
    fn open(&self, path: &Path) -> io::Result<Box<dyn io::BufRead + '_>> {
        self.0.open(path)
    }
    fn glob(&self, p: &str) -> Result<Vec<PathBuf>, glob::PatternError> {
        self.0.glob(p)
    }
    fn is_dir(&self, path: &Path) -> bool {
        self.0.is_dir(path)
    }
}

#[test]
fn a_file_changed_since_it_was_read_is_not_quoted() {
    let fs = Changed(
        MemFs::default().with("/k.conf", CONF),
        CONF.replace("999", "998"),
    );
    let out = rendered(&fs);
    assert!(out.contains("--> /k.conf:3:"), "{out}");
    assert!(
        !out.contains(" | "),
        "quoted a line of a changed file: {out}"
    );
    // The same text again is quoted.
    let fs = Changed(MemFs::default().with("/k.conf", CONF), CONF.to_string());
    assert!(rendered(&fs).contains("3 |     virtual_router_id 999\n"));
}

#[test]
fn invalid_utf8_and_crlf_on_disk_are_quoted() {
    let dir = std::env::temp_dir().join(format!("ka-quoted-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("k.conf");
    let mut bytes = b"# caf\xe9 \xe2\x82\r\n".to_vec();
    bytes.extend_from_slice(CONF.replace('\n', "\r\n").as_bytes());
    std::fs::write(&path, &bytes).unwrap();
    let l = load_with(&ka_config::fs::RealFs, &path, &Options::default());
    std::fs::remove_dir_all(&dir).unwrap();
    let out: String = l
        .diagnostics
        .iter()
        .map(|d| d.render(&l.sources).to_string())
        .collect();
    assert!(out.contains(":4:"), "{out}");
    assert!(out.contains("4 |     virtual_router_id 999\n"), "{out}");
}

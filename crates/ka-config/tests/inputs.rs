//! A load's inputs on the real filesystem: the same files and the same answers from the
//! system are "unchanged"; a changed text, a new file an include matches, a script made
//! writable by others or a key file changed are not; what a directory's contents do to
//! its times is not a change.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use ka_config::fs::RealFs;
use ka_config::Options;

/// A directory of its own, removed however the test ends.
struct Dir(PathBuf);

impl Dir {
    fn new(name: &str) -> Dir {
        let d = std::env::temp_dir().join(format!("ka-inputs-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(d.join("conf.d")).unwrap();
        std::fs::create_dir_all(d.join("saved")).unwrap();
        Dir(d)
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.0.join(rel)
    }

    fn write(&self, rel: &str, text: &str) {
        std::fs::write(self.path(rel), text).unwrap();
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn chmod(p: &Path, mode: u32) {
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn main_conf(d: &Dir) -> String {
    format!(
        "global_defs {{
    config_save_dir {saved}
    enable_script_security
    script_user root
}}
vrrp_script chk {{
    script \"{script}\"
}}
vrrp_instance VI_1 {{
    interface eth0
    virtual_router_id 51
    priority 100
    authentication {{
        auth_type PASS
        auth_pass secret
    }}
    track_script {{
        chk
    }}
    virtual_ipaddress {{
        10.0.0.1/24
    }}
}}
include {confd}/*.conf
",
        saved = d.path("saved").display(),
        script = d.path("check.sh").display(),
        confd = d.path("conf.d").display(),
    )
}

#[test]
fn unchanged_only_when_every_input_answers_the_same() {
    let d = Dir::new("answers");
    chmod(&d.0, 0o755);
    d.write("check.sh", "#!/bin/sh\nexit 0\n");
    chmod(&d.path("check.sh"), 0o755);
    d.write("keepalived.conf", &main_conf(&d));
    d.write("conf.d/a.conf", "vrrp_instance VI_2 {\n    interface eth0\n    virtual_router_id 52\n    priority 100\n    virtual_ipaddress {\n        10.0.0.2/24\n    }\n}\n");
    let opts = Options {
        check_scripts: true,
        ..Options::default()
    };
    let load = || ka_config::load(&d.path("keepalived.conf"), &opts);
    let first = load();
    let said: Vec<String> = first
        .diagnostics
        .iter()
        .map(|x| x.short(&first.sources))
        .collect();
    assert_eq!(first.errors(), 0, "{said:?}");
    let inputs = first.inputs;
    assert!(inputs.unchanged(&RealFs), "nothing changed");

    // The same text written again; a file made in config_save_dir.
    d.write("keepalived.conf", &main_conf(&d));
    d.write("saved/keepalived_vrrp.1.1.post", "dump\n");
    assert!(
        inputs.unchanged(&RealFs),
        "same text, a dump written: unchanged"
    );

    // A comment added: the text differs (the configuration would not, but the files are
    // what is compared).
    d.write("keepalived.conf", &(main_conf(&d) + "# a comment\n"));
    assert!(!inputs.unchanged(&RealFs), "a comment added");
    d.write("keepalived.conf", &main_conf(&d));
    assert!(inputs.unchanged(&RealFs), "back as it was");

    // An included file changed, one more matched by the pattern.
    d.write("conf.d/a.conf", "# emptied\n");
    assert!(!inputs.unchanged(&RealFs), "an included file changed");
    d.write("conf.d/a.conf", "vrrp_instance VI_2 {\n    interface eth0\n    virtual_router_id 52\n    priority 100\n    virtual_ipaddress {\n        10.0.0.2/24\n    }\n}\n");
    assert!(inputs.unchanged(&RealFs));
    d.write("conf.d/b.conf", "\n");
    assert!(
        !inputs.unchanged(&RealFs),
        "the include pattern matches a new file"
    );
    std::fs::remove_file(d.path("conf.d/b.conf")).unwrap();
    assert!(inputs.unchanged(&RealFs));

    // The tracked script made writable by others: the security check would say otherwise.
    chmod(&d.path("check.sh"), 0o757);
    assert!(
        !inputs.unchanged(&RealFs),
        "the script is writable by others"
    );
    chmod(&d.path("check.sh"), 0o755);
    assert!(inputs.unchanged(&RealFs));

    // The main file gone.
    std::fs::rename(d.path("keepalived.conf"), d.path("moved.conf")).unwrap();
    assert!(!inputs.unchanged(&RealFs), "the main file is gone");
}

#[test]
fn a_missing_include_that_appears_is_a_change() {
    let d = Dir::new("missing");
    d.write(
        "keepalived.conf",
        &format!("include {}\n", d.path("later.conf").display()),
    );
    let first = ka_config::load(&d.path("keepalived.conf"), &Options::default());
    assert!(first.inputs.unchanged(&RealFs));
    d.write("later.conf", "global_defs {\n}\n");
    assert!(
        !first.inputs.unchanged(&RealFs),
        "the include can be read now"
    );
}

//! iproute2's name files (keepalived lib/rttables.c): route and rule tables, route
//! protocols and DS fields, scopes and interface groups by name, from the files of
//! iproute_etc_dir and iproute_usr_dir (keepalived 2.3.2), their `.d` directories and
//! iproute2's built-in names.

use ka_config::{parse_str, Options};

fn dirs() -> (tempdir::Dir, tempdir::Dir) {
    let etc = tempdir::Dir::new("etc");
    let usr = tempdir::Dir::new("usr");
    etc.write(
        "rt_tables",
        "# tables\n100 mytable\n0x65\tother # hex\nbad line here\n",
    );
    etc.write("rt_tables.d/a.conf", "102 from_etc_d\n");
    usr.write("rt_tables", "103 shadowed_by_etc\n");
    usr.write("rt_tables.d/a.conf", "104 shadowed_d\n");
    usr.write("rt_tables.d/b.conf", "105 from_usr_d\n");
    usr.write("rt_protos", "99 mine\n");
    etc.write("group", "7 ops\n");
    etc.write("rt_scopes", "100 mysite\n");
    (etc, usr)
}

mod tempdir {
    use std::path::PathBuf;
    pub struct Dir(pub PathBuf);
    impl Dir {
        pub fn new(tag: &str) -> Dir {
            let p = std::env::temp_dir().join(format!(
                "ka-rs-names-{tag}-{}-{:?}",
                std::process::id(),
                std::thread::current().id()
            ));
            let _ = std::fs::remove_dir_all(&p);
            std::fs::create_dir_all(&p).unwrap();
            Dir(p)
        }
        pub fn write(&self, rel: &str, text: &str) {
            let f = self.0.join(rel);
            std::fs::create_dir_all(f.parent().unwrap()).unwrap();
            std::fs::write(f, text).unwrap();
        }
        pub fn path(&self) -> String {
            self.0.display().to_string()
        }
    }
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

#[test]
fn names_come_from_the_files_their_directories_and_iproute2() {
    let (etc, usr) = dirs();
    let text = format!(
        "global_defs {{\n    iproute_etc_dir {}\n    iproute_usr_dir {}\n}}\n\
vrrp_instance A {{\n    interface eth0\n    virtual_router_id 1\n    use_vmac group ops\n\
    virtual_ipaddress {{\n        192.0.2.1 scope mysite\n    }}\n    virtual_routes {{\n\
        10.1.0.0/16 dev eth0 table mytable protocol mine no_track\n        10.2.0.0/16 dev eth0 table other\n\
        10.3.0.0/16 dev eth0 table from_etc_d\n        10.4.0.0/16 dev eth0 table from_usr_d\n\
        10.5.0.0/16 dev eth0 table main protocol static no_track\n    }}\n    virtual_rules {{\n\
        from 10.1.0.0/16 table mytable priority 100\n    }}\n}}\n",
        etc.path(),
        usr.path()
    );
    let l = parse_str("n.conf", &text, &Options::default());
    assert!(l.diagnostics.is_empty(), "{:?}", l.short());
    let i = &l.config.instances[0];
    let tables: Vec<Option<u32>> = i.virtual_routes.iter().map(|r| r.table).collect();
    assert_eq!(
        tables,
        vec![Some(100), Some(101), Some(102), Some(105), Some(254)]
    );
    assert_eq!(i.virtual_routes[0].protocol, Some(99));
    assert_eq!(i.virtual_routes[4].protocol, Some(4));
    assert_eq!(i.virtual_rules[0].table, Some(100));
    assert_eq!(i.use_vmac.as_ref().unwrap().group, Some(7));
    assert_eq!(
        format!("{:?}", i.vips[0].scope),
        "Number(100)",
        "a scope named in rt_scopes"
    );
    assert_eq!(
        l.config.global.iproute_etc_dir.as_deref(),
        Some(etc.path().as_str())
    );
    // Through the dump and back (numbers by then).
    let again = parse_str(
        "d.conf",
        &ka_config::dump::dump(&l.config),
        &Options::default(),
    );
    assert_eq!(again.config, l.config);
}

#[test]
fn a_name_nowhere_is_an_error_at_its_word() {
    let (etc, usr) = dirs();
    let text = format!(
        "global_defs {{\n    iproute_etc_dir {}\n    iproute_usr_dir {}\n}}\n\
vrrp_instance A {{\n    interface eth0\n    virtual_router_id 1\n    use_vmac group nogroup\n\
    virtual_ipaddress {{\n        192.0.2.1\n    }}\n    virtual_routes {{\n\
        10.1.0.0/16 dev eth0 table shadowed_by_etc\n        10.2.0.0/16 dev eth0 table shadowed_d\n    }}\n}}\n",
        etc.path(),
        usr.path()
    );
    let l = parse_str("n.conf", &text, &Options::default());
    let m: Vec<(u32, String)> = l
        .diagnostics
        .iter()
        .map(|d| (d.pos.line, d.message.clone()))
        .collect();
    assert_eq!(m.len(), 3, "{m:?}");
    assert_eq!(m[0], (8, "VMAC group nogroup not found".to_string()));
    assert_eq!(m[1].0, 13);
    assert!(
        m[1].1.starts_with(
            "invalid table 'shadowed_by_etc': not a number up to 4294967295 nor a name in"
        ),
        "{m:?}"
    );
    assert_eq!(m[2].0, 14, "USR's a.conf is shadowed by ETC's");
    // A missing path.
    let l = parse_str(
        "n.conf",
        "global_defs {\n    iproute_usr_dir\n}\n",
        &Options::default(),
    );
    assert_eq!(l.diagnostics[0].message, "iproute_usr_dir requires path");
}

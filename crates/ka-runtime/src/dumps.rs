//! Where the SIGUSR1, SIGUSR2 and SIGJSON dumps go, and how they are written: to a hidden
//! temporary file in the same directory, then renamed over the dump, so that a reader
//! (an exporter polling /tmp/keepalived.json) sees the whole previous dump or the whole
//! new one, never half of one.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// keepalived's tmp_dir: $TMPDIR when it is an absolute path, else /tmp.
pub fn tmp_dir() -> PathBuf {
    match std::env::var("TMPDIR") {
        Ok(d) if d.starts_with('/') => PathBuf::from(d),
        _ => PathBuf::from("/tmp"),
    }
}

/// The data dump's path (keepalived 2.3.3 open_dump_file): `state_dump_file` absolute
/// names the directory and file (a trailing '/' only the directory), relative only the
/// file in tmp_dir; `suffix` ("", "_check") goes before the file's extension, as
/// keepalived names each process's file.
pub fn state_path(configured: Option<&str>, suffix: &str) -> PathBuf {
    let (dir, file) = split(configured, "keepalived.data");
    let (stem, ext) = match file.rfind('.') {
        Some(d) => file.split_at(d),
        None => (file.as_str(), ""),
    };
    dir.join(format!("{stem}{suffix}{ext}"))
}

/// A process's data dump (`suffix` "" or "_check"): `state_dump_file` as [`state_path`]
/// takes it; else, with `data_use_instance` and a namespace or an instance, keepalived
/// 2.2.7's `keepalived{suffix}.NAMESPACE_INSTANCE.data` in tmp_dir (open_dump_file).
pub fn data_path(g: &ka_config::model::GlobalDefs, suffix: &str) -> PathBuf {
    let tag: Vec<&str> = [g.net_namespace.as_deref(), g.instance.as_deref()]
        .into_iter()
        .flatten()
        .collect();
    if g.state_dump_file.is_none() && g.data_use_instance && !tag.is_empty() {
        return tmp_dir().join(format!("keepalived{suffix}.{}.data", tag.join("_")));
    }
    state_path(g.state_dump_file.as_deref(), suffix)
}

/// The stats or JSON dump's path: `stats_dump_file` / `json_dump_file` (keepalived 2.3.3
/// parses them; keepalived-rs uses them) by the same rules, else tmp_dir/`default`.
pub fn file_path(configured: Option<&str>, default: &str) -> PathBuf {
    let (dir, file) = split(configured, default);
    dir.join(file)
}

fn split(configured: Option<&str>, default: &str) -> (PathBuf, String) {
    let Some(c) = configured.filter(|c| !c.is_empty()) else {
        return (tmp_dir(), default.to_string());
    };
    let dir = if c.starts_with('/') {
        match c.rfind('/') {
            Some(0) => PathBuf::from("/"),
            Some(n) => PathBuf::from(&c[..n]),
            None => tmp_dir(),
        }
    } else {
        tmp_dir()
    };
    let file = match c.rsplit('/').next() {
        Some(f) if !f.is_empty() => f.to_string(),
        _ => default.to_string(),
    };
    (dir, file)
}

/// Writes `text` to `path` through a temporary file and a rename. The temporary file's
/// name starts with a dot, so that tools that remove `keepalived.json*` leave it alone.
pub fn write_atomic(path: &Path, text: &[u8]) -> io::Result<()> {
    write_with_mode(path, &[text], 0o644)
}

/// A status file for the control socket, made of `parts` one after the other, readable
/// by its owner only, written as [`write_atomic`] writes; a failure is logged.
pub fn write_status(path: &str, parts: &[&[u8]]) {
    if let Err(e) = write_private(Path::new(path), parts) {
        log::warn!("cannot write the status to {path}: {e}");
    }
}

/// `parts` one after the other to `path`, readable by its owner only, through a
/// temporary file and a rename.
pub fn write_private(path: &Path, parts: &[&[u8]]) -> io::Result<()> {
    write_with_mode(path, parts, 0o600)
}

fn write_with_mode(path: &Path, parts: &[&[u8]], mode: u32) -> io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let r = (|| {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(mode)
            .open(&tmp)?;
        // Many small parts: gathered into few writes.
        let mut w = io::BufWriter::with_capacity(1 << 20, &mut f);
        for p in parts {
            w.write_all(p)?;
        }
        w.flush()?;
        drop(w);
        std::fs::rename(&tmp, path)
    })();
    if r.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    r
}

/// Writes a dump, logging where it could not.
pub fn write(path: &Path, text: &str) {
    if let Err(e) = write_atomic(path, text.as_bytes()) {
        log::warn!("cannot write {}: {e}", path.display());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_as_keepalived() {
        let t = tmp_dir();
        assert_eq!(state_path(None, ""), t.join("keepalived.data"));
        assert_eq!(state_path(None, "_check"), t.join("keepalived_check.data"));
        assert_eq!(
            state_path(Some("/run/ka/state.txt"), "_check"),
            PathBuf::from("/run/ka/state_check.txt")
        );
        assert_eq!(
            state_path(Some("/run/ka/"), ""),
            PathBuf::from("/run/ka/keepalived.data")
        );
        assert_eq!(state_path(Some("mine"), ""), t.join("mine"));
        assert_eq!(
            file_path(Some("/var/lib/x.json"), "keepalived.json"),
            PathBuf::from("/var/lib/x.json")
        );
        assert_eq!(
            file_path(None, "keepalived.json"),
            t.join("keepalived.json")
        );
    }

    #[test]
    fn atomic_write_replaces_whole() {
        let dir = std::env::temp_dir().join(format!("ka-dumps-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("keepalived.json");
        write_atomic(&p, b"first\n").unwrap();
        write_atomic(&p, b"second\n").unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "second\n");
        // Nothing else is left in the directory.
        let n = std::fs::read_dir(&dir).unwrap().count();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(n, 1);
    }
}

//! Tracked files (keepalived track_file.c), shared by the VRRP child (track_file in
//! instances) and the checker child (FILE_CHECK): init_file written at start, the
//! directories watched with inotify, the value read as keepalived reads it.

use std::io;
use std::path::{Path, PathBuf};

use ka_config::model::TrackFile;
use ka_net::inotify::Inotify;

/// init_file: the value written at start when the file is missing (or always, with
/// `overwrite`).
pub fn init_file(tf: &TrackFile) {
    if let Some((v, overwrite)) = tf.init_file {
        let path = Path::new(&tf.file);
        if overwrite || !path.exists() {
            if let Err(e) = std::fs::write(path, format!("{v}\n")) {
                log::warn!("track_file {}: cannot write {}: {e}", tf.name, tf.file);
            }
        }
    }
}

fn dir_of(path: &Path) -> PathBuf {
    path.parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf()
}

/// An inotify descriptor watching the directories of `files`.
pub fn watch<'a>(files: impl IntoIterator<Item = (&'a str, &'a Path)>) -> io::Result<Inotify> {
    let ino = Inotify::new()?;
    let mut dirs: Vec<PathBuf> = Vec::new();
    for (name, path) in files {
        let dir = dir_of(path);
        if dirs.contains(&dir) {
            continue;
        }
        if let Err(e) = ino.watch_dir(&dir) {
            log::warn!("Track file directory for {name} does not exist ({e})");
        }
        dirs.push(dir);
    }
    Ok(ino)
}

/// The file's value: 0 when it is missing or empty, None (logged) when the number is
/// out of range, which keepalived ignores.
pub fn read_value(path: &Path) -> Option<i64> {
    let text = std::fs::read(path).unwrap_or_default();
    let v = ka_check::file::parse_value(&text);
    if v.is_none() {
        log::info!("Invalid number read from {} - ignoring", path.display());
    }
    v
}

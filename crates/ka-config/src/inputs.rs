//! What a load read from outside its own text: the configuration files (by digest), the
//! include patterns' matches, and what validation asked of the system (environment,
//! iproute2 name files, script paths' owners and modes, key files, directories).
//!
//! A reload asks [`Inputs::unchanged`] first: when every one of these gives the same answer
//! again, reading the files would give the same configuration, and the running one is
//! kept as it is (no successor, nothing handed over). Any difference, or any answer that
//! cannot be given, means a full reload.
//!
//! The reads are scattered over the preprocessor and validation helpers; they go through
//! the functions here, which record each question and a digest of its answer while a
//! load is in progress on this thread (`Recording`, which `load_with` starts and
//! finishes), and only read otherwise.

use std::cell::RefCell;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::diag::Digest;
use crate::fs::FileSource;

/// One question a load asked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
enum Query {
    /// A configuration file read through the [`FileSource`]: the digest of its text
    /// (None: it could not be read).
    File(PathBuf),
    /// An include pattern (brace-expanded, resolved): the files it matched.
    Glob(String),
    /// Whether a path is a directory, through the [`FileSource`].
    IsDir(PathBuf),
    /// An environment variable.
    Env(String),
    /// The working directory.
    Cwd,
    /// A file's text, read whole.
    Text(PathBuf),
    /// A path's metadata (following links): its type, mode, owner and a file's size.
    Meta(PathBuf),
    /// A path made canonical.
    Canon(PathBuf),
    /// Whether a path is there.
    Exists(PathBuf),
    /// Whether a path is a regular file.
    IsFile(PathBuf),
    /// A directory's entries, sorted.
    Dir(PathBuf),
}

/// The questions a load asked, each with a digest of its answer.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Inputs {
    asked: Vec<(Query, u64)>,
}

impl Inputs {
    /// How many questions were asked.
    pub fn len(&self) -> usize {
        self.asked.len()
    }

    pub fn is_empty(&self) -> bool {
        self.asked.is_empty()
    }

    /// Whether every question gets the same answer again: reading the configuration now
    /// would give the one these inputs gave.
    pub fn unchanged(&self, fs: &dyn FileSource) -> bool {
        !self.asked.is_empty() && self.asked.iter().all(|(q, a)| answer(fs, q) == *a)
    }
}

thread_local! {
    static RECORDING: RefCell<Option<Vec<(Query, u64)>>> = const { RefCell::new(None) };
}

/// Records the questions asked on this thread until [`Recording::finish`] (or its drop).
pub(crate) struct Recording(());

impl Recording {
    pub(crate) fn start() -> Recording {
        RECORDING.with(|r| *r.borrow_mut() = Some(Vec::new()));
        Recording(())
    }

    pub(crate) fn finish(self) -> Inputs {
        let asked = RECORDING
            .with(|r| r.borrow_mut().take())
            .unwrap_or_default();
        Inputs { asked }
    }
}

impl Drop for Recording {
    fn drop(&mut self) {
        RECORDING.with(|r| r.borrow_mut().take());
    }
}

fn note(q: Query, a: u64) {
    RECORDING.with(|r| {
        if let Some(v) = r.borrow_mut().as_mut() {
            v.push((q, a));
        }
    });
}

fn recording() -> bool {
    RECORDING.with(|r| r.borrow().is_some())
}

/// The digest of an answer: its parts, each fed as a line.
#[derive(Default)]
struct Answer(Digest);

impl Answer {
    fn part(mut self, bytes: &[u8]) -> Self {
        self.0.line(bytes);
        self
    }

    fn num(self, n: u64) -> Self {
        self.part(&n.to_le_bytes())
    }

    fn value(self) -> u64 {
        self.0.value()
    }
}

fn of_result<T>(r: &io::Result<T>, ok: impl FnOnce(Answer, &T) -> Answer) -> u64 {
    match r {
        Ok(v) => ok(Answer::default().part(b"ok"), v).value(),
        Err(e) => Answer::default()
            .part(b"err")
            .part(format!("{:?}", e.kind()).as_bytes())
            .value(),
    }
}

/// What the loader looks at in metadata: the type and permission bits, the owner and a
/// file's size (a directory's times and size change with every file made in it).
fn of_meta(r: &io::Result<std::fs::Metadata>) -> u64 {
    of_result(r, |a, m| {
        let size = if m.is_file() { m.size() } else { 0 };
        a.num(u64::from(m.mode()))
            .num(u64::from(m.uid()))
            .num(u64::from(m.gid()))
            .num(size)
    })
}

fn of_paths(r: &io::Result<Vec<PathBuf>>) -> u64 {
    of_result(r, |a, v| {
        v.iter().fold(a.num(v.len() as u64), |a, p| {
            a.part(p.as_os_str().as_encoded_bytes())
        })
    })
}

fn of_bool(b: bool) -> u64 {
    u64::from(b)
}

/// A directory's entries that can be read, sorted.
fn dir_entries(path: &Path) -> io::Result<Vec<PathBuf>> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(path)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    v.sort();
    Ok(v)
}

/// The answer a question gets now.
fn answer(fs: &dyn FileSource, q: &Query) -> u64 {
    match q {
        Query::File(p) => of_file(crate::physical::file_digest(fs, p)),
        Query::Glob(p) => of_glob(&fs.glob(p)),
        Query::IsDir(p) => of_bool(fs.is_dir(p)),
        Query::Env(n) => of_env(&std::env::var_os(n)),
        Query::Cwd => of_paths(&std::env::current_dir().map(|d| vec![d])),
        Query::Text(p) => of_text(&std::fs::read_to_string(p)),
        Query::Meta(p) => of_meta(&std::fs::metadata(p)),
        Query::Canon(p) => of_paths(&std::fs::canonicalize(p).map(|d| vec![d])),
        Query::Exists(p) => of_bool(p.exists()),
        Query::IsFile(p) => of_bool(p.is_file()),
        Query::Dir(p) => of_paths(&dir_entries(p)),
    }
}

fn of_file(d: Option<u64>) -> u64 {
    d.map_or(0, |d| Answer::default().num(d).value())
}

fn of_glob(r: &Result<Vec<PathBuf>, glob::PatternError>) -> u64 {
    match r {
        Ok(v) => of_paths(&Ok(v.clone())),
        Err(e) => Answer::default().part(e.msg.as_bytes()).value(),
    }
}

fn of_env(v: &Option<std::ffi::OsString>) -> u64 {
    match v {
        Some(s) => Answer::default()
            .part(b"set")
            .part(s.as_encoded_bytes())
            .value(),
        None => Answer::default().part(b"unset").value(),
    }
}

fn of_text(r: &io::Result<String>) -> u64 {
    of_result(r, |a, t| a.part(t.as_bytes()))
}

// What the loader reads, each recorded while a load is in progress.

/// A configuration file that was read whole (digest of its text), or could not be read.
pub(crate) fn config_file(path: &Path, digest: Option<u64>) {
    note(Query::File(path.to_path_buf()), of_file(digest));
}

pub(crate) fn glob(fs: &dyn FileSource, pattern: &str) -> Result<Vec<PathBuf>, glob::PatternError> {
    let r = fs.glob(pattern);
    if recording() {
        note(Query::Glob(pattern.to_string()), of_glob(&r));
    }
    r
}

pub(crate) fn is_dir(fs: &dyn FileSource, path: &Path) -> bool {
    let r = fs.is_dir(path);
    note(Query::IsDir(path.to_path_buf()), of_bool(r));
    r
}

pub(crate) fn env(name: &str) -> Option<String> {
    let v = std::env::var_os(name);
    if recording() {
        note(Query::Env(name.to_string()), of_env(&v));
    }
    v.map(|s| s.to_string_lossy().into_owned())
}

pub(crate) fn current_dir() -> io::Result<PathBuf> {
    let r = std::env::current_dir();
    if recording() {
        let d = r
            .as_ref()
            .map(|d| vec![d.clone()])
            .map_err(|e| io::Error::from(e.kind()));
        note(Query::Cwd, of_paths(&d));
    }
    r
}

pub(crate) fn read_to_string(path: &Path) -> io::Result<String> {
    let r = std::fs::read_to_string(path);
    if recording() {
        note(Query::Text(path.to_path_buf()), of_text(&r));
    }
    r
}

pub(crate) fn metadata(path: &Path) -> io::Result<std::fs::Metadata> {
    let r = std::fs::metadata(path);
    if recording() {
        note(Query::Meta(path.to_path_buf()), of_meta(&r));
    }
    r
}

pub(crate) fn canonicalize(path: &Path) -> io::Result<PathBuf> {
    let r = std::fs::canonicalize(path);
    if recording() {
        let d = r
            .as_ref()
            .map(|d| vec![d.clone()])
            .map_err(|e| io::Error::from(e.kind()));
        note(Query::Canon(path.to_path_buf()), of_paths(&d));
    }
    r
}

pub(crate) fn exists(path: &Path) -> bool {
    let r = path.exists();
    note(Query::Exists(path.to_path_buf()), of_bool(r));
    r
}

pub(crate) fn is_file(path: &Path) -> bool {
    let r = path.is_file();
    note(Query::IsFile(path.to_path_buf()), of_bool(r));
    r
}

pub(crate) fn read_dir(path: &Path) -> io::Result<Vec<PathBuf>> {
    let r = dir_entries(path);
    if recording() {
        let d = r
            .as_ref()
            .map(Clone::clone)
            .map_err(|e| io::Error::from(e.kind()));
        note(Query::Dir(path.to_path_buf()), of_paths(&d));
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fs::MemFs;

    #[test]
    fn nothing_recorded_outside_a_load() {
        let _ = env("PATH");
        let r = Recording::start();
        let _ = env("KA_INPUTS_TEST_UNSET");
        let i = r.finish();
        assert_eq!(i.len(), 1);
        let _ = env("PATH");
        assert_eq!(i.len(), 1);
    }

    #[test]
    fn a_changed_answer_is_seen() {
        let fs = MemFs::default().with("/a.conf", "x\n");
        let r = Recording::start();
        config_file(
            Path::new("/a.conf"),
            crate::physical::file_digest(&fs, Path::new("/a.conf")),
        );
        let _ = glob(&fs, "/b*.conf");
        let i = r.finish();
        assert!(i.unchanged(&fs));
        let fs2 = fs.clone().with("/a.conf", "y\n");
        assert!(!i.unchanged(&fs2), "the file's text changed");
        let fs3 = fs.clone().with("/b1.conf", "");
        assert!(!i.unchanged(&fs3), "the pattern matches a new file");
        assert!(
            !Inputs::default().unchanged(&fs),
            "nothing recorded: not known unchanged"
        );
    }
}

//! Diagnostics: every warning and error carries `file:line:column` and renders like a
//! compiler's message (the line, a caret, a sentence).

use std::fmt;
use std::path::{Path, PathBuf};

use crate::fs::FileSource;

/// One source file that was read (the main file or an include).
///
/// Its text is not kept while the configuration is read: the preprocessor streams it,
/// and holding it would add the file's size to the peak. Once the diagnostics are known,
/// [`SourceMap::restore`] reads again the files they point into, so that they can quote
/// their lines; a file that changed meanwhile (its digest differs) is quoted nowhere.
#[derive(Debug)]
pub struct SourceFile {
    /// The path as it was opened (relative paths stay relative to the working directory).
    pub path: String,
    opened: PathBuf,
    text: Option<String>,
    /// Byte offset where each physical line starts (files of 4 GiB are not
    /// configurations).
    starts: Vec<u32>,
    /// [`Digest`] of the text as it was read.
    digest: u64,
}

impl SourceFile {
    /// Physical line `n` (1-based), without its terminator; None when the text is not
    /// held (see [`SourceMap::restore`]).
    pub fn line(&self, n: usize) -> Option<&str> {
        let text = self.text.as_deref()?;
        let start = *self.starts.get(n.checked_sub(1)?)? as usize;
        let end = self
            .starts
            .get(n)
            .map(|e| *e as usize)
            .unwrap_or(text.len());
        let l = text.get(start..end)?;
        let l = l.strip_suffix('\n').unwrap_or(l);
        Some(l.strip_suffix('\r').unwrap_or(l))
    }
}

/// A file's digest, fed one physical line at a time (its terminator included), eight
/// bytes at a step: it tells whether a file read again is the one that was read.
#[derive(Clone, Copy, Debug)]
pub struct Digest(u64);

impl Default for Digest {
    fn default() -> Self {
        Digest(0xcbf2_9ce4_8422_2325)
    }
}

impl Digest {
    pub fn line(&mut self, bytes: &[u8]) {
        const K: u64 = 0x517c_c1b7_2722_0a95;
        let mut h = self.0;
        let mut words = bytes.chunks_exact(8);
        for w in words.by_ref() {
            let mut a = [0u8; 8];
            a.copy_from_slice(w);
            h = (h.rotate_left(5) ^ u64::from_le_bytes(a)).wrapping_mul(K);
        }
        let mut a = [0u8; 8];
        let rest = words.remainder();
        a[..rest.len()].copy_from_slice(rest);
        h = (h.rotate_left(5) ^ u64::from_le_bytes(a)).wrapping_mul(K);
        self.0 = (h.rotate_left(5) ^ bytes.len() as u64).wrapping_mul(K);
    }

    pub fn value(self) -> u64 {
        self.0
    }

    /// The digest of a whole text.
    pub fn of(text: &str) -> u64 {
        let mut d = Digest::default();
        for l in text.split_inclusive('\n') {
            d.line(l.as_bytes());
        }
        d.value()
    }
}

/// Index into [`SourceMap`]; `u32::MAX` is "no file" (command-line or built-in values).
pub type FileId = u32;

/// A position in a source file: 1-based line and column (columns count characters).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Pos {
    pub file: FileId,
    pub line: u32,
    pub col: u32,
}

impl Pos {
    pub const NONE: Pos = Pos {
        file: u32::MAX,
        line: 0,
        col: 0,
    };
}

/// Every file read while loading a configuration, so diagnostics can quote their lines.
#[derive(Debug, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    /// A file about to be read; [`Self::read`] records its lines once it has been.
    pub fn open(&mut self, path: &Path) -> FileId {
        self.files.push(SourceFile {
            path: path.display().to_string(),
            opened: path.to_path_buf(),
            text: None,
            starts: Vec::new(),
            digest: Digest::default().value(),
        });
        (self.files.len() - 1) as FileId
    }

    /// File `id` was read: where its lines start, and its digest.
    pub fn read(&mut self, id: FileId, mut starts: Vec<u32>, digest: u64) {
        if let Some(f) = self.files.get_mut(id as usize) {
            starts.shrink_to_fit();
            f.starts = starts;
            f.digest = digest;
        }
    }

    /// Reads again, through `fs`, the files of `ids` whose text is not held, and keeps
    /// the text of each that is still what was read.
    pub fn restore(&mut self, fs: &dyn FileSource, ids: impl IntoIterator<Item = FileId>) {
        for id in ids {
            let Some(f) = self.files.get_mut(id as usize) else {
                continue;
            };
            if f.text.is_some() {
                continue;
            }
            if let Ok(text) = fs.read(&f.opened) {
                if Digest::of(&text) == f.digest {
                    f.text = Some(text);
                }
            }
        }
    }

    pub fn path(&self, id: FileId) -> Option<&str> {
        self.files.get(id as usize).map(|f| f.path.as_str())
    }

    pub fn line(&self, pos: Pos) -> Option<&str> {
        self.files.get(pos.file as usize)?.line(pos.line as usize)
    }

    pub fn files(&self) -> impl Iterator<Item = &SourceFile> {
        self.files.iter()
    }
}

/// How serious a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Something was dropped or ignored: a keyword, a value, a line or a whole block.
    Error,
    /// Accepted, but not as written (a value cut, a default taken, a deprecated spelling,
    /// an interface missing on this host).
    Warning,
    /// A valid keepalived keyword that keepalived-rs parses but does not act on yet.
    Unsupported,
    /// A root-run script whose path can be written by others (keepalived's SECURITY VIOLATION).
    Security,
    /// Information that does not change what runs (a script file missing on this host).
    Note,
}

impl Severity {
    pub fn label(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Unsupported => "warning",
            Severity::Security => "error",
            Severity::Note => "note",
        }
    }
}

/// One message about the configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub pos: Pos,
    /// Width of the caret underline, in characters (at least 1).
    pub width: u32,
    pub message: String,
}

impl Diagnostic {
    pub fn new(severity: Severity, pos: Pos, width: usize, message: impl Into<String>) -> Self {
        Diagnostic {
            severity,
            pos,
            width: width.max(1) as u32,
            message: message.into(),
        }
    }
}

/// A diagnostic together with the source map, ready to print.
pub struct Rendered<'a> {
    pub diag: &'a Diagnostic,
    pub map: &'a SourceMap,
}

impl Diagnostic {
    /// `path:line:col: severity: message`, the one-line form used by tests and `-t=LOGFILE`.
    pub fn short(&self, map: &SourceMap) -> String {
        match map.path(self.pos.file) {
            Some(p) => format!(
                "{}:{}:{}: {}: {}",
                p,
                self.pos.line,
                self.pos.col,
                self.severity.label(),
                self.message
            ),
            None => format!("{}: {}", self.severity.label(), self.message),
        }
    }

    pub fn render<'a>(&'a self, map: &'a SourceMap) -> Rendered<'a> {
        Rendered { diag: self, map }
    }
}

impl fmt::Display for Rendered<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.diag;
        writeln!(f, "{}: {}", d.severity.label(), d.message)?;
        let Some(path) = self.map.path(d.pos.file) else {
            return Ok(());
        };
        let num = d.pos.line.to_string();
        let pad = " ".repeat(num.len());
        writeln!(f, "{pad}--> {}:{}:{}", path, d.pos.line, d.pos.col)?;
        if let Some(text) = self.map.line(d.pos) {
            let text = text.replace('\t', " ");
            writeln!(f, "{pad} |")?;
            writeln!(f, "{num} | {text}")?;
            let lead = " ".repeat(d.pos.col.saturating_sub(1) as usize);
            writeln!(f, "{pad} | {lead}{}", "^".repeat(d.width as usize))?;
        }
        Ok(())
    }
}

//! Diagnostics: every warning and error carries `file:line:column` and renders like a
//! compiler's message (the line, a caret, a sentence).

use std::fmt;
use std::sync::Arc;

/// One source file that was read (the main file or an include).
#[derive(Debug)]
pub struct SourceFile {
    /// The path as it was opened (relative paths stay relative to the working directory).
    pub path: String,
    text: String,
    /// Byte offset where each physical line starts (a file is read whole, and files of
    /// 4 GiB are not configurations).
    starts: Vec<u32>,
}

impl SourceFile {
    /// The whole text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Physical line `n` (1-based), without its terminator.
    pub fn line(&self, n: usize) -> Option<&str> {
        let start = *self.starts.get(n.checked_sub(1)?)? as usize;
        let end = self
            .starts
            .get(n)
            .map(|e| *e as usize)
            .unwrap_or(self.text.len());
        let l = self.text.get(start..end)?;
        let l = l.strip_suffix('\n').unwrap_or(l);
        Some(l.strip_suffix('\r').unwrap_or(l))
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
#[derive(Debug, Default, Clone)]
pub struct SourceMap {
    files: Vec<Arc<SourceFile>>,
}

impl SourceMap {
    /// Adds a file read whole; it is held once, here, and shared with whoever reads it
    /// ([`Self::file`]).
    pub fn add(&mut self, path: String, text: String) -> FileId {
        let last = text.len().saturating_sub(1);
        let mut starts: Vec<u32> = std::iter::once(0)
            .chain(
                text.as_bytes()[..last]
                    .iter()
                    .enumerate()
                    .filter(|(_, b)| **b == b'\n')
                    .map(|(i, _)| u32::try_from(i + 1).unwrap_or(u32::MAX)),
            )
            .collect();
        starts.shrink_to_fit();
        self.files.push(Arc::new(SourceFile { path, text, starts }));
        (self.files.len() - 1) as FileId
    }

    /// File `id` and its text, shared.
    pub fn file(&self, id: FileId) -> Option<Arc<SourceFile>> {
        self.files.get(id as usize).cloned()
    }

    pub fn path(&self, id: FileId) -> Option<&str> {
        self.files.get(id as usize).map(|f| f.path.as_str())
    }

    pub fn line(&self, pos: Pos) -> Option<&str> {
        self.files.get(pos.file as usize)?.line(pos.line as usize)
    }

    pub fn files(&self) -> impl Iterator<Item = &SourceFile> {
        self.files.iter().map(|f| f.as_ref())
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

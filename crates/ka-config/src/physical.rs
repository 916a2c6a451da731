//! A file's physical lines, read from a reader one line ahead: the preprocessor's input,
//! and what tells whether a file read again is the one that was read (its digest).

use std::io::BufRead;
use std::path::Path;

use crate::diag::Digest;
use crate::fs::FileSource;

/// A file's physical lines, read one ahead (a `\` at the end of the last line continues
/// nothing), with where each starts and the file's digest.
pub(crate) struct Physical<'r> {
    input: Box<dyn BufRead + 'r>,
    raw: Vec<u8>,
    /// The current line, without its terminator.
    pub(crate) line: String,
    next: String,
    has_next: bool,
    pub(crate) starts: Vec<u32>,
    offset: u64,
    pub(crate) digest: Digest,
    /// A read that failed, and the number of the last line read before it.
    pub(crate) error: Option<(u32, std::io::Error)>,
}

impl<'r> Physical<'r> {
    pub(crate) fn new(input: Box<dyn BufRead + 'r>) -> Self {
        let mut p = Physical {
            input,
            raw: Vec::new(),
            line: String::new(),
            next: String::new(),
            has_next: false,
            starts: Vec::new(),
            offset: 0,
            digest: Digest::default(),
            error: None,
        };
        p.has_next = p.fill();
        p
    }

    /// Whether there is a line after the current one.
    pub(crate) fn ahead(&self) -> bool {
        self.has_next
    }

    /// Moves to the next line; false at the end.
    pub(crate) fn advance(&mut self) -> bool {
        if !self.has_next {
            return false;
        }
        std::mem::swap(&mut self.line, &mut self.next);
        self.has_next = self.fill();
        true
    }

    /// Reads the line after the current one into `next`.
    fn fill(&mut self) -> bool {
        self.next.clear();
        // Most lines lie whole in the reader's buffer and are taken from there; a line
        // across the buffer's end is gathered by read_until.
        let read = match self.input.fill_buf() {
            Ok(buf) => match buf.iter().position(|&b| b == b'\n') {
                Some(i) => {
                    push_lossy(&mut self.next, &buf[..=i]);
                    self.input.consume(i + 1);
                    Ok(i + 1)
                }
                None => {
                    self.raw.clear();
                    let n = self.input.read_until(b'\n', &mut self.raw);
                    push_lossy(&mut self.next, &self.raw);
                    n
                }
            },
            Err(e) => Err(e),
        };
        match read {
            Ok(0) => return false,
            Ok(_) => {}
            Err(e) => {
                self.error = Some((self.starts.len() as u32, e));
                return false;
            }
        }
        // Offsets into the text as read again: invalid UTF-8 replaced.
        self.starts
            .push(u32::try_from(self.offset).unwrap_or(u32::MAX));
        self.offset += self.next.len() as u64;
        self.digest.line(self.next.as_bytes());
        if self.next.ends_with('\n') {
            self.next.pop();
            if self.next.ends_with('\r') {
                self.next.pop();
            }
        }
        true
    }
}

/// The digest a file's text gets as the preprocessor reads it (what the source map keeps);
/// None when it cannot be read to its end.
pub(crate) fn file_digest(fs: &dyn FileSource, path: &Path) -> Option<u64> {
    let mut phys = Physical::new(fs.open(path).ok()?);
    while phys.advance() {}
    phys.error.is_none().then(|| phys.digest.value())
}

/// `bytes` as text, invalid UTF-8 replaced (as `String::from_utf8_lossy` does).
fn push_lossy(s: &mut String, bytes: &[u8]) {
    match std::str::from_utf8(bytes) {
        Ok(l) => s.push_str(l),
        Err(_) => s.push_str(&String::from_utf8_lossy(bytes)),
    }
}

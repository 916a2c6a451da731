//! Where configuration files come from: the real filesystem, or memory (tests, fuzzing).

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

/// Reads files and expands include patterns.
pub trait FileSource {
    /// The whole file (invalid UTF-8 replaced).
    fn read(&self, path: &Path) -> io::Result<String>;
    /// The file, to be read line by line (the preprocessor does not hold a whole file).
    fn open(&self, path: &Path) -> io::Result<Box<dyn io::BufRead + '_>>;
    /// Paths matching a glob pattern (no brace expansion: that is done before), sorted;
    /// the error says what is wrong with the pattern.
    fn glob(&self, pattern: &str) -> Result<Vec<PathBuf>, glob::PatternError>;
    /// Whether `path` is a directory.
    fn is_dir(&self, path: &Path) -> bool;
}

/// The real filesystem.
pub struct RealFs;

impl FileSource for RealFs {
    fn read(&self, path: &Path) -> io::Result<String> {
        let bytes = std::fs::read(path)?;
        Ok(match String::from_utf8(bytes) {
            Ok(s) => s,
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        })
    }

    fn open(&self, path: &Path) -> io::Result<Box<dyn io::BufRead + '_>> {
        let f = std::fs::File::open(path)?;
        Ok(Box::new(io::BufReader::with_capacity(64 * 1024, f)))
    }

    fn is_dir(&self, path: &Path) -> bool {
        path.is_dir()
    }

    fn glob(&self, pattern: &str) -> Result<Vec<PathBuf>, glob::PatternError> {
        let paths = glob::glob(pattern)?;
        let mut out: Vec<PathBuf> = paths
            .filter_map(Result::ok)
            .filter(|p| !p.is_dir())
            .collect();
        out.sort();
        Ok(out)
    }
}

/// Files held in memory, keyed by path.
#[derive(Default, Clone, Debug)]
pub struct MemFs {
    pub files: BTreeMap<PathBuf, String>,
}

impl MemFs {
    pub fn with(mut self, path: &str, text: &str) -> Self {
        self.files.insert(PathBuf::from(path), text.to_string());
        self
    }
}

impl FileSource for MemFs {
    fn read(&self, path: &Path) -> io::Result<String> {
        self.files
            .get(path)
            .cloned()
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "No such file or directory"))
    }

    fn open(&self, path: &Path) -> io::Result<Box<dyn io::BufRead + '_>> {
        let text = self
            .files
            .get(path)
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "No such file or directory"))?;
        Ok(Box::new(io::Cursor::new(text.as_bytes())))
    }

    fn is_dir(&self, path: &Path) -> bool {
        self.files.keys().any(|p| p != path && p.starts_with(path))
    }

    fn glob(&self, pattern: &str) -> Result<Vec<PathBuf>, glob::PatternError> {
        let pat = glob::Pattern::new(pattern)?;
        Ok(self
            .files
            .keys()
            .filter(|p| pat.matches_path(p))
            .cloned()
            .collect())
    }
}

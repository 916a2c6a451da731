//! keepalived.conf for keepalived-rs.
//!
//! Loading runs in three stages, each keeping `file:line:column` for every diagnostic:
//! 1. [`preprocess`]: files to [`token::Token`]s (includes, comments, `@ID` conditionals, `$NAME`
//!    parameters, `~SEQ` / `~LST` loops), cut by the pest grammar in `keepalived.pest`;
//! 2. [`tree`]: tokens to a raw tree of keywords, arguments and blocks;
//! 3. [`validate`]: the tree to the typed [`model::Config`], with keepalived 2.2.7's
//!    defaults, derived values, ranges and cross-references.
//!
//! Every diagnostic is collected; a wrong line or block is dropped and the rest survives.
//! [`dump`] writes a model back as canonical keepalived.conf text.

#![forbid(unsafe_code)]

pub mod addr;
pub mod ctx;
pub mod diag;
pub mod dump;
pub mod fs;
mod grammar;
pub mod inputs;
pub mod lvs;
pub mod model;
pub mod names;
mod physical;
pub mod preprocess;
pub mod security;
pub mod shell;
pub mod token;
pub mod tree;
pub mod validate;
pub mod word;

use std::collections::BTreeSet;
use std::path::Path;

pub use diag::{Diagnostic, Pos, Severity, SourceMap};
pub use model::Config;

/// How to read a configuration.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// The id `@ID` lines are compared with (`-i`; keepalived's default: the short host name).
    pub config_id: String,
    /// `${_INSTANCE}`.
    pub instance: Option<String>,
    /// Every include must exist and match (`-e`, as `includea`).
    pub all_config: bool,
    /// The interfaces of this host; None skips the "interface doesn't exist" checks.
    pub interfaces: Option<BTreeSet<String>>,
    /// Seed for `${_RANDOM}`.
    pub random_seed: u64,
    /// Check script files for keepalived's script security rules.
    pub check_scripts: bool,
    /// Give each virtual_server's part of the tree back as soon as it is read, for the
    /// lowest peak, in a process that exits next (`-t`; the daemon's reader copies).
    /// Otherwise the tree goes back whole once the model is built: freed piece by piece
    /// between the model's allocations, it leaves holes that a long-running heap keeps
    /// (measured: 2.3 MB more RSS in a parent that read at 36,544 real servers).
    pub free_as_read: bool,
}

impl Options {
    /// The options to read the configuration again with, `seed` being the running
    /// configuration's `random_seed`: keepalived seeds `${_RANDOM}` with it, so that a
    /// reload gives the same values (the first read has no seed to take).
    pub fn with_seed(&self, seed: Option<u32>) -> Options {
        let mut o = self.clone();
        if let Some(s) = seed {
            o.random_seed = u64::from(s);
        }
        o
    }
}

/// A loaded configuration and everything said about it.
pub struct Loaded {
    pub config: Config,
    pub diagnostics: Vec<Diagnostic>,
    pub sources: SourceMap,
    /// The main file could not be read: nothing can run.
    pub fatal: bool,
    /// An include failed a check it was asked for (`includea`, `include_check`, `-e`):
    /// keepalived will not run such a configuration (exit code 6).
    pub include_error: bool,
    /// What the load read from outside its text, to tell later whether reading again
    /// would give the same configuration ([`inputs::Inputs::unchanged`]).
    pub inputs: inputs::Inputs,
}

impl Loaded {
    pub fn errors(&self) -> usize {
        self.count(|s| s == Severity::Error)
    }

    pub fn count(&self, f: impl Fn(Severity) -> bool) -> usize {
        self.diagnostics.iter().filter(|d| f(d.severity)).count()
    }

    /// keepalived's `-t` exit code: 0 clean, 4 cannot run, 5 errors it would still run
    /// with, 6 an include check failed or a script security violation.
    pub fn config_test_exit_code(&self) -> i32 {
        if self.fatal {
            4
        } else if self.include_error || self.count(|s| s == Severity::Security) > 0 {
            6
        } else if self.count(|s| matches!(s, Severity::Error | Severity::Warning)) > 0 {
            5
        } else {
            0
        }
    }

    /// All diagnostics in the one-line form, in file order.
    pub fn short(&self) -> Vec<String> {
        self.diagnostics
            .iter()
            .map(|d| d.short(&self.sources))
            .collect()
    }
}

/// Loads the configuration at `path` through `fs`.
pub fn load_with(fs: &dyn fs::FileSource, path: &Path, opts: &Options) -> Loaded {
    let recording = inputs::Recording::start();
    let pre = preprocess::run(fs, path, opts);
    let mut diags = pre.diags;
    let nodes = pre.nodes;
    // The script lines are copied out first: validation consumes the tree (with
    // `free_as_read`, each virtual_server's part goes as soon as it is read).
    let scripts = (opts.check_scripts && !pre.fatal).then(|| security::scripts(&nodes));
    let mut cx = ctx::Ctx::new(opts);
    cx.raws = pre.raws;
    let config = validate::config(&mut cx, nodes);
    diags.extend(cx.diags);
    if let Some(found) = scripts {
        diags.extend(security::check(&config, &cx.raws, found));
    }
    let inputs = recording.finish();
    // Stable order: by position (file order of first appearance), then as found.
    diags.sort_by_key(|d| (d.pos.file, d.pos.line, d.pos.col));
    // The diagnostics quote their lines: the files they point into are read again.
    let mut sources = pre.map;
    let mut files: Vec<_> = diags.iter().map(|d| d.pos.file).collect();
    files.dedup();
    sources.restore(fs, files);
    Loaded {
        config,
        diagnostics: diags,
        sources,
        fatal: pre.fatal,
        include_error: pre.include_error,
        inputs,
    }
}

/// Loads the configuration file at `path` from the filesystem.
pub fn load(path: &Path, opts: &Options) -> Loaded {
    load_with(&fs::RealFs, path, opts)
}

/// Parses configuration text held in memory (includes resolve against `name`'s directory
/// in an empty filesystem, so they find nothing).
pub fn parse_str(name: &str, text: &str, opts: &Options) -> Loaded {
    let fs = fs::MemFs::default().with(name, text);
    load_with(&fs, Path::new(name), opts)
}

//! The first stage: files to tokens. Reads the main file and its includes, joins continued
//! lines, strips comments, applies `@ID` conditionals, defines and expands `$NAME`
//! parameters, unrolls `~SEQ` / `~LST` loops and cuts every logical line into tokens that
//! know their `file:line:column`.
//!
//! Everything is bounded so that no input can recurse without end or blow up: include depth,
//! parameter nesting, the length of an expanded line and the number of lines produced.

use std::collections::HashMap;
use std::io::BufRead;
use std::path::{Path, PathBuf};

use pest::Parser;

use crate::diag::{Diagnostic, FileId, Pos, Severity, SourceMap};
use crate::fs::FileSource;
use crate::grammar::{KeepalivedParser, Rule};
use crate::physical::Physical;
use crate::token::{RawTexts, TokKind, Token};
use crate::tree::{Builder, Node};
use crate::Options;

/// Includes nested deeper than this are refused.
pub const MAX_INCLUDE_DEPTH: usize = 32;
/// Parameters nested deeper than this are refused.
pub const MAX_PARAM_DEPTH: usize = 32;
/// An expanded line longer than this is refused.
pub const MAX_LINE_BYTES: usize = 1 << 16;
/// One `~SEQ` / `~LST` may produce at most this many lines.
pub const MAX_LOOP_ITERATIONS: usize = 100_000;
/// The whole configuration may have at most this many logical lines.
pub const MAX_TOTAL_LINES: usize = 5_000_000;

/// A piece of text with a source position for every byte.
#[derive(Clone, Debug, Default)]
struct Text {
    s: String,
    spans: Vec<Span>,
}

/// Bytes from `start` up to the next span come from `pos`; when `linear`, byte by byte
/// (column advancing with each character), else all of them from `pos` (expanded text).
#[derive(Clone, Copy, Debug)]
struct Span {
    start: usize,
    pos: Pos,
    linear: bool,
}

impl Text {
    fn push_linear(&mut self, s: &str, pos: Pos) {
        self.spans.push(Span {
            start: self.s.len(),
            pos,
            linear: true,
        });
        self.s.push_str(s);
    }

    fn push_fixed(&mut self, s: &str, pos: Pos) {
        self.spans.push(Span {
            start: self.s.len(),
            pos,
            linear: false,
        });
        self.s.push_str(s);
    }

    fn span_index(&self, byte: usize) -> Option<usize> {
        match self.spans.binary_search_by(|sp| sp.start.cmp(&byte)) {
            Ok(i) => Some(i),
            Err(0) => None,
            Err(i) => Some(i - 1),
        }
    }

    /// Source position of the byte at `byte`, and whether it maps one to one.
    fn pos_at(&self, byte: usize) -> (Pos, bool) {
        let Some(i) = self.span_index(byte) else {
            return (Pos::NONE, false);
        };
        let sp = self.spans[i];
        if !sp.linear {
            return (sp.pos, false);
        }
        let chars = self
            .s
            .get(sp.start..byte)
            .map(|t| t.chars().count())
            .unwrap_or(0);
        (
            Pos {
                col: sp.pos.col + chars as u32,
                ..sp.pos
            },
            true,
        )
    }

    /// The text from `from` on, positions kept.
    fn slice_from(&self, from: usize) -> Text {
        let mut out = Text::default();
        let from = from.min(self.s.len());
        for (i, sp) in self.spans.iter().enumerate() {
            let end = self
                .spans
                .get(i + 1)
                .map(|n| n.start)
                .unwrap_or(self.s.len());
            if end <= from {
                continue;
            }
            let start = sp.start.max(from);
            let (pos, _) = self.pos_at(start);
            let piece = &self.s[start..end];
            if sp.linear {
                out.push_linear(piece, pos);
            } else {
                out.push_fixed(piece, pos);
            }
        }
        out
    }

    /// Split into lines at '\n' (a multi-line parameter expands into several lines).
    fn split_lines(&self) -> Vec<Text> {
        if !self.s.contains('\n') {
            return vec![self.clone()];
        }
        let mut out = Vec::new();
        let mut start = 0;
        for (i, c) in self.s.char_indices() {
            if c == '\n' {
                out.push(self.range(start, i));
                start = i + 1;
            }
        }
        out.push(self.range(start, self.s.len()));
        out
    }

    fn range(&self, from: usize, to: usize) -> Text {
        let mut t = self.slice_from(from);
        let cut = to - from;
        t.s.truncate(cut);
        t.spans
            .retain(|sp| sp.start < cut || (cut == 0 && sp.start == 0));
        t
    }
}

/// keepalived's include checks (parser.c INCLUDE_R, _M, _W, _B) for one include line: its
/// variant's (`includer` … `includea`) and those `include_check` or `-e` has set.
#[derive(Clone, Copy)]
struct IncludeCheck(u8);

// keepalived parser.c INCLUDE_R, _M, _W, _B.
const INCLUDE_R: u8 = 1;
const INCLUDE_M: u8 = 2;
const INCLUDE_W: u8 = 4;
const INCLUDE_B: u8 = 8;
const INCLUDE_ALL: u8 = INCLUDE_R | INCLUDE_M | INCLUDE_W | INCLUDE_B;

impl IncludeCheck {
    /// The checks of an `include`, `includer` … `includea` line, with the ones
    /// `include_check` (or `-e`) has set.
    fn from_kind(kind: &str, set: u8) -> Self {
        let own = match kind.strip_prefix("include").unwrap_or("") {
            "r" => INCLUDE_R,
            "m" => INCLUDE_M,
            "w" => INCLUDE_W,
            "b" => INCLUDE_B,
            "a" => INCLUDE_ALL,
            _ => 0,
        };
        IncludeCheck(own | set)
    }

    fn has(self, flag: u8) -> bool {
        self.0 & flag != 0
    }
}

/// The output of the first stage.
pub struct Preprocessed {
    pub nodes: Vec<Node>,
    /// The raw texts of the words that have one.
    pub raws: RawTexts,
    pub map: SourceMap,
    pub diags: Vec<Diagnostic>,
    /// The main file could not be read at all.
    pub fatal: bool,
    /// An include failed a check it was given (keepalived's exit code 6).
    pub include_error: bool,
}

pub fn run(fs: &dyn FileSource, main: &Path, opts: &Options) -> Preprocessed {
    let mut p = Pre {
        fs,
        opts,
        map: SourceMap::default(),
        diags: Vec::new(),
        params: HashMap::new(),
        stack: Vec::new(),
        tree: Builder::default(),
        rng: opts.random_seed | 1,
        overflow: false,
        expand_failed: false,
        include_check: if opts.all_config { INCLUDE_ALL } else { 0 },
        include_error: false,
        spare_text: Text::default(),
        spare_tokens: Vec::new(),
        raws: RawTexts::default(),
    };
    let fatal = !p.file(main, Pos::NONE, None);
    let include_error = p.include_error;
    let mut diags = p.diags;
    let nodes = p.tree.finish(&mut diags);
    Preprocessed {
        include_error,
        nodes,
        raws: p.raws,
        map: p.map,
        diags,
        fatal,
    }
}

struct Pre<'a> {
    fs: &'a dyn FileSource,
    opts: &'a Options,
    map: SourceMap,
    diags: Vec<Diagnostic>,
    params: HashMap<String, String>,
    /// Files being read, outermost first (for recursion detection and `${_PWD}`).
    stack: Vec<PathBuf>,
    tree: Builder,
    rng: u64,
    overflow: bool,
    /// The line being expanded has failed (self-reference, too long): it is dropped.
    expand_failed: bool,
    /// An include check failed (keepalived: config_file_error, exit code 6).
    include_error: bool,
    /// The checks every include gets (keepalived's include_check: `-e`, or global_defs'
    /// `include_check` from its line on, until the end of the file it is in).
    include_check: u8,
    /// Buffers a line's text and tokens are read into, used again by the next line (most
    /// lines take the fast path, which hands them back).
    spare_text: Text,
    spare_tokens: Vec<Token>,
    raws: RawTexts,
}

impl Pre<'_> {
    fn diag(&mut self, sev: Severity, pos: Pos, width: usize, msg: impl Into<String>) {
        self.diags.push(Diagnostic::new(sev, pos, width, msg));
    }

    /// Reads one file. Returns false if it could not be read.
    fn file(&mut self, path: &Path, from: Pos, check: Option<&IncludeCheck>) -> bool {
        // A directory opens; reading it is what fails.
        let opened = self.fs.open(path).and_then(|mut r| {
            r.fill_buf()?;
            Ok(r)
        });
        let input = match opened {
            Ok(r) => r,
            Err(e) => {
                crate::inputs::config_file(path, None);
                if from == Pos::NONE {
                    self.diag(
                        Severity::Error,
                        Pos::NONE,
                        1,
                        format!("cannot read configuration file '{}': {e}", path.display()),
                    );
                } else {
                    let sev = if check.is_some_and(|c| c.has(INCLUDE_R)) {
                        Severity::Error
                    } else {
                        Severity::Warning
                    };
                    self.diag(
                        sev,
                        from,
                        1,
                        format!("cannot read included file '{}': {e}", path.display()),
                    );
                }
                return false;
            }
        };
        let id = self.map.open(path);
        self.stack.push(path.to_path_buf());
        let mut phys = Physical::new(input);
        self.lines_of(id, &mut phys);
        self.stack.pop();
        if let Some((line, e)) = phys.error.take() {
            let pos = Pos {
                file: id,
                line,
                col: 1,
            };
            self.diag(
                Severity::Error,
                pos,
                1,
                format!("cannot read '{}' past this line: {e}", path.display()),
            );
        }
        let digest = phys.digest.value();
        crate::inputs::config_file(path, phys.error.is_none().then_some(digest));
        self.map.read(id, phys.starts, digest);
        true
    }

    fn lines_of(&mut self, id: FileId, phys: &mut Physical<'_>) {
        // Physical lines are taken one by one, from a reader: neither the file nor a list
        // of its lines is held.
        let mut i = 0;
        while phys.ahead() {
            if self.overflow {
                return;
            }
            let first = i;
            let mut t = std::mem::take(&mut self.spare_text);
            t.s.clear();
            t.spans.clear();
            let mut is_param = false;
            while phys.advance() {
                let code = strip_comment(&phys.line);
                let mut trimmed = code.trim_end();
                let mut pos = Pos {
                    file: id,
                    line: (i + 1) as u32,
                    col: 1,
                };
                if i == first {
                    let body = trimmed.trim_start();
                    pos.col += trimmed[..trimmed.len() - body.len()].chars().count() as u32;
                    trimmed = body;
                    if trimmed.is_empty() {
                        i += 1;
                        break;
                    }
                    is_param = looks_like_param_def(trimmed);
                } else if is_param {
                    t.push_fixed("\n", pos);
                }
                i += 1;
                match trimmed.strip_suffix('\\') {
                    Some(head) if phys.ahead() && !head.ends_with('\\') => {
                        t.push_linear(head, pos);
                    }
                    _ => {
                        t.push_linear(trimmed, pos);
                        break;
                    }
                }
            }
            if !t.s.is_empty() {
                self.logical(t);
            }
        }
    }

    /// One logical line of a file: conditional, parameter definition, or content.
    fn logical(&mut self, t: Text) {
        let lead = t.s.len() - t.s.trim_start().len();
        let mut t = if lead == 0 { t } else { t.slice_from(lead) };
        if t.s.starts_with('@') {
            let Ok(mut pairs) = KeepalivedParser::parse(Rule::conditional, &t.s) else {
                return;
            };
            let Some(c) = pairs.next() else { return };
            let used = c.as_str().len();
            let mut negate = false;
            let mut id = "";
            for p in c.into_inner() {
                match p.as_rule() {
                    Rule::cond_not => negate = true,
                    Rule::cond_id => id = p.as_str(),
                    _ => {}
                }
            }
            if (id == self.opts.config_id) == negate {
                return;
            }
            t = t.slice_from(used);
        }
        if t.s.starts_with('$') && looks_like_param_def(&t.s) {
            if let Ok(mut pairs) = KeepalivedParser::parse(Rule::param_def, &t.s) {
                if let Some(d) = pairs.next() {
                    let mut name = String::new();
                    let mut value = String::new();
                    for p in d.into_inner() {
                        match p.as_rule() {
                            Rule::param_name => name = p.as_str().to_string(),
                            Rule::param_value => value = p.as_str().trim().to_string(),
                            _ => {}
                        }
                    }
                    self.params.insert(name, value);
                    return;
                }
            }
        }
        self.content(t, 0);
    }

    /// A content line: loops, parameter expansion, includes, tokens.
    fn content(&mut self, t: Text, loop_depth: usize) {
        if t.s.trim_start().starts_with('~') && loop_depth < MAX_PARAM_DEPTH {
            if let Ok(mut pairs) = KeepalivedParser::parse(Rule::line_loop, &t.s) {
                if let Some(l) = pairs.next() {
                    self.line_loop(&t, l, loop_depth);
                    return;
                }
            }
        }
        let expanded = if t.s.contains('$') {
            self.expand_failed = false;
            let e = self.expand(&t);
            if self.expand_failed {
                return;
            }
            e
        } else {
            t
        };
        // keepalived: a line that expands to a comment character first (`${_HASH}` or
        // `${_BANG}` at its start) is a comment.
        let comment = |t: &Text| t.s.trim_start().starts_with(['#', '!']);
        if expanded.s.contains('\n') {
            for piece in expanded.split_lines() {
                if !comment(&piece) {
                    self.tokens(piece);
                }
            }
        } else if !comment(&expanded) {
            self.tokens(expanded);
        }
    }

    fn line_loop(&mut self, t: &Text, l: pest::iterators::Pair<Rule>, depth: usize) {
        let (pos, _) = t.pos_at(l.as_span().start());
        let mut kind = "";
        let mut args: Vec<(bool, String)> = Vec::new();
        let mut rest_at = t.s.len();
        for p in l.into_inner() {
            match p.as_rule() {
                Rule::loop_kind => kind = p.as_str(),
                Rule::loop_arg => {
                    let group = p.as_str().starts_with('{');
                    let inner = p.into_inner().next().map(|x| x.as_str()).unwrap_or("");
                    args.push((group, inner.trim().to_string()));
                }
                Rule::loop_rest => rest_at = p.as_span().start(),
                _ => {}
            }
        }
        let rest = t.slice_from(rest_at);
        // Each iteration: a list of (name, value) assignments.
        let mut iterations: Vec<Vec<(String, String)>> = Vec::new();
        let bad = |s: &mut Self, m: &str| {
            s.diag(
                Severity::Error,
                pos,
                4,
                format!("invalid ~{kind}: {m}; line ignored"),
            );
        };
        if kind == "LST" {
            let Some(((group, names), values)) = args.split_first().map(|(a, b)| (a.clone(), b))
            else {
                return bad(self, "no variable");
            };
            let names: Vec<String> = if group {
                names.split(',').map(|s| s.trim().to_string()).collect()
            } else {
                vec![names]
            };
            if names.iter().any(|n| !is_param_name(n)) {
                return bad(self, "bad variable name");
            }
            for (g, v) in values {
                let vals: Vec<String> = if *g {
                    v.split(',').map(|s| s.trim().to_string()).collect()
                } else {
                    vec![v.clone()]
                };
                if vals.len() != names.len() {
                    return bad(self, "a value group does not match the variables");
                }
                iterations.push(names.iter().cloned().zip(vals).collect());
            }
        } else {
            let hex = kind == "SEQx";
            if args.iter().any(|(g, _)| *g) || args.len() < 2 || args.len() > 4 {
                return bad(self, "expected (var,[start,][step,]end)");
            }
            let name = args[0].1.clone();
            if !is_param_name(&name) {
                return bad(self, "bad variable name");
            }
            let mut nums = Vec::new();
            for (_, a) in &args[1..] {
                match parse_loop_int(a) {
                    Some(n) => nums.push(n),
                    None => return bad(self, &format!("'{a}' is not a number")),
                }
            }
            let (start, step, end) = match nums[..] {
                [e] => (1, 1, e),
                [s, e] => (s, 1, e),
                [s, st, e] => (s, st, e),
                _ => return bad(self, "expected (var,[start,][step,]end)"),
            };
            if step == 0 {
                return bad(self, "step is 0");
            }
            let mut v = start;
            while (step > 0 && v <= end) || (step < 0 && v >= end) {
                if iterations.len() >= MAX_LOOP_ITERATIONS {
                    return bad(self, &format!("more than {MAX_LOOP_ITERATIONS} iterations"));
                }
                let s = if hex { format!("{v:x}") } else { v.to_string() };
                iterations.push(vec![(name.clone(), s)]);
                match v.checked_add(step) {
                    Some(n) => v = n,
                    None => break,
                }
            }
        }
        for assign in iterations {
            if self.overflow {
                return;
            }
            for (n, v) in assign {
                self.params.insert(n, v);
            }
            self.content(rest.clone(), depth + 1);
        }
    }

    /// Expands `$NAME ` and `${NAME}` (recursively, at use time); undefined names stay.
    fn expand(&mut self, t: &Text) -> Text {
        let mut out = Text::default();
        let mut stack = Vec::new();
        self.expand_into(t, &mut out, &mut stack);
        out
    }

    fn expand_into(&mut self, t: &Text, out: &mut Text, stack: &mut Vec<String>) {
        let s = &t.s;
        let b = s.as_bytes();
        let mut lit_start = 0;
        let mut i = 0;
        while i < b.len() {
            if self.expand_failed {
                return;
            }
            if b[i] != b'$' {
                i += 1;
                continue;
            }
            let Some((name, args, end)) = param_ref(s, i) else {
                i += 1;
                continue;
            };
            let (pos, _) = t.pos_at(i);
            let value = if name == "_ENV" {
                self.env_value(&args, pos, end - i)
            } else {
                self.param_value(&name, &args)
            };
            let Some(value) = value else {
                i = end;
                continue;
            };
            // Flush the literal text before the reference.
            push_range(out, t, lit_start, i);
            let failure = if stack.contains(&name) {
                Some(format!("parameter '{name}' expands into itself"))
            } else if stack.len() >= MAX_PARAM_DEPTH {
                Some(format!(
                    "parameters nested more than {MAX_PARAM_DEPTH} deep"
                ))
            } else if out.s.len() + value.len() > MAX_LINE_BYTES {
                Some(format!(
                    "line longer than {MAX_LINE_BYTES} bytes after expanding '{name}'"
                ))
            } else {
                None
            };
            if let Some(msg) = failure {
                self.diag(
                    Severity::Error,
                    pos,
                    end - i,
                    format!("{msg}; line ignored"),
                );
                self.expand_failed = true;
                return;
            } else {
                let mut inner = Text::default();
                inner.push_fixed(&value, pos);
                stack.push(name);
                if value.contains('$') {
                    self.expand_into(&inner, out, stack);
                } else {
                    out.push_fixed(&value, pos);
                }
                stack.pop();
                if self.expand_failed {
                    return;
                }
            }
            i = end;
            lit_start = end;
        }
        push_range(out, t, lit_start, b.len());
    }

    /// keepalived 2.4.0's `${_ENV NAME}`: the environment variable's value (empty when
    /// unset); any other number of parameters is an error and the text stays as written.
    fn env_value(&mut self, args: &str, pos: Pos, width: usize) -> Option<String> {
        let words: Vec<&str> = args.split_whitespace().collect();
        if words.len() != 1 {
            self.diag(
                Severity::Error,
                pos,
                width,
                format!(
                    "Definition _ENV requires between 1 and 1 parameters, {} specified.",
                    words.len()
                ),
            );
            return None;
        }
        Some(crate::inputs::env(words[0]).unwrap_or_default())
    }

    fn param_value(&mut self, name: &str, args: &str) -> Option<String> {
        match name {
            "_PWD" => {
                let dir = self
                    .stack
                    .last()
                    .and_then(|p| p.parent())
                    .map(|p| p.to_path_buf())
                    .unwrap_or_default();
                let dir = if dir.is_absolute() {
                    dir
                } else {
                    crate::inputs::current_dir()
                        .map(|c| c.join(&dir))
                        .unwrap_or(dir)
                };
                Some(dir.display().to_string().trim_end_matches('/').to_string())
            }
            "_INSTANCE" => Some(self.opts.instance.clone().unwrap_or_default()),
            "_HASH" => Some("#".into()),
            "_BANG" => Some("!".into()),
            "_RANDOM" => {
                let mut it = args.split_whitespace().map(|a| a.parse::<i64>().ok());
                let (lo, hi) = match (it.next(), it.next()) {
                    (Some(Some(a)), Some(Some(b))) => (a, b),
                    (Some(Some(b)), None) => (0, b),
                    _ => (0, i32::MAX as i64),
                };
                let (lo, hi) = if lo <= hi { (lo, hi) } else { (hi, lo) };
                // xorshift64: deterministic for a given seed, no clock read here.
                self.rng ^= self.rng << 13;
                self.rng ^= self.rng >> 7;
                self.rng ^= self.rng << 17;
                let span = (hi - lo) as u128 + 1;
                Some((lo as i128 + (self.rng as u128 % span) as i128).to_string())
            }
            _ => self.params.get(name).cloned(),
        }
    }

    fn tokens(&mut self, t: Text) {
        if self.tree.lines() >= MAX_TOTAL_LINES {
            if !self.overflow {
                let (pos, _) = t.pos_at(0);
                self.diag(
                    Severity::Error,
                    pos,
                    1,
                    format!(
                        "configuration has more than {MAX_TOTAL_LINES} lines; the rest is ignored"
                    ),
                );
            }
            self.overflow = true;
            return;
        }
        let trimmed = t.s.trim_start();
        if trimmed.starts_with("include") {
            if let Ok(mut pairs) = KeepalivedParser::parse(Rule::include, &t.s) {
                if let Some(inc) = pairs.next() {
                    let mut kind = "";
                    let mut arg = ("", 0usize);
                    for p in inc.into_inner() {
                        match p.as_rule() {
                            Rule::include_kind => kind = p.as_str(),
                            Rule::include_arg => {
                                let inner = p.into_inner().next();
                                if let Some(x) = inner {
                                    arg = (x.as_str(), x.as_span().start());
                                }
                            }
                            _ => {}
                        }
                    }
                    let (pos, _) = t.pos_at(arg.1);
                    let check = IncludeCheck::from_kind(kind, self.include_check);
                    let saved = self.include_check;
                    self.include(arg.0, pos, &check);
                    self.include_check = saved;
                    return;
                }
            }
        }
        if !t.s.contains(['"', '\\']) {
            // Fast path, the same cut as the `tokens` rule for lines with no quote and no
            // backslash (checked against the grammar by a property test).
            let mut tokens = std::mem::take(&mut self.spare_tokens);
            if let [sp] = t.spans[..] {
                // One source span: columns advance with each character (ASCII fast).
                let ascii = t.s.is_ascii();
                for (start, text, kind) in simple_tokens(&t.s) {
                    let (col, width) = if ascii {
                        (start as u32, text.len() as u32)
                    } else {
                        (
                            t.s[..start].chars().count() as u32,
                            text.chars().count() as u32,
                        )
                    };
                    let pos = if sp.linear {
                        Pos {
                            col: sp.pos.col + col,
                            ..sp.pos
                        }
                    } else {
                        sp.pos
                    };
                    let width = if sp.linear { width } else { 1 };
                    tokens.push(Token {
                        kind,
                        text: text.into(),
                        pos,
                        width: caret_width(width),
                        has_raw: false,
                    });
                }
            } else {
                for (start, text, kind) in simple_tokens(&t.s) {
                    let (pos, linear) = t.pos_at(start);
                    let width = if linear {
                        text.chars().count() as u32
                    } else {
                        1
                    };
                    tokens.push(Token {
                        kind,
                        text: text.into(),
                        pos,
                        width: caret_width(width),
                        has_raw: false,
                    });
                }
            }
            self.line(&mut tokens);
            self.spare_tokens = tokens;
            self.spare_text = t;
            return;
        }
        let pairs = match KeepalivedParser::parse(Rule::tokens, &t.s) {
            Ok(mut p) => p.next().map(|x| x.into_inner()),
            Err(_) => None,
        };
        let Some(pairs) = pairs else {
            let (pos, _) = t.pos_at(0);
            self.diag(Severity::Error, pos, 1, "cannot read this line; ignored");
            return;
        };
        let mut tokens = Vec::new();
        for p in pairs {
            let span = p.as_span();
            let (pos, linear) = t.pos_at(span.start());
            let width = if linear {
                span.as_str().chars().count() as u32
            } else {
                1
            };
            let kind = match p.as_rule() {
                Rule::lbrace => TokKind::LBrace,
                Rule::rbrace => TokKind::RBrace,
                Rule::word => TokKind::Word,
                Rule::unterminated => {
                    self.diag(
                        Severity::Error,
                        pos,
                        1,
                        "missing terminating '\"'; line ignored",
                    );
                    return;
                }
                _ => continue,
            };
            let (text, raw) = match kind {
                TokKind::Word => word_text(p),
                _ => (span.as_str().to_string(), None),
            };
            let token = Token {
                kind,
                text: text.into(),
                pos,
                width: caret_width(width),
                has_raw: raw.is_some(),
            };
            if let Some(raw) = raw {
                self.raws.add(&token, raw);
            }
            tokens.push(token);
        }
        self.line(&mut tokens);
    }

    /// One line's tokens to the tree (`tokens` is left empty); global_defs' include_check
    /// takes effect here.
    fn line(&mut self, tokens: &mut Vec<Token>) {
        if tokens
            .first()
            .is_some_and(|t| t.text.as_str() == "include_check")
            && self.tree.inside("global_defs")
        {
            self.include_check_line(tokens);
        }
        if !tokens.is_empty() {
            self.tree.line(tokens, &mut self.diags);
        }
    }

    /// keepalived include_check_set: no word sets every check; a first word without a sign
    /// sets read and that check; `+word` and `-word` add and remove one.
    fn include_check_line(&mut self, tokens: &[Token]) {
        let words: Vec<&Token> = tokens[1..]
            .iter()
            .take_while(|t| t.kind == TokKind::Word)
            .collect();
        if words.is_empty() {
            self.include_check = INCLUDE_ALL;
            return;
        }
        for (i, t) in words.iter().enumerate() {
            let w = t.text.as_str();
            let (sign, name) = match w.as_bytes().first() {
                Some(b'+') => (1, &w[1..]),
                Some(b'-') => (-1, &w[1..]),
                _ => (0, w),
            };
            if sign == 0 && i > 0 {
                self.diag(
                    Severity::Error,
                    t.pos,
                    t.width as usize,
                    format!("Duplicate include_check '{w}' specified - ignoring"),
                );
                continue;
            }
            if sign == 0 {
                self.include_check = 0;
            }
            let flag = match name {
                "read" => INCLUDE_R,
                "match" => INCLUDE_M,
                "wildcard_match" => INCLUDE_W,
                "brace_match" => INCLUDE_B,
                _ => {
                    self.diag(
                        Severity::Error,
                        t.pos,
                        t.width as usize,
                        format!("Unknown include_check type '{name}' - ignoring"),
                    );
                    continue;
                }
            };
            match sign {
                0 => self.include_check = INCLUDE_R | flag,
                1 => self.include_check |= flag,
                _ => self.include_check &= !flag,
            }
        }
    }

    /// Whether the directory a wildcard pattern looks in (its path up to the first
    /// component with a wildcard) is there.
    fn wildcard_dir_exists(&self, pattern: &str) -> bool {
        let upto = pattern
            .find(['*', '?', '['])
            .and_then(|w| pattern[..w].rfind('/'))
            .map(|slash| &pattern[..slash.max(1)]);
        match upto {
            None => true,
            Some(dir) => crate::inputs::is_dir(self.fs, Path::new(dir)),
        }
    }

    fn include(&mut self, pattern: &str, pos: Pos, check: &IncludeCheck) {
        if self.stack.len() >= MAX_INCLUDE_DEPTH {
            self.diag(
                Severity::Error,
                pos,
                pattern.chars().count(),
                format!("includes nested more than {MAX_INCLUDE_DEPTH} deep; '{pattern}' ignored"),
            );
            return;
        }
        let width = pattern.chars().count();
        let base = self
            .stack
            .last()
            .and_then(|p| p.parent())
            .map(|p| p.to_path_buf());
        let resolve = |pat: &str| -> String {
            if pat.starts_with('/') {
                return pat.to_string();
            }
            match &base {
                Some(b) if !b.as_os_str().is_empty() => b.join(pat).display().to_string(),
                _ => pat.to_string(),
            }
        };
        let mut files: Vec<PathBuf> = Vec::new();
        // keepalived open_and_check_glob: a name without wildcards that is not there, or a
        // directory a wildcard looks in that is not there, is "missing"; a wildcard that
        // matches nothing is not.
        let mut missing = 0;
        let mut have_wildcards = false;
        let alts = brace_expand(pattern);
        for alt in &alts {
            let full = resolve(alt);
            let matched = match crate::inputs::glob(self.fs, &full) {
                Ok(m) => m,
                Err(e) => {
                    self.diag(
                        Severity::Error,
                        pos,
                        width,
                        format!("bad include pattern '{pattern}': {e}"),
                    );
                    return;
                }
            };
            let wild = alt.contains(['*', '?', '[']);
            have_wildcards |= wild;
            if matched.is_empty() && (!wild || !self.wildcard_dir_exists(&full)) {
                missing += 1;
            }
            files.extend(matched);
        }
        let shown = resolve(pattern);
        let problem = if files.is_empty() && missing > 0 {
            let kind = if alts.len() > 1 { INCLUDE_B } else { INCLUDE_M };
            Some((kind, format!("Config files missing '{shown}'.")))
        } else if files.is_empty() && have_wildcards && check.has(INCLUDE_W) {
            Some((INCLUDE_W, format!("No config files matched '{shown}'.")))
        } else if missing > 0 {
            Some((
                INCLUDE_B,
                format!("Some config files missing: \"{shown}\"."),
            ))
        } else {
            None
        };
        if let Some((kind, msg)) = problem {
            // keepalived file_config_error: an error (exit code 6) when this include's
            // checks have the kind; otherwise only logged.
            let sev = if check.has(kind) {
                self.include_error = true;
                Severity::Error
            } else {
                Severity::Note
            };
            self.diag(sev, pos, width, msg);
            if kind == INCLUDE_B && check.has(INCLUDE_B) && !files.is_empty() {
                return;
            }
        }
        files.sort();
        files.dedup();
        for f in files {
            if self.stack.iter().any(|s| s == &f) {
                self.diag(
                    Severity::Error,
                    pos,
                    width,
                    format!("recursive include of '{}'; ignored", f.display()),
                );
                continue;
            }
            self.file(&f, pos, Some(check));
        }
    }
}

fn push_range(out: &mut Text, t: &Text, from: usize, to: usize) {
    if from >= to {
        return;
    }
    out.s.reserve(to - from);
    let sub = t.range(from, to);
    let base = out.s.len();
    for sp in sub.spans {
        out.spans.push(Span {
            start: base + sp.start,
            ..sp
        });
    }
    out.s.push_str(&sub.s);
}

/// A word's text: quotes removed; inside quotes `\"` and `\\` stand for `"` and `\`;
/// everywhere `\#` and `\!` stand for the comment characters. When a quoted part held a
/// backslash, the raw form (backslashes kept) is returned too, for script keywords.
fn word_text(p: pest::iterators::Pair<Rule>) -> (String, Option<Box<str>>) {
    let mut s = String::new();
    let mut raw = String::new();
    let mut differs = false;
    for part in p.into_inner() {
        match part.as_rule() {
            Rule::word_quoted => {
                if let Some(q) = part.into_inner().next() {
                    let q = q.as_str();
                    raw.push_str(q);
                    if q.contains('\\') {
                        differs = true;
                        let mut chars = q.chars();
                        while let Some(c) = chars.next() {
                            match (c, chars.clone().next()) {
                                ('\\', Some(n @ ('"' | '\\'))) => {
                                    s.push(n);
                                    chars.next();
                                }
                                _ => s.push(c),
                            }
                        }
                    } else {
                        s.push_str(q);
                    }
                }
            }
            Rule::word_plain => {
                let text = part.as_str();
                let text = if text.contains('\\') {
                    text.replace("\\#", "#").replace("\\!", "!")
                } else {
                    text.to_string()
                };
                s.push_str(&text);
                raw.push_str(&text);
            }
            _ => {}
        }
    }
    (s, differs.then(|| raw.into_boxed_str()))
}

fn is_ws(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\x0B' | '\x0C')
}

/// Tokens of a line without quotes or backslashes: (byte offset, text, kind).
pub fn simple_tokens(s: &str) -> SimpleTokens<'_> {
    SimpleTokens { s, at: 0 }
}

/// The iterator [`simple_tokens`] returns (no allocation: it runs once per line).
pub struct SimpleTokens<'a> {
    s: &'a str,
    at: usize,
}

impl<'a> Iterator for SimpleTokens<'a> {
    type Item = (usize, &'a str, TokKind);

    fn next(&mut self) -> Option<Self::Item> {
        // Separators and braces are ASCII, so byte positions are character boundaries.
        let b = self.s.as_bytes();
        while self.at < b.len() && is_ws(char::from(b[self.at])) {
            self.at += 1;
        }
        let start = self.at;
        let kind = match *b.get(start)? {
            b'{' => TokKind::LBrace,
            b'}' => TokKind::RBrace,
            _ => {
                while self.at < b.len()
                    && !is_ws(char::from(b[self.at]))
                    && !matches!(b[self.at], b'{' | b'}')
                {
                    self.at += 1;
                }
                return Some((start, &self.s[start..self.at], TokKind::Word));
            }
        };
        self.at += 1;
        Some((start, &self.s[start..self.at], kind))
    }
}

/// Tokens of any line by the grammar's `tokens` rule: (byte offset, text, kind); None if
/// the line has an unterminated quote.
pub fn grammar_tokens(s: &str) -> Option<Vec<(usize, String, TokKind)>> {
    let mut pairs = KeepalivedParser::parse(Rule::tokens, s).ok()?;
    let mut out = Vec::new();
    for p in pairs.next()?.into_inner() {
        let start = p.as_span().start();
        match p.as_rule() {
            Rule::lbrace => out.push((start, "{".to_string(), TokKind::LBrace)),
            Rule::rbrace => out.push((start, "}".to_string(), TokKind::RBrace)),
            Rule::word => out.push((start, word_text(p).0, TokKind::Word)),
            Rule::unterminated => return None,
            _ => {}
        }
    }
    Some(out)
}

/// The code part of a physical line (before any comment).
fn strip_comment(raw: &str) -> &str {
    if !raw.contains(['!', '#']) {
        return raw;
    }
    match KeepalivedParser::parse(Rule::code, raw) {
        Ok(mut p) => p.next().map(|c| c.as_str()).unwrap_or(raw),
        Err(_) => raw,
    }
}

fn looks_like_param_def(s: &str) -> bool {
    let s = s.trim_start();
    let s = if s.starts_with('@') {
        match s.find(char::is_whitespace) {
            Some(i) => s[i..].trim_start(),
            None => return false,
        }
    } else {
        s
    };
    let Some(rest) = s.strip_prefix('$') else {
        return false;
    };
    let name_len = rest
        .bytes()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == b'_')
        .count();
    name_len > 0 && rest.as_bytes().get(name_len) == Some(&b'=') && is_param_name(&rest[..name_len])
}

fn is_param_name(s: &str) -> bool {
    let mut c = s.chars();
    matches!(c.next(), Some(ch) if ch.is_ascii_alphabetic() || ch == '_')
        && c.all(|ch| ch.is_ascii_alphanumeric() || ch == '_')
}

/// A parameter reference at byte `i` (which holds '$'): (name, args, end byte).
fn param_ref(s: &str, i: usize) -> Option<(String, String, usize)> {
    let rest = &s[i + 1..];
    if let Some(inner) = rest.strip_prefix('{') {
        let close = inner.find('}')?;
        let body = &inner[..close];
        let (name, args) = match body.find(char::is_whitespace) {
            Some(sp) => (&body[..sp], body[sp..].trim()),
            None => (body, ""),
        };
        if !is_param_name(name) {
            return None;
        }
        return Some((name.to_string(), args.to_string(), i + 2 + close + 1));
    }
    let n = rest
        .bytes()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == b'_')
        .count();
    if n == 0 || !is_param_name(&rest[..n]) {
        return None;
    }
    // keepalived: "$NAME" must be followed by whitespace or the end of the line.
    match rest.as_bytes().get(n) {
        None => {}
        Some(c) if c.is_ascii_whitespace() => {}
        _ => return None,
    }
    Some((rest[..n].to_string(), String::new(), i + 1 + n))
}

fn parse_loop_int(s: &str) -> Option<i64> {
    let (neg, t) = match s.strip_prefix('-') {
        Some(t) => (true, t),
        None => (false, s),
    };
    let v = match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        Some(h) => i64::from_str_radix(h, 16).ok()?,
        None => t.parse::<i64>().ok()?,
    };
    Some(if neg { -v } else { v })
}

/// `a{b,c}d` → `abd`, `acd` (nested braces too); text without braces is returned as is.
/// The number of alternatives is capped so a pattern cannot explode.
pub fn brace_expand(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    brace_expand_into(s, &mut out, 0);
    out.truncate(4096);
    out
}

fn brace_expand_into(s: &str, out: &mut Vec<String>, depth: usize) {
    if out.len() >= 4096 || depth > 16 {
        return;
    }
    let b = s.as_bytes();
    let Some(open) = b.iter().position(|c| *c == b'{') else {
        out.push(s.to_string());
        return;
    };
    let mut level = 0;
    let mut commas = Vec::new();
    let mut close = None;
    for (j, c) in b.iter().enumerate().skip(open) {
        match c {
            b'{' => level += 1,
            b'}' => {
                level -= 1;
                if level == 0 {
                    close = Some(j);
                    break;
                }
            }
            b',' if level == 1 => commas.push(j),
            _ => {}
        }
    }
    let Some(close) = close else {
        out.push(s.to_string());
        return;
    };
    if commas.is_empty() {
        // "{x}" is not an alternative: keep it literally and expand what follows.
        let mut tail = Vec::new();
        brace_expand_into(&s[close + 1..], &mut tail, depth + 1);
        for t in tail {
            out.push(format!("{}{}", &s[..=close], t));
        }
        return;
    }
    let mut bounds = vec![open];
    bounds.extend(commas);
    bounds.push(close);
    for w in bounds.windows(2) {
        let alt = &s[w[0] + 1..w[1]];
        let joined = format!("{}{}{}", &s[..open], alt, &s[close + 1..]);
        brace_expand_into(&joined, out, depth + 1);
    }
}

/// A token's caret width: at least one column, at most what the token holds.
fn caret_width(chars: u32) -> u16 {
    u16::try_from(chars.max(1)).unwrap_or(u16::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn braces_expand() {
        assert_eq!(brace_expand("a{b,c}d"), vec!["abd", "acd"]);
        assert_eq!(brace_expand("x{1,{2,3}}"), vec!["x1", "x2", "x3"]);
        assert_eq!(brace_expand("plain"), vec!["plain"]);
    }

    #[test]
    fn comments_are_cut_outside_double_quotes_only() {
        assert_eq!(strip_comment("a b # c"), "a b ");
        assert_eq!(strip_comment("a \"b # c\" ! d"), "a \"b # c\" ");
        assert_eq!(strip_comment("a \\# b"), "a \\# b");
        assert_eq!(strip_comment("a 'b # c'"), "a 'b ");
    }

    #[test]
    fn param_refs() {
        assert_eq!(param_ref("$A b", 0), Some(("A".into(), "".into(), 2)));
        assert_eq!(param_ref("$A", 0), Some(("A".into(), "".into(), 2)));
        assert_eq!(param_ref("$Ab", 0), Some(("Ab".into(), "".into(), 3)));
        assert_eq!(param_ref("$A.b", 0), None);
        assert_eq!(param_ref("${A}.b", 0), Some(("A".into(), "".into(), 4)));
        assert_eq!(
            param_ref("${_RANDOM 1 5}", 0),
            Some(("_RANDOM".into(), "1 5".into(), 14))
        );
    }
}

//! What the preprocessor hands the tree builder: words and braces, each with where it
//! came from.

use crate::diag::Pos;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokKind {
    Word,
    LBrace,
    RBrace,
}

/// One token: a word (quotes removed, `\#` and `\!` unescaped), `{` or `}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    pub kind: TokKind,
    pub text: crate::word::Word,
    pub pos: Pos,
    /// Width in source characters, for the caret (a wider word's caret stops at 65,535).
    pub width: u16,
    /// For words with a quoted part holding a backslash: the text with the quotes removed
    /// but the backslashes kept, which script keywords split shell-style. Rare, so behind
    /// a thin pointer: a large configuration holds hundreds of thousands of tokens.
    pub raw: Option<Box<Box<str>>>,
}

impl Token {
    /// The text script keywords split: backslashes inside quotes kept.
    pub fn raw_text(&self) -> &str {
        self.raw.as_deref().map_or(&self.text, |r| r)
    }
}

//! What the preprocessor hands the tree builder: words and braces, each with where it
//! came from.

use std::collections::HashMap;

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
    /// A word with a quoted part holding a backslash: its raw text (the quotes removed but
    /// the backslashes kept, which script keywords split shell-style) is in the
    /// [`RawTexts`] the preprocessor made. Rare, so kept aside: a large configuration
    /// holds hundreds of thousands of tokens.
    pub has_raw: bool,
    /// Width in source characters, for the caret (a wider word's caret stops at 65,535).
    pub width: u16,
    pub text: crate::word::Word,
    pub pos: Pos,
}

/// The raw texts of the words that have one ([`Token::has_raw`]), by position and text.
#[derive(Clone, Debug, Default)]
pub struct RawTexts(HashMap<(Pos, crate::word::Word), Box<str>>);

impl RawTexts {
    pub fn add(&mut self, t: &Token, raw: Box<str>) {
        self.0.insert((t.pos, t.text.clone()), raw);
    }

    /// The text script keywords split: backslashes inside quotes kept.
    pub fn of<'a>(&'a self, t: &'a Token) -> &'a str {
        if t.has_raw {
            if let Some(r) = self.0.get(&(t.pos, t.text.clone())) {
                return r;
            }
        }
        &t.text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A large configuration holds hundreds of thousands of tokens: one that grows shows
    /// in `-t`'s peak memory (bench/parse.sh).
    #[test]
    fn a_token_is_40_bytes() {
        assert_eq!(std::mem::size_of::<Token>(), 40);
    }

    #[test]
    fn raw_texts_by_position_and_text() {
        let t = |col, text: &str, has_raw| Token {
            kind: TokKind::Word,
            has_raw,
            width: 1,
            text: text.into(),
            pos: Pos {
                file: 0,
                line: 1,
                col,
            },
        };
        let mut raws = RawTexts::default();
        raws.add(&t(5, "a b", true), "a\\ b".into());
        assert_eq!(raws.of(&t(5, "a b", true)), "a\\ b");
        assert_eq!(raws.of(&t(5, "a b", false)), "a b");
        assert_eq!(raws.of(&t(6, "a b", true)), "a b");
        assert_eq!(raws.of(&t(5, "other", true)), "other");
    }
}

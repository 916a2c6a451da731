//! Shell-style splitting of script commands (keepalived's `install_keyword_quoted`), and
//! the reverse, used by the dump.

use pest::Parser;

use crate::grammar::{KeepalivedParser, Rule};

/// Splits a command line: `'…'` is literal; `"…"` and bare text take backslash escapes
/// (`\a \b \E \f \n \r \t \v \nnn \xHH \cC`, or any other character quoted).
pub fn split(s: &str) -> Result<Vec<String>, SplitError> {
    let line = KeepalivedParser::parse(Rule::sh_line, s)
        .map_err(|_| unterminated(s))?
        .next()
        .ok_or(SplitError::Empty)?;
    let mut out = Vec::new();
    for w in line.into_inner() {
        if w.as_rule() != Rule::sh_word {
            continue;
        }
        let mut word = String::new();
        for part in w.into_inner() {
            match part.as_rule() {
                Rule::sh_squote => {
                    if let Some(t) = part.into_inner().next() {
                        word.push_str(t.as_str());
                    }
                }
                Rule::sh_dquote => {
                    for p in part.into_inner() {
                        match p.as_rule() {
                            Rule::sh_escape => unescape(p.as_str(), &mut word),
                            _ => word.push_str(p.as_str()),
                        }
                    }
                }
                Rule::sh_escape => unescape(part.as_str(), &mut word),
                _ => word.push_str(part.as_str()),
            }
        }
        out.push(word);
    }
    Ok(out)
}

/// Why a command line cannot be split (its Display goes into the diagnostic).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SplitError {
    /// A quote (`'` or `"`) that is never closed.
    Unterminated(char),
    Empty,
    Unsplittable,
}

impl std::fmt::Display for SplitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SplitError::Unterminated(q) => write!(f, "missing terminating {q}"),
            SplitError::Empty => f.write_str("empty command"),
            SplitError::Unsplittable => f.write_str("cannot split the command"),
        }
    }
}

impl std::error::Error for SplitError {}

fn unterminated(s: &str) -> SplitError {
    let mut quote: Option<char> = None;
    let mut esc = false;
    for c in s.chars() {
        if esc {
            esc = false;
            continue;
        }
        match (quote, c) {
            (Some('\''), '\'') => quote = None,
            (Some('"'), '"') => quote = None,
            (Some('"'), '\\') | (None, '\\') => esc = true,
            (None, '\'') | (None, '"') => quote = Some(c),
            _ => {}
        }
    }
    match quote {
        Some(q) => SplitError::Unterminated(q),
        None => SplitError::Unsplittable,
    }
}

/// One escape: a backslash and what the grammar matched after it.
fn unescape(esc: &str, out: &mut String) {
    let body = &esc[1..];
    let mut chars = body.chars();
    let c = chars.next().unwrap_or('\\');
    let rest = chars.as_str();
    let byte = |v: u32| char::from_u32(v).unwrap_or('\u{fffd}');
    match c {
        'x' if !rest.is_empty() => out.push(byte(u32::from_str_radix(rest, 16).unwrap_or(0))),
        '0'..='7' => out.push(byte(u32::from_str_radix(body, 8).unwrap_or(0) & 0xff)),
        'c' if !rest.is_empty() => {
            let k = rest.chars().next().unwrap_or('@');
            out.push(byte((k.to_ascii_uppercase() as u32) ^ 0x40));
        }
        'a' => out.push('\x07'),
        'b' => out.push('\x08'),
        'E' | 'e' => out.push('\x1b'),
        'f' => out.push('\x0c'),
        'n' => out.push('\n'),
        'r' => out.push('\r'),
        't' => out.push('\t'),
        'v' => out.push('\x0b'),
        other => out.push(other),
    }
}

/// Quotes `argv` so that [`split`] gives it back, for writing inside `"…"`.
pub fn join(argv: &[String]) -> String {
    let mut out = String::new();
    for (i, a) in argv.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        if a.is_empty() {
            out.push_str("''");
            continue;
        }
        for c in a.chars() {
            match c {
                c if c.is_ascii_alphanumeric() || "/._-=:,@+%^~[]()<>;|&*?{}".contains(c) => {
                    out.push(c)
                }
                '\n' => out.push_str("\\n"),
                '\t' => out.push_str("\\t"),
                '\r' => out.push_str("\\r"),
                '\x07' => out.push_str("\\a"),
                '\x08' => out.push_str("\\b"),
                '\x1b' => out.push_str("\\E"),
                '\x0c' => out.push_str("\\f"),
                '\x0b' => out.push_str("\\v"),
                c => {
                    out.push('\\');
                    out.push(c);
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn splits_like_keepalived() {
        assert_eq!(
            split("/bin/echo 'a b' c").unwrap(),
            v(&["/bin/echo", "a b", "c"])
        );
        assert_eq!(
            split("x \"a\\tb\" c\\ d").unwrap(),
            v(&["x", "a\tb", "c d"])
        );
        assert_eq!(split("x 'a'\"b\"c").unwrap(), v(&["x", "abc"]));
        assert_eq!(split("x \\x41\\101\\cA").unwrap(), v(&["x", "AA\u{1}"]));
        assert_eq!(split("  ").unwrap(), Vec::<String>::new());
        assert!(split("x 'a")
            .unwrap_err()
            .to_string()
            .contains("missing terminating '"));
        assert!(split("x \"a")
            .unwrap_err()
            .to_string()
            .contains("missing terminating \""));
    }

    #[test]
    fn join_round_trips() {
        for argv in [
            v(&["/bin/echo", "a b", "c"]),
            v(&[
                "x",
                "it's",
                "\"q\"",
                "",
                "tab\there",
                "back\\slash",
                "#hash",
                "!bang",
                "$HOME",
            ]),
        ] {
            assert_eq!(split(&join(&argv)).unwrap(), argv);
        }
    }
}

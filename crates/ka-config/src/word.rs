//! A token's text: held inline when short (almost every keepalived.conf word), so that
//! reading a large configuration does not allocate once per word, nor check its UTF-8
//! again each time it is read.

use std::fmt;
use std::ops::Deref;

use smol_str::SmolStr;

/// Up to 23 bytes inline; longer words share one heap copy between clones.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Word(SmolStr);

impl Word {
    pub fn new(s: &str) -> Word {
        Word(SmolStr::new(s))
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

impl Deref for Word {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl From<&str> for Word {
    fn from(s: &str) -> Word {
        Word::new(s)
    }
}

impl From<String> for Word {
    fn from(s: String) -> Word {
        Word(SmolStr::from(s))
    }
}

impl fmt::Display for Word {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Word {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl PartialEq<str> for Word {
    fn eq(&self, o: &str) -> bool {
        self.as_str() == o
    }
}

impl PartialEq<&str> for Word {
    fn eq(&self, o: &&str) -> bool {
        self.as_str() == *o
    }
}

impl PartialEq<String> for Word {
    fn eq(&self, o: &String) -> bool {
        self.as_str() == o
    }
}

impl PartialEq<Word> for String {
    fn eq(&self, o: &Word) -> bool {
        self == o.as_str()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_and_heap() {
        for s in [
            "",
            "vrrp_instance",
            "exactly_twenty_two_b_x",
            "a much longer word than twenty-two bytes",
            "ünïcødé",
        ] {
            let w = Word::new(s);
            assert_eq!(w.as_str(), s);
            assert_eq!(Word::from(s.to_string()), w);
        }
    }
}

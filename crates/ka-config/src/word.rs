//! A token's text: held inline when short (almost every keepalived.conf word), so that
//! reading a large configuration does not allocate once per word.

use std::fmt;
use std::ops::Deref;

const INLINE: usize = 22;

#[derive(Clone, PartialEq, Eq, Hash)]
enum Repr {
    Inline { len: u8, buf: [u8; INLINE] },
    Heap(Box<str>),
}

#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Word(Repr);

impl Word {
    pub fn new(s: &str) -> Word {
        if s.len() <= INLINE {
            let mut buf = [0u8; INLINE];
            buf[..s.len()].copy_from_slice(s.as_bytes());
            Word(Repr::Inline {
                len: s.len() as u8,
                buf,
            })
        } else {
            Word(Repr::Heap(s.into()))
        }
    }

    pub fn as_str(&self) -> &str {
        match &self.0 {
            // The bytes were copied from a &str, whole: valid UTF-8.
            Repr::Inline { len, buf } => {
                std::str::from_utf8(&buf[..*len as usize]).unwrap_or_default()
            }
            Repr::Heap(b) => b,
        }
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
        if s.len() <= INLINE {
            Word::new(&s)
        } else {
            Word(Repr::Heap(s.into_boxed_str()))
        }
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

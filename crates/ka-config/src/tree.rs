//! The second stage: tokens to a raw tree. A statement is a keyword and the words after it
//! on the same line; a `{` on that line, or alone on the next line, opens its block.
//! Unbalanced braces are reported where they are, not where the file ends.

use crate::diag::{Diagnostic, Pos, Severity};
use crate::token::{TokKind, Token};

/// A keyword, its arguments and its block, if any.
#[derive(Clone, Debug)]
pub struct Node {
    pub key: Token,
    /// Sized to fit: a large configuration holds hundreds of thousands.
    pub args: Box<[Token]>,
    /// Boxed: most statements have none, and a large configuration holds hundreds of
    /// thousands of nodes.
    pub block: Option<Box<Block>>,
}

#[derive(Clone, Debug, Default)]
pub struct Block {
    pub open: Pos,
    pub children: Vec<Node>,
    /// Where its '}' is (None: never closed). keepalived reports some problems of a
    /// block at its last line.
    pub close: Option<Pos>,
}

impl Node {
    pub fn pos(&self) -> Pos {
        self.key.pos
    }
}

/// Keywords that only ever open a top-level block: meeting one inside a block means a
/// `}` is missing above it.
const TOP_LEVEL_BLOCKS: &[&str] = &[
    "global_defs",
    "vrrp_instance",
    "vrrp_script",
    "vrrp_sync_group",
    "virtual_server",
    "virtual_server_group",
    "static_ipaddress",
    "static_routes",
    "static_rules",
    "vrrp_track_process",
    "vrrp_track_file",
];

struct Open {
    /// The statement that owns the block (None for a stray '{').
    node: Option<Node>,
    block: Block,
}

/// Builds the tree line by line, as the preprocessor produces them.
#[derive(Default)]
pub struct Builder {
    top: Vec<Node>,
    stack: Vec<Open>,
    /// The last statement of the previous line, which a '{' alone on a line attaches to.
    pending: Option<Node>,
    lines: usize,
}

impl Builder {
    /// Whether the innermost open block is a top-level `keyword` block.
    pub fn inside(&self, keyword: &str) -> bool {
        self.stack.len() == 1
            && self.stack[0]
                .node
                .as_ref()
                .is_some_and(|n| n.key.text.as_str() == keyword)
    }

    /// Lines seen so far.
    pub fn lines(&self) -> usize {
        self.lines
    }

    fn children(&mut self) -> &mut Vec<Node> {
        match self.stack.last_mut() {
            Some(o) => &mut o.block.children,
            None => &mut self.top,
        }
    }

    fn close(&mut self) {
        if let Some(mut o) = self.stack.pop() {
            o.block.children.shrink_to_fit();
            if let Some(mut n) = o.node {
                n.block = Some(Box::new(o.block));
                self.children().push(n);
            }
        }
    }

    fn flush_pending(&mut self) {
        if let Some(p) = self.pending.take() {
            self.children().push(p);
        }
    }

    /// One line's tokens (`tokens` is left empty, for the caller to fill again).
    pub fn line(&mut self, tokens: &mut Vec<Token>, diags: &mut Vec<Diagnostic>) {
        self.lines += 1;
        let opens_block = tokens.iter().any(|t| t.kind == TokKind::LBrace);
        let mut toks = tokens.drain(..);
        let mut first_on_line = true;
        while let Some(t) = toks.next() {
            match t.kind {
                TokKind::Word => {
                    self.flush_pending();
                    if !self.stack.is_empty()
                        && first_on_line
                        && opens_block
                        && TOP_LEVEL_BLOCKS.contains(&t.text.as_str())
                        && self.stack.iter().all(|o| o.node.is_some())
                    {
                        let opened = self.stack[0].block.open;
                        let owner = self.stack[0]
                            .node
                            .as_ref()
                            .map(|n| n.key.text.to_string())
                            .unwrap_or_default();
                        diags.push(Diagnostic::new(
                            Severity::Error,
                            t.pos,
                            t.width as usize,
                            format!(
                                "'{}' cannot be inside '{}': a '}}' is missing above (the block opened at line {}, column {})",
                                t.text, owner, opened.line, opened.col
                            ),
                        ));
                        while !self.stack.is_empty() {
                            self.close();
                        }
                    }
                    let n = toks.len()
                        - toks
                            .as_slice()
                            .iter()
                            .skip_while(|a| a.kind == TokKind::Word)
                            .count();
                    let args: Box<[Token]> = toks.by_ref().take(n).collect();
                    self.pending = Some(Node {
                        key: t,
                        args,
                        block: None,
                    });
                }
                TokKind::LBrace => {
                    let owner = self.pending.take();
                    if owner.is_none() {
                        diags.push(Diagnostic::new(
                            Severity::Error,
                            t.pos,
                            1,
                            "'{' without a keyword before it; its block is ignored",
                        ));
                    }
                    self.stack.push(Open {
                        node: owner,
                        block: Block {
                            open: t.pos,
                            children: Vec::new(),
                            close: None,
                        },
                    });
                }
                TokKind::RBrace => {
                    self.flush_pending();
                    if self.stack.is_empty() {
                        diags.push(Diagnostic::new(
                            Severity::Error,
                            t.pos,
                            1,
                            "extra '}' with no block to close; ignored",
                        ));
                    } else {
                        if let Some(o) = self.stack.last_mut() {
                            o.block.close = Some(t.pos);
                        }
                        self.close();
                    }
                }
            }
            first_on_line = false;
        }
    }

    pub fn finish(mut self, diags: &mut Vec<Diagnostic>) -> Vec<Node> {
        self.flush_pending();
        for o in self.stack.iter().rev() {
            let what = o
                .node
                .as_ref()
                .map(|n| format!("'{}' ", n.key.text))
                .unwrap_or_default();
            diags.push(Diagnostic::new(
                Severity::Error,
                o.block.open,
                1,
                format!("the {what}block opened here is never closed: missing '}}'"),
            ));
        }
        while !self.stack.is_empty() {
            self.close();
        }
        self.top
    }
}

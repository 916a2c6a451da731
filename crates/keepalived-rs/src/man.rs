//! keepalived-rs(8): the options section is made from the command line's own definition
//! (so that the page and `--help` cannot disagree), the rest comes from
//! docs/man/keepalived-rs.8.in.

use clap::CommandFactory;

use crate::cli::Cli;

/// Escapes text for roff: backslashes, and a leading dot or quote.
fn roff(text: &str) -> String {
    let t = text.replace('\\', "\\e").replace('-', "\\-");
    if t.starts_with('.') || t.starts_with('\'') {
        format!("\\&{t}")
    } else {
        t
    }
}

/// The OPTIONS section: every option `--help` shows, with its help text.
pub fn options() -> String {
    let cmd = Cli::command();
    let mut out = String::from(".SH OPTIONS\n");
    for a in cmd.get_arguments() {
        if a.is_hide_set() || a.get_id() == "help" {
            continue;
        }
        let mut names = Vec::new();
        if let Some(s) = a.get_short() {
            names.push(format!("\\fB\\-{s}\\fR"));
        }
        if let Some(l) = a.get_long() {
            names.push(format!("\\fB\\-\\-{}\\fR", roff(l)));
        }
        let takes =
            a.get_num_args().is_some_and(|n| n.max_values() > 0) || a.get_action().takes_values();
        let value = if takes {
            let v = a
                .get_value_names()
                .and_then(|v| v.first().map(|s| s.to_string()))
                .unwrap_or_else(|| a.get_id().as_str().to_uppercase());
            format!(" \\fI{}\\fR", roff(&v))
        } else {
            String::new()
        };
        out.push_str(".TP\n");
        out.push_str(&names.join(", "));
        out.push_str(&value);
        out.push('\n');
        let help = a.get_help().map(|h| h.to_string()).unwrap_or_default();
        out.push_str(&roff(&help));
        if let Some(d) = a.get_default_values().first() {
            out.push_str(&format!(" (default: {})", roff(&d.to_string_lossy())));
        }
        out.push('\n');
    }
    out
}

/// The whole page: the template with its `@OPTIONS@` line replaced.
pub fn page(template: &str) -> String {
    template
        .replace("@OPTIONS@\n", &options())
        .replace("@VERSION@", env!("CARGO_PKG_VERSION"))
}

/// Inline markdown as roff: `code` in bold, **strong** in bold, the rest escaped.
fn inline(md: &str) -> String {
    let mut out = String::new();
    let mut rest = md;
    while !rest.is_empty() {
        let code = rest.find('`');
        let strong = rest.find("**");
        match (code, strong) {
            (Some(c), s) if s.is_none_or(|s| c < s) => {
                out.push_str(&escape(&rest[..c]));
                let after = &rest[c + 1..];
                let end = after.find('`').unwrap_or(after.len());
                out.push_str(&format!("\\fB{}\\fR", escape(&after[..end])));
                rest = after.get(end + 1..).unwrap_or("");
            }
            (_, Some(s)) => {
                out.push_str(&escape(&rest[..s]));
                let after = &rest[s + 2..];
                let end = after.find("**").unwrap_or(after.len());
                out.push_str(&format!("\\fB{}\\fR", escape(&after[..end])));
                rest = after.get(end + 2..).unwrap_or("");
            }
            _ => {
                out.push_str(&escape(rest));
                rest = "";
            }
        }
    }
    out
}

/// Text escaped for roff in the middle of a line; characters beyond ASCII as groff's and
/// mandoc's `\[uXXXX]`.
fn escape(t: &str) -> String {
    let mut out = String::with_capacity(t.len());
    for ch in t.chars() {
        match ch {
            '\\' => out.push_str("\\e"),
            '-' => out.push_str("\\-"),
            c if c.is_ascii() => out.push(c),
            c => out.push_str(&format!("\\[u{:04X}]", u32::from(c))),
        }
    }
    out
}

/// A line of running text: a leading dot or quote protected.
fn text_line(t: &str) -> String {
    if t.starts_with('.') || t.starts_with('\'') {
        format!("\\&{t}")
    } else {
        t.to_string()
    }
}

/// The cells of a markdown table row.
fn cells(row: &str) -> Vec<String> {
    let inner = row.trim().trim_start_matches('|').trim_end_matches('|');
    // A `|` inside backquotes (`PASS|AH`) is not a cell boundary.
    let mut out = vec![String::new()];
    let mut code = false;
    for ch in inner.chars() {
        match ch {
            '`' => {
                code = !code;
                out.last_mut().expect("a cell").push(ch);
            }
            '|' if !code => out.push(String::new()),
            _ => out.last_mut().expect("a cell").push(ch),
        }
    }
    out.into_iter().map(|c| c.trim().to_string()).collect()
}

/// keepalived-rs.conf(5): the template's `@KEYWORDS@` line replaced by the "File syntax"
/// and "Keywords" sections of docs/COMPATIBILITY.md (which a test ties to the parser's
/// own keyword lists), so that the page and that file cannot disagree.
pub fn conf_page(template: &str, compat: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    let mut para = false;
    for line in compat.lines() {
        if let Some(h) = line.strip_prefix("## ") {
            inside = h == "File syntax" || h == "Keywords";
            if inside {
                out.push_str(&format!(".SH {}\n", h.to_uppercase()));
                para = false;
            }
            continue;
        }
        if !inside {
            continue;
        }
        if let Some(h) = line.strip_prefix("### ") {
            out.push_str(&format!(".SS \"{}\"\n", escape(h).replace('"', "")));
            para = false;
        } else if line.starts_with('|') {
            let c = cells(line);
            // The header and the separator.
            if c.iter().all(|x| x.chars().all(|ch| ch == '-' || ch == ':')) || c[0] == "keyword" {
                continue;
            }
            if matches!(c[0].as_str(), "checker" | "block" | "option") {
                continue;
            }
            out.push_str(".TP\n");
            out.push_str(&text_line(&inline(&c[0])));
            out.push('\n');
            out.push_str(&text_line(&inline(&c[1..].join("; "))));
            out.push('\n');
            para = false;
        } else if line.trim().is_empty() {
            para = true;
        } else {
            if para {
                out.push_str(".PP\n");
                para = false;
            }
            out.push_str(&text_line(&inline(line)));
            out.push('\n');
        }
    }
    template
        .replace("@KEYWORDS@\n", &out)
        .replace("@VERSION@", env!("CARGO_PKG_VERSION"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_to_roff() {
        assert_eq!(inline("a `b-c` **d**"), "a \\fBb\\-c\\fR \\fBd\\fR");
        assert_eq!(inline("x → y…"), "x \\[u2192] y\\[u2026]");
        assert_eq!(cells("| `PASS|AH` | x |"), vec!["`PASS|AH`", "x"]);
        let md = "## Keywords\n\n### Top level\n\n| keyword | status |\n|---|---|\n| `a` | acted on |\n\ntext\n## Other\n| `z` | no |\n";
        let page = conf_page("X\n@KEYWORDS@\nY\n", md);
        assert_eq!(
            page,
            "X\n.SH KEYWORDS\n.SS \"Top level\"\n.TP\n\\fBa\\fR\nacted on\n.PP\ntext\nY\n"
        );
    }
}

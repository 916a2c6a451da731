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

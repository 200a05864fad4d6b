//! A run over several desired files: one summary table (a row per file), then a section per
//! file holding what a single-file run prints. The sections are rendered by the single-file
//! renderers; this module only lays them out. File names come from the command line and
//! messages from RunCloud: both are escaped for where they go.

use super::Style;
use crate::escape;
use std::fmt::Write;

/// A section's body, rendered for a size limit in bytes (Markdown keeps a comment under
/// GitHub's limit; text ignores it).
pub type Body<'a> = Box<dyn Fn(usize) -> String + 'a>;

/// One file's row and section.
pub struct Part<'a> {
    /// The desired file, as given.
    pub file: String,
    /// "server 1 app 2", or empty when the file's target is not known.
    pub target: String,
    /// The row's cells after file and target, as many as the table's `columns`.
    pub cells: Vec<String>,
    pub status: Status,
    /// What a single-file run prints (rendered for the format), or the error.
    pub body: Body<'a>,
}

/// Where one file of the run ended, with the word its row shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// Something to act on or that was done: "changes", "findings", "ok", "failures".
    Changed(&'static str),
    /// Nothing beyond the row: "no changes", "nothing to report".
    Unchanged(&'static str),
    /// A safety gate or drift refused it: the reason.
    Refused(String),
    /// It could not be planned or applied.
    Error,
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Status::Changed(word) | Status::Unchanged(word) => f.write_str(word),
            Status::Refused(reason) => write!(f, "refused ({reason})"),
            Status::Error => f.write_str("error"),
        }
    }
}

impl Part<'_> {
    /// Nothing to show beyond the table row.
    fn quiet(&self) -> bool {
        matches!(self.status, Status::Unchanged(_))
    }
}

/// A run over several files.
pub struct Fleet<'a> {
    /// "plan", "apply", "audit".
    pub command: &'a str,
    /// The headers of `cells`.
    pub columns: &'a [&'a str],
    pub parts: Vec<Part<'a>>,
    /// The run's total of API requests (all targets share one client).
    pub api_requests: Option<u64>,
}

impl Fleet<'_> {
    fn headline(&self) -> String {
        let count = |is: fn(&Status) -> bool| self.parts.iter().filter(|p| is(&p.status)).count();
        let errors = count(|s| *s == Status::Error);
        format!(
            "rcdomains {} over {} files: {} with changes, {} refused, {} error{}{}",
            self.command,
            self.parts.len(),
            count(|s| matches!(s, Status::Changed(_))),
            count(|s| matches!(s, Status::Refused(_))),
            errors,
            if errors == 1 { "" } else { "s" },
            super::text::requests_text(self.api_requests)
        )
    }
}

/// The text form: the headline, an aligned table, then `== file ==` sections.
pub fn text(fleet: &Fleet, style: Style) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", style.bold(&fleet.headline()));
    let mut header: Vec<String> = vec!["file".into(), "target".into()];
    header.extend(fleet.columns.iter().map(|c| c.to_string()));
    header.push("status".into());
    let mut rows = vec![header];
    for p in &fleet.parts {
        let mut row = vec![shown_file(&p.file), p.target.clone()];
        row.extend(p.cells.iter().cloned());
        row.push(escape::text(&p.status.to_string()).into_owned());
        rows.push(row);
    }
    let widths: Vec<usize> = (0..rows[0].len())
        .map(|i| {
            rows.iter()
                .map(|r| r.get(i).map_or(0, |c| c.chars().count()))
                .max()
                .unwrap_or(0)
        })
        .collect();
    for row in &rows {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        let _ = writeln!(out, "  {}", line.join("  ").trim_end());
    }
    for p in &fleet.parts {
        let _ = writeln!(
            out,
            "\n{}",
            style.bold(&format!("== {} ==", shown_file(&p.file)))
        );
        out.push_str((p.body)(usize::MAX).trim_end());
        out.push('\n');
    }
    out
}

/// A fixed body (an error, a refusal), cut at a line to `limit` bytes with a note.
pub fn fixed<'a>(text: String) -> Body<'a> {
    Box::new(move |limit| {
        if text.len() <= limit {
            return text.clone();
        }
        let mut end = limit.saturating_sub(120);
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let end = text[..end].rfind('\n').map_or(0, |i| i + 1);
        format!(
            "{}\n(cut here to stay under the comment size limit; the job log has it whole)\n",
            &text[..end]
        )
    })
}

/// The least a Markdown section is given; with less room than this for each, the sections are
/// left out and the table alone is shown.
const SECTION_MIN: usize = 2_500;

/// The Markdown form: a heading, a table, then a collapsible section per file (open when it
/// has changes, a refusal or an error).
pub fn markdown(fleet: &Fleet) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "### {}\n", fleet.headline());
    let mut header = String::from("| file | target |");
    let mut rule = String::from("|---|---|");
    for c in fleet.columns {
        let _ = write!(header, " {c} |");
        rule.push_str("---:|");
    }
    header.push_str(" status |");
    rule.push_str("---|");
    let _ = writeln!(s, "{header}\n{rule}");
    for p in &fleet.parts {
        let _ = write!(s, "| {} | {} |", escape::md_code(&short(&p.file)), p.target);
        for c in &p.cells {
            let _ = write!(s, " {c} |");
        }
        let _ = writeln!(s, " {} |", escape::md_code(&short(&p.status.to_string())));
    }
    // The comment stays under GitHub's limit: the files with something to show share what the
    // table leaves, each section cut (with a note) to its share; a file with no changes has
    // nothing beyond its row.
    let shown: Vec<&Part> = fleet.parts.iter().filter(|p| !p.quiet()).collect();
    let quiet = fleet.parts.len() - shown.len();
    let room = super::markdown::LIMIT.saturating_sub(s.len() + 1_000);
    let share = room / shown.len().max(1);
    if share < SECTION_MIN && !shown.is_empty() {
        let _ = writeln!(
            s,
            "\n> [!NOTE]\n> {} files have changes, refusals or errors: too many to show each one's section here under GitHub's comment size limit. Each file's section is in the job log (and the saved plan file).",
            shown.len()
        );
        return s;
    }
    for p in shown {
        let _ = writeln!(
            s,
            "\n<details open><summary>{}</summary>\n",
            escape::md_code(&short(&p.file))
        );
        // Room for the tags and the file name, which may be escaped to many bytes.
        s.push_str((p.body)(share.saturating_sub(1_200)).trim_end());
        s.push_str("\n\n</details>\n");
    }
    if quiet > 0 {
        let _ = writeln!(
            s,
            "\n{quiet} file{} with no changes: nothing to show beyond the table.",
            if quiet == 1 { "" } else { "s" }
        );
    }
    s
}

fn shown_file(file: &str) -> String {
    escape::text(&short(file)).into_owned()
}

/// A file name cut for a table cell.
fn short(file: &str) -> String {
    const MAX: usize = 120;
    if file.chars().count() <= MAX {
        file.to_string()
    } else {
        let cut: String = file.chars().take(MAX).collect();
        format!("{cut}…")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fleet() -> Fleet<'static> {
        Fleet {
            command: "plan",
            columns: &["add", "remove"],
            parts: vec![
                Part {
                    file: "networks/a.yaml".into(),
                    target: "server 1 app 2".into(),
                    cells: vec!["3".into(), "0".into()],
                    status: Status::Changed("changes"),
                    body: Box::new(|_| "Plan for server 1 app 2\n".into()),
                },
                Part {
                    file: "networks/b|`x`\u{1b}[31m.yaml".into(),
                    target: String::new(),
                    cells: vec!["".into(), "".into()],
                    status: Status::Error,
                    body: Box::new(|_| "error: cannot read".into()),
                },
            ],
            api_requests: Some(12),
        }
    }

    #[test]
    fn text_has_a_row_and_a_section_per_file_and_escapes_names() {
        let t = text(&fleet(), Style::plain());
        assert!(
            t.starts_with(
                "rcdomains plan over 2 files: 1 with changes, 0 refused, 1 error, 12 API requests"
            ),
            "{t}"
        );
        let row: Vec<&str> = t
            .lines()
            .find(|l| l.trim_start().starts_with("networks/a.yaml"))
            .unwrap()
            .split_whitespace()
            .collect();
        assert_eq!(
            row,
            [
                "networks/a.yaml",
                "server",
                "1",
                "app",
                "2",
                "3",
                "0",
                "changes"
            ]
        );
        assert!(
            t.contains("== networks/a.yaml ==\nPlan for server 1 app 2"),
            "{t}"
        );
        assert!(!t.contains('\u{1b}'), "{t}");
    }

    #[test]
    fn markdown_keeps_file_names_in_code_spans_and_the_table_intact() {
        let m = markdown(&fleet());
        let table: Vec<&str> = m.lines().filter(|l| l.starts_with('|')).collect();
        assert_eq!(table.len(), 4, "{m}");
        assert!(
            table[0].starts_with("| file | target | add | remove | status |"),
            "{m}"
        );
        assert!(!m.contains('\u{1b}'), "{m}");
        assert!(
            m.contains("<details open><summary>`networks/a.yaml`</summary>"),
            "{m}"
        );
    }

    fn big(n: usize, status: Status) -> Fleet<'static> {
        let line = "x".repeat(99) + "\n";
        Fleet {
            command: "plan",
            columns: &["add"],
            parts: (0..n)
                .map(|i| Part {
                    file: format!("networks/n{i}.yaml"),
                    target: format!("server 1 app {i}"),
                    cells: vec!["1".into()],
                    status: status.clone(),
                    body: fixed(line.repeat(1_000)),
                })
                .collect(),
            api_requests: None,
        }
    }

    #[test]
    fn markdown_stays_under_the_comment_limit_however_many_files() {
        let few = markdown(&big(3, Status::Changed("changes")));
        assert!(few.len() <= super::super::markdown::LIMIT, "{}", few.len());
        assert_eq!(few.matches("<details open>").count(), 3);
        assert_eq!(few.matches("(cut here").count(), 3);
        let many = markdown(&big(40, Status::Changed("changes")));
        assert!(
            many.len() <= super::super::markdown::LIMIT,
            "{}",
            many.len()
        );
        assert_eq!(many.matches("networks/n").count(), 40, "every row stays");
        assert!(many.contains("too many to show"), "{many}");
        let quiet = markdown(&big(40, Status::Unchanged("no changes")));
        assert!(!quiet.contains("<details"), "{quiet}");
        assert!(quiet.contains("40 files with no changes"), "{quiet}");
    }
}

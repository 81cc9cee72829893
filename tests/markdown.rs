//! The Markdown documents render as written: every line that starts a table row is part of a
//! table (a paragraph or a blank line inside a table turns the rows after it into plain text).

use pulldown_cmark::{Event, Options, Parser, Tag};

const DOCUMENTS: [&str; 8] = [
    "README.md",
    "CHANGELOG.md",
    "ARCHITECTURE.md",
    "BENCHMARKS.md",
    "docs/redis.md",
    "docs/migrating-from-tower-sessions.md",
    "docs/observability.md",
    "examples/shop/README.md",
];

/// The byte ranges of `text`'s tables.
fn tables(text: &str) -> Vec<std::ops::Range<usize>> {
    Parser::new_ext(text, Options::ENABLE_TABLES)
        .into_offset_iter()
        .filter_map(|(event, range)| matches!(event, Event::Start(Tag::Table(_))).then_some(range))
        .collect()
}

/// The lines of `text` outside code blocks that start with `|`, with their byte offsets.
fn row_lines(text: &str) -> Vec<(usize, &str)> {
    let mut rows = Vec::new();
    let (mut offset, mut in_code) = (0, false);
    for line in text.split_inclusive('\n') {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
        } else if !in_code && line.starts_with('|') {
            rows.push((offset, line.trim_end()));
        }
        offset += line.len();
    }
    rows
}

#[test]
fn every_table_row_in_the_documents_renders_as_a_table() {
    let root = env!("CARGO_MANIFEST_DIR");
    for document in DOCUMENTS {
        let text = std::fs::read_to_string(format!("{root}/{document}")).expect(document);
        let tables = tables(&text);
        for (offset, line) in row_lines(&text) {
            assert!(
                tables.iter().any(|table| table.contains(&offset)),
                "{document}: this row renders as plain text, not in a table: {line}"
            );
        }
    }
}

#[test]
fn a_table_split_by_a_paragraph_is_caught() {
    let broken = "| a | b |\n|---|---|\n| 1 | 2 |\n\nA paragraph.\n| 3 | 4 |\n";
    let tables = tables(broken);
    let loose: Vec<_> = row_lines(broken)
        .into_iter()
        .filter(|(offset, _)| !tables.iter().any(|table| table.contains(offset)))
        .collect();
    assert_eq!(loose, [(44, "| 3 | 4 |")]);
}

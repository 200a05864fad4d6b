//! A YAML document as a tree whose nodes remember their line.
//!
//! Owns turning text into `Node`s with line numbers (so that every validation message can name
//! its line) and turning a node into `serde_json::Value` for typed deserialisation. It makes no
//! judgement about what the document means; that is `desired::validate`'s job.

use std::collections::HashMap;
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub line: usize,
    pub value: Value,
}

impl Node {
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The entry `key` of a mapping node.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Map(entries) => entries
                .iter()
                .find(|(k, _)| k.as_str() == Some(key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// The line of the key `key` of a mapping node.
    pub fn key_line(&self, key: &str) -> Option<usize> {
        match &self.value {
            Value::Map(entries) => entries
                .iter()
                .find(|(k, _)| k.as_str() == Some(key))
                .map(|(k, _)| k.line),
            _ => None,
        }
    }

    /// What kind of YAML value this is, for messages ("a list", "a number").
    pub fn kind(&self) -> &'static str {
        match self.value {
            Value::Null => "nothing (null)",
            Value::Bool(_) => "a boolean",
            Value::Int(_) | Value::Float(_) => "a number",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }

    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.value {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i) => J::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
            Value::Str(s) => J::String(s.clone()),
            Value::Seq(items) => J::Array(items.iter().map(Node::to_json).collect()),
            Value::Map(entries) => J::Object(
                entries
                    .iter()
                    .map(|(k, v)| (key_text(k), v.to_json()))
                    .collect(),
            ),
        }
    }
}

fn key_text(k: &Node) -> String {
    match &k.value {
        Value::Str(s) => s.clone(),
        Value::Int(i) => i.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Null => "null".to_string(),
        Value::Seq(_) | Value::Map(_) => "<complex key>".to_string(),
    }
}

/// A key that a mapping holds twice: where (`path`, e.g. `removals`), and both lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicateKey {
    pub path: String,
    pub key: String,
    pub first_line: usize,
    pub line: usize,
}

/// Every key held twice by a mapping anywhere in the tree. YAML requires unique keys; a
/// parser that lets one of them win lets a reviewer read one value while another applies.
pub fn duplicate_keys(node: &Node) -> Vec<DuplicateKey> {
    let mut out = Vec::new();
    walk_duplicates(node, "", &mut out);
    out
}

fn walk_duplicates(node: &Node, path: &str, out: &mut Vec<DuplicateKey>) {
    match &node.value {
        Value::Map(entries) => {
            let mut seen: HashMap<String, usize> = HashMap::new();
            for (k, v) in entries {
                let key = key_text(k);
                if let Some(first) = seen.get(&key) {
                    out.push(DuplicateKey {
                        path: path.to_string(),
                        key: key.clone(),
                        first_line: *first,
                        line: k.line,
                    });
                } else {
                    seen.insert(key.clone(), k.line);
                }
                let inner = if path.is_empty() {
                    key
                } else {
                    format!("{path}.{key}")
                };
                walk_duplicates(v, &inner, out);
            }
        }
        Value::Seq(items) => {
            for (i, item) in items.iter().enumerate() {
                walk_duplicates(item, &format!("{path}[{i}]"), out);
            }
        }
        _ => {}
    }
}

/// A syntax error with its position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// Parses one YAML document. An empty document is `Null` at line 1.
pub fn parse(text: &str) -> Result<Node, SyntaxError> {
    let mut builder = Builder::default();
    let mut parser = Parser::new_from_str(text);
    parser.load(&mut builder, false).map_err(|e| SyntaxError {
        line: e.marker().line(),
        column: e.marker().col() + 1,
        message: e.info().to_string(),
    })?;
    if let Some(err) = builder.error {
        return Err(err);
    }
    Ok(builder.root.unwrap_or(Node {
        line: 1,
        value: Value::Null,
    }))
}

enum Frame {
    Seq(usize, Vec<Node>, usize),
    Map(usize, Vec<(Node, Node)>, Option<Node>, usize),
}

/// At most this many nodes, aliases expanded: a file of 10,000 long-form domains has about 90,000; a
/// "billion laughs" alias bomb stops here instead of exhausting memory.
const MAX_NODES: usize = 500_000;

#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    root: Option<Node>,
    anchors: HashMap<usize, Node>,
    error: Option<SyntaxError>,
    nodes: usize,
}

fn size(node: &Node) -> usize {
    match &node.value {
        Value::Seq(items) => 1 + items.iter().map(size).sum::<usize>(),
        Value::Map(entries) => {
            1 + entries
                .iter()
                .map(|(k, v)| size(k) + size(v))
                .sum::<usize>()
        }
        _ => 1,
    }
}

impl Builder {
    fn push_node(&mut self, node: Node, anchor: usize) {
        if anchor > 0 {
            self.anchors.insert(anchor, node.clone());
        }
        match self.stack.last_mut() {
            None => self.root = Some(node),
            Some(Frame::Seq(_, items, _)) => items.push(node),
            Some(Frame::Map(_, entries, pending, _)) => match pending.take() {
                None => *pending = Some(node),
                Some(key) => entries.push((key, node)),
            },
        }
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        let line = mark.line();
        if self.error.is_some() {
            return;
        }
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            self.error = Some(SyntaxError {
                line,
                column: mark.col() + 1,
                message: format!(
                    "the document expands to more than {MAX_NODES} values (aliases included)"
                ),
            });
            return;
        }
        match ev {
            Event::Scalar(text, style, anchor, tag) => {
                let value = if style == TScalarStyle::Plain && tag.is_none() {
                    resolve_plain(&text)
                } else {
                    Value::Str(text)
                };
                self.push_node(Node { line, value }, anchor);
            }
            Event::SequenceStart(anchor, _) => {
                self.stack.push(Frame::Seq(line, Vec::new(), anchor));
            }
            Event::MappingStart(anchor, _) => {
                self.stack.push(Frame::Map(line, Vec::new(), None, anchor));
            }
            Event::SequenceEnd | Event::MappingEnd => match self.stack.pop() {
                Some(Frame::Seq(l, items, anchor)) => self.push_node(
                    Node {
                        line: l,
                        value: Value::Seq(items),
                    },
                    anchor,
                ),
                Some(Frame::Map(l, entries, _, anchor)) => self.push_node(
                    Node {
                        line: l,
                        value: Value::Map(entries),
                    },
                    anchor,
                ),
                None => {}
            },
            Event::Alias(id) => match self.anchors.get(&id) {
                Some(node) if self.nodes + size(node) > MAX_NODES => {
                    self.error = Some(SyntaxError {
                        line,
                        column: mark.col() + 1,
                        message: format!(
                            "the document expands to more than {MAX_NODES} values (aliases included)"
                        ),
                    });
                }
                Some(node) => {
                    let node = node.clone();
                    self.nodes += size(&node);
                    self.push_node(Node { line, ..node }, 0);
                }
                None => {
                    self.error.get_or_insert(SyntaxError {
                        line,
                        column: mark.col() + 1,
                        message: "alias to an unknown anchor".to_string(),
                    });
                }
            },
            Event::Nothing
            | Event::StreamStart
            | Event::StreamEnd
            | Event::DocumentStart
            | Event::DocumentEnd => {}
        }
    }
}

/// The YAML 1.2 core schema for plain scalars.
fn resolve_plain(text: &str) -> Value {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        _ => {}
    }
    if let Ok(i) = text.parse::<i64>() {
        return Value::Int(i);
    }
    let looks_numeric = text
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E'))
        && text.chars().any(|c| c.is_ascii_digit());
    if looks_numeric && let Ok(f) = text.parse::<f64>() {
        return Value::Float(f);
    }
    Value::Str(text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_keys_are_found_at_every_depth_with_both_lines() {
        let root = parse(
            "version: 1\nremovals:\n  prune: false\n  prune: true\ndomains:\n  - name: a.example\n    www: true\n    www: false\nversion: 1\n",
        )
        .unwrap();
        let d = duplicate_keys(&root);
        let got: Vec<(String, String, usize, usize)> = d
            .into_iter()
            .map(|d| (d.path, d.key, d.first_line, d.line))
            .collect();
        assert_eq!(
            got,
            vec![
                ("removals".into(), "prune".into(), 3, 4),
                ("domains[0]".into(), "www".into(), 7, 8),
                ("".into(), "version".into(), 1, 9),
            ]
        );
    }

    #[test]
    fn nodes_carry_their_lines() {
        let doc =
            parse("version: 1\ndomains:\n  - a.example\n  - name: b.example\n    www: false\n")
                .unwrap();
        assert_eq!(doc.key_line("domains"), Some(2));
        let Value::Seq(items) = &doc.get("domains").unwrap().value else {
            panic!("domains is not a list")
        };
        assert_eq!(items[0].line, 3);
        assert_eq!(items[0].as_str(), Some("a.example"));
        assert_eq!(items[1].line, 4);
        assert_eq!(items[1].get("www").unwrap().value, Value::Bool(false));
        assert_eq!(doc.get("version").unwrap().value, Value::Int(1));
    }

    #[test]
    fn quoted_scalars_stay_strings() {
        let doc = parse("a: '1'\nb: \"true\"\nc: 1.5\nd: 1.example\n").unwrap();
        assert_eq!(doc.get("a").unwrap().value, Value::Str("1".into()));
        assert_eq!(doc.get("b").unwrap().value, Value::Str("true".into()));
        assert_eq!(doc.get("c").unwrap().value, Value::Float(1.5));
        assert_eq!(doc.get("d").unwrap().value, Value::Str("1.example".into()));
    }

    #[test]
    fn syntax_errors_have_a_line() {
        let err = parse("version: 1\ndomains:\n  - a\n - b: [\n").unwrap_err();
        assert!(err.line >= 3, "{err:?}");
    }
}

#[cfg(test)]
mod limits {
    use super::*;

    #[test]
    fn an_alias_bomb_is_refused_not_expanded() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            let refs = vec![format!("*a{}", i - 1); 10].join(", ");
            text.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
        }
        let err = parse(&text).unwrap_err();
        assert!(err.message.contains("expands to more than"), "{err:?}");
    }

    #[test]
    fn deep_nesting_is_a_syntax_error() {
        let text = format!("domains: {}", "[".repeat(100_000));
        assert!(parse(&text).is_err());
    }
}

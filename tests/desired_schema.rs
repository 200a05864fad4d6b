//! `schema/desired.schema.json` describes what `rcdomains` reads. It must never stand in an
//! editor's way: every file the program accepts validates against it, names in Unicode, with
//! a trailing dot or in capitals included. And it flags what a schema can see: a version other
//! than 1, a name that cannot be one.

use crate::support::*;
use proptest::prelude::*;
use rcdomains::cli::SchemaKind;
use rcdomains::desired::name::{Pattern, normalise};
use rcdomains::desired::{load_str, yaml};
use serde_json::{Value, json};

fn validator() -> jsonschema::Validator {
    let text = rcdomains::commands::schema_json(SchemaKind::Desired);
    let schema: Value = serde_json::from_str(&text).unwrap();
    jsonschema::validator_for(&schema).expect("the desired schema is a valid JSON Schema")
}

/// A desired file's YAML as the JSON the schema judges (what an editor's YAML support sees).
fn as_json(text: &str) -> Value {
    yaml::parse(text).expect("YAML").to_json()
}

/// The schema's complaints about `doc`, one line each.
fn errors(validator: &jsonschema::Validator, doc: &Value) -> Vec<String> {
    validator
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

/// Asserts that the program accepts `text`, and that so does the schema.
fn assert_both_accept(validator: &jsonschema::Validator, what: &str, text: &str) {
    if let Err(e) = load_str(text, what) {
        panic!("the program refuses {what}: {e}\n{text}");
    }
    let errors = errors(validator, &as_json(text));
    assert!(
        errors.is_empty(),
        "the program accepts {what}, the schema does not:\n{}\n{text}",
        errors.join("\n")
    );
}

#[test]
fn the_example_file_validates_against_the_schema() {
    let text = std::fs::read_to_string(repo_path("examples/domains.yaml")).unwrap();
    assert_both_accept(&validator(), "examples/domains.yaml", &text);
}

/// Files the program accepts, each key and each form of it at least once.
const ACCEPTED: &[&str] = &[
    "version: 1\ndomains: []\n",
    // `domains:` left empty (every entry commented out) lists no name.
    "version: 1\ndomains:\n#  - a.example\n",
    "version: 1\ntarget:\ndefaults:\nssl:\ndns:\nremovals:\ndomains: []\n",
    "\
# yaml-language-server: $schema=../schema/desired.schema.json
version: 1
target:
  server: 11667
  app: 940288
defaults:
  www: apex
  redirection: www
ssl:
  mode: advanced
  environment: staging
dns:
  require: false
  also_accept: [203.0.113.7, 198.51.100.0/24, 2001:db8::/32]
  server_ip: 203.0.113.10
removals:
  prune: true
  protect: [network.example, '*.network.example', ' *.Bücher.example. ']
  max: 0
  max_percent: 100
  grace: 0
domains:
  - shop.example.org
  - Shop.Example.NET.
  - ' padded.example '
  - bücher.example
  - xn--cole-9oa.example
  - ÉCOLE.example.org
  - shop。example.com
  - 123.example
  - a-b.1x
  - example.1-2
  - name: blog.example.net
    www: false
    redirection: none
  - name: www-free.example
    www: true
    state: present
  - name: legacy.example.net
    state: absent
",
    "version: 1\nremovals:\n  grace: 90m\n  protect:\ndns:\n  also_accept:\ndomains:\n  - name: a.example\n    www:\n",
];

#[test]
fn every_form_the_program_accepts_validates_against_the_schema() {
    let v = validator();
    for (i, text) in ACCEPTED.iter().enumerate() {
        assert_both_accept(&v, &format!("file {i}"), text);
    }
}

#[test]
fn a_wrong_version_or_a_broken_name_does_not_validate() {
    let v = validator();
    for (text, needle) in [
        ("version: 2\ndomains: []\n", "/version"),
        ("version: 0\ndomains: []\n", "/version"),
        ("version: 1\ndomains:\n  - exa mple.com\n", "/domains/0"),
        (
            "version: 1\ndomains:\n  - name: exa mple.com\n    www: false\n",
            "/domains/0",
        ),
        (
            "version: 1\nremovals:\n  protect: ['exa mple.com']\ndomains: []\n",
            "/removals/protect/0",
        ),
        ("version: 1\ndomains:\n  - '*.example.com'\n", "/domains/0"),
        ("version: 1\ndomains:\n  - 10.0.0.1\n", "/domains/0"),
    ] {
        assert!(
            load_str(text, "broken").is_err(),
            "the program accepts {text}"
        );
        // The complaint is about the value, or about a value holding it (`removals` may
        // also be null, so its own path is the one named).
        let paths: Vec<String> = v
            .iter_errors(&as_json(text))
            .map(|e| e.instance_path().to_string())
            .collect();
        assert!(
            paths
                .iter()
                .any(|p| !p.is_empty() && needle.starts_with(p.as_str())),
            "the schema should flag {needle} of {text}: {paths:?}"
        );
    }
}

/// Names the program refuses that the pattern sees too.
#[test]
fn the_name_pattern_refuses_what_cannot_be_a_name() {
    let v = validator();
    let long_label = format!("{}.example", "a".repeat(64));
    for name in [
        "exa mple.com",
        "localhost",
        "10.0.0.1",
        "::1",
        "a..example",
        ".example",
        "example..",
        "under_score.example",
        "-lead.example",
        "trail-.example",
        "https://shop.example",
        "shop.example/path",
        "example.123",
        "*.example.org",
        "",
        long_label.as_str(),
    ] {
        assert!(normalise(name).is_err(), "the program accepts {name:?}");
        let doc = json!({"version": 1, "domains": [name]});
        assert!(!v.is_valid(&doc), "the schema accepts {name:?}");
    }
    for protect in ["*.", "**.example.org", "*.exa mple.com", "a.*.example"] {
        assert!(Pattern::parse(protect).is_err(), "{protect:?}");
        let doc = json!({"version": 1, "domains": [], "removals": {"protect": [protect]}});
        assert!(!v.is_valid(&doc), "the schema accepts protect {protect:?}");
    }
}

/// Characters a name is made of, the odd ones often: what `trim` removes, what IDNA maps to a
/// dot or to nothing, capitals, and characters no name holds.
fn name_char() -> impl Strategy<Value = char> {
    prop_oneof![
        8 => prop::sample::select(vec!['a', 'b', 'x', 'n', 'Q', '0', '7', '-']),
        4 => Just('.'),
        1 => prop::sample::select(vec![
            ' ', '\t', '\n', '\u{a0}', '\u{85}', '\u{3000}', '\u{2009}', // trimmed
            'ü', 'É', 'ß', 'ａ', '\u{1F600}', // mapped or encoded
            '\u{3002}', '\u{ff0e}', '\u{ff61}', // IDNA dots
            '\u{ad}', '\u{200b}', '\u{fe0f}', // mapped to nothing
            '_', '*', '/', ':', '@', '\u{0}', '\u{7f}', // never in a name
        ]),
    ]
}

/// Mostly plausible names (labels joined by dots, now and then padded or with a trailing
/// dot), with odd characters, and now and then a label about as long as a label may be.
fn candidate() -> impl Strategy<Value = String> {
    let label = prop_oneof![
        6 => "[a-zA-Z0-9]([a-zA-Z0-9-]{0,5}[a-zA-Z0-9])?",
        3 => prop::collection::vec(name_char(), 1..7).prop_map(|c| c.into_iter().collect::<String>()),
        1 => (60usize..66).prop_map(|n| "k".repeat(n)),
    ];
    (
        prop::collection::vec(label, 1..5),
        prop::sample::select(vec!["", "", "", " ", "\u{a0}", "*.", " *. "]),
        prop::sample::select(vec!["", "", "", ".", " ", ".\u{3000}"]),
    )
        .prop_map(|(labels, before, after)| format!("{before}{}{after}", labels.join(".")))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// The law the patterns keep: a name (or protect entry) the program accepts validates.
    #[test]
    fn the_schema_accepts_every_name_the_program_accepts(name in candidate()) {
        thread_local!(static V: jsonschema::Validator = validator());
        V.with(|v| {
            if normalise(&name).is_ok() {
                let doc = json!({"version": 1, "domains": [name, {"name": name}]});
                let errors = errors(v, &doc);
                prop_assert!(errors.is_empty(), "{name:?} is accepted by the program: {errors:?}");
            }
            if Pattern::parse(&name).is_ok() {
                let doc = json!({"version": 1, "domains": [], "removals": {"protect": [name]}});
                let errors = errors(v, &doc);
                prop_assert!(errors.is_empty(), "protect {name:?} is accepted by the program: {errors:?}");
            }
            Ok(())
        })?;
    }
}

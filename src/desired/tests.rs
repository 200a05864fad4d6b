//! Table tests of the validator: each rule, its line and its fix.

use super::*;

fn problems(text: &str) -> Vec<Problem> {
    match load_str(text, "d.yaml") {
        Err(LoadError::Invalid { problems, .. }) => problems,
        other => panic!("expected problems, got {other:?}"),
    }
}

fn one(text: &str) -> Problem {
    let p = problems(text);
    assert_eq!(p.len(), 1, "{p:#?}");
    p.into_iter().next().unwrap()
}

#[test]
fn a_full_file_loads_with_defaults_applied() {
    let d = load_str(
        "version: 1\ntarget: {server: 7, app: 9}\nremovals:\n  prune: true\n  protect: ['*.network.example']\n  grace: 2h\ndomains:\n  - Shop.Example.org\n  - name: blog.example.net\n    www: false\n    redirection: none\n  - name: old.example.com\n    state: absent\n",
        "d.yaml",
    )
    .unwrap();
    assert_eq!(
        d.target,
        Target {
            server: Some(7),
            app: Some(9)
        }
    );
    assert_eq!(d.domains.len(), 2);
    assert_eq!(d.domains[0].name.as_str(), "blog.example.net");
    assert_eq!(
        d.domains[0].settings,
        DomainSettings {
            www: false,
            redirection: Redirection::None
        }
    );
    assert_eq!(d.domains[1].name.as_str(), "shop.example.org");
    assert_eq!(
        d.domains[1].settings,
        DomainSettings {
            www: true,
            redirection: Redirection::NonWww
        }
    );
    assert_eq!(
        d.tombstones,
        vec![DomainName::new_unchecked("old.example.com".into())]
    );
    assert!(d.removals.prune);
    assert_eq!(d.removals.grace, Duration::from_secs(7200));
    assert_eq!(d.removals.max, DEFAULT_MAX_REMOVALS);
    assert!(
        d.removals
            .is_protected(&DomainName::new_unchecked("a.network.example".into()))
    );
}

#[test]
fn unknown_keys_are_reported_at_their_line() {
    let p = one("version: 1\ndomains:\n  - name: a.example\n    wwww: true\n");
    assert_eq!(p.line, Some(4));
    assert!(p.message.contains("unknown key `wwww`"), "{}", p.message);
    assert!(p.fix.contains("`www`"), "{}", p.fix);

    let p = one("version: 1\nremoval:\n  prune: true\ndomains: []\n");
    assert_eq!(p.line, Some(2));
    assert!(p.message.contains("unknown top-level key `removal`"));
    assert!(p.fix.contains("removals"));

    let p = one("version: 1\nssl:\n  mode: basic\n  env: live\ndomains: []\n");
    assert_eq!(p.line, Some(4));
}

#[test]
fn every_problem_in_a_file_is_reported() {
    let p = problems(
        "version: 1\nfoo: 1\ndefaults:\n  redirection: nonwww\ndomains:\n  - a.example\n  - A.EXAMPLE.\n  - bad_name.example\n  - 10.1.2.3\n  - www.a.example\n",
    );
    let lines: Vec<_> = p.iter().map(|p| p.line).collect();
    assert_eq!(
        lines,
        vec![Some(2), Some(4), Some(7), Some(8), Some(9), Some(10)],
        "{p:#?}"
    );
    assert!(p[1].message.contains("nonwww"));
    assert!(
        p[2].message.contains("listed twice") && p[2].message.contains("line 6"),
        "{}",
        p[2].message
    );
    assert!(p[3].message.contains("bad_name.example"));
    assert!(p[4].message.contains("IP address"));
    assert!(p[5].message.contains("www twin"));
}

#[test]
fn idn_names_compare_after_normalisation() {
    let p = one("version: 1\ndomains:\n  - xn--bcher-kva.example\n  - Bücher.example\n");
    assert_eq!(p.line, Some(4));
    assert!(p.message.contains("normalises to it"), "{}", p.message);
}

#[test]
fn www_twin_is_allowed_when_the_apex_has_www_off() {
    let d = load_str(
        "version: 1\ndomains:\n  - name: a.example\n    www: false\n  - www.a.example\n",
        "d.yaml",
    )
    .unwrap();
    assert_eq!(d.domains.len(), 2);
}

#[test]
fn www_apex_follows_the_public_suffix_list() {
    let d = load_str(
        "version: 1\ndefaults: {www: apex}\ndomains:\n  - example.co.uk\n  - shop.example.co.uk\n",
        "d.yaml",
    )
    .unwrap();
    assert!(d.domains[0].settings.www);
    assert!(!d.domains[1].settings.www);
}

#[test]
fn a_tombstone_on_a_protected_name_is_an_error() {
    let p = one(
        "version: 1\nremovals:\n  protect: [keep.example]\ndomains:\n  - name: keep.example\n    state: absent\n",
    );
    assert_eq!(p.line, Some(5));
    assert!(p.message.contains("protected"));
}

#[test]
fn bad_values_name_the_key_and_the_fix() {
    let p = one("version: 1\ndomains:\n  - name: a.example\n    www: yes\n");
    assert_eq!(p.line, Some(4));
    assert!(p.fix.contains("www: true"), "{}", p.fix);

    let p = one("version: 1\nremovals:\n  grace: soon\ndomains: []\n");
    assert_eq!(p.line, Some(3));
    assert!(p.message.contains("grace"));

    let p = one("version: 1\ndns:\n  also_accept: [10.0.0.0/33]\ndomains: []\n");
    assert_eq!(p.line, Some(3));
    assert_eq!(
        p.message,
        "`dns.also_accept` entry `10.0.0.0/33` is invalid: a prefix of /33 is longer than /32"
    );

    let p = one("version: 1\ndns:\n  also_accept: [proxy.example]\ndomains: []\n");
    assert_eq!(
        p.message,
        "`dns.also_accept` entry `proxy.example` is invalid: `proxy.example` is not an IP address"
    );

    let p = one("version: 2\ndomains: []\n");
    assert_eq!(p.line, Some(1));

    let p = one("domains: []\n");
    assert!(p.message.contains("version"));

    let p = one("version: 1\ndomains:\n  - www: true\n");
    assert_eq!(p.line, Some(3));
    assert!(p.fix.contains("name"), "{}", p.fix);
}

#[test]
fn syntax_errors_name_the_position() {
    match load_str("version: 1\ndomains:\n  - a.example\n  - [b\n", "d.yaml") {
        Err(LoadError::Syntax { line, .. }) => assert!(line >= 4),
        other => panic!("{other:?}"),
    }
}

#[test]
fn top_level_keys_match_the_schema_type() {
    let schema = schemars::schema_for!(raw::RawFile);
    let props = schema.as_value()["properties"].as_object().unwrap();
    let mut keys: Vec<&str> = props.keys().map(String::as_str).collect();
    keys.sort_unstable();
    let mut expected = raw::TOP_LEVEL_KEYS.to_vec();
    expected.sort_unstable();
    assert_eq!(keys, expected);
}

mod no_panic {
    use super::super::load_str;
    use proptest::prelude::*;

    const PIECES: &[&str] = &[
        "version: 1\n",
        "version: 2\n",
        "domains:\n",
        "domains: []\n",
        "  - a.example\n",
        "  - name: b.example\n",
        "    www: apex\n",
        "    www: 3\n",
        "    state: absent\n",
        "removals:\n",
        "  prune: true\n",
        "  protect: [x]\n",
        "  grace: 5q\n",
        "ssl: {mode: off}\n",
        "dns: {also_accept: ['1.2.3.4/40']}\n",
        "- \n",
        ": :\n",
        "&a [*a]\n",
        "  - [nested, [list]]\n",
        "  - {name: ~}\n",
        "'\n",
        "\t\n",
        "target: {server: -1}\n",
        "  - bücher.example\n",
        "  - xn--zz.example\n",
        "  - 999999999999999999999.example\n",
        "? complex\n: key\n",
    ];

    proptest! {
        /// Whatever the file holds, loading it returns a value or an error; it never panics.
        #[test]
        fn arbitrary_text_never_panics(text in ".{0,300}") {
            let _ = load_str(&text, "fuzz.yaml");
        }

        #[test]
        fn arbitrary_yaml_shaped_files_never_panic(parts in prop::collection::vec(prop::sample::select(PIECES), 0..14)) {
            let text: String = parts.concat();
            if let Err(e) = load_str(&text, "fuzz.yaml") {
                let message = e.to_string();
                prop_assert!(message.contains("fuzz.yaml"), "the message names the file: {message}");
            }
        }
    }
}

#[test]
fn also_accept_is_read_once_into_networks_and_kept_as_written() {
    let d = load_str(
        "version: 1\ndns:\n  also_accept: [203.0.113.7, 10.0.0.5/24, ' 2001:db8::1 ', 2001:db8::/32]\ndomains: []\n",
        "d.yaml",
    )
    .unwrap();
    let nets: Vec<String> = d
        .dns
        .also_accept
        .iter()
        .map(|a| a.net.to_string())
        .collect();
    assert_eq!(
        nets,
        [
            "203.0.113.7/32",
            "10.0.0.0/24",
            "2001:db8::1/128",
            "2001:db8::/32"
        ]
    );
    let written: Vec<&str> = d
        .dns
        .also_accept
        .iter()
        .map(|a| a.written.as_str())
        .collect();
    assert_eq!(
        written,
        [
            "203.0.113.7",
            "10.0.0.5/24",
            " 2001:db8::1 ",
            "2001:db8::/32"
        ]
    );
}

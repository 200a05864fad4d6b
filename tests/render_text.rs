//! The text and JSON plans are part of the contract: snapshots of them (insta), so a change
//! to what operators read shows up in review.

use crate::markdown::{hostile_plan, listed, plan_with, small_plan};
use rcdomains::model::DomainKind;
use rcdomains::plan::{Gate, Refusal};
use rcdomains::render::{Style, json, text};

#[test]
fn text_plan_small() {
    let out = text::plan(&small_plan(), Style::plain());
    let first = out.lines().next().unwrap();
    assert!(
        first.contains(" to add, ") && first.contains(" deferred"),
        "summary line first: {first}"
    );
    assert!(out.find("Removals:").unwrap() < out.find("Additions and updates:").unwrap());
    assert!(
        !out.contains('\u{1b}'),
        "no colour escapes when colour is off"
    );
    insta::assert_snapshot!("text_plan_small", out);
}

#[test]
fn text_plan_coloured_only_when_asked() {
    let out = text::plan(&small_plan(), Style { color: true });
    assert!(out.contains("\u{1b}[31m- "), "removals in red");
}

#[test]
fn text_plan_refused_lists_what_would_be_removed() {
    let mut plan = small_plan();
    let would: Vec<_> = plan
        .actions
        .iter()
        .filter(|a| a.kind() == rcdomains::model::ActionKind::Remove)
        .map(|a| a.name().clone())
        .collect();
    plan.refusal = Some(Refusal {
        gate: Gate::RemovalCap {
            removals: would.len() as u32,
            live_aliases: 2,
            max: 0,
            max_percent: 30,
            allowed: None,
        },
        would_remove: would,
    });
    let out = text::plan(&plan, Style::plain());
    assert!(out.contains("REFUSED:"), "{out}");
    insta::assert_snapshot!("text_plan_refused", out);
}

/// A live alias holding a line break forged a `+ …` line under "Removals".
#[test]
fn text_plan_shows_hostile_live_names_escaped_on_their_own_lines() {
    let out = text::plan(&hostile_plan(), Style::plain());
    assert!(
        out.contains("  - evil.example\\n  + forged.example (invalid host name)"),
        "{out}"
    );
    assert!(!out.lines().any(|l| l.starts_with("  + ")), "{out}");
    insta::assert_snapshot!("text_plan_hostile_names", out);
}

#[test]
fn text_plan_without_changes() {
    let plan = plan_with(
        vec![listed("network.example", DomainKind::Primary)],
        vec![],
        vec![],
    );
    let out = text::plan(&plan, Style::plain());
    assert!(out.contains("No changes"), "{out}");
    insta::assert_snapshot!("text_plan_without_changes", out);
}

#[test]
fn json_plan_small() {
    let out = json::plan(&small_plan());
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["format_version"], 1);
    insta::assert_snapshot!("json_plan_small", out);
}

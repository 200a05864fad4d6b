//! Which rows (or live RunCloud domains) become desired names.
//!
//! Owns the selection rules, each overridable by a flag: active rows only; names of archived,
//! spam or deleted sites left out when a site list is given; names below the network's own
//! domain left out when the caller says the app serves a wildcard for it; duplicates folded;
//! invalid names skipped with a warning, never silently. Pure: no I/O, no logging, no clock —
//! the command logs the warnings this returns.

use super::{Row, Site};
use crate::desired::name;
use crate::model::{DomainKind, DomainName, DomainSettings, LiveDomain};
use std::collections::{BTreeMap, BTreeSet};

/// The rules for one run.
#[derive(Debug, Clone, Default)]
pub struct Rules {
    /// Keep rows with `active = 0` too (`--include-inactive`).
    pub include_inactive: bool,
    /// Leave out names strictly below this domain (the network's own, served by a wildcard).
    pub below_network: Option<DomainName>,
}

/// How many rows each rule left out, for the summary line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub rows: usize,
    pub inactive: usize,
    pub retired_site: usize,
    pub below_network: usize,
    pub invalid: usize,
    /// Rows whose name another row had already given.
    pub duplicates: usize,
}

/// The names chosen (sorted, unique) and what the rules noticed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    pub names: Vec<DomainName>,
    pub warnings: Vec<String>,
    pub counts: Counts,
}

/// Applies the rules to the plugin's rows. `sites`, when given, is `wp site list`.
pub fn select(rows: &[Row], sites: Option<&[Site]>, rules: &Rules) -> Selection {
    let sites: Option<BTreeMap<u64, &Site>> =
        sites.map(|s| s.iter().map(|site| (site.blog_id, site)).collect());
    let mut counts = Counts {
        rows: rows.len(),
        ..Counts::default()
    };
    let mut warnings = Vec::new();
    let mut invalid_seen = BTreeSet::new();
    let mut names = BTreeSet::new();
    for row in rows {
        let name = match name::normalise(&row.domain) {
            Ok(n) => n,
            Err(e) => {
                counts.invalid += 1;
                if invalid_seen.insert(row.domain.clone()) {
                    warnings.push(format!(
                        "skipped `{}`{}: not a valid domain name: {e}",
                        row.domain,
                        row.id
                            .map(|id| format!(" (mapping {id})"))
                            .unwrap_or_default()
                    ));
                }
                continue;
            }
        };
        if !rules.include_inactive && row.active == Some(false) {
            counts.inactive += 1;
            continue;
        }
        if let (Some(sites), Some(blog)) = (&sites, row.blog_id)
            && sites.get(&blog).is_some_and(|s| s.is_retired())
        {
            counts.retired_site += 1;
            continue;
        }
        if let Some(network) = &rules.below_network
            && is_below(&name, network)
        {
            counts.below_network += 1;
            continue;
        }
        if !names.insert(name) {
            counts.duplicates += 1;
        }
    }
    Selection {
        names: names.into_iter().collect(),
        warnings,
        counts,
    }
}

/// Whether `name` is strictly below `parent` (`a.network.example` below `network.example`).
pub fn is_below(name: &DomainName, parent: &DomainName) -> bool {
    name.as_str()
        .strip_suffix(parent.as_str())
        .is_some_and(|head| head.len() > 1 && head.ends_with('.'))
}

/// Whether the live app serves a wildcard for `network`: a wildcard record for it, or `*.network`.
pub fn has_wildcard_for(live: &[LiveDomain], network: &DomainName) -> bool {
    let star = format!("*.{network}");
    live.iter()
        .any(|d| (d.wildcard && &d.name == network) || d.name.as_str() == star)
}

/// A live domain chosen for the file, with the settings RunCloud holds for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveChoice {
    pub name: DomainName,
    pub settings: DomainSettings,
}

/// The live app's domains (its aliases and primary) as desired names: names below
/// `below_network` left out, names the file format cannot hold skipped with a warning.
pub fn select_live(
    live: &[LiveDomain],
    below_network: Option<&DomainName>,
) -> (Vec<LiveChoice>, Vec<String>, Counts) {
    let mut counts = Counts {
        rows: live.len(),
        ..Counts::default()
    };
    let mut warnings = Vec::new();
    let mut chosen: BTreeMap<DomainName, DomainSettings> = BTreeMap::new();
    for d in live {
        let name = match name::normalise(d.name.as_str()) {
            Ok(n) => n,
            Err(e) => {
                counts.invalid += 1;
                warnings.push(format!(
                    "skipped live domain `{}` (id {}): it cannot be listed in the file: {e}",
                    d.name, d.id
                ));
                continue;
            }
        };
        if let Some(network) = below_network
            && is_below(&name, network)
        {
            counts.below_network += 1;
            continue;
        }
        if d.wildcard {
            warnings.push(format!(
                "`{name}` is a wildcard domain in RunCloud; the file lists the name only (rcdomains does not manage the wildcard flag)"
            ));
        }
        match chosen.get(&name) {
            // The primary record's settings win over a duplicate alias record.
            Some(_) if d.kind != DomainKind::Primary => counts.duplicates += 1,
            Some(_) => {
                counts.duplicates += 1;
                chosen.insert(name, d.settings);
            }
            None => {
                chosen.insert(name, d.settings);
            }
        }
    }
    let choices = chosen
        .into_iter()
        .map(|(name, settings)| LiveChoice { name, settings })
        .collect();
    (choices, warnings, counts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Redirection;

    fn row(id: u64, blog: u64, domain: &str, active: Option<bool>) -> Row {
        Row {
            id: Some(id),
            blog_id: Some(blog),
            domain: domain.to_string(),
            active,
            primary: false,
            stage: Some("done".into()),
        }
    }

    fn names(s: &Selection) -> Vec<&str> {
        s.names.iter().map(DomainName::as_str).collect()
    }

    fn n(s: &str) -> DomainName {
        name::normalise(s).unwrap()
    }

    #[test]
    fn active_rows_only_unless_asked() {
        let rows = [
            row(1, 2, "b.example", Some(true)),
            row(2, 3, "a.example", Some(false)),
            row(3, 4, "c.example", None),
        ];
        let s = select(&rows, None, &Rules::default());
        assert_eq!(names(&s), vec!["b.example", "c.example"]);
        assert_eq!(s.counts.inactive, 1);
        let all = select(
            &rows,
            None,
            &Rules {
                include_inactive: true,
                ..Rules::default()
            },
        );
        assert_eq!(names(&all), vec!["a.example", "b.example", "c.example"]);
    }

    #[test]
    fn duplicates_fold_after_normalisation_and_an_active_row_wins() {
        let rows = [
            row(1, 2, "Shop.Example.ORG", Some(true)),
            row(2, 2, "shop.example.org.", Some(true)),
            row(3, 5, "shop.example.org", Some(false)),
            row(4, 6, "bücher.example", Some(true)),
        ];
        let s = select(&rows, None, &Rules::default());
        assert_eq!(names(&s), vec!["shop.example.org", "xn--bcher-kva.example"]);
        assert_eq!(s.counts.duplicates, 1);
        assert_eq!(s.counts.inactive, 1);
        assert!(s.warnings.is_empty());
    }

    #[test]
    fn invalid_names_are_skipped_with_a_warning() {
        let rows = [
            row(1, 2, "good.example", Some(true)),
            row(7, 2, "bad_name.example", Some(true)),
            row(8, 2, "localhost", Some(false)),
        ];
        let s = select(&rows, None, &Rules::default());
        assert_eq!(names(&s), vec!["good.example"]);
        assert_eq!(s.counts.invalid, 2);
        assert_eq!(s.warnings.len(), 2);
        assert!(
            s.warnings[0].starts_with("skipped `bad_name.example` (mapping 7): not a valid domain name: the label `bad_name` holds `_`"),
            "{}",
            s.warnings[0]
        );
        assert!(s.warnings[1].contains("`localhost`"), "{}", s.warnings[1]);
    }

    #[test]
    fn retired_sites_lose_their_names() {
        let rows = [
            row(1, 2, "live.example", Some(true)),
            row(2, 3, "archived.example", Some(true)),
            row(3, 4, "spam.example", Some(true)),
            row(4, 5, "deleted.example", Some(true)),
            row(5, 9, "unlisted-site.example", Some(true)),
        ];
        let site = |blog_id, archived, spam, deleted| Site {
            blog_id,
            domain: String::new(),
            archived,
            spam,
            deleted,
        };
        let sites = [
            site(2, false, false, false),
            site(3, true, false, false),
            site(4, false, true, false),
            site(5, false, false, true),
        ];
        let s = select(&rows, Some(&sites), &Rules::default());
        assert_eq!(names(&s), vec!["live.example", "unlisted-site.example"]);
        assert_eq!(s.counts.retired_site, 3);
        let without = select(&rows, None, &Rules::default());
        assert_eq!(without.names.len(), 5);
    }

    #[test]
    fn names_below_the_network_are_left_out_only_when_asked() {
        let rows = [
            row(1, 1, "network.example", Some(true)),
            row(2, 2, "site2.network.example", Some(true)),
            row(3, 3, "evilnetwork.example", Some(true)),
        ];
        let s = select(
            &rows,
            None,
            &Rules {
                below_network: Some(n("network.example")),
                ..Rules::default()
            },
        );
        assert_eq!(names(&s), vec!["evilnetwork.example", "network.example"]);
        assert_eq!(s.counts.below_network, 1);
        assert_eq!(select(&rows, None, &Rules::default()).names.len(), 3);
    }

    fn live(id: u64, name: &str, kind: DomainKind, www: bool, wildcard: bool) -> LiveDomain {
        LiveDomain {
            id,
            name: DomainName::from_live(name),
            kind,
            settings: DomainSettings {
                www,
                redirection: Redirection::None,
            },
            wildcard,
            created_at: None,
        }
    }

    #[test]
    fn live_domains_keep_their_settings_and_the_wildcard_rule_applies() {
        let domains = [
            live(1, "network.example", DomainKind::Primary, true, true),
            live(2, "b.example", DomainKind::Alias, false, false),
            live(3, "site.network.example", DomainKind::Alias, true, false),
            live(4, "*.other.example", DomainKind::Alias, true, false),
        ];
        let network = n("network.example");
        assert!(has_wildcard_for(&domains, &network));
        assert!(!has_wildcard_for(&domains, &n("b.example")));
        assert!(has_wildcard_for(&domains, &n("other.example")));
        let (chosen, warnings, counts) = select_live(&domains, Some(&network));
        let got: Vec<(&str, bool)> = chosen
            .iter()
            .map(|c| (c.name.as_str(), c.settings.www))
            .collect();
        assert_eq!(got, vec![("b.example", false), ("network.example", true)]);
        assert_eq!(counts.below_network, 1);
        assert_eq!(counts.invalid, 1);
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert!(warnings[0].contains("`network.example` is a wildcard domain"));
        assert!(warnings[1].contains("`*.other.example`"));
    }
}

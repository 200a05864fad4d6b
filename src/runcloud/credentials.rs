//! Where the RunCloud credentials and target ids come from.
//!
//! Owns the precedence of sources: `RUNCLOUD_*` environment variables, then the plugin's
//! `WU_RUNCLOUD_*` names, then `define(...)` constants of a `wp-config.php` (`--wp-config`).
//! Credentials are held as `Secret`s from the moment they are read; nothing here prints them.

use crate::model::ApiVersion;
use crate::secret::Secret;
use std::path::{Path, PathBuf};

/// How rcdomains authenticates to RunCloud.
#[derive(Debug, Clone)]
pub enum Credentials {
    /// API v3 (and v2 workspace) Bearer token.
    Token(Secret),
    /// Legacy API v2 Basic key and secret.
    KeySecret { key: Secret, secret: Secret },
}

impl Credentials {
    pub fn api(&self) -> ApiVersion {
        match self {
            Credentials::Token(_) => ApiVersion::V3,
            Credentials::KeySecret { .. } => ApiVersion::V2,
        }
    }

    /// Every secret value, so that text from elsewhere can be scrubbed of them.
    pub fn secrets(&self) -> Vec<&Secret> {
        match self {
            Credentials::Token(t) => vec![t],
            Credentials::KeySecret { key, secret } => vec![key, secret],
        }
    }
}

/// What the environment (and `wp-config.php`) provide.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub credentials: Credentials,
    /// Which variables they came from, for messages (names only, never values).
    pub source: String,
    pub server: Option<(u64, String)>,
    pub app: Option<(u64, String)>,
}

#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    #[error(
        "no RunCloud credentials: set RUNCLOUD_API_TOKEN (API v3), or RUNCLOUD_API_KEY and RUNCLOUD_API_SECRET (legacy API v2), or point --wp-config at a wp-config.php that defines WU_RUNCLOUD_API_TOKEN"
    )]
    Missing,
    #[error("{present} is set but {missing} is not: API v2 needs both the key and the secret")]
    HalfPair { present: String, missing: String },
    #[error("{name} is not a number (it must be the RunCloud id)")]
    BadId { name: String },
    #[error("cannot read --wp-config {path}: {source}")]
    WpConfig {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Reads credentials and ids; `env` looks a variable up (the process environment in use).
pub fn resolve(
    env: &dyn Fn(&str) -> Option<String>,
    wp_config: Option<&Path>,
) -> Result<Resolved, CredentialError> {
    let defines = match wp_config {
        Some(p) => {
            let text = std::fs::read_to_string(p).map_err(|source| CredentialError::WpConfig {
                path: p.to_path_buf(),
                source,
            })?;
            parse_defines(&text)
        }
        None => Vec::new(),
    };
    let config_name = wp_config.map(|p| p.display().to_string());
    let lookup = |names: &[&str]| -> Option<(String, String)> {
        for n in names {
            if let Some(v) = env(n).filter(|v| !v.trim().is_empty()) {
                return Some((v.trim().to_string(), (*n).to_string()));
            }
        }
        for n in names.iter().filter(|n| n.starts_with("WU_")) {
            if let Some((_, v)) = defines.iter().find(|(k, v)| k == n && !v.trim().is_empty()) {
                let from = format!(
                    "{n} in {}",
                    config_name.as_deref().unwrap_or("wp-config.php")
                );
                return Some((v.trim().to_string(), from));
            }
        }
        None
    };
    let token = lookup(&["RUNCLOUD_API_TOKEN", "WU_RUNCLOUD_API_TOKEN"]);
    let key = lookup(&["RUNCLOUD_API_KEY", "WU_RUNCLOUD_API_KEY"]);
    let secret = lookup(&["RUNCLOUD_API_SECRET", "WU_RUNCLOUD_API_SECRET"]);
    let (credentials, source) = match (token, key, secret) {
        (Some((t, from)), _, _) => (Credentials::Token(Secret::new(t)), from),
        (None, Some((k, kf)), Some((s, sf))) => (
            Credentials::KeySecret {
                key: Secret::new(k),
                secret: Secret::new(s),
            },
            format!("{kf} and {sf}"),
        ),
        (None, Some((_, kf)), None) => {
            return Err(CredentialError::HalfPair {
                present: kf,
                missing: "RUNCLOUD_API_SECRET".into(),
            });
        }
        (None, None, Some((_, sf))) => {
            return Err(CredentialError::HalfPair {
                present: sf,
                missing: "RUNCLOUD_API_KEY".into(),
            });
        }
        (None, None, None) => return Err(CredentialError::Missing),
    };
    let id = |names: &[&str]| -> Result<Option<(u64, String)>, CredentialError> {
        match lookup(names) {
            None => Ok(None),
            Some((v, from)) => v
                .parse::<u64>()
                .ok()
                .filter(|n| *n > 0)
                .map(|n| Some((n, from.clone())))
                .ok_or(CredentialError::BadId { name: from }),
        }
    };
    Ok(Resolved {
        credentials,
        source,
        server: id(&["RUNCLOUD_SERVER_ID", "WU_RUNCLOUD_SERVER_ID"])?,
        app: id(&["RUNCLOUD_APP_ID", "WU_RUNCLOUD_APP_ID"])?,
    })
}

/// The `define('NAME', 'value')` constants of a PHP file (strings and plain numbers).
pub fn parse_defines(php: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = php;
    while let Some(at) = rest.find("define") {
        rest = &rest[at + "define".len()..];
        let args = rest.trim_start();
        let Some(args) = args.strip_prefix('(') else {
            continue;
        };
        let Some((name, after)) = quoted(args.trim_start()) else {
            continue;
        };
        let Some(after) = after.trim_start().strip_prefix(',') else {
            continue;
        };
        let after = after.trim_start();
        let value = match quoted(after) {
            Some((v, _)) => v,
            None => after
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '.')
                .collect(),
        };
        out.push((name, value));
    }
    out
}

/// A PHP single- or double-quoted string at the start of `s`, and what follows it.
fn quoted(s: &str) -> Option<(String, &str)> {
    let q = s.chars().next().filter(|c| *c == '\'' || *c == '"')?;
    let mut value = String::new();
    let mut chars = s[1..].char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => {
                if let Some((_, n)) = chars.next() {
                    value.push(n);
                }
            }
            c if c == q => return Some((value, &s[1 + i + 1..])),
            c => value.push(c),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let m: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| m.get(k).cloned()
    }

    #[test]
    fn a_token_selects_v3_and_wins_over_a_key_pair() {
        let r = resolve(
            &env(&[
                ("RUNCLOUD_API_TOKEN", "t"),
                ("RUNCLOUD_API_KEY", "k"),
                ("RUNCLOUD_API_SECRET", "s"),
            ]),
            None,
        )
        .unwrap();
        assert_eq!(r.credentials.api(), ApiVersion::V3);
        assert_eq!(r.source, "RUNCLOUD_API_TOKEN");
    }

    #[test]
    fn a_key_pair_selects_v2_and_half_a_pair_is_an_error() {
        let r = resolve(
            &env(&[
                ("WU_RUNCLOUD_API_KEY", "k"),
                ("WU_RUNCLOUD_API_SECRET", "s"),
            ]),
            None,
        )
        .unwrap();
        assert_eq!(r.credentials.api(), ApiVersion::V2);
        let e = resolve(&env(&[("RUNCLOUD_API_KEY", "k")]), None).unwrap_err();
        assert!(e.to_string().contains("RUNCLOUD_API_SECRET"), "{e}");
        assert!(matches!(
            resolve(&env(&[]), None),
            Err(CredentialError::Missing)
        ));
    }

    #[test]
    fn wp_config_defines_are_read() {
        let php = r#"<?php
define( 'WU_RUNCLOUD_API_TOKEN', 'tok\'en' );
define("WU_RUNCLOUD_SERVER_ID", 11667);
define('WU_RUNCLOUD_APP_ID', '940288');
define('DB_NAME', 'wp');
"#;
        let dir = std::env::temp_dir().join(format!("rcd-wpconfig-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("wp-config.php");
        std::fs::write(&p, php).unwrap();
        let r = resolve(&env(&[]), Some(&p)).unwrap();
        match &r.credentials {
            Credentials::Token(t) => assert_eq!(t.expose(), "tok'en"),
            other => panic!("{other:?}"),
        }
        assert_eq!(r.server.map(|s| s.0), Some(11667));
        assert_eq!(r.app.map(|s| s.0), Some(940288));
        assert!(r.source.contains("WU_RUNCLOUD_API_TOKEN in"));
        // The environment wins over the file.
        let r = resolve(&env(&[("RUNCLOUD_APP_ID", "5")]), Some(&p)).unwrap();
        assert_eq!(r.app.map(|s| s.0), Some(5));
        std::fs::remove_dir_all(dir).ok();
    }

    #[test]
    fn bad_ids_name_the_variable() {
        let e = resolve(
            &env(&[("RUNCLOUD_API_TOKEN", "t"), ("RUNCLOUD_SERVER_ID", "abc")]),
            None,
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "RUNCLOUD_SERVER_ID is not a number (it must be the RunCloud id)"
        );
    }
}

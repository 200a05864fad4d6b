//! Where the RunCloud credentials and target ids come from.
//!
//! Owns the precedence of sources: `RUNCLOUD_*` environment variables, then the plugin's
//! `WU_RUNCLOUD_*` names, then the constants of a `wp-config.php` (`--wp-config`), read as PHP
//! reads them: comments are not code, only a literal counts as a value, and a constant that is
//! computed (`getenv(...)`), defined twice or unreadable is refused when it would be used, never
//! guessed at. Credentials are held as `Secret`s from the moment they are read; nothing here
//! prints them, and no message quotes a value from the file.

mod php;

pub use php::{Define, DefineValue, PhpSyntax, parse_defines};

use crate::input::{self, InputError};
use crate::model::ApiVersion;
use crate::secret::Secret;
use std::path::Path;

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

    /// What removes these credentials, in every encoding, from text that came back.
    pub fn scrubber(&self) -> crate::secret::Scrubber {
        match self {
            Credentials::Token(t) => crate::secret::Scrubber::new(&[t], &[]),
            Credentials::KeySecret { key, secret } => {
                crate::secret::Scrubber::new(&[key, secret], &[(key, secret)])
            }
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

/// What to set instead, in messages that send the operator to the environment.
const ENV_ADVICE: &str = "set RUNCLOUD_API_TOKEN (API v3), or RUNCLOUD_API_KEY and RUNCLOUD_API_SECRET (legacy API v2), and RUNCLOUD_SERVER_ID and RUNCLOUD_APP_ID";

#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    #[error(
        "no RunCloud credentials: set RUNCLOUD_API_TOKEN (API v3), or RUNCLOUD_API_KEY and RUNCLOUD_API_SECRET (legacy API v2), or point --wp-config at a wp-config.php that defines WU_RUNCLOUD_API_TOKEN"
    )]
    Missing,
    #[error(
        "no RunCloud credentials: --wp-config {path} defines none of WU_RUNCLOUD_API_TOKEN, WU_RUNCLOUD_API_KEY, WU_RUNCLOUD_API_SECRET (commented-out lines do not count). The plugin's setup wizard (Ultimate Multisite 2.4.11 and later) may have stored them encrypted in the database (network options wu_hosting_credential_WU_RUNCLOUD_*), where rcdomains cannot read them; {ENV_ADVICE}"
    )]
    NotInWpConfig { path: String },
    #[error(
        "{name} in {path} (line {line}) is an expression ({shape}), not a literal; export {env} instead"
    )]
    Expression {
        name: String,
        path: String,
        line: usize,
        shape: String,
        env: String,
    },
    #[error(
        "{path} defines {name} twice (lines {first} and {second}); keep one definition (commenting the other out is enough), or export {env} instead"
    )]
    Twice {
        name: String,
        path: String,
        first: usize,
        second: usize,
        env: String,
    },
    #[error(
        "{path}:{line}: {what}, so rcdomains cannot tell its constants apart from comments and strings; fix the file, or {ENV_ADVICE}"
    )]
    PhpSyntax {
        path: String,
        line: usize,
        what: String,
    },
    #[error("{present} is set but {missing} is not: API v2 needs both the key and the secret")]
    HalfPair { present: String, missing: String },
    #[error("{name} is not a number (it must be the RunCloud id)")]
    BadId { name: String },
    #[error(transparent)]
    WpConfig(#[from] InputError),
}

/// Reads credentials and ids; `env` looks a variable up (the process environment in use).
pub fn resolve(
    env: &dyn Fn(&str) -> Option<String>,
    wp_config: Option<&Path>,
) -> Result<Resolved, CredentialError> {
    let file = match wp_config {
        Some(p) => Some(WpConfig {
            path: p.display().to_string(),
            parsed: parse_defines(&input::read_to_string(p, "--wp-config")?),
        }),
        None => None,
    };
    let sources = Sources { env, file };
    let (credentials, source) = sources.credentials()?;
    Ok(Resolved {
        credentials,
        source,
        server: sources.id(&["RUNCLOUD_SERVER_ID", "WU_RUNCLOUD_SERVER_ID"])?,
        app: sources.id(&["RUNCLOUD_APP_ID", "WU_RUNCLOUD_APP_ID"])?,
    })
}

/// Where values come from, in order: the environment, then the file's `WU_*` constants.
struct Sources<'a> {
    env: &'a dyn Fn(&str) -> Option<String>,
    file: Option<WpConfig>,
}

impl Sources<'_> {
    /// The first of `names` that is set, and where it was found.
    fn lookup(&self, names: &[&str]) -> Result<Option<(String, String)>, CredentialError> {
        for n in names {
            if let Some(v) = (self.env)(n).filter(|v| !v.trim().is_empty()) {
                return Ok(Some((v.trim().to_string(), (*n).to_string())));
            }
        }
        let Some(file) = &self.file else {
            return Ok(None);
        };
        for n in names.iter().filter(|n| n.starts_with("WU_")) {
            if let Some(v) = file.literal(n)? {
                return Ok(Some((v, format!("{n} in {}", file.path))));
            }
        }
        Ok(None)
    }

    /// A token, else a key pair (looked up only without a token: what is not used is not
    /// refused), and where they came from.
    fn credentials(&self) -> Result<(Credentials, String), CredentialError> {
        if let Some((t, from)) = self.lookup(&["RUNCLOUD_API_TOKEN", "WU_RUNCLOUD_API_TOKEN"])? {
            return Ok((Credentials::Token(Secret::new(t)), from));
        }
        let key = self.lookup(&["RUNCLOUD_API_KEY", "WU_RUNCLOUD_API_KEY"])?;
        let secret = self.lookup(&["RUNCLOUD_API_SECRET", "WU_RUNCLOUD_API_SECRET"])?;
        match (key, secret) {
            (Some((k, kf)), Some((s, sf))) => Ok((
                Credentials::KeySecret {
                    key: Secret::new(k),
                    secret: Secret::new(s),
                },
                format!("{kf} and {sf}"),
            )),
            (Some((_, kf)), None) => Err(CredentialError::HalfPair {
                present: kf,
                missing: "RUNCLOUD_API_SECRET".into(),
            }),
            (None, Some((_, sf))) => Err(CredentialError::HalfPair {
                present: sf,
                missing: "RUNCLOUD_API_KEY".into(),
            }),
            (None, None) => Err(match &self.file {
                Some(f) => CredentialError::NotInWpConfig {
                    path: f.path.clone(),
                },
                None => CredentialError::Missing,
            }),
        }
    }

    /// An id (a positive number) from the first of `names` that is set.
    fn id(&self, names: &[&str]) -> Result<Option<(u64, String)>, CredentialError> {
        match self.lookup(names)? {
            None => Ok(None),
            Some((v, from)) => v
                .parse::<u64>()
                .ok()
                .filter(|n| *n > 0)
                .map(|n| Some((n, from.clone())))
                .ok_or(CredentialError::BadId { name: from }),
        }
    }
}

/// A `wp-config.php` as read; a syntax error surfaces only when one of its constants is needed.
struct WpConfig {
    path: String,
    parsed: Result<Vec<Define>, PhpSyntax>,
}

impl WpConfig {
    /// The literal value of constant `name`, `None` when it is not defined (or defined empty).
    fn literal(&self, name: &str) -> Result<Option<String>, CredentialError> {
        let defines = self
            .parsed
            .as_ref()
            .map_err(|e| CredentialError::PhpSyntax {
                path: self.path.clone(),
                line: e.line,
                what: e.what.clone(),
            })?;
        let env = name.trim_start_matches("WU_").to_string();
        let mut found = defines.iter().filter(|d| d.name == name);
        let Some(first) = found.next() else {
            return Ok(None);
        };
        if let Some(second) = found.next() {
            return Err(CredentialError::Twice {
                name: name.to_string(),
                path: self.path.clone(),
                first: first.line,
                second: second.line,
                env,
            });
        }
        match &first.value {
            DefineValue::Literal(v) => {
                let v = v.expose().trim();
                Ok((!v.is_empty()).then(|| v.to_string()))
            }
            DefineValue::Expression(shape) => Err(CredentialError::Expression {
                name: name.to_string(),
                path: self.path.clone(),
                line: first.line,
                shape: shape.clone(),
                env,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::path::PathBuf;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let m: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| m.get(k).cloned()
    }

    /// A realistic network wp-config.php (written for these tests), with `custom` where
    /// custom values go.
    fn sample_with(custom: &str) -> String {
        let sample = include_str!("../../tests/fixtures/wordpress/wp-config-sample.php");
        let marker = "/* Custom values below this line. */\n";
        assert!(sample.contains(marker));
        sample.replace(marker, &format!("{marker}{custom}"))
    }

    /// `php` written as a wp-config.php in a fresh directory.
    struct File {
        _dir: tempfile::TempDir,
        path: PathBuf,
    }

    fn file(php: &str) -> File {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("wp-config.php");
        std::fs::write(&path, php).unwrap();
        File { _dir: dir, path }
    }

    fn resolve_file(
        php: &str,
        vars: &[(&str, &str)],
    ) -> (Result<Resolved, CredentialError>, String) {
        let f = file(php);
        (
            resolve(&env(vars), Some(&f.path)),
            f.path.display().to_string(),
        )
    }

    fn token_of(r: &Resolved) -> &str {
        match &r.credentials {
            Credentials::Token(t) => t.expose(),
            other => panic!("{other:?}"),
        }
    }

    /// The literal values of `php`'s constants, by name.
    fn literals(php: &str) -> Vec<(String, String)> {
        parse_defines(php)
            .unwrap()
            .into_iter()
            .map(|d| match d.value {
                DefineValue::Literal(v) => (d.name, v.expose().to_string()),
                DefineValue::Expression(shape) => (d.name, format!("<expression {shape}>")),
            })
            .collect()
    }

    const PLUGIN_DEFINES: &str = "\
/* Ultimate Multisite: RunCloud integration */
define( 'WU_RUNCLOUD_API_TOKEN', 'rc-live-token' );
define( 'WU_RUNCLOUD_SERVER_ID', 11667 );
define( 'WU_RUNCLOUD_APP_ID', '940288' );
define( 'WP_ALLOW_MULTISITE', true );
define( 'MULTISITE', true );
define( 'SUBDOMAIN_INSTALL', true );
define( 'DOMAIN_CURRENT_SITE', 'network.example' );
";

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
        let f = file(php);
        let r = resolve(&env(&[]), Some(&f.path)).unwrap();
        assert_eq!(token_of(&r), "tok'en");
        assert_eq!(r.server.map(|s| s.0), Some(11667));
        assert_eq!(r.app.map(|s| s.0), Some(940288));
        assert!(r.source.contains("WU_RUNCLOUD_API_TOKEN in"));
        // The environment wins over the file.
        let r = resolve(&env(&[("RUNCLOUD_APP_ID", "5")]), Some(&f.path)).unwrap();
        assert_eq!(r.app.map(|s| s.0), Some(5));
    }

    #[test]
    fn the_stock_wp_config_sample_with_the_plugins_defines_is_read() {
        let php = sample_with(PLUGIN_DEFINES);
        let (r, path) = resolve_file(&php, &[]);
        let r = r.unwrap();
        assert_eq!(token_of(&r), "rc-live-token");
        assert_eq!(r.source, format!("WU_RUNCLOUD_API_TOKEN in {path}"));
        assert_eq!(r.server.map(|s| s.0), Some(11667));
        assert_eq!(r.app.map(|s| s.0), Some(940288));
        // WordPress's own constants read as PHP reads them; ABSPATH is computed (and unused).
        let all = literals(&php);
        assert!(
            all.contains(&("DB_COLLATE".into(), String::new())),
            "{all:?}"
        );
        assert!(all.contains(&("WP_DEBUG".into(), String::new())), "{all:?}");
        assert!(
            all.contains(&(
                "ABSPATH".into(),
                "<expression a constant's name . …>".into()
            )),
            "{all:?}"
        );
        assert_eq!(all.iter().filter(|(n, _)| n == "AUTH_KEY").count(), 1);
    }

    #[test]
    fn commented_out_definitions_are_not_definitions() {
        let php = sample_with(
            "\
// define( 'WU_RUNCLOUD_API_TOKEN', 'old-line-comment' );
# define( 'WU_RUNCLOUD_API_TOKEN', 'old-hash-comment' );
/* define( 'WU_RUNCLOUD_API_TOKEN', 'old-block-comment' ); */
/**
 * RunCloud for Ultimate Multisite. Example:
 *
 *     define( 'WU_RUNCLOUD_API_TOKEN', 'docblock-example' );
 *     define( 'WU_RUNCLOUD_SERVER_ID', 1 );
 */
define( 'WU_RUNCLOUD_API_TOKEN', 'the-live-one' ); // was: define( 'WU_RUNCLOUD_API_TOKEN', 'x' );
define( 'WU_RUNCLOUD_SERVER_ID', 11667 ); # ids from the RunCloud dashboard
define( 'WU_RUNCLOUD_APP_ID', /* web app */ 940288 );
",
        );
        let (r, _) = resolve_file(&php, &[]);
        let r = r.unwrap();
        assert_eq!(token_of(&r), "the-live-one");
        assert_eq!(r.server.map(|s| s.0), Some(11667));
        assert_eq!(r.app.map(|s| s.0), Some(940288));
    }

    #[test]
    fn text_inside_strings_is_not_code() {
        let php = r#"<?php
$note = "define('WU_RUNCLOUD_API_TOKEN', 'in-a-string'); // not a comment";
$other = 'a /* not a comment */ define("WU_RUNCLOUD_SERVER_ID", 1) # nor this';
define( 'WU_NOTE', 'it\'s // not a comment, nor # this, nor /* this' );
define( 'WU_RUNCLOUD_API_TOKEN', "real" );
$text = <<<EOT
define('WU_RUNCLOUD_API_TOKEN', 'in-a-heredoc');
EOT;
$raw = <<<'EOT'
    define('WU_RUNCLOUD_APP_ID', 3);
    EOT;
?>
<p>define('WU_RUNCLOUD_API_TOKEN', 'inline-html')</p>
<?php define( 'WU_RUNCLOUD_APP_ID', 940288 ); // a comment ends at ?> define('WU_RUNCLOUD_SERVER_ID', 9)
"#;
        let all = literals(php);
        assert_eq!(
            all,
            vec![
                (
                    "WU_NOTE".to_string(),
                    "it's // not a comment, nor # this, nor /* this".to_string()
                ),
                ("WU_RUNCLOUD_API_TOKEN".into(), "real".into()),
                ("WU_RUNCLOUD_APP_ID".into(), "940288".into()),
            ]
        );
    }

    #[test]
    fn define_in_any_case_and_top_level_const_are_definitions() {
        let php = r#"<?php
DEFINE('WU_RUNCLOUD_API_KEY', 'key-upper');
Define ( 'WU_RUNCLOUD_API_SECRET' , 'secret-mixed' ) ;
\define('A_GLOBAL', 'fq');
const WU_RUNCLOUD_SERVER_ID = 11667;
const FIRST = 'one', WU_RUNCLOUD_APP_ID = '940288';
class Settings {
    const WU_RUNCLOUD_API_TOKEN = 'class-constant';
    public function define($name, $value) {}
}
$settings->define('WU_RUNCLOUD_API_TOKEN', 'a-method');
Settings::define('WU_RUNCLOUD_API_TOKEN', 'a-static-method');
My\Space\define('WU_RUNCLOUD_API_TOKEN', 'another-namespace');
if ( ! defined( 'WP_CACHE' ) ) {
    define( 'WP_CACHE', true );
}
"#;
        let names: Vec<String> = literals(php).into_iter().map(|(n, _)| n).collect();
        assert_eq!(
            names,
            vec![
                "WU_RUNCLOUD_API_KEY",
                "WU_RUNCLOUD_API_SECRET",
                "A_GLOBAL",
                "WU_RUNCLOUD_SERVER_ID",
                "FIRST",
                "WU_RUNCLOUD_APP_ID",
                "WP_CACHE",
            ]
        );
        let (r, _) = resolve_file(php, &[]);
        let r = r.unwrap();
        match &r.credentials {
            Credentials::KeySecret { key, secret } => {
                assert_eq!(key.expose(), "key-upper");
                assert_eq!(secret.expose(), "secret-mixed");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(r.server.map(|s| s.0), Some(11667));
        assert_eq!(r.app.map(|s| s.0), Some(940288));
        // A namespaced file's `const` is not the global constant.
        let names: Vec<String> =
            literals("<?php\nnamespace Acme;\nconst WU_RUNCLOUD_APP_ID = 1;\n")
                .into_iter()
                .map(|(n, _)| n)
                .collect();
        assert!(names.is_empty(), "{names:?}");
    }

    #[test]
    fn escapes_read_as_php_reads_them() {
        let php = r#"<?php
define('SINGLE_NEWLINE', 'a\nb');
define('SINGLE_QUOTE', 'it\'s');
define('SINGLE_BACKSLASH', 'c:\\dir\tmp');
define('SINGLE_TRAILING', 'ends\\');
define("DOUBLE", "a\tb\\c\"d\$e\x41\101\u{e9}\q");
define('NEGATIVE', -5);
define('SEPARATED', 1_000);
define('NOTHING', null);
"#;
        assert_eq!(
            literals(php),
            vec![
                ("SINGLE_NEWLINE".to_string(), "a\\nb".to_string()),
                ("SINGLE_QUOTE".into(), "it's".into()),
                ("SINGLE_BACKSLASH".into(), "c:\\dir\\tmp".into()),
                ("SINGLE_TRAILING".into(), "ends\\".into()),
                ("DOUBLE".into(), "a\tb\\c\"d$eAAé\\q".into()),
                ("NEGATIVE".into(), "-5".into()),
                ("SEPARATED".into(), "1000".into()),
                ("NOTHING".into(), String::new()),
            ]
        );
        assert_eq!("a\\nb".chars().count(), 4);
    }

    #[test]
    fn expressions_are_refused_when_used_and_never_sent() {
        for (value, shape) in [
            ("getenv( 'RC_TOKEN' )", "getenv(...)"),
            ("$_ENV['RC_TOKEN']", "$_ENV[...]"),
            ("$_SERVER[ \"RC_TOKEN\" ]", "$_SERVER[...]"),
            ("'sekrit-part-one' . 'sekrit-part-two'", "'…' . …"),
            ("SOME_OTHER_CONSTANT", "a constant's name"),
            ("trim( file_get_contents( '/etc/rc-token' ) )", "trim(...)"),
            ("getenv('RC_TOKEN') ?: 'sekrit-fallback'", "getenv(...) …"),
            ("\"tok-{$suffix}\"", "a \"…\" string with $variables in it"),
        ] {
            let php = sample_with(&format!(
                "define( 'WU_RUNCLOUD_SERVER_ID', 11667 );\ndefine( 'WU_RUNCLOUD_API_TOKEN', {value} );\n"
            ));
            let (r, path) = resolve_file(&php, &[]);
            let e = r.unwrap_err();
            let line = php
                .lines()
                .position(|l| l.contains("'WU_RUNCLOUD_API_TOKEN'"))
                .unwrap()
                + 1;
            assert_eq!(
                e.to_string(),
                format!(
                    "WU_RUNCLOUD_API_TOKEN in {path} (line {line}) is an expression ({shape}), not a literal; export RUNCLOUD_API_TOKEN instead"
                )
            );
            assert!(!e.to_string().contains("sekrit"), "{e}");
            // Not refused when the environment provides the value instead.
            let (r, _) = resolve_file(&php, &[("RUNCLOUD_API_TOKEN", "from-env")]);
            assert_eq!(token_of(&r.unwrap()), "from-env");
        }
        // The same for an id; and a computed constant rcdomains does not read is no concern.
        let php = sample_with(
            "define( 'WU_RUNCLOUD_API_TOKEN', 't' );\nconst WU_RUNCLOUD_APP_ID = (int) getenv('APP');\ndefine( 'DB_HOST', getenv('DB_HOST') );\n",
        );
        let (r, _) = resolve_file(&php, &[]);
        let e = r.unwrap_err();
        assert!(
            e.to_string().contains("WU_RUNCLOUD_APP_ID in ")
                && e.to_string().contains("export RUNCLOUD_APP_ID instead"),
            "{e}"
        );
        let (r, _) = resolve_file(&php, &[("RUNCLOUD_APP_ID", "7")]);
        assert_eq!(r.unwrap().app.map(|a| a.0), Some(7));
        // A computed key pair is not used (nor refused) when there is a token.
        let php = sample_with(
            "define( 'WU_RUNCLOUD_API_TOKEN', 'tok' );\ndefine( 'WU_RUNCLOUD_API_KEY', getenv('K') );\ndefine( 'WU_RUNCLOUD_API_SECRET', getenv('S') );\n",
        );
        let (r, _) = resolve_file(&php, &[]);
        assert_eq!(token_of(&r.unwrap()), "tok");
    }

    #[test]
    fn two_live_definitions_are_refused_naming_both_lines() {
        let php = "<?php
define( 'WU_RUNCLOUD_API_TOKEN', 'first' );
// define( 'WU_RUNCLOUD_API_TOKEN', 'commented-out' );
if ( WP_DEBUG ) {
    DEFINE( 'WU_RUNCLOUD_API_TOKEN', 'second' );
}
";
        let (r, path) = resolve_file(php, &[]);
        assert_eq!(
            r.unwrap_err().to_string(),
            format!(
                "{path} defines WU_RUNCLOUD_API_TOKEN twice (lines 2 and 5); keep one definition (commenting the other out is enough), or export RUNCLOUD_API_TOKEN instead"
            )
        );
        let (r, _) = resolve_file(php, &[("RUNCLOUD_API_TOKEN", "env")]);
        assert!(r.is_ok());
        // A commented-out copy beside one live definition is fine.
        let (r, _) = resolve_file(
            "<?php\n// define( 'WU_RUNCLOUD_API_TOKEN', 'old' );\ndefine( 'WU_RUNCLOUD_API_TOKEN', 'new' );\n",
            &[],
        );
        assert_eq!(token_of(&r.unwrap()), "new");
    }

    #[test]
    fn a_wp_config_without_the_constants_points_at_the_setup_wizard() {
        let php = sample_with(
            "// Set by the setup wizard:\n// define( 'WU_RUNCLOUD_API_TOKEN', '' );\ndefine( 'WU_RUNCLOUD_SERVER_ID', 11667 );\n",
        );
        let (r, path) = resolve_file(&php, &[]);
        let e = r.unwrap_err();
        assert!(matches!(e, CredentialError::NotInWpConfig { .. }), "{e:?}");
        let msg = e.to_string();
        for needle in [
            path.as_str(),
            "defines none of WU_RUNCLOUD_API_TOKEN",
            "setup wizard",
            "encrypted in the database",
            "wu_hosting_credential_WU_RUNCLOUD_*",
            "set RUNCLOUD_API_TOKEN",
            "RUNCLOUD_API_KEY and RUNCLOUD_API_SECRET",
            "RUNCLOUD_SERVER_ID and RUNCLOUD_APP_ID",
        ] {
            assert!(msg.contains(needle), "{needle:?} not in {msg}");
        }
    }

    #[test]
    fn a_file_that_is_not_php_this_reader_can_follow_is_refused_when_needed() {
        let php = "<?php\ndefine( 'WU_RUNCLOUD_API_TOKEN', 'tok' );\n/* never closed\n";
        let (r, path) = resolve_file(php, &[]);
        assert_eq!(
            r.unwrap_err().to_string(),
            format!(
                "{path}:3: a /* comment is never closed, so rcdomains cannot tell its constants apart from comments and strings; fix the file, or set RUNCLOUD_API_TOKEN (API v3), or RUNCLOUD_API_KEY and RUNCLOUD_API_SECRET (legacy API v2), and RUNCLOUD_SERVER_ID and RUNCLOUD_APP_ID"
            )
        );
        let (r, _) = resolve_file(
            php,
            &[
                ("RUNCLOUD_API_TOKEN", "t"),
                ("RUNCLOUD_SERVER_ID", "1"),
                ("RUNCLOUD_APP_ID", "2"),
            ],
        );
        assert!(r.is_ok());
        for bad in [
            "<?php define('X', 'never closed);",
            "<?php define(\"X\", \"never closed);",
            "<?php $x = <<<EOT\nno end\n",
            "<?php define('X', 'y';",
        ] {
            assert!(parse_defines(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_missing_or_special_wp_config_is_an_input_error() {
        let e = resolve(&env(&[]), Some(Path::new("/dev/zero"))).unwrap_err();
        assert!(
            e.to_string()
                .contains("--wp-config /dev/zero is not a regular file"),
            "{e}"
        );
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

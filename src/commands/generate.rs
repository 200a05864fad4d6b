//! `rcdomains generate`: write a desired-state file from the network or from the live app.

use super::Session;
use crate::cli::{GenerateArgs, GenerateSource};
use crate::config::{ApiConfig, Config};
use crate::desired::{self, Target, name};
use crate::exit::Exit;
use crate::generate::select::{self, Counts, Rules};
use crate::generate::source::{self, Auth, Fetched, UmRest};
use crate::generate::write::{self, Existing, Spec, Wanted};
use crate::generate::{GenerateError, Site};
use crate::input;
use crate::model::DomainName;
use crate::output::Output;
use crate::runcloud::credentials::{self, CredentialError};
use crate::secret::Secret;
use anyhow::{Context, bail};
use std::io::Read;
use std::path::Path;

pub(crate) async fn run(
    config: &Config,
    args: &GenerateArgs,
    out: &Output,
) -> anyhow::Result<Exit> {
    let g = &config.api;
    let existing = read_existing(args.output.as_deref())?;
    let network = args
        .network_domain
        .as_deref()
        .map(name::normalise)
        .transpose()
        .map_err(|e| anyhow::anyhow!("--network-domain is not a domain name: {e}"))?;
    let target = target(args, existing.as_ref())?;

    let Gathered {
        wanted,
        mut warnings,
        counts,
        origin,
    } = match args.from {
        GenerateSource::UmRest | GenerateSource::WpCli => {
            from_network(g, args, network.as_ref(), target).await?
        }
        GenerateSource::Runcloud => from_runcloud(g, args, network, target).await?,
    };

    let spec = Spec {
        from: args.from.as_str().to_string(),
        origin,
        schema_ref: args.schema_ref.clone(),
        server: target.server,
        app: target.app,
    };
    let written = write::render(&spec, &wanted, existing.as_ref());
    let label = args.output.as_ref().map_or_else(
        || "the generated file".to_string(),
        |p| p.display().to_string(),
    );
    desired::load_str(&written.text, &label).map_err(|source| GenerateError::Invalid { source })?;
    warnings.extend(written.warnings.iter().cloned());
    for w in &warnings {
        tracing::warn!("{w}");
    }
    let summary = summary(&label, &written, &counts, warnings.len());

    let Some(path) = &args.output else {
        out.print(&written.text);
        out.note(&summary);
        return Ok(Exit::Success);
    };
    let current = std::fs::read_to_string(path).ok();
    let unchanged = current.as_deref() == Some(written.text.as_str());
    if args.check {
        out.note(&summary);
        return Ok(if unchanged {
            out.note(&format!("{label} is up to date"));
            Exit::Success
        } else {
            out.note(&format!("{label} would change (--check: nothing written)"));
            Exit::Changes
        });
    }
    if !unchanged {
        write_file(path, &written.text)?;
    }
    out.note(&summary);
    Ok(Exit::Success)
}

/// The -o file, when it exists, read for merging.
fn read_existing(path: Option<&Path>) -> anyhow::Result<Option<Existing>> {
    let Some(path) = path else { return Ok(None) };
    match input::read_to_string(path, "-o") {
        Ok(text) => Ok(Some(Existing::parse(&text, &path.display().to_string())?)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// The target ids: the flags, else the -o file's `target`; the environment fills the rest later.
fn target(args: &GenerateArgs, existing: Option<&Existing>) -> anyhow::Result<Target> {
    let pick = |what: &str, flag: Option<u64>, file: Option<u64>| match (flag, file) {
        (Some(f), Some(e)) if f != e => bail!(
            "--{what} {f} differs from target.{what} {e} in the -o file; drop the flag, or correct the file"
        ),
        (f, e) => Ok(f.or(e)),
    };
    Ok(Target {
        server: pick("server", args.server, existing.and_then(|e| e.server))?,
        app: pick("app", args.app, existing.and_then(|e| e.app))?,
    })
}

fn session(g: &ApiConfig, target: Target, args: &GenerateArgs) -> anyhow::Result<Session> {
    let env = |name: &str| std::env::var(name).ok();
    let resolved = credentials::resolve(&env, g.wp_config.as_deref())?;
    let source = match &args.output {
        Some(p) => p.display().to_string(),
        None => "--server/--app".to_string(),
    };
    Session::for_target(g, target, &source, resolved)
}

/// The live app's domains, and the session that read them; `why` ends the error's message.
async fn live_domains(
    g: &ApiConfig,
    target: Target,
    args: &GenerateArgs,
    why: &str,
) -> anyhow::Result<(Session, Vec<crate::model::LiveDomain>)> {
    let session = session(g, target, args)?;
    let live = session
        .client
        .list_domains(session.server, session.app)
        .await
        .with_context(|| {
            format!(
                "cannot read the domains of server {} app {}{why}",
                session.server, session.app
            )
        })?;
    Ok((session, live))
}

/// The plugin's rows from its REST API or a WP-CLI export, and a name for the header.
async fn read_network(g: &ApiConfig, args: &GenerateArgs) -> anyhow::Result<(Fetched, String)> {
    if args.from == GenerateSource::UmRest {
        let url = args.url.as_deref().unwrap_or_default();
        let secret = |name: &str| Secret::new(std::env::var(name).unwrap_or_default());
        let auth = match args.auth.as_str() {
            "basic" => Auth::Basic,
            "query" => Auth::Query,
            other => bail!("--auth {other}: write basic or query"),
        };
        let api = UmRest::new(
            url,
            secret("WU_API_KEY"),
            secret("WU_API_SECRET"),
            auth,
            g.timeout,
        )?;
        if auth == Auth::Query {
            tracing::warn!(
                "--auth query: the API key and secret travel in the URL's query string, which the network's web server and any proxy on the way may write to their access logs; prefer Basic auth where the server lets the Authorization header through, and rotate the key if those logs are shared"
            );
        }
        let fetched = api
            .fetch()
            .await
            .with_context(|| format!("cannot read the domain mappings of {url}"))?;
        return Ok((fetched, url.to_string()));
    }
    let input = args.input.as_deref().unwrap_or(Path::new("-"));
    let (text, origin) = read_input(input)?;
    Ok((source::parse_wp_cli(&text, &origin)?, origin))
}

fn read_input(path: &Path) -> anyhow::Result<(String, String)> {
    if path == Path::new("-") {
        // The same cap as a file: stdin could be endless.
        let mut bytes = Vec::new();
        std::io::stdin()
            .take(input::MAX_INPUT_BYTES + 1)
            .read_to_end(&mut bytes)
            .context("cannot read the domain list from stdin")?;
        if bytes.len() as u64 > input::MAX_INPUT_BYTES {
            bail!(
                "the domain list on stdin is larger than {} MiB; that is not an export rcdomains reads",
                input::MAX_INPUT_BYTES >> 20
            );
        }
        let text = String::from_utf8(bytes)
            .map_err(|_| anyhow::anyhow!("the domain list on stdin is not UTF-8 text"))?;
        return Ok((text, "stdin".to_string()));
    }
    let text = input::read_to_string(path, "--input")?;
    Ok((text, path.display().to_string()))
}

fn read_sites(path: Option<&Path>) -> anyhow::Result<Option<Vec<Site>>> {
    let Some(path) = path else { return Ok(None) };
    let text = input::read_to_string(path, "--sites")?;
    Ok(Some(source::parse_sites(
        &text,
        &path.display().to_string(),
    )?))
}

/// Whether names below the network's domain are left out: --exclude-subdomains says so, or the
/// RunCloud app (when credentials and ids are at hand) serves a wildcard for it.
async fn network_has_wildcard(
    g: &ApiConfig,
    args: &GenerateArgs,
    network: &DomainName,
    target: Target,
    warnings: &mut Vec<String>,
) -> anyhow::Result<bool> {
    if args.exclude_subdomains {
        return Ok(true);
    }
    let env = |name: &str| std::env::var(name).ok();
    let mut keep = |why: &str| {
        warnings.push(format!(
            "names below {network} are kept: {why}; pass --exclude-subdomains if the app serves *.{network}"
        ));
        Ok(false)
    };
    let resolved = match credentials::resolve(&env, g.wp_config.as_deref()) {
        Ok(r) => r,
        Err(CredentialError::Missing) => return keep("no RunCloud credentials to look at the app"),
        Err(e) => return Err(e.into()),
    };
    let server = target.server.or(resolved.server.as_ref().map(|s| s.0));
    let app = target.app.or(resolved.app.as_ref().map(|a| a.0));
    if server.is_none() || app.is_none() {
        return keep("no RunCloud server and app ids to look at the app");
    }
    let (_, live) = live_domains(
        g,
        target,
        args,
        &format!(" to look for a wildcard for {network}"),
    )
    .await?;
    let wildcard = select::has_wildcard_for(&live, network);
    tracing::info!(%network, wildcard, "looked for the network's wildcard on the app");
    Ok(wildcard)
}

fn summary(label: &str, w: &write::Written, c: &Counts, warnings: usize) -> String {
    let mut left_out = Vec::new();
    for (n, what) in [
        (c.inactive, "inactive"),
        (c.retired_site, "of archived, spam or deleted sites"),
        (c.below_network, "below the network's wildcard"),
        (c.invalid, "invalid"),
        (c.duplicates, "duplicate"),
    ] {
        if n > 0 {
            left_out.push(format!("{n} {what}"));
        }
    }
    format!(
        "{label}: {} name{} ({} added, {} removed), {} tombstone{}; {} row{} read{}; {} warning{}",
        w.present,
        plural(w.present),
        w.added.len(),
        w.removed.len(),
        w.tombstones,
        plural(w.tombstones),
        c.rows,
        plural(c.rows),
        if left_out.is_empty() {
            String::new()
        } else {
            format!(", left out: {}", left_out.join(", "))
        },
        warnings,
        plural(warnings)
    )
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Writes through a temporary file beside `path`, so a reader never sees half a file.
fn write_file(path: &Path, text: &str) -> anyhow::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "domains.yaml".into());
    let tmp = dir.join(format!(".{file_name}.rcdomains-tmp"));
    std::fs::write(&tmp, text).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// The names a generated file will hold, with what was said about them and where they came from.
struct Gathered {
    wanted: Vec<Wanted>,
    warnings: Vec<String>,
    counts: Counts,
    origin: String,
}

/// The names of the network's domain mappings (`--from um-rest` or `wp-cli`).
async fn from_network(
    g: &ApiConfig,
    args: &GenerateArgs,
    network: Option<&DomainName>,
    target: Target,
) -> anyhow::Result<Gathered> {
    let (fetched, origin) = read_network(g, args).await?;
    let sites = read_sites(args.sites.as_deref())?;
    let mut warnings = fetched.warnings;
    let below_network = match network {
        Some(d) if network_has_wildcard(g, args, d, target, &mut warnings).await? => {
            Some((*d).clone())
        }
        _ => None,
    };
    let rules = Rules {
        include_inactive: args.include_inactive,
        below_network,
    };
    let s = select::select(&fetched.rows, sites.as_deref(), &rules);
    let wanted: Vec<Wanted> = s
        .names
        .into_iter()
        .map(|name| Wanted {
            name,
            settings: None,
        })
        .collect();
    warnings.extend(s.warnings);
    Ok(Gathered {
        wanted,
        warnings,
        counts: s.counts,
        origin,
    })
}

/// The names of the live app (`--from runcloud`).
async fn from_runcloud(
    g: &ApiConfig,
    args: &GenerateArgs,
    network: Option<DomainName>,
    target: Target,
) -> anyhow::Result<Gathered> {
    let (session, live) = live_domains(g, target, args, "").await?;
    let below_network = network.filter(|d| select::has_wildcard_for(&live, d));
    let (chosen, warnings, counts) = select::select_live(&live, below_network.as_ref());
    let wanted: Vec<Wanted> = chosen
        .into_iter()
        .map(|c| Wanted {
            name: c.name,
            settings: Some(c.settings),
        })
        .collect();
    let origin = format!("RunCloud server {} app {}", session.server, session.app);
    Ok(Gathered {
        wanted,
        warnings,
        counts,
        origin,
    })
}

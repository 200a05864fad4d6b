//! Committed artefacts stay true: the JSON Schemas are fresh, every example validates.

use crate::support::*;
use rcdomains::cli::SchemaKind;

#[test]
fn committed_schemas_are_fresh() {
    for (kind, file) in [
        (SchemaKind::Desired, "schema/desired.schema.json"),
        (SchemaKind::Plan, "schema/plan.schema.json"),
    ] {
        let committed = std::fs::read_to_string(repo_path(file)).unwrap_or_default();
        let fresh = rcdomains::commands::schema_json(kind);
        assert!(
            committed == fresh,
            "{file} is stale: run `cargo run -- schema {} > {file}` and commit it",
            if kind == SchemaKind::Desired {
                "desired"
            } else {
                "plan"
            }
        );
    }
}

#[test]
fn schema_command_prints_the_committed_schema() {
    let run = rcd(None, Auth::None, &["schema"]);
    assert_eq!(run.code, 0);
    assert_eq!(
        run.stdout,
        std::fs::read_to_string(repo_path("schema/desired.schema.json")).unwrap()
    );
}

#[test]
fn every_example_file_validates() {
    let mut checked = 0;
    for entry in std::fs::read_dir(repo_path("examples")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if !(name.ends_with(".yaml") || name.ends_with(".yml")) {
            continue;
        }
        if name.contains("seed") {
            rcdomains::sandbox::Seed::load(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
        } else {
            let run = rcd(
                None,
                Auth::None,
                &["validate", "-f", path.to_str().unwrap()],
            );
            assert_eq!(run.code, 0, "{name}: {}", run.all());
        }
        checked += 1;
    }
    assert!(checked >= 2, "examples/ holds the demo's files");
}

#[test]
fn exit_codes_are_pinned() {
    use rcdomains::exit::Exit;
    assert_eq!(
        [
            Exit::Success,
            Exit::Error,
            Exit::Changes,
            Exit::Refused,
            Exit::Partial
        ]
        .map(Exit::code),
        [0, 1, 2, 3, 4]
    );
}

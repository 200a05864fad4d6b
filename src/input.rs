//! Reading the files a user (or a pull request) points rcdomains at: the desired file, saved
//! plans, WP-CLI exports, site lists, `wp-config.php`.
//!
//! Owns one rule: an input file is a regular file under a size cap. `/dev/zero`, a FIFO, a
//! directory or a 10 GiB file are refused at once with a message naming the file, never read
//! into memory or waited on. Symlinks are followed (a checkout may use them), but what they
//! point at must pass the same rule. Prints nothing.

use std::io::Read;
use std::path::{Path, PathBuf};

/// The largest input file read: far above any real desired file or export (10,000 domains are
/// well under 2 MiB), far below what would exhaust a CI runner.
pub const MAX_INPUT_BYTES: u64 = 64 << 20;

#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("cannot read {what} {path}")]
    Io {
        what: String,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "{what} {path} is not a regular file (it is {kind}); point it at a file such as domains.yaml"
    )]
    NotRegular {
        what: String,
        path: PathBuf,
        kind: &'static str,
    },
    #[error(
        "{what} {path} is larger than {} MiB; that is not an input rcdomains reads — check the path",
        MAX_INPUT_BYTES >> 20
    )]
    TooLarge { what: String, path: PathBuf },
    #[error("{what} {path} is not UTF-8 text; save it as UTF-8")]
    NotText { what: String, path: PathBuf },
}

impl InputError {
    /// Whether the file does not exist (callers add advice on how to get one).
    pub fn is_not_found(&self) -> bool {
        matches!(self, InputError::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound)
    }
}

/// Reads `path` as UTF-8 text. `what` names the file's role in messages ("desired-state file",
/// "saved plan", "--input"). Opening does not block on a FIFO: the type is checked first, and
/// the read stops one byte past the cap, so a file that grows while read is refused too.
pub fn read_to_string(path: &Path, what: &str) -> Result<String, InputError> {
    let io = |source| InputError::Io {
        what: what.to_string(),
        path: path.to_path_buf(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    let ft = meta.file_type();
    if !ft.is_file() {
        return Err(InputError::NotRegular {
            what: what.to_string(),
            path: path.to_path_buf(),
            kind: kind_of(&ft),
        });
    }
    if meta.len() > MAX_INPUT_BYTES {
        return Err(InputError::TooLarge {
            what: what.to_string(),
            path: path.to_path_buf(),
        });
    }
    let file = std::fs::File::open(path).map_err(io)?;
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(MAX_INPUT_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > MAX_INPUT_BYTES {
        return Err(InputError::TooLarge {
            what: what.to_string(),
            path: path.to_path_buf(),
        });
    }
    String::from_utf8(bytes).map_err(|_| InputError::NotText {
        what: what.to_string(),
        path: path.to_path_buf(),
    })
}

fn kind_of(ft: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if ft.is_fifo() {
            return "a FIFO";
        }
        if ft.is_char_device() {
            return "a character device";
        }
        if ft.is_block_device() {
            return "a block device";
        }
        if ft.is_socket() {
            return "a socket";
        }
    }
    if ft.is_dir() {
        "a directory"
    } else {
        "not a regular file"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_and_directories_are_refused_at_once() {
        let e = read_to_string(Path::new("/dev/zero"), "desired-state file").unwrap_err();
        assert!(
            e.to_string()
                .contains("/dev/zero is not a regular file (it is a character device)"),
            "{e}"
        );
        let e = read_to_string(Path::new("/"), "saved plan").unwrap_err();
        assert!(e.to_string().contains("a directory"), "{e}");
    }

    #[test]
    fn a_symlink_to_a_device_is_refused_and_one_to_a_file_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let link = dir.path().join("domains.yaml");
        std::os::unix::fs::symlink("/dev/urandom", &link).unwrap();
        let e = read_to_string(&link, "desired-state file").unwrap_err();
        assert!(matches!(e, InputError::NotRegular { .. }), "{e}");
        let real = dir.path().join("real.yaml");
        std::fs::write(&real, "version: 1\n").unwrap();
        let link2 = dir.path().join("link2.yaml");
        std::os::unix::fs::symlink(&real, &link2).unwrap();
        assert_eq!(
            read_to_string(&link2, "desired-state file").unwrap(),
            "version: 1\n"
        );
    }

    #[test]
    fn a_missing_file_says_so() {
        let e = read_to_string(Path::new("/nonexistent/domains.yaml"), "x").unwrap_err();
        assert!(e.is_not_found());
    }
}

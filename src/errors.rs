//! Errors as text: an error and its causes on one line, for the reports and plans that hold
//! an error as a string. Each layer's message says only its own part (its cause is its
//! `source`), so the chain repeats nothing. A leaf: imports nothing of the crate.

/// An error and its causes on one line, each layer's message joined to its cause's by ": "
/// (every layer says only its own part), for reports that hold an error as text.
pub fn chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_chain_joins_each_layer_once() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "no such file");
        let e = anyhow::Error::new(io).context("cannot read the ledger x.json");
        assert_eq!(
            super::chain(e.as_ref()),
            "cannot read the ledger x.json: no such file"
        );
    }
}

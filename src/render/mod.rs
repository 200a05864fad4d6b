//! Rendering plans and apply reports as text, JSON and Markdown.
//!
//! Owns the look of every result: pure functions from data to `String`. Must not print (that
//! is `output`'s job) nor decide anything (that is `plan`'s).

pub mod json;
pub mod markdown;
pub mod text;

/// Terminal styling; `plain()` when colour is off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    pub color: bool,
}

impl Style {
    pub fn plain() -> Self {
        Style { color: false }
    }

    fn paint(&self, code: &str, s: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }

    pub fn red(&self, s: &str) -> String {
        self.paint("31", s)
    }
    pub fn green(&self, s: &str) -> String {
        self.paint("32", s)
    }
    pub fn yellow(&self, s: &str) -> String {
        self.paint("33", s)
    }
    pub fn cyan(&self, s: &str) -> String {
        self.paint("36", s)
    }
    pub fn bold(&self, s: &str) -> String {
        self.paint("1", s)
    }
    pub fn dim(&self, s: &str) -> String {
        self.paint("2", s)
    }
}

/// What an SSL order does, in words; `name` is the domain as the format shows names.
pub(crate) fn ssl_order_text(order: &crate::plan::SslOrder, name: &str) -> String {
    use crate::plan::SslOrder;
    match order {
        SslOrder::BasicInstall => "install the app's certificate".to_string(),
        SslOrder::BasicRedeploy { certificate_id } => {
            format!("redeploy the app's certificate {certificate_id}")
        }
        SslOrder::AdvancedInstall { .. } => format!("install a certificate for {name}"),
    }
}

//! rcdomains: keep a WordPress multisite network's domains and its RunCloud web application in
//! agreement. See DESIGN.md for the contract; each module says what it owns.

#![deny(clippy::print_stdout, clippy::print_stderr)]

pub mod app;
pub mod apply;
pub mod checks;
pub mod cli;
pub mod commands;
pub mod config;
pub mod desired;
pub mod errors;
pub mod escape;
pub mod exit;
pub mod generate;
pub mod http;
pub mod input;
pub mod model;
pub mod output;
pub mod plan;
pub mod progress;
pub mod render;
pub mod runcloud;
pub mod saved;
pub mod secret;

/// The simulated RunCloud, DNS zone and TLS endpoint (the `rcdomains-sandbox` crate), for
/// `rcdomains sandbox`, `rcdomains demo` and the tests.
#[cfg(feature = "sandbox")]
pub use rcdomains_sandbox as sandbox;

//! rcdomains: keep a WordPress multisite network's domains and its RunCloud web application in
//! agreement. See DESIGN.md for the contract; each module says what it owns.

#![deny(clippy::print_stdout, clippy::print_stderr)]

pub mod checks;
pub mod desired;
pub mod exit;
pub mod model;
pub mod plan;
pub mod secret;

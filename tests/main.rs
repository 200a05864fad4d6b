#![allow(clippy::too_many_lines)] // test scenarios read top to bottom

//! The integration tests: one binary (link time matters on small machines), one module per
//! concern. They run `rcdomains` as a process against the sandbox on loopback.

mod support;

mod api_host;
mod bad_input;
mod certificates;
mod convergence;
mod desired_schema;
mod dns_tls;
mod end_to_end;
mod error_output;
mod fleet;
mod generate;
mod hostile;
mod injection;
mod limits;
mod markdown;
mod plan_schema;
mod readings;
mod render_text;
mod safety;
mod saved_plan;
mod secrets;
mod static_files;

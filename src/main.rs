//! The `rcdomains` binary: everything is in the library (`rcdomains::app::run`).

fn main() -> std::process::ExitCode {
    rcdomains::app::run(std::env::args_os())
}

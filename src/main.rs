//! The `rcdomains` binary: everything is in the library (`rcdomains::cli::main`).

fn main() -> std::process::ExitCode {
    rcdomains::cli::main()
}

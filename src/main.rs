//! The `cwsctl` command-line tool: manage CoreWeave Sandbox profile
//! templates and managed runners.

fn main() -> std::process::ExitCode {
    cwsandbox_control::cli::main()
}

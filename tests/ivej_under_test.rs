//! The `ivej` CLI, built inside the tests package so tests can find it.

fn main() -> std::process::ExitCode {
    ivej_cli::main()
}

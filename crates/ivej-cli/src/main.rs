//! The `ivej` binary: everything is in the library, so tests can build the same program.

fn main() -> std::process::ExitCode {
    ivej_cli::main()
}

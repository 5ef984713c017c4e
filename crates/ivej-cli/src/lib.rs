//! `ivej`: the Industrivej node from the command line, for scripting, benchmarks and an
//! always-on peer. Only argument parsing and output live here; every use case is a call
//! into `ivej-node`.

mod cli;
mod model;
mod output;
mod relay;
mod resolve;
mod run;
mod service;

use std::process::ExitCode;

use clap::Parser;

/// Parses the process's arguments, runs the command and says how it went.
pub fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let json = cli.json;
    match run::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            output::print_error(&err, json);
            ExitCode::FAILURE
        }
    }
}

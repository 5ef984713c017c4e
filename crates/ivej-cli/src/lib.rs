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
    quiet_on_a_closed_pipe();
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

/// `ivej post list | head`: when the reader goes away, printing fails; that ends the
/// listing, quietly, as it does for any Unix tool (std's `println!` would panic).
fn quiet_on_a_closed_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or_default();
        if message.contains("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(0);
        }
        default(info);
    }));
}

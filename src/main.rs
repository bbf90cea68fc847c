//! The `ecs-alb` command line: parse arguments, run one verb, report errors in one place.

mod cli;
mod output;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    let diff = cli::is_diff(&args);
    match cli::run(args) {
        Ok(code) => code,
        Err(err) => {
            match err.downcast_ref::<ecs_alb::config::ConfigError>() {
                // Each problem on its own line, the way compilers list them.
                Some(config_error) => config_error.messages().for_each(|m| eprintln!("error: {m}")),
                None => eprintln!("error: {err:#}"),
            }
            cli::exit_code(&err, diff)
        }
    }
}

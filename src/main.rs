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
        Err(err) => ecs_alb::verbs::report_failure(&err, diff),
    }
}

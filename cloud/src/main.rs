//! `ecs-alb-cloud`: the ecs-alb verbs that talk to AWS (deploy, diff against a stack, destroy).
//! `ecs-alb` runs it with its own command line, so both parse the same arguments.

mod assets;
mod events;
mod protection;
mod stack;
mod verbs;

use std::path::PathBuf;
use std::process::ExitCode;

use aws_sdk_cloudformation::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use clap::{Parser, Subcommand};

use ecs_alb::config::ConfigError;
use ecs_alb::verbs::{DeployArgs, DestroyArgs, DiffArgs};

#[derive(Debug, Parser)]
#[command(name = "ecs-alb", version, about = "The ecs-alb verbs that talk to AWS", max_term_width = 100)]
struct Cli {
    /// The configuration file (YAML or JSON). Default: ./ecs-alb.yaml if it exists, else the
    /// built-in defaults.
    #[arg(long, short, global = true, value_name = "FILE")]
    config: Option<PathBuf>,

    #[command(subcommand)]
    command: Verb,
}

#[derive(Debug, Subcommand)]
enum Verb {
    /// Deploy the stack through a CloudFormation change set.
    Deploy(DeployArgs),
    /// Compare the template with the deployed stack's (exit 0 equal, 1 different, 2 error).
    Diff(DiffArgs),
    /// Delete the stack.
    Destroy(DestroyArgs),
}

/// An SDK error as a person wants to read it: AWS's code and message when the service answered,
/// the whole cause otherwise (the SDK's plain Display says only "service error").
pub(crate) fn sdk<E, R>(err: SdkError<E, R>) -> anyhow::Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    match (err.code(), err.message()) {
        (Some(code), Some(message)) => anyhow::anyhow!("{code}: {message}"),
        _ => anyhow::anyhow!("{}", DisplayErrorContext(&err)),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let diff = matches!(cli.command, Verb::Diff(_));
    let result = match cli.command {
        Verb::Deploy(args) => verbs::deploy(cli.config.as_deref(), args).await,
        Verb::Diff(args) => verbs::diff(cli.config.as_deref(), args).await,
        Verb::Destroy(args) => verbs::destroy(cli.config.as_deref(), args).await,
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            match err.downcast_ref::<ConfigError>() {
                Some(config_error) => config_error.messages().for_each(|m| eprintln!("error: {m}")),
                None => eprintln!("error: {err:#}"),
            }
            if diff || err.is::<ConfigError>() { ExitCode::from(2) } else { ExitCode::FAILURE }
        }
    }
}

//! `ecs-alb-cloud`: the ecs-alb verbs that talk to AWS (deploy, diff against a stack, destroy).
//! `ecs-alb` runs it with its own command line, so both parse the same arguments.

mod assets;
mod events;
mod protection;
mod refresh;
mod release;
mod stack;
mod verbs;

use std::path::PathBuf;
use std::process::ExitCode;

use aws_sdk_cloudformation::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use clap::{Parser, Subcommand};

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

/// A failed AWS call, told in a line: AWS's own code and message when the service answered
/// (for an access denial that names the action and the resource), else what went wrong and the
/// fix where it is known. The SDK's whole chain is kept for `--verbose` and `RUST_LOG`.
#[derive(Debug)]
pub(crate) struct AwsFailure {
    summary: String,
    detail: String,
}

impl std::fmt::Display for AwsFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.summary)
    }
}

impl std::error::Error for AwsFailure {}

/// Where the AWS calls go, for "cannot reach" messages: set once the configuration is loaded.
pub(crate) static ENDPOINT: std::sync::OnceLock<String> = std::sync::OnceLock::new();

const NO_CREDENTIALS: &str = "no AWS credentials found: set AWS_PROFILE to a profile of ~/.aws/config (after `aws sso login` for an SSO profile), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, as for the AWS CLI";

pub(crate) fn sdk<E, R>(err: SdkError<E, R>) -> anyhow::Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    let detail = DisplayErrorContext(&err).to_string();
    let summary = match (err.code(), err.message()) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        _ => without_an_answer(&err, &detail),
    };
    anyhow::Error::new(AwsFailure { summary, detail })
}

/// Why a call got no answer from AWS, from the error's chain of causes.
fn without_an_answer(err: &dyn std::error::Error, detail: &str) -> String {
    let causes: Vec<String> = std::iter::successors(Some(err), |e| e.source()).map(|e| e.to_string()).collect();
    let all = format!("{} {detail}", causes.join(" ")).to_lowercase();
    let endpoint = ENDPOINT.get().map_or("AWS", String::as_str);
    if all.contains("/login/cache/") {
        // A profile of `aws login` (console credentials), whose session is cached by the AWS CLI.
        "the profile's `aws login` session is not signed in or has expired: run `aws login` (with --profile NAME for a named profile)".to_owned()
    } else if all.contains("credential") || all.contains("no matching auth scheme") || all.contains("identity resolver")
    {
        NO_CREDENTIALS.to_owned()
    } else if ["connection refused", "dns error", "failed to lookup", "timed out", "timeout", "connect"]
        .iter()
        .any(|sign| all.contains(sign))
    {
        let innermost = causes.last().cloned().unwrap_or_default();
        format!("cannot reach {endpoint} ({innermost}); check the network, AWS_REGION and AWS_ENDPOINT_URL")
    } else {
        causes.last().cloned().unwrap_or_else(|| detail.to_owned())
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let diff = matches!(cli.command, Verb::Diff(_));
    let verbose = std::env::var_os("RUST_LOG").is_some()
        || match &cli.command {
            Verb::Deploy(args) => args.verbose,
            Verb::Diff(args) => args.verbose,
            Verb::Destroy(args) => args.verbose,
        };
    let result = match cli.command {
        Verb::Deploy(args) => verbs::deploy(cli.config.as_deref(), args).await,
        Verb::Diff(args) => verbs::diff(cli.config.as_deref(), args).await,
        Verb::Destroy(args) => verbs::destroy(cli.config.as_deref(), args).await,
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            let code = ecs_alb::verbs::report_failure(&err, diff);
            match err.chain().find_map(|e| e.downcast_ref::<AwsFailure>()) {
                Some(failure) if verbose => eprintln!("the AWS SDK's error: {}", failure.detail),
                Some(_) => eprintln!("  (--verbose shows the AWS SDK's whole error)"),
                None => {}
            }
            code
        }
    }
}

//! The arguments of the verbs that talk to AWS. The `ecs-alb` binary parses them for `--help` and
//! hands the command line to `ecs-alb-cloud`, which holds the AWS SDK; both use these definitions.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use crate::config::ConfigError;
use crate::diff::{FailOn, Style, TemplateDiff};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum DiffFormat {
    Text,
    Markdown,
    Json,
}

/// The diff in the format asked for, and the exit code the gate asks for (2, whatever the gate,
/// when the change cannot be deployed: `TemplateDiff::blockers`): the same in both
/// binaries, whether the old template is a file or a deployed stack's.
pub fn render_diff(changes: &TemplateDiff, format: DiffFormat, fail_on: FailOn) -> anyhow::Result<(String, ExitCode)> {
    let text = match format {
        DiffFormat::Text => changes.render(Style::for_stdout()),
        DiffFormat::Markdown => changes.report().to_markdown(),
        DiffFormat::Json => serde_json::to_string_pretty(&changes.report())? + "\n",
    };
    let code = if !changes.blockers().is_empty() {
        // Whatever the gate: CloudFormation would fail this update and roll it back.
        ExitCode::from(2)
    } else if fail_on.fails(changes) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    };
    Ok((text, code))
}

#[derive(Clone, Debug, Args)]
pub struct DeployArgs {
    /// The stack's name in CloudFormation. Default: the configuration's `stack_name`.
    #[arg(long, value_name = "NAME")]
    pub stack_name: Option<String>,
    /// The drainer's package to upload. Default: target/lambda/drainer/bootstrap.zip.
    #[arg(long, value_name = "PATH")]
    pub drainer_zip: Option<PathBuf>,
    /// The S3 bucket for the drainer's package. Default: ecs-alb-assets-ACCOUNT-REGION, created
    /// (versioned, encrypted, public access blocked) when missing.
    #[arg(long, value_name = "BUCKET")]
    pub asset_bucket: Option<String>,
    /// Give a template parameter a value, such as `--parameter ContainerImage=nginx:1.27` when the
    /// image is a parameter. Repeatable. Parameters not given keep their deployed value on an
    /// update (the image), or take their default.
    #[arg(long = "parameter", value_name = "KEY=VALUE", value_parser = parse_parameter)]
    pub parameters: Vec<(String, String)>,
    /// Create the change set and show it, but do not execute it.
    #[arg(long)]
    pub no_execute: bool,
    /// Execute without asking.
    #[arg(long, short)]
    pub yes: bool,
    /// On an AWS failure, print the SDK's whole error chain too (as setting RUST_LOG does).
    #[arg(long, short)]
    pub verbose: bool,
}

#[derive(Clone, Debug, Args)]
pub struct DestroyArgs {
    /// The stack's name in CloudFormation. Default: the configuration's `stack_name`.
    #[arg(long, value_name = "NAME")]
    pub stack_name: Option<String>,
    /// Delete without asking.
    #[arg(long, short)]
    pub yes: bool,
    /// On an AWS failure, print the SDK's whole error chain too (as setting RUST_LOG does).
    #[arg(long, short)]
    pub verbose: bool,
}

#[derive(Clone, Debug, Args)]
pub struct DiffArgs {
    /// Compare with the template of this deployed stack. Default: the configuration's `stack_name`.
    #[arg(long, value_name = "NAME", conflicts_with = "against")]
    pub stack_name: Option<String>,
    /// Compare with a template file (JSON, or YAML in long form) instead of a deployed stack.
    #[arg(long, value_name = "FILE")]
    pub against: Option<PathBuf>,
    /// The new template, from a file instead of the configuration: with --against, compares two
    /// committed templates (a pull request's base and head) without a configuration.
    #[arg(value_name = "TEMPLATE", requires = "against")]
    pub template: Option<PathBuf>,
    /// text for a terminal, markdown for a pull request's comment, json for other tools (its
    /// schema: `ecs-alb schema --diff`).
    #[arg(long, value_enum, default_value_t = DiffFormat::Text)]
    pub format: DiffFormat,
    /// What makes the exit code 1: any change, only a replacement, or never.
    #[arg(long, value_enum, default_value_t = FailOn::Change)]
    pub fail_on: FailOn,
    /// On an AWS failure, print the SDK's whole error chain too (as setting RUST_LOG does).
    #[arg(long, short)]
    pub verbose: bool,
}

fn parse_parameter(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.is_empty() => Ok((key.to_owned(), value.to_owned())),
        _ => Err(format!("`{text}` is not KEY=VALUE")),
    }
}

/// What in the configuration deserves a second look, on stderr: `validate`, `synth` and `deploy`
/// say it alike.
pub fn print_warnings(config: &crate::config::ValidConfig, origin: &str) {
    for warning in config.warnings() {
        eprintln!("warning: {}", warning.describe(Some(origin)));
    }
}

/// The binary that runs the verbs needing AWS.
pub const CLOUD_BINARY: &str = "ecs-alb-cloud";

/// Prints a failed verb's error the same way in both binaries, and says how to exit: a
/// configuration's problems one per line (as compilers list them), anything else as its chain of
/// causes. 2 for a configuration the user must fix (clap uses 2 for usage errors too) and for any
/// failed diff (1 means "they differ" there), 1 for anything else.
pub fn report_failure(err: &anyhow::Error, diff: bool) -> ExitCode {
    let config_error = err
        .downcast_ref::<ConfigError>()
        .or_else(|| err.downcast_ref::<crate::pattern::SynthError>().and_then(|e| e.config_error()));
    match config_error {
        Some(config_error) => config_error.messages().for_each(|m| eprintln!("error: {m}")),
        None => eprintln!("error: {err:#}"),
    }
    if diff || config_error.is_some() { ExitCode::from(2) } else { ExitCode::FAILURE }
}

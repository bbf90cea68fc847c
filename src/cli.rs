//! Arguments and verbs.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand, ValueEnum};

use ecs_alb::config::{self, ConfigError, ValidConfig};
use ecs_alb::pattern::{self, DrainerCode, SynthOptions};

/// Read when no `--config` is given, if it exists.
const DEFAULT_CONFIG_FILE: &str = "ecs-alb.yaml";

/// Synthesizes the CloudFormation template of an ECS service on EC2 behind an Application Load
/// Balancer, with graceful draining of instances on scale-in.
#[derive(Debug, Parser)]
#[command(version, about, max_term_width = 100)]
pub struct Cli {
    /// The configuration file (YAML or JSON). Default: ./ecs-alb.yaml if it exists, else the
    /// built-in defaults (the reference CDK app).
    #[arg(long, short, global = true, value_name = "FILE")]
    config: Option<PathBuf>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print the CloudFormation template (or write it with -o).
    Synth {
        #[arg(long, short, value_enum, default_value_t = Format::Json)]
        format: Format,
        /// Write the template to FILE, atomically, instead of standard output.
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Point the drainer function's code at this local zip, for `aws cloudformation package`,
        /// instead of the DrainerCodeS3Bucket/DrainerCodeS3Key parameters.
        #[arg(long, value_name = "PATH")]
        drainer_zip: Option<String>,
    },
    /// Print the stack's name, and with --resources each resource's logical ID and type.
    Ls {
        #[arg(long)]
        resources: bool,
    },
    /// Check the configuration and report every problem at once.
    Validate,
    /// Print the JSON Schema of the configuration file.
    Schema,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Format {
    Json,
    Yaml,
}

pub fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Synth { format, output, drainer_zip } => {
            let config = load_config(cli.config.as_deref())?;
            let drainer_code = drainer_zip.map_or(DrainerCode::S3Parameters, DrainerCode::LocalZip);
            let template = pattern::synthesize(&config, SynthOptions { drainer_code })?;
            let text = match format {
                Format::Json => template.to_json_pretty()?,
                Format::Yaml => template.to_yaml()?,
            };
            match output {
                Some(path) => crate::output::write_atomically(&path, &text),
                None => crate::output::print(&text),
            }
        }
        Command::Ls { resources } => {
            let config = load_config(cli.config.as_deref())?;
            let mut text = format!("{}\n", config.stack_name);
            if resources {
                let template = pattern::synthesize(&config, SynthOptions::default())?;
                let width = template.resources().map(|(id, _)| id.as_str().len()).max().unwrap_or(0);
                for (id, resource_type) in template.resources() {
                    text.push_str(&format!("  {:width$}  {resource_type}\n", id.as_str()));
                }
            }
            crate::output::print(&text)
        }
        Command::Validate => {
            let (config, origin) = load_config_with_origin(cli.config.as_deref())?;
            let template = pattern::synthesize(&config, SynthOptions::default())?;
            let count = template.resources().count();
            crate::output::print(&format!("{origin}: OK ({count} resources)\n"))
        }
        Command::Schema => {
            let schema = serde_json::to_string_pretty(&config::json_schema())?;
            crate::output::print(&format!("{schema}\n"))
        }
    }
}

fn load_config(explicit: Option<&Path>) -> Result<ValidConfig> {
    load_config_with_origin(explicit).map(|(config, _)| config)
}

/// The configuration, and where it came from in words.
fn load_config_with_origin(explicit: Option<&Path>) -> Result<(ValidConfig, String)> {
    let path = match explicit {
        Some(path) => Some(path.to_path_buf()),
        None => Some(PathBuf::from(DEFAULT_CONFIG_FILE)).filter(|p| p.exists()),
    };
    match path {
        Some(path) => {
            let config = config::load(&path)?;
            Ok((config, path.display().to_string()))
        }
        None => {
            let config = ecs_alb::config::Config::default()
                .validate()
                .map_err(|diagnostics| ConfigError { origin: None, diagnostics })
                .context("the built-in defaults are invalid")?;
            Ok((config, "built-in defaults".into()))
        }
    }
}

/// 2 for a configuration the user must fix (clap uses 2 for usage errors too), 1 for anything else.
pub fn exit_code(err: &anyhow::Error) -> ExitCode {
    if err.is::<ConfigError>() { ExitCode::from(2) } else { ExitCode::FAILURE }
}

//! Arguments and verbs.

use std::path::{Path, PathBuf};
use std::process::{Command as Process, ExitCode};

use anyhow::{Context, Result, bail};
use clap::{CommandFactory, Parser, Subcommand, ValueEnum};

use ecs_alb::config::{self, ValidConfig};
use ecs_alb::pattern::{self, DrainerCode, SynthOptions};
use ecs_alb::template::MAX_INLINE_BODY_BYTES;
use ecs_alb::verbs::{CLOUD_BINARY, DeployArgs, DestroyArgs, DiffArgs, render_diff};
use ecs_alb::{architecture, diff, docs, graph};

/// Synthesizes the CloudFormation template of an ECS service on EC2 behind an Application Load
/// Balancer, with graceful draining of instances on scale-in.
#[derive(Debug, Parser)]
#[command(name = "ecs-alb", version, about, max_term_width = 100)]
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
    /// Print the JSON Schema of the configuration file (of `diff --format json` with --diff).
    Schema {
        #[arg(long)]
        diff: bool,
    },
    /// Compare the template with a deployed stack's or a file's, or two template files. Exit 0
    /// when equal (or when --fail-on lets the changes pass), 1 when they differ, 2 on error.
    Diff(DiffArgs),
    /// Deploy the stack through a CloudFormation change set (runs ecs-alb-cloud).
    Deploy(DeployArgs),
    /// Delete the stack (runs ecs-alb-cloud).
    Destroy(DestroyArgs),
    /// Print the configuration reference (every field, its type, default and rule).
    Docs {
        /// Write it as HTML to a temporary file and open it in the browser.
        #[arg(long)]
        open: bool,
    },
    /// Print the stack as a picture: its parts, what each resource is, and the paths of requests
    /// and events (with --detail resources: every resource and every reference).
    Graph {
        #[arg(long, short, value_enum, default_value_t = GraphFormat::Mermaid)]
        format: GraphFormat,
        #[arg(long, value_enum, default_value_t = GraphDetail::Architecture)]
        detail: GraphDetail,
    },
    /// Print a shell completion script.
    Completions { shell: clap_complete::Shell },
    /// Print the man page (roff).
    Man,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Format {
    Json,
    Yaml,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum GraphDetail {
    /// Grouped by part, labelled, requests and events drawn apart.
    Architecture,
    /// One node per resource, one edge per reference.
    Resources,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum GraphFormat {
    Mermaid,
    Dot,
}

/// Whether an error ends the program with the diff verb's code (2) rather than the usual 1.
pub fn is_diff(cli: &Cli) -> bool {
    matches!(cli.command, Command::Diff(_))
}

pub fn run(cli: Cli) -> Result<ExitCode> {
    let config_path = cli.config.as_deref();
    match cli.command {
        Command::Synth { format, output, drainer_zip } => {
            // What the template cannot do (a private image with no repository to pull from) is
            // said where the template is made, not only by `validate`.
            let (config, origin) = config::resolve(config_path)?;
            ecs_alb::verbs::print_warnings(&config, &origin);
            let drainer_code = drainer_zip.map_or(DrainerCode::S3Parameters, DrainerCode::LocalZip);
            let template = pattern::synthesize(&config, SynthOptions { drainer_code })?;
            let text = match format {
                Format::Json => template.to_json_pretty()?,
                Format::Yaml => template.to_yaml()?,
            };
            if text.len() > MAX_INLINE_BODY_BYTES {
                eprintln!(
                    "note: the template is {} bytes, more than the {MAX_INLINE_BODY_BYTES} `aws cloudformation deploy` sends inline: give it --s3-bucket BUCKET (ecs-alb deploy uploads it to its asset bucket itself)",
                    text.len()
                );
            }
            match output {
                Some(path) => crate::output::write_atomically(&path, &text)?,
                None => crate::output::print(&text)?,
            }
        }
        Command::Ls { resources } => {
            let config = load_config(config_path)?;
            let mut text = format!("{}\n", config.stack_name);
            for service in &config.model().services {
                let name = service.name.as_deref().unwrap_or("service");
                let route = service.route.as_ref().map_or_else(|| "the default route".to_owned(), pattern::route_text);
                text.push_str(&format!("  {name}: {route}\n"));
            }
            if resources {
                let template = pattern::synthesize(&config, SynthOptions::default())?;
                let width = template.resources().map(|(id, _)| id.as_str().len()).max().unwrap_or(0);
                for (id, resource_type) in template.resources() {
                    text.push_str(&format!("  {:width$}  {resource_type}\n", id.as_str()));
                }
            }
            crate::output::print(&text)?;
        }
        Command::Validate => {
            let (config, origin) = config::resolve(config_path)?;
            ecs_alb::verbs::print_warnings(&config, &origin);
            let template = pattern::synthesize(&config, SynthOptions::default())?;
            let count = template.resources().count();
            crate::output::print(&format!("{origin}: OK ({count} resources)\n"))?;
        }
        Command::Schema { diff } => {
            let schema = if diff { diff::report::json_schema() } else { config::json_schema() };
            crate::output::print(&format!("{}\n", serde_json::to_string_pretty(&schema)?))?;
        }
        Command::Diff(args @ DiffArgs { against: Some(_), .. }) => {
            let new = match &args.template {
                Some(file) => diff::read_template(file)?,
                None => pattern::synthesize(&load_config(config_path)?, SynthOptions::default())?.to_value()?,
            };
            let old = diff::read_template(args.against.as_deref().unwrap_or_else(|| unreachable!("matched above")))?;
            let (text, code) = render_diff(&diff::diff(&old, &new), args.format, args.fail_on)?;
            crate::output::print(&text)?;
            return Ok(code);
        }
        Command::Diff(_) | Command::Deploy(_) | Command::Destroy(_) => return delegate_to_cloud(),
        Command::Docs { open } => {
            let schema = serde_json::to_value(config::json_schema())?;
            let sections = docs::sections(&schema);
            if open {
                let path = std::env::temp_dir().join("ecs-alb-configuration.html");
                crate::output::write_atomically(&path, &docs::html(&sections))?;
                open_in_browser(&path)?;
            } else {
                crate::output::print(&docs::markdown(&sections))?;
            }
        }
        Command::Graph { format, detail } => {
            let config = load_config(config_path)?;
            let template = pattern::synthesize(&config, SynthOptions::default())?;
            let text = match detail {
                GraphDetail::Architecture => {
                    let a = architecture::architecture(config.model(), &template)?;
                    match format {
                        GraphFormat::Mermaid => a.mermaid(),
                        GraphFormat::Dot => a.dot(),
                    }
                }
                GraphDetail::Resources => {
                    let g = graph::graph(&template.to_value()?);
                    match format {
                        GraphFormat::Mermaid => g.mermaid(),
                        GraphFormat::Dot => g.dot(),
                    }
                }
            };
            crate::output::print(&text)?;
        }
        Command::Completions { shell } => {
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "ecs-alb", &mut out);
            crate::output::print(&String::from_utf8(out)?)?;
        }
        Command::Man => {
            let mut out = Vec::new();
            clap_mangen::Man::new(Cli::command()).render(&mut out)?;
            crate::output::print(&String::from_utf8(out)?)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs `ecs-alb-cloud` with this command line: the verbs that need the AWS SDK live there, so
/// that `synth` builds without it. It is looked for beside this binary, then on PATH.
fn delegate_to_cloud() -> Result<ExitCode> {
    let beside = std::env::current_exe().ok().map(|exe| exe.with_file_name(CLOUD_BINARY)).filter(|p| p.exists());
    let program = beside.unwrap_or_else(|| PathBuf::from(CLOUD_BINARY));
    let status = match Process::new(&program).args(std::env::args_os().skip(1)).status() {
        Ok(status) => status,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => bail!(
            "this verb needs {CLOUD_BINARY}, which holds the AWS SDK: build it with `cargo build --release -p ecs-alb-cloud` (or install it beside ecs-alb)"
        ),
        Err(e) => return Err(e).with_context(|| format!("cannot run {}", program.display())),
    };
    Ok(ExitCode::from(status.code().and_then(|c| u8::try_from(c).ok()).unwrap_or(1)))
}

fn open_in_browser(path: &Path) -> Result<()> {
    let opener = if cfg!(target_os = "macos") { "open" } else { "xdg-open" };
    match Process::new(opener).arg(path).status() {
        Ok(status) if status.success() => Ok(()),
        _ => {
            eprintln!("wrote {} (no browser could be opened)", path.display());
            Ok(())
        }
    }
}

fn load_config(explicit: Option<&Path>) -> Result<ValidConfig> {
    Ok(config::resolve(explicit)?.0)
}

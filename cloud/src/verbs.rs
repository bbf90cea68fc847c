//! deploy, diff and destroy.

use std::collections::BTreeSet;
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use aws_config::BehaviorVersion;
use aws_sdk_cloudformation::types::{Parameter, StackStatus};
use serde_json::Value;

use ecs_alb::config;
use ecs_alb::constructs::drain_hook::{CODE_BUCKET_PARAMETER, CODE_KEY_PARAMETER};
use ecs_alb::constructs::task::is_image_parameter;
use ecs_alb::pattern::{self, SynthOptions};
use ecs_alb::template::MAX_INLINE_BODY_BYTES;
use ecs_alb::verbs::{DeployArgs, DestroyArgs, DiffArgs};

use crate::stack::{Prepared, TemplateSource};
use crate::{assets, events, protection, refresh, release, sdk, stack};

const DEFAULT_PACKAGE: &str = "target/lambda/drainer/bootstrap.zip";

/// The AWS configuration the AWS CLI would use: AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL, ...
async fn aws() -> aws_config::SdkConfig {
    let config = aws_config::defaults(BehaviorVersion::latest()).load().await;
    let endpoint = match (config.endpoint_url(), config.region()) {
        (Some(url), _) => url.to_owned(),
        (None, Some(region)) => format!("AWS's endpoints in {region}"),
        (None, None) => "AWS (no region set: AWS_REGION, or a profile's region)".to_owned(),
    };
    let _ = crate::ENDPOINT.set(endpoint);
    config
}

/// The configuration's template and stack name; `warn` prints what deserves a second look (a
/// deploy says it as `synth` does).
fn synthesize(config_path: Option<&Path>, warn: bool) -> Result<(Value, String)> {
    let (config, origin) = config::resolve(config_path)?;
    if warn {
        ecs_alb::verbs::print_warnings(&config, &origin);
    }
    let template = pattern::synthesize(&config, SynthOptions::default())?.to_value()?;
    Ok((template, config.stack_name.clone()))
}

pub async fn deploy(config_path: Option<&Path>, args: DeployArgs) -> Result<ExitCode> {
    let (mut template, default_name) = synthesize(config_path, true)?;
    let stack_name = args.stack_name.unwrap_or(default_name);
    let aws = aws().await;
    let cf = aws_sdk_cloudformation::Client::new(&aws);

    let mut status = stack::status(&cf, &stack_name).await?;
    if status == Some(StackStatus::RollbackComplete) {
        // A stack whose creation failed and rolled back can be neither updated nor repaired: only
        // deleted and created again (as `cdk deploy` offers).
        eprintln!(
            "stack {stack_name} is ROLLBACK_COMPLETE: its first creation failed and was rolled back, so it can only be deleted and created again"
        );
        if !args.yes && !confirm(&format!("Delete the failed stack {stack_name} and create it again?"))? {
            bail!(
                "stack {stack_name} left as it is; delete it with `ecs-alb destroy` (or deploy with --yes) to try again"
            );
        }
        delete_stack(&aws, &cf, &stack_name).await?;
        eprintln!("{stack_name}: deleted; creating it again");
        status = None;
    }
    let update = status.is_some();
    let deployed = if update { Some(stack::deployed_template(&cf, &stack_name).await?) } else { None };
    let mut parameters = parameters(&template, deployed.as_ref(), &args.parameters)?;
    let mut bucket = AssetBucket::new(&aws, args.asset_bucket);
    if template["Parameters"].get(CODE_BUCKET_PARAMETER).is_some() {
        let package = args.drainer_zip.unwrap_or_else(|| PathBuf::from(DEFAULT_PACKAGE));
        if !package.exists() {
            bail!(
                "the drainer's package {} is missing: build it with scripts/build-drainer, or name it with --drainer-zip",
                package.display()
            );
        }
        let s3 = bucket.s3.clone();
        let asset = assets::upload(&s3, bucket.get().await?, &package).await?;
        eprintln!("drainer package: s3://{}/{}", asset.bucket, asset.key);
        parameters
            .push(Parameter::builder().parameter_key(CODE_BUCKET_PARAMETER).parameter_value(&asset.bucket).build());
        parameters.push(Parameter::builder().parameter_key(CODE_KEY_PARAMETER).parameter_value(&asset.key).build());
    }
    let replaced: BTreeSet<String> = match &deployed {
        Some(deployed) => {
            let mut changes = ecs_alb::diff::diff(deployed, &template);
            if !changes.provider_renames.is_empty() {
                for rename in &changes.provider_renames {
                    eprintln!(
                        "{stack_name}: keeping capacity provider {}'s deployed name: a new one would replace it, and ECS takes one provider per Auto Scaling group",
                        rename.provider
                    );
                }
                ecs_alb::diff::keep_deployed_names(&mut template, &changes.provider_renames);
                // Compared again with the names kept: the provider is no longer replaced.
                changes = ecs_alb::diff::diff(deployed, &template);
            }
            refuse_priority_conflicts(&stack_name, &changes.priority_conflicts)?;
            changes.resources.into_iter().filter(|r| r.replaces()).map(|r| r.id).collect()
        }
        None => BTreeSet::new(),
    };
    let body = serde_json::to_string(&template)?;
    let source = if body.len() > MAX_INLINE_BODY_BYTES {
        // CloudFormation reads larger templates only from S3.
        let (key, size) = (assets::content_key("templates", body.as_bytes(), "json"), body.len());
        let s3 = bucket.s3.clone();
        let asset = assets::upload_bytes(&s3, bucket.get().await?, key, body.into_bytes()).await?;
        eprintln!(
            "template ({size} bytes, more than CloudFormation takes inline): s3://{}/{}",
            asset.bucket, asset.key
        );
        TemplateSource::Url(assets::object_url(&asset, &region(&aws)?))
    } else {
        TemplateSource::Body(body)
    };
    let (change_set, summary) = match stack::prepare(&cf, &stack_name, &source, parameters, update, &replaced).await? {
        Prepared::NoChanges => {
            println!("{stack_name}: no changes");
            return Ok(ExitCode::SUCCESS);
        }
        Prepared::Ready { name, summary } => (name, summary),
    };
    println!("{stack_name}: change set {change_set}\n{summary}");
    if args.no_execute {
        println!("not executed (--no-execute)");
        return Ok(ExitCode::SUCCESS);
    }
    if !args.yes && !confirm(&format!("Deploy these changes to {stack_name}?"))? {
        println!("not executed");
        return Ok(ExitCode::SUCCESS);
    }
    let since = events::last_event_id(&cf, &stack_name).await?;
    stack::execute(&cf, &stack_name, &change_set).await?;
    let resources = template["Resources"].as_object().map_or(0, |r| r.len() as u64);
    // A rollback, or an update's cleanup, that deletes a group of protected instances would
    // wait for them for ever (managed draining): lift the protection as each deletion starts.
    let autoscaling = aws_sdk_autoscaling::Client::new(&aws);
    let mut lifting = protection::Lifting::new(autoscaling.clone(), "the operation");
    // With an instance refresh policy the group's update lasts the whole refresh: tell its progress.
    let mut refreshes = uses_instance_refresh(&template).then(|| refresh::RefreshWatch::new(autoscaling));
    // A blue/green, canary or linear release lasts the service's whole update: tell its stages.
    let ecs = aws_sdk_ecs::Client::new(&aws);
    let mut releases = releases_a_service(&template).then(|| release::ReleaseWatch::new(ecs));
    let groups =
        events::Groups { lifting: Some(&mut lifting), refreshes: refreshes.as_mut(), releases: releases.as_mut() };
    let finished = events::follow(&cf, &stack_name, since, resources, groups).await?;
    let status = events::check(finished, "the deployment")?;
    println!("{stack_name}: {status}");
    for (key, value) in stack::outputs(&cf, &stack_name).await? {
        println!("  {key} = {value}");
    }
    Ok(ExitCode::SUCCESS)
}

/// Whether an ECS service of `template` deploys by a blue/green, canary or linear release.
fn releases_a_service(template: &Value) -> bool {
    template["Resources"].as_object().is_some_and(|resources| {
        resources.values().any(|r| {
            let strategy = &r["Properties"]["DeploymentConfiguration"]["Strategy"];
            r["Type"] == ecs_alb::resources::schema::ECS_SERVICE_TYPE && strategy.is_string() && strategy != "ROLLING"
        })
    })
}

/// Whether an Auto Scaling group of `template` updates its instances by an instance refresh.
fn uses_instance_refresh(template: &Value) -> bool {
    template["Resources"].as_object().is_some_and(|resources| {
        resources.values().any(|r| r["UpdatePolicy"].get("AutoScalingInstanceRefresh").is_some())
    })
}

/// Stops before any change set when the update would put a listener rule on a priority another
/// rule holds: CloudFormation would fail it midway and roll it back.
fn refuse_priority_conflicts(stack_name: &str, conflicts: &[ecs_alb::diff::PriorityConflict]) -> Result<()> {
    if conflicts.is_empty() {
        return Ok(());
    }
    let lines: Vec<String> = conflicts.iter().map(|c| format!("  {}", c.describe())).collect();
    bail!(
        "{stack_name}: this update cannot be deployed as it is:\n{}\ngive the moved services the priorities they hold now (routing.priority, as `ecs-alb ls` lists them), or deploy the removal first and the move in a second deploy",
        lines.join("\n")
    )
}

/// The values of the template's parameters (the drainer's code apart): those given on the
/// command line; else, for the image on an update, the deployed one, so that an infrastructure
/// change does not roll back what CI deployed; else the default. SSM-typed parameters are passed
/// with their default, which names the SSM parameter: AWS resolves it either way, and some
/// emulators need it spelled out on updates.
fn parameters(template: &Value, deployed: Option<&Value>, given: &[(String, String)]) -> Result<Vec<Parameter>> {
    let none = serde_json::Map::new();
    let declared = template["Parameters"].as_object().unwrap_or(&none);
    // The drainer's code is deploy's own to set.
    let settable: Vec<&str> = declared
        .keys()
        .map(String::as_str)
        .filter(|k| ![CODE_BUCKET_PARAMETER, CODE_KEY_PARAMETER].contains(k))
        .collect();
    for (key, _) in given {
        if !settable.contains(&key.as_str()) {
            bail!("--parameter {key}: the template has no such parameter to set (it has: {})", settable.join(", "));
        }
    }
    let mut out = Vec::new();
    for (name, parameter) in declared {
        let builder = Parameter::builder().parameter_key(name);
        let deployed_has_it = deployed.is_some_and(|d| d["Parameters"].get(name).is_some());
        if let Some((_, value)) = given.iter().rev().find(|(key, _)| key == name) {
            out.push(builder.parameter_value(value).build());
        } else if is_image_parameter(name) && deployed_has_it {
            out.push(builder.use_previous_value(true).build());
        } else if let Some(default) = parameter["Default"].as_str() {
            out.push(builder.parameter_value(default).build());
        }
    }
    Ok(out)
}

/// The asset bucket: the one named on the command line, else `ecs-alb-assets-ACCOUNT-REGION`,
/// created when missing; either way one this account owns, which every S3 call checks. Resolved
/// on first use, so a deploy that uploads nothing asks nothing.
struct AssetBucket<'a> {
    aws: &'a aws_config::SdkConfig,
    s3: aws_sdk_s3::Client,
    explicit: Option<String>,
    resolved: Option<assets::Bucket>,
}

impl<'a> AssetBucket<'a> {
    fn new(aws: &'a aws_config::SdkConfig, explicit: Option<String>) -> Self {
        AssetBucket { aws, s3: aws_sdk_s3::Client::new(aws), explicit, resolved: None }
    }

    async fn get(&mut self) -> Result<&assets::Bucket> {
        if self.resolved.is_none() {
            let region = region(self.aws)?;
            let sts = aws_sdk_sts::Client::new(self.aws);
            let identity =
                sts.get_caller_identity().send().await.map_err(sdk).context("cannot tell which AWS account this is")?;
            let owner = identity.account().unwrap_or_default().to_owned();
            // The one named is used as it is; the default one is made when missing.
            let (name, create_in) = match &self.explicit {
                Some(name) => (name.clone(), None),
                None => (assets::default_bucket(&owner, &region), Some(region.as_str())),
            };
            let bucket = assets::Bucket { name, owner };
            if assets::ensure_bucket(&self.s3, &bucket, create_in).await? {
                eprintln!("created asset bucket {} (versioned, encrypted, public access blocked)", bucket.name);
            }
            self.resolved = Some(bucket);
        }
        Ok(self.resolved.as_ref().expect("resolved above"))
    }
}

fn region(aws: &aws_config::SdkConfig) -> Result<String> {
    aws.region().map(|r| r.to_string()).context("no AWS region: set AWS_REGION or a profile's region")
}

pub async fn diff(config_path: Option<&Path>, args: DiffArgs) -> Result<ExitCode> {
    let (template, default_name) = synthesize(config_path, false)?;
    let deployed = match &args.against {
        Some(file) => ecs_alb::diff::read_template(file)?,
        None => {
            let stack_name = args.stack_name.unwrap_or(default_name);
            let cf = aws_sdk_cloudformation::Client::new(&aws().await);
            stack::deployed_template(&cf, &stack_name).await?
        }
    };
    let changes = ecs_alb::diff::diff(&deployed, &template);
    let (text, code) = ecs_alb::verbs::render_diff(&changes, args.format, args.fail_on)?;
    print!("{text}");
    Ok(code)
}

pub async fn destroy(config_path: Option<&Path>, args: DestroyArgs) -> Result<ExitCode> {
    let stack_name = match args.stack_name {
        Some(name) => name,
        None => config::resolve(config_path)?.0.stack_name.clone(),
    };
    let aws = aws().await;
    let cf = aws_sdk_cloudformation::Client::new(&aws);
    if stack::status(&cf, &stack_name).await?.is_none() {
        bail!("there is no stack {stack_name}");
    }
    if !args.yes && !confirm(&format!("Delete stack {stack_name} and everything in it?"))? {
        println!("not deleted");
        return Ok(ExitCode::SUCCESS);
    }
    let status = delete_stack(&aws, &cf, &stack_name).await?;
    println!("{stack_name}: {status}");
    Ok(ExitCode::SUCCESS)
}

/// Deletes the stack and follows the deletion to its end, lifting scale-in protection from its
/// groups first and while it runs (ECS protects instances anew while its capacity provider
/// lives); the final status.
async fn delete_stack(
    aws: &aws_config::SdkConfig,
    cf: &aws_sdk_cloudformation::Client,
    stack_name: &str,
) -> Result<String> {
    let mut lifting = protection::Lifting::new(aws_sdk_autoscaling::Client::new(aws), "the deletion");
    for group in protection::groups_of(cf, stack_name).await? {
        lifting.add(&group).await?;
    }
    let since = events::last_event_id(cf, stack_name).await?;
    cf.delete_stack().stack_name(stack_name).send().await.map_err(sdk).context("cannot delete the stack")?;
    let groups = events::Groups { lifting: Some(&mut lifting), refreshes: None, releases: None };
    let finished = events::follow(cf, stack_name, since, 0, groups).await?;
    events::check(finished, "the deletion")
}

/// Asks at a terminal; without one, refuses (a script must say --yes).
fn confirm(question: &str) -> Result<bool> {
    if !std::io::stdin().is_terminal() {
        bail!("not asking without a terminal: pass --yes to go ahead");
    }
    eprint!("{question} [y/N] ");
    std::io::stderr().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "Yes"))
}

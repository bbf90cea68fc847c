//! CloudFormation: the stack's state, change sets and their summary, the deployed template.

use std::collections::BTreeSet;
use std::fmt::Write;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use aws_sdk_cloudformation::Client;
use aws_sdk_cloudformation::error::ProvideErrorMetadata;
use aws_sdk_cloudformation::types::{Capability, ChangeSetStatus, ChangeSetType, Parameter, TemplateStage};
use serde_json::Value;

use crate::sdk;

const POLL: Duration = Duration::from_secs(1);

/// The stack's status, or `None` when there is no such stack (or only a never-executed change set).
pub async fn status(cf: &Client, stack: &str) -> Result<Option<String>> {
    match cf.describe_stacks().stack_name(stack).send().await {
        Ok(out) => {
            let status = out.stacks().first().and_then(|s| s.stack_status()).map(|s| s.as_str().to_owned());
            Ok(status.filter(|s| s != "REVIEW_IN_PROGRESS" && s != "DELETE_COMPLETE"))
        }
        Err(e) if e.message().is_some_and(|m| m.contains("does not exist")) => Ok(None),
        Err(e) => Err(sdk(e)).with_context(|| format!("cannot describe stack {stack}")),
    }
}

/// How the template reaches CloudFormation: inline, or from S3 when it is too large for that.
pub enum TemplateSource {
    Body(String),
    Url(String),
}

pub enum Prepared {
    Ready { name: String, summary: String },
    NoChanges,
}

/// Creates a change set for `template` and waits until CloudFormation has worked it out.
/// `replaced` names resources ecs-alb's own table says the change replaces, marked as such even
/// where CloudFormation (or an emulator) reports no replacement.
pub async fn prepare(
    cf: &Client,
    stack: &str,
    template: &TemplateSource,
    parameters: Vec<Parameter>,
    update: bool,
    replaced: &BTreeSet<String>,
) -> Result<Prepared> {
    let name = format!("ecs-alb-{}", std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_secs());
    let request = cf.create_change_set().stack_name(stack).change_set_name(&name).change_set_type(if update {
        ChangeSetType::Update
    } else {
        ChangeSetType::Create
    });
    let request = match template {
        TemplateSource::Body(body) => request.template_body(body),
        TemplateSource::Url(url) => request.template_url(url),
    };
    request
        .set_parameters(Some(parameters))
        .capabilities(Capability::CapabilityIam)
        .send()
        .await
        .map_err(sdk)
        .context("cannot create the change set")?;
    loop {
        let out = cf.describe_change_set().stack_name(stack).change_set_name(&name).send().await.map_err(sdk)?;
        match out.status() {
            Some(ChangeSetStatus::CreateComplete) => {
                if out.changes().is_empty() {
                    return Ok(Prepared::NoChanges);
                }
                return Ok(Prepared::Ready { summary: summarize(&out, replaced), name });
            }
            Some(ChangeSetStatus::Failed) => {
                let reason = out.status_reason().unwrap_or_default();
                if reason.contains("didn't contain changes") || reason.contains("No updates are to be performed") {
                    let _ = cf.delete_change_set().stack_name(stack).change_set_name(&name).send().await;
                    return Ok(Prepared::NoChanges);
                }
                bail!("the change set failed: {reason}");
            }
            _ => tokio::time::sleep(POLL).await,
        }
    }
}

/// One line per resource: the action, whether it replaces, the logical ID and the type.
fn summarize(
    out: &aws_sdk_cloudformation::operation::describe_change_set::DescribeChangeSetOutput,
    replaced: &BTreeSet<String>,
) -> String {
    let mut text = String::new();
    let (mut added, mut modified, mut replacing, mut removed) = (0, 0, 0, 0);
    for change in out.changes() {
        let Some(rc) = change.resource_change() else { continue };
        let action = rc.action().map(|a| a.as_str()).unwrap_or("?");
        let ours = rc.logical_resource_id().is_some_and(|id| replaced.contains(id));
        let replacement = if ours { "True" } else { rc.replacement().map(|r| r.as_str()).unwrap_or("False") };
        let mark = match (action, replacement) {
            ("Add", _) => {
                added += 1;
                "[+] add    "
            }
            ("Remove", _) => {
                removed += 1;
                "[-] remove "
            }
            (_, "True") => {
                replacing += 1;
                "[!] replace"
            }
            (_, "Conditional") => {
                modified += 1;
                "[~] modify (may replace)"
            }
            _ => {
                modified += 1;
                "[~] modify "
            }
        };
        let _ = writeln!(
            text,
            "{mark} {} {}",
            rc.logical_resource_id().unwrap_or_default(),
            rc.resource_type().unwrap_or_default()
        );
    }
    let _ = writeln!(text, "{added} to add, {modified} to modify, {replacing} to replace, {removed} to remove");
    text
}

pub async fn execute(cf: &Client, stack: &str, change_set: &str) -> Result<()> {
    cf.execute_change_set()
        .stack_name(stack)
        .change_set_name(change_set)
        .send()
        .await
        .map_err(sdk)
        .context("cannot execute the change set")?;
    Ok(())
}

/// The template the stack was deployed with.
pub async fn deployed_template(cf: &Client, stack: &str) -> Result<Value> {
    let out = cf
        .get_template()
        .stack_name(stack)
        .template_stage(TemplateStage::Original)
        .send()
        .await
        .map_err(sdk)
        .with_context(|| format!("cannot read the template of stack {stack}"))?;
    let body = out.template_body().unwrap_or_default();
    ecs_alb::diff::parse_template(body).with_context(|| format!("the template of stack {stack} cannot be read"))
}

pub async fn outputs(cf: &Client, stack: &str) -> Result<Vec<(String, String)>> {
    let out = cf.describe_stacks().stack_name(stack).send().await.map_err(sdk)?;
    Ok(out
        .stacks()
        .first()
        .map(|s| {
            s.outputs()
                .iter()
                .map(|o| {
                    (o.output_key().unwrap_or_default().to_owned(), o.output_value().unwrap_or_default().to_owned())
                })
                .collect()
        })
        .unwrap_or_default())
}

//! CloudFormation: the stack's state, change sets and their summary, the deployed template.

use std::collections::BTreeSet;
use std::fmt::Write;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use aws_sdk_cloudformation::Client;
use aws_sdk_cloudformation::error::ProvideErrorMetadata;
use aws_sdk_cloudformation::types::{
    Capability, Change, ChangeSetStatus, ChangeSetType, Parameter, StackStatus, TemplateStage,
};
use serde_json::Value;

use crate::sdk;

const POLL: Duration = Duration::from_secs(1);
/// The stack's status, or `None` when there is no such stack (or only a never-executed change set).
pub async fn status(cf: &Client, stack: &str) -> Result<Option<StackStatus>> {
    match cf.describe_stacks().stack_name(stack).send().await {
        Ok(out) => {
            let status = out.stacks().first().and_then(|s| s.stack_status()).cloned();
            Ok(status.filter(|s| !matches!(s, StackStatus::ReviewInProgress | StackStatus::DeleteComplete)))
        }
        Err(e) if is_missing_stack(&e) => Ok(None),
        Err(e) => Err(sdk(e)).with_context(|| format!("cannot describe stack {stack}")),
    }
}

/// CloudFormation's answer about a stack that does not exist: a ValidationError whose message
/// says so (it has no code of its own).
pub fn is_missing_stack(error: &impl ProvideErrorMetadata) -> bool {
    error.code() == Some("ValidationError") && error.message().is_some_and(|m| m.contains("does not exist"))
}

/// Whether an operation on the stack is still going on.
pub fn in_progress(status: &StackStatus) -> bool {
    status.as_str().ends_with("_IN_PROGRESS")
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
    let started = std::time::Instant::now();
    loop {
        let out = cf.describe_change_set().stack_name(stack).change_set_name(&name).send().await.map_err(sdk)?;
        let status = out.status().cloned();
        match verdict(status.as_ref(), out.status_reason().unwrap_or_default()) {
            Verdict::Ready => {
                let changes = all_changes(cf, stack, &name, out).await?;
                return Ok(Prepared::Ready { summary: summarize(&changes, replaced), name });
            }
            Verdict::NoChanges => {
                let _ = cf.delete_change_set().stack_name(stack).change_set_name(&name).send().await;
                return Ok(Prepared::NoChanges);
            }
            Verdict::Failed(reason) => bail!("the change set failed: {reason}"),
            Verdict::Pending if started.elapsed() >= CHANGE_SET_LIMIT => bail!(
                "change set {name} is still {} after {}; look at it with `aws cloudformation describe-change-set --stack-name {stack} --change-set-name {name}`",
                status.as_ref().map_or("pending", |s| s.as_str()),
                crate::events::in_words(CHANGE_SET_LIMIT)
            ),
            Verdict::Pending => tokio::time::sleep(POLL).await,
        }
    }
}

/// CloudFormation works a change set out in seconds, a minute for a large stack.
const CHANGE_SET_LIMIT: Duration = Duration::from_secs(10 * 60);

#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    Ready,
    NoChanges,
    Failed(String),
    Pending,
}

/// What a change set's status means for a deploy. Only a change set that failed because it
/// changes nothing is "no changes": a complete one is executed even when it lists no resource
/// change, since it may change outputs, parameters or tags ("Updating stacks using change sets",
/// CloudFormation User Guide).
fn verdict(status: Option<&ChangeSetStatus>, reason: &str) -> Verdict {
    match status {
        Some(ChangeSetStatus::CreateComplete) => Verdict::Ready,
        Some(ChangeSetStatus::Failed)
            if reason.contains("didn't contain changes") || reason.contains("No updates are to be performed") =>
        {
            Verdict::NoChanges
        }
        Some(ChangeSetStatus::Failed) => Verdict::Failed(reason.to_owned()),
        _ => Verdict::Pending,
    }
}

/// Every change of the change set: DescribeChangeSet answers 100 at a time.
async fn all_changes(
    cf: &Client,
    stack: &str,
    name: &str,
    first: aws_sdk_cloudformation::operation::describe_change_set::DescribeChangeSetOutput,
) -> Result<Vec<Change>> {
    let mut changes = first.changes().to_vec();
    let mut next = first.next_token().map(str::to_owned);
    while let Some(token) = next {
        let page = cf
            .describe_change_set()
            .stack_name(stack)
            .change_set_name(name)
            .next_token(token)
            .send()
            .await
            .map_err(sdk)?;
        changes.extend(page.changes().iter().cloned());
        next = page.next_token().map(str::to_owned);
    }
    Ok(changes)
}

/// One line per resource: the action, whether it replaces, the logical ID and the type.
fn summarize(changes: &[Change], replaced: &BTreeSet<String>) -> String {
    let mut text = String::new();
    let (mut added, mut modified, mut replacing, mut removed) = (0, 0, 0, 0);
    for change in changes {
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

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_cloudformation::types::{ChangeAction, ResourceChange};

    #[test]
    fn only_a_change_set_that_changes_nothing_is_skipped() {
        use Verdict::*;
        let complete = Some(&ChangeSetStatus::CreateComplete);
        let failed = Some(&ChangeSetStatus::Failed);
        // Outputs only: complete, with no resource change, and executed all the same.
        assert_eq!(verdict(complete, ""), Ready);
        assert_eq!(
            verdict(
                failed,
                "The submitted information didn't contain changes. Submit different information to create a change set."
            ),
            NoChanges
        );
        assert_eq!(verdict(failed, "No updates are to be performed."), NoChanges);
        assert_eq!(verdict(failed, "Template format error"), Failed("Template format error".into()));
        assert_eq!(verdict(Some(&ChangeSetStatus::CreateInProgress), ""), Pending);
    }

    #[test]
    fn the_summary_counts_every_change() {
        let changes: Vec<Change> = (0..150)
            .map(|i| {
                Change::builder()
                    .resource_change(
                        ResourceChange::builder()
                            .action(ChangeAction::Add)
                            .logical_resource_id(format!("R{i}"))
                            .resource_type("AWS::SQS::Queue")
                            .build(),
                    )
                    .build()
            })
            .collect();
        let summary = summarize(&changes, &BTreeSet::new());
        assert!(summary.ends_with("150 to add, 0 to modify, 0 to replace, 0 to remove\n"), "{summary}");
    }
}

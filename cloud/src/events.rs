//! Following a stack operation: its events as they happen, a progress bar at a terminal, and the
//! first failure's reason when it goes wrong.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use aws_sdk_cloudformation::Client;
use aws_sdk_cloudformation::types::{StackEvent, StackStatus};
use indicatif::{ProgressBar, ProgressStyle};

use crate::protection::Lifting;
use crate::refresh::RefreshWatch;
use crate::release::ReleaseWatch;
use crate::sdk;
use ecs_alb::resources::schema::{
    AUTO_SCALING_AUTO_SCALING_GROUP_TYPE as GROUP_TYPE, ECS_SERVICE_TYPE as SERVICE_TYPE,
};

const POLL: Duration = Duration::from_secs(2);
/// How long `follow` watches before it hands the operation back to CloudFormation's console: a
/// rolling update waits for each instance's drain (up to 48 hours with the longest drain time),
/// but a person at a terminal should not wait on a hung operation for ever.
pub const FOLLOW_LIMIT: Duration = Duration::from_secs(6 * 3600);

/// The newest event of the stack before an operation starts: the operation's events are those
/// after it. (The local clock is not used: a skewed one would hide the operation's first events,
/// perhaps its failure, or show the previous operation's.)
pub async fn last_event_id(cf: &Client, stack: &str) -> Result<Option<String>> {
    match cf.describe_stack_events().stack_name(stack).send().await {
        Ok(page) => Ok(page.stack_events().first().and_then(|e| e.event_id()).map(str::to_owned)),
        Err(e) if crate::stack::is_missing_stack(&e) => Ok(None),
        Err(e) => Err(sdk(e)),
    }
}

/// The events of one page, newest first as the API gives them, that are newer than `marker` and
/// not `seen` yet; and whether the page reached the marker (so older pages need not be read).
fn newer_than<'a>(page: &'a [StackEvent], marker: Option<&str>, seen: &HashSet<String>) -> (Vec<&'a StackEvent>, bool) {
    let mut fresh = Vec::new();
    for event in page {
        let id = event.event_id().unwrap_or_default();
        if Some(id) == marker {
            return (fresh, true);
        }
        if !seen.contains(id) {
            fresh.push(event);
        }
    }
    (fresh, false)
}

/// How a stack operation ended.
pub struct Finished {
    pub status: StackStatus,
    /// The first resource that failed, and why.
    pub first_failure: Option<String>,
}

impl Finished {
    pub fn succeeded(&self) -> bool {
        matches!(
            self.status,
            StackStatus::CreateComplete
                | StackStatus::UpdateComplete
                | StackStatus::DeleteComplete
                | StackStatus::ImportComplete
        )
    }
}

/// Prints the stack's events after the event `since` (`None`: all of them) until its status
/// settles, for at most `FOLLOW_LIMIT`; `resources` sizes the bar. What it does meanwhile about
/// the stack's Auto Scaling groups is `groups`'.
pub async fn follow(
    cf: &Client,
    stack: &str,
    since: Option<String>,
    resources: u64,
    groups: Groups<'_>,
) -> Result<Finished> {
    follow_for(cf, stack, since.as_deref(), resources, FOLLOW_LIMIT, groups).await
}

/// What following an operation does about the stack's Auto Scaling groups: lift the scale-in
/// protection of each one CloudFormation starts deleting (`protection`), and tell the progress of
/// the instance refresh of each one it starts updating (`refresh`).
#[derive(Default)]
pub struct Groups<'a> {
    pub lifting: Option<&'a mut Lifting>,
    pub refreshes: Option<&'a mut RefreshWatch>,
    /// The releases of the ECS services CloudFormation starts updating (blue/green, canary,
    /// linear), told as ECS runs them.
    pub releases: Option<&'a mut ReleaseWatch>,
}

async fn follow_for(
    cf: &Client,
    stack: &str,
    since: Option<&str>,
    resources: u64,
    limit: Duration,
    mut groups: Groups<'_>,
) -> Result<Finished> {
    let started = Instant::now();
    let bar = ProgressBar::new(resources);
    bar.set_style(
        ProgressStyle::with_template("{spinner} {pos}/{len} resources {wide_msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut seen: HashSet<String> = HashSet::new();
    let mut first_failure = None;
    loop {
        let mut new_events = Vec::new();
        let mut pages = cf.describe_stack_events().stack_name(stack).into_paginator().send();
        'pages: while let Some(page) = pages.next().await {
            let page = match page {
                Ok(page) => page,
                // A deleted stack can no longer be described: it is gone.
                Err(e) if crate::stack::is_missing_stack(&e) => {
                    bar.finish_and_clear();
                    return Ok(Finished { status: StackStatus::DeleteComplete, first_failure });
                }
                Err(e) => return Err(sdk(e)),
            };
            let (fresh, reached) = newer_than(page.stack_events(), since, &seen);
            for event in fresh {
                seen.insert(event.event_id().unwrap_or_default().to_owned());
                new_events.push(event.clone());
            }
            if reached {
                break 'pages;
            }
        }
        // Newest first from the API: print oldest first.
        for event in new_events.iter().rev() {
            let status = event.resource_status().map(|s| s.as_str()).unwrap_or_default();
            let logical = event.logical_resource_id().unwrap_or_default();
            let reason = event.resource_status_reason().unwrap_or_default();
            let line = format!("{status:<20} {logical} {} {reason}", event.resource_type().unwrap_or_default());
            if bar.is_hidden() {
                eprintln!("{}", line.trim_end())
            } else {
                bar.println(line.trim_end())
            }
            if status.ends_with("_FAILED") && first_failure.is_none() && !reason.contains("cancelled") {
                first_failure = Some(format!("{logical}: {reason}"));
            }
            if status.ends_with("_COMPLETE") && logical != stack {
                bar.inc(1);
            }
            let group =
                event.physical_resource_id().filter(|g| !g.is_empty() && event.resource_type() == Some(GROUP_TYPE));
            match (status, group) {
                ("DELETE_IN_PROGRESS", Some(group)) => {
                    if let Some(lifting) = groups.lifting.as_deref_mut() {
                        if let Err(err) = lifting.add(group).await {
                            eprintln!("warning: {err:#}");
                        }
                    }
                }
                ("UPDATE_IN_PROGRESS", Some(group)) => {
                    if let Some(refreshes) = groups.refreshes.as_deref_mut() {
                        refreshes.watch(group);
                    }
                }
                _ => {}
            }
            let service =
                event.physical_resource_id().filter(|s| !s.is_empty() && event.resource_type() == Some(SERVICE_TYPE));
            if let (Some(service), "UPDATE_IN_PROGRESS", Some(releases)) =
                (service, status, groups.releases.as_deref_mut())
            {
                releases.watch(service);
            }
        }
        if let Some(lifting) = groups.lifting.as_deref_mut() {
            lifting.tick().await;
        }
        if let Some(refreshes) = groups.refreshes.as_deref_mut() {
            for line in refreshes.tick().await {
                if bar.is_hidden() { eprintln!("{line}") } else { bar.println(line) }
            }
        }
        if let Some(releases) = groups.releases.as_deref_mut() {
            for line in releases.tick().await {
                if bar.is_hidden() { eprintln!("{line}") } else { bar.println(line) }
            }
        }
        let status = crate::stack::status(cf, stack).await?;
        let Some(status) = status else {
            bar.finish_and_clear();
            return Ok(Finished { status: StackStatus::DeleteComplete, first_failure });
        };
        bar.set_message(status.as_str().to_owned());
        if !crate::stack::in_progress(&status) {
            bar.finish_and_clear();
            return Ok(Finished { status, first_failure });
        }
        if started.elapsed() >= limit {
            bar.finish_and_clear();
            bail!(
                "stack {stack} is still {status} after {}; it goes on in CloudFormation: follow it with `aws cloudformation describe-stack-events --stack-name {stack}` or in the console",
                in_words(limit)
            );
        }
        tokio::time::sleep(POLL).await;
    }
}

/// `6 hours`, `10 minutes`, `3 seconds`.
pub fn in_words(duration: Duration) -> String {
    let seconds = duration.as_secs();
    match seconds {
        s if s >= 3600 && s % 3600 == 0 => format!("{} hours", s / 3600),
        s if s >= 60 && s % 60 == 0 => format!("{} minutes", s / 60),
        s => format!("{s} seconds"),
    }
}

/// Turns a failed operation into an error that names the first resource that failed.
pub fn check(finished: Finished, what: &str) -> Result<String> {
    if finished.succeeded() {
        return Ok(finished.status.as_str().to_owned());
    }
    match finished.first_failure {
        Some(failure) => bail!("{what} ended in {}; the first failure: {failure}", finished.status),
        None => bail!("{what} ended in {}", finished.status),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_cloudformation::primitives::DateTime;

    /// A stack that never settles (moto leaves a creation that failed this way in progress)
    /// ends the wait at the limit, with a message saying how to go on following it.
    #[tokio::test]
    async fn following_an_operation_that_never_ends_stops_at_the_limit() {
        let moto = testkit::moto::Moto::start();
        let dir = tempfile::tempdir().unwrap();
        let template = dir.path().join("stuck.json");
        let body = r#"{"Resources": {"S": {"Type": "AWS::EC2::Subnet", "Properties": {"VpcId": "vpc-00000000", "CidrBlock": "10.0.0.0/24"}}}}"#;
        std::fs::write(&template, body).unwrap();
        let created = std::process::Command::new(testkit::venv_tool("aws"))
            .args(["cloudformation", "create-stack", "--stack-name", "stuck", "--template-body"])
            .arg(format!("file://{}", template.display()))
            .args(["--endpoint-url", moto.endpoint(), "--region", "us-east-1"])
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .output()
            .unwrap();
        assert!(created.status.success() || String::from_utf8_lossy(&created.stderr).contains("InvalidVpcID"));
        let config = aws_sdk_cloudformation::Config::builder()
            .behavior_version(aws_sdk_cloudformation::config::BehaviorVersion::latest())
            .region(aws_sdk_cloudformation::config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_cloudformation::config::Credentials::new("t", "t", None, None, "test"))
            .endpoint_url(moto.endpoint())
            .build();
        let cf = Client::from_conf(config);
        let limit = Duration::from_secs(3);
        let started = Instant::now();
        let err = follow_for(&cf, "stuck", None, 0, limit, Groups::default()).await.err().expect("it does not settle");
        assert!(started.elapsed() < limit + POLL * 2, "{:?}", started.elapsed());
        let message = err.to_string();
        assert!(message.contains("stack stuck is still CREATE_IN_PROGRESS after 3 seconds"), "{message}");
        assert!(message.contains("aws cloudformation describe-stack-events --stack-name stuck"), "{message}");
    }

    /// A stand-in for CloudFormation whose stack `Shop` has one resource updating, told by one
    /// event (`logical`, `physical`, `resource_type`), and settles at the third look; every
    /// other call goes to `other`, which records what it is asked. Returns the server and the
    /// count of looks at the stack.
    fn one_resource_updating(
        logical: &'static str,
        physical: &'static str,
        resource_type: &'static str,
        other: impl Fn(&testkit::http::Request) -> testkit::http::Response + Send + Sync + 'static,
    ) -> (testkit::http::Server, std::sync::Arc<std::sync::Mutex<usize>>) {
        use std::sync::{Arc, Mutex};
        use testkit::http::{Server, query_success};
        let looks = Arc::new(Mutex::new(0usize));
        let looks_seen = looks.clone();
        let server = Server::start(move |request| {
            let body = request.body_text();
            let cf = "http://cloudformation.amazonaws.com/doc/2010-05-15/";
            if request.header("x-amz-target").is_none() && body.contains("Action=DescribeStackEvents") {
                query_success(
                    cf,
                    "DescribeStackEvents",
                    &format!(
                        "<StackEvents><member><EventId>e1</EventId><StackId>s</StackId><StackName>Shop</StackName><LogicalResourceId>{logical}</LogicalResourceId><PhysicalResourceId>{physical}</PhysicalResourceId><ResourceType>{resource_type}</ResourceType><ResourceStatus>UPDATE_IN_PROGRESS</ResourceStatus><Timestamp>2026-12-04T10:00:00Z</Timestamp></member></StackEvents>"
                    ),
                )
            } else if request.header("x-amz-target").is_none() && body.contains("Action=DescribeStacks") {
                let mut looks = looks_seen.lock().unwrap();
                *looks += 1;
                let status = if *looks < 3 { "UPDATE_IN_PROGRESS" } else { "UPDATE_COMPLETE" };
                query_success(
                    cf,
                    "DescribeStacks",
                    &format!(
                        "<Stacks><member><StackName>Shop</StackName><StackId>s</StackId><StackStatus>{status}</StackStatus><CreationTime>2026-12-04T09:00:00Z</CreationTime></member></Stacks>"
                    ),
                )
            } else {
                other(&request)
            }
        });
        (server, looks)
    }

    fn cloudformation(server: &testkit::http::Server) -> Client {
        Client::from_conf(
            aws_sdk_cloudformation::Config::builder()
                .behavior_version(aws_sdk_cloudformation::config::BehaviorVersion::latest())
                .region(aws_sdk_cloudformation::config::Region::new("us-east-1"))
                .credentials_provider(aws_sdk_cloudformation::config::Credentials::new("t", "t", None, None, "test"))
                .endpoint_url(server.url())
                .build(),
        )
    }

    /// A group's update in progress (with an instance refresh policy, the refresh itself): at each
    /// look while it runs, follow asks Auto Scaling about that group's refresh, and it stops
    /// asking when the stack settles. (A stand-in answers CloudFormation and Auto Scaling alike.)
    #[tokio::test]
    async fn an_updating_groups_refresh_is_watched_until_the_update_ends() {
        use std::sync::{Arc, Mutex};
        use testkit::http::query_success;
        let asked: Arc<Mutex<Vec<String>>> = Arc::default();
        let asked_seen = asked.clone();
        let (server, looks) = one_resource_updating(
            "Asg",
            "shop-asg",
            "AWS::AutoScaling::AutoScalingGroup",
            move |request| {
                asked_seen.lock().unwrap().push(request.body_text());
                query_success(
                    "http://autoscaling.amazonaws.com/doc/2011-01-01/",
                    "DescribeInstanceRefreshes",
                    "<InstanceRefreshes><member><InstanceRefreshId>r-1</InstanceRefreshId><AutoScalingGroupName>shop-asg</AutoScalingGroupName><Status>InProgress</Status><PercentageComplete>50</PercentageComplete></member></InstanceRefreshes>",
                )
            },
        );
        let autoscaling = aws_sdk_autoscaling::Client::from_conf(
            aws_sdk_autoscaling::Config::builder()
                .behavior_version(aws_sdk_autoscaling::config::BehaviorVersion::latest())
                .region(aws_sdk_autoscaling::config::Region::new("us-east-1"))
                .credentials_provider(aws_sdk_autoscaling::config::Credentials::new("t", "t", None, None, "test"))
                .endpoint_url(server.url())
                .build(),
        );
        let mut watch = RefreshWatch::new(autoscaling);
        let groups = Groups { lifting: None, refreshes: Some(&mut watch), releases: None };
        let finished =
            follow_for(&cloudformation(&server), "Shop", None, 0, Duration::from_secs(60), groups).await.unwrap();
        assert_eq!(finished.status, StackStatus::UpdateComplete);
        let asked = asked.lock().unwrap();
        assert!(!asked.is_empty(), "the refresh was asked about");
        assert!(
            asked.iter().all(|body| body.contains("Action=DescribeInstanceRefreshes")
                && body.contains("AutoScalingGroupName=shop-asg")),
            "{asked:?}"
        );
        assert!(asked.len() <= *looks.lock().unwrap(), "once a look at most");
    }

    /// A service's update in progress (with a blue/green, canary or linear release, the release
    /// itself): follow asks ECS about that service's deployments, in its own cluster, until the
    /// stack settles. (A stand-in answers CloudFormation and ECS alike.)
    #[tokio::test]
    async fn an_updating_services_release_is_watched_until_the_update_ends() {
        use std::sync::{Arc, Mutex};
        use testkit::http::Response;
        const SERVICE: &str = "arn:aws:ecs:us-east-1:123456789012:service/shop-cluster/shop-web";
        let asked: Arc<Mutex<Vec<String>>> = Arc::default();
        let asked_seen = asked.clone();
        let (server, looks) = one_resource_updating("Web", SERVICE, "AWS::ECS::Service", move |request| {
            let target = request.header("x-amz-target").unwrap_or_default();
            asked_seen.lock().unwrap().push(format!("{target} {}", request.body_text()));
            Response::new(200, "application/x-amz-json-1.1", "{\"serviceDeployments\": []}")
        });
        let ecs = aws_sdk_ecs::Client::from_conf(
            aws_sdk_ecs::Config::builder()
                .behavior_version(aws_sdk_ecs::config::BehaviorVersion::latest())
                .region(aws_sdk_ecs::config::Region::new("us-east-1"))
                .credentials_provider(aws_sdk_ecs::config::Credentials::new("t", "t", None, None, "test"))
                .endpoint_url(server.url())
                .build(),
        );
        let mut watch = ReleaseWatch::new(ecs);
        let groups = Groups { lifting: None, refreshes: None, releases: Some(&mut watch) };
        let finished =
            follow_for(&cloudformation(&server), "Shop", None, 0, Duration::from_secs(60), groups).await.unwrap();
        assert_eq!(finished.status, StackStatus::UpdateComplete);
        let asked = asked.lock().unwrap();
        assert!(!asked.is_empty(), "the release was asked about");
        for call in asked.iter() {
            assert!(call.starts_with("AmazonEC2ContainerServiceV20141113.ListServiceDeployments "), "{call}");
            assert!(call.contains("\"cluster\":\"shop-cluster\"") && call.contains(SERVICE), "{call}");
        }
        assert!(asked.len() <= *looks.lock().unwrap(), "once a look at most");
    }

    fn event(id: &str, seconds: i64) -> StackEvent {
        StackEvent::builder().event_id(id).timestamp(DateTime::from_secs(seconds)).build()
    }

    /// Events are told apart by the marker, not by time: an operation whose events carry times
    /// before the local clock's (a skewed clock) still shows them all, and none of the last one's.
    #[test]
    fn the_operations_events_are_those_after_the_marker_whatever_their_time() {
        let page = [event("c", 10), event("b", 5), event("a-last-of-previous", 1_000_000), event("older", 0)];
        let (fresh, reached) = newer_than(&page, Some("a-last-of-previous"), &HashSet::new());
        let ids: Vec<_> = fresh.iter().map(|e| e.event_id().unwrap()).collect();
        assert_eq!((ids, reached), (vec!["c", "b"], true));

        let seen = HashSet::from(["c".to_owned()]);
        let (fresh, reached) = newer_than(&page[..2], Some("a-last-of-previous"), &seen);
        assert_eq!((fresh.len(), reached), (1, false), "seen ones are not repeated; the marker is on a later page");

        let (fresh, _) = newer_than(&page, None, &HashSet::new());
        assert_eq!(fresh.len(), 4, "a new stack: every event is the operation's");
    }
}

//! A blue/green, canary or linear release while `deploy` follows the stack: CloudFormation
//! updates an ECS service and waits while ECS runs the release (test traffic, each traffic step,
//! the bake time), and its stack events say nothing meanwhile. So each such service whose update
//! begins is watched through ECS's service deployments (`ListServiceDeployments`,
//! `DescribeServiceDeployments`), and its newest deployment is told whenever its stage, traffic
//! or status changes: on a rollback, with the alarm that went off.

use std::time::{Duration, Instant, SystemTime};

use aws_sdk_ecs::Client;
use aws_sdk_ecs::types::ServiceDeployment;

use crate::sdk;
use ecs_alb::diff::percent_text;

/// A deployment created this long before the service's update began still counts: the clocks
/// of this machine and AWS's differ.
const CLOCK_SLACK: Duration = Duration::from_secs(120);

pub struct ReleaseWatch {
    ecs: Client,
    services: Vec<Watched>,
}

struct Watched {
    /// The service's ARN (the stack's physical ID of it).
    arn: String,
    /// When its update began, less the slack: older deployments are not this update's.
    since: SystemTime,
    /// What was told last.
    told: Option<String>,
    /// When the bake time was first seen, to count down from.
    baking_since: Option<Instant>,
}

impl ReleaseWatch {
    pub fn new(ecs: Client) -> Self {
        ReleaseWatch { ecs, services: Vec::new() }
    }

    /// Watches the service `arn` from now on: CloudFormation has begun updating it.
    pub fn watch(&mut self, arn: &str) {
        if !self.services.iter().any(|s| s.arn == arn) {
            let since = SystemTime::now().checked_sub(CLOCK_SLACK).unwrap_or(SystemTime::UNIX_EPOCH);
            self.services.push(Watched { arn: arn.to_owned(), since, told: None, baking_since: None });
        }
    }

    /// The newest deployment of each watched service, a line each whose stage, traffic or
    /// status changed since the last look. A failed look is a line too: following the stack
    /// goes on.
    pub async fn tick(&mut self) -> Vec<String> {
        let mut lines = Vec::new();
        for watched in &mut self.services {
            let line = match newest_deployment(&self.ecs, watched).await {
                Ok(Some(deployment)) => {
                    let baking = deployment.lifecycle_stage().is_some_and(|s| s.as_str() == "BAKE_TIME");
                    match (baking, watched.baking_since) {
                        (true, None) => watched.baking_since = Some(Instant::now()),
                        (false, _) => watched.baking_since = None,
                        _ => {}
                    }
                    progress(&service_name(&watched.arn), &deployment, watched.baking_since.map(|t| t.elapsed()))
                }
                Ok(None) => continue,
                Err(err) => format!("release of {}: cannot tell its progress ({err:#})", service_name(&watched.arn)),
            };
            if watched.told.as_ref() != Some(&line) {
                watched.told = Some(line.clone());
                lines.push(line);
            }
        }
        lines
    }
}

/// The service's newest deployment since its update began, described.
async fn newest_deployment(ecs: &Client, watched: &Watched) -> anyhow::Result<Option<ServiceDeployment>> {
    let listed = ecs
        .list_service_deployments()
        .cluster(cluster_of(&watched.arn))
        .service(&watched.arn)
        .send()
        .await
        .map_err(sdk)?;
    let since = epoch_seconds(watched.since);
    let newest = listed
        .service_deployments()
        .iter()
        .filter(|d| d.created_at().is_some_and(|t| t.secs() >= since))
        .max_by_key(|d| d.created_at().map(|t| t.secs()));
    let Some(arn) = newest.and_then(|d| d.service_deployment_arn()) else { return Ok(None) };
    let described = ecs.describe_service_deployments().service_deployment_arns(arn).send().await.map_err(sdk)?;
    Ok(described.service_deployments().first().cloned())
}

fn epoch_seconds(time: SystemTime) -> i64 {
    time.duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

/// `release of web: IN_PROGRESS, PRODUCTION_TRAFFIC_SHIFT, production traffic 10% to the new
/// revision (test 100%), 2/2 tasks running`, and on a rollback the alarms that went off.
fn progress(service: &str, deployment: &ServiceDeployment, baking_for: Option<Duration>) -> String {
    let status = deployment.status().map_or("UNKNOWN", |s| s.as_str());
    let mut line = format!("release of {service}: {status}");
    if let Some(stage) = deployment.lifecycle_stage() {
        line.push_str(&format!(", {}", stage.as_str()));
    }
    if let Some(target) = deployment.target_service_revision() {
        if let Some(production) = target.requested_production_traffic_weight() {
            line.push_str(&format!(", production traffic {}% to the new revision", percent_text(production)));
            if let Some(test) = target.requested_test_traffic_weight() {
                line.push_str(&format!(" (test {}%)", percent_text(test)));
            }
        }
        line.push_str(&format!(", {}/{} tasks running", target.running_task_count(), target.requested_task_count()));
    }
    let bake = deployment.deployment_configuration().and_then(|c| c.bake_time_in_minutes());
    if let (Some(bake), Some(baking_for)) = (bake, baking_for) {
        let left = (i64::from(bake) - (baking_for.as_secs() / 60) as i64).max(0);
        line.push_str(&format!(", bake time {bake} min ({left} min left)"));
    }
    let triggered = deployment.alarms().map(|a| a.triggered_alarm_names()).unwrap_or_default();
    if !triggered.is_empty() {
        line.push_str(&format!(": alarm {} went off", triggered.join(", ")));
    }
    if let Some(reason) = deployment.rollback().and_then(|r| r.reason()).filter(|r| !r.is_empty()) {
        line.push_str(&format!(": rolling back ({reason})"));
    } else if let Some(reason) = deployment.status_reason().filter(|r| !r.is_empty()) {
        line.push_str(&format!(": {reason}"));
    }
    line
}

/// `arn:aws:ecs:REGION:ACCOUNT:service/CLUSTER/NAME` -> `CLUSTER` (the service's own cluster,
/// which `ListServiceDeployments` needs unless it is the default one).
fn cluster_of(arn: &str) -> String {
    let mut parts = arn.rsplit('/');
    let _name = parts.next();
    parts.next().filter(|c| !c.contains(':')).unwrap_or("default").to_owned()
}

fn service_name(arn: &str) -> String {
    arn.rsplit('/').next().unwrap_or(arn).to_owned()
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;
    use testkit::http::{Response, Server};

    const SERVICE: &str = "arn:aws:ecs:us-east-1:123456789012:service/shop-cluster/shop-web";
    const DEPLOYMENT: &str = "arn:aws:ecs:us-east-1:123456789012:service-deployment/shop-cluster/shop-web/d1";

    /// One look at a deployment: status, stage, production and test weights, triggered alarms,
    /// rollback reason.
    type Step = (&'static str, &'static str, f64, f64, &'static [&'static str], &'static str);

    /// A stand-in for ECS's JSON API whose one service's deployment advances at each look, and
    /// which records the cluster and service it is asked about.
    fn releasing_service(steps: Vec<Step>, asked: Arc<Mutex<Vec<String>>>) -> Server {
        let looks = Arc::new(Mutex::new(0usize));
        Server::start(move |request| {
            let target = request.header("x-amz-target").unwrap_or_default().to_owned();
            let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap_or_default();
            let created = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs();
            let json = |value: serde_json::Value| {
                Response::new(200, "application/x-amz-json-1.1", serde_json::to_vec(&value).unwrap())
            };
            if target.ends_with("ListServiceDeployments") {
                asked.lock().unwrap().push(format!("{} {}", body["cluster"], body["service"]));
                return json(serde_json::json!({"serviceDeployments": [
                    // An old deployment, before the update: not this one's.
                    {"serviceDeploymentArn": "old", "createdAt": 1_000_000, "status": "SUCCESSFUL"},
                    {"serviceDeploymentArn": DEPLOYMENT, "createdAt": created, "status": "IN_PROGRESS"}
                ]}));
            }
            assert!(target.ends_with("DescribeServiceDeployments"), "{target}");
            assert_eq!(body["serviceDeploymentArns"], serde_json::json!([DEPLOYMENT]));
            let mut look = looks.lock().unwrap();
            let (status, stage, production, test, alarms, rollback) = steps[(*look).min(steps.len() - 1)];
            *look += 1;
            let mut deployment = serde_json::json!({
                "serviceDeploymentArn": DEPLOYMENT,
                "status": status,
                "lifecycleStage": stage,
                "targetServiceRevision": {
                    "arn": "rev-2", "requestedTaskCount": 2, "runningTaskCount": 2, "pendingTaskCount": 0,
                    "requestedProductionTrafficWeight": production, "requestedTestTrafficWeight": test
                },
                "deploymentConfiguration": {"bakeTimeInMinutes": 10},
                "alarms": {"status": "MONITORING", "alarmNames": ["web-5xx", "web-unhealthy"], "triggeredAlarmNames": alarms}
            });
            if !rollback.is_empty() {
                deployment["rollback"] = serde_json::json!({"reason": rollback, "serviceRevisionArn": "rev-1"});
            }
            json(serde_json::json!({"serviceDeployments": [deployment]}))
        })
    }

    fn client(server: &Server) -> Client {
        let config = aws_sdk_ecs::Config::builder()
            .behavior_version(aws_sdk_ecs::config::BehaviorVersion::latest())
            .region(aws_sdk_ecs::config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_ecs::config::Credentials::new("t", "t", None, None, "test"))
            .endpoint_url(server.url())
            .build();
        Client::from_conf(config)
    }

    /// A canary release told as it goes: the test traffic, the canary's share, the bake time;
    /// each change once; nothing asked before the service's update begins.
    #[tokio::test]
    async fn a_release_is_told_stage_by_stage() {
        let asked = Arc::new(Mutex::new(Vec::new()));
        let server = releasing_service(
            vec![
                ("IN_PROGRESS", "SCALE_UP", 0.0, 0.0, &[], ""),
                ("IN_PROGRESS", "SCALE_UP", 0.0, 0.0, &[], ""),
                ("IN_PROGRESS", "TEST_TRAFFIC_SHIFT", 0.0, 100.0, &[], ""),
                ("IN_PROGRESS", "PRODUCTION_TRAFFIC_SHIFT", 10.0, 100.0, &[], ""),
                ("IN_PROGRESS", "BAKE_TIME", 100.0, 100.0, &[], ""),
                ("SUCCESSFUL", "CLEAN_UP", 100.0, 100.0, &[], ""),
            ],
            asked.clone(),
        );
        let mut watch = ReleaseWatch::new(client(&server));
        assert!(watch.tick().await.is_empty(), "nothing watched yet");
        assert!(asked.lock().unwrap().is_empty());
        watch.watch(SERVICE);
        watch.watch(SERVICE);
        let mut told = Vec::new();
        for _ in 0..7 {
            told.extend(watch.tick().await);
        }
        assert_eq!(
            told,
            [
                "release of shop-web: IN_PROGRESS, SCALE_UP, production traffic 0% to the new revision (test 0%), 2/2 tasks running",
                "release of shop-web: IN_PROGRESS, TEST_TRAFFIC_SHIFT, production traffic 0% to the new revision (test 100%), 2/2 tasks running",
                "release of shop-web: IN_PROGRESS, PRODUCTION_TRAFFIC_SHIFT, production traffic 10% to the new revision (test 100%), 2/2 tasks running",
                "release of shop-web: IN_PROGRESS, BAKE_TIME, production traffic 100% to the new revision (test 100%), 2/2 tasks running, bake time 10 min (10 min left)",
                "release of shop-web: SUCCESSFUL, CLEAN_UP, production traffic 100% to the new revision (test 100%), 2/2 tasks running",
            ]
        );
        assert_eq!(asked.lock().unwrap()[0], format!("\"shop-cluster\" \"{SERVICE}\""));
    }

    /// A rollback says which alarm went off and why ECS rolls back.
    #[tokio::test]
    async fn a_rollback_names_the_alarm_that_went_off() {
        let server = releasing_service(
            vec![
                ("IN_PROGRESS", "PRODUCTION_TRAFFIC_SHIFT", 10.0, 100.0, &[], ""),
                (
                    "ROLLBACK_IN_PROGRESS",
                    "PRODUCTION_TRAFFIC_SHIFT",
                    0.0,
                    0.0,
                    &["web-5xx"],
                    "CloudWatch alarm web-5xx is in ALARM",
                ),
            ],
            Arc::default(),
        );
        let mut watch = ReleaseWatch::new(client(&server));
        watch.watch(SERVICE);
        watch.tick().await;
        assert_eq!(
            watch.tick().await,
            [
                "release of shop-web: ROLLBACK_IN_PROGRESS, PRODUCTION_TRAFFIC_SHIFT, production traffic 0% to the new revision (test 0%), 2/2 tasks running: alarm web-5xx went off: rolling back (CloudWatch alarm web-5xx is in ALARM)"
            ]
        );
    }

    /// ECS unreachable: the look says so, and following goes on.
    #[tokio::test]
    async fn a_failed_look_is_told_not_fatal() {
        let server = Server::start(|_| {
            Response::new(
                400,
                "application/x-amz-json-1.1",
                "{\"__type\":\"AccessDeniedException\",\"message\":\"no\"}",
            )
        });
        let mut watch = ReleaseWatch::new(client(&server));
        watch.watch(SERVICE);
        let told = watch.tick().await;
        assert_eq!(told.len(), 1);
        assert!(told[0].starts_with("release of shop-web: cannot tell its progress"), "{told:?}");
    }

    #[test]
    fn the_cluster_is_read_from_the_services_arn() {
        assert_eq!(cluster_of(SERVICE), "shop-cluster");
        assert_eq!(cluster_of("arn:aws:ecs:us-east-1:123456789012:service/old-style"), "default");
    }
}

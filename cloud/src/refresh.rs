//! An instance refresh's progress while `deploy` follows the stack: with
//! `capacity.update_policy: refresh`, CloudFormation starts a refresh when it updates the group,
//! and its stack events say nothing more until the refresh ends, which may take hours (each old
//! instance drained first, checkpoints, bake time). So each group whose update begins is watched
//! through `DescribeInstanceRefreshes`, and its newest refresh is told whenever its status or
//! progress changes.

use std::collections::HashMap;

use aws_sdk_autoscaling::Client;
use aws_sdk_autoscaling::types::InstanceRefresh;

use crate::sdk;

pub struct RefreshWatch {
    autoscaling: Client,
    groups: Vec<String>,
    /// What was told of each group's refresh last.
    told: HashMap<String, String>,
}

impl RefreshWatch {
    pub fn new(autoscaling: Client) -> Self {
        RefreshWatch { autoscaling, groups: Vec::new(), told: HashMap::new() }
    }

    /// Watches `group` from now on: CloudFormation has begun updating it.
    pub fn watch(&mut self, group: &str) {
        if !self.groups.iter().any(|g| g == group) {
            self.groups.push(group.to_owned());
        }
    }

    /// The newest refresh of each watched group, a line each whose status or progress changed
    /// since the last look. A failed look is a line too: following the stack goes on.
    pub async fn tick(&mut self) -> Vec<String> {
        let mut lines = Vec::new();
        for group in self.groups.clone() {
            let described = self
                .autoscaling
                .describe_instance_refreshes()
                .auto_scaling_group_name(&group)
                .max_records(1)
                .send()
                .await
                .map_err(sdk);
            let line = match described {
                Ok(out) => match out.instance_refreshes().first() {
                    Some(refresh) => progress(&group, refresh),
                    None => continue,
                },
                Err(err) => format!("instance refresh of {group}: cannot tell its progress ({err:#})"),
            };
            if self.told.get(&group) != Some(&line) {
                self.told.insert(group, line.clone());
                lines.push(line);
            }
        }
        lines
    }
}

/// `instance refresh of GROUP: InProgress, 50% (1 instance to update): Waiting for ...`
fn progress(group: &str, refresh: &InstanceRefresh) -> String {
    let status = refresh.status().map_or("unknown", |s| s.as_str());
    let mut line = format!("instance refresh of {group}: {status}");
    if let Some(percent) = refresh.percentage_complete() {
        line.push_str(&format!(", {percent}%"));
    }
    if let Some(left) = refresh.instances_to_update() {
        line.push_str(&format!(" ({left} instance{} to update)", if left == 1 { "" } else { "s" }));
    }
    if let Some(reason) = refresh.status_reason().filter(|r| !r.is_empty()) {
        line.push_str(&format!(": {reason}"));
    }
    line
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;
    use testkit::http::{Server, query_success};

    const NAMESPACE: &str = "http://autoscaling.amazonaws.com/doc/2011-01-01/";

    /// A stand-in for Auto Scaling whose one group's refresh advances at each look.
    fn refreshing_group(steps: Vec<(&'static str, u32, u32, &'static str)>) -> Server {
        let looks = Arc::new(Mutex::new(0usize));
        Server::start(move |_request| {
            let mut look = looks.lock().unwrap();
            let (status, percent, left, reason) = steps[(*look).min(steps.len() - 1)];
            *look += 1;
            query_success(
                NAMESPACE,
                "DescribeInstanceRefreshes",
                &format!(
                    "<InstanceRefreshes><member><InstanceRefreshId>r-1</InstanceRefreshId><AutoScalingGroupName>shop-asg</AutoScalingGroupName><Status>{status}</Status><StatusReason>{reason}</StatusReason><PercentageComplete>{percent}</PercentageComplete><InstancesToUpdate>{left}</InstancesToUpdate></member></InstanceRefreshes>"
                ),
            )
        })
    }

    fn client(server: &Server) -> Client {
        let config = aws_sdk_autoscaling::Config::builder()
            .behavior_version(aws_sdk_autoscaling::config::BehaviorVersion::latest())
            .region(aws_sdk_autoscaling::config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_autoscaling::config::Credentials::new("t", "t", None, None, "test"))
            .endpoint_url(server.url())
            .build();
        Client::from_conf(config)
    }

    /// Each change of status or progress is told once; looks that find nothing new say nothing;
    /// a group not watched is not asked about.
    #[tokio::test]
    async fn a_refresh_is_told_as_it_advances() {
        let server = refreshing_group(vec![
            ("InProgress", 0, 2, "Waiting for instances to warm up before continuing"),
            ("InProgress", 0, 2, "Waiting for instances to warm up before continuing"),
            ("InProgress", 50, 1, ""),
            ("Baking", 100, 0, ""),
            ("Successful", 100, 0, ""),
        ]);
        let mut watch = RefreshWatch::new(client(&server));
        assert!(watch.tick().await.is_empty(), "nothing watched yet");
        watch.watch("shop-asg");
        watch.watch("shop-asg");
        let mut told = Vec::new();
        for _ in 0..6 {
            told.extend(watch.tick().await);
        }
        assert_eq!(
            told,
            [
                "instance refresh of shop-asg: InProgress, 0% (2 instances to update): Waiting for instances to warm up before continuing",
                "instance refresh of shop-asg: InProgress, 50% (1 instance to update)",
                "instance refresh of shop-asg: Baking, 100% (0 instances to update)",
                "instance refresh of shop-asg: Successful, 100% (0 instances to update)",
            ]
        );
    }
}

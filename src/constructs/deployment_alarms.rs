//! The alarms `deployment.auto_alarms` makes for a service, which ECS watches during its
//! deployments ("Deployment alarms", ECS Developer Guide): too many 5xx answers, or an unhealthy
//! target, on any of the service's target groups.
//!
//! Each group is measured on its own and the alarm takes the worst, so a canary's errors are not
//! diluted by the 95 percent of requests the old revision still answers well. After a
//! blue/green, canary or linear release the groups swap roles (the new revision stays on the
//! alternate group), so both are always watched.

use crate::resources::autoscaling::Statistic;
use crate::resources::cloudwatch::{
    Alarm, ComparisonOperator, Dimension, Metric, MetricDataQuery, MetricStat, TreatMissingData,
};
use crate::resources::elbv2::{LoadBalancer, TargetGroup};
use crate::template::{Handle, Scope, Template, TemplateError, Value};

/// The share of a group's requests answered with a 5xx, in percent, above which the error alarm
/// goes off.
pub const ERROR_RATE_PERCENT: u32 = 5;
/// Minutes per data point, data points looked at, and how many of them must breach: 2 bad minutes
/// of 3, so one slow minute does not roll a release back.
const PERIOD_SECONDS: u32 = 60;
const EVALUATION_PERIODS: u32 = 3;
const DATAPOINTS_TO_ALARM: u32 = 2;

/// The groups a service's requests reach: its own, and its release's alternate one.
pub struct WatchedService<'a> {
    pub load_balancer: &'a Handle<LoadBalancer>,
    pub target_groups: Vec<&'a Handle<TargetGroup>>,
    /// The service's name in alarm descriptions.
    pub name: &'a str,
}

/// The error-rate and unhealthy-target alarms, at `scope/ErrorRate` and `scope/UnhealthyTargets`.
pub fn build(
    t: &mut Template,
    scope: &Scope,
    watched: &WatchedService<'_>,
) -> Result<Vec<Handle<Alarm>>, TemplateError> {
    let groups = || watched.target_groups.iter().enumerate();
    let mut error_rate = Vec::new();
    for (i, group) in groups() {
        error_rate.push(metric(&format!("requests{i}"), "RequestCount", Statistic::Sum, watched.load_balancer, group));
        error_rate.push(metric(
            &format!("errors{i}"),
            "HTTPCode_Target_5XX_Count",
            Statistic::Sum,
            watched.load_balancer,
            group,
        ));
        // No 5xx in a minute publishes no data point: FILL counts it as none.
        error_rate.push(expression(
            &format!("rate{i}"),
            &format!("IF(requests{i} > 0, 100 * FILL(errors{i}, 0) / requests{i}, 0)"),
            false,
        ));
    }
    error_rate.push(worst_of("rate", watched.target_groups.len()));
    let errors = alarm(
        format!(
            "{}: more than {ERROR_RATE_PERCENT} percent of a target group's requests answered with a 5xx in {DATAPOINTS_TO_ALARM} of {EVALUATION_PERIODS} minutes",
            watched.name
        ),
        error_rate,
        ComparisonOperator::GreaterThanThreshold,
        ERROR_RATE_PERCENT,
    );
    let mut unhealthy = groups()
        .map(|(i, group)| {
            metric(&format!("unhealthy{i}"), "UnHealthyHostCount", Statistic::Maximum, watched.load_balancer, group)
        })
        .collect::<Vec<_>>();
    unhealthy.push(worst_of("unhealthy", watched.target_groups.len()));
    let unhealthy = alarm(
        format!(
            "{}: a target failing the load balancer's health check in {DATAPOINTS_TO_ALARM} of {EVALUATION_PERIODS} minutes",
            watched.name
        ),
        unhealthy,
        ComparisonOperator::GreaterThanOrEqualToThreshold,
        1,
    );
    Ok(vec![
        t.add(&scope.child("ErrorRate").child("Resource"), errors)?,
        t.add(&scope.child("UnhealthyTargets").child("Resource"), unhealthy)?,
    ])
}

fn alarm(description: String, metrics: Vec<MetricDataQuery>, operator: ComparisonOperator, threshold: u32) -> Alarm {
    Alarm {
        alarm_description: Some(description.into()),
        comparison_operator: Some(operator),
        datapoints_to_alarm: Some(DATAPOINTS_TO_ALARM.into()),
        evaluation_periods: Some(EVALUATION_PERIODS.into()),
        metrics: Some(metrics),
        threshold: Some(f64::from(threshold).into()),
        // A minute without requests is not a minute of errors.
        treat_missing_data: Some(TreatMissingData::NotBreaching),
        ..Alarm::default()
    }
}

/// One of the load balancer's per-group metrics, by the group's and the load balancer's full
/// names ("CloudWatch metrics for your Application Load Balancer", ELB User Guide).
fn metric(
    id: &str,
    name: &str,
    stat: Statistic,
    load_balancer: &Handle<LoadBalancer>,
    group: &Handle<TargetGroup>,
) -> MetricDataQuery {
    MetricDataQuery {
        id: id.to_owned().into(),
        metric_stat: Some(MetricStat {
            metric: Metric {
                dimensions: Some(vec![
                    Dimension { name: "LoadBalancer".to_owned().into(), value: load_balancer.full_name().into() },
                    Dimension { name: "TargetGroup".to_owned().into(), value: group.full_name().into() },
                ]),
                metric_name: Some(name.to_owned().into()),
                namespace: Some("AWS/ApplicationELB".to_owned().into()),
            },
            period: PERIOD_SECONDS.into(),
            stat: Value::Literal(stat),
            unit: None,
        }),
        return_data: Some(false.into()),
        ..MetricDataQuery::default()
    }
}

/// The series the alarm watches: at each point, the worst of the groups' series `{prefix}0`,
/// `{prefix}1`...
fn worst_of(prefix: &str, groups: usize) -> MetricDataQuery {
    let series = (0..groups).map(|i| format!("{prefix}{i}")).collect::<Vec<_>>().join(", ");
    expression("worst", &format!("MAX([{series}])"), true)
}

fn expression(id: &str, expression: &str, returned: bool) -> MetricDataQuery {
    MetricDataQuery {
        expression: Some(expression.to_owned().into()),
        id: id.to_owned().into(),
        return_data: Some(returned.into()),
        ..MetricDataQuery::default()
    }
}

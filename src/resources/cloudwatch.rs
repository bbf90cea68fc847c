//! AWS::CloudWatch resources (generated), with the attributes each offers.

use serde::Serialize;

use crate::template::{Handle, Intrinsic};

pub use super::generated::cloudwatch::alarm::{Alarm, Dimension, Metric, MetricDataQuery, MetricStat};

impl Handle<Alarm> {
    /// The alarm's name, as ECS's deployment alarms take it.
    pub fn alarm_name(&self) -> Intrinsic {
        self.reference()
    }
}

/// How an alarm compares its metric with the threshold.
#[derive(Clone, Copy, Debug, Serialize)]
pub enum ComparisonOperator {
    GreaterThanThreshold,
    GreaterThanOrEqualToThreshold,
}

/// How an alarm counts a period without data.
#[derive(Clone, Copy, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum TreatMissingData {
    /// As within the threshold: no requests is no error.
    NotBreaching,
}

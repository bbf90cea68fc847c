//! AWS::SQS resources.

use super::schema;
use serde::Serialize;
use serde_with::skip_serializing_none;

use crate::template::{Handle, Intrinsic, Resource, Tags, Value};

#[skip_serializing_none]
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Queue {
    pub message_retention_period: Option<Value<u32>>,
    pub redrive_policy: Option<RedrivePolicy>,
    pub sqs_managed_sse_enabled: Option<Value<bool>>,
    pub tags: Option<Tags>,
    pub visibility_timeout: Option<Value<u32>>,
}

impl Resource for Queue {
    const TYPE: &'static str = schema::SQS_QUEUE_TYPE;

    fn add_tags(&mut self, tags: &Tags) {
        Tags::add_missing_to(&mut self.tags, tags);
    }
}

impl Handle<Queue> {
    pub fn queue_url(&self) -> Intrinsic {
        self.reference()
    }

    pub fn arn(&self) -> Intrinsic {
        self.get_att("Arn")
    }
}

/// Where messages go after failing `max_receive_count` times. (SQS spells these in camel case.)
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RedrivePolicy {
    pub dead_letter_target_arn: Value<String>,
    pub max_receive_count: Value<u32>,
}

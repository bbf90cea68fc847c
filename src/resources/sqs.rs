//! AWS::SQS resources (generated), with the attributes each offers.

use serde::Serialize;

use crate::template::{Handle, Intrinsic, Value};

pub use super::generated::sqs::queue::Queue;

impl Handle<Queue> {
    pub fn queue_url(&self) -> Intrinsic {
        self.reference()
    }

    pub fn arn(&self) -> Intrinsic {
        self.get_att("Arn")
    }
}

/// Where messages go after failing `max_receive_count` times: the queue's `RedrivePolicy`, a
/// JSON document its schema leaves untyped. (SQS spells these in camel case.)
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RedrivePolicy {
    pub dead_letter_target_arn: Value<String>,
    pub max_receive_count: Value<u32>,
}

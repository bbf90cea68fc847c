//! AWS::SNS resources.

use super::schema;
use serde::Serialize;
use serde_with::skip_serializing_none;

use crate::template::{Handle, Intrinsic, Resource, Tags, Value};

#[skip_serializing_none]
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Topic {
    pub kms_master_key_id: Option<Value<String>>,
    pub tags: Option<Tags>,
}

impl Resource for Topic {
    const TYPE: &'static str = schema::SNS_TOPIC_TYPE;

    fn add_tags(&mut self, tags: &Tags) {
        Tags::add_missing_to(&mut self.tags, tags);
    }
}

impl Handle<Topic> {
    pub fn arn(&self) -> Intrinsic {
        self.reference()
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Subscription {
    pub endpoint: Value<String>,
    pub protocol: SubscriptionProtocol,
    pub topic_arn: Value<String>,
}

impl Resource for Subscription {
    const TYPE: &'static str = schema::SNS_SUBSCRIPTION_TYPE;
}

/// Where a subscription delivers.
#[derive(Clone, Copy, Debug, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SubscriptionProtocol {
    Lambda,
    Sqs,
    Https,
    Email,
}

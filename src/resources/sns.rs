//! AWS::SNS resources (generated), with the attributes each offers.

use serde::Serialize;

use crate::template::{Handle, Intrinsic};

pub use super::generated::sns::subscription::Subscription;
pub use super::generated::sns::topic::Topic;

impl Handle<Topic> {
    pub fn arn(&self) -> Intrinsic {
        self.reference()
    }
}

/// What a subscription delivers to (`Protocol`, a string in the schema).
#[derive(Clone, Copy, Debug, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SubscriptionProtocol {
    #[default]
    Lambda,
    Sqs,
    Https,
    Email,
}

//! Typed CloudFormation resources: one struct per resource type, with the type's own property
//! names, and the attributes each type offers as methods on its [`Handle`](crate::template::Handle).
//!
//! Properties are `Option` when CloudFormation lets them be left out; `None` is not emitted.

pub mod applicationautoscaling;
pub mod autoscaling;
pub mod ec2;
pub mod ecs;
pub mod elbv2;
pub mod events;
pub mod iam;
pub mod lambda;
pub mod logs;
pub mod route53;
pub mod s3;
pub mod sns;
pub mod sqs;

use serde::{Serialize, Serializer};

use crate::template::Value;

/// Serializes a one-element list as its element, the way IAM documents are usually written.
pub(crate) fn one_or_many<T: Serialize, S: Serializer>(items: &[T], serializer: S) -> Result<S::Ok, S::Error> {
    match items {
        [single] => single.serialize(serializer),
        many => many.serialize(serializer),
    }
}

/// A `{Key, Value}` pair, as load balancer and target group attributes are written.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Attribute {
    pub key: &'static str,
    pub value: Value<String>,
}

impl Attribute {
    pub fn new(key: &'static str, value: impl ToString) -> Self {
        Attribute { key, value: value.to_string().into() }
    }

    /// An attribute whose value CloudFormation works out, such as a bucket's name.
    pub fn resolved(key: &'static str, value: impl Into<Value<String>>) -> Self {
        Attribute { key, value: value.into() }
    }
}

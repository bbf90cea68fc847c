//! Typed CloudFormation resources: one struct per resource type and per property type, generated
//! from AWS's resource schemas with the type's own property names (`generated`, and each type's
//! facts in `schema`); a module per namespace re-exports them and offers each type's attributes
//! as methods on its [`Handle`](crate::template::Handle).
//!
//! Properties are `Option` when CloudFormation lets them be left out; `None` is not emitted. A
//! required one left to its `Default` refuses to serialize (`Value::Unset`).

/// Resource types generated from AWS's schemas (`scripts/generate-resources`), checked byte
/// for byte against their generator: formatted by it alone.
#[rustfmt::skip]
pub mod generated;
/// The types `patch.toml` gives properties the schemas type loosely, for the generated code.
mod patched;

pub mod applicationautoscaling;
pub mod autoscaling;
pub mod cloudwatch;
pub mod ec2;
pub mod ecs;
pub mod elbv2;
pub mod events;
pub mod iam;
pub mod lambda;
pub mod logs;
pub mod route53;
pub mod s3;
// Generated, and checked byte for byte against its generator: formatted by the generator alone.
#[rustfmt::skip]
pub mod schema;
pub mod sns;
pub mod sqs;

use serde::{Serialize, Serializer};

use crate::template::Value;

/// What AWS's schema of a resource type says about it, as far as ecs-alb reads it (generated in
/// `schema`, one per type ecs-alb emits).
#[derive(Debug)]
pub struct ResourceSchema {
    pub type_name: &'static str,
    /// Properties whose change replaces the resource (`createOnlyProperties`), as dotted paths
    /// when nested.
    pub create_only: &'static [&'static str],
    /// The type has no update handler: any change replaces the resource.
    pub replaced_on_any_change: bool,
}

impl ResourceSchema {
    /// The schema of `type_name`, when ecs-alb emits that type.
    pub fn of(type_name: &str) -> Option<&'static ResourceSchema> {
        schema::ALL.iter().copied().find(|s| s.type_name == type_name)
    }

    /// Whether changing `property` (a dotted path such as `MaxSize` or `Provider.Arn.0`)
    /// replaces the resource: it is, lies within, or holds a create-only property.
    pub fn forces_replacement(&self, property: &str) -> bool {
        let within = |outer: &str, inner: &str| inner.strip_prefix(outer).is_some_and(|rest| rest.starts_with('.'));
        self.replaced_on_any_change
            || self.create_only.iter().any(|p| *p == property || within(p, property) || within(property, p))
    }
}

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

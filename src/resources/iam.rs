//! AWS::IAM resources (generated), with the attributes each offers, and the policy documents
//! they carry (a JSON document in the schemas, typed here).

use indexmap::IndexMap;
use serde::Serialize;
use serde_with::skip_serializing_none;

use super::one_or_many;
use crate::template::{Handle, Intrinsic, List, Tags, Value};

const POLICY_VERSION: &str = "2012-10-17";

pub use super::generated::iam::instance_profile::InstanceProfile;
pub use super::generated::iam::policy::Policy;
pub use super::generated::iam::role::Role;

impl Role {
    /// A role that the given AWS service (e.g. `lambda.amazonaws.com`) may assume.
    pub fn for_service(service: &'static str) -> Self {
        let trust = Statement::allow(["sts:AssumeRole"]).principal_service(service);
        Role { assume_role_policy_document: PolicyDocument::new(vec![trust]).into(), ..Role::default() }
    }

    pub fn tags(mut self, tags: Tags) -> Self {
        self.tags = Some(tags);
        self
    }
}

impl Handle<Role> {
    pub fn role_name(&self) -> Intrinsic {
        self.reference()
    }

    pub fn arn(&self) -> Intrinsic {
        self.get_att("Arn")
    }
}

impl Handle<InstanceProfile> {
    pub fn arn(&self) -> Intrinsic {
        self.get_att("Arn")
    }
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PolicyDocument {
    pub statement: Vec<Statement>,
    pub version: &'static str,
}

impl From<PolicyDocument> for Value<PolicyDocument> {
    fn from(document: PolicyDocument) -> Self {
        Value::Literal(document)
    }
}

impl PolicyDocument {
    pub fn new(statement: Vec<Statement>) -> Self {
        PolicyDocument { statement, version: POLICY_VERSION }
    }

    /// The characters IAM counts against a role's inline-policy quota ("IAM and AWS STS quotas":
    /// whitespace is not counted), with every value CloudFormation fills in at its longest
    /// (`pseudo_value_at_longest`).
    pub fn size_at_longest(&self) -> usize {
        let value = serde_json::to_value(self).unwrap_or_default();
        let rendered = at_longest(&value).to_string();
        rendered.chars().filter(|c| !c.is_whitespace()).count()
    }
}

/// The longest value a pseudo parameter can take, for measuring a policy before it is deployed:
/// `aws-us-gov` among the partitions, a 14-character region code (`ap-southeast-1`,
/// `eusc-de-east-1`), a 12-digit account, `amazonaws.com.cn`; anything else an ARN at its longest.
fn pseudo_value_at_longest(name: &str) -> String {
    match name {
        "AWS::Partition" => "aws-us-gov".to_owned(),
        "AWS::Region" => "x".repeat(14),
        "AWS::AccountId" => "0".repeat(12),
        "AWS::URLSuffix" => "amazonaws.com.cn".to_owned(),
        _ => "x".repeat(MAX_ARN_LEN),
    }
}

/// IAM takes ARNs of up to 2048 characters.
const MAX_ARN_LEN: usize = 2048;

/// `value` with each `Ref`, `Fn::GetAtt` and `Fn::Sub` replaced by the longest text it can yield.
fn at_longest(value: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::Object(map) if map.len() == 1 => {
            let (key, inner) = map.iter().next().unwrap_or_else(|| unreachable!("one entry"));
            match (key.as_str(), inner) {
                ("Ref", Value::String(name)) => Value::String(pseudo_value_at_longest(name)),
                ("Fn::GetAtt", _) => Value::String("x".repeat(MAX_ARN_LEN)),
                ("Fn::Sub", Value::String(text)) => Value::String(substitute_at_longest(text)),
                ("Fn::Sub", Value::Array(parts)) => {
                    Value::String(parts.first().and_then(Value::as_str).map(substitute_at_longest).unwrap_or_default())
                }
                _ => Value::Object(map.iter().map(|(k, v)| (k.clone(), at_longest(v))).collect()),
            }
        }
        Value::Object(map) => Value::Object(map.iter().map(|(k, v)| (k.clone(), at_longest(v))).collect()),
        Value::Array(items) => Value::Array(items.iter().map(at_longest).collect()),
        other => other.clone(),
    }
}

/// An `Fn::Sub` string with each `${NAME}` at its longest.
fn substitute_at_longest(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let Some(end) = rest[start..].find('}') else { break };
        out.push_str(&pseudo_value_at_longest(&rest[start + 2..start + end]));
        rest = &rest[start + end + 1..];
    }
    out.push_str(rest);
    out
}

/// The `Principal` of a resource policy's statement.
#[derive(Clone, Debug)]
pub enum Principal {
    /// Everyone: for statements that deny.
    Anyone,
    Service(&'static str),
    /// Whichever principal an intrinsic function (an `Fn::If`) yields.
    Chosen(Intrinsic),
}

impl Serialize for Principal {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Principal::Anyone => serializer.serialize_str("*"),
            Principal::Service(service) => IndexMap::from([("Service", service)]).serialize(serializer),
            Principal::Chosen(intrinsic) => intrinsic.serialize(serializer),
        }
    }
}

#[derive(Clone, Copy, Debug, Serialize)]
pub enum Effect {
    Allow,
    Deny,
}

#[skip_serializing_none]
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Statement {
    #[serde(serialize_with = "one_or_many")]
    pub action: Vec<String>,
    /// Operator, then condition key, then the value or values to match.
    pub condition: Option<IndexMap<String, IndexMap<String, ConditionValue>>>,
    pub effect: Effect,
    pub principal: Option<Principal>,
    #[serde(serialize_with = "one_or_many_opt")]
    pub resource: Option<List<String>>,
}

/// What a condition key is compared with: one value (which may be an intrinsic, such as an
/// ARN), or several, any of which matches.
#[derive(Clone, Debug)]
pub enum ConditionValue {
    One(Value<String>),
    Many(Vec<String>),
}

impl Serialize for ConditionValue {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            ConditionValue::One(value) => value.serialize(serializer),
            ConditionValue::Many(values) => values.serialize(serializer),
        }
    }
}

fn one_or_many_opt<S: serde::Serializer>(items: &Option<List<String>>, serializer: S) -> Result<S::Ok, S::Error> {
    match items {
        Some(items) => one_or_many(items, serializer),
        None => serializer.serialize_none(),
    }
}

impl Statement {
    pub fn allow<A: Into<String>>(actions: impl IntoIterator<Item = A>) -> Self {
        Statement {
            action: actions.into_iter().map(Into::into).collect(),
            condition: None,
            effect: Effect::Allow,
            principal: None,
            resource: None,
        }
    }

    pub fn deny<A: Into<String>>(actions: impl IntoIterator<Item = A>) -> Self {
        Statement { effect: Effect::Deny, ..Statement::allow(actions) }
    }

    pub fn on(mut self, resource: impl Into<Value<String>>) -> Self {
        self.resource.get_or_insert_with(Vec::new).push(resource.into());
        self
    }

    /// For actions that accept no resource-level scoping (IAM requires `"*"` there).
    pub fn on_any_resource(self) -> Self {
        self.on("*")
    }

    /// Restricts the statement to requests whose `key` condition key equals the ARN `arn`.
    pub fn when_arn_equals(self, key: &str, arn: impl Into<Value<String>>) -> Self {
        self.when("ArnEquals", key, ConditionValue::One(arn.into()))
    }

    /// Restricts the statement to requests where `key` compares as `operator` says with `value`.
    pub fn when(mut self, operator: &str, key: &str, value: ConditionValue) -> Self {
        let condition = self.condition.get_or_insert_with(IndexMap::new);
        condition.entry(operator.to_owned()).or_default().insert(key.to_owned(), value);
        self
    }

    /// For resource policies: who the statement is about.
    pub fn for_principal(mut self, principal: Principal) -> Self {
        self.principal = Some(principal);
        self
    }

    fn principal_service(self, service: &'static str) -> Self {
        self.for_principal(Principal::Service(service))
    }

    /// Adds a `Bool` condition: for keys such as `aws:SecureTransport`.
    pub fn when_bool(self, key: &str, value: bool) -> Self {
        self.when("Bool", key, ConditionValue::One(value.to_string().into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn single_actions_and_resources_are_written_as_scalars() {
        let s = Statement::allow(["sns:Publish"]).on("arn:topic");
        assert_eq!(
            serde_json::to_value(&s).unwrap(),
            json!({"Action": "sns:Publish", "Effect": "Allow", "Resource": "arn:topic"})
        );
    }

    #[test]
    fn conditions_group_by_operator() {
        let s = Statement::allow(["ecs:Poll", "ecs:StartTelemetrySession"])
            .on_any_resource()
            .when_arn_equals("ecs:cluster", "arn:cluster");
        assert_eq!(
            serde_json::to_value(&s).unwrap(),
            json!({
                "Action": ["ecs:Poll", "ecs:StartTelemetrySession"],
                "Condition": {"ArnEquals": {"ecs:cluster": "arn:cluster"}},
                "Effect": "Allow",
                "Resource": "*"
            })
        );
    }
}

#[cfg(test)]
mod size_tests {
    use super::*;
    use crate::template::Intrinsic;

    #[test]
    fn a_policy_is_measured_with_its_arns_at_their_longest() {
        let literal = PolicyDocument::new(vec![Statement::allow(["s3:GetObject"]).on_any_resource()]);
        let compact = serde_json::to_string(&literal).unwrap();
        assert_eq!(literal.size_at_longest(), compact.len());
        let arn = "arn:${AWS::Partition}:elasticfilesystem:${AWS::Region}:${AWS::AccountId}:file-system/fs-1";
        let templated = PolicyDocument::new(vec![Statement::allow(["s3:GetObject"]).on(Intrinsic::Sub(arn.into()))]);
        let longest = "arn:aws-us-gov:elasticfilesystem:xxxxxxxxxxxxxx:000000000000:file-system/fs-1";
        assert_eq!(templated.size_at_longest(), compact.len() - "\"*\"".len() + longest.len() + 2);
    }
}

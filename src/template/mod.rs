//! A CloudFormation template: parameters, resources and outputs, in the order they were added.
//!
//! This layer knows the template format and nothing of any AWS service: resource types come in
//! through the [`Resource`] trait.

mod intrinsic;
mod logical_id;
mod yaml;

use std::fmt;
use std::marker::PhantomData;

use indexmap::IndexMap;
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

pub use intrinsic::{Intrinsic, List, Tags, Value, pseudo};
pub use logical_id::{LogicalId, Scope, make_unique_id};

const FORMAT_VERSION: &str = "2010-09-09";
/// The largest template body CloudFormation takes in a request; larger ones come from S3.
pub const MAX_INLINE_BODY_BYTES: usize = 51_200;
const MAX_LOGICAL_ID_LEN: usize = 255;

/// A typed CloudFormation resource: its properties, serialized with CloudFormation's names.
pub trait Resource: Serialize + 'static {
    const TYPE: &'static str;

    /// Gives the resource `tags` where its type takes tags; a key it already has keeps its value
    /// (the construct that set it knew better). Types without tags ignore them.
    fn add_tags(&mut self, _tags: &Tags) {}
}

/// A resource of any type, as the template holds it.
trait AnyResource: erased_serde::Serialize {
    fn add_tags(&mut self, tags: &Tags);
}

impl<R: Resource> AnyResource for R {
    fn add_tags(&mut self, tags: &Tags) {
        Resource::add_tags(self, tags);
    }
}

/// A resource that has been added to a template; the only way to refer to one.
///
/// Attribute accessors (`Handle<Cluster>::arn()`, ...) live beside each resource type, so an
/// attribute a type does not have cannot be asked for.
pub struct Handle<R> {
    id: LogicalId,
    kind: PhantomData<fn() -> R>,
}

impl<R> Handle<R> {
    pub fn id(&self) -> &LogicalId {
        &self.id
    }

    /// `Ref` of the resource: what it returns depends on the type (an ID, a name or an ARN).
    pub fn reference(&self) -> Intrinsic {
        Intrinsic::reference(&self.id)
    }

    pub fn get_att(&self, attribute: &'static str) -> Intrinsic {
        Intrinsic::GetAtt(self.id.clone(), attribute)
    }

    /// `Fn::Sub` syntax for this resource's `Ref`, for use inside a larger pattern.
    pub fn sub_ref(&self) -> String {
        format!("${{{}}}", self.id)
    }

    /// `Fn::Sub` syntax for one of the resource's attributes. The resource modules name their
    /// types' attributes (`Handle<LoadBalancer>::dns_name_sub`, ...), so constructs never spell one.
    pub(crate) fn sub_att(&self, attribute: &str) -> String {
        format!("${{{}.{attribute}}}", self.id)
    }
}

impl<R> Clone for Handle<R> {
    fn clone(&self) -> Self {
        Handle { id: self.id.clone(), kind: PhantomData }
    }
}

impl<R> fmt::Debug for Handle<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Handle({})", self.id)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum RemovalPolicy {
    Delete,
    Retain,
    Snapshot,
}

/// Resource attributes that sit beside `Properties`.
#[derive(Default)]
pub struct Options {
    depends_on: Vec<LogicalId>,
    update_policy: Option<Box<dyn erased_serde::Serialize>>,
    deletion_policy: Option<RemovalPolicy>,
    update_replace_policy: Option<RemovalPolicy>,
}

impl Options {
    pub fn new() -> Self {
        Options::default()
    }

    /// Only for an ordering that no reference implies: CloudFormation already orders a resource
    /// after everything it references (cfn-lint W3005 flags the redundant case).
    pub fn depends_on<R>(mut self, on: &Handle<R>) -> Self {
        self.depends_on.push(on.id.clone());
        self
    }

    /// `depends_on` for each of `on` (none, one, or more).
    pub fn depends_on_all<'a, R: 'a>(self, on: impl IntoIterator<Item = &'a Handle<R>>) -> Self {
        on.into_iter().fold(self, Options::depends_on)
    }

    pub fn update_policy(mut self, policy: impl Serialize + 'static) -> Self {
        self.update_policy = Some(Box::new(policy));
        self
    }

    /// What happens to the resource when it is removed from the stack or replaced.
    pub fn on_removal(mut self, policy: RemovalPolicy) -> Self {
        self.deletion_policy = Some(policy);
        self.update_replace_policy = Some(policy);
        self
    }
}

struct Entry {
    resource_type: &'static str,
    /// The group of the scope it was added under.
    group: Option<String>,
    properties: Box<dyn AnyResource>,
    options: Options,
}

/// A template parameter.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Parameter {
    #[serde(rename = "Type")]
    pub parameter_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_length: Option<u32>,
}

impl Parameter {
    pub fn new(parameter_type: impl Into<String>) -> Self {
        Parameter { parameter_type: parameter_type.into(), default: None, description: None, min_length: None }
    }

    pub fn default_value(mut self, value: impl Into<String>) -> Self {
        self.default = Some(value.into());
        self
    }

    pub fn description(mut self, text: impl Into<String>) -> Self {
        self.description = Some(text.into());
        self
    }

    pub fn min_length(mut self, len: u32) -> Self {
        self.min_length = Some(len);
        self
    }
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Output {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub value: Value<String>,
}

impl Output {
    pub fn new(value: impl Into<Value<String>>) -> Self {
        Output { description: None, value: value.into() }
    }

    pub fn description(mut self, text: impl Into<String>) -> Self {
        self.description = Some(text.into());
        self
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TemplateError {
    #[error("logical ID `{0}` is used twice")]
    DuplicateId(LogicalId),
    #[error("logical ID `{0}` must be 1 to 255 ASCII letters and digits")]
    InvalidId(LogicalId),
}

#[derive(Default)]
pub struct Template {
    description: Option<String>,
    parameters: IndexMap<LogicalId, Parameter>,
    mappings: IndexMap<LogicalId, IndexMap<String, IndexMap<String, String>>>,
    conditions: IndexMap<LogicalId, Intrinsic>,
    resources: IndexMap<LogicalId, Entry>,
    outputs: IndexMap<LogicalId, Output>,
}

impl Template {
    pub fn new() -> Self {
        Template::default()
    }

    pub fn set_description(&mut self, text: impl Into<String>) {
        self.description = Some(text.into());
    }

    /// Adds the resource at `scope` under the logical ID the CDK would give it there.
    pub fn add<R: Resource>(&mut self, scope: &Scope, resource: R) -> Result<Handle<R>, TemplateError> {
        self.add_with(scope, resource, Options::new())
    }

    pub fn add_with<R: Resource>(
        &mut self,
        scope: &Scope,
        resource: R,
        options: Options,
    ) -> Result<Handle<R>, TemplateError> {
        let id = self.claim(scope.logical_id())?;
        let entry = Entry {
            resource_type: R::TYPE,
            group: scope.group().map(str::to_owned),
            properties: Box::new(resource),
            options,
        };
        self.resources.insert(id.clone(), entry);
        Ok(Handle { id, kind: PhantomData })
    }

    /// Adds a parameter named `name`; its `Ref` is `Intrinsic::reference(&id)` of the ID returned.
    pub fn add_parameter(&mut self, name: &str, parameter: Parameter) -> Result<LogicalId, TemplateError> {
        let id = self.claim(LogicalId::new(name))?;
        self.parameters.insert(id.clone(), parameter);
        Ok(id)
    }

    /// Adds a mapping: top-level key (such as a region), then second-level key, to a value.
    pub fn add_mapping(
        &mut self,
        name: &str,
        mapping: IndexMap<String, IndexMap<String, String>>,
    ) -> Result<(), TemplateError> {
        insert_new(&mut self.mappings, LogicalId::new(name), mapping)
    }

    /// Adds a named condition, for `Fn::If`.
    pub fn add_condition(&mut self, name: &str, condition: Intrinsic) -> Result<(), TemplateError> {
        insert_new(&mut self.conditions, LogicalId::new(name), condition)
    }

    pub fn add_output(&mut self, id: LogicalId, output: Output) -> Result<(), TemplateError> {
        insert_new(&mut self.outputs, id, output)
    }

    /// Parameters and resources share one namespace: a `Ref` must name exactly one of them.
    fn claim(&self, id: LogicalId) -> Result<LogicalId, TemplateError> {
        check_id_syntax(&id)?;
        if self.resources.contains_key(&id) || self.parameters.contains_key(&id) {
            return Err(TemplateError::DuplicateId(id));
        }
        Ok(id)
    }

    /// Tags every resource whose type takes tags, as the CDK's `Tags.of(stack)` does.
    pub fn tag_all(&mut self, tags: &Tags) {
        if tags.is_empty() {
            return;
        }
        for entry in self.resources.values_mut() {
            entry.properties.add_tags(tags);
        }
    }

    /// Each resource's logical ID and type, in template order.
    pub fn resources(&self) -> impl Iterator<Item = (&LogicalId, &'static str)> {
        self.resources.iter().map(|(id, entry)| (id, entry.resource_type))
    }

    pub fn to_json_pretty(&self) -> Result<String, serde_json::Error> {
        let mut text = serde_json::to_string_pretty(self)?;
        text.push('\n');
        Ok(text)
    }

    pub fn to_json_minified(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string(self)
    }

    /// YAML that YAML 1.1 parsers (CloudFormation's among them) read as intended.
    pub fn to_yaml(&self) -> Result<String, serde_json::Error> {
        Ok(yaml::to_yaml(&self.to_value()?))
    }

    /// Each resource's logical ID and the group of the scope it was added under.
    pub fn resource_groups(&self) -> impl Iterator<Item = (&LogicalId, Option<&str>)> {
        self.resources.iter().map(|(id, entry)| (id, entry.group.as_deref()))
    }

    pub fn to_value(&self) -> Result<serde_json::Value, serde_json::Error> {
        serde_json::to_value(self)
    }
}

/// Mappings, conditions and outputs each have a namespace of their own.
fn insert_new<V>(section: &mut IndexMap<LogicalId, V>, id: LogicalId, value: V) -> Result<(), TemplateError> {
    check_id_syntax(&id)?;
    if section.contains_key(&id) {
        return Err(TemplateError::DuplicateId(id));
    }
    section.insert(id, value);
    Ok(())
}

fn check_id_syntax(id: &LogicalId) -> Result<(), TemplateError> {
    let s = id.as_str();
    if s.is_empty() || s.len() > MAX_LOGICAL_ID_LEN || !s.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(TemplateError::InvalidId(id.clone()));
    }
    Ok(())
}

impl Serialize for Template {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("AWSTemplateFormatVersion", FORMAT_VERSION)?;
        if let Some(description) = &self.description {
            map.serialize_entry("Description", description)?;
        }
        if !self.parameters.is_empty() {
            map.serialize_entry("Parameters", &self.parameters)?;
        }
        if !self.mappings.is_empty() {
            map.serialize_entry("Mappings", &self.mappings)?;
        }
        if !self.conditions.is_empty() {
            map.serialize_entry("Conditions", &self.conditions)?;
        }
        map.serialize_entry("Resources", &self.resources)?;
        if !self.outputs.is_empty() {
            map.serialize_entry("Outputs", &self.outputs)?;
        }
        map.end()
    }
}

/// Lets a boxed trait object stand where serde wants a `Serialize` value.
struct Erased<'a>(&'a dyn erased_serde::Serialize);

impl Serialize for Erased<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        erased_serde::serialize(self.0, serializer)
    }
}

impl Serialize for Entry {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let options = &self.options;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("Type", self.resource_type)?;
        let properties: &dyn erased_serde::Serialize = self.properties.as_ref();
        map.serialize_entry("Properties", &Erased(properties))?;
        if !options.depends_on.is_empty() {
            map.serialize_entry("DependsOn", &options.depends_on)?;
        }
        if let Some(policy) = &options.update_policy {
            map.serialize_entry("UpdatePolicy", &Erased(policy.as_ref()))?;
        }
        if let Some(policy) = &options.update_replace_policy {
            map.serialize_entry("UpdateReplacePolicy", policy)?;
        }
        if let Some(policy) = &options.deletion_policy {
            map.serialize_entry("DeletionPolicy", policy)?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct Widget {
        size: Value<u32>,
    }

    impl Resource for Widget {
        const TYPE: &'static str = "Test::Widget";
    }

    fn scope(id: &str) -> Scope {
        Scope::stack("S").child(id)
    }

    #[test]
    fn renders_resources_in_insertion_order_with_attributes() {
        let mut t = Template::new();
        let b = t.add(&scope("B"), Widget { size: 1.into() }).unwrap();
        let a = t
            .add_with(
                &scope("A"),
                Widget { size: b.get_att("Size").into() },
                Options::new().depends_on(&b).on_removal(RemovalPolicy::Retain),
            )
            .unwrap();
        assert_eq!(a.id().as_str(), "A");
        let v = t.to_value().unwrap();
        assert_eq!(v["Resources"].as_object().unwrap().keys().collect::<Vec<_>>(), ["B", "A"]);
        assert_eq!(
            v["Resources"]["A"],
            json!({
                "Type": "Test::Widget",
                "Properties": {"Size": {"Fn::GetAtt": ["B", "Size"]}},
                "DependsOn": ["B"],
                "UpdateReplacePolicy": "Retain",
                "DeletionPolicy": "Retain"
            })
        );
    }

    #[test]
    fn a_logical_id_can_be_claimed_once() {
        let mut t = Template::new();
        t.add(&scope("A"), Widget { size: 1.into() }).unwrap();
        let err = t.add_parameter("A", Parameter::new("String")).unwrap_err();
        assert_eq!(err, TemplateError::DuplicateId(LogicalId::new("A")));
    }

    #[test]
    fn a_logical_id_must_be_alphanumeric() {
        let mut t = Template::new();
        let err = t.add_output(LogicalId::new("a-b"), Output::new("x")).unwrap_err();
        assert!(matches!(err, TemplateError::InvalidId(_)));
    }

    #[test]
    fn empty_sections_are_left_out() {
        let v = Template::new().to_value().unwrap();
        assert_eq!(v, json!({"AWSTemplateFormatVersion": "2010-09-09", "Resources": {}}));
    }
}

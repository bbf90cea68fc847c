//! CloudFormation values: a literal of any type, or an intrinsic function that yields one.
//!
//! Every property field is a `Value<T>`, so a number or a boolean can hold a `Ref` as easily as a
//! string can (the hole goformation and stratosphere leave open).

use indexmap::IndexMap;
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};

use super::LogicalId;

/// A property value: a literal, or an intrinsic function resolved by CloudFormation.
#[derive(Clone, Debug, PartialEq)]
pub enum Value<T> {
    Literal(T),
    Fn(Intrinsic),
    /// A required property no construct set (a resource built with `..Default::default()` that
    /// forgot it): writing the template fails rather than emit a value nobody chose.
    Unset,
}

// By hand: the derive would ask `T: Default`, which a document or an enum need not be.
#[allow(clippy::derivable_impls)]
impl<T> Default for Value<T> {
    fn default() -> Self {
        Value::Unset
    }
}

/// The intrinsic functions this tool emits.
#[derive(Clone, Debug, PartialEq)]
pub enum Intrinsic {
    Ref(String),
    GetAtt(LogicalId, &'static str),
    /// `Fn::Sub` over `${Name}` references to resources, parameters and pseudo parameters.
    Sub(String),
    /// `Fn::Sub` with variables of its own: `${Name}` takes the value given here (an intrinsic
    /// too, such as a `Fn::Select` a pattern cannot write) before resources and parameters.
    SubWith(String, IndexMap<String, Value<String>>),
    Select(usize, Box<Intrinsic>),
    /// `Fn::GetAZs ""`: the availability zones of the stack's region.
    GetAzs,
    Base64(Box<Value<String>>),
    /// `Fn::FindInMap`: a value of the template's mappings, by a top-level key (often the region).
    FindInMap(String, Box<Intrinsic>, String),
    /// `Fn::If` on a named condition, between two values of any shape.
    If(String, Box<serde_json::Value>, Box<serde_json::Value>),
    /// Condition functions, for the template's `Conditions`.
    Equals(Box<Intrinsic>, String),
    Or(Vec<Intrinsic>),
}

/// Pseudo parameters CloudFormation defines in every stack.
pub mod pseudo {
    use super::Intrinsic;

    pub fn region() -> Intrinsic {
        Intrinsic::Ref("AWS::Region".into())
    }
}

/// CloudFormation's limit on the conditions of one `Fn::Or`.
const MAX_OR_CONDITIONS: usize = 10;

impl Intrinsic {
    /// A condition true when any of `conditions` is, nested as needed to stay within the limit
    /// of ten per `Fn::Or`.
    pub fn any_of(mut conditions: Vec<Intrinsic>) -> Self {
        while conditions.len() > MAX_OR_CONDITIONS {
            conditions = conditions.chunks(MAX_OR_CONDITIONS).map(|chunk| Intrinsic::or_of(chunk.to_vec())).collect();
        }
        Intrinsic::or_of(conditions)
    }

    /// `Fn::Or` wants two conditions at least; one stands alone.
    fn or_of(mut conditions: Vec<Intrinsic>) -> Self {
        if conditions.len() == 1 { conditions.remove(0) } else { Intrinsic::Or(conditions) }
    }

    pub fn reference(id: &LogicalId) -> Self {
        Intrinsic::Ref(id.as_str().to_owned())
    }

    /// The `index`th availability zone of the region.
    pub fn availability_zone(index: usize) -> Self {
        Intrinsic::Select(index, Box::new(Intrinsic::GetAzs))
    }

    /// `Fn::Sub` of `pattern` with `variables`, each `(name, value)`.
    pub fn sub_with<V: Into<Value<String>>>(
        pattern: impl Into<String>,
        variables: impl IntoIterator<Item = (&'static str, V)>,
    ) -> Self {
        let variables = variables.into_iter().map(|(name, value)| (name.to_owned(), value.into())).collect();
        Intrinsic::SubWith(pattern.into(), variables)
    }

    pub fn base64(value: impl Into<Value<String>>) -> Self {
        Intrinsic::Base64(Box::new(value.into()))
    }
}

impl<T> From<Intrinsic> for Value<T> {
    fn from(f: Intrinsic) -> Self {
        Value::Fn(f)
    }
}

impl From<&str> for Value<String> {
    fn from(s: &str) -> Self {
        Value::Literal(s.to_owned())
    }
}

impl From<String> for Value<String> {
    fn from(s: String) -> Self {
        Value::Literal(s)
    }
}

macro_rules! literal_from {
    ($($t:ty),*) => {$(
        impl From<$t> for Value<$t> {
            fn from(v: $t) -> Self {
                Value::Literal(v)
            }
        }
    )*};
}
literal_from!(bool, u16, u32, u64, i64, f64);

impl<T: Serialize> Serialize for Value<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Literal(v) => v.serialize(serializer),
            Value::Fn(f) => f.serialize(serializer),
            Value::Unset => Err(serde::ser::Error::custom("a required property of a resource was left unset")),
        }
    }
}

impl Serialize for Intrinsic {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(1))?;
        match self {
            Intrinsic::Ref(name) => map.serialize_entry("Ref", name)?,
            Intrinsic::GetAtt(id, attribute) => map.serialize_entry("Fn::GetAtt", &(id, attribute))?,
            Intrinsic::Sub(pattern) => map.serialize_entry("Fn::Sub", pattern)?,
            Intrinsic::SubWith(pattern, variables) => map.serialize_entry("Fn::Sub", &(pattern, variables))?,
            Intrinsic::Select(index, list) => map.serialize_entry("Fn::Select", &(index, list))?,
            Intrinsic::GetAzs => map.serialize_entry("Fn::GetAZs", "")?,
            Intrinsic::Base64(value) => map.serialize_entry("Fn::Base64", value)?,
            Intrinsic::FindInMap(mapping, key, second) => {
                map.serialize_entry("Fn::FindInMap", &(mapping, key, second))?
            }
            Intrinsic::If(condition, then, otherwise) => {
                map.serialize_entry("Fn::If", &(condition, then, otherwise))?
            }
            Intrinsic::Equals(value, literal) => map.serialize_entry("Fn::Equals", &(value, literal))?,
            Intrinsic::Or(conditions) => map.serialize_entry("Fn::Or", conditions)?,
        }
        map.end()
    }
}

/// A list property: CloudFormation accepts each element as a value of its own.
pub type List<T> = Vec<Value<T>>;

/// Tags as the `[{Key, Value}]` list most resource types take.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Tags(IndexMap<String, Value<String>>);

impl Tags {
    pub fn new() -> Self {
        Tags::default()
    }

    pub fn with(mut self, key: impl Into<String>, value: impl Into<Value<String>>) -> Self {
        self.0.insert(key.into(), value.into());
        self
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&String, &Value<String>)> {
        self.0.iter()
    }

    /// Adds the tags of `other` whose keys are not here yet, after the ones here.
    pub fn add_missing(&mut self, other: &Tags) {
        for (key, value) in other.iter() {
            self.0.entry(key.clone()).or_insert_with(|| value.clone());
        }
    }

    /// `add_missing` for an optional tag list, creating it when there is none.
    pub fn add_missing_to(target: &mut Option<Tags>, other: &Tags) {
        target.get_or_insert_with(Tags::new).add_missing(other);
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Tag<'a> {
    key: &'a str,
    value: &'a Value<String>,
}

impl Serialize for Tags {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.0.len()))?;
        for (key, value) in &self.0 {
            seq.serialize_element(&Tag { key, value })?;
        }
        seq.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn to_json<T: Serialize>(v: &T) -> serde_json::Value {
        serde_json::to_value(v).unwrap()
    }

    /// A required property left to `Default` is never written as some value nobody chose.
    #[test]
    fn an_unset_required_value_fails_to_serialize() {
        let error = serde_json::to_value(Value::<String>::default()).unwrap_err();
        assert!(error.to_string().contains("left unset"), "{error}");
    }

    #[test]
    fn or_conditions_nest_within_the_limit_of_ten() {
        let equals = |i: usize| Intrinsic::Equals(Box::new(pseudo::region()), format!("r{i}"));
        let any = Intrinsic::any_of((0..26).map(equals).collect());
        let Intrinsic::Or(groups) = &any else { panic!("{any:?}") };
        assert_eq!(groups.len(), 3);
        assert!(groups.iter().all(|g| matches!(g, Intrinsic::Or(c) if c.len() <= 10 && c.len() >= 2)));
        assert_eq!(Intrinsic::any_of(vec![equals(0)]), equals(0));
        assert_eq!(
            to_json(&Intrinsic::any_of(vec![equals(0), equals(1)])),
            json!({"Fn::Or": [{"Fn::Equals": [{"Ref": "AWS::Region"}, "r0"]}, {"Fn::Equals": [{"Ref": "AWS::Region"}, "r1"]}]})
        );
    }

    #[test]
    fn literals_serialize_as_themselves() {
        assert_eq!(to_json(&Value::from(300u32)), json!(300));
        assert_eq!(to_json(&Value::from("web")), json!("web"));
        assert_eq!(to_json(&Value::from(true)), json!(true));
    }

    #[test]
    fn a_number_can_hold_a_ref() {
        let count: Value<u32> = Intrinsic::Ref("DesiredCount".into()).into();
        assert_eq!(to_json(&count), json!({"Ref": "DesiredCount"}));
    }

    #[test]
    fn intrinsics_use_cloudformation_long_form() {
        let id = LogicalId::new("Lb");
        assert_eq!(to_json(&Intrinsic::GetAtt(id, "DNSName")), json!({"Fn::GetAtt": ["Lb", "DNSName"]}));
        assert_eq!(to_json(&Intrinsic::availability_zone(1)), json!({"Fn::Select": [1, {"Fn::GetAZs": ""}]}));
        assert_eq!(
            to_json(&Intrinsic::base64(Intrinsic::Sub("x=${Y}".into()))),
            json!({"Fn::Base64": {"Fn::Sub": "x=${Y}"}})
        );
        // Variables are CloudFormation's second element: a map of names to values or intrinsics.
        assert_eq!(
            to_json(&Intrinsic::sub_with(
                "${Zone}-${Bucket}",
                [("Zone", Value::from(Intrinsic::availability_zone(0)))]
            )),
            json!({"Fn::Sub": ["${Zone}-${Bucket}", {"Zone": {"Fn::Select": [0, {"Fn::GetAZs": ""}]}}]})
        );
    }

    #[test]
    fn tags_keep_insertion_order() {
        let tags = Tags::new().with("b", "2").with("a", "1");
        assert_eq!(to_json(&tags), json!([{"Key": "b", "Value": "2"}, {"Key": "a", "Value": "1"}]));
    }
}

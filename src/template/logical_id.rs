//! Construct paths and the logical IDs the AWS CDK derives from them.
//!
//! Matching the CDK's scheme exactly lets a stack first deployed with the CDK be taken over without
//! CloudFormation replacing any resource, so this is a line-for-line port of `makeUniqueId`.

use std::fmt;

use md5::{Digest, Md5};
use serde::{Serialize, Serializer};

/// Dropped from paths before anything else, like a CDK construct named `Default`.
const DEFAULT_COMPONENT: &str = "Default";
/// Dropped from the readable part only: the hash still covers it.
const RESOURCE_COMPONENT: &str = "Resource";
const MAX_HUMAN_LEN: usize = 240;
const MAX_ID_LEN: usize = 255;
const HASH_LEN: usize = 8;

/// Where a construct sits in the stack: the stack's name, then construct IDs from the top down.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scope {
    stack_name: String,
    components: Vec<String>,
    /// The part of the stack its resources belong to, as whoever made the scope named it (the
    /// pattern: network, load balancer, a service...); children inherit it. Not part of the path,
    /// so it never changes a logical ID.
    group: Option<String>,
}

impl Scope {
    pub fn stack(stack_name: impl Into<String>) -> Self {
        Scope { stack_name: stack_name.into(), components: Vec::new(), group: None }
    }

    pub fn child(&self, id: impl Into<String>) -> Self {
        let mut components = self.components.clone();
        components.push(id.into());
        Scope { stack_name: self.stack_name.clone(), components, group: self.group.clone() }
    }

    /// The same scope, its resources (and its children's) in `group`.
    pub fn grouped(&self, group: impl Into<String>) -> Self {
        Scope { group: Some(group.into()), ..self.clone() }
    }

    pub fn group(&self) -> Option<&str> {
        self.group.as_deref()
    }

    /// The logical ID of the resource at this path (the stack's name is not part of it).
    pub fn logical_id(&self) -> LogicalId {
        LogicalId(make_unique_id(&self.components))
    }

    /// The CDK's `Names.uniqueId`: like the logical ID, but the stack's name is included.
    /// The CDK uses it inside names and descriptions that must be unique across stacks.
    pub fn unique_id(&self) -> String {
        let mut all = Vec::with_capacity(self.components.len() + 1);
        all.push(self.stack_name.clone());
        all.extend(self.components.iter().cloned());
        make_unique_id(&all)
    }

    /// The construct path as the CDK prints it, e.g. `Bonjour/MyVpc/PublicSubnet1`.
    pub fn node_path(&self) -> String {
        std::iter::once(self.stack_name.as_str())
            .chain(self.components.iter().map(String::as_str))
            .collect::<Vec<_>>()
            .join("/")
    }
}

/// The name of a resource, parameter or output inside one template.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LogicalId(String);

impl LogicalId {
    /// A logical ID chosen by hand rather than derived from a path (parameters, mappings,
    /// conditions): made only by the template, which checks it is unique and well formed.
    pub(in crate::template) fn new(id: impl Into<String>) -> Self {
        LogicalId(id.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for LogicalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for LogicalId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

/// The CDK's `makeUniqueId` (core/lib/private/uniqueid.ts).
pub fn make_unique_id<S: AsRef<str>>(components: &[S]) -> String {
    let components: Vec<&str> = components.iter().map(AsRef::as_ref).filter(|c| *c != DEFAULT_COMPONENT).collect();

    if let [single] = components.as_slice() {
        let id = remove_non_alphanumeric(single);
        if id.len() <= MAX_ID_LEN {
            return id;
        }
    }

    let hash = path_hash(&components);
    let human: String = remove_dupes(&components)
        .into_iter()
        .filter(|c| *c != RESOURCE_COMPONENT)
        .map(remove_non_alphanumeric)
        .collect();
    let human: String = human.chars().take(MAX_HUMAN_LEN).collect();
    human + &hash
}

fn path_hash(components: &[&str]) -> String {
    let digest = Md5::digest(components.join("/").as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02X}")).collect();
    hex[..HASH_LEN].to_string()
}

/// Drops a component when the previously kept one already ends with it (`Service/Service` → `Service`).
fn remove_dupes<'a>(components: &[&'a str]) -> Vec<&'a str> {
    let mut kept: Vec<&str> = Vec::with_capacity(components.len());
    for &c in components {
        if kept.last().is_none_or(|prev| !prev.ends_with(c)) {
            kept.push(c);
        }
    }
    kept
}

fn remove_non_alphanumeric(s: &str) -> String {
    s.chars().filter(char::is_ascii_alphanumeric).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(path: &str) -> String {
        make_unique_id(&path.split('/').collect::<Vec<_>>())
    }

    #[test]
    fn matches_the_cdk_test_vectors() {
        let cases = [
            ("Parent/Child/Resource/HeyThere", "ParentChildHeyThere35220347"),
            ("Foo-bar/B00m/Hello_World/&&Horray Horray.", "FoobarB00mHelloWorldHorrayHorray640E99FB"),
            ("Foobar/B00m/HelloWorld/HorrayHorray", "FoobarB00mHelloWorldHorrayHorray744334FD"),
            ("Foo-bar", "Foobar"),
            ("Parent/ThingResource", "ParentThingResource75D1D9CB"),
            ("Service/Service/CloudmapService/Resource", "ServiceCloudmapServiceDE76B29D"),
            ("EcsCluster/Resource", "EcsCluster97242B84"),
            ("MyVpc/Resource", "MyVpcF9F0CA6F"),
            ("EcsCluster/DefaultAutoScalingGroup/ASG", "EcsClusterDefaultAutoScalingGroupASGC1A785DB"),
            ("MyVpc/PrivateSubnet1/Subnet", "MyVpcPrivateSubnet1Subnet5057CF7E"),
            (
                "EcsCluster/DefaultAutoScalingGroup/LifecycleHookDrainHook/Topic/Resource",
                "EcsClusterDefaultAutoScalingGroupLifecycleHookDrainHookTopicACD2D4A4",
            ),
        ];
        for (path, expected) in cases {
            assert_eq!(id(path), expected, "path {path}");
        }
    }

    #[test]
    fn a_long_single_component_is_cut_and_hashed() {
        let long = "x".repeat(256);
        assert_eq!(make_unique_id(&[long.as_str()]), format!("{}C7A139A2", "x".repeat(240)));
    }

    #[test]
    fn default_components_vanish_before_hashing() {
        assert_eq!(id("Parent/Default/HeyThere"), id("Parent/HeyThere"));
    }

    #[test]
    fn scope_renders_paths_and_unique_ids() {
        let lb = Scope::stack("Bonjour").child("Ec2Service").child("LB");
        assert_eq!(lb.node_path(), "Bonjour/Ec2Service/LB");
        assert_eq!(lb.unique_id(), "BonjourEc2ServiceLB066AC4BC");
        assert_eq!(lb.child("Resource").logical_id().as_str(), "Ec2ServiceLB381329CE");
    }
}

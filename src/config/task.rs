//! The task's settings beyond its containers (`constructs::container`): the task role,
//! the storage its containers mount, and where ECS places the tasks.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::constructs::container::ContainerConfig;
pub(crate) use crate::constructs::container::written_name;
use crate::constructs::service::PlacementStrategyName;

/// Storage the task's containers can mount: an EFS file system, a directory of the instance, or
/// (with neither) a scratch directory the task's containers share while it runs.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct VolumeConfig {
    /// Letters, digits, hyphens and underscores, at most 255; unique in the task.
    ///
    /// Default: - none; required.
    pub name: String,
    /// An Amazon EFS file system: shared by every task, kept when tasks and instances go.
    ///
    /// Default: - none.
    pub efs: Option<EfsVolumeConfig>,
    /// An absolute path on the instance: kept while the instance lives.
    ///
    /// Default: - none.
    pub host_path: Option<String>,
}

/// An EFS file system of the existing VPC (`vpc.existing`), with a mount target in every zone of
/// the instances' subnets. The stack lets the instances reach the mount targets on NFS.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct EfsVolumeConfig {
    /// The file system's ID, such as fs-0123456789abcdef0.
    ///
    /// Default: - none; required.
    pub file_system_id: String,
    /// The security group of the file system's mount targets, such as sg-0123456789abcdef0. The
    /// stack adds a rule to it that admits NFS (TCP 2049) from the instances' security group, and
    /// the services start once it is there; deleting the stack removes the rule, and replacing
    /// the instances' group moves it.
    ///
    /// Default: - none; required.
    pub security_group_id: String,
    /// An access point's ID, such as fsap-0123456789abcdef0: it fixes the directory and the
    /// user the task sees.
    ///
    /// Default: - none.
    pub access_point_id: Option<String>,
    /// The directory of the file system to mount, without an access point.
    ///
    /// Default: - the file system's root.
    pub root_directory: Option<String>,
    /// Encrypt the traffic to EFS (TLS). Required by an access point and by IAM authorization.
    ///
    /// Default: true
    pub transit_encryption: bool,
    /// Mount with the task role's identity, so the file system's policy can tell tasks apart;
    /// the task role may then mount (and write, unless every mount is read-only) this file
    /// system, through the access point when one is given.
    ///
    /// Default: true
    pub iam_authorization: bool,
}

impl Default for EfsVolumeConfig {
    fn default() -> Self {
        EfsVolumeConfig {
            file_system_id: String::new(),
            security_group_id: String::new(),
            access_point_id: None,
            root_directory: None,
            transit_encryption: true,
            iam_authorization: true,
        }
    }
}

/// Where ECS places the service's tasks among the instances.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct PlacementConfig {
    /// Strategies, applied in order, at most 5.
    ///
    /// Default: - none in the template, as the CDK writes it: ECS then spreads a service's tasks
    /// across zones ("Use strategies to define Amazon ECS task placement"), as `spread-az` would.
    pub strategy: Vec<PlacementStrategyName>,
    /// Constraints every placement must meet, at most 10: `distinct-instance` (one task per
    /// instance), or a cluster query language expression such as
    /// `attribute:ecs.instance-type =~ t3.*` (a memberOf constraint).
    ///
    /// Default: - none.
    pub constraints: Vec<String>,
}

/// The placement constraint that is a word, not an expression.
pub(crate) const DISTINCT_INSTANCE: &str = "distinct-instance";

impl super::ServiceConfig {
    /// The task's containers: the main one first, then the sidecars in order.
    pub(crate) fn containers(&self) -> impl Iterator<Item = &ContainerConfig> {
        std::iter::once(&self.container).chain(&self.sidecars)
    }
}

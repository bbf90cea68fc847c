//! The file's capacity section: the instances, their image, how they are replaced and drained.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Architecture, MachineImage, RefreshConfig, SpotConfig};
use crate::bounds;

/// The EC2 instances of the cluster, in an Auto Scaling group.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct CapacityConfig {
    /// The EC2 instance type.
    ///
    /// Default: t2.micro
    pub instance_type: String,
    /// The ECS-optimized image family, resolved at deploy time from its public SSM parameter; the
    /// arm64 build when `instance_type` is a Graviton type. Amazon Linux 2 reached its end of life
    /// on 2026-06-30 (no more security fixes): it stays selectable, with a warning.
    ///
    /// Default: amazon-linux-2023
    pub machine_image: MachineImage,
    /// Pin the instances to this AMI (ami-0123456789abcdef0) instead of the family's current
    /// image: instances are then replaced only when you change it. It must be an ECS-optimized
    /// (or Bottlerocket for ECS) image of `machine_image`'s family and of the instance type's
    /// architecture, in the stack's region. Without it, a deploy after AWS publishes a new image
    /// replaces the instances.
    ///
    /// Default: - the family's current image, read from its public SSM parameter at every deploy.
    pub image_id: Option<String>,
    /// How a deploy that changes the instances' launch template (a new image, instance type,
    /// user data...) replaces them. `rolling`: one instance at a time, a new one launched and in
    /// service before an old one is drained and terminated, so the group never has fewer than
    /// `min_capacity` (and never none); when `min_capacity` equals `max_capacity` the group's
    /// maximum is one above it, which only an update uses. `replacing`: a whole new group is
    /// created, and the old one deleted once it exists; faster for big groups, but the old
    /// instances go with their group, undrained. `refresh`: Auto Scaling's instance refresh, as
    /// `refresh` sets it: replacements launched first, each old instance drained by the hook (or
    /// by ECS with managed draining) before it ends, checkpoints, bake time and alarms.
    ///
    /// Default: rolling
    pub update_policy: InstanceUpdatePolicy,
    /// With `update_policy: refresh`, how the refresh goes.
    ///
    /// Default: - the settings' own defaults.
    pub refresh: Option<RefreshConfig>,
    /// Default: 1
    pub min_capacity: u32,
    /// Default: 1
    pub max_capacity: u32,
    /// Between `min_capacity` and `max_capacity`.
    ///
    /// Default: - left to Auto Scaling, which starts at `min_capacity`.
    pub desired_capacity: Option<u32>,
    /// An EC2 key pair for SSH access.
    ///
    /// Default: - none.
    pub key_name: Option<String>,
    /// Size of the encrypted gp3 volume the containers live on (the root volume; on Bottlerocket its
    /// data volume), in GiB.
    ///
    /// Default: 30
    #[schemars(range(min = bounds::ROOT_VOLUME_GIB.min, max = bounds::ROOT_VOLUME_GIB.max), extend("x-range-reason" = bounds::ROOT_VOLUME_GIB.reason))]
    pub root_volume_gib: u32,
    /// How an instance being taken away gets rid of its tasks first.
    ///
    /// Default: hook
    pub draining: Draining,
    /// How long an instance being terminated may take to drain its tasks: the lifecycle hook's
    /// heartbeat. 0 leaves out the drain hook entirely (as `draining: none`); otherwise 30 to
    /// 172800 (48 hours). Only with `draining: hook`.
    ///
    /// Default: 300 (5 minutes, the CDK's).
    pub task_drain_time_seconds: u32,
    /// The customer-managed KMS key (its ARN, arn:aws:kms:REGION:ACCOUNT:key/ID) that encrypts the
    /// drain hook's SNS topic; the hook's role is allowed to use it. Only with the drain hook.
    ///
    /// Default: - the AWS-managed key for SNS (alias/aws/sns): encrypted, with nothing to manage.
    pub drain_topic_kms_key_arn: Option<String>,
    /// Run instances on Spot capacity, from several instance types, with an on-demand share if
    /// wanted. Two minutes before Spot takes an instance back, ECS drains it.
    ///
    /// Default: - none: on-demand instances of `instance_type` only.
    pub spot: Option<SpotConfig>,
}

impl Default for CapacityConfig {
    fn default() -> Self {
        CapacityConfig {
            instance_type: "t2.micro".into(),
            machine_image: MachineImage::AmazonLinux2023,
            image_id: None,
            update_policy: InstanceUpdatePolicy::Rolling,
            refresh: None,
            min_capacity: 1,
            max_capacity: 1,
            desired_capacity: None,
            key_name: None,
            root_volume_gib: 30,
            draining: Draining::Hook,
            task_drain_time_seconds: 300,
            drain_topic_kms_key_arn: None,
            spot: None,
        }
    }
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum InstanceUpdatePolicy {
    /// One instance at a time, the new one in service before the old one is drained.
    Rolling,
    /// A new group, then the old one deleted.
    Replacing,
    /// Auto Scaling's instance refresh (`capacity.refresh` sets it), started by CloudFormation.
    Refresh,
}

/// How instances are drained, with the settings of that way, resolved from `draining` and
/// `task_drain_time_seconds` (0 turns the hook off, as `taskDrainTime: 0` does in the CDK).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DrainPlan<'a> {
    /// A lifecycle hook holds each terminating instance while the drainer empties it.
    Hook { drain_time_seconds: u32, topic_key_arn: Option<&'a str> },
    /// An ECS capacity provider drains the instances it takes away.
    Managed,
    /// Tasks stop with their instance.
    None,
}

impl CapacityConfig {
    /// The instances' architecture, which the image and every Spot type must share.
    pub fn architecture(&self) -> Architecture {
        Architecture::of_instance_type(&self.instance_type)
    }

    pub fn drain_plan(&self) -> DrainPlan<'_> {
        match (self.draining, self.task_drain_time_seconds) {
            (Draining::Hook, 0) | (Draining::None, _) => DrainPlan::None,
            (Draining::Hook, seconds) => {
                DrainPlan::Hook { drain_time_seconds: seconds, topic_key_arn: self.drain_topic_kms_key_arn.as_deref() }
            }
            (Draining::Managed, _) => DrainPlan::Managed,
        }
    }
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Draining {
    /// A lifecycle hook, an SNS topic and the drainer function (the CDK's way, made robust).
    Hook,
    /// An ECS capacity provider with managed scaling, termination protection and draining: ECS
    /// scales the instances to the tasks and drains each one it takes away.
    Managed,
    /// None: tasks on a terminated instance stop with it.
    None,
}

//! The cluster's EC2 capacity: an Auto Scaling group of ECS-optimized instances that join the cluster.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::aws::{Architecture, ImageFamily};
use crate::bounds;
use crate::constructs::{add_role_policy, name_tag};
use crate::resources::autoscaling::{
    AlarmSpecification, AutoScalingGroup, InstanceRefresh, InstancesDistribution, LaunchTemplateOverrides,
    LaunchTemplateSpecification, MixedInstancesPolicy, MixedLaunchTemplate, ProtectedInstances, RefreshPreferences,
    RefreshStrategy, ReplacingUpdate, RollingUpdate, ScheduledAction, SpotAllocationStrategy, TagProperty,
    UpdatePolicy,
};
use crate::resources::ec2::{
    BlockDeviceMapping, Ebs, Egress, IamInstanceProfile, LaunchTemplate, LaunchTemplateData,
    LaunchTemplateTagSpecification, MetadataOptions, SecurityGroup, TagSpecification, TaggedResource,
};
use crate::resources::ecs::Cluster;
use crate::resources::iam::{InstanceProfile, Policy, Role, Statement};
use crate::template::{
    Handle, Intrinsic, List, LogicalId, Options, Parameter, Scope, Template, TemplateError, Value, make_unique_id,
};

/// The CDK's marker for an SSM parameter imported as a template parameter; part of the logical ID.
const SSM_IMPORT_MARKER: &str = "C96584B6-F00A-464E-AD19-53AFF4B05118";
const IMAGE_PARAMETER_TYPE: &str = "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>";

/// What the configuration decides about the instances.
#[derive(Clone, Debug, PartialEq)]
pub struct CapacityProps {
    pub instance_type: String,
    /// The instance type's, which picks the image's build.
    pub architecture: Architecture,
    pub machine_image: ImageFamily,
    /// An AMI to use instead of the family's current one from SSM.
    pub pinned_image_id: Option<String>,
    pub update_style: UpdateStyle,
    /// The size of the volume the containers live on: the root volume, or Bottlerocket's data volume.
    pub root_volume_gib: u32,
    pub key_name: Option<String>,
    pub min_capacity: u32,
    pub max_capacity: u32,
    pub desired_capacity: Option<u32>,
    pub spot: Option<SpotConfig>,
    /// ECS manages the group (a capacity provider with managed termination protection), which
    /// requires new instances protected from scale-in.
    pub managed_by_ecs: bool,
}

/// Where the instances run, and the cluster they join.
pub struct InstancePlacement<'a> {
    pub vpc_id: Value<String>,
    pub subnets: List<String>,
    pub cluster: &'a Handle<Cluster>,
}

/// How a deploy that changes the launch template replaces the instances.
#[derive(Clone, Debug, PartialEq)]
pub enum UpdateStyle {
    /// One at a time, the new one in service before the old one is drained.
    Rolling,
    /// A new group, then the old one deleted.
    Replacing,
    /// Auto Scaling's instance refresh, started by CloudFormation.
    Refresh(RefreshConfig),
}

/// How an instance refresh replaces the instances (`capacity.update_policy: refresh`).
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct RefreshConfig {
    /// The share of the desired capacity kept in service and healthy while instances are
    /// replaced: 100 launches each replacement before its instance is drained and terminated.
    ///
    /// Default: 100
    #[schemars(range(min = bounds::PERCENT.min, max = bounds::PERCENT.max))]
    pub min_healthy_percent: u32,
    /// The share of the desired capacity that may be in service or launching meanwhile, at most
    /// 100 above `min_healthy_percent`: how many instances are replaced at once.
    ///
    /// Default: 200
    #[schemars(range(min = bounds::MAX_HEALTHY_PERCENT.min, max = bounds::MAX_HEALTHY_PERCENT.max))]
    pub max_healthy_percent: u32,
    /// Seconds a new instance is given after it is in service before the refresh counts it.
    ///
    /// Default: - the group's health check grace period.
    pub instance_warmup_seconds: Option<u32>,
    /// Percentages of the instances replaced at which the refresh pauses, ascending, the last
    /// 100, such as [50, 100].
    ///
    /// Default: - none: no pause.
    pub checkpoints: Vec<u32>,
    /// Seconds each checkpoint pauses.
    ///
    /// Default: - 3600 with checkpoints.
    #[schemars(range(min = bounds::REFRESH_SECONDS.min, max = bounds::REFRESH_SECONDS.max))]
    pub checkpoint_delay_seconds: Option<u32>,
    /// Seconds the refresh waits after the last replacement, watching `alarms`, before it is
    /// done (and the stack update with it).
    ///
    /// Default: 0
    #[schemars(range(min = bounds::REFRESH_SECONDS.min, max = bounds::REFRESH_SECONDS.max))]
    pub bake_time_seconds: u32,
    /// Leave instances that already have the new launch template alone.
    ///
    /// Default: true
    pub skip_matching: bool,
    /// CloudWatch alarms, by name, that fail the refresh (and so the stack update) when they
    /// go off; at most 10.
    ///
    /// Default: - none.
    pub alarms: Vec<String>,
}

impl Default for RefreshConfig {
    fn default() -> Self {
        RefreshConfig {
            min_healthy_percent: 100,
            max_healthy_percent: 200,
            instance_warmup_seconds: None,
            checkpoints: Vec::new(),
            checkpoint_delay_seconds: None,
            bake_time_seconds: 0,
            skip_matching: true,
            alarms: Vec::new(),
        }
    }
}

/// Spot capacity for the Auto Scaling group: a mixed-instances policy.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct SpotConfig {
    /// More instance types to draw from besides `instance_type`, of the same architecture and
    /// similar size: the more pools, the fewer interruptions. At most 39.
    ///
    /// Default: - none.
    pub instance_types: Vec<String>,
    /// Instances that are always on demand, the first ones launched.
    ///
    /// Default: 0
    pub on_demand_base_capacity: u32,
    /// Of the instances above that base, the percentage on demand.
    ///
    /// Default: 0
    #[schemars(range(min = bounds::PERCENT.min, max = bounds::PERCENT.max))]
    pub on_demand_percentage: u32,
    /// The most to pay per instance-hour, in US dollars, such as 0.05.
    ///
    /// Default: - the on-demand price.
    pub max_price: Option<f64>,
}

pub struct Capacity {
    pub security_group: Handle<SecurityGroup>,
    pub security_group_scope: Scope,
    pub auto_scaling_group: Handle<AutoScalingGroup>,
    instance_role: Handle<Role>,
    instance_role_scope: Scope,
    /// Whether the group's configured maximum is above its minimum, so scaling can add instances.
    can_grow: bool,
}

impl Capacity {
    pub fn build(
        t: &mut Template,
        scope: &Scope,
        props: &CapacityProps,
        placement: InstancePlacement<'_>,
    ) -> Result<Capacity, TemplateError> {
        let architecture = props.architecture;
        let image_id: Value<String> = match &props.pinned_image_id {
            Some(ami) => ami.clone().into(),
            None => {
                Intrinsic::reference(&add_image_parameter(t, props.machine_image.ssm_parameter(architecture))?).into()
            }
        };

        let security_group_scope = scope.child("InstanceSecurityGroup");
        let security_group = t.add(
            &security_group_scope.child("Resource"),
            SecurityGroup {
                group_description: security_group_scope.node_path().into(),
                // The agent needs ECS, ECR and the image registry; their addresses are not fixed.
                security_group_egress: Some(vec![Egress {
                    cidr_ip: Some("0.0.0.0/0".into()),
                    description: Some("Allow all outbound traffic by default".into()),
                    ip_protocol: "-1".into(),
                    ..Egress::default()
                }]),
                tags: Some(name_tag(scope.node_path())),
                vpc_id: Some(placement.vpc_id),
                ..SecurityGroup::default()
            },
        )?;

        let role_scope = scope.child("InstanceRole");
        let role = t.add(
            &role_scope.child("Resource"),
            Role::for_service("ec2.amazonaws.com").tags(name_tag(scope.node_path())),
        )?;
        let policy = add_role_policy(
            t,
            &role_scope,
            "DefaultPolicy",
            &role,
            ecs_agent_statements(placement.cluster, props.spot.is_some()),
        )?;
        let profile = t.add(
            &scope.child("InstanceProfile"),
            InstanceProfile { roles: vec![role.role_name().into()], ..InstanceProfile::default() },
        )?;

        let user_data = joins_cluster(props.machine_image, placement.cluster, props.spot.is_some());
        let launch_template_scope = scope.child("LaunchTemplate");
        let launch_template = t.add_with(
            &launch_template_scope.child("Resource"),
            LaunchTemplate {
                launch_template_data: LaunchTemplateData {
                    block_device_mappings: Some(volumes(props.machine_image, props.root_volume_gib)),
                    iam_instance_profile: Some(IamInstanceProfile {
                        arn: Some(profile.arn().into()),
                        ..IamInstanceProfile::default()
                    }),
                    image_id: Some(image_id),
                    instance_type: Some(props.instance_type.clone().into()),
                    key_name: props.key_name.clone().map(Into::into),
                    // IMDSv2 only, one hop: the agent (host network) reaches the instance role's
                    // credentials, containers in bridge mode cannot; they use their task role.
                    metadata_options: Some(MetadataOptions {
                        http_endpoint: Some("enabled".into()),
                        http_put_response_hop_limit: Some(1.into()),
                        http_tokens: Some("required".into()),
                        ..MetadataOptions::default()
                    }),
                    security_group_ids: Some(vec![security_group.group_id().into()]),
                    tag_specifications: Some(vec![TagSpecification {
                        resource_type: Some(TaggedResource::Volume),
                        tags: Some(name_tag(scope.node_path())),
                    }]),
                    user_data: Some(Intrinsic::base64(Intrinsic::Sub(user_data)).into()),
                    ..LaunchTemplateData::default()
                },
                tag_specifications: Some(vec![LaunchTemplateTagSpecification {
                    resource_type: Some(TaggedResource::LaunchTemplate),
                    tags: Some(name_tag(launch_template_scope.node_path())),
                }]),
                ..LaunchTemplate::default()
            },
            // Instances must not start before their role can register them with the cluster.
            Options::new().depends_on(&policy),
        )?;

        let (max_size, update_policy) = sized_for_updates(props.min_capacity, props.max_capacity, &props.update_style);
        let auto_scaling_group = t.add_with(
            &scope.child("ASG"),
            AutoScalingGroup {
                // Spot: replace an instance at risk before it is taken back, not after.
                capacity_rebalance: props.spot.as_ref().map(|_| true.into()),
                desired_capacity: props.desired_capacity.map(|d| d.to_string().into()),
                launch_template: props.spot.is_none().then(|| launch_template_version(&launch_template)),
                max_size: max_size.to_string().into(),
                min_size: props.min_capacity.to_string().into(),
                mixed_instances_policy: props
                    .spot
                    .as_ref()
                    .map(|spot| mixed_instances(spot, &props.instance_type, launch_template_version(&launch_template))),
                new_instances_protected_from_scale_in: props.managed_by_ecs.then(|| true.into()),
                tags: Some(vec![TagProperty {
                    key: "Name".into(),
                    propagate_at_launch: true.into(),
                    value: scope.node_path().into(),
                }]),
                vpc_zone_identifier: Some(placement.subnets),
                ..AutoScalingGroup::default()
            },
            Options::new().update_policy(update_policy),
        )?;

        Ok(Capacity {
            security_group,
            security_group_scope,
            auto_scaling_group,
            instance_role: role,
            instance_role_scope: role_scope,
            can_grow: props.max_capacity > props.min_capacity,
        })
    }

    /// Whether scaling can add instances: the configured maximum is above the minimum (the
    /// headroom a rolling update takes does not count).
    pub fn can_grow(&self) -> bool {
        self.can_grow
    }

    /// Gives the instances more permissions, as a policy of its own: for grants on resources
    /// created after the capacity, such as the log group the Docker daemon writes to.
    pub fn grant(
        &self,
        t: &mut Template,
        name: &str,
        statements: Vec<Statement>,
    ) -> Result<Handle<Policy>, TemplateError> {
        add_role_policy(t, &self.instance_role_scope, name, &self.instance_role, statements)
    }
}

/// The group's maximum size and its update policy, decided together. A rolling update keeps
/// `min_capacity` instances in service, launching a new instance before an old one is drained
/// and terminated. CloudFormation requires `MinInstancesInService` below the group's `MaxSize`
/// ("UpdatePolicy attribute", CloudFormation User Guide), so a group whose minimum is its maximum
/// (one instance, say) gets one instance of headroom above it, which only an update uses (nothing
/// else scales such a group). A replacing update makes a new group and deletes the old one once
/// the new one exists.
fn sized_for_updates(min_capacity: u32, max_capacity: u32, style: &UpdateStyle) -> (u32, UpdatePolicy) {
    let (max_size, rolling, replacing, refresh) = match style {
        UpdateStyle::Rolling => (
            max_capacity.max(min_capacity + 1),
            Some(RollingUpdate { max_batch_size: 1, min_instances_in_service: min_capacity }),
            None,
            None,
        ),
        UpdateStyle::Replacing => (max_capacity, None, Some(ReplacingUpdate { will_replace: true }), None),
        // The same headroom as a rolling update's, for a refresh that launches before it
        // terminates (a maximum healthy percentage above 100) in a group at its maximum.
        UpdateStyle::Refresh(refresh) => {
            (max_capacity.max(min_capacity + 1), None, None, Some(instance_refresh(refresh)))
        }
    };
    let policy = UpdatePolicy {
        auto_scaling_instance_refresh: refresh,
        auto_scaling_replacing_update: replacing,
        auto_scaling_rolling_update: rolling,
        auto_scaling_scheduled_action: ScheduledAction { ignore_unmodified_group_size_properties: true },
    };
    (max_size, policy)
}

/// The refresh CloudFormation starts when the launch template changes. Protected instances (ECS's
/// managed termination protection) are refreshed too: ECS's managed draining holds each in its
/// own terminate lifecycle hook until its tasks have moved ("Safely manage Amazon EC2 instance
/// termination with managed instance draining", ECS Developer Guide), and `Wait` would wait on a
/// protection ECS keeps while tasks run, `Ignore` would never replace them.
fn instance_refresh(refresh: &RefreshConfig) -> InstanceRefresh {
    InstanceRefresh {
        strategy: RefreshStrategy::Rolling,
        preferences: Some(RefreshPreferences {
            alarm_specification: (!refresh.alarms.is_empty())
                .then(|| AlarmSpecification { alarms: refresh.alarms.clone() }),
            bake_time: (refresh.bake_time_seconds > 0).then_some(refresh.bake_time_seconds),
            checkpoint_delay: refresh.checkpoint_delay_seconds,
            checkpoint_percentages: (!refresh.checkpoints.is_empty()).then(|| refresh.checkpoints.clone()),
            instance_warmup: refresh.instance_warmup_seconds,
            max_healthy_percentage: refresh.max_healthy_percent,
            min_healthy_percentage: refresh.min_healthy_percent,
            scale_in_protected_instances: ProtectedInstances::Refresh,
            skip_matching: refresh.skip_matching,
        }),
    }
}

fn launch_template_version(launch_template: &Handle<LaunchTemplate>) -> LaunchTemplateSpecification {
    LaunchTemplateSpecification {
        launch_template_id: Some(launch_template.launch_template_id().into()),
        version: launch_template.latest_version_number().into(),
        ..LaunchTemplateSpecification::default()
    }
}

/// The primary type and the others, on demand up to the configured share, Spot from the pools
/// least likely to be interrupted at the lowest price.
fn mixed_instances(
    spot: &SpotConfig,
    primary: &str,
    launch_template: LaunchTemplateSpecification,
) -> MixedInstancesPolicy {
    let types = std::iter::once(primary).chain(spot.instance_types.iter().map(String::as_str));
    MixedInstancesPolicy {
        instances_distribution: Some(InstancesDistribution {
            on_demand_base_capacity: Some(spot.on_demand_base_capacity.into()),
            on_demand_percentage_above_base_capacity: Some(spot.on_demand_percentage.into()),
            spot_allocation_strategy: Some(SpotAllocationStrategy::PriceCapacityOptimized),
            spot_max_price: spot.max_price.map(|price| price.to_string().into()),
            ..InstancesDistribution::default()
        }),
        launch_template: MixedLaunchTemplate {
            launch_template_specification: launch_template,
            overrides: Some(
                types
                    .map(|t| LaunchTemplateOverrides {
                        instance_type: Some(t.into()),
                        ..LaunchTemplateOverrides::default()
                    })
                    .collect(),
            ),
        },
    }
}

/// User data that makes the instance's ECS agent join `cluster`, and with Spot drain its tasks
/// when the two-minute interruption notice comes.
fn joins_cluster(image: ImageFamily, cluster: &Handle<Cluster>, spot: bool) -> String {
    let cluster = cluster.sub_ref();
    match image {
        ImageFamily::AmazonLinux2 | ImageFamily::AmazonLinux2023 => {
            let mut script = format!("#!/bin/bash\necho ECS_CLUSTER={cluster} >> /etc/ecs/ecs.config\n");
            if spot {
                script.push_str("echo ECS_ENABLE_SPOT_INSTANCE_DRAINING=true >> /etc/ecs/ecs.config\n");
            }
            script
        }
        // Bottlerocket reads TOML settings, not a script.
        ImageFamily::Bottlerocket => {
            let mut settings = format!("[settings.ecs]\ncluster = \"{cluster}\"\n");
            if spot {
                settings.push_str("enable-spot-instance-draining = true\n");
            }
            settings
        }
    }
}

/// Encrypted gp3 volumes: the root volume, and on Bottlerocket the data volume the containers
/// live on (its small OS volume keeps the image's size).
fn volumes(image: ImageFamily, data_gib: u32) -> Vec<BlockDeviceMapping> {
    let volume = |device: &str, size: Option<u32>| BlockDeviceMapping {
        device_name: Some(device.into()),
        ebs: Some(Ebs {
            delete_on_termination: Some(true.into()),
            encrypted: Some(true.into()),
            volume_size: size.map(Into::into),
            volume_type: Some("gp3".into()),
            ..Ebs::default()
        }),
        ..BlockDeviceMapping::default()
    };
    match image {
        ImageFamily::AmazonLinux2 | ImageFamily::AmazonLinux2023 => vec![volume("/dev/xvda", Some(data_gib))],
        ImageFamily::Bottlerocket => vec![volume("/dev/xvda", None), volume("/dev/xvdb", Some(data_gib))],
    }
}

/// What the ECS agent needs, scoped to the cluster where ECS allows it. With Spot, the agent
/// sets its own instance to DRAINING when the interruption notice comes, with the instance's
/// credentials ("Spot Instance draining", ECS Developer Guide; the managed
/// AmazonEC2ContainerServiceforEC2Role grants the same action).
fn ecs_agent_statements(cluster: &Handle<Cluster>, spot: bool) -> Vec<Statement> {
    let in_cluster: &[&'static str] = if spot {
        &["ecs:Poll", "ecs:StartTelemetrySession", "ecs:UpdateContainerInstancesState"]
    } else {
        &["ecs:Poll", "ecs:StartTelemetrySession"]
    };
    vec![
        Statement::allow(["ecs:DeregisterContainerInstance", "ecs:RegisterContainerInstance", "ecs:Submit*"])
            .on(cluster.arn()),
        Statement::allow(in_cluster.iter().copied()).on_any_resource().when_arn_equals("ecs:cluster", cluster.arn()),
        // These accept no resource scoping. (The containers' logs are granted on their log group,
        // by the pattern, once it exists.)
        Statement::allow(["ecs:DiscoverPollEndpoint", "ecr:GetAuthorizationToken"]).on_any_resource(),
    ]
}

/// The image ID as a template parameter whose default is the public SSM parameter's name, under
/// the logical ID the CDK gives it.
fn add_image_parameter(t: &mut Template, ssm_parameter: &str) -> Result<LogicalId, TemplateError> {
    let id = make_unique_id(&[format!("SsmParameterValue:{ssm_parameter}:{SSM_IMPORT_MARKER}.Parameter")]);
    t.add_parameter(&id, Parameter::new(IMAGE_PARAMETER_TYPE).default_value(ssm_parameter))
}

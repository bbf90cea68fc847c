//! The task definition: the load-balanced container and its sidecars in bridge mode, their storage,
//! their roles, and their logs in one CloudWatch log group.

use std::collections::BTreeSet;

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::aws::SecretSource;
use crate::constructs::add_role_policy;
use crate::constructs::container::{ContainerConfig, ContainerWiring};
use crate::ecr;
use crate::resources::ecs::{
    AuthorizationConfig, EFSVolumeConfiguration, HostVolumeProperties, LaunchType, TaskDefinition, Toggle, Volume,
};
use crate::resources::iam::{ConditionValue, Policy, Role, Statement};
use crate::resources::logs::LogGroup;
use crate::template::{Handle, Intrinsic, Options, Parameter, RemovalPolicy, Scope, Template, TemplateError, Value};

/// The template parameter that holds the image when the configuration asks for one.
pub const IMAGE_PARAMETER: &str = "ContainerImage";

/// The image parameter of the one `service` (`ContainerImage`, the CDK's), or of the service
/// `name` of `services`: its name without hyphens, then `ContainerImage` (`apiContainerImage`).
pub fn image_parameter_name(service: Option<&str>) -> String {
    format!("{}{IMAGE_PARAMETER}", service.unwrap_or_default().replace('-', ""))
}

/// Whether a template's parameter is a service's image (which a deploy keeps as deployed).
pub fn is_image_parameter(name: &str) -> bool {
    name.ends_with(IMAGE_PARAMETER)
        && name[..name.len() - IMAGE_PARAMETER.len()].chars().all(|c| c.is_ascii_alphanumeric())
}

impl TaskProps {
    /// The security groups of the mount targets of its EFS volumes, which must admit NFS from
    /// the instances.
    pub fn efs_security_groups(&self) -> impl Iterator<Item = &str> {
        self.volumes.iter().filter_map(|v| match &v.source {
            VolumeSource::Efs(efs) => Some(efs.security_group_id.as_str()),
            _ => None,
        })
    }
}

/// What the configuration decides about the task: its containers, storage and roles.
#[derive(Clone, Debug, PartialEq)]
pub struct TaskProps {
    /// The container the load balancer sends requests to; first in the task, its port published
    /// on a dynamic port of the instance, and linked to every sidecar with a port.
    pub main: ContainerConfig,
    /// Prefix of the main container's log streams (a sidecar's are its name).
    pub log_stream_prefix: String,
    /// The template parameter the main container's image comes from (with its image as
    /// default), when it is one: `image_parameter_name`.
    pub image_parameter: Option<String>,
    /// More containers, in the order configured.
    pub sidecars: Vec<ContainerConfig>,
    /// The private ECR repositories the images come from, which the execution role pulls from.
    pub image_repositories: Vec<ecr::Repository>,
    /// What the containers' secrets are, which the execution role reads.
    pub secret_sources: Vec<SecretSource>,
    pub log_retention_days: u32,
    pub volumes: Vec<VolumeProps>,
    pub task_role: TaskRoleConfig,
    /// ECS Exec: SSM's session channels for the task role, an init process in every container.
    pub execute_command: bool,
}

/// A volume of the task.
#[derive(Clone, Debug, PartialEq)]
pub struct VolumeProps {
    pub name: String,
    pub source: VolumeSource,
}

#[derive(Clone, Debug, PartialEq)]
pub enum VolumeSource {
    Efs(EfsProps),
    /// A path of the instance.
    Host(String),
    /// A directory Docker makes for the task, shared by its containers while it runs.
    Scratch,
}

#[derive(Clone, Debug, PartialEq)]
pub struct EfsProps {
    pub file_system_id: String,
    /// The mount targets' security group, which must admit NFS from the instances.
    pub security_group_id: String,
    pub access_point_id: Option<String>,
    pub root_directory: Option<String>,
    pub transit_encryption: bool,
    /// Mount as the task role, which is then granted the mount (and writes, unless `read_only`).
    pub iam_authorization: bool,
    /// Every mount of the volume is read-only.
    pub read_only: bool,
}

/// The task role: what the application may do in AWS. Its credentials reach every container of
/// the task through the ECS agent (never the instance's role).
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct TaskRoleConfig {
    /// Managed policies to attach, by ARN: AWS's (arn:aws:iam::aws:policy/NAME) or the account's
    /// own (arn:aws:iam::ACCOUNT:policy/NAME). IAM attaches 10 to a role unless the quota is
    /// raised, 20 at most.
    ///
    /// Default: - none.
    pub managed_policy_arns: Vec<String>,
    /// Statements of the role's own policy, as IAM writes them.
    ///
    /// Default: - none.
    pub statements: Vec<PolicyStatementConfig>,
}

/// One statement of the task role's policy.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct PolicyStatementConfig {
    /// Whether the statement allows or denies.
    ///
    /// Default: Allow
    pub effect: StatementEffect,
    /// Actions as `service:Action`, such as `s3:GetObject`; `*` and `?` wildcards allowed.
    ///
    /// Default: - none; at least one is required.
    pub actions: Vec<String>,
    /// Resources by ARN (wildcards allowed), or `*` for actions that take no resource.
    ///
    /// Default: - none; at least one is required.
    pub resources: Vec<String>,
    /// IAM conditions: operator (`StringEquals`, `ArnLike`, `Bool`, ... with `ForAnyValue:`,
    /// `ForAllValues:` or `IfExists` as IAM allows) to condition key to one value or a list.
    ///
    /// Default: - none.
    pub conditions: IndexMap<String, IndexMap<String, ConditionValues>>,
}

#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
pub enum StatementEffect {
    #[default]
    Allow,
    Deny,
}

/// One value of a condition key, or several (any of which matches).
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(untagged)]
pub enum ConditionValues {
    One(String),
    Many(Vec<String>),
}

impl ConditionValues {
    pub fn values(&self) -> &[String] {
        match self {
            ConditionValues::One(value) => std::slice::from_ref(value),
            ConditionValues::Many(values) => values,
        }
    }
}

pub struct Task {
    pub definition: Handle<TaskDefinition>,
    /// Where the containers' logs go.
    pub log_group: Handle<LogGroup>,
    /// The roles' permissions, when the tasks cannot start (or work) without them: secrets and
    /// private images for the execution role, the task role's own.
    pub startup_grants: Vec<Handle<Policy>>,
}

/// The session channels ECS Exec opens through SSM ("Using Amazon ECS Exec", ECS Developer
/// Guide: IAM permissions required); IAM takes no resource for them ("Actions, resources, and
/// condition keys for Amazon Message Gateway Service", Service Authorization Reference).
const EXEC_ACTIONS: [&str; 4] = [
    "ssmmessages:CreateControlChannel",
    "ssmmessages:CreateDataChannel",
    "ssmmessages:OpenControlChannel",
    "ssmmessages:OpenDataChannel",
];

/// Adds the task definition with its roles and log group.
pub fn build(t: &mut Template, scope: &Scope, props: &TaskProps) -> Result<Task, TemplateError> {
    let task_role_scope = scope.child("TaskRole");
    let mut role = Role::for_service("ecs-tasks.amazonaws.com");
    if !props.task_role.managed_policy_arns.is_empty() {
        role.managed_policy_arns =
            Some(props.task_role.managed_policy_arns.iter().map(|arn| arn.clone().into()).collect());
    }
    let task_role = t.add(&task_role_scope.child("Resource"), role)?;
    let log_group = t.add_with(
        &scope.child(props.main.name()).child("LogGroup").child("Resource"),
        LogGroup { retention_in_days: Some(props.log_retention_days.into()), ..LogGroup::default() },
        // The application's logs outlive the stack, as the CDK keeps them.
        Options::new().on_removal(RemovalPolicy::Retain),
    )?;

    let execution_role_scope = scope.child("ExecutionRole");
    let execution_role =
        t.add(&execution_role_scope.child("Resource"), Role::for_service("ecs-tasks.amazonaws.com"))?;
    let mut execution_grants =
        vec![Statement::allow(["logs:CreateLogStream", "logs:PutLogEvents"]).on(log_group.arn())];
    execution_grants.extend(pull_images(&props.image_repositories));
    execution_grants.extend(read_secrets(&props.secret_sources));
    let execution_policy =
        add_role_policy(t, &execution_role_scope, "DefaultPolicy", &execution_role, execution_grants)?;
    let mut startup_grants = Vec::new();
    if !props.secret_sources.is_empty() || !props.image_repositories.is_empty() {
        startup_grants.push(execution_policy);
    }

    let task_grants = task_role_statements(props);
    if !task_grants.is_empty() {
        startup_grants.push(add_role_policy(t, &task_role_scope, "DefaultPolicy", &task_role, task_grants)?);
    }

    let image: Value<String> = if let Some(parameter) = &props.image_parameter {
        let id = t.add_parameter(
            parameter,
            Parameter::new("String")
                .default_value(props.main.image())
                .min_length(1)
                .description("The container's image, as `docker pull` takes it"),
        )?;
        Intrinsic::reference(&id).into()
    } else {
        props.main.image().to_owned().into()
    };
    // Bridge mode: the app reaches a sidecar's port by the sidecar's name through a link.
    let links = props.sidecars.iter().filter(|s| s.port.is_some()).map(|s| s.name().to_owned()).collect();
    let mut definitions = vec![props.main.definition(ContainerWiring {
        image,
        published: true,
        links,
        log_group: &log_group,
        log_stream_prefix: &props.log_stream_prefix,
        init_process: props.execute_command,
    })];
    for sidecar in &props.sidecars {
        definitions.push(sidecar.definition(ContainerWiring {
            image: sidecar.image().to_owned().into(),
            // A sidecar's port is reached through a link, not published on the instance.
            published: false,
            links: Vec::new(),
            log_group: &log_group,
            log_stream_prefix: sidecar.name(),
            init_process: props.execute_command,
        }));
    }
    let definition = t.add(
        &scope.child("Resource"),
        TaskDefinition {
            container_definitions: Some(definitions),
            execution_role_arn: Some(execution_role.arn().into()),
            family: Some(scope.unique_id().into()),
            network_mode: Some("bridge".into()),
            requires_compatibilities: Some(vec![LaunchType::Ec2]),
            task_role_arn: Some(task_role.arn().into()),
            volumes: (!props.volumes.is_empty()).then(|| props.volumes.iter().map(volume).collect()),
            ..TaskDefinition::default()
        },
    )?;
    Ok(Task { definition, log_group, startup_grants })
}

fn volume(v: &VolumeProps) -> Volume {
    let toggle = |on: bool| if on { Toggle::Enabled } else { Toggle::Disabled };
    let (efs, host) = match &v.source {
        VolumeSource::Efs(efs) => (
            Some(EFSVolumeConfiguration {
                authorization_config: (efs.iam_authorization || efs.access_point_id.is_some()).then(|| {
                    AuthorizationConfig {
                        access_point_id: efs.access_point_id.clone().map(Into::into),
                        iam: Some(toggle(efs.iam_authorization)),
                    }
                }),
                filesystem_id: efs.file_system_id.clone().into(),
                root_directory: efs.root_directory.clone().map(Into::into),
                transit_encryption: Some(toggle(efs.transit_encryption)),
                ..EFSVolumeConfiguration::default()
            }),
            None,
        ),
        VolumeSource::Host(path) => (None, Some(HostVolumeProperties { source_path: Some(path.clone().into()) })),
        VolumeSource::Scratch => (None, None),
    };
    Volume { efs_volume_configuration: efs, host, name: Some(v.name.clone().into()), ..Volume::default() }
}

/// The task role's policy: the configured statements, ECS Exec's channels, and the EFS file
/// systems mounted with IAM authorization. Its size is checked against IAM's quota when the
/// configuration is resolved.
pub fn task_role_statements(props: &TaskProps) -> Vec<Statement> {
    let mut statements: Vec<Statement> = props.task_role.statements.iter().map(statement).collect();
    if props.execute_command {
        statements.push(Statement::allow(EXEC_ACTIONS).on_any_resource());
    }
    for v in &props.volumes {
        let VolumeSource::Efs(efs) = &v.source else { continue };
        if efs.iam_authorization {
            statements.push(mount_file_system(efs));
        }
    }
    statements
}

/// What EFS's IAM authorization asks of the task role ("Using IAM to control file system data
/// access", Amazon EFS User Guide): ClientMount to mount, ClientWrite to write; through the
/// access point only, when one is named.
fn mount_file_system(efs: &EfsProps) -> Statement {
    let actions: &[&str] = if efs.read_only {
        &["elasticfilesystem:ClientMount"]
    } else {
        &["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"]
    };
    let file_system = format!(
        "arn:${{AWS::Partition}}:elasticfilesystem:${{AWS::Region}}:${{AWS::AccountId}}:file-system/{}",
        efs.file_system_id
    );
    let statement = Statement::allow(actions.iter().copied()).on(Intrinsic::Sub(file_system));
    match &efs.access_point_id {
        Some(access_point) => {
            let arn = format!(
                "arn:${{AWS::Partition}}:elasticfilesystem:${{AWS::Region}}:${{AWS::AccountId}}:access-point/{access_point}"
            );
            statement.when(
                "StringEquals",
                "elasticfilesystem:AccessPointArn",
                ConditionValue::One(Intrinsic::Sub(arn).into()),
            )
        }
        None => statement,
    }
}

fn statement(s: &PolicyStatementConfig) -> Statement {
    let base = match s.effect {
        StatementEffect::Allow => Statement::allow(s.actions.iter().cloned()),
        StatementEffect::Deny => Statement::deny(s.actions.iter().cloned()),
    };
    let with_resources = s.resources.iter().fold(base, |st, resource| st.on(resource.clone()));
    s.conditions.iter().fold(with_resources, |st, (operator, keys)| {
        keys.iter().fold(st, |st, (key, values)| {
            let value = match values.values() {
                [one] => ConditionValue::One(one.clone().into()),
                many => ConditionValue::Many(many.to_vec()),
            };
            st.when(operator, key, value)
        })
    })
}

/// What the execution role needs to pull a private image: on EC2 the ECS agent pulls with the
/// task's execution role when it has one ("Amazon ECR private repository" and "Task execution IAM
/// role" in the ECS Developer Guide), so the instance role's token is not enough. The token is
/// account-wide (IAM takes no resource for it); the layers are read from exactly these
/// repositories, in another account too when its repository policy lets this one pull.
fn pull_images(repositories: &[ecr::Repository]) -> Vec<Statement> {
    if repositories.is_empty() {
        return Vec::new();
    }
    let layers =
        Statement::allow(["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]);
    vec![
        repositories.iter().fold(layers, |s, repository| s.on(Intrinsic::Sub(repository.arn_sub()))),
        Statement::allow(["ecr:GetAuthorizationToken"]).on_any_resource(),
    ]
}

/// What the execution role needs to fill the secrets in: reading exactly those parameters and
/// secrets (a secret's JSON key or version is picked by ECS after reading the whole secret).
fn read_secrets(secrets: &[SecretSource]) -> Vec<Statement> {
    let (mut parameters, mut managed) = (BTreeSet::new(), BTreeSet::new());
    for secret in secrets {
        match secret {
            SecretSource::SsmParameter(arn) => parameters.insert(arn.clone()),
            SecretSource::SecretsManager(arn) => managed.insert(arn.clone()),
        };
    }
    let allow = |action: &'static str, arns: BTreeSet<String>| {
        (!arns.is_empty()).then(|| arns.into_iter().fold(Statement::allow([action]), Statement::on))
    };
    allow("ssm:GetParameters", parameters).into_iter().chain(allow("secretsmanager:GetSecretValue", managed)).collect()
}

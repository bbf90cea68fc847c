//! The task definition: the load-balanced container and its sidecars in bridge mode, their storage,
//! their roles, and their logs in one CloudWatch log group.

use std::collections::BTreeSet;

use indexmap::IndexMap;

use crate::aws::SecretSource;
use crate::constructs::add_role_policy;
use crate::ecr;
use crate::resources::ecs::{
    ContainerDefinition, ContainerDependency, DependencyCondition, EfsAuthorizationConfig, EfsVolumeConfiguration,
    HealthCheck, HostVolumeProperties, KeyValuePair, LaunchType, LinuxParameters, LogConfiguration, LogDriver,
    MountPoint, PortMapping, Secret, TaskDefinition, Toggle, TransportProtocol, Ulimit, Volume,
};
use crate::resources::iam::{ConditionValue, Policy, Role, Statement};
use crate::resources::logs::LogGroup;
use crate::template::{
    Handle, Intrinsic, Options, Parameter, RemovalPolicy, Scope, Template, TemplateError, Value, pseudo,
};

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
    /// The container the load balancer sends requests to; first in the task.
    pub main: ContainerProps,
    /// The template parameter the main container's image comes from (with its image as
    /// default), when it is one: `image_parameter_name`.
    pub image_parameter: Option<String>,
    /// More containers, in the order configured.
    pub sidecars: Vec<ContainerProps>,
    /// The private ECR repositories the images come from, which the execution role pulls from.
    pub image_repositories: Vec<ecr::Repository>,
    pub log_retention_days: u32,
    pub volumes: Vec<VolumeProps>,
    pub task_role: TaskRoleProps,
    /// ECS Exec: SSM's session channels for the task role, an init process in every container.
    pub execute_command: bool,
}

/// One container of the task.
#[derive(Clone, Debug, PartialEq)]
pub struct ContainerProps {
    pub name: String,
    pub image: String,
    pub essential: bool,
    /// The port published on a dynamic port of the instance, for the load balancer.
    pub port: Option<u32>,
    pub memory_limit_mib: Option<u32>,
    pub memory_reservation_mib: Option<u32>,
    pub cpu: Option<u32>,
    pub environment: IndexMap<String, String>,
    /// Variables filled from secrets.
    pub secrets: Vec<SecretProps>,
    pub command: Vec<String>,
    pub entry_point: Vec<String>,
    pub working_directory: Option<String>,
    pub user: Option<String>,
    /// Between SIGTERM and SIGKILL; `None` leaves it to the agent (30 seconds).
    pub stop_timeout_seconds: Option<u32>,
    pub docker_labels: IndexMap<String, String>,
    /// (name, soft, hard)
    pub ulimits: Vec<(String, u32, u32)>,
    pub health_check: Option<ContainerHealthCheckProps>,
    /// Containers that must reach a state first.
    pub depends_on: Vec<(String, DependencyCondition)>,
    pub mount_points: Vec<MountPointProps>,
    /// Containers it reaches by name (bridge mode's links); they start first.
    pub links: Vec<String>,
    /// Prefix of its log streams in the task's log group.
    pub log_stream_prefix: String,
}

/// Docker's health check of a container.
#[derive(Clone, Debug, PartialEq)]
pub struct ContainerHealthCheckProps {
    /// `CMD` or `CMD-SHELL`, then the command.
    pub command: Vec<String>,
    pub interval_seconds: u32,
    pub timeout_seconds: u32,
    pub retries: u32,
    pub start_period_seconds: u32,
}

#[derive(Clone, Debug, PartialEq)]
pub struct MountPointProps {
    pub volume: String,
    pub container_path: String,
    pub read_only: bool,
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

/// The task role's own permissions.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TaskRoleProps {
    pub managed_policy_arns: Vec<String>,
    pub statements: Vec<PolicyStatementProps>,
}

/// A statement as IAM writes it; each condition value list of one is written as a scalar.
#[derive(Clone, Debug, PartialEq)]
pub struct PolicyStatementProps {
    pub allow: bool,
    pub actions: Vec<String>,
    pub resources: Vec<String>,
    /// Operator, then key, then values.
    pub conditions: IndexMap<String, IndexMap<String, Vec<String>>>,
}

/// A variable filled from a secret when the container starts.
#[derive(Clone, Debug, PartialEq)]
pub struct SecretProps {
    pub name: String,
    /// As ECS reads it: the ARN, with a JSON key or version when one is asked for.
    pub value_from: String,
    /// What the execution role must be allowed to read.
    pub source: SecretSource,
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
        &scope.child(&props.main.name).child("LogGroup").child("Resource"),
        LogGroup { retention_in_days: Some(props.log_retention_days.into()), tags: None },
        // The application's logs outlive the stack, as the CDK keeps them.
        Options::new().on_removal(RemovalPolicy::Retain),
    )?;

    let containers: Vec<&ContainerProps> = std::iter::once(&props.main).chain(&props.sidecars).collect();
    let secrets: Vec<&SecretProps> = containers.iter().flat_map(|c| &c.secrets).collect();
    let execution_role_scope = scope.child("ExecutionRole");
    let execution_role =
        t.add(&execution_role_scope.child("Resource"), Role::for_service("ecs-tasks.amazonaws.com"))?;
    let mut execution_grants =
        vec![Statement::allow(["logs:CreateLogStream", "logs:PutLogEvents"]).on(log_group.arn())];
    execution_grants.extend(pull_images(&props.image_repositories));
    execution_grants.extend(read_secrets(&secrets));
    let execution_policy =
        add_role_policy(t, &execution_role_scope, "DefaultPolicy", &execution_role, execution_grants)?;
    let mut startup_grants = Vec::new();
    if !secrets.is_empty() || !props.image_repositories.is_empty() {
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
                .default_value(&props.main.image)
                .min_length(1)
                .description("The container's image, as `docker pull` takes it"),
        )?;
        Intrinsic::reference(&id).into()
    } else {
        props.main.image.clone().into()
    };
    let mut definitions = vec![container_definition(&props.main, image, &log_group, props.execute_command)];
    for sidecar in &props.sidecars {
        let image = sidecar.image.clone().into();
        definitions.push(container_definition(sidecar, image, &log_group, props.execute_command));
    }
    let definition = t.add(
        &scope.child("Resource"),
        TaskDefinition {
            container_definitions: definitions,
            execution_role_arn: Some(execution_role.arn().into()),
            family: Some(scope.unique_id().into()),
            network_mode: "bridge".into(),
            requires_compatibilities: vec![LaunchType::Ec2],
            tags: None,
            task_role_arn: Some(task_role.arn().into()),
            volumes: (!props.volumes.is_empty()).then(|| props.volumes.iter().map(volume).collect()),
        },
    )?;
    Ok(Task { definition, log_group, startup_grants })
}

/// A list left out of the template when empty.
fn some_list<T, U>(items: &[T], each: impl FnMut(&T) -> U) -> Option<Vec<U>> {
    (!items.is_empty()).then(|| items.iter().map(each).collect())
}

fn container_definition(
    c: &ContainerProps,
    image: Value<String>,
    log_group: &Handle<LogGroup>,
    execute_command: bool,
) -> ContainerDefinition {
    let strings = |items: &[String]| some_list(items, |s| Value::from(s.clone()));
    ContainerDefinition {
        command: strings(&c.command),
        cpu: c.cpu.map(Into::into),
        depends_on: some_list(&c.depends_on, |(name, condition)| ContainerDependency {
            condition: *condition,
            container_name: name.clone().into(),
        }),
        docker_labels: (!c.docker_labels.is_empty())
            .then(|| c.docker_labels.iter().map(|(k, v)| (k.clone(), v.clone().into())).collect()),
        entry_point: strings(&c.entry_point),
        environment: (!c.environment.is_empty()).then(|| {
            c.environment
                .iter()
                .map(|(name, value)| KeyValuePair { name: name.clone().into(), value: value.clone().into() })
                .collect()
        }),
        essential: Some(c.essential.into()),
        health_check: c.health_check.as_ref().map(|hc| HealthCheck {
            command: hc.command.iter().map(|s| s.clone().into()).collect(),
            interval: Some(hc.interval_seconds.into()),
            retries: Some(hc.retries.into()),
            start_period: (hc.start_period_seconds > 0).then(|| hc.start_period_seconds.into()),
            timeout: Some(hc.timeout_seconds.into()),
        }),
        image,
        links: strings(&c.links),
        // An init process reaps what an exec session leaves behind ("Using Amazon ECS Exec").
        linux_parameters: execute_command.then(|| LinuxParameters { init_process_enabled: true.into() }),
        log_configuration: Some(LogConfiguration {
            log_driver: LogDriver::Awslogs,
            options: IndexMap::from([
                ("awslogs-group", log_group.log_group_name().into()),
                ("awslogs-stream-prefix", c.log_stream_prefix.clone().into()),
                ("awslogs-region", pseudo::region().into()),
            ]),
        }),
        memory: c.memory_limit_mib.map(Into::into),
        memory_reservation: c.memory_reservation_mib.map(Into::into),
        mount_points: some_list(&c.mount_points, |m| MountPoint {
            container_path: m.container_path.clone().into(),
            read_only: m.read_only.into(),
            source_volume: m.volume.clone().into(),
        }),
        name: c.name.clone().into(),
        port_mappings: c.port.map(|port| {
            vec![PortMapping { container_port: port.into(), host_port: 0.into(), protocol: TransportProtocol::Tcp }]
        }),
        secrets: some_list(&c.secrets, |secret| Secret {
            name: secret.name.clone().into(),
            value_from: secret.value_from.clone().into(),
        }),
        stop_timeout: c.stop_timeout_seconds.map(Into::into),
        ulimits: some_list(&c.ulimits, |(name, soft, hard)| Ulimit {
            hard_limit: (*hard).into(),
            name: name.clone().into(),
            soft_limit: (*soft).into(),
        }),
        user: c.user.clone().map(Into::into),
        working_directory: c.working_directory.clone().map(Into::into),
    }
}

fn volume(v: &VolumeProps) -> Volume {
    let toggle = |on: bool| if on { Toggle::Enabled } else { Toggle::Disabled };
    let (efs, host) = match &v.source {
        VolumeSource::Efs(efs) => (
            Some(EfsVolumeConfiguration {
                authorization_config: (efs.iam_authorization || efs.access_point_id.is_some()).then(|| {
                    EfsAuthorizationConfig {
                        access_point_id: efs.access_point_id.clone().map(Into::into),
                        iam: toggle(efs.iam_authorization),
                    }
                }),
                filesystem_id: efs.file_system_id.clone().into(),
                root_directory: efs.root_directory.clone().map(Into::into),
                transit_encryption: toggle(efs.transit_encryption),
            }),
            None,
        ),
        VolumeSource::Host(path) => (None, Some(HostVolumeProperties { source_path: path.clone().into() })),
        VolumeSource::Scratch => (None, None),
    };
    Volume { efs_volume_configuration: efs, host, name: v.name.clone().into() }
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

fn statement(s: &PolicyStatementProps) -> Statement {
    let base =
        if s.allow { Statement::allow(s.actions.iter().cloned()) } else { Statement::deny(s.actions.iter().cloned()) };
    let with_resources = s.resources.iter().fold(base, |st, resource| st.on(resource.clone()));
    s.conditions.iter().fold(with_resources, |st, (operator, keys)| {
        keys.iter().fold(st, |st, (key, values)| {
            let value = match values.as_slice() {
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
fn read_secrets(secrets: &[&SecretProps]) -> Vec<Statement> {
    let (mut parameters, mut managed) = (BTreeSet::new(), BTreeSet::new());
    for secret in secrets {
        match &secret.source {
            SecretSource::SsmParameter(arn) => parameters.insert(arn.clone()),
            SecretSource::SecretsManager(arn) => managed.insert(arn.clone()),
        };
    }
    let allow = |action: &'static str, arns: BTreeSet<String>| {
        (!arns.is_empty()).then(|| arns.into_iter().fold(Statement::allow([action]), Statement::on))
    };
    allow("ssm:GetParameters", parameters).into_iter().chain(allow("secretsmanager:GetSecretValue", managed)).collect()
}

//! The task definition: one container in bridge mode on a dynamic host port, logging to CloudWatch.

use std::collections::BTreeSet;

use indexmap::IndexMap;

use crate::aws::SecretSource;
use crate::constructs::add_role_policy;
use crate::ecr;
use crate::resources::ecs::{
    ContainerDefinition, KeyValuePair, LaunchType, LogConfiguration, LogDriver, PortMapping, Secret, TaskDefinition,
    TransportProtocol,
};
use crate::resources::iam::{Policy, Role, Statement};
use crate::resources::logs::LogGroup;
use crate::template::{
    Handle, Intrinsic, Options, Parameter, RemovalPolicy, Scope, Template, TemplateError, Value, pseudo,
};

/// The template parameter that holds the image when the configuration asks for one.
pub const IMAGE_PARAMETER: &str = "ContainerImage";

/// What the configuration decides about the task and its container.
#[derive(Clone, Debug, PartialEq)]
pub struct TaskProps {
    pub container_name: String,
    pub image: String,
    /// Whether the image is a template parameter (with `image` as its default).
    pub image_parameter: bool,
    pub container_port: u32,
    pub memory_limit_mib: Option<u32>,
    pub memory_reservation_mib: Option<u32>,
    pub cpu: Option<u32>,
    pub environment: IndexMap<String, String>,
    /// Variables filled from secrets.
    pub secrets: Vec<SecretProps>,
    /// Between SIGTERM and SIGKILL; `None` leaves it to the agent (30 seconds).
    pub stop_timeout_seconds: Option<u32>,
    /// The private ECR repositories the image comes from, which the execution role pulls from.
    pub image_repositories: Vec<ecr::Repository>,
    pub log_retention_days: u32,
    /// Prefix of the container's log streams: the service construct's ID, as in the CDK.
    pub log_stream_prefix: &'static str,
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
    /// Where the container's logs go.
    pub log_group: Handle<LogGroup>,
    /// The execution role's permissions, when the tasks cannot start without them (secrets, a
    /// private image).
    pub startup_grants: Option<Handle<Policy>>,
}

/// Adds the task definition with its roles and log group.
pub fn build(t: &mut Template, scope: &Scope, props: &TaskProps) -> Result<Task, TemplateError> {
    let task_role = t.add(&scope.child("TaskRole").child("Resource"), Role::for_service("ecs-tasks.amazonaws.com"))?;
    let log_group = t.add_with(
        &scope.child(&props.container_name).child("LogGroup").child("Resource"),
        LogGroup { retention_in_days: Some(props.log_retention_days.into()), tags: None },
        // The application's logs outlive the stack, as the CDK keeps them.
        Options::new().on_removal(RemovalPolicy::Retain),
    )?;

    let execution_role_scope = scope.child("ExecutionRole");
    let execution_role =
        t.add(&execution_role_scope.child("Resource"), Role::for_service("ecs-tasks.amazonaws.com"))?;
    let mut execution_grants =
        vec![Statement::allow(["logs:CreateLogStream", "logs:PutLogEvents"]).on(log_group.arn())];
    execution_grants.extend(pull_images(&props.image_repositories));
    execution_grants.extend(read_secrets(&props.secrets));
    let execution_policy =
        add_role_policy(t, &execution_role_scope, "DefaultPolicy", &execution_role, execution_grants)?;
    let startup_grants =
        (!props.secrets.is_empty() || !props.image_repositories.is_empty()).then_some(execution_policy);

    let environment = (!props.environment.is_empty()).then(|| {
        props
            .environment
            .iter()
            .map(|(name, value)| KeyValuePair { name: name.clone().into(), value: value.clone().into() })
            .collect()
    });
    let image: Value<String> = if props.image_parameter {
        let id = t.add_parameter(
            IMAGE_PARAMETER,
            Parameter::new("String")
                .default_value(&props.image)
                .min_length(1)
                .description("The container's image, as `docker pull` takes it"),
        )?;
        Intrinsic::reference(&id).into()
    } else {
        props.image.clone().into()
    };
    let secrets = (!props.secrets.is_empty()).then(|| {
        props
            .secrets
            .iter()
            .map(|secret| Secret { name: secret.name.clone().into(), value_from: secret.value_from.clone().into() })
            .collect()
    });
    let container = ContainerDefinition {
        cpu: props.cpu.map(Into::into),
        environment,
        essential: Some(true.into()),
        image,
        log_configuration: Some(LogConfiguration {
            log_driver: LogDriver::Awslogs,
            options: IndexMap::from([
                ("awslogs-group", log_group.log_group_name().into()),
                ("awslogs-stream-prefix", props.log_stream_prefix.into()),
                ("awslogs-region", pseudo::region().into()),
            ]),
        }),
        memory: props.memory_limit_mib.map(Into::into),
        memory_reservation: props.memory_reservation_mib.map(Into::into),
        name: props.container_name.clone().into(),
        port_mappings: Some(vec![PortMapping {
            container_port: props.container_port.into(),
            host_port: 0.into(),
            protocol: TransportProtocol::Tcp,
        }]),
        secrets,
        stop_timeout: props.stop_timeout_seconds.map(Into::into),
    };
    let definition = t.add(
        &scope.child("Resource"),
        TaskDefinition {
            container_definitions: vec![container],
            execution_role_arn: Some(execution_role.arn().into()),
            family: Some(scope.unique_id().into()),
            network_mode: "bridge".into(),
            requires_compatibilities: vec![LaunchType::Ec2],
            tags: None,
            task_role_arn: Some(task_role.arn().into()),
        },
    )?;
    Ok(Task { definition, log_group, startup_grants })
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
fn read_secrets(secrets: &[SecretProps]) -> Vec<Statement> {
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

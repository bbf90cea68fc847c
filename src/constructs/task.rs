//! The task definition: one container in bridge mode on a dynamic host port, logging to CloudWatch.

use indexmap::IndexMap;

use crate::constructs::add_role_policy;
use crate::resources::ecs::{ContainerDefinition, KeyValuePair, LogConfiguration, PortMapping, TaskDefinition};
use crate::resources::iam::{Role, Statement};
use crate::resources::logs::LogGroup;
use crate::template::{Handle, Options, RemovalPolicy, Scope, Template, TemplateError, pseudo};

pub struct TaskProps<'a> {
    pub container_name: &'a str,
    pub image: &'a str,
    pub container_port: u32,
    pub memory_limit_mib: Option<u32>,
    pub memory_reservation_mib: Option<u32>,
    pub cpu: Option<u32>,
    pub environment: &'a IndexMap<String, String>,
    pub log_retention_days: u32,
    /// Prefix of the container's log streams: the service construct's ID, as in the CDK.
    pub log_stream_prefix: &'a str,
}

pub struct Task {
    pub definition: Handle<TaskDefinition>,
    /// Where the container's logs go.
    pub log_group: Handle<LogGroup>,
}

/// Adds the task definition with its roles and log group.
pub fn build(t: &mut Template, scope: &Scope, props: TaskProps<'_>) -> Result<Task, TemplateError> {
    let task_role = t.add(&scope.child("TaskRole").child("Resource"), Role::for_service("ecs-tasks.amazonaws.com"))?;
    let log_group = t.add_with(
        &scope.child(props.container_name).child("LogGroup").child("Resource"),
        LogGroup { retention_in_days: Some(props.log_retention_days.into()) },
        // The application's logs outlive the stack, as the CDK keeps them.
        Options::new().on_removal(RemovalPolicy::Retain),
    )?;

    let execution_role_scope = scope.child("ExecutionRole");
    let execution_role =
        t.add(&execution_role_scope.child("Resource"), Role::for_service("ecs-tasks.amazonaws.com"))?;
    let write_logs = vec![Statement::allow(["logs:CreateLogStream", "logs:PutLogEvents"]).on(log_group.arn())];
    add_role_policy(t, &execution_role_scope, "DefaultPolicy", &execution_role, write_logs)?;

    let environment = (!props.environment.is_empty()).then(|| {
        props
            .environment
            .iter()
            .map(|(name, value)| KeyValuePair { name: name.clone().into(), value: value.clone().into() })
            .collect()
    });
    let container = ContainerDefinition {
        cpu: props.cpu.map(Into::into),
        environment,
        essential: Some(true.into()),
        image: props.image.into(),
        log_configuration: Some(LogConfiguration {
            log_driver: "awslogs",
            options: IndexMap::from([
                ("awslogs-group", log_group.log_group_name().into()),
                ("awslogs-stream-prefix", props.log_stream_prefix.into()),
                ("awslogs-region", pseudo::region().into()),
            ]),
        }),
        memory: props.memory_limit_mib.map(Into::into),
        memory_reservation: props.memory_reservation_mib.map(Into::into),
        name: props.container_name.into(),
        port_mappings: Some(vec![PortMapping {
            container_port: props.container_port.into(),
            host_port: 0.into(),
            protocol: "tcp",
        }]),
    };
    let definition = t.add(
        &scope.child("Resource"),
        TaskDefinition {
            container_definitions: vec![container],
            execution_role_arn: Some(execution_role.arn().into()),
            family: Some(scope.unique_id().into()),
            network_mode: "bridge".into(),
            requires_compatibilities: vec!["EC2"],
            task_role_arn: Some(task_role.arn().into()),
        },
    )?;
    Ok(Task { definition, log_group })
}

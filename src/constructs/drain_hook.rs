//! Graceful draining on scale-in: the Auto Scaling group holds each terminating instance while the
//! drainer function moves its tasks elsewhere, then lets it go.
//!
//! The group's lifecycle hook publishes to an SNS topic, which invokes the drainer. The drainer
//! never waits inside an invocation: while tasks remain it puts the message on a queue with a
//! delay, and the queue invokes it again. ECS's event that the last task stopped on a draining
//! instance invokes it too, so the action completes at once rather than at the next re-check.
//! Whatever fails for good ends in a dead-letter queue.

use indexmap::IndexMap;

use crate::aws::Architecture;
use drain_contract::env;

use crate::constructs::drain_timing::{self, DrainTimings};
use crate::constructs::{add_role_policy, name_tag};
use crate::resources::autoscaling::{AutoScalingGroup, LifecycleHook, LifecycleResult, LifecycleTransition};
use crate::resources::ecs::Cluster;
use crate::resources::events::{Rule, RuleState, Target};
use crate::resources::iam::{Role, Statement};
use crate::resources::lambda::{
    Code, DeadLetterConfig, Environment, EventSourceMapping, Function, FunctionResponseType, LogFormat, LoggingConfig,
    Permission, RecursiveLoop,
};
use crate::resources::logs::LogGroup;
use crate::resources::sns::{Subscription, SubscriptionProtocol, Topic};
use crate::resources::sqs::{Queue, RedrivePolicy};
use crate::template::{Handle, Intrinsic, Options, Parameter, RemovalPolicy, Scope, Template, TemplateError};

pub const CODE_BUCKET_PARAMETER: &str = "DrainerCodeS3Bucket";
pub const CODE_KEY_PARAMETER: &str = "DrainerCodeS3Key";
const FUNCTION_MEMORY_MIB: u32 = 128;
/// SQS's longest retention, to give a person time to look at what failed for good.
const DEAD_LETTER_RETENTION_SECONDS: u32 = 1_209_600;
/// Re-checks handed to one invocation. A check normally takes well under a second, so ten fit in
/// the function's timeout many times over; when AWS is slow, the invocation starts a check only
/// while a whole one (its timeout) still fits, and hands the rest back for `RETRY_DELAY_SECONDS`.
/// Lambda runs up to five such batches at once to start with, more as the queue grows: far above
/// the one re-check per draining instance every few seconds that even a large scale-in makes.
const RECHECK_BATCH_SIZE: u32 = 10;
/// Longer than the longest drain (48 hours), so no re-check expires while it is still wanted.
const RECHECK_RETENTION_SECONDS: u32 = 345_600;

/// Where the drainer's deployment package comes from.
pub enum DrainerCode {
    /// An S3 object named by two template parameters, given at deploy time.
    S3Parameters,
    /// A local zip for `aws cloudformation package` to upload and replace with its S3 location.
    LocalZip(String),
}

/// What the configuration decides about the drain path.
#[derive(Clone, Debug, PartialEq)]
pub struct DrainHookProps {
    /// How long an instance may be held: the hook's heartbeat timeout.
    pub drain_time_seconds: u32,
    pub log_retention_days: u32,
    /// A customer-managed key for the topic; `None` uses the AWS-managed one.
    pub topic_key_arn: Option<String>,
}

/// The instances the hook holds, the cluster the drainer drains them from, and its code.
pub struct DrainedGroup<'a> {
    pub cluster: &'a Handle<Cluster>,
    pub auto_scaling_group: &'a Handle<AutoScalingGroup>,
    pub code: DrainerCode,
}

/// SNS's AWS-managed key: its policy lets any principal of the account use it through SNS, so the
/// hook's role (our own account's) can publish without a grant.
const AWS_MANAGED_SNS_KEY: &str = "alias/aws/sns";

/// Adds the hook and everything it needs. `scope` is the capacity's: the CDK puts the hook's
/// constructs beside the group.
pub fn build(
    t: &mut Template,
    scope: &Scope,
    props: &DrainHookProps,
    group: DrainedGroup<'_>,
) -> Result<(), TemplateError> {
    let tags = name_tag(scope.node_path());
    let code = match group.code {
        DrainerCode::S3Parameters => Code::S3 {
            bucket: code_parameter(t, CODE_BUCKET_PARAMETER, "S3 bucket holding the drainer's bootstrap.zip")?.into(),
            key: code_parameter(t, CODE_KEY_PARAMETER, "S3 key of the drainer's bootstrap.zip")?.into(),
        },
        DrainerCode::LocalZip(path) => Code::LocalPath(path),
    };

    let function_scope = scope.child("DrainECSHook").child("Function");
    let log_group = t.add_with(
        &function_scope.child("LogGroup").child("Resource"),
        LogGroup { retention_in_days: Some(props.log_retention_days.into()), ..LogGroup::default() },
        // Operational records of the stack itself: they go with it.
        Options::new().on_removal(RemovalPolicy::Delete),
    )?;

    let hook_scope_root = scope.child("DrainECSHook");
    // Messages in flight matter only while the stack runs: the queues go with it.
    let transient = || Options::new().on_removal(RemovalPolicy::Delete);
    let timings = DrainTimings::for_drain(props.drain_time_seconds);
    let dead_letters = t.add_with(
        &hook_scope_root.child("DeadLetterQueue").child("Resource"),
        Queue {
            message_retention_period: Some(DEAD_LETTER_RETENTION_SECONDS.into()),
            sqs_managed_sse_enabled: Some(true.into()),
            ..Queue::default()
        },
        transient(),
    )?;
    let rechecks = t.add_with(
        &hook_scope_root.child("RecheckQueue").child("Resource"),
        Queue {
            message_retention_period: Some(RECHECK_RETENTION_SECONDS.into()),
            redrive_policy: Some(RedrivePolicy {
                dead_letter_target_arn: dead_letters.arn().into(),
                // A check that keeps failing is set aside once its retries could no longer
                // reach the instance before its heartbeat expires.
                max_receive_count: timings.max_receives.into(),
            }),
            sqs_managed_sse_enabled: Some(true.into()),
            // As short as Lambda allows: a lost invocation's checks come back before the
            // heartbeat expires (drain_timing.rs).
            visibility_timeout: Some(timings.visibility_timeout_seconds.into()),
            ..Queue::default()
        },
        transient(),
    )?;

    let hook_scope = scope.child("LifecycleHookDrainHook");
    let topic_scope = hook_scope.child("Topic");
    let topic = t.add(
        &topic_scope.child("Resource"),
        Topic {
            kms_master_key_id: Some(props.topic_key_arn.as_deref().unwrap_or(AWS_MANAGED_SNS_KEY).to_owned().into()),
            tags: Some(tags.clone()),
            ..Topic::default()
        },
    )?;

    // The hook comes after the function, where the CDK puts it; its name is its `Ref`, by the
    // logical ID it will have.
    let hook_name = Intrinsic::reference(&hook_scope.child("Resource").logical_id());
    let role_scope = function_scope.child("ServiceRole");
    let role = t.add(&role_scope.child("Resource"), Role::for_service("lambda.amazonaws.com").tags(tags.clone()))?;
    let grants = DrainerGrants {
        cluster: group.cluster,
        group: group.auto_scaling_group,
        log_group: &log_group,
        rechecks: &rechecks,
        dead_letters: &dead_letters,
    };
    let policy = add_role_policy(t, &role_scope, "DefaultPolicy", &role, drainer_statements(&grants))?;
    let function = t.add_with(
        &function_scope.child("Resource"),
        Function {
            architectures: Some(vec![Architecture::X86_64]),
            code: code.into(),
            dead_letter_config: Some(DeadLetterConfig { target_arn: Some(dead_letters.arn().into()) }),
            environment: Some(Environment {
                // What the drainer reads (drainer/src/settings.rs, from the same contract).
                variables: Some(IndexMap::from([
                    (env::CLUSTER.to_owned(), group.cluster.cluster_name().into()),
                    (env::RECHECK_QUEUE_URL.to_owned(), rechecks.queue_url().into()),
                    (env::DEAD_LETTER_QUEUE_URL.to_owned(), dead_letters.queue_url().into()),
                    (env::DRAIN_BUDGET_SECONDS.to_owned(), props.drain_time_seconds.to_string().into()),
                    (env::RECHECK_DELAY_SECONDS.to_owned(), timings.recheck_delay_seconds.to_string().into()),
                    (env::RETRY_DELAY_SECONDS.to_owned(), drain_timing::RETRY_DELAY_SECONDS.to_string().into()),
                    (env::CHECK_TIMEOUT_SECONDS.to_owned(), drain_timing::CHECK_TIMEOUT_SECONDS.to_string().into()),
                    // ECS's events carry no token: the action is completed by group, hook and
                    // instance instead.
                    (env::AUTO_SCALING_GROUP_NAME.to_owned(), group.auto_scaling_group.group_name().into()),
                    (env::LIFECYCLE_HOOK_NAME.to_owned(), hook_name.into()),
                ])),
            }),
            handler: Some("bootstrap".into()),
            logging_config: Some(LoggingConfig {
                log_format: Some(LogFormat::Json),
                log_group: Some(log_group.log_group_name().into()),
                ..LoggingConfig::default()
            }),
            memory_size: Some(FUNCTION_MEMORY_MIB.into()),
            // The function sends each re-check to the queue that invokes it, carrying the
            // invocation's trace header: Lambda takes that for a runaway loop and stops it after
            // about 16 rounds ("Lambda recursive loop detection"), which would strand every drain
            // longer than about eight minutes. This loop is meant, and bounded: by the drain
            // budget, after which the drainer completes the action and stops sending.
            recursive_loop: Some(RecursiveLoop::Allow),
            role: role.arn().into(),
            runtime: Some("provided.al2023".into()),
            tags: Some(tags.clone()),
            timeout: Some(drain_timing::FUNCTION_TIMEOUT_SECONDS.into()),
            ..Function::default()
        },
        // Its first invocation must find the role's permissions in place.
        Options::new().depends_on(&policy),
    )?;
    t.add(
        &function_scope.child(format!("AllowInvoke:{}", topic_scope.unique_id())),
        Permission {
            action: "lambda:InvokeFunction".into(),
            function_name: function.arn().into(),
            principal: "sns.amazonaws.com".into(),
            source_arn: Some(topic.arn().into()),
            ..Permission::default()
        },
    )?;
    t.add(
        &function_scope.child("Topic").child("Resource"),
        Subscription {
            endpoint: Some(function.arn().into()),
            protocol: SubscriptionProtocol::Lambda,
            topic_arn: topic.arn().into(),
            ..Subscription::default()
        },
    )?;
    add_instance_events(t, &hook_scope_root, group.cluster, &function)?;
    t.add(
        &function_scope.child("SqsEventSource").child("Resource"),
        EventSourceMapping {
            batch_size: Some(RECHECK_BATCH_SIZE.into()),
            event_source_arn: Some(rechecks.arn().into()),
            function_name: function.arn().into(),
            // Only the failed re-checks of a batch come back, not the whole batch.
            function_response_types: Some(vec![FunctionResponseType::ReportBatchItemFailures]),
            ..EventSourceMapping::default()
        },
    )?;

    let hook_role_scope = hook_scope.child("Role");
    let hook_role =
        t.add(&hook_role_scope.child("Resource"), Role::for_service("autoscaling.amazonaws.com").tags(tags))?;
    let mut publish = vec![Statement::allow(["sns:Publish"]).on(topic.arn())];
    if let Some(key) = props.topic_key_arn.as_deref() {
        // What SNS asks of a publisher to a topic under a customer-managed key.
        publish.push(Statement::allow(["kms:Decrypt", "kms:GenerateDataKey"]).on(key.to_owned()));
    }
    let hook_policy = add_role_policy(t, &hook_role_scope, "DefaultPolicy", &hook_role, publish)?;
    t.add_with(
        &hook_scope.child("Resource"),
        LifecycleHook {
            auto_scaling_group_name: group.auto_scaling_group.group_name().into(),
            default_result: Some(LifecycleResult::Continue),
            heartbeat_timeout: Some(timings.heartbeat_seconds.into()),
            lifecycle_transition: LifecycleTransition::Terminating,
            notification_target_arn: Some(topic.arn().into()),
            role_arn: Some(hook_role.arn().into()),
            ..LifecycleHook::default()
        },
        // Auto Scaling tests the role by publishing when the hook is created.
        Options::new().depends_on(&hook_policy),
    )?;
    Ok(())
}

/// ECS's event whenever a task stops on a draining instance of the cluster, to the drainer: it
/// completes the action as soon as the last task is gone, not at its next re-check. The pattern
/// passes only events with no task left RUNNING: the last task's stop is one of them (a task that
/// has stopped runs no more, and a draining instance takes no new one), and the many before it
/// are not sent at all. An event that still finds a task STOPPING costs a few calls and changes
/// nothing; the re-checks stay, for an event missed or late.
fn add_instance_events(
    t: &mut Template,
    scope: &Scope,
    cluster: &Handle<Cluster>,
    function: &Handle<Function>,
) -> Result<(), TemplateError> {
    let cluster_arn = serde_json::to_value(cluster.arn()).unwrap_or_default();
    let rule = t.add(
        &scope.child("InstanceEvents").child("Resource"),
        Rule {
            description: Some("A task stopped on a draining instance: the drainer may let it go".into()),
            event_pattern: Some(serde_json::json!({
                "source": ["aws.ecs"],
                "detail-type": ["ECS Container Instance State Change"],
                "detail": {"clusterArn": [cluster_arn], "status": ["DRAINING"], "runningTasksCount": [0]},
            })),
            state: Some(RuleState::Enabled),
            targets: Some(vec![Target { arn: function.arn().into(), id: "drainer".into(), ..Target::default() }]),
            ..Rule::default()
        },
    )?;
    t.add(
        &scope.child("InstanceEvents").child("AllowInvoke"),
        Permission {
            action: "lambda:InvokeFunction".into(),
            function_name: function.arn().into(),
            principal: "events.amazonaws.com".into(),
            source_arn: Some(rule.arn().into()),
            ..Permission::default()
        },
    )?;
    Ok(())
}

fn code_parameter(t: &mut Template, name: &str, description: &str) -> Result<Intrinsic, TemplateError> {
    let id = t.add_parameter(name, Parameter::new("String").min_length(1).description(description))?;
    Ok(Intrinsic::reference(&id))
}

/// The resources the drainer's role is scoped to.
struct DrainerGrants<'a> {
    cluster: &'a Handle<Cluster>,
    group: &'a Handle<AutoScalingGroup>,
    log_group: &'a Handle<LogGroup>,
    rechecks: &'a Handle<Queue>,
    dead_letters: &'a Handle<Queue>,
}

/// What the drainer does, and nothing more: find the instance, drain it, watch its tasks, finish
/// the lifecycle action, schedule and receive its re-checks, set aside what fails, and write its
/// own log.
fn drainer_statements(g: &DrainerGrants<'_>) -> Vec<Statement> {
    let (cluster, group) = (g.cluster, g.group);
    let group_arn = format!(
        "arn:${{AWS::Partition}}:autoscaling:${{AWS::Region}}:${{AWS::AccountId}}:autoScalingGroup:*:autoScalingGroupName/{}",
        group.sub_ref()
    );
    vec![
        Statement::allow(["ecs:ListContainerInstances"]).on(cluster.arn()),
        // These take container-instance and task ARNs, which AWS matches reliably only through
        // the cluster condition.
        Statement::allow([
            "ecs:DescribeContainerInstances",
            "ecs:DescribeTasks",
            "ecs:ListTasks",
            "ecs:UpdateContainerInstancesState",
        ])
        .on_any_resource()
        .when_arn_equals("ecs:cluster", cluster.arn()),
        Statement::allow(["autoscaling:CompleteLifecycleAction", "autoscaling:RecordLifecycleActionHeartbeat"])
            .on(Intrinsic::Sub(group_arn)),
        // Whether an event's instance is ours and waiting: the action takes no resource-level
        // permissions ("Actions, resources, and condition keys for Amazon EC2 Auto Scaling").
        Statement::allow(["autoscaling:DescribeAutoScalingInstances"]).on_any_resource(),
        Statement::allow([
            "sqs:ChangeMessageVisibility",
            "sqs:DeleteMessage",
            "sqs:GetQueueAttributes",
            "sqs:ReceiveMessage",
            "sqs:SendMessage",
        ])
        .on(g.rechecks.arn()),
        // Malformed re-checks go straight there; the function's own dead letters go there too.
        Statement::allow(["sqs:SendMessage"]).on(g.dead_letters.arn()),
        Statement::allow(["logs:CreateLogStream", "logs:PutLogEvents"]).on(g.log_group.arn()),
    ]
}

//! A stand-in for CloudFormation holding one stack whose first creation failed and was rolled back
//! (`ROLLBACK_COMPLETE`), which moto cannot produce: it answers the calls that find, follow and
//! delete the stack, records every call, and refuses anything after the deletion, so a test sees
//! what a deploy did about the stack before it went on.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use crate::autoscaling::parse_form;
use crate::http::{Response, Server, query_error, query_success};

const NAMESPACE: &str = "http://cloudformation.amazonaws.com/doc/2010-05-15/";
/// What the stub answers once the deploy goes past the failed stack.
pub const END_OF_STUB: &str = "the stub ends here";

type Form = BTreeMap<String, String>;

/// What a stand-in records of each call.
trait Records: Default + Send + 'static {
    fn calls(&mut self) -> &mut Vec<Form>;
}

/// The one stack a stand-in holds.
struct StackNames {
    name: String,
    id: String,
}

/// A stand-in for one stack over the Query protocol: each call's form is recorded in the state,
/// then `answer` answers its action.
fn stack_stub<S: Records>(
    stack: &str,
    answer: impl Fn(&str, &mut S, &StackNames) -> Response + Send + Sync + 'static,
) -> (Server, Arc<Mutex<S>>) {
    let state: Arc<Mutex<S>> = Arc::default();
    let shared = state.clone();
    let names = StackNames {
        name: stack.to_owned(),
        id: format!("arn:aws:cloudformation:us-east-1:123456789012:stack/{stack}/1"),
    };
    let server = Server::start(move |request| {
        let params = parse_form(&request.body_text());
        let action = params.get("Action").cloned().unwrap_or_default();
        let mut state = shared.lock().unwrap();
        state.calls().push(params);
        answer(&action, &mut state, &names)
    });
    (server, state)
}

#[derive(Default)]
struct State {
    calls: Vec<BTreeMap<String, String>>,
    deleted: bool,
}

impl Records for State {
    fn calls(&mut self) -> &mut Vec<Form> {
        &mut self.calls
    }
}

pub struct FailedStackStub {
    server: Server,
    state: Arc<Mutex<State>>,
}

impl FailedStackStub {
    pub fn start(stack: &str) -> Self {
        let (server, state) = stack_stub(stack, |action, state: &mut State, stack| {
            let (stack_id, stack) = (&stack.id, &stack.name);
            match (action, state.deleted) {
                ("DescribeStacks" | "DescribeStackEvents", true) => {
                    error(&format!("Stack with id {stack} does not exist"))
                }
                ("DescribeStacks", false) => success(
                    action,
                    &format!(
                        "<Stacks><member><StackName>{stack}</StackName><StackId>{stack_id}</StackId><StackStatus>ROLLBACK_COMPLETE</StackStatus><CreationTime>2026-11-29T10:00:00Z</CreationTime></member></Stacks>"
                    ),
                ),
                ("DescribeStackEvents", false) => success(
                    action,
                    &format!(
                        "<StackEvents><member><EventId>last-event</EventId><StackId>{stack_id}</StackId><StackName>{stack}</StackName><LogicalResourceId>{stack}</LogicalResourceId><ResourceType>AWS::CloudFormation::Stack</ResourceType><ResourceStatus>ROLLBACK_COMPLETE</ResourceStatus><Timestamp>2026-11-29T10:05:00Z</Timestamp></member></StackEvents>"
                    ),
                ),
                // A stack rolled back after a failed creation holds no resources.
                ("ListStackResources", false) => success(action, "<StackResourceSummaries/>"),
                ("DeleteStack", _) => {
                    state.deleted = true;
                    success(action, "")
                }
                _ => error(END_OF_STUB),
            }
        });
        FailedStackStub { server, state }
    }

    pub fn url(&self) -> String {
        self.server.url()
    }

    /// Each call's form parameters (`Action` among them), in order.
    pub fn calls(&self) -> Vec<BTreeMap<String, String>> {
        self.state.lock().unwrap().calls.clone()
    }
}

/// A stand-in for CloudFormation with no stack yet, whose change sets hold `changes` additions,
/// handed out 100 a page as `DescribeChangeSet` does.
pub struct PagedChangeSetStub {
    server: Server,
    calls: Arc<Mutex<Vec<BTreeMap<String, String>>>>,
}

/// DescribeChangeSet's page size.
const CHANGES_PER_PAGE: usize = 100;

impl PagedChangeSetStub {
    pub fn start(changes: usize) -> Self {
        let calls: Arc<Mutex<Vec<BTreeMap<String, String>>>> = Arc::default();
        let shared = calls.clone();
        let server = Server::start(move |request| {
            let params = parse_form(&request.body_text());
            let action = params.get("Action").cloned().unwrap_or_default();
            let page: usize = params.get("NextToken").and_then(|t| t.parse().ok()).unwrap_or(0);
            shared.lock().unwrap().push(params);
            match action.as_str() {
                "DescribeStacks" => error("Stack with id Paged does not exist"),
                "CreateChangeSet" => success(
                    &action,
                    "<Id>arn:aws:cloudformation:us-east-1:123456789012:changeSet/c/1</Id><StackId>arn:aws:cloudformation:us-east-1:123456789012:stack/Paged/1</StackId>",
                ),
                "DescribeChangeSet" => {
                    let first = page * CHANGES_PER_PAGE;
                    let last = (first + CHANGES_PER_PAGE).min(changes);
                    let members: String = (first..last)
                        .map(|i| {
                            format!(
                                "<member><Type>Resource</Type><ResourceChange><Action>Add</Action><LogicalResourceId>R{i}</LogicalResourceId><ResourceType>AWS::SQS::Queue</ResourceType></ResourceChange></member>"
                            )
                        })
                        .collect();
                    let next =
                        if last < changes { format!("<NextToken>{}</NextToken>", page + 1) } else { String::new() };
                    success(
                        &action,
                        &format!(
                            "<ChangeSetName>c</ChangeSetName><StackName>Paged</StackName><Status>CREATE_COMPLETE</Status><ExecutionStatus>AVAILABLE</ExecutionStatus><Changes>{members}</Changes>{next}"
                        ),
                    )
                }
                _ => error(END_OF_STUB),
            }
        });
        PagedChangeSetStub { server, calls }
    }

    pub fn url(&self) -> String {
        self.server.url()
    }

    pub fn calls(&self) -> Vec<BTreeMap<String, String>> {
        self.calls.lock().unwrap().clone()
    }
}

/// A stand-in for CloudFormation and Auto Scaling in which a stack's first creation fails and
/// rolls back while its Auto Scaling group holds an instance protected from scale-in (managed
/// draining): the rollback's deletion of the group ends only once the protection is lifted, as on
/// AWS, where it would wait until CloudFormation gives up. Without the lifting, it answers
/// `ROLLBACK_FAILED` after `PATIENCE` looks at the stack, so a test ends either way.
pub struct RollingBackCreateStub {
    server: Server,
    state: Arc<Mutex<RollbackState>>,
}

#[derive(Default)]
struct RollbackState {
    calls: Vec<BTreeMap<String, String>>,
    executed: bool,
    lifted: bool,
    looks: usize,
}

impl Records for RollbackState {
    fn calls(&mut self) -> &mut Vec<Form> {
        &mut self.calls
    }
}

/// The group the failed creation made, and its one protected instance.
pub const ROLLBACK_GROUP: &str = "Managed-ASG-1";
const ROLLBACK_INSTANCE: &str = "i-0123456789abcdef0";
/// Looks at the stack (about 2 s apart) before the stub gives up on a rollback that hangs.
const PATIENCE: usize = 15;
const AUTOSCALING: &str = "http://autoscaling.amazonaws.com/doc/2011-01-01/";

impl RollingBackCreateStub {
    pub fn start(stack: &str) -> Self {
        let (server, state) = stack_stub(stack, |action, state: &mut RollbackState, stack| {
            let (stack_id, stack) = (&stack.id, &stack.name);
            let missing = format!("Stack with id {stack} does not exist");
            match action {
                "DescribeStacks" | "DescribeStackEvents" if !state.executed => error(&missing),
                "DescribeStacks" => {
                    state.looks += 1;
                    let status = match (state.lifted, state.looks > PATIENCE) {
                        (true, _) => "ROLLBACK_COMPLETE",
                        (false, true) => "ROLLBACK_FAILED",
                        (false, false) => "ROLLBACK_IN_PROGRESS",
                    };
                    success(
                        action,
                        &format!(
                            "<Stacks><member><StackName>{stack}</StackName><StackId>{stack_id}</StackId><StackStatus>{status}</StackStatus><CreationTime>2026-11-29T10:00:00Z</CreationTime></member></Stacks>"
                        ),
                    )
                }
                "DescribeStackEvents" => {
                    let event = |id: &str, logical: &str, physical: &str, kind: &str, status: &str, reason: &str| {
                        format!(
                            "<member><EventId>{id}</EventId><StackId>{stack_id}</StackId><StackName>{stack}</StackName><LogicalResourceId>{logical}</LogicalResourceId><PhysicalResourceId>{physical}</PhysicalResourceId><ResourceType>{kind}</ResourceType><ResourceStatus>{status}</ResourceStatus><ResourceStatusReason>{reason}</ResourceStatusReason><Timestamp>2026-11-29T10:0{}:00Z</Timestamp></member>",
                            id.len() % 10
                        )
                    };
                    let group = "AWS::AutoScaling::AutoScalingGroup";
                    let mut events = Vec::new();
                    if state.lifted {
                        events.push(event(
                            "e6",
                            stack,
                            stack_id,
                            "AWS::CloudFormation::Stack",
                            "ROLLBACK_COMPLETE",
                            "",
                        ));
                        events.push(event("e5", "Asg", ROLLBACK_GROUP, group, "DELETE_COMPLETE", ""));
                    }
                    events.push(event("e4", "Asg", ROLLBACK_GROUP, group, "DELETE_IN_PROGRESS", ""));
                    events.push(event(
                        "e3",
                        stack,
                        stack_id,
                        "AWS::CloudFormation::Stack",
                        "ROLLBACK_IN_PROGRESS",
                        "The following resource(s) failed to create: [Service].",
                    ));
                    events.push(event(
                        "e2",
                        "Service",
                        "",
                        "AWS::ECS::Service",
                        "CREATE_FAILED",
                        "Resource handler returned message: the service did not stabilize",
                    ));
                    events.push(event(
                        "e1",
                        stack,
                        stack_id,
                        "AWS::CloudFormation::Stack",
                        "CREATE_IN_PROGRESS",
                        "User Initiated",
                    ));
                    success(action, &format!("<StackEvents>{}</StackEvents>", events.concat()))
                }
                "CreateChangeSet" => success(
                    action,
                    &format!(
                        "<Id>arn:aws:cloudformation:us-east-1:123456789012:changeSet/c/1</Id><StackId>{stack_id}</StackId>"
                    ),
                ),
                "DescribeChangeSet" => success(
                    action,
                    &format!(
                        "<ChangeSetName>c</ChangeSetName><StackName>{stack}</StackName><Status>CREATE_COMPLETE</Status><ExecutionStatus>AVAILABLE</ExecutionStatus><Changes><member><Type>Resource</Type><ResourceChange><Action>Add</Action><LogicalResourceId>Asg</LogicalResourceId><ResourceType>AWS::AutoScaling::AutoScalingGroup</ResourceType></ResourceChange></member></Changes>"
                    ),
                ),
                "ExecuteChangeSet" => {
                    state.executed = true;
                    success(action, "")
                }
                "DescribeAutoScalingGroups" => {
                    let protected = !state.lifted;
                    query_success(
                        AUTOSCALING,
                        action,
                        &format!(
                            "<AutoScalingGroups><member><AutoScalingGroupName>{ROLLBACK_GROUP}</AutoScalingGroupName><AutoScalingGroupARN>arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:1:autoScalingGroupName/{ROLLBACK_GROUP}</AutoScalingGroupARN><MinSize>0</MinSize><MaxSize>1</MaxSize><DesiredCapacity>0</DesiredCapacity><DefaultCooldown>300</DefaultCooldown><AvailabilityZones><member>us-east-1a</member></AvailabilityZones><HealthCheckType>EC2</HealthCheckType><CreatedTime>2026-11-29T10:00:00Z</CreatedTime><NewInstancesProtectedFromScaleIn>{protected}</NewInstancesProtectedFromScaleIn><Instances><member><InstanceId>{ROLLBACK_INSTANCE}</InstanceId><AvailabilityZone>us-east-1a</AvailabilityZone><LifecycleState>InService</LifecycleState><HealthStatus>Healthy</HealthStatus><ProtectedFromScaleIn>{protected}</ProtectedFromScaleIn></member></Instances></member></AutoScalingGroups>"
                        ),
                    )
                }
                "UpdateAutoScalingGroup" => query_success(AUTOSCALING, action, ""),
                "SetInstanceProtection" => {
                    state.lifted = true;
                    query_success(AUTOSCALING, action, "")
                }
                _ => error(END_OF_STUB),
            }
        });
        RollingBackCreateStub { server, state }
    }

    pub fn url(&self) -> String {
        self.server.url()
    }

    /// Each call's form parameters (`Action` among them), in order.
    pub fn calls(&self) -> Vec<BTreeMap<String, String>> {
        self.state.lock().unwrap().calls.clone()
    }
}

fn success(action: &str, result: &str) -> Response {
    query_success(NAMESPACE, action, result)
}

fn error(message: &str) -> Response {
    query_error(NAMESPACE, message)
}

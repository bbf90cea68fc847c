//! A stand-in for CloudFormation holding one stack whose first creation failed and was rolled back
//! (`ROLLBACK_COMPLETE`), which moto cannot produce: it answers the calls that find, follow and
//! delete the stack, records every call, and refuses anything after the deletion, so a test sees
//! what a deploy did about the stack before it went on.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use crate::autoscaling::parse_form;
use crate::http::{Response, Server};

const NAMESPACE: &str = "http://cloudformation.amazonaws.com/doc/2010-05-15/";
/// What the stub answers once the deploy goes past the failed stack.
pub const END_OF_STUB: &str = "the stub ends here";

#[derive(Default)]
struct State {
    calls: Vec<BTreeMap<String, String>>,
    deleted: bool,
}

pub struct FailedStackStub {
    server: Server,
    state: Arc<Mutex<State>>,
}

impl FailedStackStub {
    pub fn start(stack: &str) -> Self {
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        let stack = stack.to_owned();
        let server = Server::start(move |request| {
            let params = parse_form(&request.body_text());
            let action = params.get("Action").cloned().unwrap_or_default();
            let mut state = shared.lock().unwrap();
            state.calls.push(params);
            let stack_id = format!("arn:aws:cloudformation:us-east-1:123456789012:stack/{stack}/1");
            match (action.as_str(), state.deleted) {
                ("DescribeStacks" | "DescribeStackEvents", true) => {
                    error(&format!("Stack with id {stack} does not exist"))
                }
                ("DescribeStacks", false) => success(
                    &action,
                    &format!(
                        "<Stacks><member><StackName>{stack}</StackName><StackId>{stack_id}</StackId><StackStatus>ROLLBACK_COMPLETE</StackStatus><CreationTime>2026-11-29T10:00:00Z</CreationTime></member></Stacks>"
                    ),
                ),
                ("DescribeStackEvents", false) => success(
                    &action,
                    &format!(
                        "<StackEvents><member><EventId>last-event</EventId><StackId>{stack_id}</StackId><StackName>{stack}</StackName><LogicalResourceId>{stack}</LogicalResourceId><ResourceType>AWS::CloudFormation::Stack</ResourceType><ResourceStatus>ROLLBACK_COMPLETE</ResourceStatus><Timestamp>2026-11-29T10:05:00Z</Timestamp></member></StackEvents>"
                    ),
                ),
                ("DeleteStack", _) => {
                    state.deleted = true;
                    success(&action, "")
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

fn success(action: &str, result: &str) -> Response {
    let body = format!(
        "<{action}Response xmlns=\"{NAMESPACE}\"><{action}Result>{result}</{action}Result><ResponseMetadata><RequestId>stub</RequestId></ResponseMetadata></{action}Response>"
    );
    Response::new(200, "text/xml", body)
}

fn error(message: &str) -> Response {
    let body = format!(
        "<ErrorResponse xmlns=\"{NAMESPACE}\"><Error><Type>Sender</Type><Code>ValidationError</Code><Message>{message}</Message></Error><RequestId>stub</RequestId></ErrorResponse>"
    );
    Response::new(400, "text/xml", body)
}

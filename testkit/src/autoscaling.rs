//! A stand-in for the Auto Scaling API's lifecycle-action calls, which moto does not implement:
//! it speaks the Query protocol, records each call, and answers like AWS, including "No active
//! Lifecycle Action found" once an action has been completed (by its token, or by its instance
//! when no token is given). It also says which group holds an instance waiting to terminate
//! (`DescribeAutoScalingInstances`).

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use crate::http::{Response, Server, query_error, query_success};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Call {
    pub action: String,
    pub params: BTreeMap<String, String>,
    /// When the stub received it.
    pub at: Instant,
}

#[derive(Default)]
struct State {
    calls: Vec<Call>,
    completed_tokens: HashSet<String>,
    /// Instances a hook holds: instance ID to group, until their action is completed.
    held: BTreeMap<String, String>,
}

pub struct AutoScalingStub {
    server: Server,
    state: Arc<Mutex<State>>,
}

impl AutoScalingStub {
    pub fn start() -> Self {
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        let server = Server::start(move |request| {
            let params = parse_form(&request.body_text());
            let action = params.get("Action").cloned().unwrap_or_default();
            let token = params.get("LifecycleActionToken").cloned().unwrap_or_default();
            let instance = params.get("InstanceId").cloned().unwrap_or_default();
            let mut state = shared.lock().unwrap();
            state.calls.push(Call { action: action.clone(), params: params.clone(), at: Instant::now() });
            if state.completed_tokens.contains(&token) && !token.is_empty() {
                return error(&format!("No active Lifecycle Action found with token {token}"));
            }
            match action.as_str() {
                "CompleteLifecycleAction" if token.is_empty() => match state.held.remove(&instance) {
                    Some(_) => success(&action),
                    None => error(&format!("No active Lifecycle Action found with instance ID {instance}")),
                },
                "CompleteLifecycleAction" => {
                    state.completed_tokens.insert(token);
                    state.held.remove(&instance);
                    success(&action)
                }
                "DescribeAutoScalingInstances" => {
                    let id = params.get("InstanceIds.member.1").cloned().unwrap_or_default();
                    let members = state.held.get(&id).map_or(String::new(), |group| {
                        format!(
                            "<member><InstanceId>{id}</InstanceId><AutoScalingGroupName>{group}</AutoScalingGroupName><AvailabilityZone>us-east-1a</AvailabilityZone><LifecycleState>Terminating:Wait</LifecycleState><HealthStatus>HEALTHY</HealthStatus><ProtectedFromScaleIn>false</ProtectedFromScaleIn></member>"
                        )
                    });
                    query_success(
                        NAMESPACE,
                        &action,
                        &format!("<AutoScalingInstances>{members}</AutoScalingInstances>"),
                    )
                }
                "RecordLifecycleActionHeartbeat" => success(&action),
                other => error(&format!("the stub does not implement {other}")),
            }
        });
        AutoScalingStub { server, state }
    }

    pub fn url(&self) -> String {
        self.server.url()
    }

    pub fn calls(&self) -> Vec<Call> {
        self.state.lock().unwrap().calls.clone()
    }

    /// `instance` waits to terminate in `group`, held by its hook, until its action is completed.
    pub fn hold(&self, instance: &str, group: &str) {
        self.state.lock().unwrap().held.insert(instance.to_owned(), group.to_owned());
    }

    /// Marks an action as completed elsewhere, as a duplicate delivery would have.
    pub fn complete_elsewhere(&self, token: &str) {
        self.state.lock().unwrap().completed_tokens.insert(token.to_owned());
    }
}

const NAMESPACE: &str = "http://autoscaling.amazonaws.com/doc/2011-01-01/";

/// `application/x-www-form-urlencoded` into a map.
pub(crate) fn parse_form(body: &str) -> BTreeMap<String, String> {
    body.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn success(action: &str) -> Response {
    query_success(NAMESPACE, action, "")
}

fn error(message: &str) -> Response {
    query_error(NAMESPACE, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_forms() {
        let form =
            parse_form("Action=CompleteLifecycleAction&LifecycleActionResult=CONTINUE&InstanceId=i-1%2F2+x&Bad=%zz");
        assert_eq!(form["Action"], "CompleteLifecycleAction");
        assert_eq!(form["InstanceId"], "i-1/2 x");
        assert_eq!(form["Bad"], "%zz");
    }
}

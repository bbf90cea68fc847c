//! What Auto Scaling sends when a lifecycle hook fires, and how a message is told apart from the
//! test notification a hook sends when it is created.

use chrono::{DateTime, Utc};
use serde::Deserialize;

pub const TERMINATING: &str = "autoscaling:EC2_INSTANCE_TERMINATING";
const TEST_NOTIFICATION: &str = "autoscaling:TEST_NOTIFICATION";

/// A lifecycle action to act on; the fields `CompleteLifecycleAction` needs, and when it started.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct LifecycleMessage {
    pub auto_scaling_group_name: String,
    pub lifecycle_hook_name: String,
    pub lifecycle_action_token: String,
    #[serde(rename = "EC2InstanceId")]
    pub ec2_instance_id: String,
    pub lifecycle_transition: String,
    /// When the instance entered the wait: the drain budget counts from here.
    pub time: DateTime<Utc>,
}

/// A notification, classified.
#[derive(Debug, PartialEq, Eq)]
pub enum Notification {
    /// Sent once when the hook is created; nothing to do.
    Test,
    /// A lifecycle transition other than termination; nothing to do.
    OtherTransition(String),
    Terminating(LifecycleMessage),
}

#[derive(Debug, thiserror::Error)]
#[error("malformed lifecycle message: {reason}")]
pub struct MalformedMessage {
    reason: String,
}

impl MalformedMessage {
    pub fn empty() -> Self {
        MalformedMessage { reason: "the message has no body".into() }
    }
}

impl Notification {
    pub fn parse(text: &str) -> Result<Notification, MalformedMessage> {
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| MalformedMessage { reason: format!("not JSON: {e}") })?;
        if value.get("Event").and_then(|e| e.as_str()) == Some(TEST_NOTIFICATION) {
            return Ok(Notification::Test);
        }
        match value.get("LifecycleTransition").and_then(|t| t.as_str()) {
            Some(TERMINATING) => {}
            Some(other) => return Ok(Notification::OtherTransition(other.to_owned())),
            None => return Err(MalformedMessage { reason: "no LifecycleTransition and no test Event".into() }),
        }
        serde_json::from_value(value)
            .map(Notification::Terminating)
            .map_err(|e| MalformedMessage { reason: e.to_string() })
    }
}

/// EventBridge's `detail-type` for ECS's container instance events.
pub const INSTANCE_STATE_CHANGE: &str = "ECS Container Instance State Change";

/// What ECS tells EventBridge when a container instance changes: a task stopped on it (its
/// resources came free), its status changed. The drainer reads which instance it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InstanceEvent {
    pub ec2_instance_id: String,
    /// ECS's status of the container instance: the rule passes only DRAINING.
    pub status: String,
}

impl InstanceEvent {
    /// `None` when `event` is not a container instance state change at all.
    pub fn parse(event: &serde_json::Value) -> Option<Result<InstanceEvent, MalformedMessage>> {
        if event.get("detail-type").and_then(|t| t.as_str()) != Some(INSTANCE_STATE_CHANGE) {
            return None;
        }
        let detail = &event["detail"];
        let field = |name: &str| detail.get(name).and_then(|v| v.as_str()).filter(|v| !v.is_empty()).map(str::to_owned);
        Some(match (field("ec2InstanceId"), field("status")) {
            (Some(ec2_instance_id), Some(status)) => Ok(InstanceEvent { ec2_instance_id, status }),
            _ => Err(MalformedMessage {
                reason: "a container instance event without detail.ec2InstanceId or detail.status".into(),
            }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TERMINATING_MESSAGE: &str = include_str!("../tests/fixtures/lifecycle-terminating.json");
    const TEST_MESSAGE: &str = include_str!("../tests/fixtures/lifecycle-test-notification.json");

    #[test]
    fn reads_a_terminating_action() {
        let Notification::Terminating(m) = Notification::parse(TERMINATING_MESSAGE).unwrap() else {
            panic!("expected a terminating action");
        };
        assert_eq!(m.ec2_instance_id, "i-0123456789abcdef0");
        assert_eq!(m.lifecycle_hook_name, "drain-hook");
        assert_eq!(m.time.to_rfc3339(), "2026-11-25T18:00:00.123+00:00");
    }

    #[test]
    fn recognises_the_test_notification() {
        assert_eq!(Notification::parse(TEST_MESSAGE).unwrap(), Notification::Test);
    }

    #[test]
    fn ignores_other_transitions() {
        let launching = TERMINATING_MESSAGE.replace(TERMINATING, "autoscaling:EC2_INSTANCE_LAUNCHING");
        assert_eq!(
            Notification::parse(&launching).unwrap(),
            Notification::OtherTransition("autoscaling:EC2_INSTANCE_LAUNCHING".into())
        );
    }

    #[test]
    fn reads_a_container_instance_event() {
        let event: serde_json::Value =
            serde_json::from_str(include_str!("../tests/fixtures/container-instance-draining.json")).unwrap();
        let parsed = InstanceEvent::parse(&event).expect("a container instance event").unwrap();
        assert_eq!(parsed, InstanceEvent { ec2_instance_id: "i-0123456789abcdef0".into(), status: "DRAINING".into() });
        let mut other = event.clone();
        other["detail-type"] = "ECS Task State Change".into();
        assert!(InstanceEvent::parse(&other).is_none(), "another kind of event is not this one");
        let mut broken = event;
        broken["detail"].as_object_mut().unwrap().remove("ec2InstanceId");
        assert!(InstanceEvent::parse(&broken).unwrap().unwrap_err().to_string().contains("detail.ec2InstanceId"));
    }

    #[test]
    fn malformed_messages_are_clear_errors() {
        for (text, fragment) in [
            ("not json", "not JSON"),
            ("{}", "no LifecycleTransition"),
            (r#"{"LifecycleTransition": "autoscaling:EC2_INSTANCE_TERMINATING"}"#, "missing field"),
        ] {
            let err = Notification::parse(text).unwrap_err().to_string();
            assert!(err.starts_with("malformed lifecycle message: ") && err.contains(fragment), "{err}");
        }
    }
}

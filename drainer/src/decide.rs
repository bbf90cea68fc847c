//! What to do about a terminating instance, given what ECS says about it now. Pure: no AWS here.

use std::time::Duration;

/// An instance as ECS sees it, when it has joined the cluster.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContainerInstance {
    pub arn: String,
    /// ECS's status: ACTIVE, DRAINING, INACTIVE, ...
    pub status: String,
    /// Tasks placed on the instance that have not stopped yet, plus those pending.
    pub tasks: usize,
    /// The ARNs of the tasks that have not stopped, for the record when time runs out.
    pub unstopped_task_arns: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Let Auto Scaling terminate the instance now.
    Complete { reason: Reason, drain_first: bool },
    /// Tasks are still leaving: keep the lifecycle action alive and look again later.
    Wait { drain_first: bool, tasks: usize },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    /// The instance never joined the cluster, or has already left it.
    NotInCluster,
    NoTasksLeft,
    /// The drain time is spent; these tasks were still there.
    BudgetExhausted {
        tasks: usize,
    },
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::NotInCluster => "not-in-cluster",
            Reason::NoTasksLeft => "no-tasks-left",
            Reason::BudgetExhausted { .. } => "budget-exhausted",
        }
    }
}

/// Where Auto Scaling has an instance, as `DescribeAutoScalingInstances` says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupMembership {
    pub group: String,
    /// Auto Scaling's lifecycle state: InService, Terminating:Wait, ...
    pub lifecycle_state: String,
}

/// The state of an instance a lifecycle hook holds on its way out.
pub const TERMINATING_WAIT: &str = "Terminating:Wait";

/// Whether an instance is held by our hook: in `group`, waiting to terminate. An event about any
/// other instance changes nothing.
pub fn held_by_hook(membership: Option<&GroupMembership>, group: &str) -> bool {
    membership.is_some_and(|m| m.group == group && m.lifecycle_state == TERMINATING_WAIT)
}

pub const ACTIVE: &str = "ACTIVE";
const DRAINING: &str = "DRAINING";

/// `elapsed` counts from the lifecycle message's time; `budget` is the configured drain time.
pub fn decide(instance: Option<&ContainerInstance>, elapsed: Duration, budget: Duration) -> Decision {
    let Some(instance) = instance.filter(|i| i.status == ACTIVE || i.status == DRAINING) else {
        return Decision::Complete { reason: Reason::NotInCluster, drain_first: false };
    };
    // An idle ACTIVE instance is still set to DRAINING, so no task lands on it on its way out.
    let drain_first = instance.status == ACTIVE;
    if instance.tasks == 0 {
        return Decision::Complete { reason: Reason::NoTasksLeft, drain_first };
    }
    if elapsed >= budget {
        return Decision::Complete { reason: Reason::BudgetExhausted { tasks: instance.tasks }, drain_first: false };
    }
    Decision::Wait { drain_first, tasks: instance.tasks }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn instance(status: &str, tasks: usize) -> ContainerInstance {
        ContainerInstance { arn: "arn:ci".into(), status: status.into(), tasks, unstopped_task_arns: Vec::new() }
    }

    const BUDGET: Duration = Duration::from_secs(300);
    const EARLY: Duration = Duration::from_secs(10);

    #[test]
    fn only_our_groups_waiting_instances_are_held_by_the_hook() {
        let member = |group: &str, state: &str| GroupMembership { group: group.into(), lifecycle_state: state.into() };
        for (name, membership, held) in [
            ("ours, waiting", Some(member("shop-asg", TERMINATING_WAIT)), true),
            ("ours, in service", Some(member("shop-asg", "InService")), false),
            ("ours, already terminating", Some(member("shop-asg", "Terminating:Proceed")), false),
            ("another group's, waiting", Some(member("other-asg", TERMINATING_WAIT)), false),
            ("in no group", None, false),
        ] {
            assert_eq!(held_by_hook(membership.as_ref(), "shop-asg"), held, "{name}");
        }
    }

    #[test]
    fn decision_table() {
        use Decision::*;
        let cases = [
            ("never joined", None, EARLY, Complete { reason: Reason::NotInCluster, drain_first: false }),
            (
                "left already",
                Some(instance("INACTIVE", 0)),
                EARLY,
                Complete { reason: Reason::NotInCluster, drain_first: false },
            ),
            (
                "deregistering",
                Some(instance("DEREGISTERING", 3)),
                EARLY,
                Complete { reason: Reason::NotInCluster, drain_first: false },
            ),
            ("active with tasks", Some(instance("ACTIVE", 3)), EARLY, Wait { drain_first: true, tasks: 3 }),
            (
                "active and idle",
                Some(instance("ACTIVE", 0)),
                EARLY,
                Complete { reason: Reason::NoTasksLeft, drain_first: true },
            ),
            ("draining with tasks", Some(instance("DRAINING", 2)), EARLY, Wait { drain_first: false, tasks: 2 }),
            (
                "draining done",
                Some(instance("DRAINING", 0)),
                EARLY,
                Complete { reason: Reason::NoTasksLeft, drain_first: false },
            ),
            (
                "more than a page of tasks",
                Some(instance("DRAINING", 250)),
                EARLY,
                Wait { drain_first: false, tasks: 250 },
            ),
            (
                "budget spent",
                Some(instance("DRAINING", 2)),
                BUDGET,
                Complete { reason: Reason::BudgetExhausted { tasks: 2 }, drain_first: false },
            ),
            (
                "budget spent before draining",
                Some(instance("ACTIVE", 1)),
                BUDGET * 2,
                Complete { reason: Reason::BudgetExhausted { tasks: 1 }, drain_first: false },
            ),
            (
                "budget spent but empty",
                Some(instance("DRAINING", 0)),
                BUDGET * 2,
                Complete { reason: Reason::NoTasksLeft, drain_first: false },
            ),
        ];
        for (name, observed, elapsed, expected) in cases {
            assert_eq!(decide(observed.as_ref(), elapsed, BUDGET), expected, "{name}");
        }
    }
}

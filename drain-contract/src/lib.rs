//! The contract between the template ecs-alb synthesizes and the drainer function it deploys:
//! the environment variables the template sets and the function reads, and the clocks both count
//! on. One place, read by both crates, so neither can change its side alone. (No dependencies:
//! the drainer's build stays small, and `ecs-alb synth` pulls in nothing new.)

/// The environment variables of the function, as the template sets them.
pub mod env {
    /// The ECS cluster whose instances the function drains.
    pub const CLUSTER: &str = "CLUSTER";
    /// The SQS queue the function sends its next check of an instance to.
    pub const RECHECK_QUEUE_URL: &str = "RECHECK_QUEUE_URL";
    /// Where a re-check it cannot read goes.
    pub const DEAD_LETTER_QUEUE_URL: &str = "DEAD_LETTER_QUEUE_URL";
    /// How long an instance may take to drain, counted from its lifecycle message.
    pub const DRAIN_BUDGET_SECONDS: &str = "DRAIN_BUDGET_SECONDS";
    /// The delay of each re-check while tasks remain.
    pub const RECHECK_DELAY_SECONDS: &str = "RECHECK_DELAY_SECONDS";
    /// How soon a failed check comes back.
    pub const RETRY_DELAY_SECONDS: &str = "RETRY_DELAY_SECONDS";
    /// The longest one check of one instance may take.
    pub const CHECK_TIMEOUT_SECONDS: &str = "CHECK_TIMEOUT_SECONDS";
    /// The group and hook whose actions the function completes on ECS's events (which carry no
    /// token).
    pub const AUTO_SCALING_GROUP_NAME: &str = "AUTO_SCALING_GROUP_NAME";
    pub const LIFECYCLE_HOOK_NAME: &str = "LIFECYCLE_HOOK_NAME";
}

/// One AWS call, the SDK's own retries included: the function's operation timeout.
pub const CALL_SECONDS: u32 = 2;
/// One check of one instance, every call included; a check that takes longer is abandoned and
/// retried. A check is 4 to 8 calls of tens of milliseconds each in the same region.
pub const CHECK_TIMEOUT_SECONDS: u32 = 4;
/// How long before a failed (or unstarted) check comes back.
pub const RETRY_DELAY_SECONDS: u32 = 5;
/// The re-check delay of a function started without the template's (the longest the template
/// derives: a check every 30 s costs little and notices quickly).
pub const RECHECK_DELAY_SECONDS: u32 = 30;
/// SQS's longest message delay ("Amazon SQS delay queues").
pub const MAX_MESSAGE_DELAY_SECONDS: u32 = 900;

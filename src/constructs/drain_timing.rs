//! The drain path's clocks, derived from the lifecycle hook's heartbeat timeout so that a
//! terminating instance's lifecycle action can never expire between two checks of a healthy
//! drainer, nor after one failed check or one lost invocation.
//!
//! The lifecycle action waits `heartbeat` seconds for a heartbeat or a completion, then Auto
//! Scaling applies the default result (CONTINUE: the instance is terminated, tasks or not). Each
//! check records a heartbeat, then sends the next check to the re-check queue with a delay. Between
//! two heartbeats there is therefore at most:
//!
//! ```text
//!   send        the heartbeat, then the SendMessage call that queues the next check   ≤ CALL
//!   + delay     the message's DelaySeconds                                           = recheck_delay
//!   + delivery  until the event source mapping's long poll hands it to the function  ≤ DELIVERY
//!   + check     the next check's calls, up to its heartbeat (bounded by a timeout)   ≤ check_timeout
//! ```
//!
//! and, when that next check fails, one of:
//!
//! ```text
//!   reported    the function sets the message's visibility to `retry_delay` and lists it in
//!               batchItemFailures: + retry_delay + delivery + check_timeout
//!   lost        the invocation crashed or timed out: the message comes back when the queue's
//!               visibility timeout runs out: + visibility_timeout + delivery + check_timeout,
//!               counted from its receipt, which the `check` term above already covers
//! ```
//!
//! The first notification comes from SNS, not SQS; when its check fails, the function queues a
//! re-check with `retry_delay` instead of failing (Lambda's own retry of an asynchronous
//! invocation comes a minute later at the earliest, too late for short heartbeats).
//!
//! Facts used (AWS documentation): `HeartbeatTimeout` is 30..7200 s and each heartbeat restarts it
//! ("Amazon EC2 Auto Scaling lifecycle hooks"); SQS `DelaySeconds` is 0..900 and a message listed in
//! `batchItemFailures` returns when its visibility timeout runs out, which `ChangeMessageVisibility`
//! may shorten ("Using Lambda with Amazon SQS"); Lambda refuses an SQS event source whose queue's
//! visibility timeout is below the function's timeout ("Creating and configuring an Amazon SQS
//! event source mapping": equal is allowed). That page also advises six times the function's
//! timeout, so that a throttled batch can be retried: here the heartbeat is the real deadline, and
//! a check that comes back after it would be useless, so the visibility timeout is as short as
//! allowed and retries are counted against the heartbeat instead; `maxReceiveCount` is 1..1000.

use std::time::Duration;

/// Auto Scaling's limits on a lifecycle hook's heartbeat timeout.
pub const MIN_HEARTBEAT_SECONDS: u32 = 30;
pub const MAX_HEARTBEAT_SECONDS: u32 = 7200;
/// One AWS call, the SDK's own retries included (its operation timeout).
pub const CALL_SECONDS: u32 = 2;
/// From a message becoming visible to the function receiving it: the event source mapping
/// long-polls, so this is the poll's turnaround, well under a second normally.
pub const DELIVERY_SECONDS: u32 = 2;
/// One check of one instance, every call included; a check that takes longer is abandoned and
/// retried. A check is 4 to 8 calls of tens of milliseconds each in the same region.
pub const CHECK_TIMEOUT_SECONDS: u32 = 4;
/// How long before a failed (or unstarted) check comes back.
pub const RETRY_DELAY_SECONDS: u32 = 5;
/// The function's timeout: a batch starts a check only while a whole one still fits, so an
/// invocation ends before this unless the process itself hangs.
pub const FUNCTION_TIMEOUT_SECONDS: u32 = 2 * CHECK_TIMEOUT_SECONDS;
/// The re-check queue's visibility timeout: no shorter than the function's timeout (Lambda's
/// rule), no longer, so a lost invocation's checks come back as soon as they can.
pub const VISIBILITY_TIMEOUT_SECONDS: u32 = FUNCTION_TIMEOUT_SECONDS;
// Lambda accepts the queue; and a batch starts a check only while one fits, so the first always does.
const _: () = assert!(VISIBILITY_TIMEOUT_SECONDS >= FUNCTION_TIMEOUT_SECONDS);
const _: () = assert!(CHECK_TIMEOUT_SECONDS < FUNCTION_TIMEOUT_SECONDS);

/// The longest useful re-check delay: a check every 30 s costs little and notices quickly.
const MAX_RECHECK_DELAY_SECONDS: u32 = 30;
/// SQS's limit on `maxReceiveCount`.
const MAX_RECEIVES: u32 = 1000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DrainTimings {
    /// The hook's heartbeat timeout.
    pub heartbeat_seconds: u32,
    /// The delay of each re-check while tasks remain.
    pub recheck_delay_seconds: u32,
    /// How often one check may fail in a row before its message goes to the dead-letter queue:
    /// as many failures as still fit in a heartbeat, and one more try.
    pub max_receives: u32,
}

impl DrainTimings {
    /// The timings for a drain of `drain_seconds` (30..=172800): the heartbeat is the drain time up
    /// to Auto Scaling's limit (longer drains are carried by the heartbeats), and a check comes
    /// every quarter heartbeat, 30 s at most.
    pub fn for_drain(drain_seconds: u32) -> DrainTimings {
        let heartbeat_seconds = drain_seconds.clamp(MIN_HEARTBEAT_SECONDS, MAX_HEARTBEAT_SECONDS);
        let recheck_delay_seconds = (heartbeat_seconds / 4).min(MAX_RECHECK_DELAY_SECONDS);
        let first_check = CALL_SECONDS + recheck_delay_seconds + DELIVERY_SECONDS + CHECK_TIMEOUT_SECONDS;
        let failures = (heartbeat_seconds - first_check - 1) / retry_cycle_seconds();
        DrainTimings { heartbeat_seconds, recheck_delay_seconds, max_receives: (failures + 1).min(MAX_RECEIVES) }
    }

    /// The longest time between two heartbeats when every check succeeds.
    pub fn healthy_gap(&self) -> Duration {
        secs(CALL_SECONDS + self.recheck_delay_seconds + DELIVERY_SECONDS + CHECK_TIMEOUT_SECONDS)
    }

    /// The longest gap when the next `failures` checks fail and are reported.
    pub fn gap_after_failures(&self, failures: u32) -> Duration {
        self.healthy_gap() + secs(failures * retry_cycle_seconds())
    }

    /// The longest gap when the invocation that holds the next check is lost altogether.
    pub fn gap_after_lost_invocation(&self) -> Duration {
        self.healthy_gap() + secs(VISIBILITY_TIMEOUT_SECONDS + DELIVERY_SECONDS + CHECK_TIMEOUT_SECONDS)
    }

    pub fn heartbeat(&self) -> Duration {
        secs(self.heartbeat_seconds)
    }
}

/// A reported failure comes back after the retry delay, is delivered, and checked again.
fn retry_cycle_seconds() -> u32 {
    RETRY_DELAY_SECONDS + DELIVERY_SECONDS + CHECK_TIMEOUT_SECONDS
}

fn secs(seconds: u32) -> Duration {
    Duration::from_secs(seconds.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// For every drain time the configuration allows, a healthy drainer, one that fails a check,
    /// and one that loses an invocation all record the next heartbeat before the action expires;
    /// and the dead-letter queue takes a check only once its retries could no longer make it.
    #[test]
    fn every_allowed_drain_time_keeps_its_action_alive() {
        for drain in 30..=172_800 {
            let t = DrainTimings::for_drain(drain);
            let heartbeat = t.heartbeat();
            assert!(t.recheck_delay_seconds >= 1 && t.recheck_delay_seconds <= 900, "{drain}: SQS's delays");
            assert!(t.healthy_gap() < heartbeat, "{drain}: {t:?}");
            assert!(t.gap_after_failures(1) < heartbeat, "{drain}: one failed check, {t:?}");
            assert!(t.gap_after_lost_invocation() < heartbeat, "{drain}: one lost invocation, {t:?}");
            assert!((1..=MAX_RECEIVES).contains(&t.max_receives), "{drain}: {t:?}");
            let retries = t.max_receives - 1;
            assert!(t.gap_after_failures(retries) < heartbeat, "{drain}: the last retry is in time, {t:?}");
            if t.max_receives < MAX_RECEIVES {
                assert!(t.gap_after_failures(retries + 1) >= heartbeat, "{drain}: no retry given up early, {t:?}");
            }
        }
    }

    #[test]
    fn figures_for_the_readme() {
        let short = DrainTimings::for_drain(30);
        assert_eq!((short.heartbeat_seconds, short.recheck_delay_seconds, short.max_receives), (30, 7, 2));
        let default = DrainTimings::for_drain(300);
        assert_eq!((default.heartbeat_seconds, default.recheck_delay_seconds, default.max_receives), (300, 30, 24));
        let long = DrainTimings::for_drain(172_800);
        assert_eq!((long.heartbeat_seconds, long.recheck_delay_seconds), (7200, 30));
    }
}

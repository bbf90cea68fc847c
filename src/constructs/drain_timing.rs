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
//!   throttled   Lambda had no concurrency to run the function: the event source mapping has
//!               received the message (its receive count goes up) and it comes back when the
//!               visibility timeout runs out, again and again while the throttling lasts
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
//! timeout, "so Lambda can retry if your function is throttled", and so that a batch still running
//! near its timeout is not received twice (which would start a second chain of re-checks). The
//! visibility timeout is that, 48 s, wherever a lost invocation's check still comes back before
//! the heartbeat runs out; shorter drains take the longest that does, down to the function's
//! timeout (drains under 93 s, where a batch near its timeout may still be received twice: a second
//! chain of re-checks costs calls, not safety, since completing twice is harmless). `maxReceiveCount` (1..1000) counts every receive, a throttled
//! one too: it is as many receives as fit in a heartbeat at the fastest they can come (a reported
//! failure's retry, or a throttled receive's visibility timeout), so the re-check reaches the
//! dead-letter queue only once the action could no longer be kept anyway. A throttled function
//! records no heartbeat: the action lasts while the throttling ends within the heartbeat, and the
//! re-check is then still there to record one.
//!
//! No concurrency is reserved for the function: a reservation fails to deploy in accounts whose
//! unreserved concurrency would fall below its minimum (new accounts have 10 in all), and it would
//! cap the function's own concurrency during a mass scale-in. The clocks above carry a throttled
//! spell instead.

use std::time::Duration;

/// Auto Scaling's limits on a lifecycle hook's heartbeat timeout.
pub const MIN_HEARTBEAT_SECONDS: u32 = 30;
pub const MAX_HEARTBEAT_SECONDS: u32 = 7200;
/// The function's side of the clocks, which it reads from the same place.
pub use drain_contract::{CALL_SECONDS, CHECK_TIMEOUT_SECONDS, RETRY_DELAY_SECONDS};
/// From a message becoming visible to the function receiving it: the event source mapping
/// long-polls, so this is the poll's turnaround, well under a second normally.
pub const DELIVERY_SECONDS: u32 = 2;
/// The function's timeout: a batch starts a check only while a whole one still fits, so an
/// invocation ends before this unless the process itself hangs.
pub const FUNCTION_TIMEOUT_SECONDS: u32 = 2 * CHECK_TIMEOUT_SECONDS;
/// The re-check queue's visibility timeout AWS advises: six times the function's timeout.
pub const ADVISED_VISIBILITY_TIMEOUT_SECONDS: u32 = 6 * FUNCTION_TIMEOUT_SECONDS;
// A batch starts a check only while one fits, so the first always does.
const _: () = assert!(CHECK_TIMEOUT_SECONDS < FUNCTION_TIMEOUT_SECONDS);

/// The longest useful re-check delay: a check every 30 s costs little and notices quickly.
const MAX_RECHECK_DELAY_SECONDS: u32 = drain_contract::RECHECK_DELAY_SECONDS;
/// SQS's limit on `maxReceiveCount`.
const MAX_RECEIVES: u32 = 1000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DrainTimings {
    /// The hook's heartbeat timeout.
    pub heartbeat_seconds: u32,
    /// The delay of each re-check while tasks remain.
    pub recheck_delay_seconds: u32,
    /// How often a re-check may be received before it goes to the dead-letter queue: as many
    /// receives as fit in a heartbeat at the fastest they come, and one more.
    pub max_receives: u32,
    /// The re-check queue's visibility timeout: at least the function's timeout (Lambda's rule),
    /// the advised six times that where a lost invocation's check still comes back in time.
    pub visibility_timeout_seconds: u32,
}

impl DrainTimings {
    /// The timings for a drain of `drain_seconds` (30..=172800): the heartbeat is the drain time up
    /// to Auto Scaling's limit (longer drains are carried by the heartbeats), and a check comes
    /// every quarter heartbeat, 30 s at most.
    pub fn for_drain(drain_seconds: u32) -> DrainTimings {
        let heartbeat_seconds = drain_seconds.clamp(MIN_HEARTBEAT_SECONDS, MAX_HEARTBEAT_SECONDS);
        let recheck_delay_seconds = (heartbeat_seconds / 4).min(MAX_RECHECK_DELAY_SECONDS);
        let first_check = CALL_SECONDS + recheck_delay_seconds + DELIVERY_SECONDS + CHECK_TIMEOUT_SECONDS;
        // A lost invocation's check: back after the visibility timeout, delivered and run, all
        // before the heartbeat runs out.
        let room = heartbeat_seconds - first_check - DELIVERY_SECONDS - CHECK_TIMEOUT_SECONDS - 1;
        let visibility_timeout_seconds = room.clamp(FUNCTION_TIMEOUT_SECONDS, ADVISED_VISIBILITY_TIMEOUT_SECONDS);
        let receives = (heartbeat_seconds - first_check - 1) / fastest_receive_seconds(visibility_timeout_seconds);
        DrainTimings {
            heartbeat_seconds,
            recheck_delay_seconds,
            max_receives: (receives + 1).min(MAX_RECEIVES),
            visibility_timeout_seconds,
        }
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
        self.healthy_gap() + secs(self.visibility_timeout_seconds + DELIVERY_SECONDS + CHECK_TIMEOUT_SECONDS)
    }

    /// When the re-check would reach the dead-letter queue at the earliest, from the heartbeat
    /// before it: every receive failing (reported) or throttled as fast as receives can come.
    pub fn earliest_dead_letter(&self) -> Duration {
        self.healthy_gap() + secs((self.max_receives - 1) * fastest_receive_seconds(self.visibility_timeout_seconds))
    }

    pub fn heartbeat(&self) -> Duration {
        secs(self.heartbeat_seconds)
    }
}

/// A reported failure comes back after the retry delay, is delivered, and checked again.
fn retry_cycle_seconds() -> u32 {
    RETRY_DELAY_SECONDS + DELIVERY_SECONDS + CHECK_TIMEOUT_SECONDS
}

/// The soonest a re-check is received again: after a reported failure's retry, or, throttled,
/// after the visibility timeout and a delivery.
fn fastest_receive_seconds(visibility_timeout_seconds: u32) -> u32 {
    retry_cycle_seconds().min(visibility_timeout_seconds + DELIVERY_SECONDS)
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
            assert!(t.earliest_dead_letter() < heartbeat, "{drain}: the last receive is in time, {t:?}");
            if t.max_receives < MAX_RECEIVES {
                let next = fastest_receive_seconds(t.visibility_timeout_seconds);
                assert!(
                    t.earliest_dead_letter() + secs(next) >= heartbeat,
                    "{drain}: no re-check given up while one more receive could still keep the action, {t:?}"
                );
            }
            // Lambda's rule, and AWS's advice wherever the heartbeat leaves room for it.
            assert!(t.visibility_timeout_seconds >= FUNCTION_TIMEOUT_SECONDS, "{drain}: {t:?}");
            if drain >= 93 {
                assert_eq!(t.visibility_timeout_seconds, ADVISED_VISIBILITY_TIMEOUT_SECONDS, "{drain}: {t:?}");
            }
        }
    }

    /// Lambda throttled: the event source mapping receives the re-check and cannot run the
    /// function, so it comes back after each visibility timeout and its receive count grows; no
    /// heartbeat is recorded meanwhile. For every drain time and every throttled spell that ends
    /// in time for a check to keep the action, the re-check is still there (not in the dead-letter
    /// queue) when the spell ends, and that check records the heartbeat before the action expires.
    #[test]
    fn a_throttled_spell_that_ends_in_time_loses_no_re_check() {
        for drain in (30..=7200).chain([86_400, 172_800]) {
            let t = DrainTimings::for_drain(drain);
            let heartbeat = t.heartbeat_seconds;
            // The re-check first becomes visible after the heartbeat's call and its delay.
            let visible = CALL_SECONDS + t.recheck_delay_seconds;
            let receive_cycle = t.visibility_timeout_seconds + DELIVERY_SECONDS;
            for spell in 0..heartbeat {
                // Receives while throttled, each `receive_cycle` apart, until one after the spell.
                let mut received_at = visible + DELIVERY_SECONDS;
                let mut receives = 1;
                while received_at < visible + spell {
                    received_at += receive_cycle;
                    receives += 1;
                }
                let heartbeat_recorded = received_at + CHECK_TIMEOUT_SECONDS;
                if heartbeat_recorded < heartbeat {
                    assert!(
                        receives <= t.max_receives,
                        "{drain} s drain, {spell} s throttled: {receives} receives, the dead-letter queue after {}",
                        t.max_receives
                    );
                }
            }
        }
    }

    #[test]
    fn figures_for_the_readme() {
        let figures = |t: DrainTimings| {
            (t.heartbeat_seconds, t.recheck_delay_seconds, t.max_receives, t.visibility_timeout_seconds)
        };
        assert_eq!(figures(DrainTimings::for_drain(30)), (30, 7, 2, 8));
        assert_eq!(figures(DrainTimings::for_drain(60)), (60, 15, 4, 30));
        assert_eq!(figures(DrainTimings::for_drain(300)), (300, 30, 24, 48));
        assert_eq!(figures(DrainTimings::for_drain(172_800)), (7200, 30, 652, 48));
    }
}

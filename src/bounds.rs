//! The bounds of the configuration's numbers (AWS's limits), each stated once: the field's schema
//! attribute reads it (so editors and `ecs-alb docs` show it), and so does the field's check. A test walks
//! the schema to prove every range it states is enforced.
//!
//! (The checks do not read the schema itself: building it costs about a millisecond, which every
//! `ecs-alb synth` would pay.)

/// A number's allowed values, and why when the bounds alone would puzzle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bounds {
    pub min: u32,
    pub max: u32,
    pub reason: &'static str,
}

const fn bounds(min: u32, max: u32) -> Bounds {
    Bounds { min, max, reason: "" }
}

impl Bounds {
    pub fn contains(self, value: u32) -> bool {
        (self.min..=self.max).contains(&value)
    }

    /// The rule a value outside breaks, as a diagnostic says it.
    pub fn rule(self) -> String {
        match self.reason {
            "" => format!("must be from {} to {}", self.min, self.max),
            reason => format!("must be from {} to {} ({reason})", self.min, self.max),
        }
    }
}

pub const MAX_AZS: Bounds = Bounds { min: 2, max: 6, reason: "an ALB needs subnets in at least two zones" };
pub const ROOT_VOLUME_GIB: Bounds = Bounds { min: 30, max: 16384, reason: "the image's own snapshot is 30 GiB" };
pub const PERCENT: Bounds = bounds(0, 100);
pub const PORT: Bounds = bounds(1, 65535);
pub const IDLE_TIMEOUT_SECONDS: Bounds = bounds(1, 4000);
pub const DEREGISTRATION_DELAY_SECONDS: Bounds = bounds(0, 3600);
/// The load balancer's health check (ELB's limits).
pub const CHECK_INTERVAL_SECONDS: Bounds = bounds(5, 300);
pub const CHECK_TIMEOUT_SECONDS: Bounds = bounds(2, 120);
pub const CHECK_THRESHOLD: Bounds = bounds(2, 10);
pub const RULE_PRIORITY: Bounds = bounds(1, 50000);
pub const TARGET_CPU_PERCENT: Bounds = bounds(10, 90);
pub const TARGET_REQUESTS: Bounds = bounds(1, 1_000_000);
pub const STOP_TIMEOUT_SECONDS: Bounds = bounds(2, 120);
pub const MAX_HEALTHY_PERCENT: Bounds = bounds(100, 200);
/// A release's bake times, in minutes: up to 24 hours ("CanaryConfiguration", "LinearConfiguration",
/// ECS API Reference).
pub const BAKE_MINUTES: Bounds = bounds(0, 1440);
/// How long ECS waits for a release's lifecycle hook: up to 14 days (the `HookTimeoutConfig` of
/// AWS::ECS::Service's resource schema).
pub const HOOK_TIMEOUT_MINUTES: Bounds = bounds(1, 20_160);
/// An instance refresh's checkpoint delay and bake time: up to 48 hours.
pub const REFRESH_SECONDS: Bounds = bounds(0, 172_800);
/// A container's own health check (ECS's limits, "HealthCheck" in the ECS API Reference).
pub const CONTAINER_CHECK_INTERVAL_SECONDS: Bounds = bounds(5, 300);
pub const CONTAINER_CHECK_TIMEOUT_SECONDS: Bounds = bounds(2, 60);
pub const CONTAINER_CHECK_RETRIES: Bounds = bounds(1, 10);
pub const CONTAINER_CHECK_START_PERIOD_SECONDS: Bounds = bounds(0, 300);

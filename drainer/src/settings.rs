//! What the template tells the function through its environment.

use std::ops::RangeInclusive;
use std::time::Duration;

pub use drain_contract::env::{
    AUTO_SCALING_GROUP_NAME, CHECK_TIMEOUT_SECONDS, CLUSTER, DEAD_LETTER_QUEUE_URL, DRAIN_BUDGET_SECONDS,
    LIFECYCLE_HOOK_NAME, RECHECK_DELAY_SECONDS, RECHECK_QUEUE_URL, RETRY_DELAY_SECONDS,
};
/// Variables the Lambda service sets and the runtime library cannot start without.
pub const LAMBDA_RUNTIME_VARIABLES: [&str; 4] = [
    "AWS_LAMBDA_RUNTIME_API",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_VERSION",
];

// Defaults for a function started without the template's settings (the contract's, which the
// template's clocks start from).
const DEFAULT_RECHECK_DELAY: Duration = Duration::from_secs(drain_contract::RECHECK_DELAY_SECONDS as u64);
const DEFAULT_RETRY_DELAY: Duration = Duration::from_secs(drain_contract::RETRY_DELAY_SECONDS as u64);
const DEFAULT_CHECK_TIMEOUT: Duration = Duration::from_secs(drain_contract::CHECK_TIMEOUT_SECONDS as u64);
/// A check gets at least a second, at most a minute.
const CHECK_TIMEOUT_SECONDS_RANGE: RangeInclusive<u64> = 1..=60;
const MAX_RECHECK_DELAY_SECONDS: u64 = drain_contract::MAX_MESSAGE_DELAY_SECONDS as u64;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    pub cluster: String,
    pub recheck_queue_url: String,
    /// Where malformed re-checks go; without it they are retried until SQS's redrive moves them.
    pub dead_letter_queue_url: Option<String>,
    /// How long an instance may take to drain, counted from its lifecycle message.
    pub drain_budget: Duration,
    pub recheck_delay: Duration,
    /// How soon a failed check comes back.
    pub retry_delay: Duration,
    /// The longest one check of one instance may take before it is abandoned and retried.
    pub check_timeout: Duration,
    /// The hook that holds the instances, for completing an action from ECS's events, which
    /// carry no token; `None` (a template before events) ignores the events.
    pub hook: Option<HookSettings>,
}

/// A lifecycle hook, by its group and name: what `CompleteLifecycleAction` by instance ID takes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HookSettings {
    pub group: String,
    pub name: String,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SettingsError {
    #[error("environment variable {0} is not set (the template sets it)")]
    Missing(&'static str),
    #[error("environment variable {name} is {value:?}: {rule}")]
    Invalid { name: &'static str, value: String, rule: &'static str },
    #[error(
        "environment variable {0} is not set: this is an AWS Lambda function (run it on Lambda, or under a Lambda runtime emulator)"
    )]
    NotInLambda(&'static str),
}

impl Settings {
    /// Reads the settings through `var` (the process environment in production).
    pub fn from_env(var: impl Fn(&str) -> Option<String>) -> Result<Settings, SettingsError> {
        let required = |name: &'static str| var(name).filter(|v| !v.is_empty()).ok_or(SettingsError::Missing(name));
        let seconds =
            |name: &'static str, value: String, range: RangeInclusive<u64>| {
                value.parse::<u64>().ok().filter(|s| range.contains(s)).map(Duration::from_secs).ok_or(
                    SettingsError::Invalid { name, value, rule: "must be a whole number of seconds within range" },
                )
            };
        // A setting the template may leave out, with its default.
        let optional = |name: &'static str, default: Duration, range: RangeInclusive<u64>| match var(name) {
            Some(value) => seconds(name, value, range),
            None => Ok(default),
        };
        let cluster = required(CLUSTER)?;
        let recheck_queue_url = required(RECHECK_QUEUE_URL)?;
        let drain_budget = seconds(DRAIN_BUDGET_SECONDS, required(DRAIN_BUDGET_SECONDS)?, 0..=u64::from(u32::MAX))?;
        let recheck_delay = optional(RECHECK_DELAY_SECONDS, DEFAULT_RECHECK_DELAY, 0..=MAX_RECHECK_DELAY_SECONDS)?;
        let retry_delay = optional(RETRY_DELAY_SECONDS, DEFAULT_RETRY_DELAY, 0..=MAX_RECHECK_DELAY_SECONDS)?;
        let check_timeout = optional(CHECK_TIMEOUT_SECONDS, DEFAULT_CHECK_TIMEOUT, CHECK_TIMEOUT_SECONDS_RANGE)?;
        let dead_letter_queue_url = var(DEAD_LETTER_QUEUE_URL).filter(|v| !v.is_empty());
        let set = |name: &str| var(name).filter(|v| !v.is_empty());
        let hook = match (set(AUTO_SCALING_GROUP_NAME), set(LIFECYCLE_HOOK_NAME)) {
            (Some(group), Some(name)) => Some(HookSettings { group, name }),
            (None, None) => None,
            (Some(_), None) => return Err(SettingsError::Missing(LIFECYCLE_HOOK_NAME)),
            (None, Some(_)) => return Err(SettingsError::Missing(AUTO_SCALING_GROUP_NAME)),
        };
        Ok(Settings {
            cluster,
            recheck_queue_url,
            dead_letter_queue_url,
            drain_budget,
            recheck_delay,
            retry_delay,
            check_timeout,
            hook,
        })
    }

    /// Fails clearly, where the runtime library would panic, when not started by Lambda.
    pub fn check_lambda_environment(var: impl Fn(&str) -> Option<String>) -> Result<(), SettingsError> {
        match LAMBDA_RUNTIME_VARIABLES.into_iter().find(|name| var(name).is_none()) {
            Some(missing) => Err(SettingsError::NotInLambda(missing)),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        move |k| map.get(k).cloned()
    }

    const COMPLETE: [(&str, &str); 3] =
        [(CLUSTER, "shop"), (RECHECK_QUEUE_URL, "https://sqs/q"), (DRAIN_BUDGET_SECONDS, "300")];

    #[test]
    fn reads_every_setting() {
        let s = Settings::from_env(env(&COMPLETE)).unwrap();
        assert_eq!(s.drain_budget, Duration::from_secs(300));
        assert_eq!(s.recheck_delay, Duration::from_secs(30));
        let mut with_delay = COMPLETE.to_vec();
        with_delay.push((RECHECK_DELAY_SECONDS, "60"));
        assert_eq!(Settings::from_env(env(&with_delay)).unwrap().recheck_delay, Duration::from_secs(60));
    }

    #[test]
    fn a_missing_or_bad_setting_is_named() {
        for name in [CLUSTER, RECHECK_QUEUE_URL, DRAIN_BUDGET_SECONDS] {
            let partial: Vec<_> = COMPLETE.iter().copied().filter(|(k, _)| *k != name).collect();
            assert_eq!(Settings::from_env(env(&partial)), Err(SettingsError::Missing(name)));
        }
        let mut bad = COMPLETE.to_vec();
        bad.push((RECHECK_DELAY_SECONDS, "901"));
        let err = Settings::from_env(env(&bad)).unwrap_err().to_string();
        assert!(err.contains("RECHECK_DELAY_SECONDS is \"901\""), "{err}");
        for (name, value) in [(CHECK_TIMEOUT_SECONDS, "0"), (CHECK_TIMEOUT_SECONDS, "61"), (RETRY_DELAY_SECONDS, "x")] {
            let mut bad = COMPLETE.to_vec();
            bad.push((name, value));
            let err = Settings::from_env(env(&bad)).unwrap_err().to_string();
            assert!(err.contains(&format!("{name} is {value:?}")), "{err}");
        }
    }

    #[test]
    fn the_hook_is_named_by_both_its_group_and_its_name_or_not_at_all() {
        assert_eq!(Settings::from_env(env(&COMPLETE)).unwrap().hook, None);
        let mut named = COMPLETE.to_vec();
        named.extend([(AUTO_SCALING_GROUP_NAME, "shop-asg"), (LIFECYCLE_HOOK_NAME, "drain")]);
        let hook = Settings::from_env(env(&named)).unwrap().hook;
        assert_eq!(hook, Some(HookSettings { group: "shop-asg".into(), name: "drain".into() }));
        named.pop();
        assert_eq!(Settings::from_env(env(&named)), Err(SettingsError::Missing(LIFECYCLE_HOOK_NAME)));
    }

    #[test]
    fn outside_lambda_says_so() {
        let err = Settings::check_lambda_environment(env(&[])).unwrap_err().to_string();
        assert!(err.contains("AWS_LAMBDA_RUNTIME_API is not set"), "{err}");
    }
}

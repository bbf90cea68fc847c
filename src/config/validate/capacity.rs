//! The rules of the configuration's instances: type, sizes, image, draining, Spot.

use std::ops::RangeInclusive;

use super::{MAX_NAME_LEN, Rules, has_aws_id, has_id, is_arn, quoted};
use crate::aws::Architecture;
use crate::bounds;
use crate::config::{
    Config, ContainerConfig, DrainPlan, Draining, InstanceUpdatePolicy, MachineImage, ServiceConfig, SpotConfig,
};
use crate::constructs::drain_timing::DrainTimings;

/// A lifecycle hook waits at most 48 hours, heartbeats included.
const DRAIN_SECONDS: RangeInclusive<u32> = 30..=172_800;

pub(super) fn check_capacity(v: &mut Rules, c: &Config) {
    let cap = &c.capacity;
    check_instance_type(v, &cap.instance_type);
    if cap.max_capacity == 0 {
        v.fail("capacity.max_capacity", 0, "must be at least 1: the service needs an instance to run on");
    }
    if cap.min_capacity > cap.max_capacity {
        v.fail(
            "capacity.min_capacity",
            cap.min_capacity,
            format!("must be at most capacity.max_capacity ({})", cap.max_capacity),
        );
    }
    if let Some(desired) = cap.desired_capacity {
        if desired < cap.min_capacity || desired > cap.max_capacity {
            v.fail(
                "capacity.desired_capacity",
                desired,
                format!(
                    "must lie between capacity.min_capacity ({}) and capacity.max_capacity ({})",
                    cap.min_capacity, cap.max_capacity
                ),
            );
        }
    }
    if let Some(key) = &cap.key_name {
        if key.is_empty() || key.len() > MAX_NAME_LEN {
            v.fail_str("capacity.key_name", key, "must be 1 to 255 characters (an EC2 key pair's name)");
        }
    }
    v.range("capacity.root_volume_gib", cap.root_volume_gib, bounds::ROOT_VOLUME_GIB);
    if cap.machine_image == MachineImage::AmazonLinux2 {
        // "Amazon Linux 2 FAQs": standard support ended 2026-06-30, and the ECS-optimized
        // Amazon Linux 2 AMI with it ("Amazon ECS-optimized Linux AMIs", ECS Developer Guide).
        v.warn(
            "capacity.machine_image",
            "amazon-linux-2: Amazon Linux 2 reached its end of life on 2026-06-30 and gets no more security fixes; use amazon-linux-2023 (the default)",
        );
    }
    if let Some(image_id) = &cap.image_id {
        if !has_aws_id(image_id, "ami-") {
            v.fail_str("capacity.image_id", image_id, "must be an AMI ID such as ami-0123456789abcdef0");
        }
    }
    check_refresh(v, c);
    if cap.update_policy == InstanceUpdatePolicy::Replacing && cap.draining == Draining::Managed {
        v.fail_hint(
            "capacity.update_policy",
            "replacing",
            "cannot work with capacity.draining managed: the old group's instances are protected from scale-in, so CloudFormation would wait for them forever",
            "use capacity.update_policy: rolling".to_owned(),
        );
    }
    let drain = cap.task_drain_time_seconds;
    let default_drain = crate::config::CapacityConfig::default().task_drain_time_seconds;
    if cap.draining != Draining::Hook && v.written("capacity.task_drain_time_seconds", drain != default_drain) {
        v.fail(
            "capacity.task_drain_time_seconds",
            drain,
            "is the drain hook's; with capacity.draining managed or none there is no hook to time",
        );
    } else if drain != 0 && !DRAIN_SECONDS.contains(&drain) {
        v.fail(
            "capacity.task_drain_time_seconds",
            drain,
            "must be 0 (no drain hook) or from 30 to 172800 (48 hours, the longest a lifecycle hook can hold an instance)",
        );
    }
    if let Some(spot) = &cap.spot {
        check_spot(v, &cap.instance_type, cap.architecture(), spot);
    }
    if let Some(key) = &cap.drain_topic_kms_key_arn {
        let field = "capacity.drain_topic_kms_key_arn";
        if !matches!(cap.drain_plan(), crate::config::DrainPlan::Hook { .. }) {
            v.fail_str(
                field,
                key,
                "has no topic to encrypt: there is no drain hook (capacity.draining, task_drain_time_seconds)",
            );
        } else if !is_arn(key, "kms", |region, resource| !region.is_empty() && has_id(resource, "key/")) {
            let hint = key
                .contains(":alias/")
                .then(|| "give the key's own ARN (key/...): IAM grants name keys, not aliases".to_owned());
            v.fail_hint(field, quoted(key), "must be a KMS key ARN: arn:aws:kms:REGION:ACCOUNT:key/ID", hint);
        }
    }
}

/// An Auto Scaling group takes at most 40 instance types.
const MAX_INSTANCE_TYPES: usize = 40;

pub(super) fn check_spot(v: &mut Rules, primary: &str, architecture: Architecture, spot: &SpotConfig) {
    for (i, instance_type) in spot.instance_types.iter().enumerate() {
        let field = format!("capacity.spot.instance_types[{i}]");
        if check_instance_type_at(v, &field, instance_type)
            && Architecture::of_instance_type(instance_type) != architecture
        {
            v.fail_str(
                &field,
                instance_type,
                &format!("is not of capacity.instance_type's architecture ({architecture}): one image serves them all"),
            );
        }
        if instance_type == primary || spot.instance_types[..i].contains(instance_type) {
            v.fail_str(&field, instance_type, "is listed twice (capacity.instance_type counts)");
        }
    }
    if spot.instance_types.len() + 1 > MAX_INSTANCE_TYPES {
        v.fail(
            "capacity.spot.instance_types",
            spot.instance_types.len(),
            "are too many: at most 39 besides capacity.instance_type",
        );
    }
    v.range("capacity.spot.on_demand_percentage", spot.on_demand_percentage, bounds::PERCENT);
    if let Some(price) = spot.max_price {
        if !(price.is_finite() && price > 0.0 && price <= 1000.0) {
            v.fail("capacity.spot.max_price", price, "must be a price per hour above 0, in US dollars, such as 0.05");
        }
    }
}

pub(super) fn check_instance_type(v: &mut Rules, instance_type: &str) {
    check_instance_type_at(v, "capacity.instance_type", instance_type);
}

/// Checks an instance type's form; says whether it passed.
pub(super) fn check_instance_type_at(v: &mut Rules, field: &str, instance_type: &str) -> bool {
    let valid_part =
        |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    let well_formed =
        instance_type.split_once('.').is_some_and(|(family, size)| valid_part(family) && valid_part(size));
    if !well_formed {
        v.fail_str(field, instance_type, "must be an EC2 instance type such as t3.micro");
    }
    well_formed
}

/// What the ECS agent gives a container to stop when its definition names no stop timeout
/// (`ECS_CONTAINER_STOP_TIMEOUT`, "Amazon ECS container agent configuration").
const DEFAULT_STOP_TIMEOUT_SECONDS: u32 = 30;

/// The drain hook holds an instance for `task_drain_time_seconds`: long enough, it must be, for
/// a task to leave it gracefully. ECS first takes the task out of its target group and waits the
/// deregistration delay for requests in flight, then stops its containers, each within its stop
/// timeout, those that depend on others first ("Container dependency": stop order is the start
/// order reversed); and the drainer notices the last stop within one re-check. A shorter drain
/// terminates the instance with requests in flight, which the hook exists to prevent.
pub(super) fn check_drain_covers_task_stop(v: &mut Rules, c: &Config) {
    let DrainPlan::Hook { drain_time_seconds: drain_seconds, .. } = c.capacity.drain_plan() else { return };
    if !DRAIN_SECONDS.contains(&drain_seconds) {
        return;
    }
    let services = c.services_at();
    let Some((field, stop)) =
        services.iter().map(|s| (&s.path, task_stop_seconds(s.svc))).max_by_key(|(_, stop)| *stop)
    else {
        return;
    };
    let deregistration = c.load_balancer.deregistration_delay_seconds;
    // Out of its own range, a number is reported there, not here again.
    let stop_timeouts_ok = services.iter().all(|s| {
        s.svc.containers().all(|c| c.stop_timeout_seconds.is_none_or(|t| bounds::STOP_TIMEOUT_SECONDS.contains(t)))
    });
    if !bounds::DEREGISTRATION_DELAY_SECONDS.contains(deregistration) || !stop_timeouts_ok {
        return;
    }
    let recheck = DrainTimings::for_drain(drain_seconds).recheck_delay_seconds;
    let needed = deregistration + stop + recheck;
    if drain_seconds < needed {
        v.fail_hint(
            "capacity.task_drain_time_seconds",
            drain_seconds,
            format!(
                "is shorter than a task takes to leave an instance: load_balancer.deregistration_delay_seconds ({deregistration}) + {field}'s containers stopping ({stop}) + one re-check ({recheck}) = {needed} s; instances would end with requests in flight"
            ),
            format!("make it at least {needed}, or shorten the deregistration delay or the stop timeouts"),
        );
    }
}

/// The longest a task of `svc` takes to stop: along its longest chain of `depends_on`, each
/// container's stop timeout (its own, else the agent's default).
fn task_stop_seconds(svc: &ServiceConfig) -> u32 {
    let containers: Vec<&ContainerConfig> = svc.containers().collect();
    let timeout = |name: &str| {
        let container = containers.iter().find(|c| c.name() == name);
        container.and_then(|c| c.stop_timeout_seconds).unwrap_or(DEFAULT_STOP_TIMEOUT_SECONDS)
    };
    // A container stops after every container that depends on it; depth-bounded, since a
    // circle is refused elsewhere and may still be here.
    fn chain(name: &str, containers: &[&ContainerConfig], timeout: &dyn Fn(&str) -> u32, depth: usize) -> u32 {
        let own = timeout(name);
        if depth > containers.len() {
            return own;
        }
        let dependencies = containers.iter().find(|c| c.name() == name).map_or(&[][..], |c| &c.depends_on[..]);
        own + dependencies.iter().map(|d| chain(&d.container, containers, timeout, depth + 1)).max().unwrap_or(0)
    }
    containers.iter().map(|c| chain(c.name(), &containers, &timeout, 0)).max().unwrap_or(DEFAULT_STOP_TIMEOUT_SECONDS)
}

/// An instance refresh's settings, as Auto Scaling takes them ("RefreshPreferences", Amazon EC2
/// Auto Scaling API Reference), and only with `update_policy: refresh`.
fn check_refresh(v: &mut Rules, c: &Config) {
    let Some(refresh) = &c.capacity.refresh else { return };
    v.range("capacity.refresh.min_healthy_percent", refresh.min_healthy_percent, bounds::PERCENT);
    v.range("capacity.refresh.max_healthy_percent", refresh.max_healthy_percent, bounds::MAX_HEALTHY_PERCENT);
    v.range_if_set(
        "capacity.refresh.checkpoint_delay_seconds",
        refresh.checkpoint_delay_seconds,
        bounds::REFRESH_SECONDS,
    );
    v.range("capacity.refresh.bake_time_seconds", refresh.bake_time_seconds, bounds::REFRESH_SECONDS);
    if c.capacity.update_policy != InstanceUpdatePolicy::Refresh {
        v.fail_hint(
            "capacity.refresh",
            "set",
            "is for capacity.update_policy: refresh",
            "set capacity.update_policy: refresh, or leave refresh out".to_owned(),
        );
        return;
    }
    if refresh.max_healthy_percent > refresh.min_healthy_percent + 100 {
        v.fail(
            "capacity.refresh.max_healthy_percent",
            refresh.max_healthy_percent,
            format!("must be at most 100 above capacity.refresh.min_healthy_percent ({})", refresh.min_healthy_percent),
        );
    }
    if refresh.min_healthy_percent == 100 && refresh.max_healthy_percent == 100 {
        v.fail(
            "capacity.refresh.max_healthy_percent",
            100,
            "leaves no room to replace an instance while every one stays in service: raise it above 100, or lower min_healthy_percent",
        );
    }
    let points = &refresh.checkpoints;
    let ascending = points.windows(2).all(|w| w[0] < w[1]);
    let in_range = points.iter().all(|p| (1..=100).contains(p));
    if !points.is_empty() && (!ascending || !in_range || points.last() != Some(&100)) {
        v.fail(
            "capacity.refresh.checkpoints",
            format!("{points:?}"),
            "must be percentages from 1 to 100 in ascending order, the last 100 (so every instance is replaced)",
        );
    }
    if refresh.checkpoint_delay_seconds.is_some() && points.is_empty() {
        v.fail("capacity.refresh.checkpoint_delay_seconds", "set", "needs capacity.refresh.checkpoints to pause at");
    }
    if refresh.alarms.len() > 10 {
        v.fail(
            "capacity.refresh.alarms",
            format!("{} alarms", refresh.alarms.len()),
            "are too many: a refresh takes 10",
        );
    }
    for (i, alarm) in refresh.alarms.iter().enumerate() {
        if alarm.is_empty() || alarm.len() > 255 {
            v.fail_str(
                &format!("capacity.refresh.alarms[{i}]"),
                alarm,
                "must be a CloudWatch alarm's name, 1 to 255 characters",
            );
        }
    }
}

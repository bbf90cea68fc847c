//! The rules of the configuration's instances: type, sizes, image, draining, Spot.

use std::ops::RangeInclusive;

use super::{MAX_NAME_LEN, Rules, has_aws_id, has_id, is_arn, quoted};
use crate::aws::Architecture;
use crate::config::bounds;
use crate::config::{Config, Draining, InstanceUpdatePolicy, SpotConfig};

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
    if let Some(image_id) = &cap.image_id {
        if !has_aws_id(image_id, "ami-") {
            v.fail_str("capacity.image_id", image_id, "must be an AMI ID such as ami-0123456789abcdef0");
        }
    }
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

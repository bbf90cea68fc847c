//! The rules of the service's task beyond one container: sidecars and their start order, health
//! checks, storage, the task role's policy, placement, and whether the task fits an instance.

use std::collections::{BTreeMap, BTreeSet};

use super::{ContainerAt, ServiceAt};
use super::{MAX_NAME_LEN, Rules, has_aws_id, quoted};
use crate::aws::instance_memory_mib;
use crate::config::FieldPath;
use crate::config::task::{DISTINCT_INSTANCE, written_name};
use crate::config::{
    Config, ContainerCondition, EfsVolumeConfig, MachineImage, PlacementConfig, TaskRoleConfig, VolumeConfig,
};

/// IAM attaches 10 managed policies to a role by default; the quota goes up to 20.
const DEFAULT_MANAGED_POLICIES: usize = 10;
const MAX_MANAGED_POLICIES: usize = 20;
/// ECS's limits for a service ("Amazon ECS task placement").
const MAX_PLACEMENT_STRATEGIES: usize = 5;
const MAX_PLACEMENT_CONSTRAINTS: usize = 10;
const MAX_EXPRESSION_LEN: usize = 2000;
/// ECS registers less memory than is installed (an m4.large, 8192 MiB, registers 7985: "Reserving
/// Amazon ECS Linux container instance memory", ECS Developer Guide); above this share of the
/// installed memory a task may not fit.
const REGISTERED_MEMORY_PERCENT: u32 = 94;
/// IAM's condition operators ("IAM JSON policy elements: Condition operators"), before the
/// `ForAllValues:`/`ForAnyValue:` prefixes and the `IfExists` suffix.
const CONDITION_OPERATORS: [&str; 27] = [
    "StringEquals",
    "StringNotEquals",
    "StringEqualsIgnoreCase",
    "StringNotEqualsIgnoreCase",
    "StringLike",
    "StringNotLike",
    "NumericEquals",
    "NumericNotEquals",
    "NumericLessThan",
    "NumericLessThanEquals",
    "NumericGreaterThan",
    "NumericGreaterThanEquals",
    "DateEquals",
    "DateNotEquals",
    "DateLessThan",
    "DateLessThanEquals",
    "DateGreaterThan",
    "DateGreaterThanEquals",
    "Bool",
    "BinaryEquals",
    "IpAddress",
    "NotIpAddress",
    "ArnEquals",
    "ArnLike",
    "ArnNotEquals",
    "ArnNotLike",
    "Null",
];

/// The task of one service, `service` or an entry of `services`, reported under its own path.
pub(super) fn check_task(v: &mut Rules, c: &Config, s: &ServiceAt<'_>) {
    let svc = s.svc;
    let containers = s.containers();
    check_container_names(v, &containers);
    let volumes: BTreeSet<&str> = svc.volumes.iter().map(|vol| vol.name.as_str()).collect();
    for container in &containers {
        check_health_check(v, container);
        check_dependencies(v, container, &containers);
        check_mount_points(v, container, &volumes, &s.field("volumes"));
    }
    check_start_order(v, &containers);
    for container in &containers {
        check_process(v, container);
    }
    check_volumes(v, c, s, &containers);
    if let Some(role) = &svc.task_role {
        check_task_role(v, role, &s.field("task_role"));
    }
    if let Some(placement) = &svc.placement {
        check_placement(v, placement, &s.field("placement"));
    }
    check_memory_fits(v, c, &containers);
}

fn check_container_names(v: &mut Rules, containers: &[ContainerAt<'_>]) {
    let mut seen = BTreeSet::new();
    for container in containers {
        if !seen.insert(container.name()) {
            v.fail_str(
                &format!("{}.name", container.field),
                container.name(),
                "is the name of another container of the task",
            );
        }
    }
}

fn check_health_check(v: &mut Rules, container: &ContainerAt<'_>) {
    let Some(hc) = &container.health_check else { return };
    let field = format!("{}.health_check.command", container.field);
    let shown = format!("{:?}", hc.command);
    match hc.command.first().map(String::as_str) {
        Some("CMD") if hc.command.len() >= 2 => {}
        Some("CMD-SHELL") if hc.command.len() == 2 => {}
        Some("CMD-SHELL") => v.fail(
            &field,
            shown,
            "must be CMD-SHELL and one command line, such as [CMD-SHELL, \"curl -f http://localhost/ || exit 1\"]",
        ),
        _ => v.fail_hint(
            &field,
            shown,
            "must start with CMD (then the program and its arguments) or CMD-SHELL (then one command line)",
            "such as [CMD-SHELL, \"curl -f http://localhost/ || exit 1\"]".to_owned(),
        ),
    }
}

fn check_dependencies(v: &mut Rules, container: &ContainerAt<'_>, containers: &[ContainerAt<'_>]) {
    let mut seen = BTreeSet::new();
    for (i, dependency) in container.depends_on.iter().enumerate() {
        let field = format!("{}.depends_on[{i}].container", container.field);
        let name = dependency.container.as_str();
        let Some(target) = containers.iter().find(|c| c.name() == name) else {
            let names: BTreeSet<&str> = containers.iter().map(|c| c.name()).collect();
            let names: Vec<&str> = names.into_iter().collect();
            v.fail_str(&field, name, &format!("is no container of the task (they are {})", names.join(", ")));
            continue;
        };
        if name == container.name() {
            v.fail_str(&field, name, "is this container itself");
        } else if !seen.insert(name) {
            v.fail_str(&field, name, "is named twice");
        }
        let condition_field = format!("{}.depends_on[{i}].condition", container.field);
        match dependency.condition {
            ContainerCondition::Healthy if target.health_check.is_none() => v.fail(
                &condition_field,
                "HEALTHY",
                format!("needs a health check on {name} ({}.health_check): ECS would wait forever", target.field),
            ),
            ContainerCondition::Complete | ContainerCondition::Success if target.essential => v.fail(
                &condition_field,
                written_name(dependency.condition),
                format!("needs {name} to be non-essential (essential: false): an essential container that exits stops the task"),
            ),
            _ => {}
        }
    }
}

/// The containers must start in some order: `depends_on`, and the main container's links to
/// the sidecars with a port (a linked container starts first), may not go round in a circle.
fn check_start_order(v: &mut Rules, containers: &[ContainerAt<'_>]) {
    let mut waits_for: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for container in containers {
        let entry = waits_for.entry(container.name()).or_default();
        entry.extend(container.depends_on.iter().map(|d| d.container.as_str()));
    }
    let main = containers[0].name();
    for sidecar in containers.iter().skip(1).filter(|s| s.port.is_some()) {
        waits_for.entry(main).or_default().push(sidecar.name());
    }
    for container in containers {
        if let Some(cycle) = cycle_from(container.name(), &waits_for) {
            let linked = cycle
                .windows(2)
                .any(|w| w[0] == main && containers.iter().any(|c| c.name() == w[1] && c.port.is_some()));
            let why = if linked {
                " (the main container is linked to each sidecar with a port, so those start first)"
            } else {
                ""
            };
            v.fail(
                &format!("{}.depends_on", container.field),
                cycle.join(" -> "),
                format!("is a circle: no container of it could ever start{why}"),
            );
            return;
        }
    }
}

/// A path of waits from `start` back to it, if there is one.
fn cycle_from<'a>(start: &'a str, waits_for: &BTreeMap<&'a str, Vec<&'a str>>) -> Option<Vec<&'a str>> {
    fn walk<'a>(
        at: &'a str,
        start: &'a str,
        waits_for: &BTreeMap<&'a str, Vec<&'a str>>,
        path: &mut Vec<&'a str>,
        seen: &mut BTreeSet<&'a str>,
    ) -> bool {
        for next in waits_for.get(at).into_iter().flatten() {
            path.push(next);
            if *next == start || (seen.insert(next) && walk(next, start, waits_for, path, seen)) {
                return true;
            }
            path.pop();
        }
        false
    }
    let mut path = vec![start];
    walk(start, start, waits_for, &mut path, &mut BTreeSet::new()).then_some(path)
}

fn check_mount_points(v: &mut Rules, container: &ContainerAt<'_>, volumes: &BTreeSet<&str>, declared_at: &FieldPath) {
    let mut paths = BTreeSet::new();
    for (i, mount) in container.mount_points.iter().enumerate() {
        let field = |name: &str| format!("{}.mount_points[{i}].{name}", container.field);
        if !volumes.contains(mount.volume.as_str()) {
            let declared = if volumes.is_empty() {
                "none is declared".to_owned()
            } else {
                volumes.iter().copied().collect::<Vec<_>>().join(", ")
            };
            v.fail_str(&field("volume"), &mount.volume, &format!("is not one of {declared_at} ({declared})"));
        }
        if !is_absolute_path(&mount.container_path) {
            v.fail_str(&field("container_path"), &mount.container_path, "must be an absolute path, such as /data");
        } else if !paths.insert(mount.container_path.as_str()) {
            v.fail_str(&field("container_path"), &mount.container_path, "is mounted twice in this container");
        }
    }
}

fn is_absolute_path(path: &str) -> bool {
    path.starts_with('/') && path.len() <= 4096 && !path.chars().any(|c| c.is_control())
}

/// How the container's processes run: where, as whom, labelled and limited how.
fn check_process(v: &mut Rules, ct: &ContainerAt<'_>) {
    let field = |name: &str| ct.field.field(name);
    if let Some(dir) = &ct.working_directory {
        if !is_absolute_path(dir) {
            v.fail_str(&field("working_directory"), dir, "must be an absolute path, such as /app");
        }
    }
    if let Some(user) = &ct.user {
        if user.is_empty() || user.len() > MAX_NAME_LEN || user.chars().any(|c| c.is_whitespace() || c.is_control()) {
            v.fail_str(&field("user"), user, "must be user, user:group, uid or uid:gid");
        }
    }
    for key in ct.docker_labels.keys() {
        let field = field("docker_labels").key(key);
        if key.is_empty() || key.chars().any(|c| c.is_whitespace() || c.is_control()) {
            v.fail_str(&field, key, "must be a label key without spaces");
        } else if key.starts_with("com.amazonaws.ecs.") {
            v.fail_str(&field, key, "starts with com.amazonaws.ecs., which ECS sets itself");
        }
    }
    let mut names = BTreeSet::new();
    for (i, ulimit) in ct.ulimits.iter().enumerate() {
        let name = written_name(ulimit.name);
        if !names.insert(name.clone()) {
            v.fail_str(&format!("{}[{i}].name", field("ulimits")), &name, "is set twice");
        }
        if ulimit.soft > ulimit.hard {
            v.fail(
                &format!("{}[{i}].soft", field("ulimits")),
                ulimit.soft,
                format!("must be at most hard ({}): a process cannot start above its ceiling", ulimit.hard),
            );
        }
    }
}

fn check_volumes(v: &mut Rules, c: &Config, s: &ServiceAt<'_>, containers: &[ContainerAt<'_>]) {
    let mut names = BTreeSet::new();
    for (i, volume) in s.svc.volumes.iter().enumerate() {
        let field = |name: &str| s.field("volumes").index(i).field(name);
        v.name(&field("name"), &volume.name);
        if !names.insert(volume.name.as_str()) {
            v.fail_str(&field("name"), &volume.name, "is the name of another volume");
        }
        let mounted = containers.iter().flat_map(|c| &c.mount_points).any(|m| m.volume == volume.name);
        if !mounted {
            v.warn(
                &field("name"),
                &format!("{}: no container mounts this volume (mount_points)", quoted(&volume.name)),
            );
        }
        check_volume_source(v, volume, &field);
        if let Some(efs) = &volume.efs {
            check_efs_reach(v, c, efs, &field);
        }
    }
}

/// Whether the instances this configuration makes can mount the file system at all.
fn check_efs_reach(v: &mut Rules, c: &Config, efs: &EfsVolumeConfig, field: &dyn Fn(&str) -> FieldPath) {
    if !has_aws_id(&efs.security_group_id, "sg-") {
        v.fail_str(
            &field("efs.security_group_id"),
            &efs.security_group_id,
            "must be the security group of the file system's mount targets, such as sg-0123456789abcdef0: the stack opens it to the instances on NFS (TCP 2049)",
        );
    }
    // A mount target belongs to its file system's VPC ("Managing mount targets", Amazon EFS User
    // Guide): a VPC this stack creates can have none until after the stack exists.
    if c.vpc.existing.is_none() {
        v.fail_hint(
            &field("efs.file_system_id"),
            quoted(&efs.file_system_id),
            "cannot be mounted from the VPC this stack creates: an EFS file system's mount targets are in its own VPC",
            "deploy into the file system's VPC with vpc.existing (it needs a mount target in every zone of the private subnets)".to_owned(),
        );
    }
    // Bottlerocket's ECS variant mounts EFS without amazon-efs-utils, so without TLS, IAM
    // authorization or access points (bottlerocket-os/bottlerocket#1080, open).
    if c.capacity.machine_image == MachineImage::Bottlerocket {
        let unsupported = [
            (efs.transit_encryption, "efs.transit_encryption", "true"),
            (efs.iam_authorization, "efs.iam_authorization", "true"),
            (efs.access_point_id.is_some(), "efs.access_point_id", "set"),
        ];
        for (used, name, value) in unsupported {
            if used {
                v.fail_hint(
                    &field(name),
                    value,
                    "cannot work on capacity.machine_image bottlerocket: its ECS variant mounts EFS without TLS, IAM authorization or access points (bottlerocket-os/bottlerocket#1080)",
                    "use machine_image amazon-linux-2023, or mount this file system with transit_encryption and iam_authorization false and no access point".to_owned(),
                );
            }
        }
    }
}

fn check_volume_source(v: &mut Rules, volume: &VolumeConfig, field: &dyn Fn(&str) -> FieldPath) {
    if let Some(path) = &volume.host_path {
        if volume.efs.is_some() {
            v.fail_str(&field("host_path"), path, "cannot go with efs: a volume is one or the other");
        } else if !is_absolute_path(path) {
            v.fail_str(&field("host_path"), path, "must be an absolute path of the instance, such as /var/cache/app");
        }
    }
    let Some(efs) = &volume.efs else { return };
    if !has_aws_id(&efs.file_system_id, "fs-") {
        v.fail_str(
            &field("efs.file_system_id"),
            &efs.file_system_id,
            "must be an EFS file system ID, such as fs-0123456789abcdef0",
        );
    }
    if let Some(access_point) = &efs.access_point_id {
        if !has_aws_id(access_point, "fsap-") {
            v.fail_str(
                &field("efs.access_point_id"),
                access_point,
                "must be an EFS access point ID, such as fsap-0123456789abcdef0",
            );
        }
    }
    if let Some(root) = &efs.root_directory {
        if !is_absolute_path(root) {
            v.fail_str(
                &field("efs.root_directory"),
                root,
                "must be an absolute path of the file system, such as /shared",
            );
        } else if efs.access_point_id.is_some() && root != "/" {
            v.fail_str(
                &field("efs.root_directory"),
                root,
                "cannot go with an access point, which sets the directory itself (ECS accepts only / then)",
            );
        }
    }
    // "Amazon EFS volumes" (ECS Developer Guide): IAM authorization and access points both need TLS.
    if !efs.transit_encryption && (efs.iam_authorization || efs.access_point_id.is_some()) {
        let needs = if efs.iam_authorization { "efs.iam_authorization" } else { "efs.access_point_id" };
        v.fail(&field("efs.transit_encryption"), false, format!("must be true with {needs}: EFS requires TLS for it"));
    }
}

fn check_task_role(v: &mut Rules, role: &TaskRoleConfig, at: &FieldPath) {
    let arns = &role.managed_policy_arns;
    for (i, arn) in arns.iter().enumerate() {
        if !is_policy_arn(arn) {
            v.fail_str(
                &at.field("managed_policy_arns").index(i),
                arn,
                "must be a managed policy's ARN: arn:aws:iam::aws:policy/NAME (AWS's) or arn:aws:iam::ACCOUNT:policy/NAME",
            );
        }
    }
    let field = &at.field("managed_policy_arns");
    if arns.len() > MAX_MANAGED_POLICIES {
        v.fail(field, format!("{} policies", arns.len()), "are too many: IAM attaches at most 20 to a role");
    } else if arns.len() > DEFAULT_MANAGED_POLICIES {
        v.warn(
            field,
            &format!(
                "{} policies: IAM attaches 10 to a role unless the account's quota was raised (to at most 20)",
                arns.len()
            ),
        );
    }
    for (i, statement) in role.statements.iter().enumerate() {
        let field = |name: &str| at.field("statements").index(i).field(name);
        if statement.actions.is_empty() {
            v.fail(&field("actions"), "[]", "must name at least one action, such as s3:GetObject");
        }
        for (j, action) in statement.actions.iter().enumerate() {
            if !is_action(action) {
                v.fail_str(
                    &format!("{}[{j}]", field("actions")),
                    action,
                    "must be service:Action, such as s3:GetObject (* and ? may stand in)",
                );
            }
        }
        if statement.resources.is_empty() {
            v.fail(
                &field("resources"),
                "[]",
                "must name at least one resource: an ARN, or * for actions that take none",
            );
        }
        for (j, resource) in statement.resources.iter().enumerate() {
            if !is_resource(resource) {
                v.fail_str(
                    &format!("{}[{j}]", field("resources")),
                    resource,
                    "must be an ARN (arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE, * allowed in its parts) or *",
                );
            }
        }
        for (operator, keys) in &statement.conditions {
            let operator_field = format!("{}.{operator}", field("conditions"));
            if !is_condition_operator(operator) {
                v.fail_str(
                    &operator_field,
                    operator,
                    "is not an IAM condition operator (StringEquals, ArnLike, Bool, NumericLessThan, ...)",
                );
            }
            for (key, values) in keys {
                let key_field = format!("{operator_field}.{key}");
                if key.is_empty() || key.chars().any(char::is_whitespace) {
                    v.fail_str(&key_field, key, "must be a condition key, such as aws:SourceVpce");
                } else if values.values().is_empty() {
                    v.fail(&key_field, "[]", "must have at least one value");
                }
            }
        }
    }
}

fn is_policy_arn(arn: &str) -> bool {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [prefix, partition, service, region, account, resource] = parts[..] else { return false };
    prefix == "arn"
        && partition.starts_with("aws")
        && service == "iam"
        && region.is_empty()
        && (account == "aws" || (account.len() == 12 && account.chars().all(|c| c.is_ascii_digit())))
        && resource.strip_prefix("policy/").is_some_and(|name| !name.is_empty() && !name.contains(char::is_whitespace))
}

fn is_action(action: &str) -> bool {
    if action == "*" {
        return true;
    }
    action.split_once(':').is_some_and(|(service, name)| {
        !service.is_empty()
            && service.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !name.is_empty()
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '*' || c == '?')
    })
}

fn is_resource(resource: &str) -> bool {
    resource == "*"
        || (resource.starts_with("arn:")
            && resource.splitn(6, ':').count() == 6
            && !resource.chars().any(|c| c.is_whitespace() || c.is_control()))
}

fn is_condition_operator(operator: &str) -> bool {
    let base =
        operator.strip_prefix("ForAllValues:").or_else(|| operator.strip_prefix("ForAnyValue:")).unwrap_or(operator);
    let base = base.strip_suffix("IfExists").unwrap_or(base);
    CONDITION_OPERATORS.contains(&base)
}

fn check_placement(v: &mut Rules, placement: &PlacementConfig, at: &FieldPath) {
    if placement.strategy.len() > MAX_PLACEMENT_STRATEGIES {
        v.fail(&at.field("strategy"), format!("{} strategies", placement.strategy.len()), "are too many: ECS takes 5");
    }
    for (i, strategy) in placement.strategy.iter().enumerate() {
        if placement.strategy[..i].contains(strategy) {
            v.fail_str(&at.field("strategy").index(i), &written_name(strategy), "is named twice");
        }
    }
    if placement.constraints.len() > MAX_PLACEMENT_CONSTRAINTS {
        v.fail(
            &at.field("constraints"),
            format!("{} constraints", placement.constraints.len()),
            "are too many: ECS takes 10",
        );
    }
    for (i, constraint) in placement.constraints.iter().enumerate() {
        let field = at.field("constraints").index(i);
        if constraint == DISTINCT_INSTANCE {
            if placement.constraints[..i].iter().any(|c| c == DISTINCT_INSTANCE) {
                v.fail_str(&field, constraint, "is named twice");
            }
        } else if constraint.trim().is_empty() || constraint.len() > MAX_EXPRESSION_LEN {
            v.fail_hint(
                &field,
                quoted(constraint),
                "must be distinct-instance or a cluster query language expression of at most 2000 characters",
                "such as attribute:ecs.instance-type =~ t3.*".to_owned(),
            );
        }
    }
}

/// A task whose containers reserve more memory than an instance has is never placed: ECS keeps
/// the service at zero tasks and the deployment fails after its timeout.
fn check_memory_fits(v: &mut Rules, c: &Config, containers: &[ContainerAt<'_>]) {
    let instance_type = &c.capacity.instance_type;
    let Some(installed) = instance_memory_mib(instance_type) else { return };
    let reserved: u32 = containers.iter().map(|c| c.reserved_memory_mib()).sum();
    let what = if containers.len() == 1 {
        "the container reserves".to_owned()
    } else {
        format!("the task's {} containers reserve", containers.len())
    };
    if reserved > installed {
        v.fail(
            "capacity.instance_type",
            quoted(instance_type),
            format!("has {installed} MiB of memory, but {what} {reserved} MiB: no task would ever be placed"),
        );
    } else if reserved * 100 > installed * REGISTERED_MEMORY_PERCENT {
        v.warn(
            "capacity.instance_type",
            &format!(
                "{}: {what} {reserved} MiB of its {installed} MiB; ECS registers less than is installed (the kernel's share), so a task may not fit",
                quoted(instance_type)
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::config::load_str;

    fn warnings(yaml: &str) -> Vec<String> {
        let valid = load_str(yaml, Some("w.yaml")).unwrap_or_else(|e| panic!("{e}"));
        valid.warnings().iter().map(|w| format!("{}: {}", w.field, w.message)).collect()
    }

    #[test]
    fn what_may_still_fail_on_aws_is_a_located_warning() {
        // 980 of t2.micro's 1024 MiB: above what ECS registers on most instances.
        let w = warnings("service: {container: {memory_limit_mib: 980}}");
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(w[0].starts_with("capacity.instance_type: \"t2.micro\": the container reserves 980 MiB"), "{w:?}");
        let w = warnings("service: {volumes: [{name: scratch}]}");
        assert_eq!(w, ["service.volumes[0].name: \"scratch\": no container mounts this volume (mount_points)"]);
        let arns: Vec<String> = (0..11).map(|i| format!("arn:aws:iam::123456789012:policy/p{i}")).collect();
        let w = warnings(&format!("service: {{task_role: {{managed_policy_arns: [{}]}}}}", arns.join(", ")));
        assert!(w[0].contains("11 policies: IAM attaches 10 to a role"), "{w:?}");
        // An unknown instance type's memory is not guessed at.
        assert!(
            warnings("capacity: {instance_type: x2iedn.large}\nservice: {container: {memory_limit_mib: 60000}}")
                .is_empty()
        );
    }

    #[test]
    fn sidecars_that_wait_for_each_other_in_a_circle_are_refused() {
        let yaml = "service:
  sidecars:
    - {name: a, image: 'x:1', memory_limit_mib: 32, depends_on: [{container: b, condition: START}]}
    - {name: b, image: 'x:1', memory_limit_mib: 32, depends_on: [{container: a, condition: START}]}
";
        let error = load_str(yaml, None).unwrap_err().to_string();
        assert!(error.contains("service.sidecars[0].depends_on: a -> b -> a is a circle"), "{error}");
        assert!(!error.contains("linked"), "no link is involved: {error}");
    }
}

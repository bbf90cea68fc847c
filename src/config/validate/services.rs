//! The rules of several services on one load balancer: their names, their routes, and each one's
//! own settings, checked as `service`'s are.

use std::collections::BTreeSet;

use super::Rules;
use super::load_balancer::check_health_check;
use super::service::check_service;
use super::task::check_task;
use crate::aws::instance_memory_mib;
use crate::bounds;
use crate::config::{Config, FieldPath, RoutingConfig, ServiceConfig};
use crate::listener_rules::{self, Route, RouteKind};

/// An ALB rule takes 5 condition values, all conditions together ("Quotas for your Application
/// Load Balancers": condition values per rule).
const MAX_CONDITION_VALUES: usize = 5;
/// Rules per listener, the default action not counted.
const MAX_RULES_PER_LISTENER: usize = 100;
const MAX_SERVICE_NAME_LEN: usize = 32;
/// The priority of service `name`'s rule: its own, else derived from its name and the kind of
/// its route (`listener_rules`), so that no other service's place or presence moves it.
pub(crate) fn priority(name: &str, routing: &RoutingConfig) -> u32 {
    routing.priority.unwrap_or_else(|| {
        listener_rules::derived_priority(name, RouteKind::of(&routing.path_patterns, &routing.host_headers))
    })
}

/// Where the file writes the service `name` of `services`.
pub(super) fn service_path(name: &str) -> FieldPath {
    FieldPath::new("services").key(name)
}

/// `services` settings, and what `service` must not have.
pub(super) fn check_services(v: &mut Rules, c: &Config) {
    let services = c.services_at();
    if c.services.is_empty() {
        check_service(v, c, &services[0]);
        check_task(v, c, &services[0]);
        for (field, set) in [
            ("service.routing", c.service.routing.is_some()),
            ("service.target_health_check", c.service.target_health_check.is_some()),
        ] {
            if set {
                v.fail(field, "set", "is for a service of `services`; the one `service` takes every request");
            }
        }
        return;
    }
    if v.written("service", c.service != ServiceConfig::default()) {
        v.fail_hint(
            "service",
            "set",
            "cannot go with services: the one service and several named ones are two ways to say it",
            "move it into services, under a name of its own".to_owned(),
        );
    }
    for s in &services {
        check_name(v, s.name.unwrap_or_default());
        v.within_service(s, |v| {
            check_service(v, c, s);
            check_task(v, c, s);
            if let Some(own) = &s.svc.target_health_check {
                check_health_check(v, own, &s.health_check_path);
            }
        });
    }
    check_routes(v, c);
    check_capacity_fits(v, c);
}

/// Whether the services' tasks (their desired count, or their scaling's minimum) fit the most
/// instances the group may have, by memory; a warning, since ECS would only leave tasks pending.
fn check_capacity_fits(v: &mut Rules, c: &Config) {
    let Some(installed) = instance_memory_mib(&c.capacity.instance_type) else { return };
    let needed: u64 = c
        .services
        .values()
        .map(|svc| {
            let tasks = svc.auto_scaling.as_ref().map_or(svc.desired_count, |s| s.min);
            let memory: u32 = svc.containers().map(|c| c.reserved_memory_mib()).sum();
            u64::from(tasks) * u64::from(memory)
        })
        .sum();
    let available = u64::from(c.capacity.max_capacity) * u64::from(installed);
    if needed > available {
        v.warn(
            "capacity.max_capacity",
            &format!(
                "{}: the services' tasks reserve {needed} MiB together, more than {} {} instances have ({available} MiB): some would stay pending",
                c.capacity.max_capacity, c.capacity.max_capacity, c.capacity.instance_type
            ),
        );
    }
}

fn check_name(v: &mut Rules, name: &str) {
    let valid = name.len() <= MAX_SERVICE_NAME_LEN
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !valid {
        v.fail_str(
            &service_path(name),
            name,
            "must be a service name: a lowercase letter, then lowercase letters, digits and hyphens, at most 32",
        );
    }
}

fn check_routes(v: &mut Rules, c: &Config) {
    let unrouted: Vec<&str> = c.services.iter().filter(|(_, s)| s.routing.is_none()).map(|(n, _)| n.as_str()).collect();
    if let [_, second, ..] = unrouted.as_slice() {
        v.fail_hint(
            &service_path(second).field("routing"),
            "null",
            format!(
                "leaves {second} on the default route, which {} has already: only one service may take it",
                unrouted[0]
            ),
            "give it path_patterns or host_headers".to_owned(),
        );
    }
    // A release of the default route's service takes the listener's last priority.
    let default_releases = c.services.values().any(|s| s.routing.is_none() && s.deployment.strategy.is_release());
    for (name, svc) in &c.services {
        let given = svc.routing.as_ref().and_then(|r| r.priority);
        if default_releases && given == Some(listener_rules::RELEASE_CATCH_ALL_PRIORITY) {
            v.fail_hint(
                &service_path(name).field("routing.priority"),
                listener_rules::RELEASE_CATCH_ALL_PRIORITY,
                "is the priority of the rule a release of the default route's service shifts its traffic on",
                "give it a lower one (1 to 1999 go before every derived one)".to_owned(),
            );
        }
    }
    let routed = c.services.len() - unrouted.len();
    if routed > MAX_RULES_PER_LISTENER {
        v.fail("services", format!("{routed} routed services"), "are too many: a listener takes 100 rules");
    }
    let mut rules: Vec<RuleSeen<'_>> = Vec::new();
    for (name, svc) in &c.services {
        let Some(routing) = &svc.routing else { continue };
        check_route_values(v, name, routing);
        let rule = RuleSeen::new(name, routing);
        check_route_order(v, &rule, &rules);
        rules.push(rule);
    }
    check_service_names(v, c);
}

/// A routed service's rule as the order checks compare it, worked out once.
struct RuleSeen<'a> {
    name: &'a str,
    routing: &'a RoutingConfig,
    priority: u32,
    kind: RouteKind,
    /// Its values as ALB compares them: paths as written, hosts without case.
    paths: BTreeSet<&'a str>,
    hosts: BTreeSet<String>,
}

impl<'a> RuleSeen<'a> {
    fn new(name: &'a str, routing: &'a RoutingConfig) -> Self {
        RuleSeen {
            name,
            routing,
            priority: priority(name, routing),
            kind: RouteKind::of(&routing.path_patterns, &routing.host_headers),
            paths: routing.path_patterns.iter().map(String::as_str).collect(),
            hosts: routing.host_headers.iter().map(|h| h.to_ascii_lowercase()).collect(),
        }
    }

    fn route(&self) -> Route<'a> {
        Route { path_patterns: &self.routing.path_patterns, host_headers: &self.routing.host_headers }
    }
}

/// The route's own values as ALB takes them.
fn check_route_values(v: &mut Rules, name: &str, routing: &RoutingConfig) {
    let field = |f: &str| service_path(name).field("routing").field(f);
    if routing.path_patterns.is_empty() && routing.host_headers.is_empty() {
        v.fail(
            &service_path(name).field("routing"),
            "{}",
            "must name path_patterns or host_headers (or leave routing out for the default route)",
        );
    }
    let values = routing.path_patterns.len() + routing.host_headers.len();
    if values > MAX_CONDITION_VALUES {
        v.fail(
            &service_path(name).field("routing"),
            format!("{values} paths and hosts"),
            "are too many: an ALB rule takes 5 condition values (split the service's routes, or use wildcards)",
        );
    }
    let wildcards = listener_rules::wildcards(routing.path_patterns.iter().chain(&routing.host_headers));
    if wildcards > listener_rules::MAX_WILDCARDS_PER_RULE {
        v.fail(
            &service_path(name).field("routing"),
            format!("{wildcards} wildcards"),
            "are too many: an ALB rule takes 5 * and ? in all its paths and hosts together",
        );
    }
    for (i, path) in routing.path_patterns.iter().enumerate() {
        if !listener_rules::is_path_pattern(path) {
            v.fail_str(
                &format!("{}[{i}]", field("path_patterns")),
                path,
                "must start with / and hold only letters, digits, _ - . $ / ~ \" ' @ : + & and the wildcards * and ?, at most 128 characters, such as /api/*",
            );
        }
    }
    for (i, host) in routing.host_headers.iter().enumerate() {
        if !listener_rules::is_host_pattern(host) {
            v.fail_str(
                &format!("{}[{i}]", field("host_headers")),
                host,
                "must be a host name of letters, digits, hyphens and dots, with a dot and only letters and digits after the last one (* and ? wildcards), at most 128 characters, such as admin.example.com",
            );
        }
    }
    v.range_if_set(&field("priority"), routing.priority, bounds::RULE_PRIORITY);
}

/// The rule's priority against the rules before it: unique, and an order the file decides
/// wherever two routes match the same request and their kinds do not.
fn check_route_order(v: &mut Rules, rule: &RuleSeen<'_>, before: &[RuleSeen<'_>]) {
    let name = rule.name;
    for other in before {
        if other.priority == rule.priority {
            let how = match (rule.routing.priority, other.routing.priority) {
                (Some(_), Some(_)) => "",
                _ => " (a priority left out is derived from the service's name)",
            };
            v.fail_hint(
                &service_path(name).field("routing.priority"),
                rule.priority,
                format!("is {}'s priority too{how}: a listener's priorities are unique", other.name),
                format!("give services.{name}.routing.priority another value (1 to 1999 go before every derived one)"),
            );
            continue;
        }
        if rule.paths == other.paths && rule.hosts == other.hosts {
            let list = |set: Vec<&str>| set.join(", ");
            v.fail(
                &service_path(name).field("routing"),
                format!(
                    "(paths [{}], hosts [{}])",
                    list(rule.paths.iter().copied().collect()),
                    list(rule.hosts.iter().map(String::as_str).collect())
                ),
                format!(
                    "matches exactly what {}'s routing matches: one of the two would never see a request",
                    other.name
                ),
            );
            continue;
        }
        let order_given = rule.routing.priority.is_some() || other.routing.priority.is_some();
        if rule.kind == other.kind && !order_given && rule.route().overlaps(&other.route()) {
            v.fail_hint(
                &service_path(name).field("routing"),
                format!("({} route)", rule.kind.describe()),
                format!(
                    "matches some requests {}'s matches too (such as {}), and which one takes them would depend on priorities derived from the names",
                    other.name,
                    rule.route().example_overlap(&other.route())
                ),
                format!(
                    "give services.{name}.routing.priority and services.{}.routing.priority: the lower one is tried first",
                    other.name
                ),
            );
        }
    }
}

/// Two services named alike in ECS: the second `CreateService` would fail. Two whose image
/// parameters would have one name (`my-api` and `myapi` both make `myapiContainerImage`).
fn check_service_names(v: &mut Rules, c: &Config) {
    let parameters = c
        .services
        .iter()
        .filter(|(_, s)| s.container.image_parameter)
        .map(|(key, _)| (crate::constructs::task::image_parameter_name(Some(key)), key.as_str()));
    for (parameter, key, first) in repeated(parameters) {
        v.fail(
            &service_path(key).field("container.image_parameter"),
            true,
            format!("makes the template parameter {parameter}, which services.{first} makes too: rename one of the two services"),
        );
    }
    let names = c.services.iter().filter_map(|(key, svc)| Some((svc.name.as_deref()?, key.as_str())));
    for (name, key, first) in repeated(names) {
        v.fail_str(
            &service_path(key).field("name"),
            name,
            &format!("is services.{first}.name too: ECS service names are unique in a cluster"),
        );
    }
}

/// Each `(value, owner)` whose value an earlier owner has already, with that first owner.
fn repeated<'a, T: PartialEq>(items: impl IntoIterator<Item = (T, &'a str)>) -> Vec<(T, &'a str, &'a str)> {
    let mut seen: Vec<(T, &str)> = Vec::new();
    let mut repeats = Vec::new();
    for (value, owner) in items {
        match seen.iter().find(|(v, _)| *v == value) {
            Some((_, first)) => repeats.push((value, owner, *first)),
            None => seen.push((value, owner)),
        }
    }
    repeats
}

#[cfg(test)]
mod tests {
    use crate::config::load_str;

    /// 2 services × 6 tasks × 512 MiB = 6144 MiB > 4 t2.micro (4096): a warning, not an error.
    #[test]
    fn tasks_that_cannot_fit_the_largest_fleet_are_a_warning() {
        let yaml = "capacity: {max_capacity: 4}
services:
  a: {desired_count: 6}
  b: {desired_count: 6, routing: {path_patterns: [/b/*]}, container: {name: b}}
";
        let valid = load_str(yaml, Some("p.yaml")).unwrap_or_else(|e| panic!("{e}"));
        let warnings: Vec<String> = valid.warnings().iter().map(|w| format!("{}: {}", w.field, w.message)).collect();
        assert_eq!(
            warnings,
            [
                "capacity.max_capacity: 4: the services' tasks reserve 6144 MiB together, more than 4 t2.micro instances have (4096 MiB): some would stay pending"
            ]
        );
    }

    /// One check serves `service` and each of `services`: a service's errors name its own fields,
    /// in the messages too, and what it says about a shared field names the service.
    #[test]
    fn a_service_is_checked_under_its_own_path() {
        let yaml = "services:
  api:
    min_healthy_percent: 100
    max_healthy_percent: 100
    container: {memory_limit_mib: 2048}
";
        let errors: Vec<String> = load_str(yaml, Some("p.yaml"))
            .unwrap_err()
            .diagnostics
            .iter()
            .map(|d| format!("{}: {}", d.field, d.message))
            .collect();
        assert_eq!(
            errors,
            [
                "services.api.max_healthy_percent: 100 must exceed services.api.min_healthy_percent (100), or a deployment can neither start nor stop a task",
                "capacity.instance_type: \"t2.micro\" has 1024 MiB of memory, but the container reserves 2048 MiB: no task would ever be placed (services.api)",
            ]
        );
    }
}

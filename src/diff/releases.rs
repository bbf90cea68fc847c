//! Which changes start a deployment of an ECS service, and what that deployment does by the
//! template's numbers: a rolling update, or a blue/green, canary or linear release with its
//! traffic steps and bake time. And one hazard of releases: a template change to a release's
//! listener rule writes back the weights the template holds.

use crate::resources::schema::{
    ECS_SERVICE_TYPE, ECS_TASK_DEFINITION_TYPE, ELASTIC_LOAD_BALANCING_V2_LISTENER_RULE_TYPE,
};
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

use super::{Change, EntryDiff};

/// The service's properties whose change starts a new deployment ("UpdateService", ECS API
/// Reference: a new task definition, load balancers, placement or capacity provider strategy).
const DEPLOYING_PROPERTIES: [&str; 5] = [
    "Properties.TaskDefinition",
    "Properties.LoadBalancers",
    "Properties.PlacementConstraints",
    "Properties.PlacementStrategies",
    "Properties.CapacityProviderStrategy",
];

/// ECS's defaults when the template leaves them out ("CanaryConfiguration",
/// "LinearConfiguration", ECS API Reference).
const DEFAULT_CANARY: (f64, u64) = (5.0, 10);
const DEFAULT_LINEAR: (f64, u64) = (10.0, 6);

/// A service the update deploys anew.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
pub struct ServiceDeployment {
    /// The ECS service's logical ID.
    pub service: String,
    /// ECS's strategy: `ROLLING`, `BLUE_GREEN`, `CANARY` or `LINEAR`.
    pub strategy: String,
    /// What starts it: the changed properties, or the task definition replaced.
    pub because: Vec<String>,
    /// What the deployment does, step by step, by the template's numbers.
    pub timeline: Vec<String>,
}

impl ServiceDeployment {
    pub fn describe(&self) -> String {
        let what = match self.strategy.as_str() {
            "BLUE_GREEN" => "a blue/green release",
            "CANARY" => "a canary release",
            "LINEAR" => "a linear release",
            _ => "a rolling update",
        };
        format!(
            "starts {what} of {} (because of {}): {}",
            self.service,
            self.because.join(", "),
            self.timeline.join("; ")
        )
    }
}

/// A release's listener rule the update changes: CloudFormation writes the template's weights
/// (all traffic to the group the template names first) over the ones ECS left.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
pub struct RuleReset {
    /// The listener rule's logical ID.
    pub rule: String,
    /// The ECS service whose release shifts it.
    pub service: String,
}

impl RuleReset {
    pub fn describe(&self) -> String {
        format!(
            "{} changes, so CloudFormation writes back the template's weights (all traffic to {}'s first target group); \
             a release since the last stack update may have left the service on its alternate group, which this would empty: \
             check the rule's weights first (aws elbv2 describe-rules)",
            self.rule, self.service
        )
    }
}

/// The services of `new` that the changes in `resources` deploy anew, with what each deployment does.
pub fn service_deployments(new: &Value, resources: &[EntryDiff]) -> Vec<ServiceDeployment> {
    let Some(all) = new.get("Resources").and_then(Value::as_object) else { return Vec::new() };
    let modified = |id: &str| resources.iter().find(|r| r.id == id && r.change == Change::Modified);
    let mut out = Vec::new();
    for (id, service) in all.iter().filter(|(_, r)| r["Type"] == ECS_SERVICE_TYPE) {
        let mut because: Vec<String> = modified(id)
            .filter(|entry| !entry.replaces())
            .map(|entry| {
                entry
                    .values
                    .iter()
                    .filter(|v| DEPLOYING_PROPERTIES.iter().any(|p| v.path.starts_with(p)))
                    .map(|v| v.path.trim_start_matches("Properties.").to_owned())
                    .collect()
            })
            .unwrap_or_default();
        // A task definition changes by replacement: the service's text stays `Ref`, its value
        // a new revision.
        let task = service["Properties"]["TaskDefinition"]["Ref"].as_str();
        if let Some(task) = task.and_then(modified).filter(|e| e.resource_type == ECS_TASK_DEFINITION_TYPE) {
            if task.replaces() && !because.iter().any(|b| b.starts_with("TaskDefinition")) {
                because.push(format!("TaskDefinition ({} replaced)", task.id));
            }
        }
        if because.is_empty() {
            continue;
        }
        let deployment = &service["Properties"]["DeploymentConfiguration"];
        out.push(ServiceDeployment {
            service: id.clone(),
            strategy: deployment["Strategy"].as_str().unwrap_or("ROLLING").to_owned(),
            because,
            timeline: timeline(deployment, &service["Properties"]["LoadBalancers"]),
        });
    }
    out
}

/// The release rules of `new` (production and test rules of a blue/green, canary or linear
/// service) that the changes in `resources` modify in place.
pub fn rule_resets(new: &Value, resources: &[EntryDiff]) -> Vec<RuleReset> {
    let Some(all) = new.get("Resources").and_then(Value::as_object) else { return Vec::new() };
    let mut out = Vec::new();
    for (id, service) in all.iter().filter(|(_, r)| r["Type"] == ECS_SERVICE_TYPE) {
        let balancers = service["Properties"]["LoadBalancers"].as_array().into_iter().flatten();
        let advanced = balancers.map(|lb| &lb["AdvancedConfiguration"]);
        let rules = advanced.flat_map(|a| [&a["ProductionListenerRule"], &a["TestListenerRule"]]);
        for rule in rules.filter_map(|r| r["Ref"].as_str()) {
            let changed = resources.iter().any(|r| {
                r.id == rule
                    && r.change == Change::Modified
                    && !r.replaces()
                    && r.resource_type == ELASTIC_LOAD_BALANCING_V2_LISTENER_RULE_TYPE
            });
            if changed {
                out.push(RuleReset { rule: rule.to_owned(), service: id.clone() });
            }
        }
    }
    out
}

/// What a deployment with these settings does, one step a line: the traffic it moves and when,
/// and how long the old revision stays.
pub fn timeline(deployment: &Value, load_balancers: &Value) -> Vec<String> {
    let strategy = deployment["Strategy"].as_str().unwrap_or("ROLLING");
    if strategy == "ROLLING" {
        let max = deployment["MaximumPercent"].as_u64().unwrap_or(200);
        let min = deployment["MinimumHealthyPercent"].as_u64().unwrap_or(100);
        return vec![format!(
            "new tasks replace old ones as they turn healthy, between {min} and {max} percent of the desired count running"
        )];
    }
    let number = |v: &Value| v.as_f64();
    let mut steps = vec!["the new revision starts on the alternate target group, beside the old one".to_owned()];
    let tests = load_balancers
        .as_array()
        .into_iter()
        .flatten()
        .any(|lb| !lb["AdvancedConfiguration"]["TestListenerRule"].is_null());
    if tests {
        steps.push("all test traffic moves to it".to_owned());
    }
    let mut minutes = 0u64;
    match strategy {
        "CANARY" => {
            let c = &deployment["CanaryConfiguration"];
            let percent = number(&c["CanaryPercent"]).unwrap_or(DEFAULT_CANARY.0);
            let bake = c["CanaryBakeTimeInMinutes"].as_u64().unwrap_or(DEFAULT_CANARY.1);
            steps.push(format!("minute 0: {} percent of production traffic moves to it", percent_text(percent)));
            minutes += bake;
            steps.push(format!("minute {minutes}: the rest moves"));
        }
        "LINEAR" => {
            let l = &deployment["LinearConfiguration"];
            let step = number(&l["StepPercent"]).unwrap_or(DEFAULT_LINEAR.0);
            let bake = l["StepBakeTimeInMinutes"].as_u64().unwrap_or(DEFAULT_LINEAR.1);
            let mut moved = 0.0f64;
            while moved < 100.0 {
                // Tenths, as ECS takes them, so 33.3 percent steps end at 100.
                moved = ((moved + step) * 10.0).round().min(1000.0) / 10.0;
                steps.push(format!("minute {minutes}: {} percent of production traffic on it", percent_text(moved)));
                if moved < 100.0 {
                    minutes += bake;
                }
            }
        }
        _ => steps.push("minute 0: all production traffic moves to it".to_owned()),
    }
    match deployment["BakeTimeInMinutes"].as_u64() {
        Some(bake) => {
            minutes += bake;
            steps.push(format!(
                "minute {minutes}: the old revision stops; until then a rollback moves traffic back at once"
            ));
        }
        None => steps.push("the old revision stops after ECS's default bake time".to_owned()),
    }
    steps
}

/// A traffic share as ECS writes it: `10`, `33.3`.
pub fn percent_text(percent: f64) -> String {
    if percent.fract() == 0.0 { format!("{percent:.0}") } else { format!("{percent:.1}") }
}

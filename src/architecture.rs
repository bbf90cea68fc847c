//! The stack as people draw it: resources grouped by part (network, cluster and capacity, load
//! balancer, each service, drain path), labelled with what they are, the edges that carry
//! requests and events drawn apart from plain references. `ecs-alb graph` draws it as Mermaid
//! subgraphs or Graphviz clusters; `--detail resources` keeps every reference of every resource.

use crate::resources::schema::{
    AUTO_SCALING_AUTO_SCALING_GROUP_TYPE, AUTO_SCALING_LIFECYCLE_HOOK_TYPE, EC2_NAT_GATEWAY_TYPE, EC2_SUBNET_TYPE,
    EC2_VPC_TYPE, ECS_CLUSTER_TYPE, ECS_SERVICE_TYPE, ECS_TASK_DEFINITION_TYPE,
    ELASTIC_LOAD_BALANCING_V2_LISTENER_RULE_TYPE, ELASTIC_LOAD_BALANCING_V2_LISTENER_TYPE,
    ELASTIC_LOAD_BALANCING_V2_LOAD_BALANCER_TYPE, ELASTIC_LOAD_BALANCING_V2_TARGET_GROUP_TYPE, EVENTS_RULE_TYPE,
    IAM_POLICY_TYPE, IAM_ROLE_TYPE, LAMBDA_EVENT_SOURCE_MAPPING_TYPE, LAMBDA_FUNCTION_TYPE, LOGS_LOG_GROUP_TYPE,
    SNS_SUBSCRIPTION_TYPE, SNS_TOPIC_TYPE, SQS_QUEUE_TYPE,
};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use serde_json::{Map, Value};

use crate::graph;
use crate::model::{Model, ServiceModel};
use crate::template::Template;

/// The parts of the stack, in the order they are drawn.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Part {
    Network,
    LoadBalancer,
    /// A service, by its name (`service` for the one `service:`).
    Service(String),
    ClusterAndCapacity,
    DrainPath,
}

impl Part {
    fn title(&self) -> String {
        match self {
            Part::Network => "Network".into(),
            Part::LoadBalancer => "Load balancer".into(),
            Part::Service(name) => format!("Service {name}"),
            Part::ClusterAndCapacity => "Cluster and capacity".into(),
            Part::DrainPath => "Drain path".into(),
        }
    }

    /// The parts of the stack but its services.
    const SHARED: [Part; 4] = [Part::Network, Part::LoadBalancer, Part::ClusterAndCapacity, Part::DrainPath];
    const SERVICE_GROUP: &str = "service:";

    /// The scope group (`Scope::grouped`) the pattern gives this part's resources.
    pub fn group(&self) -> String {
        match self {
            Part::Network => "network".into(),
            Part::LoadBalancer => "load-balancer".into(),
            Part::Service(name) => format!("{}{name}", Self::SERVICE_GROUP),
            Part::ClusterAndCapacity => "cluster".into(),
            Part::DrainPath => "drain".into(),
        }
    }

    /// The part whose scope group `group` is: the inverse of `group`.
    fn of_group(group: &str) -> Option<Part> {
        match group.strip_prefix(Self::SERVICE_GROUP) {
            Some(name) => Some(Part::Service(name.to_owned())),
            None => Self::SHARED.into_iter().find(|part| part.group() == group),
        }
    }

    fn key(&self) -> String {
        match self {
            Part::Service(name) => format!("service_{}", name.replace(|c: char| !c.is_ascii_alphanumeric(), "_")),
            other => format!("{other:?}").to_lowercase(),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum EdgeKind {
    /// Requests: internet, load balancer, target group, tasks.
    Traffic,
    /// The drain path's notifications and messages.
    Event,
    /// A plain reference between parts.
    Reference,
}

#[derive(Debug, Default)]
pub struct Architecture {
    /// Each part and its resources: (logical ID, label), in template order.
    pub parts: Vec<(Part, Vec<(String, String)>)>,
    pub edges: BTreeSet<(EdgeKind, String, String, String)>,
}

const INTERNET: &str = "Internet";

/// The picture of `template`, the stack `model` describes: each resource in the part the scope it
/// was added under belongs to (`Scope::grouped`).
pub fn architecture(model: &Model, template: &Template) -> Result<Architecture, serde_json::Error> {
    let value = template.to_value()?;
    let empty = Map::new();
    let resources = value["Resources"].as_object().unwrap_or(&empty);
    let part_of: BTreeMap<&str, Part> = template
        .resource_groups()
        .map(|(id, group)| (id.as_str(), group.and_then(Part::of_group).unwrap_or(Part::Service("unknown".into()))))
        .collect();
    let mut a = Architecture::default();
    let mut parts: Vec<(Part, Vec<(String, String)>)> = Vec::new();
    for (id, resource) in resources {
        let part = part_of.get(id.as_str()).cloned().unwrap_or(Part::Service("unknown".into()));
        let label = label(model, id, resource, &part);
        match parts.iter_mut().find(|(p, _)| *p == part) {
            Some((_, nodes)) => nodes.push((id.clone(), label)),
            None => parts.push((part, vec![(id.clone(), label)])),
        }
    }
    parts.sort_by(|a, b| a.0.cmp(&b.0));
    a.parts = parts;
    add_edges(&mut a, model, resources);
    Ok(a)
}

/// The model's service a part draws: by its name in `services`, or the one service's by its
/// container's name.
fn service_in<'m>(model: &'m Model, part: &Part) -> Option<&'m ServiceModel> {
    let Part::Service(name) = part else { return None };
    model.services.iter().find(|s| s.name.as_deref().unwrap_or(s.task.main.name()) == name)
}

/// What a resource is, in a few words.
fn label(model: &Model, id: &str, resource: &Value, part: &Part) -> String {
    let props = &resource["Properties"];
    let resource_type = resource["Type"].as_str().unwrap_or_default();
    let short = resource_type.rsplit("::").next().unwrap_or(resource_type);
    let text = |v: &Value| v.as_str().map(str::to_owned);
    match resource_type {
        ELASTIC_LOAD_BALANCING_V2_LOAD_BALANCER_TYPE => {
            let lb = &model.load_balancer;
            let protocol = if lb.tls.is_some() { " HTTPS" } else { "" };
            let scheme = if lb.public { "" } else { " (internal)" };
            format!("ALB{protocol} :{}{scheme}", lb.listener_port)
        }
        ELASTIC_LOAD_BALANCING_V2_LISTENER_TYPE => format!("listener :{}", props["Port"]),
        ELASTIC_LOAD_BALANCING_V2_TARGET_GROUP_TYPE => {
            format!("target group {}", text(&props["HealthCheckPath"]).unwrap_or_default())
        }
        ELASTIC_LOAD_BALANCING_V2_LISTENER_RULE_TYPE => format!("rule {}", props["Priority"]),
        ECS_SERVICE_TYPE => match (service_in(model, part), part) {
            (Some(s), Part::Service(name)) => {
                let count = match &s.scaling {
                    Some(scaling) => format!("{}–{}", scaling.min, scaling.max),
                    None => s.service.desired_count.unwrap_or(0).to_string(),
                };
                format!("service {name} ×{count}")
            }
            _ => "service".into(),
        },
        ECS_TASK_DEFINITION_TYPE => "task definition".into(),
        ECS_CLUSTER_TYPE => "ECS cluster".into(),
        AUTO_SCALING_AUTO_SCALING_GROUP_TYPE => {
            let c = &model.capacity;
            format!("{} {}–{}", c.instance_type, c.min_capacity, c.max_capacity)
        }
        LAMBDA_FUNCTION_TYPE => "drainer (Rust, provided.al2023)".into(),
        AUTO_SCALING_LIFECYCLE_HOOK_TYPE => "lifecycle hook (terminating)".into(),
        SNS_TOPIC_TYPE => "SNS topic".into(),
        SQS_QUEUE_TYPE if id.contains("DeadLetter") => "dead-letter queue".into(),
        SQS_QUEUE_TYPE => "re-check queue".into(),
        EVENTS_RULE_TYPE => "ECS events rule".into(),
        EC2_VPC_TYPE => format!("VPC {}", text(&props["CidrBlock"]).unwrap_or_default()),
        EC2_SUBNET_TYPE => format!("subnet {}", text(&props["CidrBlock"]).unwrap_or_default()),
        EC2_NAT_GATEWAY_TYPE => "NAT gateway".into(),
        LOGS_LOG_GROUP_TYPE => "log group".into(),
        IAM_ROLE_TYPE => "IAM role".into(),
        IAM_POLICY_TYPE => "IAM policy".into(),
        _ => short.to_owned(),
    }
}

fn add_edges(a: &mut Architecture, model: &Model, resources: &Map<String, Value>) {
    fn of_type<'a>(
        resources: &'a Map<String, Value>,
        t: &'static str,
    ) -> impl Iterator<Item = (&'a String, &'a Value)> {
        resources.iter().filter(move |(_, r)| r["Type"] == t)
    }
    let target = |v: &Value| -> Option<String> {
        let mut found = Vec::new();
        graph::references(v, &mut found);
        found.into_iter().map(|(id, _)| id).find(|id| resources.contains_key(id))
    };
    let mut edges = BTreeSet::new();
    let protocol = if model.load_balancer.tls.is_some() { "HTTPS" } else { "HTTP" };
    for (lb, _) in of_type(resources, ELASTIC_LOAD_BALANCING_V2_LOAD_BALANCER_TYPE) {
        edges.insert((
            EdgeKind::Traffic,
            INTERNET.to_owned(),
            lb.clone(),
            format!("{protocol} :{}", model.load_balancer.listener_port),
        ));
    }
    for (_, listener) in of_type(resources, ELASTIC_LOAD_BALANCING_V2_LISTENER_TYPE) {
        let props = &listener["Properties"];
        if let (Some(lb), Some(group)) = (target(&props["LoadBalancerArn"]), target(&props["DefaultActions"])) {
            edges.insert((EdgeKind::Traffic, lb, group, "default".into()));
        }
    }
    for (_, rule) in of_type(resources, ELASTIC_LOAD_BALANCING_V2_LISTENER_RULE_TYPE) {
        let props = &rule["Properties"];
        let listener = target(&props["ListenerArn"]);
        let lb = listener.and_then(|l| target(&resources[&l]["Properties"]["LoadBalancerArn"]));
        let values: Vec<String> = props["Conditions"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|c| {
                let config = if c["Field"] == "path-pattern" { "PathPatternConfig" } else { "HostHeaderConfig" };
                c[config]["Values"].as_array().cloned().unwrap_or_default()
            })
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect();
        if let (Some(lb), Some(group)) = (lb, target(&props["Actions"])) {
            edges.insert((EdgeKind::Traffic, lb, group, values.join(" ")));
        }
    }
    for (service, s) in of_type(resources, ECS_SERVICE_TYPE) {
        if let Some(group) = target(&s["Properties"]["LoadBalancers"]) {
            edges.insert((EdgeKind::Traffic, group, service.clone(), "tasks".into()));
        }
    }
    for (hook, h) in of_type(resources, AUTO_SCALING_LIFECYCLE_HOOK_TYPE) {
        if let Some(topic) = target(&h["Properties"]["NotificationTargetARN"]) {
            edges.insert((EdgeKind::Event, hook.clone(), topic, "instance terminating".into()));
        }
    }
    for (_, subscription) in of_type(resources, SNS_SUBSCRIPTION_TYPE) {
        let props = &subscription["Properties"];
        if let (Some(topic), Some(function)) = (target(&props["TopicArn"]), target(&props["Endpoint"])) {
            edges.insert((EdgeKind::Event, topic, function, "notifies".into()));
        }
    }
    for (_, mapping) in of_type(resources, LAMBDA_EVENT_SOURCE_MAPPING_TYPE) {
        let props = &mapping["Properties"];
        if let (Some(queue), Some(function)) = (target(&props["EventSourceArn"]), target(&props["FunctionName"])) {
            edges.insert((EdgeKind::Event, queue.clone(), function.clone(), "re-check".into()));
            edges.insert((EdgeKind::Event, function, queue, "delayed message".into()));
        }
    }
    for (rule, r) in of_type(resources, EVENTS_RULE_TYPE) {
        if let Some(function) = target(&r["Properties"]["Targets"]) {
            edges.insert((EdgeKind::Event, rule.clone(), function, "last task stopped".into()));
        }
    }
    // Plain references, only between parts: within a part they are what the part is.
    let part_of_node = |id: &str| a.parts.iter().position(|(_, nodes)| nodes.iter().any(|(n, _)| n == id));
    let drawn: BTreeSet<(String, String)> =
        edges.iter().flat_map(|(_, f, t, _)| [(f.clone(), t.clone()), (t.clone(), f.clone())]).collect();
    let full =
        graph::graph(&Value::Object(Map::from_iter([("Resources".to_owned(), Value::Object(resources.clone()))])));
    for (from, to, how) in &full.edges {
        if *how == "DependsOn" || drawn.contains(&(from.clone(), to.clone())) {
            continue;
        }
        if part_of_node(from) != part_of_node(to) {
            edges.insert((EdgeKind::Reference, from.clone(), to.clone(), String::new()));
        }
    }
    a.edges = edges;
}

fn escape(label: &str) -> String {
    label.replace('"', "'")
}

impl Architecture {
    /// Every resource's part: each appears in exactly one (a test checks it for every example).
    pub fn part_of(&self, id: &str) -> Vec<&Part> {
        self.parts.iter().filter(|(_, nodes)| nodes.iter().any(|(n, _)| n == id)).map(|(p, _)| p).collect()
    }

    pub fn mermaid(&self) -> String {
        let mut out = String::from("flowchart LR\n");
        let _ = writeln!(out, "  {INTERNET}((Internet))");
        for (part, nodes) in &self.parts {
            let _ = writeln!(out, "  subgraph {}[\"{}\"]", part.key(), part.title());
            for (id, label) in nodes {
                let _ = writeln!(out, "    {id}[\"{}\"]", escape(label));
            }
            out.push_str("  end\n");
        }
        for (kind, from, to, label) in &self.edges {
            let arrow = match (kind, label.is_empty()) {
                (EdgeKind::Traffic, true) => "==>".to_owned(),
                (EdgeKind::Traffic, false) => format!("==>|{}|", escape(label)),
                (EdgeKind::Event, true) => "-->".to_owned(),
                (EdgeKind::Event, false) => format!("-->|{}|", escape(label)),
                (EdgeKind::Reference, _) => "-.->".to_owned(),
            };
            let _ = writeln!(out, "  {from} {arrow} {to}");
        }
        out
    }

    pub fn dot(&self) -> String {
        let mut out = String::from(
            "digraph stack {\n  rankdir=LR;\n  fontname=\"sans-serif\";\n  node [shape=box, style=rounded, fontname=\"sans-serif\", fontsize=10];\n  edge [fontname=\"sans-serif\", fontsize=9];\n",
        );
        let _ = writeln!(out, "  \"{INTERNET}\" [shape=ellipse];");
        for (part, nodes) in &self.parts {
            let _ = writeln!(
                out,
                "  subgraph cluster_{} {{\n    label=\"{}\";\n    style=rounded;",
                part.key(),
                part.title()
            );
            for (id, label) in nodes {
                let _ = writeln!(out, "    \"{id}\" [label=\"{}\"];", escape(label));
            }
            out.push_str("  }\n");
        }
        for (kind, from, to, label) in &self.edges {
            let style = match kind {
                EdgeKind::Traffic => "penwidth=2.5, color=\"#1f6feb\"",
                EdgeKind::Event => "penwidth=1.5, color=\"#d97706\"",
                EdgeKind::Reference => "style=dotted, color=\"#9ca3af\", arrowsize=0.6",
            };
            let _ = writeln!(out, "  \"{from}\" -> \"{to}\" [{style}, label=\"{}\"];", escape(label));
        }
        out.push_str("}\n");
        out
    }
}

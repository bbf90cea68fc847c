//! Several services on one load balancer: routing, and logical IDs that belong to each service so
//! that adding, removing or reordering services leaves the others' resources as they are.

mod common;

use common::{only, resources_of_type, synth};
use ecs_alb::diff::{Change, diff};
use ecs_alb::listener_rules::{RouteKind, derived_priority, globs_intersect};
use serde_json::{Value, json};

fn service_yaml(name: &str, routing: Option<&str>) -> String {
    let routing = routing.map_or(String::new(), |r| format!("\n    routing: {r}"));
    format!(
        "  {name}:{routing}\n    container: {{name: {name}, image: 'public.ecr.aws/nginx/nginx:stable', memory_limit_mib: 128}}\n"
    )
}

fn platform(services: &[(&str, Option<&str>)]) -> Value {
    let body: String = services.iter().map(|(name, routing)| service_yaml(name, *routing)).collect();
    synth(&format!("stack_name: Platform\nservices:\n{body}"))
}

const ALPHA: (&str, Option<&str>) = ("alpha", None);
const BETA: (&str, Option<&str>) = ("beta", Some("{path_patterns: [/beta/*]}"));
const GAMMA: (&str, Option<&str>) = ("gamma", Some("{host_headers: [gamma.example.com]}"));
const DELTA: (&str, Option<&str>) = ("delta", Some("{path_patterns: [/delta/*], priority: 5}"));

/// The resources of the service `name`: their logical IDs start with it.
fn of_service<'a>(t: &'a Value, name: &str) -> Vec<(&'a String, &'a Value)> {
    t["Resources"].as_object().unwrap().iter().filter(|(id, _)| id.starts_with(name)).collect()
}

#[test]
fn a_new_service_is_additions_only() {
    let before = platform(&[ALPHA, BETA, GAMMA]);
    let after = platform(&[ALPHA, BETA, GAMMA, DELTA]);
    let changes = diff(&before, &after);
    let not_added: Vec<_> = changes.resources.iter().filter(|r| r.change != Change::Added).collect();
    assert!(not_added.is_empty(), "{not_added:#?}");
    let added: Vec<&str> = changes.resources.iter().map(|r| r.id.as_str()).collect();
    assert!(added.iter().all(|id| id.starts_with("delta") || id.contains("deltaContainerLogsPolicy")), "{added:?}");
}

#[test]
fn adding_removing_or_reordering_services_changes_no_other_services_resource() {
    let base = platform(&[ALPHA, BETA, GAMMA]);
    for (what, variant) in [
        ("removing beta", platform(&[ALPHA, GAMMA])),
        ("reordering", platform(&[GAMMA, ALPHA, BETA])),
        ("inserting delta first", platform(&[DELTA, ALPHA, BETA, GAMMA])),
        (
            "inserting a routed service first",
            platform(&[("epsilon", Some("{path_patterns: [/e/*]}")), ALPHA, BETA, GAMMA]),
        ),
    ] {
        for name in ["alpha", "gamma"] {
            let (old, new) = (of_service(&base, name), of_service(&variant, name));
            assert!(!old.is_empty());
            // Listener rules' priorities included: a rule that moved could land on one another
            // rule holds until CloudFormation's cleanup (PriorityInUse).
            assert_eq!(old, new, "{what}: {name}'s resources change");
        }
        let changes = diff(&base, &variant);
        assert!(changes.priority_conflicts.is_empty(), "{what}: {:?}", changes.priority_conflicts);
    }
}

/// The rules of `t` in the order the load balancer tries them, and the first that takes a
/// request for `host` and `path`: its target group's logical ID.
fn routed_to(t: &Value, host: &str, path: &str) -> Option<String> {
    let mut rules: Vec<&Value> =
        resources_of_type(t, "AWS::ElasticLoadBalancingV2::ListenerRule").into_iter().map(|(_, r)| r).collect();
    rules.sort_by_key(|r| r["Properties"]["Priority"].as_u64());
    let matches = |condition: &Value| {
        let values = |key: &str| {
            condition[key]["Values"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        };
        match condition["Field"].as_str().unwrap() {
            "path-pattern" => values("PathPatternConfig").iter().any(|p| globs_intersect(p, path, false)),
            "host-header" => values("HostHeaderConfig").iter().any(|h| globs_intersect(h, host, true)),
            other => panic!("condition {other}"),
        }
    };
    let rule = rules.into_iter().find(|r| r["Properties"]["Conditions"].as_array().unwrap().iter().all(matches))?;
    rule["Properties"]["Actions"][0]["TargetGroupArn"]["Ref"].as_str().map(str::to_owned)
}

#[test]
fn a_host_rule_takes_its_hosts_requests_before_a_path_rule() {
    let t = synth(&std::fs::read_to_string("examples/platform.yaml").unwrap());
    let group =
        |service: &str| of_service(&t, service).iter().find(|(id, _)| id.contains("TargetGroup")).unwrap().0.clone();
    assert_eq!(routed_to(&t, "admin.example.com", "/api/users"), Some(group("admin")));
    assert_eq!(routed_to(&t, "ADMIN.example.com", "/"), Some(group("admin")), "host names compare without case");
    assert_eq!(routed_to(&t, "shop.example.com", "/api/users"), Some(group("api")));
    assert_eq!(routed_to(&t, "shop.example.com", "/"), None, "the default route: web");
    // And a rule with both a host and a path goes before a rule with the host alone.
    let t =
        platform(&[ALPHA, GAMMA, ("gammaapi", Some("{host_headers: [gamma.example.com], path_patterns: [/api/*]}"))]);
    let group =
        |service: &str| of_service(&t, service).iter().find(|(id, _)| id.contains("TargetGroup")).unwrap().0.clone();
    assert_eq!(routed_to(&t, "gamma.example.com", "/api/x"), Some(group("gammaapi")));
    assert_eq!(routed_to(&t, "gamma.example.com", "/x"), Some(group("gamma")));
}

#[test]
fn routes_become_listener_rules_and_the_unrouted_service_takes_the_rest() {
    let t = platform(&[ALPHA, BETA, GAMMA, DELTA]);
    let listener = only(&t, "AWS::ElasticLoadBalancingV2::Listener");
    let alpha_group =
        json!({"Ref": of_service(&t, "alpha").iter().find(|(id, _)| id.contains("TargetGroup")).unwrap().0});
    assert_eq!(listener["Properties"]["DefaultActions"], json!([{"TargetGroupArn": alpha_group, "Type": "forward"}]));
    let mut rules: Vec<(u64, Value)> = resources_of_type(&t, "AWS::ElasticLoadBalancingV2::ListenerRule")
        .into_iter()
        .map(|(_, r)| (r["Properties"]["Priority"].as_u64().unwrap(), r["Properties"]["Conditions"].clone()))
        .collect();
    rules.sort_by_key(|(p, _)| *p);
    // A priority given stays; one left out comes from the service's name and its route's kind.
    assert_eq!(
        rules,
        [
            (5, json!([{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/delta/*"]}}])),
            (
                u64::from(derived_priority("gamma", RouteKind::Host)),
                json!([{"Field": "host-header", "HostHeaderConfig": {"Values": ["gamma.example.com"]}}])
            ),
            (
                u64::from(derived_priority("beta", RouteKind::Path)),
                json!([{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/beta/*"]}}])
            ),
        ]
    );
    // A service starts once its rule attaches its group to the load balancer.
    for (id, service) in resources_of_type(&t, "AWS::ECS::Service") {
        let rule = of_service(&t, &id[..4]).into_iter().find(|(rid, _)| rid.contains("ListenerRule"));
        if let Some((rule_id, _)) = rule {
            assert!(service["DependsOn"].as_array().unwrap().contains(&json!(rule_id)), "{id}");
        }
    }
    // Every service routed: what no route takes gets a 404.
    let t = platform(&[BETA, GAMMA]);
    let listener = only(&t, "AWS::ElasticLoadBalancingV2::Listener");
    assert_eq!(
        listener["Properties"]["DefaultActions"],
        json!([{"FixedResponseConfig": {"ContentType": "text/plain", "MessageBody": "Not Found", "StatusCode": "404"}, "Type": "fixed-response"}])
    );
}

#[test]
fn a_configuration_past_cloudformations_500_resources_is_refused_with_what_to_split() {
    let names: Vec<String> = (0..60).map(|i| format!("s{i}")).collect();
    let body: String = names.iter().map(|n| service_yaml(n, Some(&format!("{{path_patterns: [/{n}/*]}}")))).collect();
    let config = ecs_alb::config::load_str(&format!("services:\n{body}"), None).expect("each service is valid");
    let Err(error) = ecs_alb::pattern::synthesize(&config, Default::default()) else {
        panic!("60 services cannot fit")
    };
    let config_error = error.config_error().expect("a configuration error (exit 2)");
    let message = config_error.messages().collect::<Vec<_>>().join("\n");
    assert!(message.contains("services: make ") && message.contains("CloudFormation takes at most 500"), "{message}");
    assert!(message.contains("split the 60 services across stacks"), "{message}");
}

/// With HTTPS the services are routed on port 443; port 80 only redirects there.
#[test]
fn with_https_the_rules_are_on_443_and_80_redirects() {
    let body: String = [ALPHA, BETA].iter().map(|(name, routing)| service_yaml(name, *routing)).collect();
    let t = synth(&format!(
        "load_balancer: {{protocol: HTTPS, certificate_arn: 'arn:aws:acm:us-east-1:123456789012:certificate/abc'}}\nservices:\n{body}"
    ));
    let listeners = resources_of_type(&t, "AWS::ElasticLoadBalancingV2::Listener");
    let https = listeners.iter().find(|(_, l)| l["Properties"]["Port"] == 443).expect("the HTTPS listener").0;
    let http = listeners.iter().find(|(_, l)| l["Properties"]["Port"] == 80).expect("the redirect").1;
    assert_eq!(http["Properties"]["DefaultActions"][0]["Type"], "redirect");
    let rule = only(&t, "AWS::ElasticLoadBalancingV2::ListenerRule");
    assert_eq!(rule["Properties"]["ListenerArn"], json!({"Ref": https}));
}

/// Each service's URL output says where it answers: a host-routed service on its own host (the
/// load balancer's own name reaches the default route), a path-routed one with its path.
#[test]
fn each_services_url_names_its_host_or_its_path() {
    let t = synth(&std::fs::read_to_string("examples/platform.yaml").unwrap());
    let url = |service: &str| {
        let (_, output) = t["Outputs"].as_object().unwrap().iter().find(|(id, _)| id.starts_with(service)).unwrap();
        output["Value"].clone()
    };
    assert_eq!(url("admin"), json!("http://admin.example.com"));
    assert_eq!(url("api"), json!({"Fn::Sub": "http://${LoadBalancerBE9EEC3A.DNSName}/api/"}));
    assert_eq!(url("web"), json!({"Fn::Sub": "http://${LoadBalancerBE9EEC3A.DNSName}"}));
}

/// Each service may take its image from a parameter of its own, `NAMEContainerImage`.
#[test]
fn each_service_has_its_own_image_parameter() {
    let t = synth(
        "services:
  web: {container: {image_parameter: true}}
  my-api: {routing: {path_patterns: [/api/*]}, container: {name: api, image_parameter: true}}
",
    );
    let parameters: Vec<&String> = t["Parameters"].as_object().unwrap().keys().collect();
    assert!(
        parameters.contains(&&"webContainerImage".to_owned())
            && parameters.contains(&&"myapiContainerImage".to_owned()),
        "{parameters:?}"
    );
    for id in ["webContainerImage", "myapiContainerImage"] {
        assert!(ecs_alb::constructs::task::is_image_parameter(id), "deploy keeps {id} as deployed");
    }
    assert!(!ecs_alb::constructs::task::is_image_parameter("DrainerCodeS3Key"));
}

/// A service switching to a blue/green release changes its own resources only (its service, its
/// rule, and the release's group and role added); every other service's, and the shared ones,
/// keep their logical IDs and properties (issue 22).
#[test]
fn one_service_switching_to_blue_green_touches_only_its_own_resources() {
    let before = platform(&[ALPHA, BETA, GAMMA]);
    let after = synth(&format!(
        "stack_name: Platform\nservices:\n{}{}{}",
        service_yaml("alpha", None),
        service_yaml("beta", Some("{path_patterns: [/beta/*]}"))
            .replace("\n    container:", "\n    deployment: {strategy: blue-green}\n    container:"),
        service_yaml("gamma", Some("{host_headers: [gamma.example.com]}")),
    ));
    let changes = diff(&before, &after);
    let changed: Vec<&str> = changes.resources.iter().map(|r| r.id.as_str()).collect();
    assert!(!changed.is_empty());
    for id in &changed {
        assert!(id.starts_with("beta"), "{id} changed although only beta switched: {changed:?}");
    }
    assert!(
        changes.resources.iter().all(|r| r.change == Change::Added || r.change == Change::Modified),
        "{changes:#?}"
    );
}

/// A new image deploys the service anew: `diff` names the release and draws its timeline from
/// the template's numbers; a changed route of a releasing service warns that CloudFormation writes
/// the rule's weights back; a rolling service's image is a rolling update (issue 22).
#[test]
fn diff_says_which_services_a_change_releases_and_how() {
    let config = |image: &str, path: &str| {
        format!(
            "services:
  web:
    container: {{image: '{image}'}}
    deployment: {{strategy: linear, linear: {{step_percent: 33.3, step_bake_time_minutes: 4}}, bake_time_minutes: 20, test_listener_port: 8080}}
  api:
    routing: {{path_patterns: ['{path}']}}
    container: {{name: api, image: '{image}'}}
    deployment: {{strategy: canary}}
  admin:
    routing: {{path_patterns: [/admin/*]}}
    container: {{name: admin, image: '{image}'}}
"
        )
    };
    let before = synth(&config("nginx:1.27", "/api/*"));
    let after = synth(&config("nginx:1.28", "/v2/*"));
    let changes = diff(&before, &after);
    let deployments: Vec<(&str, &str)> =
        changes.service_deployments.iter().map(|d| (d.service.as_str(), d.strategy.as_str())).collect();
    assert_eq!(
        deployments,
        [("webService7644FB27", "LINEAR"), ("apiServiceD085F0F3", "CANARY"), ("adminServiceA390290F", "ROLLING")]
    );
    let web = &changes.service_deployments[0];
    assert_eq!(web.because, ["TaskDefinition (webTaskDef5F7CDBA5 replaced)"]);
    assert_eq!(
        web.timeline,
        [
            "the new revision starts on the alternate target group, beside the old one",
            "all test traffic moves to it",
            "minute 0: 33.3 percent of production traffic on it",
            "minute 4: 66.6 percent of production traffic on it",
            "minute 8: 99.9 percent of production traffic on it",
            "minute 12: 100 percent of production traffic on it",
            "minute 32: the old revision stops; until then a rollback moves traffic back at once",
        ]
    );
    // ECS's own canary when the template leaves it out: 5 percent for 10 minutes.
    let api = &changes.service_deployments[1].timeline;
    assert_eq!(api[1], "minute 0: 5 percent of production traffic moves to it");
    assert_eq!(api[2], "minute 10: the rest moves");
    assert_eq!(api[3], "the old revision stops after ECS's default bake time");
    let resets: Vec<(&str, &str)> = changes.rule_resets.iter().map(|r| (r.rule.as_str(), r.service.as_str())).collect();
    assert_eq!(resets, [("apiListenerRule5B640DAB", "apiServiceD085F0F3")]);
    // Nothing deploys when no service's task or placement changes.
    assert!(diff(&before, &before).service_deployments.is_empty());
}

//! Synthesis speed: the default stack, a large one and forty services, from configuration text to
//! template text.

use ecs_alb::config::load_str;
use ecs_alb::pattern::{SynthOptions, synthesize};

/// Six zones, a big fleet, and a container with many environment variables.
fn large_config() -> String {
    let mut yaml = String::from(
        "stack_name: Large\nvpc: {max_azs: 6, cidr: 10.0.0.0/16}\n\
         capacity: {instance_type: m5.xlarge, min_capacity: 6, max_capacity: 60, task_drain_time_seconds: 3600}\n\
         service:\n  desired_count: 120\n  container:\n    environment:\n",
    );
    for i in 0..100 {
        yaml.push_str(&format!("      VAR_{i}: value-{i}\n"));
    }
    yaml
}

/// Forty services on one load balancer, each routed by its own path, with a sidecar and scaling
/// on every fourth: near the most that stays within CloudFormation's 500 resources (429).
const FORTY_SERVICES: &str = include_str!("forty-services.yaml");

fn synth_json(config: &str) -> String {
    let config = load_str(config, None).expect("valid");
    synthesize(&config, SynthOptions::default()).expect("synthesizes").to_json_pretty().expect("renders")
}

#[divan::bench]
fn default_stack() -> String {
    synth_json(divan::black_box("{}"))
}

#[divan::bench]
fn large_stack(bencher: divan::Bencher) {
    let config = large_config();
    bencher.bench(|| synth_json(divan::black_box(&config)));
}

#[divan::bench]
fn forty_services(bencher: divan::Bencher) {
    bencher.bench(|| synth_json(divan::black_box(FORTY_SERVICES)));
}

#[divan::bench]
fn default_stack_yaml() -> String {
    let config = load_str(divan::black_box("{}"), None).expect("valid");
    synthesize(&config, SynthOptions::default()).expect("synthesizes").to_yaml().expect("renders")
}

fn main() {
    divan::main();
}

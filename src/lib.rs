//! `ecs-alb`: the CloudFormation template of an ECS service on EC2 behind an Application Load
//! Balancer, with graceful draining of instances on scale-in.
//!
//! Layers, each knowing only those below it: [`template`] (the template format), [`resources`]
//! (typed AWS resources), [`constructs`] (groups of resources with one purpose, each with props of
//! its own), [`pattern`] (the whole stack, wired from the [`config`]). [`aws`], [`ecr`] and [`cidr`]
//! hold facts about AWS that the configuration's checks and the constructs share.

pub mod architecture;
pub mod aws;
pub mod bounds;
pub mod cidr;
pub mod config;
pub mod constructs;
pub mod diff;
pub mod docs;
pub mod ecr;
pub mod graph;
pub mod listener_rules;
pub mod model;
pub mod pattern;
pub mod resources;
pub mod template;
pub mod verbs;

//! `ecs-alb`: the CloudFormation template of an ECS service on EC2 behind an Application Load
//! Balancer, with graceful draining of instances on scale-in.
//!
//! Layers, each knowing only those below it: [`template`] (the template format), [`resources`]
//! (typed AWS resources), [`constructs`] (groups of resources with one purpose), [`pattern`] (the
//! whole stack, wired from the [`config`]).

pub mod cidr;
pub mod config;
pub mod constructs;
pub mod diff;
pub mod docs;
pub mod ecr;
pub mod graph;
pub mod pattern;
pub mod resources;
pub mod template;
pub mod verbs;

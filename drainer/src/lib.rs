//! The drainer: an AWS Lambda function that drains an ECS container instance before Auto Scaling
//! terminates it.
//!
//! [`message`] reads lifecycle notifications, [`decide`] chooses what to do (pure), [`handler`]
//! runs one invocation over small traits, and [`aws`] implements those traits with the AWS SDK.

pub mod aws;
pub mod decide;
pub mod handler;
pub mod message;
pub mod settings;

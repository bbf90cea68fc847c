//! The Rust types `patch.toml` gives the properties AWS's schemas type loosely.

pub use super::events::RuleState;
pub use super::route53::RecordType;
pub use super::sns::SubscriptionProtocol;
pub use super::sqs::RedrivePolicy;

//! AWS::Logs resources (generated), with the attributes each offers.

use crate::template::{Handle, Intrinsic};

pub use super::generated::logs::log_group::LogGroup;

impl Handle<LogGroup> {
    pub fn log_group_name(&self) -> Intrinsic {
        self.reference()
    }

    pub fn arn(&self) -> Intrinsic {
        self.get_att("Arn")
    }
}

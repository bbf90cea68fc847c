//! AWS::S3 resources (generated), with the attributes each offers, the settings ecs-alb gives
//! every bucket, and the values the schemas leave as strings.

use serde::Serialize;

use crate::template::{Handle, Intrinsic};

pub use super::generated::s3::bucket::{
    Bucket, BucketEncryption, LifecycleConfiguration, OwnershipControls, OwnershipControlsRule,
    PublicAccessBlockConfiguration, Rule as LifecycleRule, ServerSideEncryptionByDefault, ServerSideEncryptionRule,
};
pub use super::generated::s3::bucket_policy::BucketPolicy;

impl Handle<Bucket> {
    pub fn bucket_name(&self) -> Intrinsic {
        self.reference()
    }

    pub fn arn(&self) -> Intrinsic {
        self.get_att("Arn")
    }

    /// `arn` inside an `Fn::Sub` pattern.
    pub fn arn_sub(&self) -> String {
        self.sub_att("Arn")
    }
}

impl BucketEncryption {
    /// SSE-S3: S3's own keys.
    pub fn s3_managed() -> Self {
        BucketEncryption {
            server_side_encryption_configuration: vec![ServerSideEncryptionRule {
                server_side_encryption_by_default: Some(ServerSideEncryptionByDefault {
                    sse_algorithm: SseAlgorithm::Aes256,
                    ..ServerSideEncryptionByDefault::default()
                }),
                ..ServerSideEncryptionRule::default()
            }],
        }
    }
}

/// How S3 encrypts objects at rest.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub enum SseAlgorithm {
    /// S3-managed keys (SSE-S3): what ELB access logs require.
    #[serde(rename = "AES256")]
    #[default]
    Aes256,
    #[serde(rename = "aws:kms")]
    AwsKms,
}

#[derive(Clone, Copy, Debug, Default, Serialize)]
pub enum RuleStatus {
    #[default]
    Enabled,
    Disabled,
}

impl OwnershipControls {
    /// ACLs off: the bucket's owner owns every object, whoever wrote it.
    pub fn bucket_owner_enforced() -> Self {
        OwnershipControls {
            rules: vec![OwnershipControlsRule { object_ownership: Some(ObjectOwnership::BucketOwnerEnforced) }],
        }
    }
}

/// Who owns the objects written to a bucket.
#[derive(Clone, Copy, Debug, Serialize)]
pub enum ObjectOwnership {
    /// ACLs off: the bucket's owner owns every object.
    BucketOwnerEnforced,
    BucketOwnerPreferred,
    ObjectWriter,
}

impl PublicAccessBlockConfiguration {
    pub fn all_blocked() -> Self {
        PublicAccessBlockConfiguration {
            block_public_acls: Some(true.into()),
            block_public_policy: Some(true.into()),
            ignore_public_acls: Some(true.into()),
            restrict_public_buckets: Some(true.into()),
        }
    }
}

//! AWS::S3 resources.

use serde::Serialize;
use serde_with::skip_serializing_none;

use super::iam::PolicyDocument;
use super::schema;
use crate::template::{Handle, Intrinsic, Resource, Tags, Value};

#[skip_serializing_none]
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Bucket {
    pub bucket_encryption: BucketEncryption,
    pub lifecycle_configuration: Option<LifecycleConfiguration>,
    pub ownership_controls: OwnershipControls,
    pub public_access_block_configuration: PublicAccessBlockConfiguration,
    pub tags: Option<Tags>,
}

impl Resource for Bucket {
    const TYPE: &'static str = schema::S3_BUCKET_TYPE;

    fn add_tags(&mut self, tags: &Tags) {
        Tags::add_missing_to(&mut self.tags, tags);
    }
}

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

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct BucketEncryption {
    pub server_side_encryption_configuration: Vec<EncryptionRule>,
}

impl BucketEncryption {
    /// SSE-S3: S3's own keys.
    pub fn s3_managed() -> Self {
        BucketEncryption {
            server_side_encryption_configuration: vec![EncryptionRule {
                server_side_encryption_by_default: EncryptionByDefault { sse_algorithm: SseAlgorithm::Aes256 },
            }],
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct EncryptionRule {
    pub server_side_encryption_by_default: EncryptionByDefault,
}

#[derive(Debug, Serialize)]
pub struct EncryptionByDefault {
    #[serde(rename = "SSEAlgorithm")]
    pub sse_algorithm: SseAlgorithm,
}

/// How S3 encrypts objects at rest.
#[derive(Clone, Copy, Debug, Serialize)]
pub enum SseAlgorithm {
    /// S3-managed keys (SSE-S3): what ELB access logs require.
    #[serde(rename = "AES256")]
    Aes256,
    #[serde(rename = "aws:kms")]
    AwsKms,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LifecycleConfiguration {
    pub rules: Vec<LifecycleRule>,
}

#[derive(Clone, Copy, Debug, Serialize)]
pub enum RuleStatus {
    Enabled,
    Disabled,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LifecycleRule {
    pub expiration_in_days: Value<u32>,
    pub id: &'static str,
    pub status: RuleStatus,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct OwnershipControls {
    pub rules: Vec<OwnershipRule>,
}

impl OwnershipControls {
    /// ACLs off: the bucket's owner owns every object, whoever wrote it.
    pub fn bucket_owner_enforced() -> Self {
        OwnershipControls { rules: vec![OwnershipRule { object_ownership: ObjectOwnership::BucketOwnerEnforced }] }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct OwnershipRule {
    pub object_ownership: ObjectOwnership,
}

/// Who owns the objects written to a bucket.
#[derive(Clone, Copy, Debug, Serialize)]
pub enum ObjectOwnership {
    /// ACLs off: the bucket's owner owns every object.
    BucketOwnerEnforced,
    BucketOwnerPreferred,
    ObjectWriter,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PublicAccessBlockConfiguration {
    pub block_public_acls: bool,
    pub block_public_policy: bool,
    pub ignore_public_acls: bool,
    pub restrict_public_buckets: bool,
}

impl PublicAccessBlockConfiguration {
    pub fn all_blocked() -> Self {
        PublicAccessBlockConfiguration {
            block_public_acls: true,
            block_public_policy: true,
            ignore_public_acls: true,
            restrict_public_buckets: true,
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct BucketPolicy {
    pub bucket: Value<String>,
    pub policy_document: PolicyDocument,
}

impl Resource for BucketPolicy {
    const TYPE: &'static str = schema::S3_BUCKET_POLICY_TYPE;
}

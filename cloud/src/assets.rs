//! The drainer's package in S3: a bucket like the CDK's bootstrap bucket, and a content-addressed key.

use std::path::Path;

use anyhow::{Context, Result};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    BucketLocationConstraint, BucketVersioningStatus, CreateBucketConfiguration, PublicAccessBlockConfiguration,
    ServerSideEncryption, ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration, ServerSideEncryptionRule,
    VersioningConfiguration,
};
use sha2::{Digest, Sha256};

/// Where an uploaded package is.
pub struct Asset {
    pub bucket: String,
    pub key: String,
}

/// `ecs-alb-assets-ACCOUNT-REGION`, as CDK bootstrap names its bucket after account and region.
pub fn default_bucket(account: &str, region: &str) -> String {
    format!("ecs-alb-assets-{account}-{region}")
}

/// The key for a package: its SHA-256, so an unchanged package is not uploaded again and a
/// changed one gets a new key (which is what makes CloudFormation update the function's code).
pub fn content_key(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("drainer/{hex}.zip")
}

/// Creates the bucket (versioned, encrypted, closed to the public) unless it exists.
pub async fn ensure_bucket(s3: &aws_sdk_s3::Client, bucket: &str, region: &str) -> Result<bool> {
    if s3.head_bucket().bucket(bucket).send().await.is_ok() {
        return Ok(false);
    }
    let mut create = s3.create_bucket().bucket(bucket);
    // us-east-1 is the one region that refuses a location constraint.
    if region != "us-east-1" {
        let location =
            CreateBucketConfiguration::builder().location_constraint(BucketLocationConstraint::from(region)).build();
        create = create.create_bucket_configuration(location);
    }
    create.send().await.map_err(crate::sdk).with_context(|| format!("cannot create bucket {bucket}"))?;
    let block = PublicAccessBlockConfiguration::builder()
        .block_public_acls(true)
        .block_public_policy(true)
        .ignore_public_acls(true)
        .restrict_public_buckets(true)
        .build();
    s3.put_public_access_block()
        .bucket(bucket)
        .public_access_block_configuration(block)
        .send()
        .await
        .map_err(crate::sdk)
        .context("cannot block public access to the asset bucket")?;
    let encryption = ServerSideEncryptionConfiguration::builder()
        .rules(
            ServerSideEncryptionRule::builder()
                .apply_server_side_encryption_by_default(
                    ServerSideEncryptionByDefault::builder().sse_algorithm(ServerSideEncryption::Aes256).build()?,
                )
                .build(),
        )
        .build()?;
    s3.put_bucket_encryption()
        .bucket(bucket)
        .server_side_encryption_configuration(encryption)
        .send()
        .await
        .map_err(crate::sdk)
        .context("cannot encrypt the asset bucket")?;
    s3.put_bucket_versioning()
        .bucket(bucket)
        .versioning_configuration(VersioningConfiguration::builder().status(BucketVersioningStatus::Enabled).build())
        .send()
        .await
        .map_err(crate::sdk)
        .context("cannot version the asset bucket")?;
    Ok(true)
}

/// Uploads the package unless an object with its content key is there already.
pub async fn upload(s3: &aws_sdk_s3::Client, bucket: &str, package: &Path) -> Result<Asset> {
    let bytes = std::fs::read(package).with_context(|| {
        format!("cannot read the drainer's package {} (build it with scripts/build-drainer)", package.display())
    })?;
    let key = content_key(&bytes);
    if s3.head_object().bucket(bucket).key(&key).send().await.is_err() {
        s3.put_object()
            .bucket(bucket)
            .key(&key)
            .body(ByteStream::from(bytes))
            .send()
            .await
            .map_err(crate::sdk)
            .with_context(|| format!("cannot upload the drainer's package to s3://{bucket}/{key}"))?;
    }
    Ok(Asset { bucket: bucket.to_owned(), key })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_follow_the_content() {
        assert_eq!(content_key(b"a"), content_key(b"a"));
        assert_ne!(content_key(b"a"), content_key(b"b"));
        assert!(
            content_key(b"a").starts_with("drainer/ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb")
        );
    }
}

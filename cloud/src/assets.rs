//! Deployment assets in S3 (the drainer's package, templates too large to send inline): a bucket
//! like the CDK's bootstrap bucket, and content-addressed keys.

use std::path::Path;

use anyhow::{Context, Result};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    BucketLocationConstraint, BucketVersioningStatus, CreateBucketConfiguration, PublicAccessBlockConfiguration,
    ServerSideEncryption, ServerSideEncryptionByDefault, ServerSideEncryptionConfiguration, ServerSideEncryptionRule,
    VersioningConfiguration,
};
use sha2::{Digest, Sha256};

/// Where an uploaded asset is.
pub struct Asset {
    pub bucket: String,
    pub key: String,
}

/// `ecs-alb-assets-ACCOUNT-REGION`, as CDK bootstrap names its bucket after account and region.
pub fn default_bucket(account: &str, region: &str) -> String {
    format!("ecs-alb-assets-{account}-{region}")
}

/// The key for an asset: its SHA-256 under `folder`, so an unchanged asset is not uploaded again
/// and a changed one gets a new key (which is what makes CloudFormation update the function's code).
pub fn content_key(folder: &str, bytes: &[u8], extension: &str) -> String {
    let digest = Sha256::digest(bytes);
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("{folder}/{hex}.{extension}")
}

/// The HTTPS address of an object, as CloudFormation's `TemplateURL` takes it.
pub fn object_url(asset: &Asset, region: &str) -> String {
    let domain = if region.starts_with("cn-") { "amazonaws.com.cn" } else { "amazonaws.com" };
    format!("https://{}.s3.{region}.{domain}/{}", asset.bucket, asset.key)
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

/// Uploads the drainer's package unless an object with its content key is there already.
pub async fn upload(s3: &aws_sdk_s3::Client, bucket: &str, package: &Path) -> Result<Asset> {
    let bytes = std::fs::read(package).with_context(|| {
        format!("cannot read the drainer's package {} (build it with scripts/build-drainer)", package.display())
    })?;
    upload_bytes(s3, bucket, content_key("drainer", &bytes, "zip"), bytes).await
}

/// Uploads `bytes` under `key` unless an object is there already (keys name their content).
pub async fn upload_bytes(s3: &aws_sdk_s3::Client, bucket: &str, key: String, bytes: Vec<u8>) -> Result<Asset> {
    if s3.head_object().bucket(bucket).key(&key).send().await.is_err() {
        s3.put_object()
            .bucket(bucket)
            .key(&key)
            .body(ByteStream::from(bytes))
            .send()
            .await
            .map_err(crate::sdk)
            .with_context(|| format!("cannot upload to s3://{bucket}/{key}"))?;
    }
    Ok(Asset { bucket: bucket.to_owned(), key })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_follow_the_content() {
        assert_eq!(content_key("drainer", b"a", "zip"), content_key("drainer", b"a", "zip"));
        assert_ne!(content_key("drainer", b"a", "zip"), content_key("drainer", b"b", "zip"));
        assert_eq!(
            content_key("drainer", b"a", "zip"),
            "drainer/ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb.zip"
        );
    }

    #[test]
    fn template_urls_name_the_regional_endpoint() {
        let asset = Asset { bucket: "b".into(), key: "templates/x.json".into() };
        assert_eq!(object_url(&asset, "eu-west-1"), "https://b.s3.eu-west-1.amazonaws.com/templates/x.json");
        assert_eq!(object_url(&asset, "cn-north-1"), "https://b.s3.cn-north-1.amazonaws.com.cn/templates/x.json");
    }
}

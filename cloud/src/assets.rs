//! Deployment assets in S3 (the drainer's package, templates too large to send inline): a bucket
//! like the CDK's bootstrap bucket, and content-addressed keys.

use std::path::Path;

use anyhow::{Context, Result, bail};
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

/// The asset bucket and the account that must own it. Bucket names are global and this one's is
/// predictable, so another account could create it first and let us write to it, then swap a
/// template between our upload and CloudFormation's read: every call names the expected owner,
/// and S3 refuses it (403) for a bucket of someone else's ("Verifying bucket ownership with bucket
/// owner condition", Amazon S3 User Guide). The CDK's bootstrap bucket had this problem.
pub struct Bucket {
    pub name: String,
    pub owner: String,
}

/// What HeadBucket, asked with the expected owner, says about a bucket.
#[derive(Debug, PartialEq, Eq)]
pub enum Ownership {
    Ours,
    Missing,
    /// It exists, but another account owns it (or this identity may not see it).
    NotOurs,
}

impl Ownership {
    pub fn of_head_status(status: Option<u16>) -> Option<Ownership> {
        match status {
            Some(200..=299) => Some(Ownership::Ours),
            Some(404) => Some(Ownership::Missing),
            Some(403) => Some(Ownership::NotOurs),
            _ => None,
        }
    }
}

async fn ownership(s3: &aws_sdk_s3::Client, bucket: &Bucket) -> Result<Ownership> {
    let result = s3.head_bucket().bucket(&bucket.name).expected_bucket_owner(&bucket.owner).send().await;
    let status = match &result {
        Ok(_) => Some(200),
        Err(e) => e.raw_response().map(|r| r.status().as_u16()),
    };
    match Ownership::of_head_status(status) {
        Some(ownership) => Ok(ownership),
        None => Err(result.map_err(crate::sdk).err().unwrap_or_else(|| anyhow::anyhow!("no answer")))
            .with_context(|| format!("cannot look at bucket {}", bucket.name)),
    }
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

/// Checks the bucket is this account's, and when it is missing creates it (versioned, encrypted,
/// closed to the public) in `create_in`, the region, if given; says whether it created it. A
/// bucket of another account's is refused.
pub async fn ensure_bucket(s3: &aws_sdk_s3::Client, owned: &Bucket, create_in: Option<&str>) -> Result<bool> {
    let bucket = owned.name.as_str();
    let region = match (ownership(s3, owned).await?, create_in) {
        (Ownership::Ours, _) => return Ok(false),
        (Ownership::NotOurs, _) => bail!(
            "bucket {bucket} exists but is not this account's ({}): ecs-alb will not put deployment assets there; name a bucket of yours with --asset-bucket",
            owned.owner
        ),
        (Ownership::Missing, None) => bail!("there is no bucket {bucket}"),
        (Ownership::Missing, Some(region)) => region,
    };
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
        .expected_bucket_owner(&owned.owner)
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
        .expected_bucket_owner(&owned.owner)
        .server_side_encryption_configuration(encryption)
        .send()
        .await
        .map_err(crate::sdk)
        .context("cannot encrypt the asset bucket")?;
    s3.put_bucket_versioning()
        .bucket(bucket)
        .expected_bucket_owner(&owned.owner)
        .versioning_configuration(VersioningConfiguration::builder().status(BucketVersioningStatus::Enabled).build())
        .send()
        .await
        .map_err(crate::sdk)
        .context("cannot version the asset bucket")?;
    Ok(true)
}

/// Uploads the drainer's package unless an object with its content key is there already.
pub async fn upload(s3: &aws_sdk_s3::Client, bucket: &Bucket, package: &Path) -> Result<Asset> {
    let bytes = std::fs::read(package).with_context(|| {
        format!("cannot read the drainer's package {} (build it with scripts/build-drainer)", package.display())
    })?;
    upload_bytes(s3, bucket, content_key("drainer", &bytes, "zip"), bytes).await
}

/// Uploads `bytes` under `key` unless an object is there already (keys name their content).
pub async fn upload_bytes(s3: &aws_sdk_s3::Client, owned: &Bucket, key: String, bytes: Vec<u8>) -> Result<Asset> {
    let bucket = owned.name.as_str();
    let present = s3.head_object().bucket(bucket).key(&key).expected_bucket_owner(&owned.owner).send().await.is_ok();
    if !present {
        s3.put_object()
            .bucket(bucket)
            .key(&key)
            .expected_bucket_owner(&owned.owner)
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
    fn a_bucket_of_another_account_is_told_apart() {
        assert_eq!(Ownership::of_head_status(Some(200)), Some(Ownership::Ours));
        assert_eq!(Ownership::of_head_status(Some(404)), Some(Ownership::Missing));
        assert_eq!(Ownership::of_head_status(Some(403)), Some(Ownership::NotOurs));
        assert_eq!(Ownership::of_head_status(Some(500)), None);
        assert_eq!(Ownership::of_head_status(None), None);
    }

    #[test]
    fn template_urls_name_the_regional_endpoint() {
        let asset = Asset { bucket: "b".into(), key: "templates/x.json".into() };
        assert_eq!(object_url(&asset, "eu-west-1"), "https://b.s3.eu-west-1.amazonaws.com/templates/x.json");
        assert_eq!(object_url(&asset, "cn-north-1"), "https://b.s3.cn-north-1.amazonaws.com.cn/templates/x.json");
    }
}

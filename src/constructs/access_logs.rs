//! The load balancer's access logs: an S3 bucket Elastic Load Balancing may write to, and nothing
//! else may reach.
//!
//! Who writes depends on the region: in regions older than August 2022, an ELB account of that
//! region; in newer ones, ELB's log-delivery service. The template works in any region, so it
//! carries the table of those accounts and picks at deploy time.

use indexmap::IndexMap;

use crate::resources::iam::{PolicyDocument, Principal, Statement};
use crate::resources::s3::{
    Bucket, BucketEncryption, BucketPolicy, LifecycleConfiguration, LifecycleRule, OwnershipControls,
    PublicAccessBlockConfiguration, RuleStatus,
};
use crate::template::{Handle, Intrinsic, Options, RemovalPolicy, Scope, Template, TemplateError, pseudo};

/// The regions that have an ELB log-delivery account, and its ID; the list is closed, since
/// newer regions use the service principal.
const ELB_ACCOUNTS: [(&str, &str); 26] = [
    ("us-east-1", "127311923021"),
    ("us-east-2", "033677994240"),
    ("us-west-1", "027434742980"),
    ("us-west-2", "797873946194"),
    ("af-south-1", "098369216593"),
    ("ap-east-1", "754344448648"),
    ("ap-southeast-3", "589379963580"),
    ("ap-south-1", "718504428378"),
    ("ap-northeast-3", "383597477331"),
    ("ap-northeast-2", "600734575887"),
    ("ap-southeast-1", "114774131450"),
    ("ap-southeast-2", "783225319266"),
    ("ap-northeast-1", "582318560864"),
    ("ca-central-1", "985666609251"),
    ("eu-central-1", "054676820928"),
    ("eu-west-1", "156460612806"),
    ("eu-west-2", "652711504416"),
    ("eu-south-1", "635631232127"),
    ("eu-west-3", "009996457667"),
    ("eu-north-1", "897822967062"),
    ("me-south-1", "076674570225"),
    ("sa-east-1", "507241528517"),
    ("us-gov-west-1", "048591011584"),
    ("us-gov-east-1", "190560391635"),
    ("cn-north-1", "638102146993"),
    ("cn-northwest-1", "037604701340"),
];
const ACCOUNTS_MAPPING: &str = "ElbLogDeliveryAccounts";
const ACCOUNT_KEY: &str = "Account";
const BY_ACCOUNT_CONDITION: &str = "ElbLogDeliveryByAccount";
const LOG_DELIVERY_SERVICE: &str = "logdelivery.elasticloadbalancing.amazonaws.com";

pub struct AccessLogs {
    pub bucket: Handle<Bucket>,
    /// The load balancer checks that it may write when logging is turned on: it waits for this.
    pub policy: Handle<BucketPolicy>,
}

/// Adds the bucket (logs expire after `retention_days`) and its policy.
pub fn build(t: &mut Template, scope: &Scope, retention_days: u32) -> Result<AccessLogs, TemplateError> {
    let accounts = ELB_ACCOUNTS
        .iter()
        .map(|(region, account)| (region.to_string(), IndexMap::from([(ACCOUNT_KEY.to_owned(), account.to_string())])))
        .collect();
    t.add_mapping(ACCOUNTS_MAPPING, accounts)?;
    let in_table =
        ELB_ACCOUNTS.iter().map(|(region, _)| Intrinsic::Equals(Box::new(pseudo::region()), region.to_string()));
    t.add_condition(BY_ACCOUNT_CONDITION, Intrinsic::any_of(in_table.collect()))?;

    let bucket = t.add_with(
        &scope.child("AccessLogsBucket").child("Resource"),
        Bucket {
            // The only encryption ELB can write under.
            bucket_encryption: Some(BucketEncryption::s3_managed()),
            lifecycle_configuration: Some(LifecycleConfiguration {
                rules: vec![LifecycleRule {
                    expiration_in_days: Some(retention_days.into()),
                    id: Some("Expire".into()),
                    status: RuleStatus::Enabled,
                    ..LifecycleRule::default()
                }],
                ..LifecycleConfiguration::default()
            }),
            ownership_controls: Some(OwnershipControls::bucket_owner_enforced()),
            public_access_block_configuration: Some(PublicAccessBlockConfiguration::all_blocked()),
            ..Bucket::default()
        },
        // A record of who called the service: it outlives the stack, as the application's logs do.
        Options::new().on_removal(RemovalPolicy::Retain),
    )?;

    let writer = Intrinsic::If(
        BY_ACCOUNT_CONDITION.into(),
        Box::new(serde_json::json!({"AWS": Intrinsic::FindInMap(
            ACCOUNTS_MAPPING.into(),
            Box::new(pseudo::region()),
            ACCOUNT_KEY.into(),
        )})),
        Box::new(serde_json::json!({"Service": LOG_DELIVERY_SERVICE})),
    );
    let bucket_arn = bucket.arn_sub();
    let logs = Intrinsic::Sub(format!("{bucket_arn}/AWSLogs/${{AWS::AccountId}}/*"));
    let policy = t.add(
        &scope.child("AccessLogsBucket").child("Policy").child("Resource"),
        BucketPolicy {
            bucket: bucket.bucket_name().into(),
            policy_document: PolicyDocument::new(vec![
                Statement::allow(["s3:PutObject"]).for_principal(Principal::Chosen(writer)).on(logs),
                // Whoever reads the logs does so over TLS.
                Statement::deny(["s3:*"])
                    .for_principal(Principal::Anyone)
                    .on(bucket.arn())
                    .on(Intrinsic::Sub(format!("{bucket_arn}/*")))
                    .when_bool("aws:SecureTransport", false),
            ])
            .into(),
        },
    )?;
    Ok(AccessLogs { bucket, policy })
}

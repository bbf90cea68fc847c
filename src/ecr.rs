//! Amazon ECR's naming: which images live in a private ECR repository, and that repository's
//! identity, so the task's execution role can be allowed to pull exactly from it.
//!
//! Formats from AWS's documentation ("Amazon ECR private registry" and "Private repository
//! concepts"): an image is `ACCOUNT.dkr.ecr.REGION.amazonaws.com/NAME[:TAG|@DIGEST]` (`.com.cn` in
//! the China regions, `dkr.ecr-fips` for FIPS endpoints); a repository's ARN is
//! `arn:PARTITION:ecr:REGION:ACCOUNT:repository/NAME`; a name is 2 to 256 lowercase letters,
//! digits and `._-`, in `/`-separated parts that start and end with a letter or digit.

use std::fmt;

/// A private ECR repository.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Repository {
    /// Where it is, when named in full; `None` for a bare name, which means the stack's own
    /// account and region.
    pub location: Option<Location>,
    pub name: String,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Location {
    pub account: String,
    pub region: String,
}

impl Repository {
    /// The repository of `image` when it is a private ECR image; `None` for any other registry
    /// (Docker Hub, ECR Public, ...).
    pub fn of_image(image: &str) -> Option<Repository> {
        let (host, path) = image.split_once('/')?;
        let location = registry_location(host)?;
        // The name ends where the tag or digest begins (a tag follows the last `/`).
        let name = match path.split_once('@') {
            Some((name, _digest)) => name,
            None => match path.rfind(':') {
                Some(colon) if !path[colon..].contains('/') => &path[..colon],
                _ => path,
            },
        };
        is_repository_name(name).then(|| Repository { location: Some(location), name: name.to_owned() })
    }

    /// Reads a repository given as a name, an ARN or a repository URI.
    pub fn parse(text: &str) -> Option<Repository> {
        if let Some(rest) = text.strip_prefix("arn:") {
            let [partition, "ecr", region, account, resource] = rest.splitn(5, ':').collect::<Vec<_>>()[..] else {
                return None;
            };
            let name = resource.strip_prefix("repository/")?;
            let well_formed = partition.starts_with("aws") && is_region(region) && is_account(account);
            return (well_formed && is_repository_name(name)).then(|| Repository {
                location: Some(Location { account: account.to_owned(), region: region.to_owned() }),
                name: name.to_owned(),
            });
        }
        if text.contains(".dkr.") {
            let (host, name) = text.split_once('/')?;
            let location = registry_location(host)?;
            return is_repository_name(name).then(|| Repository { location: Some(location), name: name.to_owned() });
        }
        is_repository_name(text).then(|| Repository { location: None, name: text.to_owned() })
    }

    /// The ARN IAM takes, as `Fn::Sub` text: the partition (and, for a bare name, the account
    /// and region) are the stack's. ECR does not pull across partitions, so the partition is
    /// always the stack's.
    pub fn arn_sub(&self) -> String {
        let (region, account) = match &self.location {
            Some(Location { account, region }) => (region.as_str(), account.as_str()),
            None => ("${AWS::Region}", "${AWS::AccountId}"),
        };
        format!("arn:${{AWS::Partition}}:ecr:{region}:{account}:repository/{}", self.name)
    }
}

impl fmt::Display for Repository {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.location {
            Some(Location { account, region }) => write!(f, "{account}/{region}/{}", self.name),
            None => f.write_str(&self.name),
        }
    }
}

/// The account and region of a private registry's host name.
fn registry_location(host: &str) -> Option<Location> {
    let rest = host.strip_suffix(".amazonaws.com").or_else(|| host.strip_suffix(".amazonaws.com.cn"))?;
    let (account, rest) = rest.split_once('.')?;
    let region = rest.strip_prefix("dkr.ecr.").or_else(|| rest.strip_prefix("dkr.ecr-fips."))?;
    (is_account(account) && is_region(region))
        .then(|| Location { account: account.to_owned(), region: region.to_owned() })
}

fn is_account(account: &str) -> bool {
    account.len() == 12 && account.chars().all(|c| c.is_ascii_digit())
}

/// A region's form: lowercase words and a number, such as eu-west-1 or us-gov-west-1.
fn is_region(region: &str) -> bool {
    let parts: Vec<&str> = region.split('-').collect();
    parts.len() >= 3
        && parts.iter().all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()))
        && parts.last().is_some_and(|n| n.chars().all(|c| c.is_ascii_digit()))
}

pub fn is_repository_name(name: &str) -> bool {
    let component_ok = |c: &str| {
        let alnum = |ch: char| ch.is_ascii_lowercase() || ch.is_ascii_digit();
        !c.is_empty()
            && c.starts_with(alnum)
            && c.ends_with(alnum)
            && c.chars().all(|ch| alnum(ch) || "._-".contains(ch))
    };
    (2..=256).contains(&name.len()) && name.split('/').all(component_ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(account: &str, region: &str, name: &str) -> Repository {
        Repository { location: Some(Location { account: account.into(), region: region.into() }), name: name.into() }
    }

    #[test]
    fn private_ecr_images_name_their_repository() {
        let cases = [
            ("123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop:1.4", Some(at("123456789012", "eu-west-1", "shop"))),
            (
                "123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/shop",
                Some(at("123456789012", "eu-west-1", "team/shop")),
            ),
            (
                "123456789012.dkr.ecr.us-east-1.amazonaws.com/shop@sha256:0123abcd",
                Some(at("123456789012", "us-east-1", "shop")),
            ),
            ("210987654321.dkr.ecr.cn-north-1.amazonaws.com.cn/app:v2", Some(at("210987654321", "cn-north-1", "app"))),
            (
                "123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com/app",
                Some(at("123456789012", "us-gov-west-1", "app")),
            ),
            ("amazon/amazon-ecs-sample", None),
            ("public.ecr.aws/nginx/nginx:1.27", None),
            ("nginx:1.27", None),
            ("localhost:5000/app", None),
            ("123456789012.dkr.ecr.eu-west-1.amazonaws.com/Shop:1", None),
        ];
        for (image, expected) in cases {
            assert_eq!(Repository::of_image(image), expected, "{image}");
        }
    }

    #[test]
    fn repositories_by_name_arn_or_uri() {
        assert_eq!(Repository::parse("shop"), Some(Repository { location: None, name: "shop".into() }));
        assert_eq!(
            Repository::parse("arn:aws:ecr:eu-west-1:123456789012:repository/team/shop"),
            Some(at("123456789012", "eu-west-1", "team/shop"))
        );
        assert_eq!(
            Repository::parse("123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop"),
            Some(at("123456789012", "eu-west-1", "shop"))
        );
        for bad in ["", "s", "Shop", "shop/", "-shop", "arn:aws:ecr:eu-west-1:123:repository/shop", "arn:aws:s3:::b"] {
            assert_eq!(Repository::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn arns_are_the_stacks_partition() {
        assert_eq!(
            at("123456789012", "eu-west-1", "shop").arn_sub(),
            "arn:${AWS::Partition}:ecr:eu-west-1:123456789012:repository/shop"
        );
        assert_eq!(
            Repository::parse("shop").unwrap().arn_sub(),
            "arn:${AWS::Partition}:ecr:${AWS::Region}:${AWS::AccountId}:repository/shop"
        );
    }
}

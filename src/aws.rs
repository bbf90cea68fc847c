//! Facts about AWS that the configuration's checks and the constructs both rely on: instance
//! architectures, the ECS-optimized image families and their public SSM parameters, listener
//! protocols, TLS policies, secret sources. The configuration file writes the plain values here
//! as they are (as ripgrep's high-level arguments keep its low-level types), instead of a twin of
//! each that converts into it.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The processor architecture, from the instance type; serialized as Lambda names it too.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Architecture {
    #[serde(rename = "x86_64")]
    X86_64,
    #[serde(rename = "arm64")]
    Arm64,
}

impl fmt::Display for Architecture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Architecture::X86_64 => "x86_64",
            Architecture::Arm64 => "arm64",
        })
    }
}

impl Architecture {
    /// Graviton families carry a `g` among the letters after their generation digit (t4g, c7gn,
    /// x2gd), and `a1` is the first Graviton.
    pub fn of_instance_type(instance_type: &str) -> Architecture {
        let family = instance_type.split('.').next().unwrap_or_default();
        let after_generation = family.trim_start_matches(|c: char| c.is_ascii_lowercase());
        let suffix = after_generation.trim_start_matches(|c: char| c.is_ascii_digit());
        let graviton = family == "a1" || suffix.split('-').next().is_some_and(|s| s.contains('g'));
        if graviton { Architecture::Arm64 } else { Architecture::X86_64 }
    }
}

/// An ECS-optimized machine image family (`capacity.machine_image`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
pub enum ImageFamily {
    /// ECS-optimized Amazon Linux 2 (the CDK's default), past its end of life (2026-06-30).
    #[serde(rename = "amazon-linux-2")]
    AmazonLinux2,
    /// ECS-optimized Amazon Linux 2023 (the default).
    #[serde(rename = "amazon-linux-2023")]
    AmazonLinux2023,
    /// Bottlerocket for ECS: a minimal, image-based OS configured by TOML settings.
    #[serde(rename = "bottlerocket")]
    Bottlerocket,
}

impl ImageFamily {
    /// The public SSM parameter that holds the image's current ID in every region.
    pub fn ssm_parameter(self, architecture: Architecture) -> &'static str {
        use Architecture::*;
        use ImageFamily::*;
        match (self, architecture) {
            (AmazonLinux2, X86_64) => "/aws/service/ecs/optimized-ami/amazon-linux-2/recommended/image_id",
            (AmazonLinux2, Arm64) => "/aws/service/ecs/optimized-ami/amazon-linux-2/arm64/recommended/image_id",
            (AmazonLinux2023, X86_64) => "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id",
            (AmazonLinux2023, Arm64) => "/aws/service/ecs/optimized-ami/amazon-linux-2023/arm64/recommended/image_id",
            (Bottlerocket, X86_64) => "/aws/service/bottlerocket/aws-ecs-2/x86_64/latest/image_id",
            (Bottlerocket, Arm64) => "/aws/service/bottlerocket/aws-ecs-2/arm64/latest/image_id",
        }
    }
}

/// The state a container waits for another to reach before it starts (`depends_on`, ECS's
/// `DependsOn[].Condition`).
#[derive(Clone, Copy, Debug, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "UPPERCASE")]
pub enum ContainerCondition {
    /// It has started.
    Start,
    /// It has run to its end (a non-essential container only), whatever its exit code.
    Complete,
    /// It has run to its end with exit code 0 (a non-essential container only).
    Success,
    /// Its health check passes (it must have one).
    Healthy,
}

/// What an Application Load Balancer's listeners and target groups speak
/// (`load_balancer.protocol`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum ListenerProtocol {
    /// Plain HTTP.
    Http,
    /// TLS, ended at the load balancer with `certificate_arn`.
    Https,
}

impl ListenerProtocol {
    pub fn default_port(self) -> u32 {
        match self {
            ListenerProtocol::Http => 80,
            ListenerProtocol::Https => 443,
        }
    }

    /// As a URL starts.
    pub fn scheme(self) -> &'static str {
        match self {
            ListenerProtocol::Http => "http",
            ListenerProtocol::Https => "https",
        }
    }
}

/// AWS's recommended policy for new HTTPS listeners.
pub const DEFAULT_SSL_POLICY: &str = "ELBSecurityPolicy-TLS13-1-2-2021-06";

/// Every IPv4 address.
pub const ANYWHERE_IPV4: &str = "0.0.0.0/0";

/// Where a secret comes from, and the ARN its reader must be allowed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SecretSource {
    SsmParameter(String),
    /// The secret's own ARN, without a JSON key or version that may follow it.
    SecretsManager(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graviton_families_are_recognised() {
        for arm in ["t4g", "c7gn", "x2gd", "im4gn", "is4gen", "a1", "m6g", "g5g", "hpc7g"] {
            assert_eq!(Architecture::of_instance_type(&format!("{arm}.large")), Architecture::Arm64, "{arm}");
        }
        for x86 in ["t2", "t3a", "m5dn", "g4dn", "m7i-flex", "c6i", "p4d", "inf2"] {
            assert_eq!(Architecture::of_instance_type(&format!("{x86}.large")), Architecture::X86_64, "{x86}");
        }
    }
}

/// The installed memory of the instance types whose size follows their family's ratio, in MiB:
/// the burstable t2, t3, t3a and t4g (nano 0.5 GiB, doubling up to 2xlarge 32 GiB), and the
/// general purpose (m: 4 GiB per vCPU), compute (c: 2) and memory (r: 8) families of the fifth
/// generation on (m5, c6g, r7i, ...; medium 1 vCPU, large 2, xlarge 4, then NxLarge 4N). `None`
/// for any other type, such as a `d`, `n` or `metal` variant, whose memory ecs-alb does not know.
pub fn instance_memory_mib(instance_type: &str) -> Option<u32> {
    let (family, size) = instance_type.split_once('.')?;
    if ["t2", "t3", "t3a", "t4g"].contains(&family) {
        let sizes = ["nano", "micro", "small", "medium", "large", "xlarge", "2xlarge"];
        let index = sizes.iter().position(|s| *s == size)?;
        return Some(512 << index);
    }
    let gib_per_vcpu = match family.as_bytes() {
        [b'm', generation, rest @ ..] if is_modern(*generation, rest) => 4,
        [b'c', generation, rest @ ..] if is_modern(*generation, rest) => 2,
        [b'r', generation, rest @ ..] if is_modern(*generation, rest) => 8,
        _ => return None,
    };
    let vcpus = match size {
        "medium" => 1,
        "large" => 2,
        "xlarge" => 4,
        _ => size.strip_suffix("xlarge")?.parse::<u32>().ok().filter(|n| *n >= 2)? * 4,
    };
    Some(vcpus * gib_per_vcpu * 1024)
}

/// A fifth-generation or later family without a variant letter beyond the processor's (`a`
/// AMD, `g` Graviton, `i` Intel): m5, m6g, c7i, r5a; not m5d, m5n or r5b.
fn is_modern(generation: u8, rest: &[u8]) -> bool {
    (b'5'..=b'8').contains(&generation) && matches!(rest, [] | [b'a'] | [b'g'] | [b'i'])
}

#[cfg(test)]
mod instance_memory_tests {
    use super::instance_memory_mib;

    #[test]
    fn known_types_have_their_installed_memory() {
        for (instance_type, mib) in [
            ("t2.micro", Some(1024)),
            ("t3.nano", Some(512)),
            ("t4g.2xlarge", Some(32768)),
            ("m5.large", Some(8192)),
            ("m6g.medium", Some(4096)),
            ("c5.xlarge", Some(8192)),
            ("c7g.4xlarge", Some(32768)),
            ("r5.large", Some(16384)),
            ("m5d.large", None),
            ("m4.large", None),
            ("p3.2xlarge", None),
            ("m5.metal", None),
            ("t2.huge", None),
        ] {
            assert_eq!(instance_memory_mib(instance_type), mib, "{instance_type}");
        }
    }
}

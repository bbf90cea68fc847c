//! IPv4 CIDR blocks and the even split of a VPC's range into subnets.

use std::fmt;
use std::net::Ipv4Addr;
use std::str::FromStr;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ipv4Cidr {
    network: u32,
    prefix: u8,
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum CidrError {
    #[error("is not an IPv4 CIDR block such as 10.0.0.0/16")]
    Syntax,
    #[error("has host bits set: the block starting at its address is {0}")]
    NotAligned(Ipv4Cidr),
}

impl Ipv4Cidr {
    pub fn prefix(self) -> u8 {
        self.prefix
    }

    /// The first `count` blocks of the largest equal size that `count` of them fit in this one.
    /// Returns `None` when they would be smaller than `/max_prefix`.
    pub fn split_evenly(self, count: u32, max_prefix: u8) -> Option<Vec<Ipv4Cidr>> {
        let extra_bits = u8::try_from(count.max(1).next_power_of_two().trailing_zeros()).ok()?;
        let prefix = self.prefix.checked_add(extra_bits).filter(|p| *p <= max_prefix)?;
        let size = 1u64 << (32 - u32::from(prefix));
        (0..u64::from(count))
            .map(|i| {
                let network = u32::try_from(u64::from(self.network) + i * size).ok()?;
                Some(Ipv4Cidr { network, prefix })
            })
            .collect()
    }
}

impl FromStr for Ipv4Cidr {
    type Err = CidrError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (addr, prefix) = s.split_once('/').ok_or(CidrError::Syntax)?;
        let addr: Ipv4Addr = addr.parse().map_err(|_| CidrError::Syntax)?;
        let canonical = prefix.bytes().all(|b| b.is_ascii_digit()) && !(prefix.len() > 1 && prefix.starts_with('0'));
        let prefix: u8 = prefix.parse().ok().filter(|p| canonical && *p <= 32).ok_or(CidrError::Syntax)?;
        let mask = if prefix == 0 { 0 } else { u32::MAX << (32 - prefix) };
        let bits = u32::from(addr);
        let cidr = Ipv4Cidr { network: bits & mask, prefix };
        if bits & !mask != 0 {
            return Err(CidrError::NotAligned(cidr));
        }
        Ok(cidr)
    }
}

impl fmt::Display for Ipv4Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", Ipv4Addr::from(self.network), self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cidr(s: &str) -> Ipv4Cidr {
        s.parse().unwrap()
    }

    fn strings(blocks: Vec<Ipv4Cidr>) -> Vec<String> {
        blocks.into_iter().map(|b| b.to_string()).collect()
    }

    #[test]
    fn four_subnets_of_a_16_are_18s_like_the_cdk() {
        let blocks = cidr("10.0.0.0/16").split_evenly(4, 28).unwrap();
        assert_eq!(strings(blocks), ["10.0.0.0/18", "10.0.64.0/18", "10.0.128.0/18", "10.0.192.0/18"]);
    }

    #[test]
    fn six_subnets_take_eight_slots() {
        let blocks = cidr("10.0.0.0/16").split_evenly(6, 28).unwrap();
        assert_eq!(blocks.len(), 6);
        assert_eq!(blocks[5].to_string(), "10.0.160.0/19");
    }

    #[test]
    fn too_small_a_range_cannot_be_split() {
        assert_eq!(cidr("10.0.0.0/27").split_evenly(4, 28), None);
    }

    #[test]
    fn rejects_malformed_and_unaligned_blocks() {
        for bad in ["10.0.0.0", "10.0.0/16", "10.0.0.0/33", "10.0.0.0/+8", "10.0.0.0/016", "x/8"] {
            assert_eq!(bad.parse::<Ipv4Cidr>(), Err(CidrError::Syntax), "{bad}");
        }
        assert_eq!("10.0.1.0/16".parse::<Ipv4Cidr>(), Err(CidrError::NotAligned(cidr("10.0.0.0/16"))));
    }
}

//! Traffic allowed from one security group to another, as a matching egress and ingress rule pair.

use std::fmt;

use crate::resources::ec2::{SecurityGroup, SecurityGroupEgress, SecurityGroupIngress};
use crate::template::{Handle, Scope, Template, TemplateError};

/// A security group together with the construct scope it was created in, which names its rules.
pub struct Peer<'a> {
    pub scope: &'a Scope,
    pub group: &'a Handle<SecurityGroup>,
}

#[derive(Clone, Copy)]
pub struct TcpPorts {
    pub from: u16,
    pub to: u16,
}

impl fmt::Display for TcpPorts {
    /// As the CDK writes a port range in rule IDs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.from == self.to { write!(f, "{}", self.from) } else { write!(f, "{}-{}", self.from, self.to) }
    }
}

/// Lets `from` open TCP connections to `to` on `ports`. Separate rule resources (rather than
/// inline rules) keep the two groups from referring to each other, which CloudFormation rejects as
/// a cycle.
pub fn allow_tcp(
    t: &mut Template,
    from: Peer<'_>,
    to: Peer<'_>,
    ports: TcpPorts,
    description: &str,
) -> Result<(), TemplateError> {
    t.add(
        &to.scope.child(format!("from {}:{ports}", from.scope.unique_id())),
        SecurityGroupIngress {
            description: Some(description.into()),
            from_port: Some(i64::from(ports.from).into()),
            group_id: Some(to.group.group_id().into()),
            ip_protocol: "tcp".into(),
            source_security_group_id: Some(from.group.group_id().into()),
            to_port: Some(i64::from(ports.to).into()),
            ..SecurityGroupIngress::default()
        },
    )?;
    t.add(
        &from.scope.child(format!("to {}:{ports}", to.scope.unique_id())),
        SecurityGroupEgress {
            description: Some(description.into()),
            destination_security_group_id: Some(to.group.group_id().into()),
            from_port: Some(i64::from(ports.from).into()),
            group_id: from.group.group_id().into(),
            ip_protocol: "tcp".into(),
            to_port: Some(i64::from(ports.to).into()),
            ..SecurityGroupEgress::default()
        },
    )?;
    Ok(())
}

/// Lets `from` open TCP connections on `ports` to a security group the stack does not own (an
/// EFS file system's mount targets): an ingress rule on that group, which the stack owns and
/// deletes with itself. `from`'s own egress is left as it is: the instances may reach anything.
pub fn allow_tcp_to_group_id(
    t: &mut Template,
    from: Peer<'_>,
    group_id: &str,
    ports: TcpPorts,
    description: &str,
) -> Result<Handle<SecurityGroupIngress>, TemplateError> {
    t.add(
        &from.scope.child(format!("to {group_id}:{ports}")),
        SecurityGroupIngress {
            description: Some(description.into()),
            from_port: Some(i64::from(ports.from).into()),
            group_id: Some(group_id.to_owned().into()),
            ip_protocol: "tcp".into(),
            source_security_group_id: Some(from.group.group_id().into()),
            to_port: Some(i64::from(ports.to).into()),
            ..SecurityGroupIngress::default()
        },
    )
}

//! AWS::EC2 resources (generated), with the attributes each offers and the values the schemas
//! leave as strings.

use serde::Serialize;

use crate::template::{Handle, Intrinsic, Tags};

pub use super::generated::ec2::eip::Eip;
pub use super::generated::ec2::internet_gateway::InternetGateway;
pub use super::generated::ec2::launch_template::{
    BlockDeviceMapping, Ebs, IamInstanceProfile, LaunchTemplate, LaunchTemplateData, LaunchTemplateTagSpecification,
    MetadataOptions, TagSpecification,
};
pub use super::generated::ec2::nat_gateway::NatGateway;
pub use super::generated::ec2::route::Route;
pub use super::generated::ec2::route_table::RouteTable;
pub use super::generated::ec2::security_group::{Egress, Ingress, SecurityGroup};
pub use super::generated::ec2::security_group_egress::SecurityGroupEgress;
pub use super::generated::ec2::security_group_ingress::SecurityGroupIngress;
pub use super::generated::ec2::subnet::Subnet;
pub use super::generated::ec2::subnet_route_table_association::SubnetRouteTableAssociation;
pub use super::generated::ec2::vpc::Vpc;
pub use super::generated::ec2::vpc_gateway_attachment::VPCGatewayAttachment;

/// The template itself and what it launches carry the tags (the group tags the instances too).
pub fn tag_launch_template(template: &mut LaunchTemplate, tags: &Tags) {
    for spec in template.tag_specifications.iter_mut().flatten() {
        Tags::add_missing_to(&mut spec.tags, tags);
    }
    for spec in template.launch_template_data.tag_specifications.iter_mut().flatten() {
        Tags::add_missing_to(&mut spec.tags, tags);
    }
}

impl Handle<Vpc> {
    pub fn vpc_id(&self) -> Intrinsic {
        self.reference()
    }
}

impl Handle<Subnet> {
    pub fn subnet_id(&self) -> Intrinsic {
        self.reference()
    }
}

impl Handle<RouteTable> {
    pub fn route_table_id(&self) -> Intrinsic {
        self.reference()
    }
}

impl Handle<Eip> {
    pub fn allocation_id(&self) -> Intrinsic {
        self.get_att("AllocationId")
    }
}

impl Handle<NatGateway> {
    pub fn nat_gateway_id(&self) -> Intrinsic {
        self.reference()
    }
}

impl Handle<InternetGateway> {
    pub fn internet_gateway_id(&self) -> Intrinsic {
        self.reference()
    }
}

impl Handle<SecurityGroup> {
    pub fn group_id(&self) -> Intrinsic {
        self.get_att("GroupId")
    }
}

impl Handle<LaunchTemplate> {
    pub fn launch_template_id(&self) -> Intrinsic {
        self.reference()
    }

    pub fn latest_version_number(&self) -> Intrinsic {
        self.get_att("LatestVersionNumber")
    }
}

#[derive(Clone, Copy, Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TaggedResource {
    Instance,
    Volume,
    NetworkInterface,
    LaunchTemplate,
    SpotInstancesRequest,
}

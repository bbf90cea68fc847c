//! AWS::EC2 resources.

use super::schema;
use serde::Serialize;
use serde_with::skip_serializing_none;

use crate::template::{Handle, Intrinsic, List, Resource, Tags, Value};

#[skip_serializing_none]
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Vpc {
    pub cidr_block: Value<String>,
    pub enable_dns_hostnames: Option<Value<bool>>,
    pub enable_dns_support: Option<Value<bool>>,
    pub instance_tenancy: Option<Value<String>>,
    pub tags: Tags,
}

impl Resource for Vpc {
    const TYPE: &'static str = schema::EC2_VPC_TYPE;

    fn add_tags(&mut self, tags: &Tags) {
        self.tags.add_missing(tags);
    }
}

impl Handle<Vpc> {
    pub fn vpc_id(&self) -> Intrinsic {
        self.reference()
    }
}

#[skip_serializing_none]
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Subnet {
    pub availability_zone: Option<Value<String>>,
    pub cidr_block: Value<String>,
    pub map_public_ip_on_launch: Option<Value<bool>>,
    pub tags: Tags,
    pub vpc_id: Value<String>,
}

impl Resource for Subnet {
    const TYPE: &'static str = schema::EC2_SUBNET_TYPE;

    fn add_tags(&mut self, tags: &Tags) {
        self.tags.add_missing(tags);
    }
}

impl Handle<Subnet> {
    pub fn subnet_id(&self) -> Intrinsic {
        self.reference()
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RouteTable {
    pub tags: Tags,
    pub vpc_id: Value<String>,
}

impl Resource for RouteTable {
    const TYPE: &'static str = schema::EC2_ROUTE_TABLE_TYPE;

    fn add_tags(&mut self, tags: &Tags) {
        self.tags.add_missing(tags);
    }
}

impl Handle<RouteTable> {
    pub fn route_table_id(&self) -> Intrinsic {
        self.reference()
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SubnetRouteTableAssociation {
    pub route_table_id: Value<String>,
    pub subnet_id: Value<String>,
}

impl Resource for SubnetRouteTableAssociation {
    const TYPE: &'static str = schema::EC2_SUBNET_ROUTE_TABLE_ASSOCIATION_TYPE;
}

#[skip_serializing_none]
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Route {
    pub destination_cidr_block: Value<String>,
    pub gateway_id: Option<Value<String>>,
    pub nat_gateway_id: Option<Value<String>>,
    pub route_table_id: Value<String>,
}

impl Resource for Route {
    const TYPE: &'static str = schema::EC2_ROUTE_TYPE;
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Eip {
    pub domain: Value<String>,
    pub tags: Tags,
}

impl Resource for Eip {
    const TYPE: &'static str = schema::EC2_EIP_TYPE;

    fn add_tags(&mut self, tags: &Tags) {
        self.tags.add_missing(tags);
    }
}

impl Handle<Eip> {
    pub fn allocation_id(&self) -> Intrinsic {
        self.get_att("AllocationId")
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct NatGateway {
    pub allocation_id: Value<String>,
    pub subnet_id: Value<String>,
    pub tags: Tags,
}

impl Resource for NatGateway {
    const TYPE: &'static str = schema::EC2_NAT_GATEWAY_TYPE;

    fn add_tags(&mut self, tags: &Tags) {
        self.tags.add_missing(tags);
    }
}

impl Handle<NatGateway> {
    pub fn nat_gateway_id(&self) -> Intrinsic {
        self.reference()
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct InternetGateway {
    pub tags: Tags,
}

impl Resource for InternetGateway {
    const TYPE: &'static str = schema::EC2_INTERNET_GATEWAY_TYPE;

    fn add_tags(&mut self, tags: &Tags) {
        self.tags.add_missing(tags);
    }
}

impl Handle<InternetGateway> {
    pub fn internet_gateway_id(&self) -> Intrinsic {
        self.reference()
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct VpcGatewayAttachment {
    pub internet_gateway_id: Value<String>,
    pub vpc_id: Value<String>,
}

impl Resource for VpcGatewayAttachment {
    const TYPE: &'static str = schema::EC2_VPC_GATEWAY_ATTACHMENT_TYPE;
}

/// An inline rule of a security group; which of the peer fields is set depends on the direction.
#[skip_serializing_none]
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SecurityGroupRule {
    pub cidr_ip: Option<Value<String>>,
    pub description: Option<Value<String>>,
    pub from_port: Option<Value<i64>>,
    pub ip_protocol: Value<String>,
    pub to_port: Option<Value<i64>>,
}

#[skip_serializing_none]
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SecurityGroup {
    pub group_description: Value<String>,
    pub security_group_egress: Option<Vec<SecurityGroupRule>>,
    pub security_group_ingress: Option<Vec<SecurityGroupRule>>,
    pub tags: Option<Tags>,
    pub vpc_id: Value<String>,
}

impl Resource for SecurityGroup {
    const TYPE: &'static str = schema::EC2_SECURITY_GROUP_TYPE;

    fn add_tags(&mut self, tags: &Tags) {
        Tags::add_missing_to(&mut self.tags, tags);
    }
}

impl Handle<SecurityGroup> {
    pub fn group_id(&self) -> Intrinsic {
        self.get_att("GroupId")
    }
}

#[skip_serializing_none]
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SecurityGroupIngress {
    pub description: Option<Value<String>>,
    pub from_port: Value<i64>,
    pub group_id: Value<String>,
    pub ip_protocol: Value<String>,
    pub source_security_group_id: Value<String>,
    pub to_port: Value<i64>,
}

impl Resource for SecurityGroupIngress {
    const TYPE: &'static str = schema::EC2_SECURITY_GROUP_INGRESS_TYPE;
}

#[skip_serializing_none]
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SecurityGroupEgress {
    pub description: Option<Value<String>>,
    pub destination_security_group_id: Value<String>,
    pub from_port: Value<i64>,
    pub group_id: Value<String>,
    pub ip_protocol: Value<String>,
    pub to_port: Value<i64>,
}

impl Resource for SecurityGroupEgress {
    const TYPE: &'static str = schema::EC2_SECURITY_GROUP_EGRESS_TYPE;
}

#[skip_serializing_none]
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LaunchTemplate {
    pub launch_template_data: LaunchTemplateData,
    pub tag_specifications: Option<Vec<TagSpecification>>,
}

impl Resource for LaunchTemplate {
    const TYPE: &'static str = schema::EC2_LAUNCH_TEMPLATE_TYPE;

    fn add_tags(&mut self, tags: &Tags) {
        // The template itself, and what it launches (the group tags the instances).
        let data = self.launch_template_data.tag_specifications.iter_mut().flatten();
        for spec in self.tag_specifications.iter_mut().flatten().chain(data) {
            spec.tags.add_missing(tags);
        }
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

#[skip_serializing_none]
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LaunchTemplateData {
    pub block_device_mappings: Option<Vec<BlockDeviceMapping>>,
    pub iam_instance_profile: Option<IamInstanceProfileSpecification>,
    pub image_id: Value<String>,
    pub instance_type: Value<String>,
    pub key_name: Option<Value<String>>,
    pub metadata_options: Option<MetadataOptions>,
    pub security_group_ids: Option<List<String>>,
    pub tag_specifications: Option<Vec<TagSpecification>>,
    pub user_data: Option<Value<String>>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct IamInstanceProfileSpecification {
    pub arn: Value<String>,
}

#[skip_serializing_none]
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct MetadataOptions {
    pub http_endpoint: Option<Value<String>>,
    pub http_put_response_hop_limit: Option<Value<u32>>,
    pub http_tokens: Option<Value<String>>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct BlockDeviceMapping {
    pub device_name: Value<String>,
    pub ebs: Ebs,
}

#[skip_serializing_none]
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Ebs {
    pub delete_on_termination: Option<Value<bool>>,
    pub encrypted: Option<Value<bool>>,
    pub volume_size: Option<Value<u32>>,
    pub volume_type: Option<Value<String>>,
}

/// What a launch template's tag specification tags.
#[derive(Clone, Copy, Debug, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TaggedResource {
    Instance,
    Volume,
    NetworkInterface,
    LaunchTemplate,
    SpotInstancesRequest,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TagSpecification {
    pub resource_type: TaggedResource,
    pub tags: Tags,
}

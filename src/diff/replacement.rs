//! Which property changes make CloudFormation replace a resource (the `createOnlyProperties` of
//! each type's schema, "Update requires: Replacement" in the reference), for the resource types
//! this tool emits. One table, nowhere else; a test compares it with the schemas cfn-lint ships.

/// Properties whose change replaces the resource, per type, as dotted paths when nested. A type
/// whose every property replaces it lists `*`.
const REPLACING_PROPERTIES: &[(&str, &[&str])] = &[
    ("AWS::ECS::CapacityProvider", &["AutoScalingGroupProvider.AutoScalingGroupArn", "ClusterName", "Name"]),
    ("AWS::ECS::ClusterCapacityProviderAssociations", &["Cluster"]),
    ("AWS::ApplicationAutoScaling::ScalableTarget", &["ResourceId", "ScalableDimension", "ServiceNamespace"]),
    (
        "AWS::ApplicationAutoScaling::ScalingPolicy",
        &["PolicyName", "ResourceId", "ScalableDimension", "ScalingTargetId", "ServiceNamespace"],
    ),
    ("AWS::AutoScaling::AutoScalingGroup", &["AutoScalingGroupName", "InstanceId"]),
    ("AWS::AutoScaling::LifecycleHook", &["AutoScalingGroupName", "LifecycleHookName"]),
    ("AWS::AutoScaling::ScalingPolicy", &["AutoScalingGroupName"]),
    ("AWS::EC2::EIP", &["Address", "IpamPoolId", "NetworkBorderGroup", "TransferAddress"]),
    ("AWS::EC2::InternetGateway", &[]),
    ("AWS::EC2::LaunchTemplate", &["LaunchTemplateName"]),
    (
        "AWS::EC2::NatGateway",
        &["AllocationId", "AvailabilityMode", "ConnectivityType", "PrivateIpAddress", "SubnetId", "VpcId"],
    ),
    (
        "AWS::EC2::Route",
        &["DestinationCidrBlock", "DestinationIpv6CidrBlock", "DestinationPrefixListId", "RouteTableId"],
    ),
    ("AWS::EC2::RouteTable", &["VpcId"]),
    ("AWS::EC2::SecurityGroup", &["GroupDescription", "GroupName", "VpcId"]),
    ("AWS::EC2::SecurityGroupEgress", &["*"]),
    ("AWS::EC2::SecurityGroupIngress", &["*"]),
    (
        "AWS::EC2::Subnet",
        &[
            "AvailabilityZone",
            "AvailabilityZoneId",
            "CidrBlock",
            "Ipv4IpamPoolId",
            "Ipv4NetmaskLength",
            "Ipv6IpamPoolId",
            "Ipv6Native",
            "Ipv6NetmaskLength",
            "OutpostArn",
            "VpcId",
        ],
    ),
    ("AWS::EC2::SubnetRouteTableAssociation", &["RouteTableId", "SubnetId"]),
    ("AWS::EC2::VPC", &["CidrBlock", "Ipv4IpamPoolId", "Ipv4NetmaskLength", "VpcEncryptionControl"]),
    ("AWS::EC2::VPCGatewayAttachment", &["VpcId"]),
    ("AWS::ECS::Cluster", &["ClusterName"]),
    ("AWS::ECS::Service", &["Cluster", "Role", "SchedulingStrategy", "ServiceName"]),
    // Task definitions are immutable: every change registers a new revision.
    ("AWS::ECS::TaskDefinition", &["*"]),
    ("AWS::ElasticLoadBalancingV2::Listener", &["LoadBalancerArn"]),
    ("AWS::ElasticLoadBalancingV2::ListenerRule", &["ListenerArn"]),
    ("AWS::Events::Rule", &["Name"]),
    ("AWS::ElasticLoadBalancingV2::LoadBalancer", &["Name", "Scheme", "Type"]),
    (
        "AWS::ElasticLoadBalancingV2::TargetGroup",
        &["IpAddressType", "Name", "Port", "Protocol", "ProtocolVersion", "TargetType", "VpcId"],
    ),
    ("AWS::IAM::InstanceProfile", &["InstanceProfileName", "Path"]),
    ("AWS::IAM::Policy", &[]),
    ("AWS::IAM::Role", &["Path", "RoleName"]),
    (
        "AWS::Lambda::EventSourceMapping",
        &["EventSourceArn", "SelfManagedEventSource", "StartingPosition", "StartingPositionTimestamp"],
    ),
    ("AWS::Lambda::Function", &["FunctionName", "PackageType", "TenancyConfig"]),
    ("AWS::Lambda::Permission", &["*"]),
    ("AWS::Logs::LogGroup", &["LogGroupName"]),
    ("AWS::Route53::RecordSet", &["HostedZoneId", "HostedZoneName"]),
    ("AWS::S3::Bucket", &["BucketName", "BucketNamePrefix", "BucketNamespace"]),
    ("AWS::S3::BucketPolicy", &["Bucket"]),
    ("AWS::SNS::Subscription", &["Endpoint", "Protocol", "TopicArn"]),
    ("AWS::SNS::Topic", &["FifoTopic", "TopicName"]),
    ("AWS::SQS::Queue", &["FifoQueue", "QueueName"]),
];

/// Whether changing `property` (a dotted path such as `MaxSize` or `Provider.Arn.0`) replaces a
/// resource of `resource_type`: it is, lies within, or holds a replacing property. Unknown types
/// are assumed not to be replaced: the table covers every type ecs-alb emits (a test checks it).
pub fn forces_replacement(resource_type: &str, property: &str) -> bool {
    let within = |outer: &str, inner: &str| inner.strip_prefix(outer).is_some_and(|rest| rest.starts_with('.'));
    replacing_properties(resource_type)
        .iter()
        .any(|p| *p == "*" || *p == property || within(p, property) || within(property, p))
}

/// The properties the table says replace a resource of `resource_type` (`*`: all of them).
pub fn replacing_properties(resource_type: &str) -> &'static [&'static str] {
    REPLACING_PROPERTIES.iter().find(|(t, _)| *t == resource_type).map_or(&[], |(_, props)| props)
}

/// The types the table knows.
pub fn known_types() -> impl Iterator<Item = &'static str> {
    REPLACING_PROPERTIES.iter().map(|(t, _)| *t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knows_what_replaces_what() {
        assert!(forces_replacement("AWS::EC2::VPC", "CidrBlock"));
        assert!(!forces_replacement("AWS::EC2::VPC", "Tags"));
        assert!(forces_replacement("AWS::ECS::TaskDefinition", "ContainerDefinitions"));
        assert!(!forces_replacement("AWS::ElasticLoadBalancingV2::Listener", "Port"));
        assert!(!forces_replacement("AWS::Unknown::Thing", "Anything"));
        let provider = "AWS::ECS::CapacityProvider";
        assert!(forces_replacement(provider, "AutoScalingGroupProvider.AutoScalingGroupArn"));
        assert!(forces_replacement(provider, "AutoScalingGroupProvider.AutoScalingGroupArn.Ref"));
        assert!(forces_replacement(provider, "AutoScalingGroupProvider"), "the whole object changed");
        assert!(!forces_replacement(provider, "AutoScalingGroupProvider.ManagedScaling.TargetCapacity"));
        assert!(forces_replacement("AWS::EC2::VPC", "CidrBlock.Fn::Sub"));
    }
}

//! The default stack and the examples, checked resource by resource the way the CDK tests its
//! own constructs, plus the logical IDs against the CDK's template and the snapshots.

mod common;

use std::collections::BTreeSet;

use serde_json::{Value, json};

use common::*;

const CDK_TEMPLATE: &str = include_str!("fixtures/cdk-add-capacity.template.json");
/// `aws cloudformation deploy` takes a template body inline only up to this size.
const INLINE_TEMPLATE_LIMIT: usize = 51_200;

fn default_template() -> Value {
    synth("{}")
}

#[test]
fn every_cdk_resource_keeps_its_logical_id_and_type() {
    // GIVEN the CDK's template for the reference app and ours for the same stack name
    let cdk: Value = serde_json::from_str(CDK_TEMPLATE).unwrap();
    let ours = synth("stack_name: Bonjour");

    // THEN every CDK resource but the launch configuration is there under the same ID
    for (id, resource) in cdk["Resources"].as_object().unwrap() {
        if resource["Type"] == "AWS::AutoScaling::LaunchConfiguration" {
            continue;
        }
        assert_eq!(ours["Resources"][id]["Type"], resource["Type"], "resource {id}");
    }
    // AND the launch template has the ID the CDK gives it under its recommended flags
    assert_eq!(
        ours["Resources"]["Ec2ClusterDefaultAutoScalingGroupLaunchTemplate346F58BE"]["Type"],
        "AWS::EC2::LaunchTemplate"
    );
    // AND the outputs and the image parameter keep theirs
    for id in cdk["Outputs"].as_object().unwrap().keys() {
        assert!(ours["Outputs"].get(id).is_some(), "output {id}");
    }
    // The CDK's image, Amazon Linux 2, is past its end of life: the default is Amazon Linux 2023,
    // whose parameter differs in its path alone; a stack taken over from the CDK keeps its image
    // (and its instances) with machine_image: amazon-linux-2.
    let image_parameter = "SsmParameterValueawsserviceecsoptimizedamiamazonlinux2recommendedimageidC96584B6F00A464EAD1953AFF4B05118Parameter";
    let al2023 = image_parameter.replace("amazonlinux2", "amazonlinux2023");
    assert_eq!(
        ours["Parameters"][&al2023]["Default"],
        cdk["Parameters"][image_parameter]["Default"]
            .as_str()
            .unwrap()
            .replace("amazon-linux-2/", "amazon-linux-2023/")
    );
    let taken_over = synth("stack_name: Bonjour\ncapacity: {machine_image: amazon-linux-2}");
    assert_eq!(taken_over["Parameters"][image_parameter], cdk["Parameters"][image_parameter]);
}

#[test]
fn only_the_deliberate_differences_separate_us_from_the_cdk() {
    let cdk: Value = serde_json::from_str(CDK_TEMPLATE).unwrap();
    let ours = default_template();
    let ids = |t: &Value, section: &str| -> BTreeSet<String> {
        t[section].as_object().map(|o| o.keys().cloned().collect()).unwrap_or_default()
    };
    let only_cdk: Vec<_> = ids(&cdk, "Resources").difference(&ids(&ours, "Resources")).cloned().collect();
    let only_ours: Vec<_> = ids(&ours, "Resources").difference(&ids(&cdk, "Resources")).cloned().collect();
    assert_eq!(only_cdk, ["Ec2ClusterDefaultAutoScalingGroupLaunchConfig7B2FED3A"]);
    assert_eq!(
        only_ours,
        [
            "Ec2ClusterDefaultAutoScalingGroupDrainECSHookDeadLetterQueue6C4922A2",
            "Ec2ClusterDefaultAutoScalingGroupDrainECSHookFunctionLogGroup46D92D0B",
            "Ec2ClusterDefaultAutoScalingGroupDrainECSHookFunctionSqsEventSource8105A561",
            "Ec2ClusterDefaultAutoScalingGroupDrainECSHookInstanceEventsAllowInvoke8F0318AF",
            "Ec2ClusterDefaultAutoScalingGroupDrainECSHookInstanceEventsE8C56ADD",
            "Ec2ClusterDefaultAutoScalingGroupDrainECSHookRecheckQueue78B5FA13",
            "Ec2ClusterDefaultAutoScalingGroupInstanceRoleContainerLogsPolicyBDDAE267",
            "Ec2ClusterDefaultAutoScalingGroupLaunchTemplate346F58BE"
        ]
    );
    // No CDK bootstrap artifacts.
    assert!(ours.get("Rules").is_none());
    assert!(ours["Parameters"].get("BootstrapVersion").is_none());
}

#[test]
fn the_default_stack_has_the_reference_shape() {
    let t = default_template();
    resource_count_is(&t, "AWS::EC2::Subnet", 4);
    resource_count_is(&t, "AWS::EC2::NatGateway", 2);
    resource_count_is(&t, "AWS::EC2::EIP", 2);
    resource_count_is(&t, "AWS::EC2::Route", 4);
    resource_count_is(&t, "AWS::AutoScaling::LaunchConfiguration", 0);
    resource_count_is(&t, "AWS::ElasticLoadBalancingV2::LoadBalancer", 1);
    // Only the ALB and the NAT gateways live in the public subnets, each with addresses of its
    // own: no subnet hands out public addresses.
    for cidr in ["10.0.0.0/18", "10.0.64.0/18", "10.0.128.0/18", "10.0.192.0/18"] {
        has_resource_properties(&t, "AWS::EC2::Subnet", json!({"CidrBlock": cidr, "MapPublicIpOnLaunch": false}));
    }
    assert_eq!(t["Resources"].as_object().unwrap().len(), 58);
}

#[test]
fn instances_take_only_the_albs_traffic_on_the_dynamic_port_range() {
    let t = default_template();
    has_resource_properties(
        &t,
        "AWS::EC2::SecurityGroupIngress",
        json!({
            "FromPort": 32768, "ToPort": 65535, "IpProtocol": "tcp",
            "GroupId": {"Fn::GetAtt": ["Ec2ClusterDefaultAutoScalingGroupInstanceSecurityGroup149B0A9E", "GroupId"]},
            "SourceSecurityGroupId": {"Fn::GetAtt": ["Ec2ServiceLBSecurityGroup45FED6DF", "GroupId"]}
        }),
    );
    resource_count_is(&t, "AWS::EC2::SecurityGroupIngress", 1);
    let instance_sg = &t["Resources"]["Ec2ClusterDefaultAutoScalingGroupInstanceSecurityGroup149B0A9E"]["Properties"];
    assert!(instance_sg.get("SecurityGroupIngress").is_none(), "no inline ingress on the instances");
    // The ALB's only way out is to the instances.
    has_resource_properties(
        &t,
        "AWS::EC2::SecurityGroup",
        json!({
            "SecurityGroupIngress": [{"CidrIp": "0.0.0.0/0", "Description": "Allow from anyone on port 80", "FromPort": 80, "IpProtocol": "tcp", "ToPort": 80}],
            "SecurityGroupEgress": [{"CidrIp": "255.255.255.255/32", "Description": "Disallow all traffic", "FromPort": 252, "IpProtocol": "icmp", "ToPort": 86}]
        }),
    );
    has_resource_properties(
        &t,
        "AWS::EC2::SecurityGroupEgress",
        json!({"FromPort": 32768, "ToPort": 65535, "DestinationSecurityGroupId": {"Fn::GetAtt": ["Ec2ClusterDefaultAutoScalingGroupInstanceSecurityGroup149B0A9E", "GroupId"]}}),
    );
}

#[test]
fn instances_use_a_launch_template_with_imdsv2_and_an_encrypted_root_volume() {
    let t = default_template();
    has_resource_properties(
        &t,
        "AWS::EC2::LaunchTemplate",
        json!({"LaunchTemplateData": {
            "InstanceType": "t2.micro",
            "MetadataOptions": {"HttpTokens": "required", "HttpPutResponseHopLimit": 1, "HttpEndpoint": "enabled"},
            "BlockDeviceMappings": [{"DeviceName": "/dev/xvda", "Ebs": {"DeleteOnTermination": true, "Encrypted": true, "VolumeSize": 30, "VolumeType": "gp3"}}],
            "UserData": {"Fn::Base64": {"Fn::Sub": "#!/bin/bash\necho ECS_CLUSTER=${Ec2ClusterEE43E89D} >> /etc/ecs/ecs.config\n"}}
        }}),
    );
    has_resource_properties(
        &t,
        "AWS::AutoScaling::AutoScalingGroup",
        json!({
            "MinSize": "1", "MaxSize": "2",
            "LaunchTemplate": {
                "LaunchTemplateId": {"Ref": "Ec2ClusterDefaultAutoScalingGroupLaunchTemplate346F58BE"},
                "Version": {"Fn::GetAtt": ["Ec2ClusterDefaultAutoScalingGroupLaunchTemplate346F58BE", "LatestVersionNumber"]}
            },
            "VPCZoneIdentifier": [{"Ref": "MyVpcPrivateSubnet1Subnet5057CF7E"}, {"Ref": "MyVpcPrivateSubnet2Subnet0040C983"}]
        }),
    );
    let asg = only(&t, "AWS::AutoScaling::AutoScalingGroup");
    assert_eq!(
        asg["UpdatePolicy"],
        json!({"AutoScalingRollingUpdate": {"MaxBatchSize": 1, "MinInstancesInService": 1}, "AutoScalingScheduledAction": {"IgnoreUnmodifiedGroupSizeProperties": true}})
    );
}

/// An update that replaces the instances (a new image, say) never leaves the group without one:
/// a rolling update keeps `min_capacity` in service, with one instance of headroom when the
/// group's minimum is its maximum (CloudFormation wants MinInstancesInService below MaxSize).
#[test]
fn instance_updates_never_take_the_service_to_zero_instances() {
    let rolling = |config: &str| {
        let t = synth(config);
        let asg = only(&t, "AWS::AutoScaling::AutoScalingGroup");
        let in_service = asg["UpdatePolicy"]["AutoScalingRollingUpdate"]["MinInstancesInService"].as_u64().unwrap();
        let max: u64 = asg["Properties"]["MaxSize"].as_str().unwrap().parse().unwrap();
        let min: u64 = asg["Properties"]["MinSize"].as_str().unwrap().parse().unwrap();
        (min, in_service, max)
    };
    assert_eq!(rolling("{}"), (1, 1, 2));
    assert_eq!(rolling("capacity: {min_capacity: 3, max_capacity: 3}"), (3, 3, 4));
    assert_eq!(rolling("capacity: {min_capacity: 2, max_capacity: 6}"), (2, 2, 6));
    for config in ["{}", "capacity: {min_capacity: 3, max_capacity: 3}", "capacity: {min_capacity: 2, max_capacity: 6}"]
    {
        let (min, in_service, max) = rolling(config);
        assert!(in_service >= min.max(1) && in_service < max, "{config}");
    }
    let t = synth("capacity: {update_policy: replacing}");
    let asg = only(&t, "AWS::AutoScaling::AutoScalingGroup");
    assert_eq!(
        asg["UpdatePolicy"],
        json!({"AutoScalingReplacingUpdate": {"WillReplace": true}, "AutoScalingScheduledAction": {"IgnoreUnmodifiedGroupSizeProperties": true}})
    );
    assert_eq!(asg["Properties"]["MaxSize"], "1");
}

/// A pinned AMI replaces the SSM parameter that CloudFormation re-reads on every deploy.
#[test]
fn a_pinned_image_id_is_used_as_is() {
    let t = synth("capacity: {image_id: ami-0123456789abcdef0}");
    let lt = only(&t, "AWS::EC2::LaunchTemplate");
    assert_eq!(lt["Properties"]["LaunchTemplateData"]["ImageId"], "ami-0123456789abcdef0");
    assert!(t.get("Parameters").is_none_or(|p| !p.to_string().contains("/aws/service/")), "{}", t["Parameters"]);
}

#[test]
fn the_drain_hook_holds_terminating_instances_for_the_drain_time() {
    let t = synth("capacity: {task_drain_time_seconds: 900}");
    has_resource_properties(
        &t,
        "AWS::AutoScaling::LifecycleHook",
        json!({
            "LifecycleTransition": "autoscaling:EC2_INSTANCE_TERMINATING",
            "DefaultResult": "CONTINUE",
            "HeartbeatTimeout": 900,
            "NotificationTargetARN": {"Ref": "Ec2ClusterDefaultAutoScalingGroupLifecycleHookDrainHookTopicF7263B30"}
        }),
    );
    has_resource_properties(
        &t,
        "AWS::Lambda::Function",
        json!({
            "Runtime": "provided.al2023", "Handler": "bootstrap", "Architectures": ["x86_64"], "MemorySize": 128,
            "Code": {"S3Bucket": {"Ref": "DrainerCodeS3Bucket"}, "S3Key": {"Ref": "DrainerCodeS3Key"}},
            "Environment": {"Variables": {
                "CLUSTER": {"Ref": "Ec2ClusterEE43E89D"},
                "RECHECK_QUEUE_URL": {"Ref": "Ec2ClusterDefaultAutoScalingGroupDrainECSHookRecheckQueue78B5FA13"},
                "DEAD_LETTER_QUEUE_URL": {"Ref": "Ec2ClusterDefaultAutoScalingGroupDrainECSHookDeadLetterQueue6C4922A2"},
                "DRAIN_BUDGET_SECONDS": "900",
                "RECHECK_DELAY_SECONDS": "30",
                "RETRY_DELAY_SECONDS": "5",
                "CHECK_TIMEOUT_SECONDS": "4"
            }},
            // The function's own re-check loop is intended: Lambda must not stop it after ~16 rounds.
            "RecursiveLoop": "Allow",
            "Timeout": 8,
            "LoggingConfig": {"LogFormat": "JSON", "LogGroup": {"Ref": "Ec2ClusterDefaultAutoScalingGroupDrainECSHookFunctionLogGroup46D92D0B"}},
            "DeadLetterConfig": {"TargetArn": {"Fn::GetAtt": ["Ec2ClusterDefaultAutoScalingGroupDrainECSHookDeadLetterQueue6C4922A2", "Arn"]}}
        }),
    );
    // Re-checks come back through a delayed queue, failures one by one, the hopeless to a dead-letter queue.
    has_resource_properties(
        &t,
        "AWS::Lambda::EventSourceMapping",
        json!({
            "EventSourceArn": {"Fn::GetAtt": ["Ec2ClusterDefaultAutoScalingGroupDrainECSHookRecheckQueue78B5FA13", "Arn"]},
            "FunctionResponseTypes": ["ReportBatchItemFailures"]
        }),
    );
    has_resource_properties(
        &t,
        "AWS::SQS::Queue",
        json!({
            // A lost invocation's re-checks come back within the heartbeat (drain_timing.rs).
            "SqsManagedSseEnabled": true, "VisibilityTimeout": 48,
            "RedrivePolicy": {"deadLetterTargetArn": {"Fn::GetAtt": ["Ec2ClusterDefaultAutoScalingGroupDrainECSHookDeadLetterQueue6C4922A2", "Arn"]}, "maxReceiveCount": 79}
        }),
    );
    has_resource_properties(
        &t,
        "AWS::SQS::Queue",
        json!({"SqsManagedSseEnabled": true, "MessageRetentionPeriod": 1209600}),
    );
    has_resource_properties(&t, "AWS::SNS::Subscription", json!({"Protocol": "lambda"}));
    has_resource_properties(
        &t,
        "AWS::Lambda::Permission",
        json!({"Principal": "sns.amazonaws.com", "Action": "lambda:InvokeFunction"}),
    );
    // The hook's role may publish to its topic and nothing else.
    has_resource_properties(
        &t,
        "AWS::IAM::Policy",
        json!({"PolicyDocument": {"Statement": [{"Action": "sns:Publish", "Effect": "Allow", "Resource": {"Ref": "Ec2ClusterDefaultAutoScalingGroupLifecycleHookDrainHookTopicF7263B30"}}]}}),
    );
}

#[test]
fn drains_beyond_two_hours_keep_the_heartbeat_within_auto_scalings_limit() {
    let t = synth("capacity: {task_drain_time_seconds: 172800}");
    has_resource_properties(&t, "AWS::AutoScaling::LifecycleHook", json!({"HeartbeatTimeout": 7200}));
}

/// With the shortest drain, checks come often enough that neither a failed check nor a lost
/// invocation lets the 30 s heartbeat expire (the arithmetic: constructs/drain_timing.rs).
#[test]
fn short_drains_check_often_enough_to_keep_the_action() {
    // The shortest drain a task can leave in: no deregistration delay, a 20 s stop, a 7 s re-check.
    let t = synth(
        "capacity: {task_drain_time_seconds: 30}
load_balancer: {deregistration_delay_seconds: 0}
service: {container: {stop_timeout_seconds: 20}}",
    );
    has_resource_properties(&t, "AWS::AutoScaling::LifecycleHook", json!({"HeartbeatTimeout": 30}));
    let function = only(&t, "AWS::Lambda::Function");
    assert_eq!(function["Properties"]["Environment"]["Variables"]["RECHECK_DELAY_SECONDS"], "7");
    has_resource_properties(
        &t,
        "AWS::SQS::Queue",
        json!({"VisibilityTimeout": 8, "RedrivePolicy": {"maxReceiveCount": 2}}),
    );
}

#[test]
fn no_drain_time_means_no_drain_hook() {
    let t = synth("capacity: {task_drain_time_seconds: 0}");
    for resource_type in
        ["AWS::AutoScaling::LifecycleHook", "AWS::SNS::Topic", "AWS::Lambda::Function", "AWS::SNS::Subscription"]
    {
        resource_count_is(&t, resource_type, 0);
    }
    assert!(t["Parameters"].get("DrainerCodeS3Bucket").is_none());
}

#[test]
fn the_drainer_may_touch_only_its_cluster_group_and_log() {
    let t = default_template();
    let policy = &t["Resources"]["Ec2ClusterDefaultAutoScalingGroupDrainECSHookFunctionServiceRoleDefaultPolicy638C9E33"]
        ["Properties"]["PolicyDocument"];
    let cluster_arn = json!({"Fn::GetAtt": ["Ec2ClusterEE43E89D", "Arn"]});
    for statement in policy["Statement"].as_array().unwrap() {
        let scoped = statement["Resource"] != "*"
            || statement["Condition"]["ArnEquals"]["ecs:cluster"] == cluster_arn
            || only_unscopable(&statement["Action"]);
        assert!(scoped, "unscoped statement {statement}");
        let actions: Vec<&str> = match &statement["Action"] {
            Value::String(a) => vec![a],
            Value::Array(a) => a.iter().map(|v| v.as_str().unwrap()).collect(),
            other => panic!("bad Action {other}"),
        };
        assert!(actions.iter().all(|a| !a.starts_with("ec2:")), "the drainer needs no EC2 access: {actions:?}");
    }
    let role =
        &t["Resources"]["Ec2ClusterDefaultAutoScalingGroupDrainECSHookFunctionServiceRole23116FA3"]["Properties"];
    assert!(role.get("ManagedPolicyArns").is_none(), "logging rights come from the scoped policy");
}

#[test]
fn every_log_group_has_a_retention_and_explicit_removal_policy() {
    for (name, path) in examples() {
        let t: Value = serde_json::from_str(&synth_file(&path)).unwrap();
        for (id, group) in resources_of_type(&t, "AWS::Logs::LogGroup") {
            assert!(group["Properties"]["RetentionInDays"].is_u64(), "{name}: {id} keeps logs forever");
            assert!(group["DeletionPolicy"].is_string() && group["UpdateReplacePolicy"].is_string(), "{name}: {id}");
        }
    }
}

#[test]
fn the_task_runs_in_bridge_mode_on_a_dynamic_host_port_and_logs_to_cloudwatch() {
    let t = default_template();
    has_resource_properties(
        &t,
        "AWS::ECS::TaskDefinition",
        json!({
            "NetworkMode": "bridge", "RequiresCompatibilities": ["EC2"], "Family": "BonjourEc2ServiceTaskDef2C3EE7C1",
            "ContainerDefinitions": [{
                "Essential": true, "Image": "amazon/amazon-ecs-sample", "Memory": 512, "Name": "web",
                "PortMappings": [{"ContainerPort": 80, "HostPort": 0, "Protocol": "tcp"}],
                "LogConfiguration": {"LogDriver": "awslogs", "Options": {
                    "awslogs-group": {"Ref": "Ec2ServiceTaskDefwebLogGroup923CD0CD"},
                    "awslogs-stream-prefix": "Ec2Service",
                    "awslogs-region": {"Ref": "AWS::Region"}
                }}
            }]
        }),
    );
    has_resource_properties(
        &t,
        "AWS::ECS::Service",
        json!({
            "LaunchType": "EC2", "DesiredCount": 1, "HealthCheckGracePeriodSeconds": 60,
            "DeploymentConfiguration": {"MaximumPercent": 200, "MinimumHealthyPercent": 50},
            "LoadBalancers": [{"ContainerName": "web", "ContainerPort": 80, "TargetGroupArn": {"Ref": "Ec2ServiceLBPublicListenerECSGroup3DC8690E"}}]
        }),
    );
    has_resource_properties(
        &t,
        "AWS::ElasticLoadBalancingV2::TargetGroup",
        json!({
            "HealthCheckPort": "traffic-port", "TargetType": "instance", "Protocol": "HTTP",
            "HealthCheckPath": "/", "Matcher": {"HttpCode": "200"},
            "TargetGroupAttributes": [
                {"Key": "stickiness.enabled", "Value": "false"},
                {"Key": "deregistration_delay.timeout_seconds", "Value": "30"}
            ]
        }),
    );
    has_resource_properties(
        &t,
        "AWS::ECS::Service",
        json!({"DeploymentConfiguration": {"DeploymentCircuitBreaker": {"Enable": true, "Rollback": true}}}),
    );
    let no_breaker = synth("service: {circuit_breaker: {enabled: false}}");
    let service = only(&no_breaker, "AWS::ECS::Service");
    assert!(service["Properties"]["DeploymentConfiguration"].get("DeploymentCircuitBreaker").is_none());
}

#[test]
fn a_private_alb_is_internal_and_lives_in_the_private_subnets() {
    let t = synth("load_balancer: {public: false, listener_port: 8080}");
    has_resource_properties(
        &t,
        "AWS::ElasticLoadBalancingV2::LoadBalancer",
        json!({"Scheme": "internal", "Subnets": [{"Ref": "MyVpcPrivateSubnet1Subnet5057CF7E"}, {"Ref": "MyVpcPrivateSubnet2Subnet0040C983"}]}),
    );
    has_resource_properties(&t, "AWS::ElasticLoadBalancingV2::Listener", json!({"Port": 8080, "Protocol": "HTTP"}));
    assert!(only(&t, "AWS::ElasticLoadBalancingV2::LoadBalancer").get("DependsOn").is_none());
}

#[test]
fn a_listener_on_another_port_puts_the_port_in_the_url() {
    let t = synth("load_balancer: {listener_port: 8080}");
    assert_eq!(
        t["Outputs"]["Ec2ServiceServiceURL8FE8FAED"]["Value"],
        json!({"Fn::Sub": "http://${Ec2ServiceLB381329CE.DNSName}:8080"})
    );
    let default = default_template();
    assert_eq!(
        default["Outputs"]["Ec2ServiceServiceURL8FE8FAED"]["Value"],
        json!({"Fn::Sub": "http://${Ec2ServiceLB381329CE.DNSName}"})
    );
}

const CERTIFICATE: &str = "arn:aws:acm:eu-west-1:123456789012:certificate/abc";

#[test]
fn https_listens_on_443_with_the_certificate_and_redirects_port_80() {
    // GIVEN HTTPS with only a certificate named
    let t = synth(&format!("load_balancer: {{protocol: HTTPS, certificate_arn: '{CERTIFICATE}'}}"));

    // THEN the service's listener is HTTPS on 443 under AWS's recommended policy
    let listeners = resources_of_type(&t, "AWS::ElasticLoadBalancingV2::Listener");
    assert_eq!(listeners.len(), 2);
    let https = &t["Resources"]["Ec2ServiceLBPublicListenerA941070C"]["Properties"];
    assert_eq!(https["Protocol"], "HTTPS");
    assert_eq!(https["Port"], 443);
    assert_eq!(https["Certificates"], json!([{"CertificateArn": CERTIFICATE}]));
    assert_eq!(https["SslPolicy"], "ELBSecurityPolicy-TLS13-1-2-2021-06");
    assert_eq!(https["DefaultActions"][0]["Type"], "forward");
    // AND port 80 answers every request with a permanent redirect to the same address over HTTPS
    let redirect = &t["Resources"]["Ec2ServiceLBPublicRedirectListener06438653"]["Properties"];
    assert_eq!((&redirect["Port"], &redirect["Protocol"]), (&json!(80), &json!("HTTP")));
    assert_eq!(
        redirect["DefaultActions"],
        json!([{"Type": "redirect", "RedirectConfig": {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"}}])
    );
    // AND the ALB's security group opens exactly those two ports
    let sg = &t["Resources"]["Ec2ServiceLBSecurityGroup45FED6DF"]["Properties"]["SecurityGroupIngress"];
    let ports: Vec<(&Value, &Value)> = sg.as_array().unwrap().iter().map(|r| (&r["FromPort"], &r["ToPort"])).collect();
    assert_eq!(ports, [(&json!(443), &json!(443)), (&json!(80), &json!(80))]);
    // AND the URL says https
    assert_eq!(t["Outputs"]["LoadBalancerDNS"]["Value"], json!({"Fn::Sub": "https://${Ec2ServiceLB381329CE.DNSName}"}));
}

#[test]
fn https_without_the_redirect_opens_only_its_own_port() {
    let t = synth(&format!(
        "load_balancer: {{protocol: HTTPS, certificate_arn: '{CERTIFICATE}', redirect_http: false, listener_port: 8443, ssl_policy: ELBSecurityPolicy-TLS13-1-3-2021-06}}"
    ));
    resource_count_is(&t, "AWS::ElasticLoadBalancingV2::Listener", 1);
    has_resource_properties(
        &t,
        "AWS::ElasticLoadBalancingV2::Listener",
        json!({"Port": 8443, "Protocol": "HTTPS", "SslPolicy": "ELBSecurityPolicy-TLS13-1-3-2021-06"}),
    );
    let sg = &t["Resources"]["Ec2ServiceLBSecurityGroup45FED6DF"]["Properties"]["SecurityGroupIngress"];
    assert_eq!(sg.as_array().unwrap().len(), 1);
    assert_eq!(sg[0]["FromPort"], 8443);
    assert_eq!(
        t["Outputs"]["LoadBalancerDNS"]["Value"],
        json!({"Fn::Sub": "https://${Ec2ServiceLB381329CE.DNSName}:8443"})
    );
}

#[test]
fn a_domain_gets_an_alias_record_and_becomes_the_url() {
    let t = synth("load_balancer: {domain_name: api.example.org, hosted_zone_id: Z0ABCDEF12345}");
    let record = only(&t, "AWS::Route53::RecordSet");
    assert_eq!(
        record["Properties"],
        json!({
            "AliasTarget": {
                "DNSName": {"Fn::Sub": "dualstack.${Ec2ServiceLB381329CE.DNSName}"},
                "EvaluateTargetHealth": false,
                "HostedZoneId": {"Fn::GetAtt": ["Ec2ServiceLB381329CE", "CanonicalHostedZoneID"]}
            },
            "HostedZoneId": "Z0ABCDEF12345",
            "Name": "api.example.org",
            "Type": "A"
        })
    );
    assert_eq!(t["Outputs"]["Ec2ServiceServiceURL8FE8FAED"]["Value"], "http://api.example.org");
    resource_count_is(&default_template(), "AWS::Route53::RecordSet", 0);
}

#[test]
fn the_drain_topic_is_encrypted_with_the_aws_managed_key_or_the_users() {
    // GIVEN the defaults
    let t = default_template();
    // THEN the topic uses SNS's AWS-managed key, which needs no grant for a role of the account
    has_resource_properties(&t, "AWS::SNS::Topic", json!({"KmsMasterKeyId": "alias/aws/sns"}));
    let hook_policy = "Ec2ClusterDefaultAutoScalingGroupLifecycleHookDrainHookRoleDefaultPolicyE499974B";
    assert_eq!(t["Resources"][hook_policy]["Properties"]["PolicyDocument"]["Statement"].as_array().unwrap().len(), 1);

    // GIVEN a customer-managed key
    let key = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    let t = synth(&format!("capacity: {{drain_topic_kms_key_arn: '{key}'}}"));
    // THEN the topic uses it, and the hook's role may use it to publish (and nothing else may)
    has_resource_properties(&t, "AWS::SNS::Topic", json!({"KmsMasterKeyId": key}));
    assert_eq!(
        t["Resources"][hook_policy]["Properties"]["PolicyDocument"]["Statement"][1],
        json!({"Action": ["kms:Decrypt", "kms:GenerateDataKey"], "Effect": "Allow", "Resource": key})
    );
    let mentions_key = t["Resources"].as_object().unwrap().values().filter(|r| r.to_string().contains(key)).count();
    assert_eq!(mentions_key, 2, "the topic and the hook role's policy");
}

#[test]
fn the_image_can_be_a_parameter_defaulting_to_the_configured_one() {
    let t = synth("service: {container: {image: 'nginx:1.27', image_parameter: true}}");
    assert_eq!(
        t["Parameters"]["ContainerImage"],
        json!({"Type": "String", "Default": "nginx:1.27", "Description": "The container's image, as `docker pull` takes it", "MinLength": 1})
    );
    let td = only(&t, "AWS::ECS::TaskDefinition");
    assert_eq!(td["Properties"]["ContainerDefinitions"][0]["Image"], json!({"Ref": "ContainerImage"}));
    assert!(default_template()["Parameters"].get("ContainerImage").is_none());
}

/// A server that needs longer than Docker's 30 seconds to finish its requests says so; the
/// default leaves the agent's own timeout (no `StopTimeout`), as the CDK does.
#[test]
fn the_container_may_take_longer_to_stop() {
    let t = synth("service: {container: {stop_timeout_seconds: 90}}");
    let td = only(&t, "AWS::ECS::TaskDefinition");
    assert_eq!(td["Properties"]["ContainerDefinitions"][0]["StopTimeout"], 90);
    let default = default_template();
    let td = only(&default, "AWS::ECS::TaskDefinition");
    assert!(td["Properties"]["ContainerDefinitions"][0].get("StopTimeout").is_none());
}

#[test]
fn secrets_reach_the_container_and_the_execution_role_may_read_exactly_them() {
    // GIVEN two secrets of each kind, one secret read twice for two of its JSON keys
    let secret = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf";
    let t = synth(&format!(
        "service: {{container: {{secrets: {{\
           USER: '{secret}:username::', PASSWORD: '{secret}:password::',\
           TOKEN: 'arn:aws:ssm:eu-west-1:123456789012:parameter/app/token',\
           KEY: 'arn:aws:ssm:eu-west-1:123456789012:parameter/app/key'}}}}}}"
    ));

    // THEN the container gets them by name
    let td = only(&t, "AWS::ECS::TaskDefinition");
    let secrets = &td["Properties"]["ContainerDefinitions"][0]["Secrets"];
    assert_eq!(secrets[0], json!({"Name": "USER", "ValueFrom": format!("{secret}:username::")}));
    assert_eq!(secrets.as_array().unwrap().len(), 4);
    // AND the execution role reads exactly those parameters and that secret, nothing else
    let policy = &t["Resources"]["Ec2ServiceTaskDefExecutionRoleDefaultPolicy7E1456F8"]["Properties"]["PolicyDocument"];
    assert_eq!(
        policy["Statement"][1],
        json!({"Action": "ssm:GetParameters", "Effect": "Allow", "Resource": [
            "arn:aws:ssm:eu-west-1:123456789012:parameter/app/key",
            "arn:aws:ssm:eu-west-1:123456789012:parameter/app/token"
        ]})
    );
    assert_eq!(
        policy["Statement"][2],
        json!({"Action": "secretsmanager:GetSecretValue", "Effect": "Allow", "Resource": secret})
    );
    // AND the service starts only once the role may read them
    let service = only(&t, "AWS::ECS::Service");
    assert!(
        service["DependsOn"]
            .as_array()
            .unwrap()
            .contains(&json!("Ec2ServiceTaskDefExecutionRoleDefaultPolicy7E1456F8"))
    );
    let default = default_template();
    let default_service = only(&default, "AWS::ECS::Service");
    assert!(
        !default_service["DependsOn"]
            .as_array()
            .unwrap()
            .contains(&json!("Ec2ServiceTaskDefExecutionRoleDefaultPolicy7E1456F8"))
    );
}

#[test]
fn container_insights_is_on_by_default_and_set_explicitly_otherwise() {
    let setting = |t: &Value| only(t, "AWS::ECS::Cluster")["Properties"]["ClusterSettings"].clone();
    assert_eq!(setting(&default_template()), json!([{"Name": "containerInsights", "Value": "enabled"}]));
    for value in ["enhanced", "disabled"] {
        let t = synth(&format!("observability: {{container_insights: {value}}}"));
        assert_eq!(setting(&t), json!([{"Name": "containerInsights", "Value": value}]));
    }
}

#[test]
fn auto_scaling_tracks_cpu_and_requests_and_the_instances_follow() {
    // GIVEN a scaled service on a group that may grow
    let t = synth(
        "capacity: {max_capacity: 4}\nservice: {container: {cpu: 256}, \
         auto_scaling: {min: 2, max: 8, target_cpu_percent: 65, target_requests_per_target: 300}}",
    );

    // THEN the task count is a scalable target between the bounds, on the service
    has_resource_properties(
        &t,
        "AWS::ApplicationAutoScaling::ScalableTarget",
        json!({
            "MaxCapacity": 8, "MinCapacity": 2,
            "ResourceId": {"Fn::Sub": "service/${Ec2ClusterEE43E89D}/${Ec2Service398F0E46.Name}"},
            "ScalableDimension": "ecs:service:DesiredCount", "ServiceNamespace": "ecs"
        }),
    );
    // AND it tracks CPU and requests per task on this ALB's target group
    let policies = resources_of_type(&t, "AWS::ApplicationAutoScaling::ScalingPolicy");
    let configs: Vec<&Value> =
        policies.iter().map(|(_, p)| &p["Properties"]["TargetTrackingScalingPolicyConfiguration"]).collect();
    assert_eq!(
        configs[0],
        &json!({"PredefinedMetricSpecification": {"PredefinedMetricType": "ECSServiceAverageCPUUtilization"}, "TargetValue": 65})
    );
    assert_eq!(
        configs[1],
        &json!({"PredefinedMetricSpecification": {
            "PredefinedMetricType": "ALBRequestCountPerTarget",
            "ResourceLabel": {"Fn::Sub": "${Ec2ServiceLB381329CE.LoadBalancerFullName}/${Ec2ServiceLBPublicListenerECSGroup3DC8690E.TargetGroupFullName}"}
        }, "TargetValue": 300})
    );
    // AND the service leaves its count to the scaling, so a deploy does not reset it
    assert!(only(&t, "AWS::ECS::Service")["Properties"].get("DesiredCount").is_none());
    // AND the instances follow the tasks' memory reservation in the cluster
    has_resource_properties(
        &t,
        "AWS::AutoScaling::ScalingPolicy",
        json!({
            "AutoScalingGroupName": {"Ref": "Ec2ClusterDefaultAutoScalingGroupASGC5A6D4C0"},
            "PolicyType": "TargetTrackingScaling",
            "TargetTrackingConfiguration": {"CustomizedMetricSpecification": {
                "Dimensions": [{"Name": "ClusterName", "Value": {"Ref": "Ec2ClusterEE43E89D"}}],
                "MetricName": "MemoryReservation", "Namespace": "AWS/ECS", "Statistic": "Average"
            }, "TargetValue": 75}
        }),
    );

    // GIVEN requests alone on a fixed-size group, THEN only that policy, and no instance scaling
    let t = synth("service: {auto_scaling: {target_requests_per_target: 100}}");
    resource_count_is(&t, "AWS::ApplicationAutoScaling::ScalingPolicy", 1);
    resource_count_is(&t, "AWS::AutoScaling::ScalingPolicy", 0);
    // AND with no target named, CPU at 70 %
    let t = synth("service: {container: {cpu: 256}, auto_scaling: {}}");
    has_resource_properties(
        &t,
        "AWS::ApplicationAutoScaling::ScalingPolicy",
        json!({"TargetTrackingScalingPolicyConfiguration": {"TargetValue": 70}}),
    );
    // AND without scaling there is none of it
    let default = default_template();
    resource_count_is(&default, "AWS::ApplicationAutoScaling::ScalableTarget", 0);
    assert_eq!(only(&default, "AWS::ECS::Service")["Properties"]["DesiredCount"], 1);
}

#[test]
fn the_image_family_and_the_instance_type_pick_the_image() {
    let image_of = |config: &str| {
        let t = synth(config);
        let (id, parameter) =
            t["Parameters"].as_object().unwrap().iter().next().map(|(k, v)| (k.clone(), v.clone())).unwrap();
        let lt = only(&t, "AWS::EC2::LaunchTemplate");
        assert_eq!(lt["Properties"]["LaunchTemplateData"]["ImageId"], json!({"Ref": id}));
        parameter["Default"].as_str().unwrap().to_owned()
    };
    let al = "/aws/service/ecs/optimized-ami";
    assert_eq!(image_of("{}"), format!("{al}/amazon-linux-2023/recommended/image_id"), "the default");
    assert_eq!(
        image_of("capacity: {instance_type: m7g.large}\nservice: {container: {image: 'nginx:stable'}}"),
        format!("{al}/amazon-linux-2023/arm64/recommended/image_id")
    );
    assert_eq!(
        image_of("capacity: {machine_image: amazon-linux-2}"),
        format!("{al}/amazon-linux-2/recommended/image_id")
    );
    assert_eq!(
        image_of(
            "capacity: {machine_image: amazon-linux-2, instance_type: m7g.large}\nservice: {container: {image: 'nginx:stable'}}"
        ),
        format!("{al}/amazon-linux-2/arm64/recommended/image_id")
    );
    assert_eq!(
        image_of("capacity: {machine_image: amazon-linux-2023}"),
        format!("{al}/amazon-linux-2023/recommended/image_id")
    );
    assert_eq!(
        image_of(
            "capacity: {machine_image: amazon-linux-2023, instance_type: t4g.small}\nservice: {container: {image: 'nginx:stable'}}"
        ),
        format!("{al}/amazon-linux-2023/arm64/recommended/image_id")
    );
    assert_eq!(
        image_of("capacity: {machine_image: bottlerocket}"),
        "/aws/service/bottlerocket/aws-ecs-2/x86_64/latest/image_id"
    );
    assert_eq!(
        image_of(
            "capacity: {machine_image: bottlerocket, instance_type: c7g.medium}\nservice: {container: {image: 'nginx:stable'}}"
        ),
        "/aws/service/bottlerocket/aws-ecs-2/arm64/latest/image_id"
    );
}

#[test]
fn bottlerocket_joins_the_cluster_by_toml_and_keeps_containers_on_an_encrypted_data_volume() {
    let t = synth("capacity: {machine_image: bottlerocket, root_volume_gib: 50}");
    let data = &only(&t, "AWS::EC2::LaunchTemplate")["Properties"]["LaunchTemplateData"];
    assert_eq!(
        data["UserData"],
        json!({"Fn::Base64": {"Fn::Sub": "[settings.ecs]\ncluster = \"${Ec2ClusterEE43E89D}\"\n"}})
    );
    assert_eq!(
        data["BlockDeviceMappings"],
        json!([
            {"DeviceName": "/dev/xvda", "Ebs": {"DeleteOnTermination": true, "Encrypted": true, "VolumeType": "gp3"}},
            {"DeviceName": "/dev/xvdb", "Ebs": {"DeleteOnTermination": true, "Encrypted": true, "VolumeSize": 50, "VolumeType": "gp3"}}
        ])
    );
}

#[test]
fn spot_capacity_mixes_instance_types_and_drains_on_the_interruption_notice() {
    let t = synth("capacity: {instance_type: t3.large, spot: {instance_types: [t3a.large], on_demand_percentage: 20}}");
    let group = &only(&t, "AWS::AutoScaling::AutoScalingGroup")["Properties"];
    assert!(group.get("LaunchTemplate").is_none(), "the mixed-instances policy names the launch template");
    assert_eq!(group["CapacityRebalance"], true);
    assert_eq!(
        group["MixedInstancesPolicy"],
        json!({
            "InstancesDistribution": {
                "OnDemandBaseCapacity": 0, "OnDemandPercentageAboveBaseCapacity": 20,
                "SpotAllocationStrategy": "price-capacity-optimized"
            },
            "LaunchTemplate": {
                "LaunchTemplateSpecification": {
                    "LaunchTemplateId": {"Ref": "Ec2ClusterDefaultAutoScalingGroupLaunchTemplate346F58BE"},
                    "Version": {"Fn::GetAtt": ["Ec2ClusterDefaultAutoScalingGroupLaunchTemplate346F58BE", "LatestVersionNumber"]}
                },
                "Overrides": [{"InstanceType": "t3.large"}, {"InstanceType": "t3a.large"}]
            }
        })
    );
    let user_data = only(&t, "AWS::EC2::LaunchTemplate")["Properties"]["LaunchTemplateData"]["UserData"].to_string();
    assert!(user_data.contains("ECS_ENABLE_SPOT_INSTANCE_DRAINING=true"), "{user_data}");
    let rocket = synth("capacity: {machine_image: bottlerocket, spot: {}}");
    let user_data =
        only(&rocket, "AWS::EC2::LaunchTemplate")["Properties"]["LaunchTemplateData"]["UserData"].to_string();
    assert!(user_data.contains("enable-spot-instance-draining = true"), "{user_data}");
    let on_demand = default_template();
    assert!(!on_demand.to_string().contains("SPOT"));
}

#[test]
fn an_existing_vpc_is_used_by_its_ids_and_nothing_of_the_network_is_created() {
    let t = synth(
        "vpc: {existing: {vpc_id: vpc-0123456789abcdef0, \
         public_subnet_ids: [subnet-0aaaaaaaaaaaaaaa1, subnet-0aaaaaaaaaaaaaaa2], \
         private_subnet_ids: [subnet-0bbbbbbbbbbbbbbb1, subnet-0bbbbbbbbbbbbbbb2]}}",
    );
    assert!(!t["Resources"].as_object().unwrap().values().any(|r| {
        ["AWS::EC2::VPC", "AWS::EC2::Subnet", "AWS::EC2::NatGateway", "AWS::EC2::InternetGateway", "AWS::EC2::Route"]
            .contains(&r["Type"].as_str().unwrap())
    }));
    has_resource_properties(
        &t,
        "AWS::ElasticLoadBalancingV2::LoadBalancer",
        json!({"Subnets": ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"]}),
    );
    assert!(only(&t, "AWS::ElasticLoadBalancingV2::LoadBalancer").get("DependsOn").is_none());
    has_resource_properties(
        &t,
        "AWS::AutoScaling::AutoScalingGroup",
        json!({"VPCZoneIdentifier": ["subnet-0bbbbbbbbbbbbbbb1", "subnet-0bbbbbbbbbbbbbbb2"]}),
    );
    has_resource_properties(&t, "AWS::ElasticLoadBalancingV2::TargetGroup", json!({"VpcId": "vpc-0123456789abcdef0"}));
    for (id, sg) in resources_of_type(&t, "AWS::EC2::SecurityGroup") {
        assert_eq!(sg["Properties"]["VpcId"], "vpc-0123456789abcdef0", "{id}");
    }
}

#[test]
fn managed_draining_uses_a_capacity_provider_instead_of_the_hook() {
    // GIVEN ECS-managed capacity, on a scaled service
    let t = synth(
        "capacity: {max_capacity: 4, draining: managed}\n\
         service: {container: {cpu: 256}, auto_scaling: {min: 1, max: 8}}",
    );

    // THEN no hook, topic, queue or function
    for absent in ["AWS::AutoScaling::LifecycleHook", "AWS::SNS::Topic", "AWS::SQS::Queue", "AWS::Lambda::Function"] {
        resource_count_is(&t, absent, 0);
    }
    // AND a capacity provider scales, protects and drains the group
    has_resource_properties(
        &t,
        "AWS::ECS::CapacityProvider",
        json!({"AutoScalingGroupProvider": {
            "AutoScalingGroupArn": {"Ref": "Ec2ClusterDefaultAutoScalingGroupASGC5A6D4C0"},
            "ManagedDraining": "ENABLED",
            "ManagedScaling": {"Status": "ENABLED", "TargetCapacity": 100},
            "ManagedTerminationProtection": "ENABLED"
        }}),
    );
    let (provider_id, _) = resources_of_type(&t, "AWS::ECS::CapacityProvider")[0];
    let strategy = json!([{"CapacityProvider": {"Ref": provider_id}, "Weight": 1}]);
    has_resource_properties(
        &t,
        "AWS::ECS::ClusterCapacityProviderAssociations",
        json!({"Cluster": {"Ref": "Ec2ClusterEE43E89D"}, "CapacityProviders": [{"Ref": provider_id}], "DefaultCapacityProviderStrategy": strategy}),
    );
    // AND the group protects new instances from scale-in, as managed termination protection needs
    has_resource_properties(
        &t,
        "AWS::AutoScaling::AutoScalingGroup",
        json!({"NewInstancesProtectedFromScaleIn": true}),
    );
    // AND the service runs on the provider, once the cluster knows it
    let (association_id, _) = resources_of_type(&t, "AWS::ECS::ClusterCapacityProviderAssociations")[0];
    let service = only(&t, "AWS::ECS::Service");
    assert_eq!(service["Properties"]["CapacityProviderStrategy"], strategy);
    assert!(service["Properties"].get("LaunchType").is_none());
    assert!(service["DependsOn"].as_array().unwrap().contains(&json!(association_id)));
    // AND ECS alone scales the instances: no policy of ours on the group
    resource_count_is(&t, "AWS::AutoScaling::ScalingPolicy", 0);

    // GIVEN draining: none, THEN neither hook nor provider
    let none = synth("capacity: {draining: none}");
    for absent in ["AWS::AutoScaling::LifecycleHook", "AWS::ECS::CapacityProvider", "AWS::Lambda::Function"] {
        resource_count_is(&none, absent, 0);
    }
    assert_eq!(only(&none, "AWS::ECS::Service")["Properties"]["LaunchType"], "EC2");
}

#[test]
fn access_logs_go_to_a_private_bucket_elb_may_write_in_any_region() {
    let t = synth("observability: {access_logs: true}\nservice: {log_retention_days: 90}");
    // THEN a private, encrypted bucket keeps the logs for the retention period
    let bucket = only(&t, "AWS::S3::Bucket");
    assert_eq!(bucket["DeletionPolicy"], "Retain");
    assert_eq!(
        bucket["Properties"],
        json!({
            "BucketEncryption": {"ServerSideEncryptionConfiguration": [{"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]},
            "LifecycleConfiguration": {"Rules": [{"ExpirationInDays": 90, "Id": "Expire", "Status": "Enabled"}]},
            "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
            "PublicAccessBlockConfiguration": {"BlockPublicAcls": true, "BlockPublicPolicy": true, "IgnorePublicAcls": true, "RestrictPublicBuckets": true}
        })
    );
    // AND only ELB may write, under this account's prefix: the region's ELB account where there
    // is one, else the log-delivery service
    let policy = &only(&t, "AWS::S3::BucketPolicy")["Properties"]["PolicyDocument"]["Statement"];
    assert_eq!(policy.as_array().unwrap().len(), 2);
    assert_eq!(
        policy[0]["Principal"],
        json!({"Fn::If": ["ElbLogDeliveryByAccount",
            {"AWS": {"Fn::FindInMap": ["ElbLogDeliveryAccounts", {"Ref": "AWS::Region"}, "Account"]}},
            {"Service": "logdelivery.elasticloadbalancing.amazonaws.com"}]})
    );
    assert_eq!(policy[0]["Action"], "s3:PutObject");
    assert_eq!(
        policy[0]["Resource"],
        json!({"Fn::Sub": "${Ec2ServiceLBAccessLogsBucketCB3C9D40.Arn}/AWSLogs/${AWS::AccountId}/*"})
    );
    // AND nobody reaches it but over TLS
    assert_eq!(
        policy[1],
        json!({
            "Action": "s3:*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}, "Effect": "Deny", "Principal": "*",
            "Resource": [
                {"Fn::GetAtt": ["Ec2ServiceLBAccessLogsBucketCB3C9D40", "Arn"]},
                {"Fn::Sub": "${Ec2ServiceLBAccessLogsBucketCB3C9D40.Arn}/*"}
            ]
        })
    );
    assert_eq!(t["Mappings"]["ElbLogDeliveryAccounts"]["eu-west-1"]["Account"], "156460612806");
    assert_eq!(t["Mappings"]["ElbLogDeliveryAccounts"].as_object().unwrap().len(), 26);
    let condition = t["Conditions"]["ElbLogDeliveryByAccount"].to_string();
    assert_eq!(condition.matches("Fn::Equals").count(), 26, "{condition}");
    // AND the load balancer logs there once the policy lets it
    let lb = only(&t, "AWS::ElasticLoadBalancingV2::LoadBalancer");
    let attributes = lb["Properties"]["LoadBalancerAttributes"].as_array().unwrap();
    assert!(attributes.contains(&json!({"Key": "access_logs.s3.enabled", "Value": "true"})));
    assert!(
        attributes.contains(
            &json!({"Key": "access_logs.s3.bucket", "Value": {"Ref": "Ec2ServiceLBAccessLogsBucketCB3C9D40"}})
        )
    );
    assert!(lb["DependsOn"].as_array().unwrap().contains(&json!("Ec2ServiceLBAccessLogsBucketPolicyB7CD80BE")));
    // AND without the option, none of it
    let default = default_template();
    resource_count_is(&default, "AWS::S3::Bucket", 0);
    assert!(default.get("Mappings").is_none() && default.get("Conditions").is_none());
}

#[test]
fn without_nat_gateways_instances_run_in_public_subnets() {
    let t = synth("vpc: {nat_gateways: 0}");
    resource_count_is(&t, "AWS::EC2::NatGateway", 0);
    resource_count_is(&t, "AWS::EC2::Subnet", 2);
    has_resource_properties(
        &t,
        "AWS::AutoScaling::AutoScalingGroup",
        json!({"VPCZoneIdentifier": [{"Ref": "MyVpcPublicSubnet1SubnetF6608456"}, {"Ref": "MyVpcPublicSubnet2Subnet492B6BFB"}]}),
    );
}

#[test]
fn fewer_nat_gateways_than_zones_share_the_first() {
    let t = synth("vpc: {max_azs: 3, nat_gateways: 1}");
    resource_count_is(&t, "AWS::EC2::NatGateway", 1);
    let via_first = json!({"Ref": "MyVpcPublicSubnet1NATGatewayAD3400C1"});
    let private_routes: Vec<_> = resources_of_type(&t, "AWS::EC2::Route")
        .into_iter()
        .filter(|(_, r)| r["Properties"].get("NatGatewayId").is_some())
        .collect();
    assert_eq!(private_routes.len(), 3);
    assert!(private_routes.iter().all(|(_, r)| r["Properties"]["NatGatewayId"] == via_first));
}

#[test]
fn synthesis_is_deterministic() {
    for (_, path) in examples() {
        assert_eq!(synth_file(&path), synth_file(&path));
    }
}

#[test]
fn the_default_template_fits_inline_deployment() {
    let config = ecs_alb::config::load_str("{}", None).unwrap();
    let template = ecs_alb::pattern::synthesize(&config, Default::default()).unwrap();
    let size = template.to_json_minified().unwrap().len();
    assert!(size < INLINE_TEMPLATE_LIMIT, "minified default template is {size} bytes");
}

#[test]
fn no_depends_on_repeats_a_reference() {
    // cfn-lint W3005 checks it too; this says which resource broke it without the venv.
    for (_, path) in examples() {
        let t: Value = serde_json::from_str(&synth_file(&path)).unwrap();
        for (id, resource) in t["Resources"].as_object().unwrap() {
            let text = resource["Properties"].to_string();
            for dep in resource["DependsOn"].as_array().into_iter().flatten() {
                let dep = dep.as_str().unwrap();
                let referenced = text.contains(&format!("\"Ref\":\"{dep}\""))
                    || text.contains(&format!("[\"{dep}\","))
                    || text.contains(&format!("${{{dep}}}"));
                assert!(!referenced, "{id} depends on {dep}, which it already references");
            }
        }
    }
}

#[test]
fn committed_templates_are_up_to_date() {
    for (name, path) in examples() {
        let committed = std::fs::read_to_string(repo_root().join("templates").join(format!("{name}.json")))
            .unwrap_or_else(|e| panic!("templates/{name}.json: {e}; run scripts/regenerate-templates"));
        assert!(committed == synth_file(&path), "templates/{name}.json is stale: run scripts/regenerate-templates");
    }
}

#[test]
fn the_default_example_spells_out_the_built_in_defaults() {
    let example = synth_file(&repo_root().join("examples/default.yaml"));
    let config = ecs_alb::config::load_str("{}", None).unwrap();
    let builtin = ecs_alb::pattern::synthesize(&config, Default::default()).unwrap().to_json_pretty().unwrap();
    assert_eq!(example, builtin);
}

#[test]
fn snapshots_of_every_example() {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(repo_root().join("snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| {
        for (name, path) in examples() {
            let template: Value = serde_json::from_str(&synth_file(&path)).unwrap();
            insta::assert_json_snapshot!(name, template);
        }
    });
}

#[test]
fn the_instances_may_write_only_their_containers_logs() {
    let t = default_template();
    let policies = resources_of_type(&t, "AWS::IAM::Policy");
    let instance_policies: Vec<_> = policies
        .iter()
        .filter(|(_, p)| p["Properties"]["Roles"][0]["Ref"] == "Ec2ClusterDefaultAutoScalingGroupInstanceRole73D80898")
        .collect();
    assert_eq!(instance_policies.len(), 2);
    for (id, policy) in instance_policies {
        for statement in policy["Properties"]["PolicyDocument"]["Statement"].as_array().unwrap() {
            let actions = &statement["Action"];
            if actions.to_string().contains("logs:") {
                assert_eq!(
                    statement["Resource"],
                    json!({"Fn::GetAtt": ["Ec2ServiceTaskDefwebLogGroup923CD0CD", "Arn"]}),
                    "{id}"
                );
            }
            if statement["Resource"] == "*" {
                let conditioned = statement.get("Condition").is_some();
                assert!(conditioned || only_unscopable(actions), "{id}: {statement}");
            }
        }
    }
}

/// The security rules, for every example's template: no IAM statement on `"*"` that AWS would let
/// us scope, IMDSv2 and encrypted volumes on every instance, instances reachable only from the ALB.
#[test]
fn every_template_keeps_least_privilege_and_exposure_rules() {
    for (name, path) in examples() {
        let t: Value = serde_json::from_str(&synth_file(&path)).unwrap();
        for (id, policy) in resources_of_type(&t, "AWS::IAM::Policy") {
            for statement in policy["Properties"]["PolicyDocument"]["Statement"].as_array().unwrap() {
                if statement["Resource"] == "*" {
                    let conditioned = statement["Condition"].is_object();
                    assert!(conditioned || only_unscopable(&statement["Action"]), "{name}: {id}: {statement}");
                }
            }
        }
        for (id, lt) in resources_of_type(&t, "AWS::EC2::LaunchTemplate") {
            let data = &lt["Properties"]["LaunchTemplateData"];
            assert_eq!(data["MetadataOptions"]["HttpTokens"], "required", "{name}: {id}");
            assert_eq!(data["MetadataOptions"]["HttpPutResponseHopLimit"], 1, "{name}: {id}");
            for mapping in data["BlockDeviceMappings"].as_array().unwrap() {
                assert_eq!(mapping["Ebs"]["Encrypted"], true, "{name}: {id}");
            }
        }
        let instance_sg = "Ec2ClusterDefaultAutoScalingGroupInstanceSecurityGroup149B0A9E";
        assert!(t["Resources"][instance_sg]["Properties"].get("SecurityGroupIngress").is_none(), "{name}");
        let alb_sg = only(&t, "AWS::ElasticLoadBalancingV2::LoadBalancer")["Properties"]["SecurityGroups"][0].clone();
        let mut into_instances = 0;
        for (id, ingress) in resources_of_type(&t, "AWS::EC2::SecurityGroupIngress") {
            let props = &ingress["Properties"];
            if props["GroupId"]["Fn::GetAtt"][0] == instance_sg {
                assert_eq!(props["SourceSecurityGroupId"], alb_sg, "{name}: {id}");
                into_instances += 1;
            }
        }
        assert_eq!(into_instances, 1, "{name}");
        let queues = resources_of_type(&t, "AWS::SQS::Queue");
        assert!(queues.iter().all(|(_, q)| q["Properties"]["SqsManagedSseEnabled"] == true), "{name}");
        for (id, topic) in resources_of_type(&t, "AWS::SNS::Topic") {
            assert!(topic["Properties"]["KmsMasterKeyId"].is_string(), "{name}: {id} is not encrypted");
        }
        for (id, bucket) in resources_of_type(&t, "AWS::S3::Bucket") {
            let props = &bucket["Properties"];
            assert!(props["BucketEncryption"].is_object(), "{name}: {id}");
            assert_eq!(props["PublicAccessBlockConfiguration"]["RestrictPublicBuckets"], true, "{name}: {id}");
        }
        // With HTTPS, plain HTTP only ever redirects to it.
        let listeners = resources_of_type(&t, "AWS::ElasticLoadBalancingV2::Listener");
        if listeners.iter().any(|(_, l)| l["Properties"]["Protocol"] == "HTTPS") {
            for (id, listener) in listeners.iter().filter(|(_, l)| l["Properties"]["Protocol"] == "HTTP") {
                let action = &listener["Properties"]["DefaultActions"][0];
                assert_eq!(
                    (&action["Type"], &action["RedirectConfig"]["Protocol"]),
                    (&json!("redirect"), &json!("HTTPS")),
                    "{name}: {id}"
                );
            }
        }
    }
}

/// Whether every action of a statement is one IAM accepts only on `"*"`.
fn only_unscopable(actions: &Value) -> bool {
    // ECS Exec's channels take no resource ("Actions, resources, and condition keys for Amazon
    // Message Gateway Service", Service Authorization Reference), nor do Auto Scaling's Describe
    // actions ("Actions, resources, and condition keys for Amazon EC2 Auto Scaling"), nor ELB's
    // ("... for AWS Elastic Load Balancing V2"; AmazonECSInfrastructureRolePolicyForLoadBalancers,
    // AWS's policy for a release's role, grants them on "*" too).
    const UNSCOPABLE: [&str; 11] = [
        "autoscaling:DescribeAutoScalingInstances",
        "elasticloadbalancing:DescribeListeners",
        "elasticloadbalancing:DescribeRules",
        "elasticloadbalancing:DescribeTargetGroups",
        "elasticloadbalancing:DescribeTargetHealth",
        "ecs:DiscoverPollEndpoint",
        "ecr:GetAuthorizationToken",
        "ssmmessages:CreateControlChannel",
        "ssmmessages:CreateDataChannel",
        "ssmmessages:OpenControlChannel",
        "ssmmessages:OpenDataChannel",
    ];
    match actions {
        Value::String(action) => UNSCOPABLE.contains(&action.as_str()),
        Value::Array(actions) => actions.iter().all(|a| a.as_str().is_some_and(|a| UNSCOPABLE.contains(&a))),
        _ => false,
    }
}

/// The resource of `resource_type` whose logical ID contains `part`.
fn named<'a>(t: &'a Value, resource_type: &str, part: &str) -> &'a Value {
    let found = resources_of_type(t, resource_type).into_iter().find(|(id, _)| id.contains(part));
    found.unwrap_or_else(|| panic!("no {resource_type} with {part} in its ID")).1
}

fn execution_policy(t: &Value) -> Value {
    named(t, "AWS::IAM::Policy", "ExecutionRole")["Properties"]["PolicyDocument"]["Statement"].clone()
}

/// On EC2 the agent pulls with the task's execution role: a private ECR image needs the layer
/// actions on exactly its repository (the account and region of the image's URI, so a pull from
/// another account works) and the account-wide token.
#[test]
fn a_private_ecr_image_can_be_pulled_by_the_execution_role() {
    let t = synth("service: {container: {image: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop:1.4}}");
    let statements = execution_policy(&t);
    assert!(
        statements.as_array().unwrap().contains(&json!({
            "Action": ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
            "Effect": "Allow",
            "Resource": {"Fn::Sub": "arn:${AWS::Partition}:ecr:eu-west-1:123456789012:repository/shop"}
        })),
        "{statements:#}"
    );
    assert!(
        statements
            .as_array()
            .unwrap()
            .contains(&json!({"Action": "ecr:GetAuthorizationToken", "Effect": "Allow", "Resource": "*"})),
        "{statements:#}"
    );
    // The service starts only once the role may pull.
    let service = only(&t, "AWS::ECS::Service");
    assert!(service["DependsOn"].to_string().contains("ExecutionRoleDefaultPolicy"), "{}", service["DependsOn"]);

    // With the image as a parameter, the named repository scopes the grant, in the stack's account.
    let t = synth("service: {container: {image_parameter: true, image_repository: team/shop}}");
    assert!(
        execution_policy(&t).to_string().contains(
            r#"{"Fn::Sub":"arn:${AWS::Partition}:ecr:${AWS::Region}:${AWS::AccountId}:repository/team/shop"}"#
        ),
        "{}",
        execution_policy(&t)
    );

    // A public image needs nothing from ECR.
    assert!(!execution_policy(&synth("{}")).to_string().contains("ecr:"));
}

/// The ECS agent drains its own Spot instance on the interruption notice, with the instance's
/// credentials: the instance role may set container instances' state, in this cluster only.
#[test]
fn spot_instances_may_drain_themselves() {
    let agent_statement = |config: &str| {
        let t = synth(config);
        named(&t, "AWS::IAM::Policy", "InstanceRoleDefaultPolicy")["Properties"]["PolicyDocument"]["Statement"][1]
            .clone()
    };
    let spot = agent_statement("capacity: {instance_type: t3.medium, spot: {instance_types: [t3a.medium]}}");
    assert!(spot["Action"].as_array().unwrap().contains(&json!("ecs:UpdateContainerInstancesState")), "{spot}");
    assert_eq!(spot["Condition"], json!({"ArnEquals": {"ecs:cluster": {"Fn::GetAtt": ["Ec2ClusterEE43E89D", "Arn"]}}}));
    assert!(!agent_statement("{}").to_string().contains("UpdateContainerInstancesState"));
}

/// ECS refuses capacity-provider names beginning with aws, ecs or fargate, which CloudFormation's
/// generated names (from the stack's) may do: the name is the group's own, after `cp-`.
#[test]
fn the_capacity_provider_has_a_name_ecs_accepts_whatever_the_stack_is_called() {
    let t = synth("stack_name: ecs-shop\ncapacity: {draining: managed, max_capacity: 3}");
    let provider = only(&t, "AWS::ECS::CapacityProvider");
    assert_eq!(
        provider["Properties"]["Name"],
        json!({"Fn::Sub": "cp-${Ec2ClusterDefaultAutoScalingGroupASGC5A6D4C0}"})
    );
}

/// An internal load balancer takes connections from the VPC only; any load balancer from the
/// ranges given.
#[test]
fn the_load_balancer_admits_only_the_allowed_ranges() {
    let ingress = |config: &str| {
        let t = synth(config);
        named(&t, "AWS::EC2::SecurityGroup", "LBSecurityGroup")["Properties"]["SecurityGroupIngress"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (r["CidrIp"].as_str().unwrap().to_owned(), r["FromPort"].as_u64().unwrap()))
            .collect::<Vec<_>>()
    };
    assert_eq!(ingress("{}"), [("0.0.0.0/0".to_owned(), 80)]);
    assert_eq!(ingress("load_balancer: {public: false}"), [("10.0.0.0/16".to_owned(), 80)]);
    assert_eq!(
        ingress("vpc: {cidr: 10.20.0.0/16}\nload_balancer: {public: false, listener_port: 8080}"),
        [("10.20.0.0/16".to_owned(), 8080)]
    );
    assert_eq!(
        ingress("load_balancer: {allowed_cidrs: [203.0.113.0/24, 198.51.100.7/32]}"),
        [("203.0.113.0/24".to_owned(), 80), ("198.51.100.7/32".to_owned(), 80)]
    );
}

/// Without NAT gateways the instances run in the public subnets and need addresses there.
#[test]
fn public_subnets_give_addresses_only_when_instances_run_there() {
    let t = synth("vpc: {nat_gateways: 0}");
    for (_, subnet) in resources_of_type(&t, "AWS::EC2::Subnet") {
        assert_eq!(subnet["Properties"]["MapPublicIpOnLaunch"], true);
    }
}

/// The task role gets exactly the configured policies; ECS Exec adds SSM's channels and an init
/// process; EFS with IAM authorization lets the role mount (read-only: no ClientWrite) through
/// the access point; all of it is in place before the service starts its tasks.
#[test]
fn the_task_role_exec_and_efs_are_granted_exactly() {
    let t = synth(&[
        EXISTING_VPC,
        "service:
  enable_execute_command: true
  task_role:
    managed_policy_arns: [arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess]
    statements:
      - {actions: [dynamodb:GetItem, dynamodb:PutItem], resources: ['arn:aws:dynamodb:eu-west-1:123456789012:table/orders']}
      - {effect: Deny, actions: ['s3:*'], resources: ['*'], conditions: {Bool: {aws:SecureTransport: 'false'}}}
  container:
    mount_points: [{volume: files, container_path: /files, read_only: true}]
  volumes:
    - {name: files, efs: {file_system_id: fs-0123456789abcdef0, security_group_id: sg-0123456789abcdef0, access_point_id: fsap-0123456789abcdef0}}
",
    ]
    .concat());
    let role = &t["Resources"]["Ec2ServiceTaskDefTaskRole27A5D642"]["Properties"];
    assert_eq!(role["ManagedPolicyArns"], json!(["arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess"]));
    let policy = &t["Resources"]["Ec2ServiceTaskDefTaskRoleDefaultPolicyB17D3616"]["Properties"];
    let statements = policy["PolicyDocument"]["Statement"].as_array().unwrap();
    assert_eq!(statements.len(), 4, "{statements:#?}");
    assert_eq!(
        statements[0],
        json!({"Action": ["dynamodb:GetItem", "dynamodb:PutItem"], "Effect": "Allow",
               "Resource": "arn:aws:dynamodb:eu-west-1:123456789012:table/orders"})
    );
    assert_eq!(
        statements[1],
        json!({"Action": "s3:*", "Condition": {"Bool": {"aws:SecureTransport": "false"}}, "Effect": "Deny", "Resource": "*"})
    );
    assert_eq!(statements[2]["Action"][0], "ssmmessages:CreateControlChannel");
    assert_eq!(statements[2]["Resource"], "*");
    assert_eq!(statements[3]["Action"], "elasticfilesystem:ClientMount", "read-only mounts do not write");
    assert_eq!(
        statements[3]["Condition"]["StringEquals"]["elasticfilesystem:AccessPointArn"]["Fn::Sub"],
        "arn:${AWS::Partition}:elasticfilesystem:${AWS::Region}:${AWS::AccountId}:access-point/fsap-0123456789abcdef0"
    );
    let service = only(&t, "AWS::ECS::Service");
    assert_eq!(service["Properties"]["EnableExecuteCommand"], true);
    let depends_on = service["DependsOn"].as_array().unwrap();
    assert!(depends_on.contains(&json!("Ec2ServiceTaskDefTaskRoleDefaultPolicyB17D3616")), "{depends_on:?}");
    let td = only(&t, "AWS::ECS::TaskDefinition");
    let container = &td["Properties"]["ContainerDefinitions"][0];
    assert_eq!(container["LinuxParameters"], json!({"InitProcessEnabled": true}));
    assert_eq!(
        td["Properties"]["Volumes"],
        json!([{"EFSVolumeConfiguration": {
            "AuthorizationConfig": {"AccessPointId": "fsap-0123456789abcdef0", "IAM": "ENABLED"},
            "FilesystemId": "fs-0123456789abcdef0", "TransitEncryption": "ENABLED"}, "Name": "files"}])
    );
    assert!(t["Outputs"].get("InstanceSecurityGroupId").is_some(), "named plainly");

    // Without any of it, the task role stays as the CDK makes it: no policy, nothing attached.
    let default = default_template();
    assert!(default["Resources"].get("Ec2ServiceTaskDefTaskRoleDefaultPolicyB17D3616").is_none());
    assert!(default["Resources"]["Ec2ServiceTaskDefTaskRole27A5D642"]["Properties"].get("ManagedPolicyArns").is_none());
    assert!(default["Outputs"].get("InstanceSecurityGroupId").is_none());
}

/// An existing VPC, which EFS needs: its mount targets are in the file system's own VPC.
const EXISTING_VPC: &str = "vpc:
  existing:
    vpc_id: vpc-0a1b2c3d4e5f60718
    public_subnet_ids: [subnet-0aaaaaaaaaaaaaaa1, subnet-0aaaaaaaaaaaaaaa2]
    private_subnet_ids: [subnet-0bbbbbbbbbbbbbbb1, subnet-0bbbbbbbbbbbbbbb2]
";

/// The stack opens each file system's mount targets to the instances on NFS itself, once per
/// security group however many volumes and services use it, and every service that mounts one
/// starts only once its rule is in place; deleting the stack takes the rule away with it.
#[test]
fn efs_mount_targets_admit_nfs_from_the_instances_before_the_services_start() {
    let volume = |fs: &str, sg: &str| {
        format!("volumes: [{{name: files, efs: {{file_system_id: {fs}, security_group_id: {sg}}}}}]")
    };
    let t = synth(&format!(
        "{EXISTING_VPC}services:
  web: {{{}}}
  api: {{routing: {{path_patterns: [/api/*]}}, container: {{name: api}}, {}}}
  admin: {{routing: {{path_patterns: [/admin/*]}}, container: {{name: admin}}, {}}}
  plain: {{routing: {{path_patterns: [/plain/*]}}, container: {{name: plain}}}}
",
        volume("fs-0123456789abcdef0", "sg-0123456789abcdef0"),
        volume("fs-0123456789abcdef0", "sg-0123456789abcdef0"),
        volume("fs-0fedcba9876543210", "sg-0fedcba9876543210"),
    ));
    let rules = resources_of_type(&t, "AWS::EC2::SecurityGroupIngress");
    let nfs: Vec<(&String, &Value)> = rules.into_iter().filter(|(_, r)| r["Properties"]["FromPort"] == 2049).collect();
    assert_eq!(nfs.len(), 2, "one rule per mount targets' group: {nfs:?}");
    let instances = resources_of_type(&t, "AWS::EC2::SecurityGroup")
        .into_iter()
        .find(|(id, _)| id.contains("InstanceSecurityGroup"))
        .unwrap()
        .0;
    for ((id, rule), group) in nfs.iter().zip(["sg-0123456789abcdef0", "sg-0fedcba9876543210"]) {
        assert_eq!(
            rule["Properties"],
            json!({"Description": "NFS from the ECS instances to EFS", "FromPort": 2049, "ToPort": 2049,
                   "IpProtocol": "tcp", "GroupId": group,
                   "SourceSecurityGroupId": {"Fn::GetAtt": [instances, "GroupId"]}}),
            "{id}"
        );
    }
    let depends_on = |service: &str| {
        let (_, s) =
            resources_of_type(&t, "AWS::ECS::Service").into_iter().find(|(id, _)| id.starts_with(service)).unwrap();
        let ids: Vec<&str> = s["DependsOn"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
        nfs.iter().map(|(id, _)| ids.contains(&id.as_str())).collect::<Vec<bool>>()
    };
    assert_eq!(depends_on("web"), [true, false]);
    assert_eq!(depends_on("api"), [true, false]);
    assert_eq!(depends_on("admin"), [false, true]);
    assert_eq!(depends_on("plain"), [false, false]);
}

/// A sidecar logs beside the main container under its own name, is reached through a link when
/// it has a port (never published on the instance, never load balanced), and its private image
/// is pulled with the same grant as the main container's.
#[test]
fn sidecars_run_beside_the_main_container() {
    let t = synth(
        "service:
  container:
    depends_on: [{container: proxy, condition: START}]
  sidecars:
    - {name: proxy, image: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/proxy:2, memory_reservation_mib: 64, port: 9000}
    - {name: init, image: 'busybox:1.36', essential: false, memory_limit_mib: 32, command: [sh, -c, 'echo ready']}
",
    );
    let td = only(&t, "AWS::ECS::TaskDefinition");
    let containers = td["Properties"]["ContainerDefinitions"].as_array().unwrap();
    let names: Vec<&str> = containers.iter().map(|c| c["Name"].as_str().unwrap()).collect();
    assert_eq!(names, ["web", "proxy", "init"]);
    assert_eq!(containers[0]["Links"], json!(["proxy"]));
    assert_eq!(containers[0]["DependsOn"], json!([{"Condition": "START", "ContainerName": "proxy"}]));
    assert!(containers[1].get("PortMappings").is_none(), "a sidecar's port is not published");
    assert_eq!(containers[1]["LogConfiguration"]["Options"]["awslogs-stream-prefix"], "proxy");
    assert_eq!(containers[2]["Essential"], false);
    assert_eq!(containers[2]["Command"], json!(["sh", "-c", "echo ready"]));
    let service = only(&t, "AWS::ECS::Service");
    assert_eq!(service["Properties"]["LoadBalancers"][0]["ContainerName"], "web");
    let pull = &t["Resources"]["Ec2ServiceTaskDefExecutionRoleDefaultPolicy7E1456F8"]["Properties"]["PolicyDocument"];
    assert_eq!(
        pull["Statement"][1]["Resource"]["Fn::Sub"],
        "arn:${AWS::Partition}:ecr:eu-west-1:123456789012:repository/proxy"
    );
}

/// A sidecar takes every field the service's container takes (one container type), rendered the
/// same way; its secrets are read by the execution role and its stop timeout counts in the drain.
#[test]
fn a_sidecar_takes_every_container_field() {
    let t = synth(
        "service:
  sidecars:
    - name: router
      image: public.ecr.aws/aws-observability/aws-for-fluent-bit:stable
      memory_reservation_mib: 64
      entry_point: [/entrypoint.sh]
      working_directory: /fluent-bit
      user: '0'
      readonly_root_filesystem: true
      stop_timeout_seconds: 20
      docker_labels: {com.example.role: logs}
      ulimits: [{name: nofile, soft: 4096, hard: 8192}]
      secrets: {TOKEN: 'arn:aws:ssm:eu-west-1:123456789012:parameter/token'}
",
    );
    let td = only(&t, "AWS::ECS::TaskDefinition");
    let router = &td["Properties"]["ContainerDefinitions"][1];
    assert_eq!(router["EntryPoint"], json!(["/entrypoint.sh"]));
    assert_eq!(router["WorkingDirectory"], "/fluent-bit");
    assert_eq!(router["User"], "0");
    assert_eq!(router["ReadonlyRootFilesystem"], true);
    assert_eq!(router["StopTimeout"], 20);
    assert_eq!(router["DockerLabels"], json!({"com.example.role": "logs"}));
    assert_eq!(router["Ulimits"], json!([{"HardLimit": 8192, "Name": "nofile", "SoftLimit": 4096}]));
    assert_eq!(
        router["Secrets"],
        json!([{"Name": "TOKEN", "ValueFrom": "arn:aws:ssm:eu-west-1:123456789012:parameter/token"}])
    );
    let grants = &t["Resources"]["Ec2ServiceTaskDefExecutionRoleDefaultPolicy7E1456F8"]["Properties"]["PolicyDocument"];
    assert_eq!(grants["Statement"][1]["Action"], "ssm:GetParameters");
    assert_eq!(grants["Statement"][1]["Resource"], "arn:aws:ssm:eu-west-1:123456789012:parameter/token");
}

/// The main container's own settings reach its definition as ECS names them.
#[test]
fn the_main_container_takes_a_real_applications_settings() {
    let t = synth(
        "service:
  container:
    command: [serve, --port, '80']
    entry_point: [/app/bin/start]
    working_directory: /app
    user: '1000:1000'
    docker_labels: {team: shop}
    ulimits: [{name: nofile, soft: 4096, hard: 8192}]
    health_check: {command: [CMD, /app/bin/health], interval_seconds: 10, retries: 5}
  placement:
    strategy: [spread-az, binpack-memory]
    constraints: [distinct-instance]
",
    );
    let td = only(&t, "AWS::ECS::TaskDefinition");
    let c = &td["Properties"]["ContainerDefinitions"][0];
    assert_eq!(c["Command"], json!(["serve", "--port", "80"]));
    assert_eq!(c["EntryPoint"], json!(["/app/bin/start"]));
    assert_eq!((&c["WorkingDirectory"], &c["User"]), (&json!("/app"), &json!("1000:1000")));
    assert_eq!(c["DockerLabels"], json!({"team": "shop"}));
    assert_eq!(c["Ulimits"], json!([{"HardLimit": 8192, "Name": "nofile", "SoftLimit": 4096}]));
    assert_eq!(
        c["HealthCheck"],
        json!({"Command": ["CMD", "/app/bin/health"], "Interval": 10, "Retries": 5, "Timeout": 5})
    );
    assert!(c.get("LinuxParameters").is_none(), "no init process without exec");
    let service = &only(&t, "AWS::ECS::Service")["Properties"];
    assert_eq!(
        service["PlacementStrategies"],
        json!([{"Field": "attribute:ecs.availability-zone", "Type": "spread"}, {"Field": "memory", "Type": "binpack"}])
    );
    assert_eq!(service["PlacementConstraints"], json!([{"Type": "distinctInstance"}]));
    assert!(default_template()["Resources"]["Ec2Service398F0E46"]["Properties"].get("PlacementStrategies").is_none());
}

/// ECS's event that the last task stopped on a draining instance of this cluster invokes the
/// drainer at once (the re-checks stay, for a missed event); the function knows the group and the
/// hook to complete the action by instance ID, and may ask Auto Scaling whose instance it is.
#[test]
fn the_last_tasks_stop_on_a_draining_instance_invokes_the_drainer() {
    let t = default_template();
    let rule = only(&t, "AWS::Events::Rule");
    assert_eq!(
        rule["Properties"]["EventPattern"],
        json!({"source": ["aws.ecs"], "detail-type": ["ECS Container Instance State Change"],
               "detail": {"clusterArn": [{"Fn::GetAtt": ["Ec2ClusterEE43E89D", "Arn"]}], "status": ["DRAINING"], "runningTasksCount": [0]}})
    );
    let function = "Ec2ClusterDefaultAutoScalingGroupDrainECSHookFunctionE0DEFB31";
    assert_eq!(rule["Properties"]["Targets"], json!([{"Arn": {"Fn::GetAtt": [function, "Arn"]}, "Id": "drainer"}]));
    let rule_id = resources_of_type(&t, "AWS::Events::Rule")[0].0.clone();
    let permissions = resources_of_type(&t, "AWS::Lambda::Permission");
    let from_events = permissions.iter().find(|(_, p)| p["Properties"]["Principal"] == "events.amazonaws.com").unwrap();
    assert_eq!(from_events.1["Properties"]["SourceArn"], json!({"Fn::GetAtt": [rule_id, "Arn"]}));
    let env = &t["Resources"][function]["Properties"]["Environment"]["Variables"];
    assert_eq!(env["AUTO_SCALING_GROUP_NAME"], json!({"Ref": "Ec2ClusterDefaultAutoScalingGroupASGC5A6D4C0"}));
    let hook = resources_of_type(&t, "AWS::AutoScaling::LifecycleHook")[0].0.clone();
    assert_eq!(env["LIFECYCLE_HOOK_NAME"], json!({"Ref": hook}));
    // Without a hook there is nothing to complete: no rule.
    let no_hook = synth("capacity: {task_drain_time_seconds: 0}");
    assert!(resources_of_type(&no_hook, "AWS::Events::Rule").is_empty());
}

/// An instance refresh instead of a rolling update: the policy CloudFormation starts it with,
/// protected instances refreshed too (managed draining drains them in ECS's own hook).
#[test]
fn an_instance_refresh_replaces_the_instances_as_configured() {
    let t = synth(
        "capacity:
  draining: managed
  update_policy: refresh
  refresh: {min_healthy_percent: 90, max_healthy_percent: 150, instance_warmup_seconds: 120, checkpoints: [20, 100], checkpoint_delay_seconds: 900, bake_time_seconds: 600, skip_matching: false, alarms: [shop-5xx]}",
    );
    let group = only(&t, "AWS::AutoScaling::AutoScalingGroup");
    assert_eq!(
        group["UpdatePolicy"],
        json!({
            "AutoScalingInstanceRefresh": {"Strategy": "Rolling", "Preferences": {
                "AlarmSpecification": {"Alarms": ["shop-5xx"]}, "BakeTime": 600, "CheckpointDelay": 900,
                "CheckpointPercentages": [20, 100], "InstanceWarmup": 120, "MaxHealthyPercentage": 150,
                "MinHealthyPercentage": 90, "ScaleInProtectedInstances": "Refresh", "SkipMatching": false}},
            "AutoScalingScheduledAction": {"IgnoreUnmodifiedGroupSizeProperties": true}
        })
    );
}

/// A canary release: the alternate target group the new revision starts on, a catch-all rule
/// forwarding to both groups by weight (the default route's, which ECS shifts), the role ECS
/// assumes to shift it, scoped to those, and the service's strategy settings; cfn-lint accepts it.
#[test]
fn a_canary_release_gets_what_ecs_shifts_traffic_with() {
    let t = synth(
        "service:
  desired_count: 2
  deployment:
    strategy: canary
    bake_time_minutes: 10
    canary: {percent: 10, bake_time_minutes: 5}
",
    );
    let service = only(&t, "AWS::ECS::Service");
    let deployment = &service["Properties"]["DeploymentConfiguration"];
    assert_eq!(deployment["Strategy"], "CANARY");
    assert_eq!(deployment["BakeTimeInMinutes"], 10);
    assert_eq!(deployment["CanaryConfiguration"], json!({"CanaryBakeTimeInMinutes": 5, "CanaryPercent": 10.0}));
    assert!(deployment.get("DeploymentCircuitBreaker").is_none(), "the circuit breaker is a rolling update's");
    let advanced = &service["Properties"]["LoadBalancers"][0]["AdvancedConfiguration"];
    let alternate = advanced["AlternateTargetGroupArn"]["Ref"].as_str().unwrap();
    let rule = advanced["ProductionListenerRule"]["Ref"].as_str().unwrap();
    assert_eq!(t["Resources"][alternate]["Type"], "AWS::ElasticLoadBalancingV2::TargetGroup");
    let forward = &t["Resources"][rule]["Properties"]["Actions"][0]["ForwardConfig"]["TargetGroups"];
    assert_eq!(forward[0]["Weight"], 100);
    assert_eq!(forward[1], json!({"TargetGroupArn": {"Ref": alternate}, "Weight": 0}));
    let role = advanced["RoleArn"]["Fn::GetAtt"][0].as_str().unwrap();
    assert_eq!(
        t["Resources"][role]["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["Service"],
        "ecs.amazonaws.com"
    );
}

#[test]
fn a_release_takes_test_traffic_runs_hooks_and_watches_its_own_alarms() {
    let t = synth(
        "services:
  web:
    deployment:
      strategy: linear
      test_listener_port: 8080
      auto_alarms: true
      alarms: [team-slo]
      hooks:
        - {stage: POST_TEST_TRAFFIC_SHIFT, function_arn: 'arn:aws:lambda:us-east-1:123456789012:function:smoke', timeout_minutes: 30}
        - {stage: PRE_SCALE_UP, function_arn: 'arn:aws:lambda:us-east-1:123456789012:function:smoke:live', on_timeout: continue}
  api:
    routing: {path_patterns: [/api/*], priority: 7}
    container: {name: api}
    deployment: {strategy: blue-green, test_listener_port: 8080}
",
    );
    let resources = &t["Resources"];
    // One test listener for both services, open to who may reach the production one, answering
    // 404 where no release's rule takes a request.
    let listeners = resources_of_type(&t, "AWS::ElasticLoadBalancingV2::Listener");
    let tests: Vec<_> = listeners.iter().filter(|(_, l)| l["Properties"]["Port"] == 8080).collect();
    assert_eq!(tests.len(), 1, "one listener per test port");
    let (test_listener, listener) = tests[0];
    assert_eq!(listener["Properties"]["Protocol"], "HTTP");
    assert_eq!(listener["Properties"]["DefaultActions"][0]["Type"], "fixed-response");
    let open_on_8080 = resources_of_type(&t, "AWS::EC2::SecurityGroup")
        .iter()
        .flat_map(|(_, g)| g["Properties"]["SecurityGroupIngress"].as_array().cloned().unwrap_or_default())
        .filter(|rule| rule["FromPort"] == 8080)
        .collect::<Vec<_>>();
    assert_eq!(open_on_8080.len(), 1, "{open_on_8080:?}");
    assert_eq!(open_on_8080[0]["CidrIp"], "0.0.0.0/0");

    let services = resources_of_type(&t, "AWS::ECS::Service");
    let service = |container: &str| {
        services.iter().find(|(_, s)| s["Properties"]["LoadBalancers"][0]["ContainerName"] == container).unwrap().1
    };
    for (container, conditions) in [
        ("web", json!([{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/*"]}}])),
        ("api", json!([{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/api/*"]}}])),
    ] {
        let advanced = &service(container)["Properties"]["LoadBalancers"][0]["AdvancedConfiguration"];
        let production = &resources[advanced["ProductionListenerRule"]["Ref"].as_str().unwrap()]["Properties"];
        let test = &resources[advanced["TestListenerRule"]["Ref"].as_str().unwrap()]["Properties"];
        assert_eq!(test["ListenerArn"], json!({"Ref": test_listener}), "{container}");
        // Both rules take the same requests and forward to both groups, which ECS shifts.
        assert_eq!(test["Conditions"], production["Conditions"], "{container}");
        assert_eq!(test["Conditions"], conditions, "{container}");
        assert_eq!(test["Priority"], production["Priority"], "{container}");
        assert_eq!(test["Actions"], production["Actions"], "{container}");
        // The role may modify both rules and both listeners, nothing else.
        let role = advanced["RoleArn"]["Fn::GetAtt"][0].as_str().unwrap();
        let (_, policy) = resources_of_type(&t, "AWS::IAM::Policy")
            .into_iter()
            .find(|(_, p)| p["Properties"]["Roles"][0]["Ref"] == role)
            .unwrap();
        let statements = policy["Properties"]["PolicyDocument"]["Statement"].as_array().unwrap();
        let modify_rule = statements.iter().find(|s| s["Action"] == "elasticloadbalancing:ModifyRule").unwrap();
        assert_eq!(modify_rule["Resource"], json!([advanced["ProductionListenerRule"], advanced["TestListenerRule"]]));
        let modify_listener = statements.iter().find(|s| s["Action"] == "elasticloadbalancing:ModifyListener").unwrap();
        assert_eq!(modify_listener["Resource"].as_array().unwrap()[1], json!({"Ref": test_listener}));
    }

    // The hooks, each at its stage, called with a role that may invoke those functions alone.
    let web = &service("web")["Properties"]["DeploymentConfiguration"];
    let hooks = web["LifecycleHooks"].as_array().unwrap();
    assert_eq!(hooks[0]["LifecycleStages"], json!(["POST_TEST_TRAFFIC_SHIFT"]));
    assert_eq!(hooks[0]["TimeoutConfiguration"], json!({"Action": "ROLLBACK", "TimeoutInMinutes": 30}));
    assert_eq!(hooks[1]["LifecycleStages"], json!(["PRE_SCALE_UP"]));
    assert!(hooks[1].get("TimeoutConfiguration").is_none(), "no timeout given, ECS's own");
    let hook_role = hooks[0]["RoleArn"]["Fn::GetAtt"][0].as_str().unwrap();
    assert_eq!(hooks[1]["RoleArn"], hooks[0]["RoleArn"]);
    assert_eq!(
        resources[hook_role]["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["Service"],
        "ecs.amazonaws.com"
    );
    let (_, hook_policy) = resources_of_type(&t, "AWS::IAM::Policy")
        .into_iter()
        .find(|(_, p)| p["Properties"]["Roles"][0]["Ref"] == hook_role)
        .unwrap();
    assert_eq!(
        hook_policy["Properties"]["PolicyDocument"]["Statement"],
        json!([{
            "Action": "lambda:InvokeFunction",
            "Effect": "Allow",
            "Resource": [
                "arn:aws:lambda:us-east-1:123456789012:function:smoke",
                "arn:aws:lambda:us-east-1:123456789012:function:smoke:live"
            ]
        }])
    );
    assert!(service("api")["Properties"]["DeploymentConfiguration"].get("LifecycleHooks").is_none());

    // The stack's two alarms join the team's own; each watches both of the service's groups.
    let names = web["Alarms"]["AlarmNames"].as_array().unwrap();
    assert_eq!(names[0], "team-slo");
    assert_eq!(names.len(), 3);
    let web_groups = {
        let lb = &service("web")["Properties"]["LoadBalancers"][0];
        BTreeSet::from([
            lb["TargetGroupArn"]["Ref"].as_str().unwrap().to_owned(),
            lb["AdvancedConfiguration"]["AlternateTargetGroupArn"]["Ref"].as_str().unwrap().to_owned(),
        ])
    };
    for name in &names[1..] {
        let alarm = &resources[name["Ref"].as_str().unwrap()];
        assert_eq!(alarm["Type"], "AWS::CloudWatch::Alarm");
        let metrics = alarm["Properties"]["Metrics"].as_array().unwrap();
        let watched: BTreeSet<String> = metrics
            .iter()
            .filter_map(|m| m["MetricStat"]["Metric"]["Dimensions"].as_array())
            .map(|d| d[1]["Value"]["Fn::GetAtt"][0].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(watched, web_groups, "{name}");
        let returned: Vec<_> = metrics.iter().filter(|m| m["ReturnData"] == true).collect();
        assert_eq!(returned.len(), 1, "an alarm watches one series");
        assert!(returned[0]["Expression"].as_str().unwrap().starts_with("MAX(["), "the worst group counts");
    }
    resource_count_is(&t, "AWS::CloudWatch::Alarm", 2);
}

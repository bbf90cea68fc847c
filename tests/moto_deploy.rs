//! Real deployments with the AWS CLI against a local moto server: every example creates, and a
//! changed configuration updates. moto's gaps (README, "Tested against moto") are checked by the
//! static tests instead.

mod common;

use std::path::Path;

use serde_json::{Value, json};

use common::{examples, only, repo_root, resources_of_type};
use testkit::moto::{CODE_BUCKET, IMAGE_PARAMETER, IMAGE_SSM_PATH, MOTO_SKIPS, Moto, placeholder_zip};

/// The logical ID of the template's one resource of `resource_type`.
fn id_of(template: &Value, resource_type: &str) -> String {
    let found = resources_of_type(template, resource_type);
    assert_eq!(found.len(), 1, "one {resource_type}");
    found[0].0.clone()
}

/// A listener rule condition's values, as ELB writes them for a path or a host condition.
fn condition_values(condition: &Value) -> Value {
    let config = if condition["Field"] == "path-pattern" { "PathPatternConfig" } else { "HostHeaderConfig" };
    condition[config]["Values"].clone()
}

/// The logical ID of the resource of `resource_type` whose ID contains `part`.
fn id_of_containing(template: &Value, resource_type: &str, part: &str) -> String {
    let found = resources_of_type(template, resource_type).into_iter().find(|(id, _)| id.contains(part));
    found.unwrap_or_else(|| panic!("no {resource_type} with {part} in its ID")).0.clone()
}

fn load(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// What moto holds for the stack's Auto Scaling group: (min, max, desired).
fn group_sizes(moto: &Moto, stack: &str, template: &Value) -> (u64, u64, u64) {
    let name = moto.physical_id(stack, &id_of(template, "AWS::AutoScaling::AutoScalingGroup"));
    let g = &moto.aws(&["autoscaling", "describe-auto-scaling-groups", "--auto-scaling-group-names", &name])["AutoScalingGroups"]
        [0];
    (g["MinSize"].as_u64().unwrap(), g["MaxSize"].as_u64().unwrap(), g["DesiredCapacity"].as_u64().unwrap())
}

fn listener(moto: &Moto, stack: &str, template: &Value) -> Value {
    let arn = moto.physical_id(stack, &id_of(template, "AWS::ElasticLoadBalancingV2::Listener"));
    moto.aws(&["elbv2", "describe-listeners", "--listener-arns", &arn])["Listeners"][0].clone()
}

fn load_balancer(moto: &Moto, stack: &str, template: &Value) -> Value {
    let arn = moto.physical_id(stack, &id_of(template, "AWS::ElasticLoadBalancingV2::LoadBalancer"));
    moto.aws(&["elbv2", "describe-load-balancers", "--load-balancer-arns", &arn])["LoadBalancers"][0].clone()
}

fn task_definition(moto: &Moto, stack: &str, template: &Value) -> Value {
    let arn = moto.physical_id(stack, &id_of(template, "AWS::ECS::TaskDefinition"));
    moto.aws(&["ecs", "describe-task-definition", "--task-definition", &arn])["taskDefinition"].clone()
}

fn service(moto: &Moto, stack: &str, template: &Value) -> Value {
    let cluster = moto.physical_id(stack, &id_of(template, "AWS::ECS::Cluster"));
    let arn = moto.physical_id(stack, &id_of(template, "AWS::ECS::Service"));
    moto.aws(&["ecs", "describe-services", "--cluster", &cluster, "--services", &arn])["services"][0].clone()
}

/// The types of the stack's resources that moto models (it lists the others without a type).
fn stack_types(moto: &Moto, stack: &str) -> Vec<String> {
    moto.stack_resources(stack).iter().filter_map(|r| r["ResourceType"].as_str().map(str::to_owned)).collect()
}

/// Every resource of the template is in the stack: those moto models by their logical ID, those
/// it skips (the README lists them) as anonymous entries.
fn assert_complete(moto: &Moto, stack: &str, template: &Value, status: &str, expected: &str) {
    assert_eq!(status, expected, "{stack}");
    let resources = template["Resources"].as_object().unwrap();
    let skipped = |r: &Value| MOTO_SKIPS.iter().any(|t| r["Type"] == *t);
    let mut expected_ids: Vec<&str> =
        resources.iter().filter(|(_, r)| !skipped(r)).map(|(id, _)| id.as_str()).collect();
    let listed = moto.stack_resources(stack);
    let mut listed_ids: Vec<&str> = listed.iter().filter_map(|r| r["LogicalResourceId"].as_str()).collect();
    expected_ids.sort();
    listed_ids.sort();
    assert_eq!(listed_ids, expected_ids, "{stack}: the resources moto models");
    let anonymous = listed.iter().filter(|r| r.get("LogicalResourceId").is_none()).count();
    assert_eq!(anonymous, resources.values().filter(|r| skipped(r)).count(), "{stack}: the resources moto skips");
}

#[test]
fn the_default_template_deploys_and_a_changed_config_updates_it() {
    let moto = Moto::start();
    moto.upload_placeholder_code();
    let path = repo_root().join("templates/default.json");
    let template = load(&path);

    // WHEN the default template is deployed as the README says
    let status = moto.deploy("bonjour", &path, &[]);

    // THEN the stack is complete and holds what the configuration asked for
    assert_complete(&moto, "bonjour", &template, &status, "CREATE_COMPLETE");
    // One instance, and room for a second during an update that replaces it (README).
    assert_eq!(group_sizes(&moto, "bonjour", &template), (1, 2, 1));

    let vpc = moto.physical_id("bonjour", &id_of(&template, "AWS::EC2::VPC"));
    let subnets = moto.aws(&["ec2", "describe-subnets", "--filters", &format!("Name=vpc-id,Values={vpc}")]);
    let mut cidrs: Vec<&str> =
        subnets["Subnets"].as_array().unwrap().iter().map(|s| s["CidrBlock"].as_str().unwrap()).collect();
    cidrs.sort();
    assert_eq!(cidrs, ["10.0.0.0/18", "10.0.128.0/18", "10.0.192.0/18", "10.0.64.0/18"]);

    let lt = moto.physical_id("bonjour", &id_of(&template, "AWS::EC2::LaunchTemplate"));
    let data = &moto.aws(&["ec2", "describe-launch-template-versions", "--launch-template-id", &lt])["LaunchTemplateVersions"]
        [0]["LaunchTemplateData"];
    assert_eq!(data["MetadataOptions"]["HttpTokens"], "required");
    assert_eq!(
        data["BlockDeviceMappings"][0]["Ebs"],
        json!({"Encrypted": true, "DeleteOnTermination": true, "VolumeSize": 30, "VolumeType": "gp3"})
    );
    assert_eq!(data["InstanceType"], "t2.micro");
    let image = moto.aws(&["ssm", "get-parameter", "--name", IMAGE_SSM_PATH])["Parameter"]["Value"].clone();
    assert_eq!(data["ImageId"], image, "the image comes from the public SSM parameter");

    let td = task_definition(&moto, "bonjour", &template);
    assert_eq!(td["networkMode"], "bridge");
    let container = &td["containerDefinitions"][0];
    assert_eq!(
        (&container["name"], &container["image"], &container["memory"]),
        (&json!("web"), &json!("amazon/amazon-ecs-sample"), &json!(512))
    );
    assert_eq!(container["portMappings"][0]["hostPort"], 0);

    let l = listener(&moto, "bonjour", &template);
    assert_eq!((&l["Port"], &l["Protocol"]), (&json!(80), &json!("HTTP")));
    assert_eq!(load_balancer(&moto, "bonjour", &template)["Scheme"], "internet-facing");
    let svc = service(&moto, "bonjour", &template);
    assert_eq!((&svc["desiredCount"], &svc["launchType"]), (&json!(1), &json!("EC2")));

    let function = moto.physical_id("bonjour", &id_of(&template, "AWS::Lambda::Function"));
    let config = moto.aws(&["lambda", "get-function-configuration", "--function-name", &function]);
    assert_eq!((&config["Runtime"], &config["Handler"]), (&json!("provided.al2023"), &json!("bootstrap")));
    let cluster = moto.physical_id("bonjour", &id_of(&template, "AWS::ECS::Cluster"));
    assert_eq!(config["Environment"]["Variables"]["CLUSTER"], json!(cluster));
    let group = moto.physical_id("bonjour", &id_of(&template, "AWS::AutoScaling::AutoScalingGroup"));
    assert_eq!(config["Environment"]["Variables"]["AUTO_SCALING_GROUP_NAME"], json!(group));

    // ECS's events for this cluster's draining instances reach the drainer.
    let rule = moto.physical_id("bonjour", &id_of(&template, "AWS::Events::Rule"));
    let described = moto.aws(&["events", "describe-rule", "--name", &rule]);
    let pattern: Value = serde_json::from_str(described["EventPattern"].as_str().unwrap()).unwrap();
    let cluster_arn =
        moto.aws(&["ecs", "describe-clusters", "--clusters", &cluster])["clusters"][0]["clusterArn"].clone();
    assert_eq!(pattern["detail"]["clusterArn"], json!([cluster_arn]));
    assert_eq!(pattern["detail"]["status"], json!(["DRAINING"]));
    let targets = moto.aws(&["events", "list-targets-by-rule", "--rule", &rule])["Targets"].clone();
    assert_eq!(targets[0]["Arn"], config["FunctionArn"]);

    let instance_sg = moto.physical_id("bonjour", "Ec2ClusterDefaultAutoScalingGroupInstanceSecurityGroup149B0A9E");
    let alb_sg = moto.physical_id("bonjour", "Ec2ServiceLBSecurityGroup45FED6DF");
    let sg = &moto.aws(&["ec2", "describe-security-groups", "--group-ids", &instance_sg])["SecurityGroups"][0];
    let ingress = sg["IpPermissions"].as_array().unwrap();
    assert_eq!(ingress.len(), 1, "only the ALB may reach the instances: {ingress:?}");
    assert_eq!((&ingress[0]["FromPort"], &ingress[0]["ToPort"]), (&json!(32768), &json!(65535)));
    assert_eq!(ingress[0]["UserIdGroupPairs"][0]["GroupId"], json!(alb_sg));

    // WHEN a changed configuration is deployed over it (moto needs the SSM-typed parameter
    // passed explicitly on an update)
    let changed = "capacity: {max_capacity: 3, desired_capacity: 2}\n\
                   load_balancer: {listener_port: 8080}\n\
                   service: {desired_count: 2, container: {image: 'nginx:1.27'}}\n";
    let dir = tempfile::tempdir().unwrap();
    let changed_path = dir.path().join("changed.json");
    let config = ecs_alb::config::load_str(changed, None).unwrap();
    let changed_template = ecs_alb::pattern::synthesize(&config, Default::default()).unwrap();
    std::fs::write(&changed_path, changed_template.to_json_pretty().unwrap()).unwrap();
    let status = moto.deploy("bonjour", &changed_path, &[format!("{IMAGE_PARAMETER}={IMAGE_SSM_PATH}")]);

    // THEN the stack is updated in place
    assert_complete(&moto, "bonjour", &template, &status, "UPDATE_COMPLETE");
    assert_eq!(group_sizes(&moto, "bonjour", &template), (1, 3, 2));
    assert_eq!(listener(&moto, "bonjour", &template)["Port"], 8080);
    assert!(
        task_definition(&moto, "bonjour", &template)["taskDefinitionArn"].as_str().unwrap().ends_with(":2"),
        "a new task definition revision was registered"
    );
}

/// The example's template, with the certificate and hosted zone it names (the user's own, in
/// real use) replaced by ones made in moto, which checks that both exist.
fn with_moto_certificate_and_zone(moto: &Moto, path: &Path, dir: &Path) -> std::path::PathBuf {
    let text = std::fs::read_to_string(path).unwrap();
    let template: Value = serde_json::from_str(&text).unwrap();
    let listener = resources_of_type(&template, "AWS::ElasticLoadBalancingV2::Listener")
        .into_iter()
        .find(|(_, l)| l["Properties"]["Protocol"] == "HTTPS")
        .expect("an HTTPS listener");
    let example_certificate = listener.1["Properties"]["Certificates"][0]["CertificateArn"].as_str().unwrap();
    let record = &only(&template, "AWS::Route53::RecordSet")["Properties"];
    let (example_zone, domain) = (record["HostedZoneId"].as_str().unwrap(), record["Name"].as_str().unwrap());

    let certificate = moto.aws(&["acm", "request-certificate", "--domain-name", domain])["CertificateArn"].clone();
    let parent = domain.split_once('.').unwrap().1;
    let zone = moto.aws(&["route53", "create-hosted-zone", "--name", parent, "--caller-reference", "ecs-alb-test"]);
    let zone_id = zone["HostedZone"]["Id"].as_str().unwrap().trim_start_matches("/hostedzone/");
    let replaced = text.replace(example_certificate, certificate.as_str().unwrap()).replace(example_zone, zone_id);
    let out = dir.join("https.json");
    std::fs::write(&out, replaced).unwrap();
    out
}

/// moto knows the ECS-optimized Amazon Linux images' public SSM parameters but not Bottlerocket's,
/// refuses to create one under `/aws/` (as AWS does), and resolves every default even when it is
/// overridden: the example's template, with a parameter of moto's own (holding an image moto has)
/// as the image's default. moto also wants a size for every volume, where AWS takes the image's
/// own for the OS volume left without one: the stand-in gives it 2 GiB, Bottlerocket's size.
fn with_stand_in_for_bottlerocket_image(moto: &Moto, path: &Path, dir: &Path) -> std::path::PathBuf {
    let text = std::fs::read_to_string(path).unwrap();
    let template: Value = serde_json::from_str(&text).unwrap();
    let parameter = template["Parameters"].as_object().unwrap().values().next().unwrap();
    let public = parameter["Default"].as_str().unwrap();
    assert!(public.starts_with("/aws/service/bottlerocket/"), "{parameter}");
    let image = moto.aws(&["ssm", "get-parameter", "--name", IMAGE_SSM_PATH])["Parameter"]["Value"].clone();
    let stand_in = "/ecs-alb-test/bottlerocket/image_id";
    moto.aws(&["ssm", "put-parameter", "--name", stand_in, "--type", "String", "--value", image.as_str().unwrap()]);
    let mut template: Value =
        serde_json::from_str(&text.replace(&format!("\"{public}\""), &format!("\"{stand_in}\""))).unwrap();
    for (_, lt) in template["Resources"]
        .as_object_mut()
        .unwrap()
        .iter_mut()
        .filter(|(_, r)| r["Type"] == "AWS::EC2::LaunchTemplate")
    {
        let os_volume = &mut lt["Properties"]["LaunchTemplateData"]["BlockDeviceMappings"][0]["Ebs"];
        assert!(os_volume.get("VolumeSize").is_none());
        os_volume["VolumeSize"] = json!(2);
    }
    let out = dir.join("bottlerocket.json");
    std::fs::write(&out, template.to_string()).unwrap();
    out
}

/// The rules of the mount targets' group (made by `with_moto_network`): (from port, to port,
/// source group) each.
fn mount_targets_rules(moto: &Moto, instances_group: &str) -> Vec<(i64, i64, String)> {
    let groups =
        moto.aws(&["ec2", "describe-security-groups", "--filters", "Name=group-name,Values=efs-mount-targets"]);
    let group = groups["SecurityGroups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| {
            // The mount targets' group of the VPC the instances are in.
            let vpc = g["VpcId"].clone();
            let instance_vpc = moto.aws(&["ec2", "describe-security-groups", "--group-ids", instances_group])
                ["SecurityGroups"][0]["VpcId"]
                .clone();
            vpc == instance_vpc
        })
        .expect("the mount targets' group");
    group["IpPermissions"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| {
            p["UserIdGroupPairs"].as_array().unwrap().iter().map(move |pair| {
                (
                    p["FromPort"].as_i64().unwrap(),
                    p["ToPort"].as_i64().unwrap(),
                    pair["GroupId"].as_str().unwrap().to_owned(),
                )
            })
        })
        .collect()
}

/// The rule that opens the mount targets to the instances belongs to the stack: it is one of the
/// stack's resources, refers to the instances' group (so CloudFormation deletes it before that
/// group), and the stack's deletion completes. (moto does not revoke an ingress rule when it
/// deletes the resource, the README says; on AWS the deletion revokes it.)
#[test]
fn the_stacks_nfs_rule_is_a_stack_resource_deleted_with_it() {
    let moto = Moto::start();
    moto.upload_placeholder_code();
    let dir = tempfile::tempdir().unwrap();
    let template = load(&repo_root().join("templates/production.json"));
    let path = with_moto_network(&moto, &repo_root().join("templates/production.json"), dir.path(), 11);
    let status = moto.deploy("production", &path, &[]);
    assert_complete(&moto, "production", &template, &status, "CREATE_COMPLETE");
    let instances_id = id_of_containing(&template, "AWS::EC2::SecurityGroup", "InstanceSecurityGroup");
    let instances = moto.physical_id("production", &instances_id);
    assert_eq!(mount_targets_rules(&moto, &instances), [(2049, 2049, instances.clone())]);
    let rule_id = id_of_containing(&template, "AWS::EC2::SecurityGroupIngress", "InstanceSecurityGrouptosg");
    assert_eq!(
        template["Resources"][&rule_id]["Properties"]["SourceSecurityGroupId"],
        json!({"Fn::GetAtt": [instances_id, "GroupId"]}),
        "deleted before the instances' group"
    );
    let listed = moto.stack_resources("production");
    assert!(listed.iter().any(|r| r["LogicalResourceId"] == rule_id.as_str()), "{listed:?}");
    moto.run(&["cloudformation", "delete-stack", "--stack-name", "production"]);
    moto.run(&["cloudformation", "wait", "stack-delete-complete", "--stack-name", "production"]);
}

/// The security group of the EFS mount targets in examples/production.yaml.
const EXAMPLE_MOUNT_TARGETS_GROUP: &str = "sg-0123456789abcdef0";

/// The example's template with its VPC and subnet IDs (the user's own, in real use) replaced by
/// a VPC and subnets made in moto: two public, two private.
/// `second_octet` keeps each example's VPC apart (10.N.0.0/16).
fn with_moto_network(moto: &Moto, path: &Path, dir: &Path, second_octet: u8) -> std::path::PathBuf {
    let mut text = std::fs::read_to_string(path).unwrap();
    let example = ecs_alb::config::load(&repo_root().join("examples/existing-vpc.yaml")).unwrap();
    let existing = example.vpc.existing.clone().expect("an existing VPC");
    let block = format!("10.{second_octet}.0.0/16");
    let vpc = moto.aws(&["ec2", "create-vpc", "--cidr-block", &block])["Vpc"]["VpcId"].as_str().unwrap().to_owned();
    text = text.replace(&existing.vpc_id, &vpc);
    let example_subnets = existing.public_subnet_ids.iter().chain(&existing.private_subnet_ids);
    for (i, example_subnet) in example_subnets.enumerate() {
        let zone = ["us-east-1a", "us-east-1b"][i % 2];
        let cidr = format!("10.{second_octet}.{i}.0/24");
        let subnet =
            moto.aws(&["ec2", "create-subnet", "--vpc-id", &vpc, "--cidr-block", &cidr, "--availability-zone", zone]);
        text = text.replace(example_subnet.as_str(), subnet["Subnet"]["SubnetId"].as_str().unwrap());
    }
    if text.contains(EXAMPLE_MOUNT_TARGETS_GROUP) {
        // The EFS mount targets' security group, as the user's network has it.
        let group = moto.aws(&[
            "ec2",
            "create-security-group",
            "--vpc-id",
            &vpc,
            "--group-name",
            "efs-mount-targets",
            "--description",
            "EFS mount targets",
        ]);
        text = text.replace(EXAMPLE_MOUNT_TARGETS_GROUP, group["GroupId"].as_str().unwrap());
    }
    let out = dir.join(path.file_name().unwrap());
    std::fs::write(&out, text).unwrap();
    out
}

#[test]
fn every_example_deploys() {
    let moto = Moto::start();
    moto.upload_placeholder_code();
    let dir = tempfile::tempdir().unwrap();
    for (name, _) in examples() {
        let mut path = repo_root().join(format!("templates/{name}.json"));
        let template = load(&path);
        if name == "https" {
            path = with_moto_certificate_and_zone(&moto, &path, dir.path());
        }
        if name == "existing-vpc" {
            path = with_moto_network(&moto, &path, dir.path(), 9);
        }
        if name == "production" {
            path = with_moto_network(&moto, &path, dir.path(), 10);
        }
        if name == "bottlerocket" {
            path = with_stand_in_for_bottlerocket_image(&moto, &path, dir.path());
        }
        let status = moto.deploy(&name, &path, &[]);
        assert_complete(&moto, &name, &template, &status, "CREATE_COMPLETE");

        let types = stack_types(&moto, &name);
        let count = |t: &str| types.iter().filter(|x| *x == t).count();
        match name.as_str() {
            "default" => {
                assert_eq!(count("AWS::Lambda::Function"), 1);
                assert_eq!(count("AWS::Logs::LogGroup"), 2, "the container's and the drainer's");
            }
            "private-alb" => {
                assert_eq!(load_balancer(&moto, &name, &template)["Scheme"], "internal");
                assert_eq!(listener(&moto, &name, &template)["Port"], 8080);
                assert_eq!(count("AWS::EC2::NatGateway"), 1);
                assert_eq!(service(&moto, &name, &template)["serviceName"], "internal-api");
            }
            "no-drain-hook" => {
                for absent in ["AWS::Lambda::Function", "AWS::SNS::Topic", "AWS::Lambda::Permission"] {
                    assert_eq!(count(absent), 0, "{absent}");
                }
                assert_eq!(count("AWS::Logs::LogGroup"), 1, "only the container's");
            }
            "three-az-large" => {
                assert_eq!(count("AWS::EC2::Subnet"), 6);
                assert_eq!(count("AWS::EC2::NatGateway"), 3);
                assert_eq!(group_sizes(&moto, &name, &template), (2, 6, 3));
                assert_eq!(service(&moto, &name, &template)["desiredCount"], 6);
                let vpc = moto.physical_id(&name, &id_of(&template, "AWS::EC2::VPC"));
                let vpc_tags = &moto.aws(&["ec2", "describe-vpcs", "--vpc-ids", &vpc])["Vpcs"][0]["Tags"];
                assert!(
                    vpc_tags.as_array().unwrap().contains(&json!({"Key": "team", "Value": "payments"})),
                    "{vpc_tags}"
                );
                let asg = moto.physical_id(&name, &id_of(&template, "AWS::AutoScaling::AutoScalingGroup"));
                let groups =
                    moto.aws(&["autoscaling", "describe-auto-scaling-groups", "--auto-scaling-group-names", &asg]);
                let group_tags = groups["AutoScalingGroups"][0]["Tags"].as_array().unwrap().clone();
                let cost = group_tags.iter().find(|t| t["Key"] == "cost-center").expect("the cost-center tag");
                assert_eq!((&cost["Value"], &cost["PropagateAtLaunch"]), (&json!("4711"), &json!(true)));
                // moto drops a service's Tags and PropagateTags (it reports NONE); tests/cfn_lint.rs
                // checks them on the template.
            }
            "custom-container" => {
                let container = &task_definition(&moto, &name, &template)["containerDefinitions"][0];
                assert_eq!(container["image"], "public.ecr.aws/nginx/nginx:1.27");
                assert_eq!(
                    (&container["memory"], &container["memoryReservation"], &container["cpu"]),
                    (&json!(256), &json!(128), &json!(256))
                );
                assert_eq!(
                    container["environment"],
                    json!([{"name": "LOG_LEVEL", "value": "info"}, {"name": "FEATURE_FLAGS", "value": "checkout,search"}])
                );
            }
            "private-image" => {
                let container = &task_definition(&moto, &name, &template)["containerDefinitions"][0];
                assert_eq!(container["image"], "123456789012.dkr.ecr.us-east-1.amazonaws.com/shop:1.4");
                assert_eq!(
                    container["secrets"],
                    json!([
                        {"name": "DATABASE_PASSWORD", "valueFrom": "arn:aws:secretsmanager:us-east-1:123456789012:secret:shop/db-AbCdEf:password::"},
                        {"name": "API_TOKEN", "valueFrom": "arn:aws:ssm:us-east-1:123456789012:parameter/shop/api-token"}
                    ])
                );
            }
            "safe-deployments" => {
                let group = moto.physical_id(&name, &id_of(&template, "AWS::ElasticLoadBalancingV2::TargetGroup"));
                let tg =
                    &moto.aws(&["elbv2", "describe-target-groups", "--target-group-arns", &group])["TargetGroups"][0];
                assert_eq!((&tg["HealthCheckPath"], &tg["HealthCheckIntervalSeconds"]), (&json!("/"), &json!(10)));
                assert_eq!((&tg["HealthyThresholdCount"], &tg["UnhealthyThresholdCount"]), (&json!(3), &json!(3)));
                assert_eq!(tg["Matcher"]["HttpCode"], "200-299");
                let bucket = moto.physical_id(&name, &id_of(&template, "AWS::S3::Bucket"));
                let encryption = moto.aws(&["s3api", "get-bucket-encryption", "--bucket", &bucket]);
                assert_eq!(
                    encryption["ServerSideEncryptionConfiguration"]["Rules"][0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"],
                    "AES256"
                );
                // moto ignores the bucket's public access block and its policy, and the load balancer's
                // attributes, from CloudFormation (README); tests/synth.rs checks them.
                // moto ignores TargetGroupAttributes from CloudFormation (it reports 300); tests/synth.rs checks them.
            }
            "https" => {
                let lb = moto.physical_id(&name, &id_of(&template, "AWS::ElasticLoadBalancingV2::LoadBalancer"));
                let mut listeners = moto.aws(&["elbv2", "describe-listeners", "--load-balancer-arn", &lb])["Listeners"]
                    .as_array()
                    .unwrap()
                    .clone();
                listeners.sort_by_key(|l| l["Port"].as_u64());
                let (http, https) = (&listeners[0], &listeners[1]);
                assert_eq!((&https["Port"], &https["Protocol"]), (&json!(443), &json!("HTTPS")));
                assert_eq!(https["SslPolicy"], "ELBSecurityPolicy-TLS13-1-2-2021-06");
                assert!(https["Certificates"][0]["CertificateArn"].as_str().unwrap().contains(":acm:"));
                assert_eq!((&http["Port"], &http["Protocol"]), (&json!(80), &json!("HTTP")));
                assert_eq!(
                    http["DefaultActions"][0]["RedirectConfig"],
                    json!({"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"})
                );
                let zones = moto.aws(&["route53", "list-hosted-zones"]);
                let zone = zones["HostedZones"][0]["Id"].as_str().unwrap();
                let records = moto.aws(&["route53", "list-resource-record-sets", "--hosted-zone-id", zone]);
                let alias = records["ResourceRecordSets"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|r| r["Type"] == "A")
                    .expect("the alias record");
                assert!(alias["Name"].as_str().unwrap().starts_with("app.example.com"), "{alias}");
                let dns_name = load_balancer(&moto, &name, &template)["DNSName"].as_str().unwrap().to_lowercase();
                let target = alias["AliasTarget"]["DNSName"].as_str().unwrap().to_lowercase();
                assert!(target.starts_with(&format!("dualstack.{dns_name}")), "{target} vs {dns_name}");
            }
            "autoscaling" => {
                // moto skips the scaling resources (README); the static tests check them.
                assert_eq!(group_sizes(&moto, &name, &template), (1, 4, 1));
                // No DesiredCount in the template: AWS starts a new service at 1 (moto at 0) and the
                // scaling raises it to its minimum.
                assert_eq!(service(&moto, &name, &template)["status"], "ACTIVE");
            }
            "graviton" => {
                let lt = moto.physical_id(&name, &id_of(&template, "AWS::EC2::LaunchTemplate"));
                let data = &moto.aws(&["ec2", "describe-launch-template-versions", "--launch-template-id", &lt])["LaunchTemplateVersions"]
                    [0]["LaunchTemplateData"];
                let arm_image = "/aws/service/ecs/optimized-ami/amazon-linux-2023/arm64/recommended/image_id";
                let image = moto.aws(&["ssm", "get-parameter", "--name", arm_image])["Parameter"]["Value"].clone();
                assert_eq!((&data["ImageId"], &data["InstanceType"]), (&image, &json!("t4g.small")));
            }
            "bottlerocket" => {
                let lt = moto.physical_id(&name, &id_of(&template, "AWS::EC2::LaunchTemplate"));
                let data = &moto.aws(&["ec2", "describe-launch-template-versions", "--launch-template-id", &lt])["LaunchTemplateVersions"]
                    [0]["LaunchTemplateData"];
                let devices: Vec<&Value> =
                    data["BlockDeviceMappings"].as_array().unwrap().iter().map(|d| &d["DeviceName"]).collect();
                assert_eq!(devices, [&json!("/dev/xvda"), &json!("/dev/xvdb")]);
            }
            "spot" => {
                let asg = moto.physical_id(&name, &id_of(&template, "AWS::AutoScaling::AutoScalingGroup"));
                let groups =
                    moto.aws(&["autoscaling", "describe-auto-scaling-groups", "--auto-scaling-group-names", &asg]);
                let policy = &groups["AutoScalingGroups"][0]["MixedInstancesPolicy"];
                let types: Vec<&Value> = policy["LaunchTemplate"]["Overrides"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|o| &o["InstanceType"])
                    .collect();
                assert_eq!(types, [&json!("t3.medium"), &json!("t3a.medium"), &json!("t2.medium")]);
                let distribution = &policy["InstancesDistribution"];
                assert_eq!(
                    (&distribution["OnDemandBaseCapacity"], &distribution["OnDemandPercentageAboveBaseCapacity"]),
                    (&json!(1), &json!(25))
                );
                assert_eq!(distribution["SpotMaxPrice"], "0.05");
            }
            "production" => {
                let td = task_definition(&moto, &name, &template);
                let (web, redis) = (&td["containerDefinitions"][0], &td["containerDefinitions"][1]);
                assert_eq!((&web["name"], &redis["name"]), (&json!("web"), &json!("redis")));
                assert_eq!(web["links"], json!(["redis"]));
                assert_eq!(web["dependsOn"], json!([{"containerName": "redis", "condition": "HEALTHY"}]));
                assert_eq!(web["healthCheck"]["command"], json!(["CMD-SHELL", "curl -f http://localhost/ || exit 1"]));
                assert_eq!((&web["healthCheck"]["startPeriod"], &web["stopTimeout"]), (&json!(10), &json!(60)));
                assert_eq!(web["ulimits"], json!([{"name": "nofile", "softLimit": 65536, "hardLimit": 65536}]));
                assert_eq!(
                    web["mountPoints"],
                    json!([{"sourceVolume": "shared", "containerPath": "/usr/share/nginx/html/shared", "readOnly": true}])
                );
                assert_eq!(web["linuxParameters"]["initProcessEnabled"], true);
                assert_eq!(redis["portMappings"], json!([]), "a sidecar's port is linked, not published");
                assert_eq!(redis["logConfiguration"]["options"]["awslogs-stream-prefix"], "redis");
                assert_eq!(td["volumes"][0]["name"], "shared");
                // The mount targets admit NFS from the instances' group, by the stack's own rule.
                let instances = moto.physical_id(
                    &name,
                    &id_of_containing(&template, "AWS::EC2::SecurityGroup", "InstanceSecurityGroup"),
                );
                let nfs_rule = mount_targets_rules(&moto, &instances);
                assert_eq!(nfs_rule, [(2049, 2049, instances.clone())]);
                let role = moto.physical_id(&name, &id_of_containing(&template, "AWS::IAM::Role", "TaskDefTaskRole"));
                let policy_name = id_of_containing(&template, "AWS::IAM::Policy", "TaskDefTaskRoleDefaultPolicy");
                let policy = moto.aws(&["iam", "get-role-policy", "--role-name", &role, "--policy-name", &policy_name]);
                let statements = policy["PolicyDocument"]["Statement"].as_array().unwrap().clone();
                let actions: Vec<String> = statements.iter().map(|s| s["Action"].to_string()).collect();
                assert_eq!(statements.len(), 4, "S3 twice, exec, EFS: {actions:?}");
                assert_eq!(statements[3]["Action"], "elasticfilesystem:ClientMount", "the one mount is read-only");
                // moto drops the EFS volume's configuration (it keeps the name), the service's
                // EnableExecuteCommand and placement, and the role's ManagedPolicyArns from
                // CloudFormation; tests/synth.rs checks them on the template, cfn-lint against
                // AWS's schemas.
            }
            "platform" => {
                let lb = moto.physical_id(&name, &id_of(&template, "AWS::ElasticLoadBalancingV2::LoadBalancer"));
                let listener = &moto.aws(&["elbv2", "describe-listeners", "--load-balancer-arn", &lb])["Listeners"][0];
                let groups = |service: &str| {
                    moto.physical_id(
                        &name,
                        &id_of_containing(&template, "AWS::ElasticLoadBalancingV2::TargetGroup", service),
                    )
                };
                assert_eq!(listener["DefaultActions"][0]["TargetGroupArn"], json!(groups("web")), "web takes the rest");
                let listener_arn = listener["ListenerArn"].as_str().unwrap();
                let rules = moto.aws(&["elbv2", "describe-rules", "--listener-arn", listener_arn])["Rules"].clone();
                let mut routed: Vec<(String, Value, Value)> = rules
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|r| r["IsDefault"] == false)
                    .map(|r| {
                        (
                            r["Priority"].as_str().unwrap().to_owned(),
                            condition_values(&r["Conditions"][0]),
                            r["Actions"][0]["TargetGroupArn"].clone(),
                        )
                    })
                    .collect();
                routed.sort_by_key(|r| r.0.parse::<u32>().unwrap());
                // The host rule first, each at the priority its name gives it.
                assert_eq!(
                    routed,
                    [
                        ("19961".to_owned(), json!(["admin.example.com"]), json!(groups("admin"))),
                        ("34942".to_owned(), json!(["/api/*"]), json!(groups("api"))),
                    ]
                );
                let api_group = &moto.aws(&["elbv2", "describe-target-groups", "--target-group-arns", &groups("api")])
                    ["TargetGroups"][0];
                assert_eq!(
                    (&api_group["HealthCheckPath"], &api_group["Matcher"]["HttpCode"]),
                    (&json!("/api/"), &json!("200-499"))
                );
                let cluster = moto.physical_id(&name, &id_of(&template, "AWS::ECS::Cluster"));
                let services =
                    moto.aws(&["ecs", "list-services", "--cluster", &cluster])["serviceArns"].as_array().unwrap().len();
                assert_eq!(services, 3, "one ECS service each");
            }
            "existing-vpc" => {
                for absent in ["AWS::EC2::VPC", "AWS::EC2::Subnet", "AWS::EC2::NatGateway", "AWS::EC2::Route"] {
                    assert_eq!(count(absent), 0, "{absent}");
                }
                let lb = load_balancer(&moto, &name, &template);
                let vpc = moto.aws(&["ec2", "describe-vpcs", "--filters", "Name=cidr,Values=10.9.0.0/16"])["Vpcs"][0]["VpcId"].clone();
                assert_eq!(lb["VpcId"], vpc, "the load balancer is in the existing VPC");
                let asg = moto.physical_id(&name, &id_of(&template, "AWS::AutoScaling::AutoScalingGroup"));
                let groups =
                    moto.aws(&["autoscaling", "describe-auto-scaling-groups", "--auto-scaling-group-names", &asg]);
                let zone_subnets = groups["AutoScalingGroups"][0]["VPCZoneIdentifier"].as_str().unwrap().to_owned();
                let private: Vec<String> = moto.aws(&[
                    "ec2",
                    "describe-subnets",
                    "--filters",
                    "Name=cidr-block,Values=10.9.2.0/24,10.9.3.0/24",
                ])["Subnets"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|s| s["SubnetId"].as_str().unwrap().to_owned())
                    .collect();
                assert_eq!(private.len(), 2);
                for subnet in private {
                    assert!(zone_subnets.contains(&subnet), "instances in the private subnets: {zone_subnets}");
                }
            }
            "managed-draining" => {
                for absent in ["AWS::Lambda::Function", "AWS::SNS::Topic", "AWS::SQS::Queue"] {
                    assert_eq!(count(absent), 0, "{absent}");
                }
                let asg = moto.physical_id(&name, &id_of(&template, "AWS::AutoScaling::AutoScalingGroup"));
                let groups =
                    moto.aws(&["autoscaling", "describe-auto-scaling-groups", "--auto-scaling-group-names", &asg]);
                assert_eq!(groups["AutoScalingGroups"][0]["NewInstancesProtectedFromScaleIn"], true);
                // moto skips the capacity provider and its association (README); tests/synth.rs checks them.
            }
            "no-nat" => {
                assert_eq!(count("AWS::EC2::NatGateway"), 0);
                assert_eq!(count("AWS::EC2::Subnet"), 2);
            }
            "canary" => {
                // The release's alternate group beside the primary, and the catch-all rule that
                // forwards to both by weight (moto does not shift them: only AWS releases).
                assert_eq!(count("AWS::ElasticLoadBalancingV2::TargetGroup"), 2);
                let lb = load_balancer(&moto, &name, &template);
                let listeners = moto.aws(&[
                    "elbv2",
                    "describe-listeners",
                    "--load-balancer-arn",
                    lb["LoadBalancerArn"].as_str().unwrap(),
                ]);
                // The production listener and the test one, each with the release's rule.
                let mut ports: Vec<i64> =
                    listeners["Listeners"].as_array().unwrap().iter().map(|l| l["Port"].as_i64().unwrap()).collect();
                ports.sort();
                assert_eq!(ports, [80, 8080]);
                for listener in listeners["Listeners"].as_array().unwrap() {
                    let listener_arn = listener["ListenerArn"].as_str().unwrap();
                    let rules = moto.aws(&["elbv2", "describe-rules", "--listener-arn", listener_arn])["Rules"].clone();
                    let rule = rules.as_array().unwrap().iter().find(|r| r["IsDefault"] == false);
                    let rule = rule.unwrap_or_else(|| panic!("the release's rule on port {}", listener["Port"]));
                    assert_eq!(rule["Priority"], "50000");
                    let weights: Vec<Value> = rule["Actions"][0]["ForwardConfig"]["TargetGroups"]
                        .as_array()
                        .map(|groups| groups.iter().map(|g| g["Weight"].clone()).collect())
                        .unwrap_or_default();
                    assert_eq!(weights, [json!(100), json!(0)], "{rule}");
                }
                // moto skips the alarms (MOTO_SKIPS); tests/synth.rs checks what they watch.
            }
            other => panic!("example {other} has no deployment assertions: add some"),
        }
    }
}

#[test]
fn the_yaml_template_deploys() {
    let moto = Moto::start();
    moto.upload_placeholder_code();
    let config = ecs_alb::config::load_str("{}", None).unwrap();
    let template = ecs_alb::pattern::synthesize(&config, Default::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("template.yaml");
    std::fs::write(&path, template.to_yaml().unwrap()).unwrap();
    let status = moto.deploy("yaml", &path, &[]);
    assert_complete(&moto, "yaml", &template.to_value().unwrap(), &status, "CREATE_COMPLETE");
}

#[test]
fn a_local_drainer_zip_is_packaged_by_the_aws_cli_and_deploys() {
    // GIVEN a template that names a local zip, as `ecs-alb synth --drainer-zip` writes it
    let moto = Moto::start();
    moto.upload_placeholder_code();
    let dir = tempfile::tempdir().unwrap();
    let zip = placeholder_zip(dir.path());
    let synthesized = dir.path().join("template.json");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ecs-alb"))
        .args(["synth", "--drainer-zip", zip.to_str().unwrap(), "-o", synthesized.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    // WHEN `aws cloudformation package` uploads it
    let packaged = dir.path().join("packaged.json");
    moto.run(&[
        "cloudformation",
        "package",
        "--template-file",
        synthesized.to_str().unwrap(),
        "--s3-bucket",
        CODE_BUCKET,
        "--output-template-file",
        packaged.to_str().unwrap(),
        "--use-json",
    ]);

    // THEN the function's code is an S3 object, and the stack deploys
    let template = load(&packaged);
    let code = &template["Resources"][id_of(&template, "AWS::Lambda::Function")]["Properties"]["Code"];
    assert_eq!(code["S3Bucket"], CODE_BUCKET, "{code}");
    assert!(code["S3Key"].is_string(), "{code}");
    let status = moto.deploy("packaged", &packaged, &[]);
    assert_complete(&moto, "packaged", &template, &status, "CREATE_COMPLETE");
}

/// A fourth service added to a deployed platform: the change set adds its resources and touches
/// none of the three others' (moto computes change sets from the templates, as AWS does for
/// resources whose properties do not change).
#[test]
fn a_new_service_leaves_the_deployed_ones_untouched() {
    let moto = Moto::start();
    moto.upload_placeholder_code();
    let path = repo_root().join("templates/platform.json");
    let template = load(&path);
    let status = moto.deploy("platform", &path, &[]);
    assert_complete(&moto, "platform", &template, &status, "CREATE_COMPLETE");

    let mut yaml = std::fs::read_to_string(repo_root().join("examples/platform.yaml")).unwrap();
    yaml.push_str("  docs:\n    routing: {path_patterns: [/docs/*]}\n    container: {name: docs, image: 'public.ecr.aws/nginx/nginx:stable', memory_limit_mib: 128}\n");
    let config = ecs_alb::config::load_str(&yaml, None).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let four = dir.path().join("platform-four.json");
    std::fs::write(&four, ecs_alb::pattern::synthesize(&config, Default::default()).unwrap().to_json_pretty().unwrap())
        .unwrap();
    let change_set = moto.change_set("platform", &four, &[]);
    let changes: Vec<(String, String)> = change_set["Changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["ResourceChange"]["Action"].as_str().unwrap().to_owned(),
                c["ResourceChange"]["LogicalResourceId"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert!(!changes.is_empty());
    for (action, id) in &changes {
        assert_eq!(action, "Add", "{id} is changed: {changes:?}");
        assert!(id.starts_with("docs") || id.contains("docsContainerLogsPolicy"), "{id} is not the new service's");
    }
}

/// `update_policy: refresh` on moto: the group is created with its instance refresh policy, and a
/// new instance type updates the stack in place. moto does not run instance refreshes (it accepts
/// the policy and updates the launch template); what a refresh does is AWS's, argued in the
/// README from AWS's pages, and cfn-lint checks the policy against CloudFormation's schema.
#[test]
fn an_instance_refresh_policy_deploys_and_updates() {
    let moto = Moto::start();
    moto.upload_placeholder_code();
    let dir = tempfile::tempdir().unwrap();
    let write = |instance_type: &str| {
        let config = format!(
            "stack_name: Refresh\ncapacity: {{instance_type: {instance_type}, min_capacity: 2, max_capacity: 3, update_policy: refresh, refresh: {{checkpoints: [50, 100], bake_time_seconds: 300}}}}\n"
        );
        let template =
            ecs_alb::pattern::synthesize(&ecs_alb::config::load_str(&config, None).unwrap(), Default::default())
                .unwrap()
                .to_json_pretty()
                .unwrap();
        let path = dir.path().join(format!("{instance_type}.json"));
        std::fs::write(&path, template).unwrap();
        path
    };
    let first = write("t3.micro");
    let template = load(&first);
    let group = &template["Resources"]["Ec2ClusterDefaultAutoScalingGroupASGC5A6D4C0"];
    assert_eq!(group["UpdatePolicy"]["AutoScalingInstanceRefresh"]["Strategy"], "Rolling");
    assert!(group["UpdatePolicy"].get("AutoScalingRollingUpdate").is_none(), "the two exclude each other");
    let status = moto.deploy("Refresh", &first, &[]);
    assert_complete(&moto, "Refresh", &template, &status, "CREATE_COMPLETE");
    let status = moto.deploy("Refresh", &write("t3.small"), &[format!("{IMAGE_PARAMETER}={IMAGE_SSM_PATH}")]);
    assert_eq!(status, "UPDATE_COMPLETE");
    let lt = moto.physical_id("Refresh", &id_of(&template, "AWS::EC2::LaunchTemplate"));
    let versions = moto.aws(&["ec2", "describe-launch-template-versions", "--launch-template-id", &lt]);
    let types: Vec<&str> = versions["LaunchTemplateVersions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["LaunchTemplateData"]["InstanceType"].as_str().unwrap())
        .collect();
    assert!(types.contains(&"t3.small"), "{types:?}");
}

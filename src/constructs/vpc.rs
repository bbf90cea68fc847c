//! The network: a VPC with a public subnet per availability zone and, when NAT gateways are
//! wanted, a private one; or a VPC that exists already, by its IDs.

use crate::cidr::Ipv4Cidr;
use crate::constructs::name_tag;
use crate::resources::ec2::{
    Eip, InternetGateway, NatGateway, Route, RouteTable, Subnet, SubnetRouteTableAssociation, VPCGatewayAttachment, Vpc,
};
use crate::template::{Handle, Intrinsic, List, Options, Scope, Tags, Template, TemplateError, Value};

const ANYWHERE: &str = "0.0.0.0/0";

/// The network the stack runs in: a VPC to create, or one that exists.
#[derive(Clone, Debug, PartialEq)]
pub enum NetworkProps {
    Create(VpcProps),
    Existing { vpc_id: String, public_subnet_ids: Vec<String>, private_subnet_ids: Vec<String> },
}

/// A VPC to create, its blocks worked out.
#[derive(Clone, Debug, PartialEq)]
pub struct VpcProps {
    pub cidr: Ipv4Cidr,
    /// One block per availability zone, in zone order.
    pub public_subnets: Vec<Ipv4Cidr>,
    /// Empty, or one block per zone; private subnets need NAT gateways to reach the internet.
    pub private_subnets: Vec<Ipv4Cidr>,
    /// Placed in the first zones' public subnets.
    pub nat_gateways: usize,
}

pub struct Network {
    pub vpc_id: Value<String>,
    public_subnet_ids: List<String>,
    private_subnet_ids: List<String>,
    /// What makes the created public subnets public: resources that need the internet from them
    /// depend on both.
    internet_routes: Vec<(Handle<Route>, Handle<SubnetRouteTableAssociation>)>,
}

/// What every subnet has, public or private.
struct SubnetBase {
    subnet: Handle<Subnet>,
    route_table: Handle<RouteTable>,
    association: Handle<SubnetRouteTableAssociation>,
}

#[derive(Clone, Copy)]
enum SubnetKind {
    /// With a route to the internet gateway; `instances_here` when the instances run in them.
    Public {
        instances_here: bool,
    },
    Private,
}

impl SubnetKind {
    fn name(self) -> &'static str {
        match self {
            SubnetKind::Public { .. } => "Public",
            SubnetKind::Private => "Private",
        }
    }

    /// Whether instances launched here get a public address.
    fn maps_public_ip(self) -> bool {
        matches!(self, SubnetKind::Public { instances_here: true })
    }
}

impl Network {
    pub fn build(t: &mut Template, scope: &Scope, props: &NetworkProps) -> Result<Network, TemplateError> {
        match props {
            NetworkProps::Create(props) => Network::create(t, scope, props),
            NetworkProps::Existing { vpc_id, public_subnet_ids, private_subnet_ids } => {
                let ids = |ids: &[String]| ids.iter().map(|id| id.clone().into()).collect();
                Ok(Network {
                    vpc_id: vpc_id.clone().into(),
                    public_subnet_ids: ids(public_subnet_ids),
                    private_subnet_ids: ids(private_subnet_ids),
                    internet_routes: Vec::new(),
                })
            }
        }
    }

    fn create(t: &mut Template, scope: &Scope, props: &VpcProps) -> Result<Network, TemplateError> {
        let vpc = t.add(
            &scope.child("Resource"),
            Vpc {
                cidr_block: Some(props.cidr.to_string().into()),
                enable_dns_hostnames: Some(true.into()),
                enable_dns_support: Some(true.into()),
                instance_tenancy: Some("default".into()),
                tags: Some(name_tag(scope.node_path())),
                ..Vpc::default()
            },
        )?;
        let igw = t.add(&scope.child("IGW"), InternetGateway { tags: Some(name_tag(scope.node_path())) })?;
        let attachment = t.add(
            &scope.child("VPCGW"),
            VPCGatewayAttachment {
                internet_gateway_id: Some(igw.internet_gateway_id().into()),
                vpc_id: vpc.vpc_id().into(),
                ..VPCGatewayAttachment::default()
            },
        )?;

        let mut public_subnets = Vec::new();
        let mut internet_routes = Vec::new();
        let mut nat_gateways: Vec<Handle<NatGateway>> = Vec::new();
        // Only the load balancer and the NAT gateways live in the public subnets, and both come
        // with addresses of their own; instances get one there only when they run there (no
        // private subnets), to reach ECS.
        let public_kind = SubnetKind::Public { instances_here: props.private_subnets.is_empty() };
        for (az, block) in (0..).zip(&props.public_subnets) {
            let subnet_scope = scope.child(format!("PublicSubnet{}", az + 1));
            let base = add_subnet(t, &subnet_scope, &vpc, az, *block, public_kind)?;
            let default_route = t.add_with(
                &subnet_scope.child("DefaultRoute"),
                Route {
                    destination_cidr_block: Some(ANYWHERE.into()),
                    gateway_id: Some(igw.internet_gateway_id().into()),
                    route_table_id: base.route_table.route_table_id().into(),
                    ..Route::default()
                },
                // A route to a gateway that is not yet attached fails.
                Options::new().depends_on(&attachment),
            )?;
            if az < props.nat_gateways {
                nat_gateways.push(add_nat_gateway(t, &subnet_scope, &base, &default_route)?);
            }
            public_subnets.push(base.subnet);
            internet_routes.push((default_route, base.association));
        }

        let mut private_subnets = Vec::new();
        for (az, block) in (0..).zip(&props.private_subnets) {
            let subnet_scope = scope.child(format!("PrivateSubnet{}", az + 1));
            let base = add_subnet(t, &subnet_scope, &vpc, az, *block, SubnetKind::Private)?;
            // A zone without its own NAT gateway uses the first zone's, as the CDK does.
            let nat = nat_gateways.get(az).or(nat_gateways.first());
            t.add(
                &subnet_scope.child("DefaultRoute"),
                Route {
                    destination_cidr_block: Some(ANYWHERE.into()),
                    nat_gateway_id: nat.map(|n| n.nat_gateway_id().into()),
                    route_table_id: base.route_table.route_table_id().into(),
                    ..Route::default()
                },
            )?;
            private_subnets.push(base.subnet);
        }

        let ids = |subnets: &[Handle<Subnet>]| subnets.iter().map(|s| s.subnet_id().into()).collect();
        Ok(Network {
            vpc_id: vpc.vpc_id().into(),
            public_subnet_ids: ids(&public_subnets),
            private_subnet_ids: ids(&private_subnets),
            internet_routes,
        })
    }

    pub fn public_subnet_ids(&self) -> List<String> {
        self.public_subnet_ids.clone()
    }

    /// Where instances and internal load balancers go: the private subnets, or the public ones
    /// when there are none.
    pub fn private_subnet_ids(&self) -> List<String> {
        if self.private_subnet_ids.is_empty() {
            return self.public_subnet_ids();
        }
        self.private_subnet_ids.clone()
    }

    /// What a public load balancer waits for: the created public subnets' internet routes (an
    /// existing network has its routes already).
    pub fn internet_routes(&self) -> Options {
        self.internet_routes
            .iter()
            .fold(Options::new(), |o, (route, association)| o.depends_on(route).depends_on(association))
    }
}

fn add_subnet(
    t: &mut Template,
    scope: &Scope,
    vpc: &Handle<Vpc>,
    az: usize,
    block: Ipv4Cidr,
    kind: SubnetKind,
) -> Result<SubnetBase, TemplateError> {
    let subnet = t.add(
        &scope.child("Subnet"),
        Subnet {
            availability_zone: Some(Intrinsic::availability_zone(az).into()),
            cidr_block: Some(block.to_string().into()),
            map_public_ip_on_launch: Some(kind.maps_public_ip().into()),
            tags: Some(
                Tags::new()
                    .with("aws-cdk:subnet-name", kind.name())
                    .with("aws-cdk:subnet-type", kind.name())
                    .with("Name", scope.node_path()),
            ),
            vpc_id: vpc.vpc_id().into(),
            ..Subnet::default()
        },
    )?;
    let route_table = t.add(
        &scope.child("RouteTable"),
        RouteTable { tags: Some(name_tag(scope.node_path())), vpc_id: vpc.vpc_id().into() },
    )?;
    let association = t.add(
        &scope.child("RouteTableAssociation"),
        SubnetRouteTableAssociation {
            route_table_id: route_table.route_table_id().into(),
            subnet_id: subnet.subnet_id().into(),
        },
    )?;
    Ok(SubnetBase { subnet, route_table, association })
}

fn add_nat_gateway(
    t: &mut Template,
    scope: &Scope,
    base: &SubnetBase,
    default_route: &Handle<Route>,
) -> Result<Handle<NatGateway>, TemplateError> {
    let eip = t.add(
        &scope.child("EIP"),
        Eip { domain: Some("vpc".into()), tags: Some(name_tag(scope.node_path())), ..Eip::default() },
    )?;
    t.add_with(
        &scope.child("NATGateway"),
        NatGateway {
            allocation_id: Some(eip.allocation_id().into()),
            subnet_id: Some(base.subnet.subnet_id().into()),
            tags: Some(name_tag(scope.node_path())),
            ..NatGateway::default()
        },
        // A NAT gateway in a subnet that cannot reach the internet yet never becomes available.
        Options::new().depends_on(default_route).depends_on(&base.association),
    )
}

//! What Kubernetes makes in AWS by itself, made here behind slipway's back through the SDK, as
//! the cloud controller manager and the EBS CSI driver would, tagged
//! `kubernetes.io/cluster/<name> = owned`: what destroy must remove before the network.

use aws_sdk_ec2::types::{IpPermission, ResourceType, Tag, TagSpecification, UserIdGroupPair};

use super::moto::Moto;

fn owned(kind: ResourceType, cluster_tag: &str) -> TagSpecification {
    TagSpecification::builder().resource_type(kind).tags(Tag::builder().key(cluster_tag).value("owned").build()).build()
}

/// A LoadBalancer Service's security group in `vpc`, and the rule the controller adds to the
/// nodes' group for it (NodePort 30080 from the load balancer); the group's ID.
pub fn load_balancer_group(moto: &Moto, vpc: &str, nodes_group: &str, cluster_tag: &str) -> String {
    let rt = super::rt();
    let ec2 = moto.ec2();
    let made = rt
        .block_on(
            ec2.create_security_group()
                .group_name("k8s-elb-a1b2c3")
                .description("Security group for Kubernetes ELB a1b2c3 (default/web)")
                .vpc_id(vpc)
                .tag_specifications(owned(ResourceType::SecurityGroup, cluster_tag))
                .send(),
        )
        .expect("the load balancer's security group");
    let group = made.group_id().expect("group id").to_string();
    let from_lb = IpPermission::builder()
        .ip_protocol("tcp")
        .from_port(30080)
        .to_port(30080)
        .user_id_group_pairs(UserIdGroupPair::builder().group_id(&group).build())
        .build();
    rt.block_on(ec2.authorize_security_group_ingress().group_id(nodes_group).ip_permissions(from_lb).send())
        .expect("the controller's rule on the nodes' group");
    group
}

/// A PersistentVolume's volume in us-east-1a, tagged with `cluster_tag`; its ID.
pub fn volume(moto: &Moto, cluster_tag: &str) -> String {
    let made = super::rt()
        .block_on(
            moto.ec2()
                .create_volume()
                .availability_zone("us-east-1a")
                .size(10)
                .tag_specifications(owned(ResourceType::Volume, cluster_tag))
                .send(),
        )
        .expect("a persistent volume");
    made.volume_id().expect("volume id").to_string()
}

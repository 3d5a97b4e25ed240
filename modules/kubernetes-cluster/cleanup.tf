# What Kubernetes makes in AWS by itself (a load balancer and its security group per
# LoadBalancer Service, a volume per PersistentVolume), tagged for the cluster: deleted by
# destroy after the instances and before the network, as `kops delete cluster` does, so that
# no leftover keeps a subnet or security group in use (DependencyViolation). The groups depend
# on it, and it on the network.
resource "aws_kubernetes_cluster_cleanup" "cluster" {
  cluster_name = var.name
  vpc_id       = aws_vpc.cluster.id
  depends_on = [
    aws_subnet.zone,
    aws_route_table_association.zone,
    aws_internet_gateway.cluster,
    aws_security_group.control_plane,
    aws_security_group.nodes,
    aws_vpc_security_group_ingress_rule.cluster,
  ]
}

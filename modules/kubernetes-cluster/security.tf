# Security groups with exactly the ports Kubernetes documents as required
# (https://kubernetes.io/docs/reference/networking/ports-and-protocols/), plus the CNI's
# overlay and SSH. kube-scheduler (10259) and kube-controller-manager (10257) listen for the
# node itself only, so no rule opens them. Egress stays AWS's default (everything).

resource "aws_security_group" "control_plane" {
  name        = "masters.${var.name}"
  description = "Kubernetes control plane of ${var.name}"
  vpc_id      = aws_vpc.cluster.id
  tags        = merge(local.tags, { Name = "masters.${var.name}" })
}

resource "aws_security_group" "nodes" {
  name        = "nodes.${var.name}"
  description = "Kubernetes nodes of ${var.name}"
  vpc_id      = aws_vpc.cluster.id
  tags        = merge(local.tags, { Name = "nodes.${var.name}" })
}

locals {
  # One entry per rule: [group, protocol, from port, to port, source, description], a source
  # being a CIDR or "sg:<group>". Groups are named by role, and the resource below maps a role
  # to its group's ID in its own body: an ID carried inside a for_each value would be known
  # only after apply, and slipway takes each.value from the plan.
  ingress_rules = merge(
    { for i, cidr in var.admin_access : "api-admin-${i}" => ["control_plane", "tcp", 6443, 6443, cidr, "Kubernetes API from admin_access"] },
    {
      # The network load balancer keeps clients' addresses: its health checks and everything
      # that reaches the API through it (nodes included) arrive from addresses in the VPC.
      "api-vpc"                                  = ["control_plane", "tcp", 6443, 6443, var.network_cidr, "Kubernetes API through the load balancer, and its health checks"]
      "api-nodes"                                = ["control_plane", "tcp", 6443, 6443, "sg:nodes", "Kubernetes API from the nodes"]
      "etcd"                                     = ["control_plane", "tcp", 2379, 2380, "sg:control_plane", "etcd client API and peers, between control-plane nodes"]
      "kubelet-control-plane"                    = ["control_plane", "tcp", 10250, 10250, "sg:control_plane", "Kubelet API of control-plane nodes, from the control plane"]
      "overlay-control-plane-from-control-plane" = ["control_plane", "udp", 8472, 8472, "sg:control_plane", "Pod network (Flannel VXLAN) between control-plane nodes"]
      "overlay-control-plane-from-nodes"         = ["control_plane", "udp", 8472, 8472, "sg:nodes", "Pod network (Flannel VXLAN) from the nodes"]
      "kubelet-nodes"                            = ["nodes", "tcp", 10250, 10250, "sg:control_plane", "Kubelet API of the nodes, from the control plane"]
      "kube-proxy-health"                        = ["nodes", "tcp", 10256, 10256, var.network_cidr, "kube-proxy health checks from load balancers"]
      "overlay-nodes-from-nodes"                 = ["nodes", "udp", 8472, 8472, "sg:nodes", "Pod network (Flannel VXLAN) between nodes"]
      "overlay-nodes-from-control-plane"         = ["nodes", "udp", 8472, 8472, "sg:control_plane", "Pod network (Flannel VXLAN) from the control plane"]
      "nodeport-tcp-vpc"                         = ["nodes", "tcp", 30000, 32767, var.network_cidr, "NodePort Services (TCP) from load balancers in the VPC"]
      "nodeport-udp-vpc"                         = ["nodes", "udp", 30000, 32767, var.network_cidr, "NodePort Services (UDP) from load balancers in the VPC"]
    },
    { for i, cidr in var.admin_access : "nodeport-tcp-admin-${i}" => ["nodes", "tcp", 30000, 32767, cidr, "NodePort Services (TCP) from admin_access"] },
    { for i, cidr in var.admin_access : "nodeport-udp-admin-${i}" => ["nodes", "udp", 30000, 32767, cidr, "NodePort Services (UDP) from admin_access"] },
    { for i, cidr in local.ssh_access : "ssh-control-plane-${i}" => ["control_plane", "tcp", 22, 22, cidr, "SSH from ssh_access"] },
    { for i, cidr in local.ssh_access : "ssh-nodes-${i}" => ["nodes", "tcp", 22, 22, cidr, "SSH from ssh_access"] },
  )

  group_ids = { control_plane = aws_security_group.control_plane.id, nodes = aws_security_group.nodes.id }
}

resource "aws_vpc_security_group_ingress_rule" "cluster" {
  for_each                     = local.ingress_rules
  security_group_id            = local.group_ids[each.value[0]]
  ip_protocol                  = each.value[1]
  from_port                    = each.value[2]
  to_port                      = each.value[3]
  cidr_ipv4                    = startswith(each.value[4], "sg:") ? null : each.value[4]
  referenced_security_group_id = lookup(local.group_ids, trimprefix(each.value[4], "sg:"), null)
  # moto 5.1.22 reports no description on rules that reference a group (AWS does): those
  # carry theirs in a tag, which both keep.
  description = startswith(each.value[4], "sg:") ? null : each.value[5]
  tags        = merge(local.tags, { Name = "${each.key}.${var.name}", Description = each.value[5] })
}

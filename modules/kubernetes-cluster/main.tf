# A Kubernetes cluster on AWS as `kops create cluster` + `kops update cluster --yes` make it,
# bootstrapped with kubeadm, as one plan: every AWS object, the cluster's PKI and the kubeadm
# join data are known (or shown as known after apply) before anything is created.
#
#   network.tf      VPC, a subnet per zone, internet gateway, routes
#   security.tf     security groups and exactly the ports Kubernetes documents
#   iam.tf          roles, least-privilege policies and instance profiles
#   pki.tf          CAs, service-account key, admin client certificate, bootstrap token
#   state_store.tf  the cluster spec and CA bundle in the S3 state store
#   api.tf          the API's network load balancer and the api.<name> record
#   control_plane.tf, nodes.tf  launch templates and Auto Scaling groups, cloud-init user data
#   cleanup.tf      destroy removes what Kubernetes made in AWS (load balancers, volumes)
#   outputs.tf      api_endpoint, kubeconfig, cluster_ca, node groups, network ids

terraform {
  required_providers {
    aws    = { source = "hashicorp/aws" }
    tls    = { source = "hashicorp/tls" }
    random = { source = "hashicorp/random" }
  }
}

# kops keeps --master-size as an alias of --control-plane-size; so does this module.
check "master_size_is_deprecated" {
  assert {
    condition     = var.master_size == null
    error_message = "master_size is deprecated: use control_plane_size (as kops renamed --master-size to --control-plane-size). When both are set, control_plane_size wins."
  }
}

data "aws_ami" "ubuntu" {
  count       = var.image == null ? 1 : 0
  owners      = ["099720109477"] # Canonical
  most_recent = true
  # Server images of LTS releases only (YY.04 with an even YY).
  name_regex = "^ubuntu/images/[^/]+/ubuntu-[a-z]+-[0-9][02468]\\.04-amd64-server-[0-9.]+$"
  filter {
    name   = "name"
    values = ["ubuntu/images/*ubuntu-*-amd64-server-*"]
  }
  filter {
    name   = "architecture"
    values = ["x86_64"]
  }
}

locals {
  cluster_tag        = "kubernetes.io/cluster/${var.name}"
  tags               = merge(var.tags, { (local.cluster_tag) = "owned", KubernetesCluster = var.name })
  control_plane_size = coalesce(var.control_plane_size, var.master_size, "t3.medium")
  image              = var.image != null ? var.image : one(data.aws_ami.ubuntu[*].id)
  bucket             = trimsuffix(trimprefix(var.state_store, "s3://"), "/")
  ssh_access         = var.ssh_access == null ? var.admin_access : var.ssh_access
  # kubeadm and the apt repository name versions without the v.
  version       = trimprefix(var.kubernetes_version, "v")
  minor_version = join(".", slice(split(".", local.version), 0, 2))

  # gossip clusters (*.k8s.local) and clusters without a zone have no DNS record, as in kops.
  use_dns = var.dns_zone != null && !endswith(var.name, ".k8s.local")
  api_dns = "api.${var.name}"
  # AWS names of at most 32 characters: letters, digits and hyphens.
  lb_name = trimsuffix(substr("api-${replace(var.name, ".", "-")}", 0, 32), "-")

  # One control-plane node per zone, as kops places them; with fewer zones than nodes, the
  # zones repeat and the names get an index.
  control_plane = [
    for i in range(var.control_plane_count) : {
      zone = var.zones[i % length(var.zones)]
      name = (
        length(var.zones) >= var.control_plane_count
        ? "control-plane-${var.zones[i % length(var.zones)]}"
        : "control-plane-${var.zones[i % length(var.zones)]}-${i + 1}"
      )
      subnet = i % length(var.zones)
    }
  ]
}

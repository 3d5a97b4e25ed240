# The network layout of a small Kubernetes cluster, as `kops create cluster --zones ...` would
# lay it out: one public and one private subnet per zone, carved from one VPC range.
#
#   slipway -chdir=examples/cluster-network validate
#   echo 'local.subnets' | slipway -chdir=examples/cluster-network console

variable "cluster_name" {
  type    = string
  default = "demo.k8s.local"
}

variable "vpc_cidr" {
  type    = string
  default = "10.20.0.0/16"

  validation {
    condition     = can(cidrnetmask(var.vpc_cidr))
    error_message = "vpc_cidr must be an IPv4 range such as 10.20.0.0/16."
  }
}

variable "zones" {
  type    = list(string)
  default = ["us-east-1a", "us-east-1b", "us-east-1c"]
}

variable "node" {
  type = object({
    count         = optional(number, 2)
    instance_type = optional(string, "t3.medium")
  })
  default = {}
}

locals {
  # Public subnets take the first /20s, private ones start halfway through the range.
  subnets = merge(
    { for i, zone in var.zones : "public-${zone}" => { zone = zone, cidr = cidrsubnet(var.vpc_cidr, 4, i), public = true } },
    { for i, zone in var.zones : "private-${zone}" => { zone = zone, cidr = cidrsubnet(var.vpc_cidr, 4, i + 8), public = false } },
  )
  tags = {
    "KubernetesCluster"                         = var.cluster_name
    "kubernetes.io/cluster/${var.cluster_name}" = "owned"
  }
}

resource "aws_vpc" "cluster" {
  cidr_block           = var.vpc_cidr
  enable_dns_hostnames = true
  tags                 = merge(local.tags, { Name = var.cluster_name })
}

resource "aws_subnet" "cluster" {
  for_each                = local.subnets
  vpc_id                  = aws_vpc.cluster.id
  availability_zone       = each.value.zone
  cidr_block              = each.value.cidr
  map_public_ip_on_launch = each.value.public
  tags                    = merge(local.tags, { Name = "${each.key}.${var.cluster_name}" })
}

resource "aws_instance" "node" {
  count         = var.node.count
  ami           = "ami-1e749f67"
  instance_type = var.node.instance_type
  subnet_id     = aws_subnet.cluster["private-${var.zones[count.index % length(var.zones)]}"].id
  tags          = merge(local.tags, { Name = "nodes-${count.index}.${var.cluster_name}" })
}

output "subnet_cidrs" {
  value = { for name, subnet in local.subnets : name => subnet.cidr }
}

# The network kops lays out for a public topology: a VPC, a /19 per zone starting at the
# second one (172.20.32.0/19, 172.20.64.0/19, ...), an internet gateway and one public route
# table. The cluster tag on the subnets is what the AWS cloud provider looks for when it
# places a Service's load balancer.

resource "aws_vpc" "cluster" {
  cidr_block           = var.network_cidr
  enable_dns_support   = true
  enable_dns_hostnames = true
  tags                 = merge(local.tags, { Name = var.name })
}

resource "aws_subnet" "zone" {
  count                   = length(var.zones)
  vpc_id                  = aws_vpc.cluster.id
  cidr_block              = cidrsubnet(var.network_cidr, 3, count.index + 1)
  availability_zone       = var.zones[count.index]
  map_public_ip_on_launch = true
  tags = merge(local.tags, {
    Name                     = "${var.zones[count.index]}.${var.name}"
    "kubernetes.io/role/elb" = "1"
  })
}

resource "aws_internet_gateway" "cluster" {
  vpc_id = aws_vpc.cluster.id
  tags   = merge(local.tags, { Name = var.name })
}

resource "aws_route_table" "cluster" {
  vpc_id = aws_vpc.cluster.id
  route {
    cidr_block = "0.0.0.0/0"
    gateway_id = aws_internet_gateway.cluster.id
  }
  tags = merge(local.tags, { Name = var.name, "kubernetes.io/kops/role" = "public" })
}

resource "aws_route_table_association" "zone" {
  count          = length(var.zones)
  subnet_id      = aws_subnet.zone[count.index].id
  route_table_id = aws_route_table.cluster.id
}

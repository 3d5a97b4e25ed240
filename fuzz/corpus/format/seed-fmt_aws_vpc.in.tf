terraform {
required_version = ">= 1.5"
required_providers {
aws = {
source = "hashicorp/aws"
version = "~> 5.0"
}
}
}

provider "aws" {
region = var.region
default_tags {
tags = local.common_tags
}
}

locals {
  az_count = length(var.azs)
  common_tags = {
    Project = var.project
    ManagedBy = "terraform"
  }
}

resource "aws_vpc" "main" {
cidr_block = var.vpc_cidr
enable_dns_support = true
enable_dns_hostnames = true
tags = merge(local.common_tags, {
Name = "${var.project}-vpc"
})
}

resource "aws_subnet" "public" {
count = local.az_count
vpc_id = aws_vpc.main.id
cidr_block = cidrsubnet(var.vpc_cidr, 8, count.index)
availability_zone = var.azs[count.index]
map_public_ip_on_launch = true

tags = {
Name = "${var.project}-public-${count.index}"
Tier = "public"
}
}

resource "aws_route_table" "public" {
vpc_id = aws_vpc.main.id
route {
cidr_block = "0.0.0.0/0"
gateway_id = aws_internet_gateway.main.id
}
}

resource "aws_security_group" "web" {
name_prefix = "web-"
vpc_id = aws_vpc.main.id

dynamic "ingress" {
for_each = var.ingress_ports
content {
from_port = ingress.value
to_port = ingress.value
protocol = "tcp"
cidr_blocks = ["0.0.0.0/0"]
}
}

lifecycle {
create_before_destroy = true
}
}

output "subnet_ids" {
value = aws_subnet.public[*].id
description = "IDs"
}

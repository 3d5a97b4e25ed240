# A whole cluster network on AWS, as `kops create cluster --zones a,b,c --control-plane-count 3`
# lays it out: a VPC with a public subnet in each of three zones, an internet gateway and its
# route, security groups for the control plane and the nodes, an SSH key, three control-plane
# instances, and the nodes as an Auto Scaling group behind a network load balancer.
#
# The provider block names no endpoint: the AWS SDK's own AWS_ENDPOINT_URL variable points the
# same file at the local AWS (scripts/bench-apply, tests/aws_whole_network.rs) or at AWS.

variable "region" {
  type    = string
  default = "us-east-1"
}

variable "name" {
  type    = string
  default = "demo"
}

variable "node_count" {
  type    = number
  default = 2
}

variable "public_key" {
  type    = string
  default = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINdamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea admin@example"
}

provider "aws" {
  region = var.region
  default_tags {
    tags = {
      Cluster = var.name
    }
  }
}

data "aws_availability_zones" "available" {
  state = "available"
}

resource "aws_vpc" "main" {
  cidr_block           = "10.50.0.0/16"
  enable_dns_hostnames = true
  tags = {
    Name = var.name
  }
}

resource "aws_subnet" "public" {
  count                   = 3
  vpc_id                  = aws_vpc.main.id
  cidr_block              = cidrsubnet(aws_vpc.main.cidr_block, 4, count.index)
  availability_zone       = data.aws_availability_zones.available.names[count.index]
  map_public_ip_on_launch = true
  tags = {
    Name = "${var.name}-public-${count.index}"
  }
}

resource "aws_internet_gateway" "gw" {
  vpc_id = aws_vpc.main.id
}

resource "aws_route_table" "public" {
  vpc_id = aws_vpc.main.id
  route {
    cidr_block = "0.0.0.0/0"
    gateway_id = aws_internet_gateway.gw.id
  }
}

resource "aws_route_table_association" "public" {
  count          = 3
  subnet_id      = aws_subnet.public[count.index].id
  route_table_id = aws_route_table.public.id
}

resource "aws_security_group" "control_plane" {
  name   = "${var.name}-control-plane"
  vpc_id = aws_vpc.main.id
  ingress {
    description = "Kubernetes API"
    from_port   = 6443
    to_port     = 6443
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
  ingress {
    description = "SSH"
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_security_group" "nodes" {
  name   = "${var.name}-nodes"
  vpc_id = aws_vpc.main.id
  ingress {
    description     = "Everything from the control plane"
    from_port       = 0
    to_port         = 0
    protocol        = "-1"
    security_groups = [aws_security_group.control_plane.id]
  }
}

resource "aws_key_pair" "admin" {
  key_name   = "${var.name}-admin"
  public_key = var.public_key
}

resource "aws_instance" "control_plane" {
  count                  = 3
  ami                    = "ami-1e749f67"
  instance_type          = "t3.medium"
  subnet_id              = aws_subnet.public[count.index].id
  vpc_security_group_ids = [aws_security_group.control_plane.id]
  key_name               = aws_key_pair.admin.key_name
  user_data              = "#cloud-config\nhostname: ${var.name}-control-plane-${count.index}\n"
  tags = {
    Name = "${var.name}-control-plane-${count.index}"
  }
}

resource "aws_launch_template" "nodes" {
  name_prefix            = "${var.name}-nodes-"
  image_id               = "ami-1e749f67"
  instance_type          = "t3.medium"
  key_name               = aws_key_pair.admin.key_name
  vpc_security_group_ids = [aws_security_group.nodes.id]
  update_default_version = true
}

resource "aws_lb" "api" {
  name               = "${var.name}-api"
  load_balancer_type = "network"
  internal           = false
  subnets            = aws_subnet.public[*].id
}

resource "aws_lb_target_group" "api" {
  name     = "${var.name}-api"
  port     = 6443
  protocol = "TCP"
  vpc_id   = aws_vpc.main.id
}

resource "aws_lb_listener" "api" {
  load_balancer_arn = aws_lb.api.arn
  port              = 6443
  protocol          = "TCP"
  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.api.arn
  }
}

resource "aws_autoscaling_group" "nodes" {
  name                = "${var.name}-nodes"
  min_size            = var.node_count
  max_size            = var.node_count + 1
  desired_capacity    = var.node_count
  vpc_zone_identifier = aws_subnet.public[*].id
  target_group_arns   = [aws_lb_target_group.api.arn]
  launch_template {
    id      = aws_launch_template.nodes.id
    version = "$Latest"
  }
  tag {
    key                 = "Name"
    value               = "${var.name}-node"
    propagate_at_launch = true
  }
}

output "vpc_id" {
  value = aws_vpc.main.id
}

output "api_endpoint" {
  value = aws_lb.api.dns_name
}

output "control_plane_ips" {
  value = aws_instance.control_plane[*].private_ip
}

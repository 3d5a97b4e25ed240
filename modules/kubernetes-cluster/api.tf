# The Kubernetes API behind a network load balancer (as kops puts it for an HA control
# plane), so that its address is known before the control plane boots and can go into the
# API server's certificate; with a DNS zone, api.<name> points at it.

resource "aws_lb" "api" {
  name               = local.lb_name
  load_balancer_type = "network"
  internal           = false
  subnets            = aws_subnet.zone[*].id
  tags               = local.tags
}

resource "aws_lb_target_group" "api" {
  name     = local.lb_name
  port     = 6443
  protocol = "TCP"
  vpc_id   = aws_vpc.cluster.id
  health_check {
    protocol            = "TCP"
    interval            = 10
    healthy_threshold   = 2
    unhealthy_threshold = 2
  }
  tags = local.tags
}

resource "aws_lb_listener" "api" {
  load_balancer_arn = aws_lb.api.arn
  port              = 6443
  protocol          = "TCP"
  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.api.arn
  }
  tags = local.tags
}

data "aws_route53_zone" "cluster" {
  count = local.use_dns ? 1 : 0
  name  = var.dns_zone
}

resource "aws_route53_record" "api" {
  count   = local.use_dns ? 1 : 0
  zone_id = data.aws_route53_zone.cluster[0].zone_id
  name    = local.api_dns
  type    = "A"
  alias {
    name                   = aws_lb.api.dns_name
    zone_id                = aws_lb.api.zone_id
    evaluate_target_health = false
  }
}

locals {
  # What kubeadm, the nodes and the kubeconfig use; the load balancer's name is always in the
  # API server's certificate, so either works.
  api_host     = local.use_dns ? local.api_dns : aws_lb.api.dns_name
  api_endpoint = "https://${local.api_host}:6443"
  cert_sans    = compact([local.api_dns, aws_lb.api.dns_name])
}

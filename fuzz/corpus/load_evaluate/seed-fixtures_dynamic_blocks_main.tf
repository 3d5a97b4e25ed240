variable "rules" {
  default = [
    { port = 80, cidr = "0.0.0.0/0" },
    { port = 443, cidr = "0.0.0.0/0" },
  ]
}

resource "aws_security_group" "web" {
  name = "web"

  dynamic "ingress" {
    for_each = var.rules
    content {
      from_port   = ingress.value.port
      to_port     = ingress.value.port
      cidr_blocks = [ingress.value.cidr]
    }
  }

  dynamic "egress" {
    for_each = { all = -1 }
    iterator = rule
    content {
      protocol = rule.value
      name     = rule.key
    }
  }

  egress {
    protocol = "tcp"
  }
}

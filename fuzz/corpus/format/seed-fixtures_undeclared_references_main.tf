variable "region" {}

locals {
  a = var.regoin
  b = local.nmae
  name = "x"
  c = aws_vpc.mian.id
  d = module.nope.out
  e = path.nowhere
  f = nosuchthing
}

resource "aws_vpc" "main" {}

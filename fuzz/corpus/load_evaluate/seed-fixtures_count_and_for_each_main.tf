variable "subnets" {
  default = {
    a = "10.0.1.0/24"
    b = "10.0.2.0/24"
  }
}

resource "aws_instance" "web" {
  count         = 3
  ami           = "ami-123"
  instance_type = "t3.micro"
  tags = {
    Name = "web-${count.index}"
  }
}

resource "aws_subnet" "s" {
  for_each   = var.subnets
  cidr_block = each.value
  tags       = { Zone = each.key }
}

resource "aws_eip" "none" {
  count = 0
}

locals {
  web_ids = aws_instance.web[*].id
  subnet_a = aws_subnet.s["a"].id
}

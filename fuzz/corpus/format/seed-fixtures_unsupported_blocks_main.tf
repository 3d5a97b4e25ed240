resourse "aws_vpc" "main" {}

variable "x" {
  typo    = string
  default = 1
}

output "o" {
  valeu = 1
}

top_level = 1

resource "aws_vpc" "dup" {}
resource "aws_vpc" "dup" {}

module "m" {}

resource "null_resource" "a" {}

resource "aws_instance" "neg" {
  count = -1
}

resource "aws_instance" "str" {
  count = "many"
}

resource "aws_instance" "unknown" {
  count = null_resource.a.id
}

resource "aws_instance" "list_each" {
  for_each = ["a", "b"]
}

resource "aws_instance" "both" {
  count    = 1
  for_each = {}
}

resource "aws_instance" "stray" {
  name = each.key
  idx  = count.index
}

resource "a" "b" {
  for_each = { for k, v in var.m : k => v if v.enabled }
  name = each.key
  value = each.value.x

  provisioner "local-exec" {
    command = "echo ${self.id} > file"
  }
}
module "m" {
  source = "./m"
  providers = {
    aws = aws.west
  }
  depends_on = [aws_vpc.main]
}

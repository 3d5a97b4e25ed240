foo {
bar = <<EOT
Foo bar baz
   indented ${ var.x }
EOT
baz = <<-EOT
    keep   this
  ${{ blahblahblah = x }}
    EOT
short = 1
}
policy = <<POLICY
{
  "Version": "2012-10-17"
}
POLICY
x = 1
a = <<EOT
line ${var.x} more
$${escaped}
EOT
b = <<-EOT
  x
  EOT
c = 2
d = [<<EOT
in list
EOT
,
"x"]
e = jsonencode({
  a = 1
})
f = templatefile("x.tpl", {
  a = <<EOT
nested heredoc
EOT
  bb = 2
})
user_data = <<-EOF
  #!/bin/bash
  %{ for s in var.servers ~}
  echo ${s}
  %{ endfor ~}
  echo ${join(",",
    var.list)}
  EOF
other = 1

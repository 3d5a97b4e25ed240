block "a\"b" "c\\d" {}
a = /* lead */ "${var.x}"
c = "${var.a}${var.b}"
d = "${ var.x }" # c
e = "${var.x}"/* c */
f = [
  "${var.x}",
]
g = {
  k = "${var.x}"
}
ua = "${var.x}" == "y" ? 1 : 2
ub = "${var.list}"[0]
uc = "${upper("x")}"
ud = "${var.a ? "x" : "y"}"
ue = "${var.a}"
uf = "${
  var.a
  ? 1
  : 2
}"
ug = "${(
  var.a
)}"
variable "nested" {
  type = "string"
  inner {
    type = "string"
  }
}
module "m" {
  type = "string"
}
type = "string"

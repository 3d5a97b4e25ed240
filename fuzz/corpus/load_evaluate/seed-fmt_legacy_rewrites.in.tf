variable "a" {
  type = "string"
  default = "${var.x}"
}
variable "b" {
type = "list"
}
variable "c" { type = "map" }
variable "d" {
  type = list
}
resource aws_instance web {
  ami = "${var.ami}"
  name = "${var.a}-${var.b}"
  tag = "prefix-${var.c}"
  nested = "${foo("${bar}")}"
  cond = "${var.x ? 1 : 2}"
  multi = "${
    var.x
  }"
  mcond = "${var.x
    ? 1 : 2}"
}
locals {
  obj = { a = "${var.z}" }
}
a = "${var.x}" # comment
b = "${var.y}" /* c */
c = "${var.z}"
variable "v" {
  type = "string" # legacy
  description = "${var.d}"
}
variable "w" {
  type = object({
    a = string
    bbb = number
  })
  validation {
    condition = "${var.w != null}"
    error_message = "bad"
  }
}

variable "ids" {
  type = list(string)
}

resource "null_resource" "a" {}

locals {
  unknown_id   = null_resource.a.id
  plus_one     = null_resource.a.id + 1
  in_template  = "id-${null_resource.a.id}"
  in_list      = [null_resource.a.id, "known"]
  conditional  = null_resource.a.id == "x" ? "a" : "b"
  short_and    = false && null_resource.a.id == "x"
  short_or     = true || null_resource.a.id == "x"
  for_over     = [for s in var.ids : "${s}-suffix"]
  index_unk    = ["a", "b"][null_resource.a.id]
  splat_unk    = null_resource.a[*].id
}

locals {
  list     = ["a", "b", "c"]
  map      = { x = 1, y = 2, z = 3 }
  marked   = [for s in local.list : "${s}!"]
  indexed  = [for i, s in local.list : "${i}:${s}"]
  filtered = [for k, v in local.map : k if v > 1]
  to_obj   = { for k, v in local.map : "key_${k}" => v * 10 }
  grouped  = { for s in ["apple", "avocado", "banana"] : (s == "banana" ? "b" : "a") => s... }
  nested   = [for outer in [[1, 2], [3]] : [for inner in outer : inner * 2]]
}

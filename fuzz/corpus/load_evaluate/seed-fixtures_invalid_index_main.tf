locals {
  list    = ["a"]
  out     = local.list[5]
  missing = { a = 1 }["b"]
  setidx  = local.list[0].nope
}

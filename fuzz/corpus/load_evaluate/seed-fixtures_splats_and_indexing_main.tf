locals {
  servers = [
    { name = "a", ports = [80, 443] },
    { name = "b", ports = [22] },
  ]
  names      = local.servers[*].name
  full_splat = local.servers.*.name
  first_port = local.servers[0].ports[1]
  legacy     = local.servers.1.name
  by_key     = { a = "x" }["a"]
  string_idx = ["zero", "one"]["1"]
  single     = { name = "solo" }[*].name
  null_splat = null[*]
}

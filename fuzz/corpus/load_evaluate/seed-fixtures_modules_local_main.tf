module "net" {
  source = "./modules/net"
  cidr   = "10.1.0.0/16"
  name   = "prod"
}

module "per_zone" {
  source   = "./modules/net"
  for_each = { a = "10.2.0.0/16", b = "10.3.0.0/16" }
  cidr     = each.value
  name     = each.key
}

module "bad" {
  source = "./modules/net"
  cidr   = "10.4.0.0/16"
  nmae   = "x"
}

output "net_summary" {
  value = module.net.summary
}

output "zone_names" {
  value = [for k, m in module.per_zone : m.summary]
}

variable "token" {
  type      = string
  sensitive = true
  default   = "s3cr3t"
}

output "leaks" {
  value = "token=${var.token}"
}

output "ok" {
  value     = var.token
  sensitive = true
}

output "plain" {
  value       = "public"
  description = "Nothing secret here."
}

variable "port" {
  type    = number
  default = "8080"
}

variable "service" {
  type = object({
    name     = string
    replicas = optional(number, 2)
    labels   = optional(map(string), {})
    tls      = optional(bool)
  })
}

variable "zones" {
  type    = set(string)
  default = ["b", "a", "b"]
}

variable "password" {
  type      = string
  sensitive = true
  default   = "hunter2"
}

variable "nothing" {
  type     = string
  default  = null
  nullable = true
}

locals {
  port_plus = var.port + 1
  service   = var.service
  zones     = var.zones
  secret    = var.password
  greeting  = "pw: ${var.password}"
}

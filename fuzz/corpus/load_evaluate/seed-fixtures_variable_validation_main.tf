variable "env" {
  type = string
  validation {
    condition     = var.env == "prod" || var.env == "staging"
    error_message = "env must be prod or staging."
  }
}

variable "count_ok" {
  type    = number
  default = 3
  validation {
    condition     = var.count_ok > 0
    error_message = "count_ok must be positive."
  }
}

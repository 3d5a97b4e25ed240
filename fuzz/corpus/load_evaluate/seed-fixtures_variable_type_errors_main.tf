variable "port" {
  type = number
}

variable "required" {
  type = string
}

variable "tags" {
  type = map(string)
}

variable "bad_type" {
  type = "string"
}

variable "bad_keyword" {
  type = strng
}

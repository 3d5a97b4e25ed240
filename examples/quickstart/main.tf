# A first run of slipway with the built-in providers only: nothing leaves this machine.
# It renders a cluster inventory from variables, writes it to a file, and generates a join
# token the way the cluster module will.
#
#   scripts/quickstart          (or: cd examples/quickstart && slipway init && slipway apply)

variable "cluster_name" {
  type    = string
  default = "demo.k8s.local"
}

variable "node_count" {
  type    = number
  default = 2

  validation {
    condition     = var.node_count >= 1 && var.node_count <= 50
    error_message = "node_count must be between 1 and 50."
  }
}

resource "random_string" "token_id" {
  length  = 6
  special = false
  upper   = false
}

resource "random_password" "token_secret" {
  length  = 16
  special = false
  upper   = false
}

resource "terraform_data" "node" {
  count = var.node_count
  input = {
    name = format("%s-node-%02d", var.cluster_name, count.index + 1)
    zone = element(["us-east-1a", "us-east-1b"], count.index)
  }
}

resource "local_file" "inventory" {
  filename        = "${path.module}/inventory.yaml"
  file_permission = "0644"
  content = yamlencode({
    cluster = var.cluster_name
    nodes   = terraform_data.node[*].output
  })
}

resource "local_sensitive_file" "join_token" {
  filename = "${path.module}/join-token"
  content  = "${random_string.token_id.result}.${random_password.token_secret.result}"
}

output "nodes" {
  value = terraform_data.node[*].output.name
}

output "join_token" {
  value     = local_sensitive_file.join_token.content
  sensitive = true
}

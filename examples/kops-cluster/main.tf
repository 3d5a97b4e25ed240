# The course's cluster, line for line:
#
#   kops create cluster --name=k8s.example.com --state=s3://your-kops-state-store --zones=us-east-1a \
#     --node-count=2 --node-size=t2.micro --master-size=t2.micro --dns-zone=k8s.example.com
#   kops update cluster k8s.example.com --yes
#
# is this module block and `slipway apply`. README.md maps every kops command to slipway's.
# No endpoint is named here: AWS_ENDPOINT_URL points the same file at the local AWS
# (examples/quickstart.sh) or, unset, at AWS.

provider "aws" {
  region = "us-east-1"
}

module "cluster" {
  source = "../../modules/kubernetes-cluster"

  name        = "k8s.example.com"            # --name=k8s.example.com
  state_store = "s3://your-kops-state-store" # --state=s3://your-kops-state-store
  zones       = ["us-east-1a"]               # --zones=us-east-1a
  node_count  = var.node_count               # --node-count=2
  node_size   = "t2.micro"                   # --node-size=t2.micro
  master_size = "t2.micro"                   # --master-size=t2.micro (deprecated alias, as in kops)
  dns_zone    = "k8s.example.com"            # --dns-zone=k8s.example.com

  # kops installs ~/.ssh/id_rsa.pub when --ssh-public-key is not given; so does this.
  ssh_public_key = try(file(pathexpand("~/.ssh/id_rsa.pub")), null)
}

# `kops edit ig nodes` + `kops update cluster --yes` become `slipway apply -var node_count=3`.
variable "node_count" {
  type    = number
  default = 2
}

output "api_endpoint" {
  value = module.cluster.api_endpoint
}

output "kubeconfig" {
  value     = module.cluster.kubeconfig
  sensitive = true
}

output "node_group_names" {
  value = module.cluster.node_group_names
}

output "vpc_id" {
  value = module.cluster.vpc_id
}

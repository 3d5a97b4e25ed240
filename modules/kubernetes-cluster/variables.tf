# Inputs, named after the `kops create cluster` flags they stand for (--name, --zones,
# --node-count, --node-size, --control-plane-size, --master-size, --control-plane-count,
# --kubernetes-version, --dns-zone, --network-cidr, --ssh-public-key, --admin-access,
# --ssh-access, --node-volume-size, --image, --state, --cloud-labels).

variable "name" {
  description = "Cluster name (kops --name), e.g. k8s.example.com; a name ending in .k8s.local means no DNS."
  type        = string
  validation {
    condition     = can(regex("^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$", var.name)) && length(var.name) <= 63
    error_message = "The cluster name must be a DNS name of lowercase letters, digits, hyphens and dots, at most 63 characters (kops --name), e.g. k8s.example.com."
  }
}

variable "zones" {
  description = "Availability zones (kops --zones); one subnet each, nodes spread over all of them."
  type        = list(string)
  validation {
    condition     = length(var.zones) > 0 && length(var.zones) == length(distinct(var.zones))
    error_message = "Give at least one availability zone, each once (kops --zones=us-east-1a,us-east-1b)."
  }
}

variable "node_count" {
  description = "Number of worker nodes (kops --node-count)."
  type        = number
  default     = 2
  validation {
    condition     = var.node_count >= 0 && floor(var.node_count) == var.node_count
    error_message = "node_count must be a whole number, 0 or more."
  }
}

variable "node_size" {
  description = "EC2 instance type of the nodes (kops --node-size)."
  type        = string
  default     = "t3.medium"
}

variable "control_plane_size" {
  description = "EC2 instance type of the control plane (kops --control-plane-size). Wins over master_size."
  type        = string
  default     = null
}

variable "master_size" {
  description = "Deprecated alias of control_plane_size, as kops keeps --master-size. Used only when control_plane_size is not set."
  type        = string
  default     = null
}

variable "control_plane_count" {
  description = "Control-plane nodes (kops --control-plane-count): 1, or 3 for a highly available etcd."
  type        = number
  default     = 1
  validation {
    condition     = contains([1, 3], var.control_plane_count)
    error_message = "control_plane_count must be 1 or 3: etcd needs an odd number of members, and 3 survives the loss of one."
  }
}

variable "kubernetes_version" {
  description = "Kubernetes version (kops --kubernetes-version), MAJOR.MINOR.PATCH; kubelet, kubeadm and kubectl are pinned to it."
  type        = string
  default     = "1.31.4"
  validation {
    condition     = can(regex("^v?1\\.(3[1-9]|[4-9][0-9])\\.[0-9]+$", var.kubernetes_version))
    error_message = "kubernetes_version must be MAJOR.MINOR.PATCH, 1.31.0 or newer (the kubeadm v1beta4 configuration the module writes), e.g. 1.31.4."
  }
}

variable "dns_zone" {
  description = "Route 53 hosted zone that gets api.<name> (kops --dns-zone). Null, or a name ending in .k8s.local: no DNS; the API is the load balancer's address."
  type        = string
  default     = null
}

variable "network_cidr" {
  description = "The VPC's CIDR block (kops --network-cidr); each zone gets a /19 of a /16, as kops lays it out."
  type        = string
  default     = "172.20.0.0/16"
  validation {
    condition     = can(cidrhost(var.network_cidr, 0))
    error_message = "network_cidr must be an IPv4 CIDR block such as 172.20.0.0/16."
  }
}

variable "ssh_public_key" {
  description = "OpenSSH public key installed for the ubuntu user (the contents of kops --ssh-public-key's file). Null: no key pair."
  type        = string
  default     = null
}

variable "admin_access" {
  description = "CIDR blocks allowed to reach the Kubernetes API and NodePorts (kops --admin-access)."
  type        = list(string)
  default     = ["0.0.0.0/0"]
}

variable "ssh_access" {
  description = "CIDR blocks allowed to SSH to the instances (kops --ssh-access); null means admin_access. Empty: no SSH rule."
  type        = list(string)
  default     = null
}

variable "node_volume_size" {
  description = "Root volume size of each node, GiB (kops --node-volume-size)."
  type        = number
  default     = 128
}

variable "control_plane_volume_size" {
  description = "Root volume size of each control-plane node, GiB (kops --control-plane-volume-size)."
  type        = number
  default     = 64
}

variable "etcd_volume_size" {
  description = "Size of each control-plane node's etcd volume, GiB (kops etcdMembers volumeSize; 20 as kops)."
  type        = number
  default     = 20
}

variable "image" {
  description = "AMI ID for every instance (kops --image). Null: the most recent Ubuntu LTS server image from Canonical, found with aws_ami."
  type        = string
  default     = null
}

variable "state_store" {
  description = "Existing S3 bucket of the state store (kops --state), as NAME or s3://NAME; the cluster's spec and CA bundle go under <name>/."
  type        = string
  validation {
    condition     = can(regex("^(s3://)?[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/?$", var.state_store))
    error_message = "state_store must be an S3 bucket name, optionally as s3://NAME (kops --state=s3://my-state-store)."
  }
}

variable "tags" {
  description = "Tags on every AWS object the cluster owns (kops --cloud-labels)."
  type        = map(string)
  default     = {}
}

variable "cni_manifest_url" {
  description = "The CNI applied after kubeadm init (kops --networking); Flannel by default, whose pod network is pod_cidr."
  type        = string
  default     = "https://github.com/flannel-io/flannel/releases/download/v0.26.1/kube-flannel.yml"
}

variable "pod_cidr" {
  description = "The pods' network (kubeadm podSubnet); must match the CNI manifest (Flannel: 10.244.0.0/16)."
  type        = string
  default     = "10.244.0.0/16"
}

variable "service_cidr" {
  description = "The Services' network (kubeadm serviceSubnet)."
  type        = string
  default     = "10.96.0.0/12"
}

# How a new node size, image or Kubernetes version reaches the running nodes (kops
# rolling-update): the control-plane nodes first, one at a time, then a share of the nodes at a time (min_healthy_percentage of the group stays in
# service; at least one node goes per step), each drained first, the next step only once the
# replacements are Ready nodes (node_timeout each). slipway reaches the API server at api_url,
# by default api_endpoint; set it when that address does not route from where slipway runs (an
# SSH tunnel, a bastion, a private zone).
variable "rolling_update" {
  description = "How running nodes are rolled onto a new launch template: min_healthy_percentage of the node group (90), node_timeout (15m), api_url (default api_endpoint)."
  type = object({
    min_healthy_percentage = optional(number, 90)
    node_timeout           = optional(string, "15m")
    api_url                = optional(string)
  })
  default = {}
}

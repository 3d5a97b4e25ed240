# The course's first lesson: never a bare Pod. A Deployment declares how many replicas of nginx
# should run; its ReplicaSet keeps that many Pods alive. Scaling is editing `replicas` (or
# `-var replicas=3`) and applying again: the plan shows `replicas: 1 -> 3` first.
#
# The cluster is whatever the kubeconfig points at. With modules/kubernetes-cluster in the same
# configuration, set host, cluster_ca_certificate, client_certificate and client_key from the
# module's outputs instead: the plan then defers these objects until the cluster answers.

provider "kubernetes" {
  config_path    = var.kubeconfig
  config_context = var.context
}

resource "kubernetes_manifest" "nginx" {
  manifest = yamldecode(templatefile("${path.module}/deployment.yaml", { replicas = var.replicas }))

  # Apply waits until the rollout finished: every replica updated, ready and available.
  wait {
    rollout = true
  }
}

variable "replicas" {
  type    = number
  default = 1
}

variable "kubeconfig" {
  type    = string
  default = "~/.kube/config"
}

variable "context" {
  type    = string
  default = null
}

output "replicas" {
  value = kubernetes_manifest.nginx.object.spec.replicas
}

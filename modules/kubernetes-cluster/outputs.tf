output "api_endpoint" {
  description = "The Kubernetes API's URL: https://api.<name>:6443 with a DNS zone, else the load balancer's address."
  value       = local.api_endpoint
}

output "cluster_ca" {
  description = "The cluster CA certificate (PEM): what a client trusts the API with."
  value       = local.cluster_ca
}

output "discovery_token_ca_cert_hash" {
  description = "kubeadm's --discovery-token-ca-cert-hash for this cluster's CA."
  value       = local.discovery_hash
}

output "kubeconfig" {
  description = "Admin kubeconfig (system:masters), built from a client certificate slipway signs with the cluster CA."
  sensitive   = true
  value = yamlencode({
    apiVersion = "v1"
    kind       = "Config"
    clusters = [{
      name = var.name
      cluster = {
        server                       = local.api_endpoint
        "certificate-authority-data" = base64encode(local.cluster_ca)
      }
    }]
    users = [{
      name = "${var.name}-admin"
      user = {
        "client-certificate-data" = base64encode(tls_locally_signed_cert.admin.cert_pem)
        "client-key-data"         = base64encode(tls_private_key.admin.private_key_pem)
      }
    }]
    contexts = [{
      name    = var.name
      context = { cluster = var.name, user = "${var.name}-admin" }
    }]
    "current-context" = var.name
  })
}

output "client_certificate" {
  description = "The admin client certificate (PEM), for a kubernetes provider block in the same configuration."
  value       = tls_locally_signed_cert.admin.cert_pem
}

output "client_key" {
  description = "The admin client certificate's private key (PEM)."
  sensitive   = true
  value       = tls_private_key.admin.private_key_pem
}

output "control_plane_group_names" {
  description = "The control plane's Auto Scaling groups, one per control-plane node."
  value       = aws_autoscaling_group.control_plane[*].name
}

output "node_group_names" {
  description = "The node groups' Auto Scaling groups."
  value       = [aws_autoscaling_group.nodes.name]
}

output "vpc_id" {
  value = aws_vpc.cluster.id
}

output "subnet_ids" {
  description = "One subnet per zone, in the order of zones."
  value       = aws_subnet.zone[*].id
}

output "security_group_ids" {
  value = { control_plane = aws_security_group.control_plane.id, nodes = aws_security_group.nodes.id }
}

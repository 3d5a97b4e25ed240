# The cluster's PKI and join data, made by slipway so that everything a node needs to join is
# known before any instance starts (kubeadm's "external CA" layout with the CA keys present):
# the cluster CA, the front-proxy CA, the etcd CA and the service-account key pair go to every
# control-plane node, which lets the others join with --control-plane without upload-certs.
# Nodes get only the bootstrap token and the CA's discovery hash.

locals {
  ca_validity_hours = 10 * 365 * 24
  ca_uses           = ["cert_signing", "crl_signing", "digital_signature", "key_encipherment"]
}

locals {
  cas = toset(["kubernetes", "front-proxy", "etcd"])
}

resource "tls_private_key" "ca" {
  for_each    = local.cas
  algorithm   = "ECDSA"
  ecdsa_curve = "P256"
}

resource "tls_self_signed_cert" "ca" {
  for_each        = local.cas
  private_key_pem = tls_private_key.ca[each.key].private_key_pem
  subject {
    common_name = each.key == "kubernetes" ? "kubernetes" : "${each.key}-ca"
  }
  is_ca_certificate     = true
  set_subject_key_id    = true
  validity_period_hours = local.ca_validity_hours
  allowed_uses          = local.ca_uses
}

# kube-apiserver verifies and kube-controller-manager signs ServiceAccount tokens with it
# (ES256; kubeadm makes the same with encryptionAlgorithm ECDSA-P256). ECDSA keeps the first
# control-plane node's user data well under EC2's 16 KiB, where RSA would not leave room.
resource "tls_private_key" "service_account" {
  algorithm   = "ECDSA"
  ecdsa_curve = "P256"
}

# The admin kubeconfig's identity: in system:masters, so it is cluster-admin from the start.
resource "tls_private_key" "admin" {
  algorithm   = "ECDSA"
  ecdsa_curve = "P256"
}

resource "tls_cert_request" "admin" {
  private_key_pem = tls_private_key.admin.private_key_pem
  subject {
    common_name  = "kubernetes-admin"
    organization = "system:masters"
  }
}

resource "tls_locally_signed_cert" "admin" {
  cert_request_pem      = tls_cert_request.admin.cert_request_pem
  ca_private_key_pem    = tls_private_key.ca["kubernetes"].private_key_pem
  ca_cert_pem           = tls_self_signed_cert.ca["kubernetes"].cert_pem
  validity_period_hours = 365 * 24
  allowed_uses          = ["digital_signature", "key_encipherment", "client_auth"]
}

# A kubeadm bootstrap token, [a-z0-9]{6}.[a-z0-9]{16}; it never expires (ttl 0), so that the
# node group can scale up at any time later, and it only lets a node join.
resource "random_string" "token_id" {
  length  = 6
  upper   = false
  special = false
}

resource "random_string" "token_secret" {
  length  = 16
  upper   = false
  special = false
}

locals {
  bootstrap_token = sensitive("${random_string.token_id.result}.${random_string.token_secret.result}")
  # kubeadm's --discovery-token-ca-cert-hash: SHA-256 of the CA certificate's
  # SubjectPublicKeyInfo, which is the CA key's public key.
  discovery_hash = "sha256:${tls_private_key.ca["kubernetes"].public_key_spki_sha256}"
  cluster_ca     = tls_self_signed_cert.ca["kubernetes"].cert_pem
}

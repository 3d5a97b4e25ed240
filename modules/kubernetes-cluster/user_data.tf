# Cloud-init user data, rendered with templatefile: the same bootstrap script for every role
# (init: the first control-plane node; control-plane: the others; node), the files it needs,
# and the PKI on control-plane nodes only.

locals {
  template_vars = {
    cluster_name        = var.name
    kubernetes_version  = local.version
    minor_version       = local.minor_version
    api_host            = local.api_host
    discovery_hash      = local.discovery_hash
    cni_manifest_url    = var.cni_manifest_url
    control_plane_count = var.control_plane_count
    etcd_volume_id      = ""
  }

  host_files = [
    { path = "/etc/modules-load.d/kubernetes.conf", permissions = "0644", content = file("${path.module}/templates/modules-load.conf") },
    { path = "/etc/sysctl.d/99-kubernetes.conf", permissions = "0644", content = file("${path.module}/templates/sysctl.conf") },
  ]

  # kubeadm's file names under /etc/kubernetes/pki.
  pki_files = [
    { path = "/etc/kubernetes/pki/ca.crt", permissions = "0644", content = tls_self_signed_cert.ca["kubernetes"].cert_pem },
    { path = "/etc/kubernetes/pki/ca.key", permissions = "0600", content = tls_private_key.ca["kubernetes"].private_key_pem },
    { path = "/etc/kubernetes/pki/front-proxy-ca.crt", permissions = "0644", content = tls_self_signed_cert.ca["front-proxy"].cert_pem },
    { path = "/etc/kubernetes/pki/front-proxy-ca.key", permissions = "0600", content = tls_private_key.ca["front-proxy"].private_key_pem },
    { path = "/etc/kubernetes/pki/etcd/ca.crt", permissions = "0644", content = tls_self_signed_cert.ca["etcd"].cert_pem },
    { path = "/etc/kubernetes/pki/etcd/ca.key", permissions = "0600", content = tls_private_key.ca["etcd"].private_key_pem },
    { path = "/etc/kubernetes/pki/sa.key", permissions = "0600", content = tls_private_key.service_account.private_key_pem },
    { path = "/etc/kubernetes/pki/sa.pub", permissions = "0644", content = tls_private_key.service_account.public_key_pem },
  ]

  token_file = { path = "/etc/kubernetes/bootstrap-token", permissions = "0600", content = "${local.bootstrap_token}\n" }

  init_files = [
    {
      path        = "/etc/kubernetes/kubeadm-init.yaml"
      permissions = "0600"
      content = templatefile("${path.module}/templates/kubeadm-init.yaml.tftpl", {
        cluster_name       = var.name
        kubernetes_version = local.version
        api_host           = local.api_host
        bootstrap_token    = local.bootstrap_token
        pod_cidr           = var.pod_cidr
        service_cidr       = var.service_cidr
        cert_sans          = local.cert_sans
      })
    },
    {
      path        = "/etc/kubernetes/addons/aws-cloud-controller-manager.yaml"
      permissions = "0644"
      content = templatefile("${path.module}/templates/aws-cloud-controller-manager.yaml.tftpl", {
        cluster_name  = var.name
        minor_version = local.minor_version
      })
    },
  ]

  # The control-plane scripts differ by role and by the etcd volume each node attaches.
  control_plane_scripts = [
    for i, cp in local.control_plane : {
      path        = "/usr/local/sbin/slipway-bootstrap.sh"
      permissions = "0700"
      content = templatefile("${path.module}/templates/bootstrap.sh.tftpl", merge(local.template_vars, {
        role           = i == 0 ? "init" : "control-plane"
        etcd_volume_id = aws_ebs_volume.etcd[i].id
      }))
    }
  ]

  node_script = {
    path        = "/usr/local/sbin/slipway-bootstrap.sh"
    permissions = "0700"
    content     = templatefile("${path.module}/templates/bootstrap.sh.tftpl", merge(local.template_vars, { role = "node" }))
  }

  control_plane_user_data = [
    for i, cp in local.control_plane : templatefile("${path.module}/templates/cloud-config.yaml.tftpl", {
      description = "${i == 0 ? "First control-plane node (kubeadm init, or join when it replaces one of several)" : "Control-plane node (kubeadm join --control-plane)"} of ${var.name}"
      files = concat(
        local.host_files,
        local.pki_files,
        # Every control-plane node may join: the first one when it replaces one of several.
        i == 0 ? concat(local.init_files, [local.token_file]) : [local.token_file],
        [local.control_plane_scripts[i]],
      )
    })
  ]

  node_user_data = templatefile("${path.module}/templates/cloud-config.yaml.tftpl", {
    description = "Node of ${var.name} (kubeadm join)"
    files       = concat(local.host_files, [local.token_file, local.node_script])
  })
}

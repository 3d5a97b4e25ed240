# The state store, laid out as kops lays out s3://<state>/<name>/: the cluster spec and the CA
# bundle (certificates only). The CA keys are deliberately not stored here, encrypted or not:
# their one consumer is the control plane's user data, slipway's own state already holds them
# (as Terraform's tls provider does), and a third copy would only widen who can read them.
# Objects are encrypted at rest all the same (SSE-S3). The spec is the cluster's shape; the
# groups' sizes, counts and images live in their launch templates and Auto Scaling groups, so
# that scaling or resizing a group changes the group alone.

resource "aws_s3_object" "cluster_spec" {
  bucket                 = local.bucket
  key                    = "${var.name}/cluster.spec"
  content_type           = "application/yaml"
  server_side_encryption = "AES256"
  content = yamlencode({
    apiVersion = "slipway.dev/v1alpha1"
    kind       = "Cluster"
    metadata   = { name = var.name }
    spec = {
      kubernetesVersion    = local.version
      zones                = var.zones
      networkCIDR          = var.network_cidr
      podCIDR              = var.pod_cidr
      serviceCIDR          = var.service_cidr
      dnsZone              = local.use_dns ? var.dns_zone : null
      apiEndpoint          = local.api_endpoint
      adminAccess          = var.admin_access
      sshAccess            = local.ssh_access
      cniManifest          = var.cni_manifest_url
      controlPlaneCount    = var.control_plane_count
      vpcId                = aws_vpc.cluster.id
      subnetIds            = aws_subnet.zone[*].id
      controlPlaneGroups   = aws_autoscaling_group.control_plane[*].name
      nodeGroup            = aws_autoscaling_group.nodes.name
      discoveryTokenCAHash = local.discovery_hash
    }
  })
}

resource "aws_s3_object" "ca_bundle" {
  bucket                 = local.bucket
  key                    = "${var.name}/pki/ca-bundle.crt"
  content_type           = "application/x-pem-file"
  server_side_encryption = "AES256"
  content                = join("", [for k in ["kubernetes", "front-proxy", "etcd"] : tls_self_signed_cert.ca[k].cert_pem])
}

# The control plane as kops runs it: an Auto Scaling group of one instance per control-plane
# node, each in its zone and registered with the API's target group, from its own launch
# template (the first one runs kubeadm init, the others join it), with etcd's data on an EBS
# volume of its own that outlives the instance. A new size, image or Kubernetes version rolls
# the control-plane nodes one at a time, before the nodes: the replacement attaches the same
# volume and carries on from its data (one control-plane node) or joins the others as a new
# etcd member (three).

resource "aws_key_pair" "cluster" {
  count      = var.ssh_public_key == null ? 0 : 1
  key_name   = "kubernetes.${var.name}"
  public_key = var.ssh_public_key
  tags       = local.tags
}

locals {
  key_name = one(aws_key_pair.cluster[*].key_name)
  # Where and as whom slipway drains nodes and waits for them while it rolls the groups.
  rolling_kubernetes = {
    host                   = coalesce(var.rolling_update.api_url, local.api_endpoint)
    cluster_ca_certificate = local.cluster_ca
    client_certificate     = tls_locally_signed_cert.admin.cert_pem
    client_key             = tls_private_key.admin.private_key_pem
    timeout                = var.rolling_update.node_timeout
  }
  # The metadata service asks for a session token (IMDSv2), one hop only: pods on the pod
  # network cannot reach it, host-network components (kubelet, cloud controller) can.
  metadata = { http_endpoint = "enabled", http_tokens = "required", hop_limit = 1 }
}

# kops's etcd-main volumes: one per control-plane node, in its zone.
resource "aws_ebs_volume" "etcd" {
  count             = var.control_plane_count
  availability_zone = local.control_plane[count.index].zone
  size              = var.etcd_volume_size
  type              = "gp3"
  encrypted         = true
  tags = merge(local.tags, {
    Name                        = "${local.control_plane[count.index].name}.etcd-main.${var.name}"
    "k8s.io/etcd/main"          = local.control_plane[count.index].name
    "k8s.io/role/control-plane" = "1"
  })
}

resource "aws_launch_template" "control_plane" {
  count                  = var.control_plane_count
  name                   = "${local.control_plane[count.index].name}.masters.${var.name}"
  description            = "Kubernetes control plane of ${var.name}"
  image_id               = local.image
  instance_type          = local.control_plane_size
  key_name               = local.key_name
  vpc_security_group_ids = [aws_security_group.control_plane.id]
  # gzipped: the PKI and the bootstrap are over EC2's 16 KiB of user data; cloud-init unzips it.
  user_data              = base64gzip(local.control_plane_user_data[count.index])
  update_default_version = true
  iam_instance_profile {
    name = aws_iam_instance_profile.control_plane.name
  }
  block_device_mappings {
    device_name = "/dev/sda1"
    ebs {
      volume_size           = var.control_plane_volume_size
      volume_type           = "gp3"
      encrypted             = "true"
      delete_on_termination = "true"
    }
  }
  metadata_options {
    http_endpoint               = local.metadata.http_endpoint
    http_tokens                 = local.metadata.http_tokens
    http_put_response_hop_limit = local.metadata.hop_limit
  }
  tag_specifications {
    resource_type = "instance"
    tags          = merge(local.tags, { Name = "${local.control_plane[count.index].name}.masters.${var.name}", "k8s.io/role/control-plane" = "1" })
  }
  tag_specifications {
    resource_type = "volume"
    tags          = merge(local.tags, { Name = "${local.control_plane[count.index].name}.masters.${var.name}" })
  }
  tags = local.tags

  lifecycle {
    precondition {
      condition     = var.control_plane_size == null || var.master_size == null || var.control_plane_size == var.master_size
      error_message = "control_plane_size and its deprecated alias master_size are both set, to different sizes: keep control_plane_size only."
    }
  }
}

resource "aws_autoscaling_group" "control_plane" {
  count               = var.control_plane_count
  name                = "${local.control_plane[count.index].name}.masters.${var.name}"
  min_size            = 1
  max_size            = 1
  desired_capacity    = 1
  vpc_zone_identifier = [aws_subnet.zone[local.control_plane[count.index].subnet].id]
  target_group_arns   = [aws_lb_target_group.api.arn]
  health_check_type   = "EC2"
  # Destroyed before the cleanup of what Kubernetes made, which waits for volumes to detach.
  depends_on = [aws_kubernetes_cluster_cleanup.cluster]
  launch_template {
    id      = aws_launch_template.control_plane[count.index].id
    version = aws_launch_template.control_plane[count.index].latest_version
  }
  # The group's one instance is replaced (it cannot stay in service while it is), drained
  # first, and the next change of the cluster waits until its replacement is a Ready node:
  # slipway rolls one node of a cluster at a time, so the three groups go one after another.
  instance_refresh {
    strategy = "Rolling"
    preferences {
      min_healthy_percentage = 0
    }
    kubernetes {
      host                   = local.rolling_kubernetes.host
      cluster_ca_certificate = local.rolling_kubernetes.cluster_ca_certificate
      client_certificate     = local.rolling_kubernetes.client_certificate
      client_key             = local.rolling_kubernetes.client_key
      timeout                = local.rolling_kubernetes.timeout
    }
  }
  dynamic "tag" {
    for_each = merge(local.tags, { Name = "${local.control_plane[count.index].name}.masters.${var.name}", "k8s.io/role/control-plane" = "1" })
    content {
      key                 = tag.key
      value               = tag.value
      propagate_at_launch = true
    }
  }
}

# The node group: one launch template and one Auto Scaling group over every zone. Scaling is
# the group's desired capacity; a new size, image or Kubernetes version is a new launch
# template version, and the group's instances are rolled onto it one at a time, as
# `kops rolling-update cluster` does: drain the node, terminate its instance, wait until the
# replacement is a Ready node, then the next. The control plane's groups change first.

resource "aws_launch_template" "nodes" {
  name                   = "nodes.${var.name}"
  description            = "Kubernetes nodes of ${var.name}"
  image_id               = local.image
  instance_type          = var.node_size
  key_name               = local.key_name
  vpc_security_group_ids = [aws_security_group.nodes.id]
  user_data              = base64encode(local.node_user_data)
  update_default_version = true
  iam_instance_profile {
    name = aws_iam_instance_profile.nodes.name
  }
  block_device_mappings {
    device_name = "/dev/sda1"
    ebs {
      volume_size           = var.node_volume_size
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
    tags          = merge(local.tags, { Name = "nodes.${var.name}", "k8s.io/role/node" = "1" })
  }
  tag_specifications {
    resource_type = "volume"
    tags          = merge(local.tags, { Name = "nodes.${var.name}" })
  }
  tags = local.tags
}

resource "aws_autoscaling_group" "nodes" {
  name                = "nodes.${var.name}"
  min_size            = var.node_count
  max_size            = var.node_count
  desired_capacity    = var.node_count
  vpc_zone_identifier = aws_subnet.zone[*].id
  health_check_type   = "EC2"
  launch_template {
    id      = aws_launch_template.nodes.id
    version = aws_launch_template.nodes.latest_version
  }
  instance_refresh {
    strategy = "Rolling"
    preferences {
      min_healthy_percentage = var.rolling_update.min_healthy_percentage
    }
    # slipway's extension: drain through the API and wait for the new node to be Ready.
    kubernetes {
      host                   = local.rolling_kubernetes.host
      cluster_ca_certificate = local.rolling_kubernetes.cluster_ca_certificate
      client_certificate     = local.rolling_kubernetes.client_certificate
      client_key             = local.rolling_kubernetes.client_key
      timeout                = local.rolling_kubernetes.timeout
    }
  }
  # An upgrade rolls the control plane before the nodes (kubelets may not be newer than it).
  depends_on = [aws_autoscaling_group.control_plane, aws_kubernetes_cluster_cleanup.cluster]
  dynamic "tag" {
    for_each = merge(local.tags, { Name = "nodes.${var.name}", "k8s.io/role/node" = "1" })
    content {
      key                 = tag.key
      value               = tag.value
      propagate_at_launch = true
    }
  }
}

provider "aws" {
  region = "us-east-1"
}

provider "aws" {
  alias  = "west"
  region = "us-west-2"
}

terraform {
  required_version = ">= 1.5"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }
  }
  backend "s3" {
    bucket = "state"
    key    = "prod.tfstate"
  }
}

resource "aws_vpc" "main" {
  provider   = aws.west
  cidr_block = "10.0.0.0/16"

  lifecycle {
    create_before_destroy = true
    prevent_destroy       = true
    ignore_changes        = [tags, tags["Name"]]
    replace_triggered_by  = [null_resource.trigger]
    precondition {
      condition     = true
      error_message = "never"
    }
  }

  depends_on = [null_resource.trigger]
}

resource "null_resource" "trigger" {}

moved {
  from = aws_vpc.old
  to   = aws_vpc.main
}

removed {
  from = aws_vpc.gone
  lifecycle {
    destroy = false
  }
}

import {
  to = aws_vpc.main
  id = "vpc-123"
}

check "health" {
  assert {
    condition     = 1 + 1 == 3
    error_message = "Arithmetic is broken."
  }
}

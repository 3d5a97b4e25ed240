# The infrastructure the pipelines in this directory plan and apply (copy this directory's
# files to `infra/` of your repository). State is in S3, locked with a lease object next to it.

terraform {
  backend "s3" {
    bucket = "example-slipway-state"
    key    = "infra/slipway.tfstate"
    region = "us-east-1"
  }
}

provider "aws" {
  region = "us-east-1"
}

resource "aws_vpc" "main" {
  cidr_block = "10.60.0.0/16"
  tags = {
    Name = "gitops-example"
  }
}

//! What the kubernetes-cluster tests share: a root module that calls `modules/kubernetes-cluster`
//! from a scratch directory, the state-store bucket and DNS zone it expects to exist, and
//! `slipway` pointed at the emulator through the SDK's own `AWS_ENDPOINT_URL`.

use std::path::{Path, PathBuf};

use super::moto::Moto;

/// The cluster every test builds: three zones and three control-plane nodes, so that all
/// three user-data roles (init, control-plane join, node join) are generated.
pub const NAME: &str = "test.k8s.example.com";
pub const ZONE: &str = "k8s.example.com";
pub const BUCKET: &str = "cluster-test-state-store";
pub const SSH_KEY: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINdamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea admin@example";

/// A scratch directory holding a copy of the module and a root `main.tf` calling it, with
/// the state-store bucket and the zone made in the emulator, as kops expects them to exist.
pub fn setup(moto: &Moto) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let module = Path::new(env!("CARGO_MANIFEST_DIR")).join("modules/kubernetes-cluster");
    copy_dir(&module, &dir.path().join("modules/kubernetes-cluster"));
    let main = format!(
        r#"provider "aws" {{
  region = "us-east-1"
}}

variable "node_count" {{
  type    = number
  default = 2
}}

variable "node_size" {{
  type    = string
  default = "t3.medium"
}}

variable "kubernetes_version" {{
  type    = string
  default = "1.31.4"
}}

# Where slipway reaches the API server while it rolls nodes: the test API server.
variable "kube_api_url" {{
  type    = string
  default = null
}}

module "cluster" {{
  source              = "./modules/kubernetes-cluster"
  name                = "{NAME}"
  state_store         = "s3://{BUCKET}"
  zones               = ["us-east-1a", "us-east-1b", "us-east-1c"]
  control_plane_count = 3
  control_plane_size  = "t3.medium"
  node_count          = var.node_count
  node_size           = var.node_size
  kubernetes_version  = var.kubernetes_version
  dns_zone            = "{ZONE}"
  ssh_public_key      = "{SSH_KEY}"
  admin_access        = ["203.0.113.0/24"]
  tags                = {{ Team = "platform" }}
  rolling_update      = {{ api_url = var.kube_api_url, node_timeout = "60s" }}
}}

output "api_endpoint" {{
  value = module.cluster.api_endpoint
}}

output "cluster_ca" {{
  value = module.cluster.cluster_ca
}}

output "discovery_token_ca_cert_hash" {{
  value = module.cluster.discovery_token_ca_cert_hash
}}

# The admin kubeconfig; with kube_api_url, pointing there (what apply -wait-ready validates).
output "kubeconfig" {{
  value     = replace(module.cluster.kubeconfig, module.cluster.api_endpoint, coalesce(var.kube_api_url, module.cluster.api_endpoint))
  sensitive = true
}}

output "vpc_id" {{
  value = module.cluster.vpc_id
}}

output "node_group_names" {{
  value = module.cluster.node_group_names
}}
"#
    );
    std::fs::write(dir.path().join("main.tf"), main).expect("write main.tf");
    let rt = super::rt();
    rt.block_on(moto.s3().create_bucket().bucket(BUCKET).send()).expect("state-store bucket");
    let zone = moto.route53(&moto.url);
    rt.block_on(zone.create_hosted_zone().name(ZONE).caller_reference("cluster-test").send()).expect("zone");
    dir
}

/// `slipway ARGS` in `dir` against the emulator.
pub fn slipway(moto: &Moto, dir: &Path, args: &[&str]) -> (i32, String) {
    let env = [
        ("AWS_ENDPOINT_URL", moto.url.as_str()),
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
    ];
    super::slipway_env(dir, args, &env)
}

/// `slipway apply -auto-approve` of the cluster in `dir`, asserted to succeed.
pub fn apply(moto: &Moto, dir: &Path) -> String {
    let (code, out) = slipway(moto, dir, &["apply", "-auto-approve", "-input=false"]);
    assert_eq!(code, 0, "{out}");
    out
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create dir");
    for entry in std::fs::read_dir(from).expect("read dir").flatten() {
        let target: PathBuf = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy file");
        }
    }
}

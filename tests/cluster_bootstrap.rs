//! The kubeadm bootstrap that `modules/kubernetes-cluster` generates, read back from the local
//! AWS after apply: the user data of every launch template and every instance launched from
//! one passes `cloud-init schema --config-file`, every shell script in it passes `shellcheck`,
//! the files kubeadm needs are where it looks for them, the discovery hash the nodes join with
//! is the one `openssl` computes from the CA certificate, and the admin kubeconfig's client
//! certificate verifies against that CA with `openssl verify`.
//!
//! cloud-init, shellcheck and openssl must be installed (`.ci/run` installs the first two):
//! a missing tool fails the test, it never skips it.

#![allow(clippy::disallowed_methods)]

mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use base64::Engine;
use support::cluster::{self, NAME};
use support::moto::Moto;
use support::rt;

/// Runs `program args`, failing the test with what to install when the tool is missing.
fn run(program: &str, args: &[&str], package: &str) -> (bool, String) {
    let out = Command::new(program).args(args).output().unwrap_or_else(|e| {
        panic!("{program} is required by this test (apt-get install -y {package}; .ci/run does): {e}")
    });
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

/// `openssl ... | openssl ...` through a shell, for the pipelines the issue gives verbatim.
fn shell(script: &str) -> String {
    let (ok, out) = run("sh", &["-c", script], "openssl");
    assert!(ok, "{script}: {out}");
    out
}

/// The files of a cloud-config's write_files, by path.
fn written_files(cloud_config: &str) -> BTreeMap<String, String> {
    let doc: serde_yaml_ng::Value = serde_yaml_ng::from_str(cloud_config).expect("user data is YAML");
    let files = doc.get("write_files").and_then(|f| f.as_sequence()).expect("write_files");
    files
        .iter()
        .filter_map(|f| Some((f.get("path")?.as_str()?.to_string(), f.get("content")?.as_str()?.to_string())))
        .collect()
}

/// Checks one user data document (base64, as EC2 has it): the EC2 limit of 16 KiB (of what EC2
/// stores, compressed or not), the cloud-config schema, shellcheck on every script; the text.
fn check_user_data(label: &str, b64: &str, work: &Path) -> String {
    let stored = base64::engine::general_purpose::STANDARD.decode(b64).expect("base64 user data").len();
    assert!(stored < 16 * 1024, "{label}: {stored} bytes, over EC2's 16 KiB user-data limit");
    let user_data = decode(b64);
    let user_data = user_data.as_str();
    assert!(user_data.starts_with("#cloud-config\n"), "{label}: {user_data}");
    let file = work.join(format!("{}.yaml", label.replace(['/', ' ', '.'], "_")));
    std::fs::write(&file, user_data).expect("write user data");
    let (ok, out) = run("cloud-init", &["schema", "--config-file", &file.to_string_lossy()], "cloud-init");
    assert!(ok && out.contains("Valid cloud-config"), "{label}: cloud-init schema: {out}\n{user_data}");
    let mut scripts = 0;
    for (path, content) in written_files(user_data) {
        if !content.starts_with("#!") {
            continue;
        }
        scripts += 1;
        let script = work.join(format!("{}{}", label.replace(['/', ' ', '.'], "_"), path.replace('/', "_")));
        std::fs::write(&script, &content).expect("write script");
        let (ok, out) = run("shellcheck", &["--severity=style", &script.to_string_lossy()], "shellcheck");
        assert!(ok, "{label}: shellcheck {path}:\n{out}\n{content}");
    }
    assert!(scripts >= 1, "{label}: no bootstrap script in the user data");
    user_data.to_string()
}

/// Base64, then gunzipped when it is gzip (the control plane's user data, as cloud-init reads it).
fn decode(b64: &str) -> String {
    let bytes = base64::engine::general_purpose::STANDARD.decode(b64).expect("base64 user data");
    if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&bytes[..]), &mut text)
            .expect("gzip user data");
        return text;
    }
    String::from_utf8(bytes).expect("UTF-8 user data")
}

#[test]
fn every_generated_user_data_is_valid_cloud_config_with_clean_scripts_and_the_right_join_data() {
    let moto = Moto::start();
    let dir = cluster::setup(&moto);
    let d = dir.path();
    cluster::apply(&moto, d);
    let rt = rt();
    let ec2 = moto.ec2();
    let work = tempfile::tempdir().expect("work dir");

    // Every launch template's latest version.
    let templates = rt
        .block_on(
            ec2.describe_launch_templates()
                .filters(
                    aws_sdk_ec2::types::Filter::builder()
                        .name("tag-key")
                        .values("kubernetes.io/cluster/test.k8s.example.com")
                        .build(),
                )
                .send(),
        )
        .expect("templates");
    let mut by_template = BTreeMap::new();
    for template in templates.launch_templates() {
        let name = template.launch_template_name().expect("name").to_string();
        let versions = rt
            .block_on(ec2.describe_launch_template_versions().launch_template_name(&name).versions("$Latest").send())
            .expect("versions");
        let data = versions.launch_template_versions()[0].launch_template_data().expect("data");
        let user_data = check_user_data(&name, data.user_data().expect("user data"), work.path());
        by_template.insert(name, user_data);
    }
    assert_eq!(by_template.len(), 4, "{:?}", by_template.keys());

    // Every instance the groups launched carries its template's user data.
    let instances = rt
        .block_on(
            ec2.describe_instances()
                .filters(aws_sdk_ec2::types::Filter::builder().name("instance-state-name").values("running").build())
                .send(),
        )
        .expect("instances");
    let mut launched = 0;
    for instance in instances.reservations().iter().flat_map(|r| r.instances()) {
        let id = instance.instance_id().expect("id");
        let attribute = rt
            .block_on(
                ec2.describe_instance_attribute()
                    .instance_id(id)
                    .attribute(aws_sdk_ec2::types::InstanceAttributeName::UserData)
                    .send(),
            )
            .expect("user data attribute");
        let encoded = attribute.user_data().and_then(|u| u.value()).expect("instance user data");
        let user_data = check_user_data(id, encoded, work.path());
        assert!(by_template.values().any(|t| *t == user_data), "{id}: user data of none of the templates");
        launched += 1;
    }
    assert_eq!(launched, 5, "3 control-plane nodes and 2 nodes");

    // Roles: the first control-plane node inits, the others join the control plane, nodes join.
    let first = &by_template[&format!("control-plane-us-east-1a.masters.{NAME}")];
    let second = &by_template[&format!("control-plane-us-east-1b.masters.{NAME}")];
    let node = &by_template[&format!("nodes.{NAME}")];
    let first_files = written_files(first);
    let script = &first_files["/usr/local/sbin/slipway-bootstrap.sh"];
    assert!(script.contains("kubeadm init --config /etc/kubernetes/kubeadm-init.yaml"), "{script}");
    assert!(script.contains("kubectl apply -f \"https://github.com/flannel-io/flannel/"), "{script}");
    assert!(script.contains("kubelet=1.31.4-*") && script.contains("pkgs.k8s.io/core:/stable:/v1.31/deb/"), "{script}");
    // It makes the cluster, or carries on from its etcd volume's data when it replaces the one
    // control-plane node, or joins the others when it replaces one of three.
    assert!(script.contains("init_cluster --ignore-preflight-errors=DirAvailable--var-lib-etcd"), "{script}");
    assert!(script.contains("join --control-plane"), "{script}");
    let second_script = &written_files(second)["/usr/local/sbin/slipway-bootstrap.sh"];
    assert!(second_script.contains("join --control-plane"), "{second_script}");
    let node_files = written_files(node);
    let node_script = &node_files["/usr/local/sbin/slipway-bootstrap.sh"];
    assert!(node_script.contains("--discovery-token-ca-cert-hash \"sha256:"), "{node_script}");
    assert!(!node_script.contains("--control-plane"));
    for files in [&first_files, &node_files] {
        assert!(files["/etc/modules-load.d/kubernetes.conf"].contains("br_netfilter"));
        assert!(files["/etc/sysctl.d/99-kubernetes.conf"].contains("net.ipv4.ip_forward"));
    }

    // The PKI goes to control-plane nodes, never to nodes.
    for path in [
        "ca.crt",
        "ca.key",
        "front-proxy-ca.crt",
        "front-proxy-ca.key",
        "etcd/ca.crt",
        "etcd/ca.key",
        "sa.key",
        "sa.pub",
    ] {
        assert!(first_files.contains_key(&format!("/etc/kubernetes/pki/{path}")), "{path}");
    }
    assert!(node_files.keys().all(|p| !p.starts_with("/etc/kubernetes/pki/")), "{:?}", node_files.keys());
    assert!(!node.contains("PRIVATE KEY"), "no private key in the nodes' user data");

    // kubeadm's configuration: the API record and the load balancer in the certificate, the
    // same bootstrap token the nodes have.
    let init: Vec<serde_yaml_ng::Value> =
        serde_yaml_ng::Deserializer::from_str(&first_files["/etc/kubernetes/kubeadm-init.yaml"])
            .map(|doc| serde::Deserialize::deserialize(doc).expect("kubeadm config document"))
            .collect();
    assert_eq!(init.len(), 3);
    let sans: Vec<&str> =
        init[1]["apiServer"]["certSANs"].as_sequence().expect("certSANs").iter().filter_map(|v| v.as_str()).collect();
    let lbs = rt.block_on(moto.elbv2().describe_load_balancers().send()).expect("lbs");
    let lb_dns = lbs.load_balancers()[0].dns_name().expect("lb dns").to_string();
    assert_eq!(sans, vec![format!("api.{NAME}").as_str(), lb_dns.as_str()]);
    assert_eq!(init[1]["controlPlaneEndpoint"].as_str(), Some(format!("api.{NAME}:6443").as_str()));
    let token = init[0]["bootstrapTokens"][0]["token"].as_str().expect("token").to_string();
    let (id, secret) = token.split_once('.').expect("token id.secret");
    assert!(id.len() == 6 && secret.len() == 16, "{token}");
    assert!(token.chars().all(|c| c == '.' || c.is_ascii_lowercase() || c.is_ascii_digit()), "{token}");
    assert_eq!(node_files["/etc/kubernetes/bootstrap-token"].trim(), token);

    // The discovery hash is what openssl computes from the CA certificate, as kubeadm does.
    let ca_file = work.path().join("ca.crt");
    std::fs::write(&ca_file, &first_files["/etc/kubernetes/pki/ca.crt"]).expect("write ca");
    let expected = shell(&format!(
        "openssl x509 -pubkey -noout -in {} | openssl pkey -pubin -outform der | sha256sum",
        ca_file.display()
    ));
    let expected = format!("sha256:{}", expected.split_whitespace().next().expect("hash"));
    assert!(
        node_script.contains(&format!("--discovery-token-ca-cert-hash \"{expected}\"")),
        "{expected}\n{node_script}"
    );
    let (_, output) = cluster::slipway(&moto, d, &["output", "-raw", "discovery_token_ca_cert_hash"]);
    assert_eq!(output, expected);
    let (_, cluster_ca) = cluster::slipway(&moto, d, &["output", "-raw", "cluster_ca"]);
    assert_eq!(cluster_ca, first_files["/etc/kubernetes/pki/ca.crt"]);

    // The admin kubeconfig: its client certificate is signed by the cluster CA, for
    // system:masters.
    let (code, kubeconfig) = cluster::slipway(&moto, d, &["output", "-raw", "kubeconfig"]);
    assert_eq!(code, 0, "{kubeconfig}");
    let config: serde_yaml_ng::Value = serde_yaml_ng::from_str(&kubeconfig).expect("kubeconfig YAML");
    assert_eq!(config["clusters"][0]["cluster"]["server"].as_str(), Some(format!("https://api.{NAME}:6443").as_str()));
    let field = |v: &serde_yaml_ng::Value| decode(v.as_str().expect("base64 field"));
    assert_eq!(field(&config["clusters"][0]["cluster"]["certificate-authority-data"]), cluster_ca);
    let client = work.path().join("admin.crt");
    std::fs::write(&client, field(&config["users"][0]["user"]["client-certificate-data"])).expect("write cert");
    let (ok, out) =
        run("openssl", &["verify", "-CAfile", &ca_file.to_string_lossy(), &client.to_string_lossy()], "openssl");
    assert!(ok && out.contains(": OK"), "{out}");
    let subject = shell(&format!("openssl x509 -noout -subject -in {}", client.display()));
    assert!(subject.contains("O = system:masters") && subject.contains("CN = kubernetes-admin"), "{subject}");
    let key = field(&config["users"][0]["user"]["client-key-data"]);
    assert!(key.contains("PRIVATE KEY"), "the client key is in the kubeconfig");

    gone_etcd_members_are_those_whose_instance_is_gone(&moto, script, work.path());
}

/// A control-plane node that joins removes the etcd members whose EC2 instance is gone, and
/// only those: not a member that has not started (no name yet), not one whose instance runs.
/// The script's own functions run in bash against the local AWS; etcd and kubectl, which need a
/// cluster, answer from a member list written here.
fn gone_etcd_members_are_those_whose_instance_is_gone(moto: &Moto, script: &str, work: &Path) {
    let rt = rt();
    let ec2 = moto.ec2();
    let reservations = rt
        .block_on(
            ec2.describe_instances()
                .filters(
                    aws_sdk_ec2::types::Filter::builder().name("tag:k8s.io/role/control-plane").values("1").build(),
                )
                .filters(aws_sdk_ec2::types::Filter::builder().name("instance-state-name").values("running").build())
                .send(),
        )
        .expect("control-plane instances");
    let control_plane: Vec<(String, String)> = reservations
        .reservations()
        .iter()
        .flat_map(|r| r.instances())
        .map(|i| (i.instance_id().expect("id").to_string(), i.private_dns_name().expect("dns name").to_string()))
        .collect();
    assert_eq!(control_plane.len(), 3, "{control_plane:?}");
    let (gone_id, gone_name) = &control_plane[1];
    rt.block_on(ec2.terminate_instances().instance_ids(gone_id).send()).expect("terminate");
    let members = serde_json::json!({"members": [
        {"ID": "11", "name": control_plane[0].1, "clientURLs": ["https://10.0.0.11:2379"]},
        {"ID": "12", "name": gone_name, "clientURLs": ["https://10.0.0.12:2379"]},
        {"ID": "13", "name": control_plane[2].1, "clientURLs": ["https://10.0.0.13:2379"]},
        {"ID": "14", "name": "", "clientURLs": []},
    ]});
    std::fs::write(work.join("members.json"), members.to_string()).expect("members");
    let function = |name: &str| {
        let start = script.find(&format!("\n{name}() {{\n")).unwrap_or_else(|| panic!("{name} in the script"));
        let end = script[start..].find("\n}\n").map(|e| start + e + 3).expect("end of function");
        script[start..end].to_string()
    };
    let harness = format!(
        r#"set -euo pipefail
log() {{ echo "log: $*"; }}
sign_client() {{ :; }}
client_certs={work}
kubectl() {{ echo "https://10.0.0.11:2379"; }}
etcd_call() {{
  case "$*" in
    *member/list*) cat {work}/members.json ;;
    *member/remove*) echo "$4" >> {work}/removed ;;
    *) return 0 ;;
  esac
}}
ec2_call() {{
  curl -sS --aws-sigv4 "aws:amz:us-east-1:ec2" --user testing:testing "{url}/?Version=2016-11-15&$1"
}}
{exists}{remove}
remove_gone_etcd_members
"#,
        work = work.display(),
        url = moto.url,
        exists = function("member_instance_exists"),
        remove = function("remove_gone_etcd_members"),
    );
    let (ok, out) = run("bash", &["-c", &harness], "bash");
    assert!(ok, "{out}");
    let removed = std::fs::read_to_string(work.join("removed")).unwrap_or_default();
    assert_eq!(removed.trim(), r#"{"ID": "12"}"#, "only the member of the terminated instance: {out}");
    assert!(out.contains(&format!("removing etcd member 12 ({gone_name}): its instance is gone")), "{out}");
}

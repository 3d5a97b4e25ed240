//! Values the AWS APIs would refuse, or that slipway's apply would, are refused by the plan
//! instead, each error pointing at the attribute: nothing changes before the apply would have
//! failed half way.

#![allow(clippy::disallowed_methods)]

mod support;

use support::moto::Moto;
use support::{rt, slipway};

#[test]
fn the_plan_refuses_what_the_apply_would_each_at_its_attribute() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();
    let config = format!(
        r##"{provider}
resource "aws_launch_template" "nodes" {{
  name          = "nodes"
  image_id      = "ami-1e749f67"
  ebs_optimized = "yes"
  block_device_mappings {{
    device_name = "/dev/sda1"
    ebs {{
      encrypted = "maybe"
    }}
  }}
}}

resource "aws_instance" "twice" {{
  ami              = "ami-1e749f67"
  instance_type    = "t3.micro"
  user_data        = "#!/bin/sh"
  user_data_base64 = "IyEvYmluL3No"
}}

resource "aws_instance" "not_base64" {{
  ami              = "ami-1e749f67"
  instance_type    = "t3.micro"
  user_data_base64 = "not base64!"
}}
"##,
        provider = moto.provider_block()
    );
    std::fs::write(d.join("main.tf"), config).expect("write main.tf");
    let (code, out) = slipway(d, &["plan", "-no-color"]);
    assert_eq!(code, 1, "{out}");
    for (summary, source) in [
        ("Invalid value for \"ebs_optimized\"", "ebs_optimized = \"yes\"\n"),
        ("Invalid value for \"encrypted\"", "encrypted = \"maybe\"\n"),
        ("Conflicting user data", "user_data_base64 = \"IyEvYmluL3No\"\n"),
        ("Invalid user_data_base64", "user_data_base64 = \"not base64!\"\n"),
    ] {
        let at = out.find(summary).unwrap_or_else(|| panic!("{summary:?} in {out}"));
        let shown = &out[at..];
        let next_error = shown[1..].find("Error:").map_or(shown.len(), |i| i + 1);
        assert!(shown[..next_error].contains(source), "{summary} points at {source:?}: {out}");
    }
    let described = rt().block_on(moto.ec2().describe_launch_templates().send()).expect("templates");
    assert!(described.launch_templates().is_empty(), "nothing was created");

    // Once corrected, the same configuration plans.
    let fixed = std::fs::read_to_string(d.join("main.tf"))
        .expect("read")
        .replace("\"yes\"", "\"true\"")
        .replace("\"maybe\"", "\"false\"")
        .replace("  user_data        = \"#!/bin/sh\"\n", "")
        .replace("not base64!", "IyEvYmluL3No");
    std::fs::write(d.join("main.tf"), fixed).expect("write main.tf");
    let (code, out) = slipway(d, &["plan", "-no-color"]);
    assert_eq!(code, 0, "{out}");
}

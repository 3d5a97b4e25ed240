//! The local AWS: moto in server mode on 127.0.0.1 and a free port, one per test so that tests
//! never see each other's objects, stopped when the test ends. `MOTO_SERVER` names the
//! `moto_server` program; otherwise it is looked up on the PATH (`.ci/run` installs it).

use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Moto {
    child: Child,
    pub url: String,
}

impl Moto {
    pub fn start() -> Moto {
        let program = std::env::var("MOTO_SERVER").unwrap_or_else(|_| "moto_server".into());
        let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port();
        let child = Command::new(&program)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start {program} (pip install 'moto[server]==5.1.22', or set MOTO_SERVER): {e}")
            });
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "moto did not start listening on port {port}");
            std::thread::sleep(Duration::from_millis(100));
        }
        Moto { child, url: format!("http://127.0.0.1:{port}") }
    }

    /// An EC2 client of the emulator, to read back what slipway did and to change things
    /// behind its back, exactly as another AWS user would.
    pub fn ec2(&self) -> aws_sdk_ec2::Client {
        let config = aws_sdk_ec2::config::Builder::new()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"))
            .endpoint_url(&self.url)
            .credentials_provider(aws_credential_types::Credentials::new("testing", "testing", None, None, "test"))
            .build();
        aws_sdk_ec2::Client::from_conf(config)
    }

    /// An S3 client of the emulator (by path: `localhost` has no DNS per bucket).
    pub fn s3(&self) -> aws_sdk_s3::Client {
        let config = aws_sdk_s3::config::Builder::new()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"))
            .endpoint_url(&self.url)
            .force_path_style(true)
            .credentials_provider(aws_credential_types::Credentials::new("testing", "testing", None, None, "test"))
            .build();
        aws_sdk_s3::Client::from_conf(config)
    }

    /// Makes a VPC through the SDK, as someone other than slipway would; its ID.
    pub fn create_vpc(&self, cidr: &str, tags: &[(&str, &str)]) -> String {
        let ec2 = self.ec2();
        let tags: Vec<aws_sdk_ec2::types::Tag> =
            tags.iter().map(|(k, v)| aws_sdk_ec2::types::Tag::builder().key(*k).value(*v).build()).collect();
        let spec = aws_sdk_ec2::types::TagSpecification::builder()
            .resource_type(aws_sdk_ec2::types::ResourceType::Vpc)
            .set_tags(Some(tags))
            .build();
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        let made =
            runtime.block_on(ec2.create_vpc().cidr_block(cidr).tag_specifications(spec).send()).expect("create vpc");
        made.vpc().and_then(|v| v.vpc_id()).expect("vpc id").to_string()
    }

    /// The provider block that points slipway at this emulator.
    pub fn provider_block(&self) -> String {
        format!(
            r#"provider "aws" {{
  region     = "us-east-1"
  access_key = "testing"
  secret_key = "testing"
  endpoints {{
    autoscaling = "{url}"
    ec2         = "{url}"
    elbv2       = "{url}"
    iam         = "{url}"
    route53     = "{url}"
    s3          = "{url}"
    sts         = "{url}"
  }}
  default_tags {{
    tags = {{ ManagedBy = "slipway" }}
  }}
}}
"#,
            url = self.url
        )
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

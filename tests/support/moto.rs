//! The local AWS: moto in server mode on 127.0.0.1 and a free port, one per test so that tests
//! never see each other's objects, stopped when the test ends. `MOTO_SERVER` names the
//! `moto_server` program; otherwise it is looked up on the PATH (`.ci/run` installs it). It runs
//! through `moto_server.py` beside this file, with the Python interpreter of that installation:
//! moto's server with one fix to its EC2 emulation (launching from launch template versions
//! after the first), which that file explains.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The Python interpreter of the `moto_server` script `program` (its `#!` line), found on the
/// PATH when `program` is a bare name.
fn python_of(program: &str) -> String {
    let path = if program.contains('/') {
        std::path::PathBuf::from(program)
    } else {
        std::env::var_os("PATH")
            .and_then(|p| std::env::split_paths(&p).map(|d| d.join(program)).find(|c| c.is_file()))
            .unwrap_or_else(|| std::path::PathBuf::from(program))
    };
    let script = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!("cannot read {} (pip install 'moto[server]==5.1.22', or set MOTO_SERVER): {e}", path.display())
    });
    let shebang = script.lines().next().and_then(|l| l.strip_prefix("#!")).map(str::trim);
    match shebang {
        Some(line) if line.ends_with("python") || line.contains("python3") => {
            line.split_whitespace().last().unwrap_or("python3").to_string()
        }
        _ => "python3".into(),
    }
}

pub struct Moto {
    child: Child,
    pub url: String,
}

impl Moto {
    pub fn start() -> Moto {
        let program = std::env::var("MOTO_SERVER").unwrap_or_else(|_| "moto_server".into());
        let python = python_of(&program);
        let fixed = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/moto_server.py");
        let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port();
        let child = Command::new(&python)
            .arg(&fixed)
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

    /// What carries slipway's owner tag, by kind, as each Describe call of EC2 finds it (moto keeps
    /// the tags of deleted objects in DescribeTags, so every kind is asked for directly).
    pub fn owned_by_slipway(&self, rt: &tokio::runtime::Runtime) -> Vec<String> {
        let ec2 = self.ec2();
        let owner = || aws_sdk_ec2::types::Filter::builder().name("tag-key").values("slipway:owner").build();
        let mut found = Vec::new();
        let vpcs = rt.block_on(ec2.describe_vpcs().filters(owner()).send()).expect("vpcs");
        found.extend(vpcs.vpcs().iter().filter_map(|v| v.vpc_id().map(str::to_string)));
        let subnets = rt.block_on(ec2.describe_subnets().filters(owner()).send()).expect("subnets");
        found.extend(subnets.subnets().iter().filter_map(|v| v.subnet_id().map(str::to_string)));
        let gateways = rt.block_on(ec2.describe_internet_gateways().filters(owner()).send()).expect("gateways");
        found.extend(gateways.internet_gateways().iter().filter_map(|v| v.internet_gateway_id().map(str::to_string)));
        let tables = rt.block_on(ec2.describe_route_tables().filters(owner()).send()).expect("tables");
        found.extend(tables.route_tables().iter().filter_map(|v| v.route_table_id().map(str::to_string)));
        let groups = rt.block_on(ec2.describe_security_groups().filters(owner()).send()).expect("groups");
        found.extend(groups.security_groups().iter().filter_map(|v| v.group_id().map(str::to_string)));
        let keys = rt.block_on(ec2.describe_key_pairs().filters(owner()).send()).expect("keys");
        found.extend(keys.key_pairs().iter().filter_map(|v| v.key_pair_id().map(str::to_string)));
        let volumes = rt.block_on(ec2.describe_volumes().filters(owner()).send()).expect("volumes");
        // Standalone volumes only: an instance's root volume carries its instance's owner tag.
        found.extend(
            volumes
                .volumes()
                .iter()
                .filter(|v| v.attachments().is_empty())
                .filter_map(|v| v.volume_id().map(str::to_string)),
        );
        let templates = rt.block_on(ec2.describe_launch_templates().filters(owner()).send()).expect("templates");
        found.extend(templates.launch_templates().iter().filter_map(|v| v.launch_template_id().map(str::to_string)));
        let live = aws_sdk_ec2::types::Filter::builder()
            .name("instance-state-name")
            .values("pending")
            .values("running")
            .values("stopped")
            .build();
        let instances = rt.block_on(ec2.describe_instances().filters(owner()).filters(live).send()).expect("instances");
        found.extend(
            instances
                .reservations()
                .iter()
                .flat_map(|r| r.instances())
                .filter_map(|i| i.instance_id().map(str::to_string)),
        );
        found
    }

    /// A KMS client of the emulator.
    pub fn kms(&self) -> aws_sdk_kms::Client {
        let config = aws_sdk_kms::config::Builder::new()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"))
            .endpoint_url(&self.url)
            .credentials_provider(aws_credential_types::Credentials::new("testing", "testing", None, None, "test"))
            .build();
        aws_sdk_kms::Client::from_conf(config)
    }

    /// An Auto Scaling client of the emulator.
    pub fn autoscaling(&self) -> aws_sdk_autoscaling::Client {
        let config = aws_sdk_autoscaling::config::Builder::new()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"))
            .endpoint_url(&self.url)
            .credentials_provider(aws_credential_types::Credentials::new("testing", "testing", None, None, "test"))
            .build();
        aws_sdk_autoscaling::Client::from_conf(config)
    }

    /// An Elastic Load Balancing v2 client of the emulator.
    pub fn elbv2(&self) -> aws_sdk_elasticloadbalancingv2::Client {
        let config = aws_sdk_elasticloadbalancingv2::config::Builder::new()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"))
            .endpoint_url(&self.url)
            .credentials_provider(aws_credential_types::Credentials::new("testing", "testing", None, None, "test"))
            .build();
        aws_sdk_elasticloadbalancingv2::Client::from_conf(config)
    }

    /// A classic Elastic Load Balancing client of the emulator (what Kubernetes makes by default).
    pub fn elb(&self) -> aws_sdk_elasticloadbalancing::Client {
        let config = aws_sdk_elasticloadbalancing::config::Builder::new()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"))
            .endpoint_url(&self.url)
            .credentials_provider(aws_credential_types::Credentials::new("testing", "testing", None, None, "test"))
            .build();
        aws_sdk_elasticloadbalancing::Client::from_conf(config)
    }

    /// An IAM client of the emulator.
    pub fn iam(&self) -> aws_sdk_iam::Client {
        let config = aws_sdk_iam::config::Builder::new()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"))
            .endpoint_url(&self.url)
            .credentials_provider(aws_credential_types::Credentials::new("testing", "testing", None, None, "test"))
            .build();
        aws_sdk_iam::Client::from_conf(config)
    }

    /// An S3 client of the emulator, by path (`http://host/bucket/key`: no DNS per bucket).
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

    /// A Route 53 client of the emulator, through `url` (see [`Moto::plain_xml_proxy`]).
    pub fn route53(&self, url: &str) -> aws_sdk_route53::Client {
        let config = aws_sdk_route53::config::Builder::new()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"))
            .endpoint_url(url)
            .credentials_provider(aws_credential_types::Credentials::new("testing", "testing", None, None, "test"))
            .build();
        aws_sdk_route53::Client::from_conf(config)
    }

    /// moto wraps some XML text in CDATA sections (Route 53 record values), which the SDK's
    /// XML parser reads as empty; AWS never sends CDATA. This proxy in front of moto rewrites
    /// each CDATA section as escaped text, one request per connection; its URL.
    pub fn plain_xml_proxy(&self) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let upstream = self.url.trim_start_matches("http://").to_string();
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let upstream = upstream.clone();
                std::thread::spawn(move || {
                    let _ = proxy_one(client, &upstream);
                });
            }
        });
        url
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
    elb         = "{url}"
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

/// One request from `client` to moto and its answer back, CDATA rewritten.
fn proxy_one(mut client: TcpStream, upstream: &str) -> std::io::Result<()> {
    let (head, body) = read_message(&mut client, false)?;
    let head = with_connection_close(&head);
    let mut server = TcpStream::connect(upstream)?;
    server.write_all(head.as_bytes())?;
    server.write_all(&body)?;
    let (head, body) = read_message(&mut server, true)?;
    let text = String::from_utf8_lossy(&body);
    let body = if text.contains("<![CDATA[") { plain_xml(&text).into_bytes() } else { body };
    let head: Vec<String> = with_connection_close(&head)
        .lines()
        .filter(|l| !l.is_empty() && !l.to_ascii_lowercase().starts_with("content-length:"))
        .map(str::to_string)
        .collect();
    client.write_all(format!("{}\r\nContent-Length: {}\r\n\r\n", head.join("\r\n"), body.len()).as_bytes())?;
    client.write_all(&body)?;
    client.flush()
}

/// The head and body of an HTTP message; a response without Content-Length runs to the end.
fn read_message(stream: &mut TcpStream, response: bool) -> std::io::Result<(String, Vec<u8>)> {
    let mut data = Vec::new();
    let mut buf = [0u8; 8192];
    let split = loop {
        if let Some(i) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        let n = stream.read(&mut buf)?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        data.extend_from_slice(&buf[..n]);
    };
    let head = String::from_utf8_lossy(&data[..split]).to_string();
    let mut body = data[split + 4..].to_vec();
    let length = head.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.eq_ignore_ascii_case("content-length").then(|| v.trim().parse::<usize>().ok()).flatten()
    });
    match length {
        Some(length) => {
            while body.len() < length {
                let n = stream.read(&mut buf)?;
                if n == 0 {
                    break;
                }
                body.extend_from_slice(&buf[..n]);
            }
        }
        None if response => {
            stream.read_to_end(&mut body)?;
        }
        None => {}
    }
    Ok((head, body))
}

fn with_connection_close(head: &str) -> String {
    let mut lines: Vec<&str> = head.lines().filter(|l| !l.to_ascii_lowercase().starts_with("connection:")).collect();
    lines.push("Connection: close");
    format!("{}\r\n\r\n", lines.join("\r\n"))
}

/// `<![CDATA[a & b]]>` as `a &amp; b`.
fn plain_xml(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("<![CDATA[") {
        out.push_str(&rest[..start]);
        let inner = &rest[start + 9..];
        let end = inner.find("]]>").unwrap_or(inner.len());
        out.push_str(&inner[..end].replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;"));
        rest = inner.get(end + 3..).unwrap_or_default();
    }
    out.push_str(rest);
    out
}

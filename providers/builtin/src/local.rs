//! The `local` provider (hashicorp/local 2.x): `local_file` and `local_sensitive_file`, real files
//! on the machine running slipway, written with permissions, re-read on refresh so that a deleted
//! file is re-created and edited content shows as drift.

// This provider's purpose is file IO on the local machine. The workspace rule that routes reads
// through `slipway_lang::fs::FileSystem` keeps *evaluation* IO-free and does not apply to a
// provider's apply/refresh; using tokio::fs (async, off the runtime's worker threads) keeps this
// module outside the std::fs calls that rule lists, so no `allow` is needed.

use std::collections::BTreeMap;
use std::io::ErrorKind;
use std::path::Path;

use async_trait::async_trait;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sha1::Digest as _;
use slipway_core::diagnostics::{Diagnostic, Diagnostics};
use slipway_core::provider::{
    ApplyRequest, ApplyResponse, ImportRequest, ImportResponse, PlanRequest, PlanResponse, Provider, ReadBatchRequest,
    ReadBatchResponse, ReadDataRequest, ReadDataResponse, ValidateRequest, ValidateResponse,
};
use slipway_core::schema::{AttributeSchema, BlockSchema, ProviderSchema, ResourceSchema};
use slipway_core::{Type, Value};

use crate::common::{attr, hex, mark_sensitive, plan_generic, string_attr, unknown_type};

const FILE: &str = "local_file";
const SENSITIVE_FILE: &str = "local_sensitive_file";

/// The attributes that hold the file's content; exactly one must be set.
const CONTENT_ATTRS: [&str; 3] = ["content", "sensitive_content", "content_base64"];

/// The computed checksums, in schema order.
const CHECKSUMS: [&str; 6] =
    ["content_md5", "content_sha1", "content_sha256", "content_base64sha256", "content_sha512", "content_base64sha512"];

pub struct LocalProvider {
    schema: ProviderSchema,
}

impl Default for LocalProvider {
    fn default() -> Self {
        Self::new()
    }
}

/// Both types share one shape; the sensitive one marks its content sensitive, has no separate
/// `sensitive_content`, and defaults to owner-only permissions as hashicorp/local does.
fn file_block(sensitive: bool) -> BlockSchema {
    let content = AttributeSchema::optional(Type::String).force_new().describe("The file's content as text.");
    let content_base64 =
        AttributeSchema::optional(Type::String).force_new().describe("The file's content as base64 (binary files).");
    let mut block = BlockSchema::new()
        .attribute("filename", AttributeSchema::required(Type::String).force_new().describe("The path of the file."))
        .attribute(
            "file_permission",
            AttributeSchema::optional_computed(Type::String).force_new().describe("Octal permission of the file."),
        )
        .attribute(
            "directory_permission",
            AttributeSchema::optional_computed(Type::String)
                .force_new()
                .describe("Octal permission of directories created for the file."),
        )
        .attribute("id", AttributeSchema::computed(Type::String).describe("The SHA-1 hex of the content."));
    if sensitive {
        block = block.attribute("content", content.sensitive()).attribute("content_base64", content_base64.sensitive());
    } else {
        block = block.attribute("content", content).attribute("content_base64", content_base64).attribute(
            "sensitive_content",
            AttributeSchema::optional(Type::String)
                .sensitive()
                .force_new()
                .describe("Deprecated: use local_sensitive_file."),
        );
    }
    for name in CHECKSUMS {
        block = block.attribute(name, AttributeSchema::computed(Type::String));
    }
    block
}

/// The data sources `local_file` and `local_sensitive_file`: an existing file's content and
/// checksums, read while planning (or during apply when the file name is known only then).
fn file_data_block(sensitive: bool) -> BlockSchema {
    let content = AttributeSchema::computed(Type::String).describe("The file's content as text (UTF-8).");
    let content_base64 = AttributeSchema::computed(Type::String).describe("The file's content as base64.");
    let (content, content_base64) =
        if sensitive { (content.sensitive(), content_base64.sensitive()) } else { (content, content_base64) };
    let mut block = BlockSchema::new()
        .attribute("filename", AttributeSchema::required(Type::String).describe("The path of the file to read."))
        .attribute("content", content)
        .attribute("content_base64", content_base64)
        .attribute("id", AttributeSchema::computed(Type::String).describe("The SHA-1 hex of the content."));
    for name in CHECKSUMS {
        block = block.attribute(name, AttributeSchema::computed(Type::String));
    }
    block
}

fn default_permission(type_name: &str) -> &'static str {
    if type_name == SENSITIVE_FILE { "0700" } else { "0777" }
}

impl LocalProvider {
    pub fn new() -> Self {
        let mut schema = ProviderSchema::default();
        schema.resources.insert(FILE.to_string(), ResourceSchema { version: 0, block: file_block(false) });
        schema.resources.insert(SENSITIVE_FILE.to_string(), ResourceSchema { version: 0, block: file_block(true) });
        schema.data_sources.insert(FILE.to_string(), ResourceSchema { version: 0, block: file_data_block(false) });
        schema
            .data_sources
            .insert(SENSITIVE_FILE.to_string(), ResourceSchema { version: 0, block: file_data_block(true) });
        LocalProvider { schema }
    }

    fn block(&self, type_name: &str) -> Option<&BlockSchema> {
        self.schema.resources.get(type_name).map(|r| &r.block)
    }

    /// The value of a file in state: the given attributes, the checksums of `bytes`, the rest null.
    fn state(&self, type_name: &str, block: &BlockSchema, set: BTreeMap<String, Value>, bytes: &[u8]) -> Value {
        let mut attrs: BTreeMap<String, Value> =
            block.attributes.iter().map(|(k, a)| (k.clone(), Value::null(a.ty.clone()))).collect();
        attrs.extend(set);
        for name in ["file_permission", "directory_permission"] {
            if attrs.get(name).is_none_or(Value::is_null) {
                attrs.insert(name.to_string(), Value::string(default_permission(type_name)));
            }
        }
        attrs.extend(checksums(bytes));
        mark_sensitive(block, Value::object(attrs))
    }
}

/// `id` and the checksum attributes of some content.
fn checksums(bytes: &[u8]) -> BTreeMap<String, Value> {
    let sha1 = sha1::Sha1::digest(bytes);
    let sha256 = sha2::Sha256::digest(bytes);
    let sha512 = sha2::Sha512::digest(bytes);
    let md5 = md5::Md5::digest(bytes);
    [
        ("id", hex(&sha1)),
        ("content_md5", hex(&md5)),
        ("content_sha1", hex(&sha1)),
        ("content_sha256", hex(&sha256)),
        ("content_base64sha256", STANDARD.encode(sha256)),
        ("content_sha512", hex(&sha512)),
        ("content_base64sha512", STANDARD.encode(sha512)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), Value::string(v)))
    .collect()
}

/// The bytes the configuration asks for, from whichever content attribute is set.
fn content_bytes(value: &Value) -> Result<Vec<u8>, Diagnostic> {
    if let Some(b64) = string_attr(value, "content_base64")? {
        return STANDARD.decode(b64.as_bytes()).map_err(|e| {
            Diagnostic::error(
                "Invalid value for \"content_base64\"",
                format!("The attribute \"content_base64\" is not valid base64: {e}."),
            )
        });
    }
    for name in ["content", "sensitive_content"] {
        if let Some(text) = string_attr(value, name)? {
            return Ok(text.into_bytes());
        }
    }
    Err(Diagnostic::error(
        "Missing file content",
        "One of \"content\", \"sensitive_content\" or \"content_base64\" must be set.",
    ))
}

/// An octal permission string ("0644", "755"), or a diagnostic naming the attribute.
fn parse_permission(text: &str, name: &str) -> Result<u32, Diagnostic> {
    let valid = (3..=4).contains(&text.len()) && text.bytes().all(|b| (b'0'..=b'7').contains(&b));
    match u32::from_str_radix(text, 8) {
        Ok(mode) if valid => Ok(mode),
        _ => Err(Diagnostic::error(
            format!("Invalid value for {name:?}"),
            format!(
                "The attribute {name:?} must be an octal permission of 3 or 4 digits, like \"0644\"; got {text:?}."
            ),
        )),
    }
}

fn io_error(action: &str, path: &str, e: &std::io::Error) -> Diagnostic {
    Diagnostic::error(format!("Cannot {action} {path:?}"), format!("The attribute \"filename\" is {path:?}: {e}."))
}

#[cfg(unix)]
async fn set_mode(path: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    tokio::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).await
}

#[cfg(not(unix))]
async fn set_mode(_path: &Path, _mode: u32) -> std::io::Result<()> {
    // Windows has no octal permissions; hashicorp/local ignores them there too.
    Ok(())
}

#[cfg(unix)]
async fn create_dirs(dir: &Path, mode: u32) -> std::io::Result<()> {
    let mut builder = tokio::fs::DirBuilder::new();
    builder.recursive(true).mode(mode);
    builder.create(dir).await
}

#[cfg(not(unix))]
async fn create_dirs(dir: &Path, _mode: u32) -> std::io::Result<()> {
    tokio::fs::create_dir_all(dir).await
}

/// The file's permission as the octal string `file_permission` holds.
#[cfg(unix)]
fn mode_string(metadata: &std::fs::Metadata) -> Option<String> {
    use std::os::unix::fs::PermissionsExt;
    Some(format!("{:04o}", metadata.permissions().mode() & 0o7777))
}

#[cfg(not(unix))]
fn mode_string(_metadata: &std::fs::Metadata) -> Option<String> {
    None
}

/// Writes the planned file: directories first, then content, then the exact permission (the
/// umask would otherwise narrow it).
async fn write_file(planned: &Value, type_name: &str) -> Result<Vec<u8>, Diagnostic> {
    let filename = string_attr(planned, "filename")?.unwrap_or_default();
    let bytes = content_bytes(planned)?;
    let file_mode = parse_permission(
        &string_attr(planned, "file_permission")?.unwrap_or_else(|| default_permission(type_name).to_string()),
        "file_permission",
    )?;
    let dir_mode = parse_permission(
        &string_attr(planned, "directory_permission")?.unwrap_or_else(|| default_permission(type_name).to_string()),
        "directory_permission",
    )?;
    let path = Path::new(&filename);
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        create_dirs(parent, dir_mode).await.map_err(|e| io_error("create the directory of", &filename, &e))?;
    }
    tokio::fs::write(path, &bytes).await.map_err(|e| io_error("write", &filename, &e))?;
    set_mode(path, file_mode).await.map_err(|e| io_error("set the permission of", &filename, &e))?;
    Ok(bytes)
}

#[async_trait]
impl Provider for LocalProvider {
    fn schema(&self) -> &ProviderSchema {
        &self.schema
    }

    fn validate(&self, request: ValidateRequest) -> ValidateResponse {
        let mut diagnostics = Diagnostics::new();
        if request.mode == slipway_core::address::ResourceMode::Data {
            // A data source's only argument is the required file name; the schema checked it.
            return ValidateResponse { diagnostics };
        }
        let set: Vec<&str> = CONTENT_ATTRS.into_iter().filter(|n| !attr(&request.config, n).is_null()).collect();
        // An unknown content attribute counts as set: it will have a value at apply.
        if set.len() > 1 {
            diagnostics.push(Diagnostic::error(
                "Conflicting file content",
                format!(
                    "Only one of \"content\", \"sensitive_content\" or \"content_base64\" may be set; {set:?} are."
                ),
            ));
        } else if set.is_empty() {
            diagnostics.push(Diagnostic::error(
                "Missing file content",
                "One of \"content\", \"sensitive_content\" or \"content_base64\" must be set.",
            ));
        }
        for name in ["file_permission", "directory_permission"] {
            if let Some(text) = attr(&request.config, name).as_str()
                && let Err(d) = parse_permission(text, name)
            {
                diagnostics.push(d);
            }
        }
        ValidateResponse { diagnostics }
    }

    fn plan(&self, request: PlanRequest) -> PlanResponse {
        let Some(block) = self.block(&request.type_name) else {
            return PlanResponse { diagnostics: unknown_type(&request.type_name).into(), ..Default::default() };
        };
        let default = Value::string(default_permission(&request.type_name));
        let defaults = BTreeMap::from([("file_permission", default.clone()), ("directory_permission", default)]);
        plan_generic(block, &request, &defaults)
    }

    async fn apply(&self, request: ApplyRequest) -> ApplyResponse {
        let Some(block) = self.block(&request.type_name) else {
            return ApplyResponse { diagnostics: unknown_type(&request.type_name).into(), ..Default::default() };
        };
        let Some(planned) = request.planned else {
            // Delete: the file goes; one already gone is what we wanted.
            let Some(prior) = &request.prior else {
                return ApplyResponse::default();
            };
            let filename = match string_attr(prior, "filename") {
                Ok(f) => f.unwrap_or_default(),
                Err(d) => {
                    return ApplyResponse { new_state: request.prior, diagnostics: d.into(), ..Default::default() };
                }
            };
            return match tokio::fs::remove_file(&filename).await {
                Ok(()) => ApplyResponse::default(),
                Err(e) if e.kind() == ErrorKind::NotFound => ApplyResponse::default(),
                Err(e) => ApplyResponse {
                    new_state: request.prior,
                    diagnostics: io_error("delete", &filename, &e).into(),
                    ..Default::default()
                },
            };
        };
        match write_file(&planned, &request.type_name).await {
            Ok(bytes) => {
                let configured = block
                    .attributes
                    .keys()
                    .filter(|k| attr(&planned, k).is_known())
                    .map(|k| (k.clone(), attr(&planned, k)));
                let state = self.state(&request.type_name, block, configured.collect(), &bytes);
                ApplyResponse { new_state: Some(state), ..Default::default() }
            }
            // Nothing usable was written over the prior file's place in state.
            Err(d) => ApplyResponse { new_state: request.prior, diagnostics: d.into(), ..Default::default() },
        }
    }

    /// Re-reads each file: gone → `None` (the plan re-creates it); different content → the state
    /// with the new content and checksums, so the plan shows the drift and replaces the file.
    async fn read_batch(&self, request: ReadBatchRequest) -> ReadBatchResponse {
        let mut response = ReadBatchResponse::default();
        let Some(block) = self.block(&request.type_name) else {
            response.diagnostics.push(unknown_type(&request.type_name));
            response.current = request.instances.into_iter().map(|i| Some(i.prior)).collect();
            return response;
        };
        for instance in request.instances {
            let prior = instance.prior;
            let filename = attr(&prior, "filename").as_str().map(str::to_string).unwrap_or_default();
            let bytes = match tokio::fs::read(&filename).await {
                Ok(bytes) => bytes,
                Err(e) if e.kind() == ErrorKind::NotFound => {
                    response.current.push(None);
                    continue;
                }
                Err(e) => {
                    response.diagnostics.push(io_error("read", &filename, &e));
                    response.current.push(Some(prior));
                    continue;
                }
            };
            let sums = checksums(&bytes);
            if sums.get("id").is_some_and(|id| crate::common::same(id, &attr(&prior, "id"))) {
                response.current.push(Some(prior));
                continue;
            }
            let mut attrs = prior.as_entries().cloned().unwrap_or_default();
            if !attr(&prior, "content_base64").is_null() {
                attrs.insert("content_base64".to_string(), Value::string(STANDARD.encode(&bytes)));
            } else {
                let name = if attr(&prior, "sensitive_content").is_null() { "content" } else { "sensitive_content" };
                attrs.insert(name.to_string(), Value::string(String::from_utf8_lossy(&bytes).into_owned()));
            }
            response.current.push(Some(self.state(&request.type_name, block, attrs, &bytes)));
        }
        response
    }

    async fn read_data(&self, request: ReadDataRequest) -> ReadDataResponse {
        let Some(block) = self.schema.data_sources.get(&request.type_name).map(|d| &d.block) else {
            return ReadDataResponse { diagnostics: unknown_type(&request.type_name).into(), ..Default::default() };
        };
        let filename = match string_attr(&request.config, "filename") {
            Ok(Some(filename)) => filename,
            Ok(None) => {
                let d = Diagnostic::error("Missing filename", "The data source needs \"filename\".");
                return ReadDataResponse { diagnostics: d.into(), ..Default::default() };
            }
            Err(d) => return ReadDataResponse { diagnostics: d.into(), ..Default::default() },
        };
        let bytes = match tokio::fs::read(&filename).await {
            Ok(bytes) => bytes,
            Err(e) => {
                return ReadDataResponse { diagnostics: io_error("read", &filename, &e).into(), ..Default::default() };
            }
        };
        let mut attrs = checksums(&bytes);
        attrs.insert("filename".to_string(), Value::string(filename));
        attrs.insert("content".to_string(), Value::string(String::from_utf8_lossy(&bytes).into_owned()));
        attrs.insert("content_base64".to_string(), Value::string(STANDARD.encode(&bytes)));
        ReadDataResponse { state: Some(mark_sensitive(block, Value::object(attrs))), ..Default::default() }
    }

    /// Imports by file name: text files as `content`, others as `content_base64`.
    async fn import(&self, request: ImportRequest) -> ImportResponse {
        let Some(block) = self.block(&request.type_name) else {
            return ImportResponse { diagnostics: unknown_type(&request.type_name).into(), ..Default::default() };
        };
        let filename = request.id;
        let bytes = match tokio::fs::read(&filename).await {
            Ok(bytes) => bytes,
            Err(e) => {
                return ImportResponse { diagnostics: io_error("import", &filename, &e).into(), ..Default::default() };
            }
        };
        let mut attrs = BTreeMap::from([("filename".to_string(), Value::string(filename.clone()))]);
        if let Some(mode) = tokio::fs::metadata(&filename).await.ok().as_ref().and_then(mode_string) {
            attrs.insert("file_permission".to_string(), Value::string(mode));
        }
        match String::from_utf8(bytes.clone()) {
            Ok(text) => attrs.insert("content".to_string(), Value::string(text)),
            Err(_) => attrs.insert("content_base64".to_string(), Value::string(STANDARD.encode(&bytes))),
        };
        let state = self.state(&request.type_name, block, attrs, &bytes);
        ImportResponse { state: Some(state), ..Default::default() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::common::testing::*;
    use slipway_core::path::AttrPath;

    fn file_config(p: &LocalProvider, t: &str, path: &Path, content: &str, perm: &str) -> Value {
        config(
            p,
            t,
            &[
                ("filename", Value::string(path.to_string_lossy().into_owned())),
                ("content", Value::string(content)),
                ("file_permission", Value::string(perm)),
            ],
        )
    }

    #[tokio::test]
    async fn lifecycle_with_drift() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("sub/dir/hello.txt");
        let p = LocalProvider::new();
        let c1 = file_config(&p, FILE, &path, "hello", "0640");

        let planned = plan(&p, FILE, None, &c1).planned.expect("planned");
        assert_eq!(get_str(&planned, "directory_permission"), "0777");
        assert!(!attr(&planned, "id").is_known());
        let state = apply(&p, FILE, None, Some(planned), Some(&c1)).await.new_state.expect("state");
        assert_eq!(tokio::fs::read_to_string(&path).await.expect("read"), "hello");
        assert_eq!(get_str(&state, "id"), "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d");
        assert_eq!(get_str(&state, "content_md5"), "5d41402abc4b2a76b9719d911017c592");
        assert_eq!(get_str(&state, "content_base64sha256"), "LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = tokio::fs::metadata(&path).await.expect("metadata").permissions().mode();
            assert_eq!(mode & 0o777, 0o640);
        }

        let state = read(&p, FILE, &state).await.expect("present");
        assert!(is_no_op(&plan(&p, FILE, Some(&state), &c1), &state));

        // Edited outside slipway: refresh shows the new content, and the plan replaces the file.
        tokio::fs::write(&path, "tampered").await.expect("write");
        let drifted = read(&p, FILE, &state).await.expect("present");
        assert_eq!(get_str(&drifted, "content"), "tampered");
        assert_eq!(plan(&p, FILE, Some(&drifted), &c1).requires_replace, vec![AttrPath::attr("content")]);

        // Deleted outside slipway: refresh says gone.
        tokio::fs::remove_file(&path).await.expect("remove");
        assert!(read(&p, FILE, &state).await.is_none());
        let state = apply(&p, FILE, None, plan(&p, FILE, None, &c1).planned, Some(&c1)).await.new_state.expect("state");

        // A content change replaces; the new file has the new content.
        let c2 = file_config(&p, FILE, &path, "bye", "0640");
        let plan2 = plan(&p, FILE, Some(&state), &c2);
        assert_eq!(plan2.requires_replace, vec![AttrPath::attr("content")]);
        assert!(!attr(plan2.planned.as_ref().expect("planned"), "id").is_known());
        let state2 = apply(&p, FILE, None, plan2.planned, Some(&c2)).await.new_state.expect("state");
        assert_eq!(tokio::fs::read_to_string(&path).await.expect("read"), "bye");

        assert!(apply(&p, FILE, Some(&state2), None, None).await.new_state.is_none());
        assert!(tokio::fs::metadata(&path).await.is_err());
        // Deleting again (already gone) is not an error.
        assert!(apply(&p, FILE, Some(&state2), None, None).await.new_state.is_none());
    }

    #[tokio::test]
    async fn data_sources_read_existing_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("hello.txt");
        tokio::fs::write(&path, "hello").await.expect("write");
        let p = LocalProvider::new();
        let filename = Value::string(path.to_string_lossy().into_owned());
        let read = |type_name: &str| ReadDataRequest {
            type_name: type_name.to_string(),
            config: Value::object_from([("filename", filename.clone())]),
        };
        let state = p.read_data(read(FILE)).await.state.expect("read");
        assert_eq!(get_str(&state, "content"), "hello");
        assert_eq!(get_str(&state, "content_base64"), "aGVsbG8=");
        assert_eq!(get_str(&state, "id"), "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d");
        assert!(!attr(&state, "content").is_sensitive());
        let secret = p.read_data(read(SENSITIVE_FILE)).await.state.expect("read");
        assert!(attr(&secret, "content").is_sensitive() && attr(&secret, "content_base64").is_sensitive());

        tokio::fs::remove_file(&path).await.expect("remove");
        let missing = p.read_data(read(FILE)).await;
        assert!(missing.state.is_none() && missing.diagnostics.has_errors());
    }

    #[tokio::test]
    async fn sensitive_file_marks_content_and_defaults_to_owner_only() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("secret");
        let p = LocalProvider::new();
        let c = config(
            &p,
            SENSITIVE_FILE,
            &[
                ("filename", Value::string(path.to_string_lossy().into_owned())),
                ("content_base64", Value::string(STANDARD.encode([0u8, 159, 146, 150]))),
            ],
        );
        let planned = plan(&p, SENSITIVE_FILE, None, &c).planned.expect("planned");
        assert!(attr(&planned, "content_base64").is_sensitive());
        assert_eq!(get_str(&planned, "file_permission"), "0700");
        let state = apply(&p, SENSITIVE_FILE, None, Some(planned), Some(&c)).await.new_state.expect("state");
        assert_eq!(tokio::fs::read(&path).await.expect("read"), vec![0u8, 159, 146, 150]);
        assert!(attr(&state, "content_base64").is_sensitive());
        let state = read(&p, SENSITIVE_FILE, &state).await.expect("present");
        assert!(is_no_op(&plan(&p, SENSITIVE_FILE, Some(&state), &c), &state));

        // Import reads binary content back as base64 with the file's real permission.
        let imported = p
            .import(ImportRequest { type_name: SENSITIVE_FILE.to_string(), id: path.to_string_lossy().into_owned() })
            .await
            .state
            .expect("imported");
        assert_eq!(get_str(&imported, "id"), get_str(&state, "id"));
        #[cfg(unix)]
        assert_eq!(get_str(&imported, "file_permission"), "0700");
        assert!(is_no_op(&plan(&p, SENSITIVE_FILE, Some(&imported), &c), &imported));
    }

    #[test]
    fn validate_requires_exactly_one_content() {
        let p = LocalProvider::new();
        let both = config(&p, FILE, &[("content", Value::string("a")), ("content_base64", Value::string("YQ=="))]);
        let none = config(&p, FILE, &[("filename", Value::string("x"))]);
        let bad_mode = config(&p, FILE, &[("content", Value::string("a")), ("file_permission", Value::string("999"))]);
        for (c, summary) in [
            (both, "Conflicting file content"),
            (none, "Missing file content"),
            (bad_mode, "Invalid value for \"file_permission\""),
        ] {
            let d = p
                .validate(ValidateRequest {
                    mode: slipway_core::address::ResourceMode::Managed,
                    type_name: FILE.to_string(),
                    config: c,
                })
                .diagnostics;
            assert_eq!(d.iter().map(|d| d.summary.as_str()).collect::<Vec<_>>(), vec![summary]);
        }
    }
}

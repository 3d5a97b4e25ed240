//! The S3 state backend (`terraform { backend "s3" { ... } }`): state objects, a journal, and a
//! lease lock, all on S3 conditional writes, with no DynamoDB table.
//!
//! Where things are, for a workspace's state key `K` (`key` for `default`,
//! `<workspace_key_prefix>/<name>/<key>` otherwise, as Terraform):
//! - `K`: the state document. Every write is a PutObject conditional on the ETag this backend
//!   last read or wrote (`If-Match`), or on there being none (`If-None-Match: *`): a run whose
//!   state was replaced behind its back gets a conflict instead of overwriting it.
//! - `K.journal/<seq>`: the journal. S3 has no append, so each journaled batch of completed
//!   operations is one small object written with `If-None-Match: *` under a sequence number that
//!   only grows (zero-padded, so listing returns them in order). A read returns the state and the
//!   entries of every journal object; a full write deletes the journal objects it includes. An
//!   entry left behind by a failed delete is harmless: entries carry the lineage and serial they
//!   apply to, and the engine skips those of older states. One PUT per batch keeps apply linear.
//! - `K.tflock`: the lease lock (`use_lockfile = true`, the default). Taking it is a PutObject
//!   with `If-None-Match: *`, so of two runs exactly one creates it. Its body says who holds it,
//!   for what, since when, and until when (`Expires`). A background task renews the lease with
//!   `If-Match` on the lock's ETag every third of the lease; a renewal refused with 412 means
//!   the lease was taken over, and from then on this backend refuses to write state. A lease
//!   past its expiry (a holder killed with SIGKILL) is taken over with `If-Match` on the ETag of
//!   the expired lock object read, so two contenders cannot both win. Unlock is a DeleteObject
//!   with `If-Match`.
//!
//! The lease lasts 90 s (renewed every 30 s, so heartbeat traffic is one request per 30 s);
//! `SLIPWAY_S3_LOCK_LEASE_SECONDS` (or the backend setting `lock_lease_seconds`) changes it,
//! which tests use to see an abandoned lease expire in seconds. Expiry is judged by the
//! contender's clock against the holder's: clocks must agree to well within a lease.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use aws_config::{BehaviorVersion, Region};
use aws_credential_types::Credentials;
use aws_sdk_s3::error::SdkError;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{Delete, ObjectIdentifier, ServerSideEncryption};
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use serde::{Deserialize, Serialize};
use slipway_core::backend::{Backend, BackendError, LockInfo, StateVersion, StoredState};

/// The default lease of a lock: long enough that a slow network never loses it, short enough
/// that the lock of a crashed run frees itself soon.
const DEFAULT_LEASE: Duration = Duration::from_secs(90);
/// The environment variable that overrides the lease, in seconds.
pub const LEASE_ENV: &str = "SLIPWAY_S3_LOCK_LEASE_SECONDS";

/// The settings of `backend "s3"`, validated.
#[derive(Clone, Debug, PartialEq)]
pub struct S3Settings {
    pub bucket: String,
    pub key: String,
    pub region: Option<String>,
    pub endpoint: Option<String>,
    pub use_path_style: bool,
    pub workspace_key_prefix: String,
    pub encrypt: bool,
    pub kms_key_id: Option<String>,
    pub use_lockfile: bool,
    pub profile: Option<String>,
    pub access_key: Option<String>,
    pub secret_key: Option<String>,
    pub token: Option<String>,
    pub lease: Duration,
}

/// The settings `backend "s3"` accepts, as flat names (`endpoints.s3` for the block's).
pub const SETTINGS: [&str; 17] = [
    "bucket",
    "key",
    "region",
    "endpoints.s3",
    "endpoint",
    "use_path_style",
    "force_path_style",
    "workspace_key_prefix",
    "encrypt",
    "kms_key_id",
    "use_lockfile",
    "profile",
    "access_key",
    "secret_key",
    "token",
    "skip_credentials_validation",
    "lock_lease_seconds",
];

impl S3Settings {
    /// Validates the flat settings (the block merged with `-backend-config`); every problem in
    /// one message.
    pub fn from_map(map: &BTreeMap<String, String>) -> Result<S3Settings, String> {
        let mut problems = Vec::new();
        for name in map.keys() {
            if !SETTINGS.contains(&name.as_str()) {
                problems.push(format!("{name:?} is not a setting of the s3 backend"));
            }
        }
        let get = |name: &str| map.get(name).filter(|v| !v.is_empty()).cloned();
        let mut flag = |name: &str, default: bool| match map.get(name).map(String::as_str) {
            None => default,
            Some("true") => true,
            Some("false") => false,
            Some(other) => {
                problems.push(format!("{name} must be true or false, not {other:?}"));
                default
            }
        };
        let use_path_style = flag("use_path_style", false) || flag("force_path_style", false);
        let encrypt = flag("encrypt", false);
        let use_lockfile = flag("use_lockfile", true);
        let bucket = get("bucket");
        let key = get("key");
        if bucket.is_none() {
            problems.push("bucket is required: the S3 bucket that holds the state".into());
        }
        match &key {
            None => {
                problems.push("key is required: the object key of the state, e.g. \"prod/terraform.tfstate\"".into())
            }
            Some(k) if k.starts_with('/') || k.ends_with('/') => {
                problems.push(format!("key {k:?} must not start or end with \"/\""))
            }
            _ => {}
        }
        let workspace_key_prefix = get("workspace_key_prefix").unwrap_or_else(|| "env:".into());
        let lease = match std::env::var(LEASE_ENV).ok().or_else(|| get("lock_lease_seconds")) {
            None => DEFAULT_LEASE,
            Some(text) => match text.parse::<u64>() {
                Ok(n) if n >= 1 => Duration::from_secs(n),
                _ => {
                    problems.push(format!("the lock lease must be a whole number of seconds, not {text:?}"));
                    DEFAULT_LEASE
                }
            },
        };
        if get("access_key").is_some() != get("secret_key").is_some() {
            problems.push("access_key and secret_key go together: set both, or neither".into());
        }
        if !problems.is_empty() {
            return Err(format!("Invalid s3 backend configuration:\n  - {}", problems.join("\n  - ")));
        }
        Ok(S3Settings {
            bucket: bucket.unwrap_or_default(),
            key: key.unwrap_or_default(),
            region: get("region"),
            endpoint: get("endpoints.s3").or_else(|| get("endpoint")),
            use_path_style,
            workspace_key_prefix,
            encrypt,
            kms_key_id: get("kms_key_id"),
            use_lockfile,
            profile: get("profile"),
            access_key: get("access_key"),
            secret_key: get("secret_key"),
            token: get("token"),
            lease,
        })
    }
}

/// What this backend knows of a workspace's objects.
#[derive(Default)]
struct Known {
    /// The ETag of the state object as last read or written: `Some(None)` when there was none.
    state_etag: Option<Option<String>>,
    /// The journal objects written on top of the stored state.
    journal: Vec<String>,
    /// The next journal sequence number.
    next_seq: u64,
    lease: Option<Lease>,
}

/// A lock this process holds.
struct Lease {
    id: String,
    etag: Arc<Mutex<String>>,
    lost: Arc<AtomicBool>,
    heartbeat: tokio::task::JoinHandle<()>,
}

/// The body of a lock object.
#[derive(Serialize, Deserialize)]
struct LeaseDoc {
    #[serde(flatten)]
    info: LockInfo,
    /// RFC 3339: when the lease ends unless the holder renews it.
    #[serde(rename = "Expires")]
    expires: String,
}

pub struct S3Backend {
    client: aws_sdk_s3::Client,
    settings: S3Settings,
    known: Arc<Mutex<HashMap<String, Known>>>,
}

impl std::fmt::Debug for S3Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Backend").field("bucket", &self.settings.bucket).field("key", &self.settings.key).finish()
    }
}

/// Connects to S3 with aws-config's usual sources (environment, profiles, SSO, metadata) and
/// the settings' region, profile, credentials and endpoint.
pub async fn connect(settings: S3Settings) -> Result<S3Backend, String> {
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if let Some(region) = &settings.region {
        loader = loader.region(Region::new(region.clone()));
    }
    if let Some(profile) = &settings.profile {
        loader = loader.profile_name(profile);
    }
    if let (Some(access), Some(secret)) = (&settings.access_key, &settings.secret_key) {
        loader = loader.credentials_provider(Credentials::new(
            access,
            secret,
            settings.token.clone(),
            None,
            "backend configuration",
        ));
    }
    let sdk = loader.load().await;
    if sdk.region().is_none() {
        return Err(format!(
            "The s3 backend for bucket {:?} has no region: set region in the backend block, -backend-config=region=..., or AWS_REGION.",
            settings.bucket
        ));
    }
    let mut builder = aws_sdk_s3::config::Builder::from(&sdk);
    if let Some(url) = &settings.endpoint {
        // An endpoint override (an emulator, an S3-compatible store) has no DNS per bucket.
        builder = builder.endpoint_url(url).force_path_style(true);
    } else if settings.use_path_style {
        builder = builder.force_path_style(true);
    }
    Ok(S3Backend {
        client: aws_sdk_s3::Client::from_conf(builder.build()),
        settings,
        known: Arc::new(Mutex::new(HashMap::new())),
    })
}

/// The HTTP status of a failed call, when the server answered.
fn status<E>(err: &SdkError<E, aws_smithy_runtime_api::http::Response>) -> Option<u16> {
    err.raw_response().map(|r| r.status().as_u16())
}

fn describe_error<E>(err: &E) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    match (err.code(), err.message()) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (Some(code), None) => code.to_string(),
        _ => DisplayErrorContext(err).to_string(),
    }
}

fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now()
}

fn rfc3339(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

impl S3Backend {
    pub fn settings(&self) -> &S3Settings {
        &self.settings
    }

    /// The state object's key for `workspace`.
    pub fn state_key(&self, workspace: &str) -> String {
        if workspace == "default" {
            self.settings.key.clone()
        } else {
            format!("{}/{workspace}/{}", self.settings.workspace_key_prefix, self.settings.key)
        }
    }

    fn url(&self, key: &str) -> String {
        format!("s3://{}/{key}", self.settings.bucket)
    }

    fn storage(&self, what: &str, key: &str, detail: impl std::fmt::Display) -> BackendError {
        BackendError::Storage(format!("{what} {} failed: {detail}", self.url(key)))
    }

    fn put(&self, key: &str, body: Vec<u8>) -> aws_sdk_s3::operation::put_object::builders::PutObjectFluentBuilder {
        let mut put = self
            .client
            .put_object()
            .bucket(&self.settings.bucket)
            .key(key)
            .content_type("application/json")
            .body(ByteStream::from(body));
        if self.settings.encrypt || self.settings.kms_key_id.is_some() {
            match &self.settings.kms_key_id {
                Some(kms) => put = put.server_side_encryption(ServerSideEncryption::AwsKms).ssekms_key_id(kms),
                None => put = put.server_side_encryption(ServerSideEncryption::Aes256),
            }
        }
        put
    }

    /// The object's bytes and ETag, or `None` when there is none.
    async fn get(&self, key: &str) -> Result<Option<(Vec<u8>, String)>, BackendError> {
        match self.client.get_object().bucket(&self.settings.bucket).key(key).send().await {
            Ok(out) => {
                let etag = out.e_tag().unwrap_or_default().to_string();
                let bytes = out.body.collect().await.map_err(|e| self.storage("reading", key, e))?.into_bytes();
                Ok(Some((bytes.to_vec(), etag)))
            }
            Err(e) if status(&e) == Some(404) => Ok(None),
            Err(e) => Err(self.storage("GetObject", key, describe_error(&e))),
        }
    }

    /// The object's ETag, or `None` when there is none.
    async fn etag(&self, key: &str) -> Result<Option<String>, BackendError> {
        match self.client.head_object().bucket(&self.settings.bucket).key(key).send().await {
            Ok(out) => Ok(Some(out.e_tag().unwrap_or_default().to_string())),
            Err(e) if status(&e) == Some(404) => Ok(None),
            Err(e) => Err(self.storage("HeadObject", key, describe_error(&e))),
        }
    }

    async fn versioning_enabled(&self) -> Result<bool, BackendError> {
        let out = self
            .client
            .get_bucket_versioning()
            .bucket(&self.settings.bucket)
            .send()
            .await
            .map_err(|e| self.storage("GetBucketVersioning", "", describe_error(&e)))?;
        Ok(out.status().is_some_and(|s| s.as_str() == "Enabled"))
    }

    async fn list(&self, prefix: &str) -> Result<Vec<String>, BackendError> {
        let mut keys = Vec::new();
        let mut pages =
            self.client.list_objects_v2().bucket(&self.settings.bucket).prefix(prefix).into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| self.storage("ListObjectsV2", prefix, describe_error(&e)))?;
            keys.extend(page.contents().iter().filter_map(|o| o.key().map(str::to_string)));
        }
        keys.sort();
        Ok(keys)
    }

    async fn delete_all(&self, keys: &[String]) -> Result<(), BackendError> {
        for chunk in keys.chunks(1000) {
            let objects: Vec<ObjectIdentifier> =
                chunk.iter().filter_map(|k| ObjectIdentifier::builder().key(k).build().ok()).collect();
            let delete = Delete::builder()
                .set_objects(Some(objects))
                .quiet(true)
                .build()
                .map_err(|e| BackendError::Storage(e.to_string()))?;
            self.client
                .delete_objects()
                .bucket(&self.settings.bucket)
                .delete(delete)
                .send()
                .await
                .map_err(|e| self.storage("DeleteObjects", &chunk[0], describe_error(&e)))?;
        }
        Ok(())
    }

    fn with_known<T>(&self, workspace: &str, f: impl FnOnce(&mut Known) -> T) -> T {
        let mut known = self.known.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        f(known.entry(workspace.to_string()).or_default())
    }

    /// Refuses to write when this process's lease on `workspace` was lost.
    fn check_lease(&self, workspace: &str) -> Result<(), BackendError> {
        let lost = self.with_known(workspace, |k| k.lease.as_ref().is_some_and(|l| l.lost.load(Ordering::SeqCst)));
        if lost {
            return Err(BackendError::Conflict(format!(
                "the lock on {} expired or was taken over by another run while this one worked, so this run no longer writes state; check what the other run did with slipway state list, then run again",
                self.url(&self.lock_key(workspace))
            )));
        }
        Ok(())
    }

    fn lock_key(&self, workspace: &str) -> String {
        format!("{}.tflock", self.state_key(workspace))
    }

    fn lease_doc(&self, info: &LockInfo) -> Vec<u8> {
        let lease = chrono::Duration::from_std(self.settings.lease).unwrap_or(chrono::Duration::seconds(90));
        let doc = LeaseDoc { info: info.clone(), expires: rfc3339(now() + lease) };
        serde_json::to_vec_pretty(&doc).unwrap_or_default()
    }

    /// Starts renewing the lease on `key` every third of its length.
    fn start_lease(&self, workspace: &str, key: String, info: &LockInfo, etag: String) {
        let id = info.id.clone();
        let etag = Arc::new(Mutex::new(etag));
        let lost = Arc::new(AtomicBool::new(false));
        let every = self.settings.lease / 3;
        let lease = self.settings.lease;
        let backend =
            S3Backend { client: self.client.clone(), settings: self.settings.clone(), known: self.known.clone() };
        let info = info.clone();
        let (task_etag, task_lost) = (etag.clone(), lost.clone());
        let heartbeat = tokio::spawn(async move {
            let mut valid_until = tokio::time::Instant::now() + lease;
            loop {
                tokio::time::sleep(every).await;
                let current = task_etag.lock().map(|e| e.clone()).unwrap_or_default();
                let sent = tokio::time::Instant::now();
                match backend.put(&key, backend.lease_doc(&info)).if_match(current).send().await {
                    Ok(out) => {
                        if let Ok(mut e) = task_etag.lock() {
                            *e = out.e_tag().unwrap_or_default().to_string();
                        }
                        valid_until = sent + lease;
                    }
                    Err(e) if matches!(status(&e), Some(412) | Some(404)) => {
                        task_lost.store(true, Ordering::SeqCst);
                        return;
                    }
                    // A failed renewal (the network) is retried at the next beat, until the
                    // lease has run out.
                    Err(_) if tokio::time::Instant::now() + every < valid_until => {}
                    Err(_) => {
                        task_lost.store(true, Ordering::SeqCst);
                        return;
                    }
                }
            }
        });
        self.with_known(workspace, |k| {
            if let Some(old) = k.lease.replace(Lease { id: id.clone(), etag, lost, heartbeat }) {
                old.heartbeat.abort();
            }
        });
    }
}

#[async_trait]
impl Backend for S3Backend {
    fn describe(&self, workspace: &str) -> String {
        format!("S3 state {}", self.url(&self.state_key(workspace)))
    }

    async fn read(&self, workspace: &str) -> Result<Option<StoredState>, BackendError> {
        let key = self.state_key(workspace);
        let state = self.get(&key).await?;
        let journal_prefix = format!("{key}.journal/");
        let journal_keys = self.list(&journal_prefix).await?;
        // Fetched several at a time, kept in order: replay order is the journal's order.
        let mut journal = Vec::new();
        for chunk in journal_keys.chunks(16) {
            let objects = futures::future::try_join_all(chunk.iter().map(|k| self.get(k))).await?;
            for (bytes, _) in objects.into_iter().flatten() {
                journal.extend(bytes.split(|b| *b == b'\n').filter(|l| !l.is_empty()).map(<[u8]>::to_vec));
            }
        }
        let next_seq = journal_keys
            .iter()
            .filter_map(|k| k.strip_prefix(&journal_prefix).and_then(|s| s.parse::<u64>().ok()))
            .max()
            .map_or(0, |n| n + 1);
        let etag = state.as_ref().map(|(_, etag)| etag.clone());
        self.with_known(workspace, |k| {
            k.state_etag = Some(etag);
            k.journal = journal_keys;
            k.next_seq = k.next_seq.max(next_seq);
        });
        if state.is_none() && journal.is_empty() {
            return Ok(None);
        }
        Ok(Some(StoredState { state: state.map(|(bytes, _)| bytes).unwrap_or_default(), journal, outdated: false }))
    }

    async fn versions(&self, workspace: &str) -> Result<Vec<StateVersion>, BackendError> {
        let key = self.state_key(workspace);
        let mut versions = Vec::new();
        // ListObjectVersions pages by key and version markers (the SDK has no paginator for it).
        let (mut key_marker, mut version_marker): (Option<String>, Option<String>) = (None, None);
        loop {
            let page = self
                .client
                .list_object_versions()
                .bucket(&self.settings.bucket)
                .prefix(&key)
                .set_key_marker(key_marker.take())
                .set_version_id_marker(version_marker.take())
                .send()
                .await
                .map_err(|e| self.storage("ListObjectVersions", &key, describe_error(&e)))?;
            // The prefix also matches the journal and the lock; only the state's own versions.
            versions.extend(page.versions().iter().filter(|v| v.key() == Some(key.as_str())).map(|v| {
                StateVersion {
                    id: v.version_id().unwrap_or("null").to_string(),
                    modified: v
                        .last_modified()
                        .and_then(|t| t.fmt(aws_smithy_types::date_time::Format::DateTime).ok())
                        .unwrap_or_default(),
                    size: v.size().and_then(|n| u64::try_from(n).ok()).unwrap_or(0),
                    latest: v.is_latest() == Some(true),
                }
            }));
            if page.is_truncated() != Some(true) {
                break;
            }
            key_marker = page.next_key_marker().map(str::to_string);
            version_marker = page.next_version_id_marker().map(str::to_string);
            if key_marker.is_none() && version_marker.is_none() {
                break;
            }
        }
        versions.sort_by(|a, b| b.latest.cmp(&a.latest).then_with(|| b.modified.cmp(&a.modified)));
        if versions.len() <= 1 && !self.versioning_enabled().await? {
            return Err(BackendError::Storage(format!(
                "the bucket {:?} does not keep versions: enable versioning on it (aws_s3_bucket_versioning, or aws s3api put-bucket-versioning) to keep the history of the state",
                self.settings.bucket
            )));
        }
        Ok(versions)
    }

    async fn read_version(&self, workspace: &str, version: &str) -> Result<Vec<u8>, BackendError> {
        let key = self.state_key(workspace);
        let out =
            self.client.get_object().bucket(&self.settings.bucket).key(&key).version_id(version).send().await.map_err(
                |e| match status(&e) {
                    Some(400 | 404) => BackendError::Storage(format!(
                        "{} has no version {version:?}; slipway state versions lists them",
                        self.url(&key)
                    )),
                    _ => self.storage("GetObject", &key, describe_error(&e)),
                },
            )?;
        let bytes = out.body.collect().await.map_err(|e| self.storage("reading", &key, e))?.into_bytes();
        Ok(bytes.to_vec())
    }

    async fn write(&self, workspace: &str, state: &[u8]) -> Result<(), BackendError> {
        self.check_lease(workspace)?;
        let key = self.state_key(workspace);
        let known = self.with_known(workspace, |k| k.state_etag.clone());
        let expected = match known {
            Some(etag) => etag,
            None => self.etag(&key).await?,
        };
        let put = self.put(&key, state.to_vec());
        let put = match &expected {
            Some(etag) => put.if_match(etag),
            None => put.if_none_match("*"),
        };
        let written = match put.send().await {
            Ok(out) => out.e_tag().unwrap_or_default().to_string(),
            Err(e) if matches!(status(&e), Some(412) | Some(409)) => {
                return Err(BackendError::Conflict(format!(
                    "{} was written by another run since this one read it (its ETag is no longer {}); this run's state was not saved there. Another slipway run without the lock (-lock=false), or a tool writing the object directly, changed it",
                    self.url(&key),
                    expected.as_deref().unwrap_or("absent")
                )));
            }
            Err(e) => return Err(self.storage("PutObject", &key, describe_error(&e))),
        };
        let journal = self.with_known(workspace, |k| {
            k.state_etag = Some(Some(written));
            std::mem::take(&mut k.journal)
        });
        // The new state contains the journal; entries that outlive a failed delete are skipped
        // on replay (their serial is older), so a failure here loses nothing.
        if !journal.is_empty() {
            let _ = self.delete_all(&journal).await;
        }
        Ok(())
    }

    async fn append_journal(&self, workspace: &str, entry: &[u8]) -> Result<(), BackendError> {
        self.check_lease(workspace)?;
        let key = self.state_key(workspace);
        let seq = self.with_known(workspace, |k| {
            let seq = k.next_seq;
            k.next_seq += 1;
            seq
        });
        let jkey = format!("{key}.journal/{seq:012}");
        match self.put(&jkey, entry.to_vec()).if_none_match("*").send().await {
            Ok(_) => {
                self.with_known(workspace, |k| k.journal.push(jkey));
                Ok(())
            }
            Err(e) if matches!(status(&e), Some(412) | Some(409)) => Err(BackendError::Conflict(format!(
                "journal object {} already exists: another run is writing this state",
                self.url(&jkey)
            ))),
            Err(e) => Err(self.storage("PutObject", &jkey, describe_error(&e))),
        }
    }

    async fn lock(&self, workspace: &str, info: &LockInfo) -> Result<(), BackendError> {
        if !self.settings.use_lockfile {
            return Ok(());
        }
        let key = self.lock_key(workspace);
        // A few rounds: a lock can vanish or change between our attempt and our look at it.
        for _ in 0..5 {
            match self.put(&key, self.lease_doc(info)).if_none_match("*").send().await {
                Ok(out) => {
                    self.start_lease(workspace, key, info, out.e_tag().unwrap_or_default().to_string());
                    return Ok(());
                }
                Err(e) if matches!(status(&e), Some(412) | Some(409)) => {}
                Err(e) => return Err(self.storage("PutObject", &key, describe_error(&e))),
            }
            let Some((bytes, etag)) = self.get(&key).await? else { continue };
            let Ok(held) = serde_json::from_slice::<LeaseDoc>(&bytes) else {
                return Err(BackendError::Locked(Box::new(unknown_holder(&self.url(&key)))));
            };
            let expired =
                chrono::DateTime::parse_from_rfc3339(&held.expires).map(|t| t.to_utc() < now()).unwrap_or(false);
            if !expired {
                return Err(BackendError::Locked(Box::new(held.info)));
            }
            // Take over the abandoned lease, only if it is still the object we judged expired.
            match self.put(&key, self.lease_doc(info)).if_match(&etag).send().await {
                Ok(out) => {
                    self.start_lease(workspace, key, info, out.e_tag().unwrap_or_default().to_string());
                    return Ok(());
                }
                Err(e) if matches!(status(&e), Some(412) | Some(409) | Some(404)) => {}
                Err(e) => return Err(self.storage("PutObject", &key, describe_error(&e))),
            }
        }
        match self.get(&key).await? {
            Some((bytes, _)) => Err(BackendError::Locked(Box::new(
                serde_json::from_slice::<LeaseDoc>(&bytes).map(|d| d.info).unwrap_or_else(|_| unknown_holder(&key)),
            ))),
            None => Err(self.storage("locking", &key, "the lock object kept changing; try again")),
        }
    }

    async fn unlock(&self, workspace: &str, id: &str) -> Result<(), BackendError> {
        if !self.settings.use_lockfile {
            return Ok(());
        }
        let key = self.lock_key(workspace);
        let ours = self.with_known(workspace, |k| match &k.lease {
            Some(lease) if lease.id == id => k.lease.take(),
            _ => None,
        });
        let etag = match ours {
            Some(lease) => {
                lease.heartbeat.abort();
                let etag = lease.etag.lock().map(|e| e.clone()).unwrap_or_default();
                if lease.lost.load(Ordering::SeqCst) {
                    // Someone else holds it now: theirs is not ours to delete.
                    return Ok(());
                }
                etag
            }
            // force-unlock: the lock some other process left.
            None => {
                let Some((bytes, etag)) = self.get(&key).await? else {
                    return Err(BackendError::LockNotHeld(id.to_string()));
                };
                match serde_json::from_slice::<LeaseDoc>(&bytes) {
                    Ok(held) if held.info.id == id => etag,
                    // A lock object nobody can read is reported with the ID "unknown".
                    Err(_) if id == "unknown" => etag,
                    _ => return Err(BackendError::LockNotHeld(id.to_string())),
                }
            }
        };
        match self.client.delete_object().bucket(&self.settings.bucket).key(&key).if_match(&etag).send().await {
            Ok(_) => Ok(()),
            Err(e) if status(&e) == Some(404) => Ok(()),
            Err(e) if status(&e) == Some(412) => Err(BackendError::LockNotHeld(id.to_string())),
            Err(e) => Err(self.storage("DeleteObject", &key, describe_error(&e))),
        }
    }

    async fn lock_info(&self, workspace: &str) -> Result<Option<LockInfo>, BackendError> {
        let key = self.lock_key(workspace);
        Ok(self.get(&key).await?.map(|(bytes, _)| {
            serde_json::from_slice::<LeaseDoc>(&bytes).map(|d| d.info).unwrap_or_else(|_| unknown_holder(&key))
        }))
    }

    async fn workspaces(&self) -> Result<Vec<String>, BackendError> {
        let prefix = format!("{}/", self.settings.workspace_key_prefix);
        let suffix = format!("/{}", self.settings.key);
        let mut names = vec!["default".to_string()];
        for key in self.list(&prefix).await? {
            if let Some(name) = key.strip_prefix(&prefix).and_then(|rest| rest.strip_suffix(&suffix))
                && !name.is_empty()
                && !name.contains('/')
                && !names.iter().any(|n| n == name)
            {
                names.push(name.to_string());
            }
        }
        names[1..].sort();
        Ok(names)
    }

    async fn delete_workspace(&self, workspace: &str) -> Result<(), BackendError> {
        let key = self.state_key(workspace);
        let mut keys = self.list(&format!("{key}.journal/")).await?;
        keys.push(key);
        self.delete_all(&keys).await?;
        self.with_known(workspace, |k| *k = Known::default());
        Ok(())
    }
}

fn unknown_holder(path: &str) -> LockInfo {
    LockInfo {
        id: "unknown".into(),
        operation: "unknown".into(),
        who: "unknown".into(),
        version: String::new(),
        created: String::new(),
        path: path.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn settings_have_terraforms_defaults() {
        let s = S3Settings::from_map(&map(&[("bucket", "b"), ("key", "k/terraform.tfstate")])).expect("valid");
        assert_eq!(s.workspace_key_prefix, "env:");
        assert!(s.use_lockfile);
        assert!(!s.encrypt);
        assert!(!s.use_path_style);
        assert_eq!(s.endpoint, None);
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let err =
            S3Settings::from_map(&map(&[("key", "/k"), ("encrypt", "yes"), ("buckett", "b"), ("access_key", "a")]))
                .expect_err("invalid");
        for expected in [
            "bucket is required",
            "must not start or end",
            "encrypt must be true or false",
            "\"buckett\" is not a setting",
            "access_key and secret_key",
        ] {
            assert!(err.contains(expected), "{expected:?} missing from {err}");
        }
    }

    #[tokio::test]
    async fn workspaces_live_under_the_prefix_as_in_terraform() {
        let settings = S3Settings::from_map(&map(&[
            ("bucket", "b"),
            ("key", "app/terraform.tfstate"),
            ("region", "us-east-1"),
            ("endpoints.s3", "http://127.0.0.1:9"),
            ("workspace_key_prefix", "ws"),
        ]))
        .expect("valid");
        let backend = connect(settings).await.expect("connects without a request");
        assert_eq!(backend.state_key("default"), "app/terraform.tfstate");
        assert_eq!(backend.state_key("dev"), "ws/dev/app/terraform.tfstate");
        assert_eq!(backend.lock_key("dev"), "ws/dev/app/terraform.tfstate.tflock");
        assert_eq!(backend.describe("default"), "S3 state s3://b/app/terraform.tfstate");
    }
}

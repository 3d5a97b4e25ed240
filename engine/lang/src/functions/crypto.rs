//! Hash and UUID functions: `md5`, `sha1`, `sha256`, `sha512` (lowercase hex), `base64sha256`,
//! `base64sha512` (Base64 of the raw digest), the same of a file's bytes (`filemd5`, `filesha1`,
//! `filesha256`, `filesha512`, `filebase64sha256`, `filebase64sha512`: an S3 object's `etag`)
//! and the impure `uuid`. Strings are hashed as their UTF-8 bytes, as in Terraform.

use base64::Engine as _;
use sha2::Digest as _;
use slipway_core::{Type, Value};

use super::util::str_arg;
use super::{Body, Function, FunctionContext, FunctionError, Param, Registry, Returns};

pub(super) fn register(registry: &mut Registry) {
    let hashes: [(&'static str, Body); 6] = [
        ("md5", |a, _| hex_of(a, |b| md5::Md5::digest(b).to_vec())),
        ("sha1", |a, _| hex_of(a, |b| sha1::Sha1::digest(b).to_vec())),
        ("sha256", |a, _| hex_of(a, |b| sha2::Sha256::digest(b).to_vec())),
        ("sha512", |a, _| hex_of(a, |b| sha2::Sha512::digest(b).to_vec())),
        ("base64sha256", |a, _| base64_of(a, |b| sha2::Sha256::digest(b).to_vec())),
        ("base64sha512", |a, _| base64_of(a, |b| sha2::Sha512::digest(b).to_vec())),
    ];
    for (name, body) in hashes {
        registry.add(Function::new(name, vec![Param::new("str", Type::String)], Returns::Fixed(|| Type::String), body));
    }
    let file_hashes: [(&'static str, Body); 6] = [
        ("filemd5", |a, ctx| file_hash(a, ctx, hex, |b| md5::Md5::digest(b).to_vec())),
        ("filesha1", |a, ctx| file_hash(a, ctx, hex, |b| sha1::Sha1::digest(b).to_vec())),
        ("filesha256", |a, ctx| file_hash(a, ctx, hex, |b| sha2::Sha256::digest(b).to_vec())),
        ("filesha512", |a, ctx| file_hash(a, ctx, hex, |b| sha2::Sha512::digest(b).to_vec())),
        ("filebase64sha256", |a, ctx| file_hash(a, ctx, base64, |b| sha2::Sha256::digest(b).to_vec())),
        ("filebase64sha512", |a, ctx| file_hash(a, ctx, base64, |b| sha2::Sha512::digest(b).to_vec())),
    ];
    for (name, body) in file_hashes {
        // The path is taken marked, so that a message about a sensitive path does not show it.
        let path = Param::new("path", Type::String).allow_marked();
        registry.add(Function::new(name, vec![path], Returns::Fixed(|| Type::String), body));
    }
    registry.add(Function::new("uuid", vec![], Returns::Fixed(|| Type::String), uuid).impure());
}

fn hex(digest: &[u8]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

fn base64(digest: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(digest)
}

fn hex_of(args: &[Value], digest: fn(&[u8]) -> Vec<u8>) -> Result<Value, FunctionError> {
    Ok(Value::string(hex(&digest(str_arg(args, 0)?.as_bytes()))))
}

fn base64_of(args: &[Value], digest: fn(&[u8]) -> Vec<u8>) -> Result<Value, FunctionError> {
    Ok(Value::string(base64(&digest(str_arg(args, 0)?.as_bytes()))))
}

/// A file's digest, written as `text` writes it; sensitive when the path is.
fn file_hash(
    args: &[Value],
    ctx: &FunctionContext<'_>,
    text: fn(&[u8]) -> String,
    digest: fn(&[u8]) -> Vec<u8>,
) -> Result<Value, FunctionError> {
    let (bytes, sensitive) = super::filesystem::file_arg(args, ctx)?;
    Ok(Value::string(text(&digest(&bytes))).with_sensitive(sensitive))
}

fn uuid(_: &[Value], _: &FunctionContext<'_>) -> Result<Value, FunctionError> {
    Ok(Value::string(uuid::Uuid::new_v4().hyphenated().to_string()))
}

#[cfg(test)]
mod tests {
    use super::super::testing::{call_fn, call_fn_in};
    use super::super::{call, lookup};
    use super::*;
    use crate::fs::OsFileSystem;

    fn s(v: &str) -> Value {
        Value::string(v)
    }

    #[test]
    fn documented_hashes() {
        let cases = [
            ("md5", "hello world", "5eb63bbbe01eeed093cb22bb8f5acdc3"),
            ("sha1", "hello world", "2aae6c35c94fcfb415dbe95f408b9ce91ee846ed"),
            ("sha256", "hello world", "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9"),
            (
                "sha512",
                "hello world",
                "309ecc489c12d6eb4cc40f50c902f2b4d0ed77ee511a7c7a9bcd3ca86d4cd86f989dd35bc5ff499670da34255b45b0cfd830e81f605dcf7dc5542e93ae9cd76f",
            ),
            ("base64sha256", "hello world", "uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek="),
            (
                "base64sha512",
                "hello world",
                "MJ7MSJwS1utMxA9QyQLytNDtd+5RGnx6m808qG1M2G+YndNbxf9JlnDaNCVbRbDP2DDoH2Bdz33FVC6TrpzXbw==",
            ),
        ];
        for (name, input, want) in cases {
            assert_eq!(call_fn(name, vec![s(input)]), Ok(s(want)), "{name}");
        }
    }

    #[test]
    fn file_hashes_are_the_hashes_of_the_files_bytes() {
        let dir = tempfile::tempdir().expect("dir");
        std::fs::write(dir.path().join("hello.txt"), "hello world").expect("write");
        let path = || vec![s("hello.txt")];
        for (file_fn, string_fn) in [
            ("filemd5", "md5"),
            ("filesha1", "sha1"),
            ("filesha256", "sha256"),
            ("filesha512", "sha512"),
            ("filebase64sha256", "base64sha256"),
            ("filebase64sha512", "base64sha512"),
        ] {
            let want = call_fn(string_fn, vec![s("hello world")]).expect("string hash");
            assert_eq!(call_fn_in(dir.path(), file_fn, path()), Ok(want), "{file_fn}");
        }
        // Bytes that are not UTF-8 hash as they are (an image, an archive).
        std::fs::write(dir.path().join("bytes.bin"), [0xff, 0x00, 0xfe]).expect("write");
        assert_eq!(call_fn_in(dir.path(), "filemd5", vec![s("bytes.bin")]), Ok(s("13a18f27d9e54107c1d22c7d67f55018")));
        let err = call_fn_in(dir.path(), "filesha256", vec![s("missing.txt")]).expect_err("no file");
        assert!(matches!(&err, FunctionError::Arg(0, m) if m.contains("no file exists")), "{err:?}");
        let hidden = call_fn_in(dir.path(), "filemd5", vec![s("hello.txt").mark_sensitive()]).expect("hashes");
        assert!(hidden.is_sensitive(), "the hash of a sensitive path is sensitive");
    }

    #[test]
    fn hashes_use_utf8_bytes() {
        assert_eq!(call_fn("md5", vec![s("\u{2603}")]), Ok(s("48856faf4534a876adeadc72aec53cb2")));
    }

    #[test]
    fn unknown_null_and_sensitive() {
        assert_eq!(call_fn("sha256", vec![Value::unknown(Type::String)]), Ok(Value::unknown(Type::String)));
        assert!(call_fn("sha1", vec![Value::null(Type::String)]).is_err());
        let hashed = call_fn("md5", vec![s("pw").mark_sensitive()]).expect("hashes");
        assert!(hashed.is_sensitive());
        // Numbers convert to their string form first, as in Terraform.
        assert_eq!(call_fn("md5", vec![Value::int(1)]), call_fn("md5", vec![s("1")]));
    }

    #[test]
    fn uuid_is_random_v4_and_unknown_while_planning() {
        let a = call_fn("uuid", vec![]).expect("uuid");
        let b = call_fn("uuid", vec![]).expect("uuid");
        assert_ne!(a, b);
        let text = a.as_str().expect("string");
        assert_eq!(text.len(), 36);
        assert_eq!(text.as_bytes()[14], b'4');
        let fs = OsFileSystem;
        let ctx = FunctionContext::in_current_dir(&fs, true);
        let planned = call(lookup("uuid").expect("registered"), vec![], &ctx);
        assert_eq!(planned, Ok(Value::unknown(Type::String)));
    }
}

//! File system functions: reading files (`file`, `filebase64`, `templatefile`), testing and
//! globbing for them (`fileexists`, `fileset`) and the path helpers (`abspath`, `dirname`,
//! `basename`, `pathexpand`). All file access goes through `ctx.fs`; paths are cleaned the way
//! Go's `filepath.Clean` does so results and messages match Terraform's.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use slipway_core::{Type, Value};

use super::util::str_arg;
use super::{Function, FunctionContext, FunctionError, Param, Registry, Returns};

pub(super) fn register(registry: &mut Registry) {
    // Paths are taken marked so that messages can avoid echoing a sensitive path.
    let path = || Param::new("path", Type::String).allow_marked();
    registry.add(Function::new("file", vec![path()], Returns::Fixed(|| Type::String), file));
    registry.add(Function::new("filebase64", vec![path()], Returns::Fixed(|| Type::String), filebase64));
    registry.add(Function::new("fileexists", vec![path()], Returns::Fixed(|| Type::Bool), fileexists));
    registry.add(Function::new(
        "fileset",
        vec![Param::new("path", Type::String), Param::new("pattern", Type::String)],
        Returns::Fixed(|| Type::set(Type::String)),
        fileset,
    ));
    registry.add(Function::new(
        "templatefile",
        vec![path(), Param::new("vars", Type::Any)],
        Returns::Fixed(|| Type::Any),
        templatefile,
    ));
    registry.add(Function::new(
        "abspath",
        vec![Param::new("path", Type::String)],
        Returns::Fixed(|| Type::String),
        abspath,
    ));
    registry.add(Function::new(
        "dirname",
        vec![Param::new("path", Type::String)],
        Returns::Fixed(|| Type::String),
        dirname,
    ));
    registry.add(Function::new(
        "basename",
        vec![Param::new("path", Type::String)],
        Returns::Fixed(|| Type::String),
        basename,
    ));
    registry.add(Function::new(
        "pathexpand",
        vec![Param::new("path", Type::String)],
        Returns::Fixed(|| Type::String),
        pathexpand,
    ));
}

/// A path argument taken with `allow_marked`: the string and whether it was sensitive.
fn path_arg(args: &[Value], index: usize) -> Result<(String, bool), FunctionError> {
    let (value, sensitive) =
        args.get(index).cloned().ok_or_else(|| FunctionError::Arg(index, "a path is required".into()))?.unmark_deep();
    let path = value.as_str().ok_or_else(|| FunctionError::Arg(index, "a string is required".into()))?;
    Ok((path.to_string(), sensitive))
}

fn shown(text: &str, sensitive: bool) -> String {
    if sensitive { "(sensitive value)".to_string() } else { text.to_string() }
}

/// Go's `filepath.Clean` for `/`-separated paths: drops empty and `.` elements, resolves `..`
/// lexically, and gives `.` for an empty result.
pub(crate) fn clean_path(path: &str) -> String {
    if path.is_empty() {
        return ".".into();
    }
    let rooted = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|p| *p != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            p => parts.push(p),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".into(),
        (false, false) => joined,
    }
}

/// `~` and `~/...` expanded to the home directory, as go-homedir's `Expand`.
fn expand_home(path: &str, ctx: &FunctionContext<'_>) -> Result<String, String> {
    let Some(rest) = path.strip_prefix('~') else {
        return Ok(path.to_string());
    };
    if !rest.is_empty() && !rest.starts_with(['/', '\\']) {
        return Err("cannot expand user-specific home dir".into());
    }
    let home = ctx.fs.home_dir().ok_or_else(|| "cannot find the home directory".to_string())?;
    Ok(clean_path(&format!("{}/{rest}", home.to_string_lossy())))
}

/// The file a file function reads: `~` expanded, relative paths against the working directory.
fn resolve_file(path: &str, sensitive: bool, ctx: &FunctionContext<'_>) -> Result<PathBuf, FunctionError> {
    Ok(ctx.resolve(&clean_path(&given_file(path, sensitive, ctx)?)))
}

/// The path as messages show it, like Terraform: as given with `~` expanded, relative paths
/// still relative to the working directory.
fn given_file(path: &str, sensitive: bool, ctx: &FunctionContext<'_>) -> Result<String, FunctionError> {
    expand_home(path, ctx)
        .map_err(|e| FunctionError::Arg(0, format!("failed to expand ~ in {}: {e}", shown(path, sensitive))))
}

fn read_file(path: &str, sensitive: bool, ctx: &FunctionContext<'_>) -> Result<Vec<u8>, FunctionError> {
    let given = given_file(path, sensitive, ctx)?;
    ctx.fs.read(&ctx.resolve(&clean_path(&given))).map_err(|e| {
        let where_ = shown(&format!("{given:?}"), sensitive);
        if e.kind() == std::io::ErrorKind::NotFound {
            FunctionError::Arg(
                0,
                format!(
                    "no file exists at {where_}; this function works only with files that are distributed as part \
                     of the configuration source code, so if this file will be created by a resource in this \
                     configuration you must instead obtain this result from an attribute of that resource."
                ),
            )
        } else {
            FunctionError::Arg(0, format!("failed to read file {where_}: {e}"))
        }
    })
}

fn read_text(path: &str, sensitive: bool, ctx: &FunctionContext<'_>) -> Result<String, FunctionError> {
    let bytes = read_file(path, sensitive, ctx)?;
    String::from_utf8(bytes).map_err(|_| {
        FunctionError::Arg(
            0,
            format!(
                "contents of {} are not valid UTF-8; use the filebase64 function to obtain the Base64 encoded \
                 contents or the other file functions (e.g. filemd5, filesha256) to obtain file hashing results \
                 instead",
                shown(path, sensitive)
            ),
        )
    })
}

fn file(args: &[Value], ctx: &FunctionContext<'_>) -> Result<Value, FunctionError> {
    let (path, sensitive) = path_arg(args, 0)?;
    Ok(Value::string(read_text(&path, sensitive, ctx)?).with_sensitive(sensitive))
}

/// The bytes of the file the first argument names, and whether the path was sensitive (for
/// the file hash functions).
pub(super) fn file_arg(args: &[Value], ctx: &FunctionContext<'_>) -> Result<(Vec<u8>, bool), FunctionError> {
    let (path, sensitive) = path_arg(args, 0)?;
    Ok((read_file(&path, sensitive, ctx)?, sensitive))
}

fn filebase64(args: &[Value], ctx: &FunctionContext<'_>) -> Result<Value, FunctionError> {
    let (path, sensitive) = path_arg(args, 0)?;
    let bytes = read_file(&path, sensitive, ctx)?;
    Ok(Value::string(base64::engine::general_purpose::STANDARD.encode(bytes)).with_sensitive(sensitive))
}

fn fileexists(args: &[Value], ctx: &FunctionContext<'_>) -> Result<Value, FunctionError> {
    let (path, sensitive) = path_arg(args, 0)?;
    let resolved = resolve_file(&path, sensitive, ctx)?;
    let exists = ctx.fs.is_file(&resolved).map_err(|e| {
        if sensitive {
            FunctionError::Arg(0, "failed to stat (sensitive value)".into())
        } else {
            FunctionError::Arg(0, e.to_string())
        }
    })?;
    Ok(Value::bool(exists).with_sensitive(sensitive))
}

/// Characters that make a path element a pattern rather than a literal name.
fn is_glob_element(element: &str) -> bool {
    element.contains(['*', '?', '[', '{', '\\'])
}

/// Directory depth at which the walk gives up, so that symlink cycles cannot run forever.
const MAX_GLOB_DEPTH: usize = 64;

fn fileset(args: &[Value], ctx: &FunctionContext<'_>) -> Result<Value, FunctionError> {
    let path = str_arg(args, 0)?;
    let pattern = str_arg(args, 1)?;
    let base = ctx.resolve(path);
    // Terraform joins the path and pattern with filepath.Join, which cleans the pattern, and
    // reports matches relative to the path.
    let cleaned = clean_path(pattern);
    let cleaned = cleaned.trim_start_matches('/');
    let glob = globset::GlobBuilder::new(cleaned)
        .literal_separator(true)
        .build()
        .map_err(|e| FunctionError::Arg(1, format!("failed to glob pattern ({pattern}): {e}")))?
        .compile_matcher();

    // Walk only below the literal leading directories of the pattern, and only as deep as the
    // pattern can reach.
    let elements: Vec<&str> = cleaned.split('/').collect();
    let literal = elements.iter().take(elements.len().saturating_sub(1)).take_while(|e| !is_glob_element(e)).count();
    let prefix = elements[..literal].join("/");
    let rest = &elements[literal..];
    let max_depth = if rest.iter().any(|e| e.contains("**")) { MAX_GLOB_DEPTH } else { rest.len() };

    let mut matches = Vec::new();
    let start = if prefix.is_empty() { base.clone() } else { base.join(&prefix) };
    if ctx.fs.is_dir(&start) {
        walk(ctx, &start, &prefix, max_depth, &glob, &mut matches)?;
    }
    Ok(Value::set(Type::String, matches.into_iter().map(Value::from).collect()))
}

fn walk(
    ctx: &FunctionContext<'_>,
    dir: &Path,
    rel: &str,
    depth: usize,
    glob: &globset::GlobMatcher,
    out: &mut Vec<String>,
) -> Result<(), FunctionError> {
    if depth == 0 {
        return Ok(());
    }
    let entries = ctx
        .fs
        .read_dir(dir)
        .map_err(|e| FunctionError::Call(format!("failed to read directory {}: {e}", dir.display())))?;
    for entry in entries {
        // Names that are not UTF-8 cannot be represented in a Terraform string.
        let Some(name) = entry.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        let entry_rel = if rel.is_empty() { name.to_string() } else { format!("{rel}/{name}") };
        if ctx.fs.is_dir(&entry) {
            walk(ctx, &entry, &entry_rel, depth - 1, glob, out)?;
        } else if ctx.fs.is_file(&entry).unwrap_or(false) && glob.is_match(&entry_rel) {
            out.push(entry_rel);
        }
    }
    Ok(())
}

/// Whether `name` is an HCL identifier, as a template variable name must be.
fn valid_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '-')
}

fn templatefile(args: &[Value], ctx: &FunctionContext<'_>) -> Result<Value, FunctionError> {
    let (path, sensitive) = path_arg(args, 0)?;
    let vars_arg = args.get(1).ok_or_else(|| FunctionError::Arg(1, "vars are required".into()))?;
    let vars: &BTreeMap<String, Value> =
        vars_arg.as_entries().ok_or_else(|| FunctionError::Arg(1, "invalid vars value: must be a map".into()))?;
    for name in vars.keys() {
        if !valid_identifier(name) {
            return Err(FunctionError::Arg(
                1,
                format!(
                    "invalid template variable name {name:?}: must start with a letter, followed by zero or more \
                     letters, digits, and underscores"
                ),
            ));
        }
    }
    let source = read_text(&path, sensitive, ctx)?;
    let renderer = ctx
        .templates
        .ok_or_else(|| FunctionError::Call("templatefile is not available here: no template renderer".into()))?;
    // The file as given names it in messages, as in Terraform.
    let filename = PathBuf::from(shown(&given_file(&path, sensitive, ctx)?, sensitive));
    let rendered = renderer.render(&source, &filename, vars, ctx).map_err(FunctionError::Call)?;
    Ok(rendered.with_sensitive(sensitive))
}

fn abspath(args: &[Value], ctx: &FunctionContext<'_>) -> Result<Value, FunctionError> {
    let path = str_arg(args, 0)?;
    if path.starts_with('/') {
        return Ok(Value::string(clean_path(path)));
    }
    // Terraform resolves against the process's working directory, which is `working_dir` here.
    let base = std::path::absolute(ctx.working_dir)
        .map_err(|e| FunctionError::Call(format!("cannot find the working directory: {e}")))?;
    Ok(Value::string(clean_path(&format!("{}/{path}", base.to_string_lossy().replace('\\', "/")))))
}

fn dirname(args: &[Value], _: &FunctionContext<'_>) -> Result<Value, FunctionError> {
    // Go's filepath.Dir: everything up to the last separator, cleaned.
    let path = str_arg(args, 0)?;
    let dir = match path.rfind('/') {
        Some(i) => clean_path(&path[..=i]),
        None => ".".to_string(),
    };
    Ok(Value::string(dir))
}

fn basename(args: &[Value], _: &FunctionContext<'_>) -> Result<Value, FunctionError> {
    // Go's filepath.Base: the last element after trailing separators are removed.
    let path = str_arg(args, 0)?;
    if path.is_empty() {
        return Ok(Value::string("."));
    }
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() {
        return Ok(Value::string("/"));
    }
    let base = trimmed.rsplit('/').next().unwrap_or(trimmed);
    Ok(Value::string(base))
}

fn pathexpand(args: &[Value], ctx: &FunctionContext<'_>) -> Result<Value, FunctionError> {
    let path = str_arg(args, 0)?;
    expand_home(path, ctx).map(Value::string).map_err(|e| FunctionError::Arg(0, e))
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)] // fixtures are written to a temporary directory
mod tests {
    use super::super::testing::{call_fn, call_fn_in};
    use super::super::{TemplateRenderer, call, lookup};
    use super::*;
    use crate::fs::{FileSystem, OsFileSystem};

    fn s(v: &str) -> Value {
        Value::string(v)
    }

    fn fixture() -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        std::fs::write(root.join("hello.txt"), "Hello World").expect("write");
        std::fs::write(root.join("binary.bin"), [0xff_u8, 0xfe, 0x00]).expect("write");
        std::fs::write(root.join(".hidden.txt"), "h").expect("write");
        std::fs::create_dir_all(root.join("sub/deeper")).expect("mkdir");
        std::fs::write(root.join("sub/a.txt"), "a").expect("write");
        std::fs::write(root.join("sub/b.md"), "b").expect("write");
        std::fs::write(root.join("sub/deeper/c.txt"), "c").expect("write");
        std::fs::write(root.join("tmpl.tftpl"), "Hello, ${name}!").expect("write");
        dir
    }

    fn set(items: &[&str]) -> Value {
        Value::set(Type::String, items.iter().map(|i| s(i)).collect())
    }

    #[test]
    fn file_reads_text_relative_to_the_working_directory() {
        let dir = fixture();
        assert_eq!(call_fn_in(dir.path(), "file", vec![s("hello.txt")]), Ok(s("Hello World")));
        let abs = dir.path().join("hello.txt");
        assert_eq!(call_fn("file", vec![s(&abs.to_string_lossy())]), Ok(s("Hello World")));
        assert_eq!(call_fn_in(dir.path(), "file", vec![s("./sub/../hello.txt")]), Ok(s("Hello World")));
    }

    #[test]
    fn file_errors_for_missing_and_binary_files() {
        let dir = fixture();
        let err = call_fn_in(dir.path(), "file", vec![s("nope.txt")]).expect_err("missing");
        assert!(matches!(&err, FunctionError::Arg(0, m) if m.contains("no file exists at") && m.contains("nope.txt")));
        // The path shows as given, as in Terraform, not resolved against the working directory.
        let err = call_fn_in(dir.path(), "file", vec![s("./sub/../nope.txt")]).expect_err("missing");
        let dir_name = dir.path().to_string_lossy().to_string();
        assert!(
            matches!(&err, FunctionError::Arg(0, m) if m.starts_with("no file exists at \"./sub/../nope.txt\";") && !m.contains(&dir_name)),
            "{err:?}"
        );
        let err = call_fn_in(dir.path(), "file", vec![s("binary.bin")]).expect_err("binary");
        assert!(matches!(&err, FunctionError::Arg(0, m) if m.contains("not valid UTF-8") && m.contains("filebase64")));
        let err = call_fn_in(dir.path(), "file", vec![s("secret.txt").mark_sensitive()]).expect_err("missing");
        assert!(matches!(&err, FunctionError::Arg(0, m) if !m.contains("secret.txt")), "{err:?}");
    }

    #[test]
    fn file_unknown_null_and_sensitive() {
        let dir = fixture();
        assert_eq!(
            call_fn_in(dir.path(), "file", vec![Value::unknown(Type::String)]),
            Ok(Value::unknown(Type::String))
        );
        assert!(call_fn_in(dir.path(), "file", vec![Value::null(Type::String)]).is_err());
        let v = call_fn_in(dir.path(), "file", vec![s("hello.txt").mark_sensitive()]).expect("reads");
        assert!(v.is_sensitive());
    }

    #[test]
    fn filebase64_documented_example() {
        let dir = fixture();
        assert_eq!(call_fn_in(dir.path(), "filebase64", vec![s("hello.txt")]), Ok(s("SGVsbG8gV29ybGQ=")));
        assert_eq!(call_fn_in(dir.path(), "filebase64", vec![s("binary.bin")]), Ok(s("//4A")));
        assert!(call_fn_in(dir.path(), "filebase64", vec![s("nope")]).is_err());
    }

    #[test]
    fn fileexists_files_directories_and_missing() {
        let dir = fixture();
        assert_eq!(call_fn_in(dir.path(), "fileexists", vec![s("hello.txt")]), Ok(Value::bool(true)));
        assert_eq!(call_fn_in(dir.path(), "fileexists", vec![s("nope.txt")]), Ok(Value::bool(false)));
        let err = call_fn_in(dir.path(), "fileexists", vec![s("sub")]).expect_err("directory");
        assert!(matches!(&err, FunctionError::Arg(0, m) if m.contains("directory")), "{err:?}");
        assert_eq!(
            call_fn_in(dir.path(), "fileexists", vec![Value::unknown(Type::String)]),
            Ok(Value::unknown(Type::Bool))
        );
    }

    #[test]
    fn fileset_patterns() {
        let dir = fixture();
        let fs = |path: &str, pattern: &str| call_fn_in(dir.path(), "fileset", vec![s(path), s(pattern)]);
        assert_eq!(fs(".", "*.txt"), Ok(set(&[".hidden.txt", "hello.txt"])));
        assert_eq!(fs(".", "**/*.txt"), Ok(set(&[".hidden.txt", "hello.txt", "sub/a.txt", "sub/deeper/c.txt"])));
        assert_eq!(fs(".", "sub/*"), Ok(set(&["sub/a.txt", "sub/b.md"])));
        assert_eq!(fs(".", "sub/?.{txt,md}"), Ok(set(&["sub/a.txt", "sub/b.md"])));
        assert_eq!(fs(".", "sub/[a].txt"), Ok(set(&["sub/a.txt"])));
        assert_eq!(fs("sub", "**"), Ok(set(&["a.txt", "b.md", "deeper/c.txt"])));
        assert_eq!(fs(".", "./hello.txt"), Ok(set(&["hello.txt"])));
        assert_eq!(fs(".", "nothing/*"), Ok(set(&[])));
        assert_eq!(fs(".", "*"), Ok(set(&[".hidden.txt", "binary.bin", "hello.txt", "tmpl.tftpl"])));
        assert!(matches!(fs(".", "[unclosed"), Err(FunctionError::Arg(1, _))));
        let abs = dir.path().join("sub").to_string_lossy().to_string();
        assert_eq!(call_fn("fileset", vec![s(&abs), s("*.md")]), Ok(set(&["b.md"])));
    }

    struct ReplaceRenderer;

    impl TemplateRenderer for ReplaceRenderer {
        fn render(
            &self,
            source: &str,
            _filename: &Path,
            vars: &BTreeMap<String, Value>,
            _ctx: &FunctionContext<'_>,
        ) -> Result<Value, String> {
            let mut out = source.to_string();
            for (k, v) in vars {
                let v = v.as_str().ok_or_else(|| format!("{k} is not a string"))?;
                out = out.replace(&format!("${{{k}}}"), v);
            }
            Ok(Value::string(out))
        }
    }

    fn call_with_renderer(dir: &Path, args: Vec<Value>) -> Result<Value, FunctionError> {
        let fs = OsFileSystem;
        let renderer = ReplaceRenderer;
        let ctx = FunctionContext {
            module_dir: dir,
            working_dir: dir,
            fs: &fs,
            impure_unknown: false,
            templates: Some(&renderer),
        };
        call(lookup("templatefile").expect("registered"), args, &ctx)
    }

    #[test]
    fn templatefile_renders_through_the_renderer() {
        let dir = fixture();
        let vars = Value::object_from([("name", s("World"))]);
        assert_eq!(call_with_renderer(dir.path(), vec![s("tmpl.tftpl"), vars.clone()]), Ok(s("Hello, World!")));
        let map = Value::map(Type::String, BTreeMap::from([("name".to_string(), s("map"))]));
        assert_eq!(call_with_renderer(dir.path(), vec![s("tmpl.tftpl"), map]), Ok(s("Hello, map!")));
        let secret = Value::object_from([("name", s("pw").mark_sensitive())]);
        let v = call_with_renderer(dir.path(), vec![s("tmpl.tftpl"), secret]).expect("renders");
        assert!(v.is_sensitive());
        let err = call_with_renderer(dir.path(), vec![s("tmpl.tftpl"), Value::object_from([("name", Value::int(1))])]);
        assert!(matches!(err, Err(FunctionError::Call(m)) if m.contains("not a string")));
    }

    #[test]
    fn templatefile_errors() {
        let dir = fixture();
        let vars = Value::object_from([("name", s("World"))]);
        let err = call_fn_in(dir.path(), "templatefile", vec![s("tmpl.tftpl"), vars.clone()]).expect_err("no renderer");
        assert!(matches!(err, FunctionError::Call(_)), "{err:?}");
        let err = call_with_renderer(dir.path(), vec![s("tmpl.tftpl"), s("nope")]).expect_err("not a map");
        assert!(matches!(&err, FunctionError::Arg(1, m) if m.contains("must be a map")), "{err:?}");
        let bad = Value::object_from([("not valid", s("x"))]);
        let err = call_with_renderer(dir.path(), vec![s("tmpl.tftpl"), bad]).expect_err("bad name");
        assert!(matches!(&err, FunctionError::Arg(1, m) if m.contains("invalid template variable name")), "{err:?}");
        let err = call_with_renderer(dir.path(), vec![s("missing.tftpl"), vars.clone()]).expect_err("missing");
        assert!(matches!(&err, FunctionError::Arg(0, m) if m.contains("no file exists")), "{err:?}");
        assert!(call_with_renderer(dir.path(), vec![s("tmpl.tftpl"), Value::null(Type::Any)]).is_err());
        let unknown = call_with_renderer(dir.path(), vec![s("tmpl.tftpl"), Value::unknown(Type::Any)]);
        assert_eq!(unknown, Ok(Value::unknown(Type::Any)));
    }

    #[test]
    fn abspath_is_absolute_and_clean() {
        assert_eq!(call_fn("abspath", vec![s("/a/b/../c/")]), Ok(s("/a/c")));
        let cwd = std::env::current_dir().expect("cwd");
        let expected = format!("{}/foo", cwd.to_string_lossy());
        assert_eq!(call_fn("abspath", vec![s("./foo")]), Ok(s(&expected)));
        assert_eq!(call_fn("abspath", vec![Value::unknown(Type::String)]), Ok(Value::unknown(Type::String)));
    }

    #[test]
    fn dirname_documented_examples_and_edges() {
        let d = |p: &str| call_fn("dirname", vec![s(p)]);
        assert_eq!(d("foo/bar/baz.txt"), Ok(s("foo/bar")));
        assert_eq!(d("foo"), Ok(s(".")));
        assert_eq!(d(""), Ok(s(".")));
        assert_eq!(d("/"), Ok(s("/")));
        assert_eq!(d("/foo"), Ok(s("/")));
        assert_eq!(d("foo/bar/"), Ok(s("foo/bar")));
        assert!(call_fn("dirname", vec![Value::null(Type::String)]).is_err());
    }

    #[test]
    fn basename_documented_examples_and_edges() {
        let b = |p: &str| call_fn("basename", vec![s(p)]);
        assert_eq!(b("foo/bar/baz.txt"), Ok(s("baz.txt")));
        assert_eq!(b("foo/bar/"), Ok(s("bar")));
        assert_eq!(b(""), Ok(s(".")));
        assert_eq!(b("///"), Ok(s("/")));
        assert_eq!(b("baz"), Ok(s("baz")));
        assert!(call_fn("basename", vec![s("x").mark_sensitive()]).expect("ok").is_sensitive());
    }

    #[test]
    fn pathexpand_uses_the_home_directory() {
        let Some(home) = OsFileSystem.home_dir() else {
            return;
        };
        let home = clean_path(&home.to_string_lossy());
        assert_eq!(call_fn("pathexpand", vec![s("~/.ssh/id_rsa")]), Ok(s(&format!("{home}/.ssh/id_rsa"))));
        assert_eq!(call_fn("pathexpand", vec![s("~")]), Ok(s(&home)));
        assert_eq!(call_fn("pathexpand", vec![s("/etc/resolv.conf")]), Ok(s("/etc/resolv.conf")));
        assert_eq!(call_fn("pathexpand", vec![s("")]), Ok(s("")));
        assert!(call_fn("pathexpand", vec![s("~other/x")]).is_err());
    }

    #[test]
    fn clean_matches_go() {
        for (input, want) in [
            ("", "."),
            ("a/b/../../..", ".."),
            ("/../a", "/a"),
            ("a//b/./c/", "a/b/c"),
            ("../../x", "../../x"),
            ("/", "/"),
        ] {
            assert_eq!(clean_path(input), want, "{input}");
        }
    }
}

//! Loading a configuration: every `.tf` file of a directory parsed with hcl-edit, its blocks
//! checked for structure (known block types, labels, arguments) and gathered into a [`Module`],
//! then the local modules it calls, recursively. Problems become diagnostics; loading goes on so
//! that every one of them is reported at once.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use hcl_edit::Span;
use hcl_edit::expr::{Expression, ObjectKey, TraversalOperator};
use hcl_edit::structure::{Block as HclBlock, Body as HclBody, Structure};
use indexmap::IndexMap;
use slipway_core::diagnostics::did_you_mean;
use slipway_core::{Diagnostic, Diagnostics, SourceRange, Value};

use crate::config::*;
use crate::fs::FileSystem;
use crate::source::{FileId, SourceFile, Sources};
use crate::typeexpr::{TypeConstraint, parse_type_constraint};

/// How deep module calls may nest before a call cycle is assumed.
const MAX_MODULE_DEPTH: usize = 32;

const TOP_LEVEL_BLOCKS: &[&str] = &[
    "terraform",
    "provider",
    "variable",
    "locals",
    "output",
    "resource",
    "data",
    "module",
    "moved",
    "removed",
    "import",
    "check",
];

/// Loads the configuration rooted at `dir`, with the modules it calls.
pub fn load_config(dir: &Path, fs: &dyn FileSystem, sources: &mut Sources) -> (Config, Diagnostics) {
    let mut diagnostics = Diagnostics::new();
    let config = load_tree(dir, fs, sources, &mut diagnostics, 0);
    (config, diagnostics)
}

fn load_tree(dir: &Path, fs: &dyn FileSystem, sources: &mut Sources, diags: &mut Diagnostics, depth: usize) -> Config {
    let module = load_module(dir, fs, sources, diags);
    let mut children = std::collections::BTreeMap::new();
    for call in module.module_calls.values() {
        if !is_local_source(&call.source) {
            diags.push(
                Diagnostic::error(
                    "Unsupported module source",
                    format!(
                        "Module {:?} has source {:?}. slipway loads modules from local paths (starting with ./ or ../); copy the module into the configuration and point source at it.",
                        call.name, call.source
                    ),
                )
                .with_subject(sources.range(call.range.file, Some(call.range.span()))),
            );
            continue;
        }
        if depth >= MAX_MODULE_DEPTH {
            diags.push(
                Diagnostic::error("Module calls nest too deeply", format!("Module calls are nested more than {MAX_MODULE_DEPTH} levels deep; a module probably calls itself."))
                    .with_subject(sources.range(call.range.file, Some(call.range.span()))),
            );
            continue;
        }
        let child_dir = normalize_path(&dir.join(&call.source));
        if !fs.is_dir(&child_dir) {
            diags.push(
                Diagnostic::error(
                    "Module directory not found",
                    format!(
                        "The module {:?} has source {:?}, but no directory exists at that path, relative to the directory of the calling module.",
                        call.name, call.source,
                    ),
                )
                .with_subject(sources.range(call.range.file, Some(call.range.span()))),
            );
            continue;
        }
        children.insert(call.name.clone(), load_tree(&child_dir, fs, sources, diags, depth + 1));
    }
    Config { module, children }
}

fn is_local_source(source: &str) -> bool {
    source.starts_with("./") || source.starts_with("../") || source == "." || source == ".."
}

/// Loads the `.tf` files of one directory as a module.
pub fn load_module(dir: &Path, fs: &dyn FileSystem, sources: &mut Sources, diags: &mut Diagnostics) -> Module {
    let mut module = Module { dir: dir.to_path_buf(), ..Module::default() };
    let entries = match fs.read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            diags.push(Diagnostic::error(
                "Failed to read module directory",
                format!("Could not read {}: {e}.", dir.display()),
            ));
            return module;
        }
    };
    let files: Vec<PathBuf> = entries
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "tf") || p.to_string_lossy().ends_with(".tf.json"))
        .collect();
    if files.is_empty() {
        diags.push(Diagnostic::warning(
            "No configuration files",
            format!("The directory {} contains no .tf or .tf.json files.", dir.display()),
        ));
    }
    for path in files {
        let display = display_path(&path);
        let text = match fs.read(&path).map(String::from_utf8) {
            Ok(Ok(text)) => text,
            Ok(Err(_)) => {
                diags.push(Diagnostic::error(
                    "Invalid file encoding",
                    format!("{display} is not valid UTF-8; configuration files must be UTF-8 text."),
                ));
                continue;
            }
            Err(e) => {
                diags.push(Diagnostic::error("Failed to read file", format!("Could not read {display}: {e}.")));
                continue;
            }
        };
        let file = sources.add(SourceFile::new(display, text));
        let Some(source) = sources.get(file) else { continue };
        let text = source.text.clone();
        if path.to_string_lossy().ends_with(".tf.json") {
            match crate::json_syntax::json_to_body(&text) {
                Ok(body) => Loader { sources, file, diags, module: &mut module }.load_body(body),
                Err(e) => diags.push(
                    Diagnostic::error("Invalid JSON configuration", e.message)
                        .with_subject(sources.range(file, e.span)),
                ),
            }
            continue;
        }
        match hcl_edit::parser::parse_body(&text) {
            Ok(body) => Loader { sources, file, diags, module: &mut module }.load_body(body),
            Err(e) => diags.push(syntax_error(sources, file, &text, &e)),
        }
    }
    module
}

/// Loads one file's text as a module on its own; for tests, `console` and the fuzzer.
pub fn load_source(name: &str, text: &str, sources: &mut Sources) -> (Module, Diagnostics) {
    let mut diags = Diagnostics::new();
    let mut module = Module::default();
    let file = sources.add(SourceFile::new(name, text));
    match hcl_edit::parser::parse_body(text) {
        Ok(body) => Loader { sources, file, diags: &mut diags, module: &mut module }.load_body(body),
        Err(e) => diags.push(syntax_error(sources, file, text, &e)),
    }
    (module, diags)
}

/// `a/./b/../c` as `a/c`, without touching the file system, so that paths in messages are clean.
pub fn normalize_path(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir if out.file_name().is_some() => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    if out.as_os_str().is_empty() { PathBuf::from(".") } else { out }
}

/// A path as messages show it: relative to the working directory when it is inside it.
pub fn display_path(path: &Path) -> String {
    let cwd = std::env::current_dir().ok();
    let relative = cwd.as_deref().and_then(|c| path.strip_prefix(c).ok()).unwrap_or(path);
    relative.to_string_lossy().trim_start_matches("./").to_string()
}

fn syntax_error(sources: &Sources, file: FileId, text: &str, error: &hcl_edit::parser::Error) -> Diagnostic {
    let location = error.location();
    let offset = crate::source::floor_char_boundary(text, location.offset());
    let end = text[offset..].chars().next().map_or(offset, |c| offset + c.len_utf8());
    let message = error.message();
    Diagnostic::error("Invalid syntax", format!("The configuration could not be parsed: {message}."))
        .with_subject(sources.range(file, Some(offset..end)))
}

struct Loader<'a> {
    sources: &'a Sources,
    file: FileId,
    diags: &'a mut Diagnostics,
    module: &'a mut Module,
}

impl Loader<'_> {
    fn range(&self, span: Option<std::ops::Range<usize>>) -> Option<SourceRange> {
        self.sources.range(self.file, span)
    }

    fn decl(&self, span: Option<std::ops::Range<usize>>) -> DeclRange {
        DeclRange::new(self.file, span)
    }

    fn expr(&self, expr: Expression) -> Expr {
        Expr { file: self.file, expr: Arc::new(expr) }
    }

    fn error(&mut self, span: Option<std::ops::Range<usize>>, summary: &str, detail: impl Into<String>) {
        let d = Diagnostic::error(summary, detail).with_subject(self.range(span));
        self.diags.push(d);
    }

    fn load_body(&mut self, body: HclBody) {
        for structure in body {
            match structure {
                Structure::Attribute(attr) => {
                    let name = attr.key.as_str().to_string();
                    self.error(attr.key.span(), "Unsupported argument", format!("An argument named {name:?} is not expected at the top level of a configuration file; arguments belong inside a block such as resource or locals."));
                }
                Structure::Block(block) => self.load_block(block),
            }
        }
    }

    fn load_block(&mut self, block: HclBlock) {
        let kind = block.ident.as_str().to_string();
        let labels: Vec<String> = block.labels.iter().map(|l| l.as_str().to_string()).collect();
        // Declarations point at the block header (`resource "aws_vpc" "main"`), not its body.
        let span = header_span(&block);
        let expected_labels: &[&str] = match kind.as_str() {
            "terraform" | "locals" | "moved" | "removed" | "import" => &[],
            "provider" => &["name"],
            "variable" | "output" | "module" | "check" => &["name"],
            "resource" | "data" => &["type", "name"],
            _ => {
                let suggestion = did_you_mean(&kind, TOP_LEVEL_BLOCKS.iter().copied());
                self.error(
                    block.ident.span(),
                    "Unsupported block type",
                    format!("Blocks of type {kind:?} are not expected here.{suggestion}"),
                );
                return;
            }
        };
        if labels.len() != expected_labels.len() {
            let detail = if expected_labels.is_empty() {
                format!("A {kind} block takes no labels.")
            } else {
                format!(
                    "A {kind} block needs {} label{}: {}.",
                    expected_labels.len(),
                    if expected_labels.len() == 1 { "" } else { "s" },
                    expected_labels.join(", ")
                )
            };
            let label_span = block.labels.first().and_then(|l| l.span()).or(block.ident.span());
            self.error(
                label_span,
                if labels.len() > expected_labels.len() { "Extraneous label" } else { "Missing label" },
                detail,
            );
            return;
        }
        for (label, l) in labels.iter().zip(&block.labels) {
            if kind != "provider" && !is_identifier(label) {
                self.error(l.span(), "Invalid name", format!("{label:?} is not a valid name: a name must start with a letter or underscore and may contain only letters, digits, underscores, and dashes."));
                return;
            }
        }
        match kind.as_str() {
            "terraform" => self.load_terraform(block.body),
            "provider" => self.load_provider(labels[0].clone(), block.body, span),
            "variable" => self.load_variable(labels[0].clone(), block.body, span),
            "locals" => self.load_locals(block.body),
            "output" => self.load_output(labels[0].clone(), block.body, span),
            "resource" => {
                self.load_resource(ResourceMode::Managed, &labels, block.body, span, true);
            }
            "data" => {
                self.load_resource(ResourceMode::Data, &labels, block.body, span, true);
            }
            "module" => self.load_module_call(labels[0].clone(), block.body, span),
            "moved" => self.load_moved(block.body, span),
            "removed" => self.load_removed(block.body, span),
            "import" => self.load_import(block.body, span),
            "check" => self.load_check(labels[0].clone(), block.body, span),
            _ => {}
        }
    }

    /// Splits a body into its attributes and blocks, reporting duplicate attributes.
    fn split(&mut self, body: HclBody) -> (IndexMap<String, hcl_edit::structure::Attribute>, Vec<HclBlock>) {
        let mut attrs = IndexMap::new();
        let mut blocks = Vec::new();
        for structure in body {
            match structure {
                Structure::Attribute(attr) => {
                    let name = attr.key.as_str().to_string();
                    if attrs.contains_key(&name) {
                        self.error(
                            attr.key.span(),
                            "Duplicate argument",
                            format!("The argument {name:?} was already set. Each argument may be set only once."),
                        );
                        continue;
                    }
                    attrs.insert(name, attr);
                }
                Structure::Block(block) => blocks.push(block),
            }
        }
        (attrs, blocks)
    }

    fn reject_unexpected(
        &mut self,
        kind: &str,
        attrs: IndexMap<String, hcl_edit::structure::Attribute>,
        blocks: Vec<HclBlock>,
        allowed_attrs: &[&str],
        allowed_blocks: &[&str],
    ) {
        for (name, attr) in attrs {
            let suggestion = did_you_mean(&name, allowed_attrs.iter().copied());
            self.error(
                attr.key.span(),
                "Unsupported argument",
                format!("An argument named {name:?} is not expected in a {kind} block.{suggestion}"),
            );
        }
        for block in blocks {
            let name = block.ident.as_str().to_string();
            let suggestion = did_you_mean(&name, allowed_blocks.iter().copied());
            self.error(
                block.ident.span(),
                "Unsupported block type",
                format!("Blocks of type {name:?} are not expected in a {kind} block.{suggestion}"),
            );
        }
    }

    fn generic_body(&mut self, body: HclBody) -> Body {
        let (attrs, blocks) = self.split(body);
        let attributes = attrs
            .into_iter()
            .map(|(name, attr)| {
                let name_range = self.decl(attr.key.span());
                (name.clone(), Attribute { name, expr: self.expr(attr.value), name_range })
            })
            .collect();
        let blocks = blocks
            .into_iter()
            .map(|b| {
                let range = self.decl(header_span(&b));
                Block {
                    kind: b.ident.as_str().to_string(),
                    labels: b.labels.iter().map(|l| l.as_str().to_string()).collect(),
                    body: self.generic_body(b.body),
                    range,
                }
            })
            .collect();
        Body { attributes, blocks }
    }

    fn static_string(&mut self, attr: &hcl_edit::structure::Attribute, what: &str) -> Option<String> {
        match literal_string(&attr.value) {
            Some(s) => Some(s),
            None => {
                self.error(
                    attr.value.span(),
                    "Invalid value",
                    format!("The {what} must be a literal string, without references or interpolation."),
                );
                None
            }
        }
    }

    fn static_bool(&mut self, attr: &hcl_edit::structure::Attribute, what: &str) -> bool {
        match &attr.value {
            Expression::Bool(b) => *b.value(),
            other => {
                self.error(other.span(), "Invalid value", format!("The {what} must be the literal true or false."));
                false
            }
        }
    }

    fn load_terraform(&mut self, body: HclBody) {
        let (mut attrs, blocks) = self.split(body);
        if let Some(attr) = attrs.shift_remove("required_version") {
            self.module.terraform.required_version = self.static_string(&attr, "required_version");
        }
        attrs.shift_remove("experiments");
        let mut unexpected = Vec::new();
        for block in blocks {
            match block.ident.as_str() {
                "required_providers" => self.load_required_providers(block.body),
                "backend" => {
                    let Some(kind) = block.labels.first().map(|l| l.as_str().to_string()) else {
                        self.error(
                            block.ident.span(),
                            "Missing label",
                            "A backend block needs one label: the backend type, as in backend \"s3\".",
                        );
                        continue;
                    };
                    if self.module.terraform.backend.is_some() {
                        self.error(
                            block.span(),
                            "Duplicate backend configuration",
                            "A configuration may have at most one backend block.",
                        );
                        continue;
                    }
                    let range = self.decl(header_span(&block));
                    let body = self.generic_body(block.body);
                    self.module.terraform.backend = Some(BackendConfig { kind, body, range });
                }
                "encryption" => {
                    if self.module.terraform.encryption.is_some() {
                        self.error(
                            block.span(),
                            "Duplicate encryption configuration",
                            "A configuration may have at most one encryption block: put every key_provider and method in it.",
                        );
                        continue;
                    }
                    let range = self.decl(header_span(&block));
                    let body = self.generic_body(block.body);
                    self.module.terraform.encryption = Some(EncryptionConfig { body, range });
                }
                "cloud" | "provider_meta" => {}
                _ => unexpected.push(block),
            }
        }
        self.reject_unexpected(
            "terraform",
            attrs,
            unexpected,
            &["required_version", "experiments"],
            &["required_providers", "backend", "encryption"],
        );
    }

    fn load_required_providers(&mut self, body: HclBody) {
        let (attrs, blocks) = self.split(body);
        self.reject_unexpected("required_providers", IndexMap::new(), blocks, &[], &[]);
        for (name, attr) in attrs {
            let mut requirement = ProviderRequirement::default();
            match &attr.value {
                Expression::Object(object) => {
                    for (key, value) in object.iter() {
                        let key_name = object_key_name(key);
                        match key_name.as_deref() {
                            Some("source") => requirement.source = literal_string(value.expr()),
                            Some("version") => requirement.version = literal_string(value.expr()),
                            Some("configuration_aliases") => {
                                if let Expression::Array(items) = value.expr() {
                                    requirement.configuration_aliases = items
                                        .iter()
                                        .filter_map(|e| {
                                            crate::eval::traversal_parts(e)
                                                .map(|(root, ops)| provider_ref_name(root, &ops))
                                        })
                                        .collect();
                                }
                            }
                            other => {
                                let shown = other.unwrap_or("?").to_string();
                                self.error(value.expr().span(), "Invalid required_providers entry", format!("Unexpected key {shown:?}; a provider requirement has source, version and configuration_aliases."));
                            }
                        }
                    }
                }
                Expression::String(s) => requirement.version = Some(s.as_str().to_string()),
                other => {
                    self.error(other.span(), "Invalid required_providers entry", format!("The requirement for {name:?} must be an object such as {{ source = \"hashicorp/aws\", version = \"~> 5.0\" }}."));
                }
            }
            self.module.terraform.required_providers.insert(name, requirement);
        }
    }

    fn load_provider(&mut self, name: String, body: HclBody, span: Option<std::ops::Range<usize>>) {
        let (mut attrs, blocks) = self.split(body);
        let alias = attrs.shift_remove("alias").and_then(|a| self.static_string(&a, "provider alias"));
        attrs.shift_remove("version");
        let mut rebuilt = HclBody::new();
        for (_, a) in attrs {
            rebuilt.push(a);
        }
        for b in blocks {
            rebuilt.push(b);
        }
        let body = self.generic_body(rebuilt);
        if let Some(previous) = self.module.providers.iter().find(|p| p.name == name && p.alias == alias) {
            let previous = self.sources.range(previous.range.file, Some(previous.range.span()));
            let mut d = Diagnostic::error("Duplicate provider configuration", format!("A default (non-aliased) provider configuration for {name:?} was already given; add alias = \"...\" to configure a second one.")).with_subject(self.range(span.clone()));
            if let Some(p) = previous {
                d = d.with_related(p, "first configured here");
            }
            self.diags.push(d);
            return;
        }
        let range = self.decl(span);
        self.module.providers.push(ProviderConfig { name, alias, body, range });
    }

    fn load_variable(&mut self, name: String, body: HclBody, span: Option<std::ops::Range<usize>>) {
        if matches!(
            name.as_str(),
            "source" | "version" | "providers" | "count" | "for_each" | "lifecycle" | "depends_on" | "locals"
        ) {
            self.error(
                span.clone(),
                "Invalid variable name",
                format!("The variable name {name:?} is reserved for a module argument; choose another name."),
            );
        }
        let (mut attrs, blocks) = self.split(body);
        let constraint = match attrs.shift_remove("type") {
            Some(attr) => {
                let file = self.file;
                let sources = self.sources;
                let eval_default = |expr: &Expression| -> Option<Value> { eval_constant(sources, file, expr) };
                match parse_type_constraint(&attr.value, &eval_default) {
                    Ok(c) => c,
                    Err(e) => {
                        self.error(e.span, &e.summary, e.detail);
                        TypeConstraint::default()
                    }
                }
            }
            None => TypeConstraint::default(),
        };
        let default = attrs.shift_remove("default").map(|a| self.expr(a.value));
        let description = attrs.shift_remove("description").and_then(|a| self.static_string(&a, "description"));
        let sensitive = attrs.shift_remove("sensitive").is_some_and(|a| self.static_bool(&a, "sensitive argument"));
        let nullable = attrs.shift_remove("nullable").is_none_or(|a| self.static_bool(&a, "nullable argument"));
        let mut validations = Vec::new();
        let mut unexpected = Vec::new();
        for block in blocks {
            if block.ident.as_str() == "validation" {
                if let Some(rule) = self.check_rule(block) {
                    validations.push(rule);
                }
            } else {
                unexpected.push(block);
            }
        }
        self.reject_unexpected(
            "variable",
            attrs,
            unexpected,
            &["type", "default", "description", "sensitive", "nullable", "ephemeral"],
            &["validation"],
        );
        let range = self.decl(span);
        let variable =
            Variable { name: name.clone(), constraint, default, description, sensitive, nullable, validations, range };
        if let Some(previous) = self.module.variables.get(&name) {
            self.duplicate("variable", &name, previous.range, range);
            return;
        }
        self.module.variables.insert(name, variable);
    }

    fn duplicate(&mut self, what: &str, name: &str, previous: DeclRange, range: DeclRange) {
        let mut d = Diagnostic::error(
            format!("Duplicate {what} declaration"),
            format!("A {what} named {name:?} was already declared. Names must be unique within a module."),
        )
        .with_subject(self.sources.range(range.file, Some(range.span())));
        if let Some(p) = self.sources.range(previous.file, Some(previous.span())) {
            d = d.with_related(p, "first declared here");
        }
        self.diags.push(d);
    }

    fn check_rule(&mut self, block: HclBlock) -> Option<CheckRule> {
        let span = header_span(&block);
        let kind = block.ident.as_str().to_string();
        let (mut attrs, blocks) = self.split(block.body);
        let condition = attrs.shift_remove("condition");
        let error_message = attrs.shift_remove("error_message");
        self.reject_unexpected(&kind, attrs, blocks, &["condition", "error_message"], &[]);
        match (condition, error_message) {
            (Some(c), Some(m)) => Some(CheckRule {
                condition: self.expr(c.value),
                error_message: self.expr(m.value),
                range: self.decl(span),
            }),
            (c, _) => {
                let missing = if c.is_none() { "condition" } else { "error_message" };
                self.error(span, "Missing required argument", format!("A {kind} block needs a {missing:?} argument."));
                None
            }
        }
    }

    fn load_locals(&mut self, body: HclBody) {
        let (attrs, blocks) = self.split(body);
        self.reject_unexpected("locals", IndexMap::new(), blocks, &[], &[]);
        for (name, attr) in attrs {
            let range = self.decl(attr.span());
            if let Some(previous) = self.module.locals.get(&name) {
                let previous = previous.range;
                self.duplicate("local value", &name, previous, range);
                continue;
            }
            let expr = self.expr(attr.value);
            self.module.locals.insert(name.clone(), Local { name, expr, range });
        }
    }

    fn load_output(&mut self, name: String, body: HclBody, span: Option<std::ops::Range<usize>>) {
        let (mut attrs, blocks) = self.split(body);
        let Some(value) = attrs.shift_remove("value") else {
            self.error(span, "Missing required argument", format!("The output {name:?} needs a \"value\" argument."));
            return;
        };
        let expr = self.expr(value.value);
        let description = attrs.shift_remove("description").and_then(|a| self.static_string(&a, "description"));
        let sensitive = attrs.shift_remove("sensitive").is_some_and(|a| self.static_bool(&a, "sensitive argument"));
        let depends_on = attrs.shift_remove("depends_on").map(|a| self.depends_on(a.value)).unwrap_or_default();
        attrs.shift_remove("ephemeral");
        let mut preconditions = Vec::new();
        let mut unexpected = Vec::new();
        for block in blocks {
            if block.ident.as_str() == "precondition" {
                preconditions.extend(self.check_rule(block));
            } else {
                unexpected.push(block);
            }
        }
        self.reject_unexpected(
            "output",
            attrs,
            unexpected,
            &["value", "description", "sensitive", "depends_on"],
            &["precondition"],
        );
        let range = self.decl(span);
        if let Some(previous) = self.module.outputs.get(&name) {
            let previous = previous.range;
            self.duplicate("output", &name, previous, range);
            return;
        }
        self.module
            .outputs
            .insert(name.clone(), Output { name, expr, description, sensitive, depends_on, preconditions, range });
    }

    fn depends_on(&mut self, value: Expression) -> Vec<Expr> {
        match value {
            Expression::Array(items) => items
                .into_iter()
                .filter_map(|item| {
                    if crate::eval::traversal_parts(&item).is_some() {
                        Some(self.expr(item))
                    } else {
                        self.error(item.span(), "Invalid depends_on reference", "depends_on lists references to resources, data sources or modules, such as aws_vpc.main or module.network, without quotes.");
                        None
                    }
                })
                .collect(),
            other => {
                self.error(other.span(), "Invalid depends_on", "depends_on must be a list of references, such as [aws_vpc.main].");
                Vec::new()
            }
        }
    }

    fn provider_ref(&mut self, value: &Expression) -> Option<(String, Option<String>)> {
        match crate::eval::traversal_parts(value) {
            Some((root, ops)) if ops.len() <= 1 => {
                let alias = match ops.first() {
                    Some(TraversalOperator::GetAttr(a)) => Some(a.as_str().to_string()),
                    None => None,
                    Some(_) => {
                        self.error(
                            value.span(),
                            "Invalid provider reference",
                            "A provider reference is a provider name and an optional alias, as in aws.west.",
                        );
                        return None;
                    }
                };
                Some((root.to_string(), alias))
            }
            _ => {
                self.error(
                    value.span(),
                    "Invalid provider reference",
                    "A provider reference is a provider name and an optional alias, without quotes, as in aws.west.",
                );
                None
            }
        }
    }

    fn load_resource(
        &mut self,
        mode: ResourceMode,
        labels: &[String],
        body: HclBody,
        span: Option<std::ops::Range<usize>>,
        register: bool,
    ) -> Option<Resource> {
        let key = ResourceKey { mode, type_name: labels[0].clone(), name: labels[1].clone() };
        let (mut attrs, blocks) = self.split(body);
        let count = attrs.shift_remove("count");
        let for_each = attrs.shift_remove("for_each");
        if let (Some(_), Some(f)) = (&count, &for_each) {
            self.error(f.key.span(), "Invalid combination of \"count\" and \"for_each\"", "The \"count\" and \"for_each\" meta-arguments are mutually exclusive; only one may be used to be explicit about the number of resources to be created.");
        }
        let count = count.map(|a| self.expr(a.value));
        let for_each = for_each.map(|a| self.expr(a.value));
        let depends_on = attrs.shift_remove("depends_on").map(|a| self.depends_on(a.value)).unwrap_or_default();
        let provider = attrs.shift_remove("provider").and_then(|a| self.provider_ref(&a.value));
        let mut lifecycle = Lifecycle::default();
        let mut rest = HclBody::new();
        for (_, a) in attrs {
            rest.push(a);
        }
        for block in blocks {
            match block.ident.as_str() {
                "lifecycle" if mode == ResourceMode::Managed => lifecycle = self.load_lifecycle(block.body),
                "lifecycle" => {
                    let (_, blocks) = self.split(block.body);
                    for b in blocks {
                        match b.ident.as_str() {
                            "precondition" => lifecycle.preconditions.extend(self.check_rule(b)),
                            "postcondition" => lifecycle.postconditions.extend(self.check_rule(b)),
                            _ => self.error(
                                b.ident.span(),
                                "Unsupported block type",
                                "A data source lifecycle block may contain only precondition and postcondition blocks.",
                            ),
                        }
                    }
                }
                "provisioner" | "connection" => {
                    let d = Diagnostic::warning("Provisioners are not run by slipway", "slipway does not run provisioners; use cloud-init user data or a terraform_data resource instead. This block is ignored.").with_subject(self.range(block.ident.span()));
                    self.diags.push(d);
                }
                _ => rest.push(block),
            }
        }
        let body = self.generic_body(rest);
        let range = self.decl(span);
        let resource = Resource { key: key.clone(), provider, count, for_each, depends_on, lifecycle, body, range };
        if !register {
            return Some(resource);
        }
        if let Some(previous) = self.module.resources.get(&key) {
            let previous = previous.range;
            let what = if mode == ResourceMode::Managed { "resource" } else { "data source" };
            self.duplicate(what, &key.to_string(), previous, range);
            return None;
        }
        self.module.resources.insert(key, resource);
        None
    }

    fn load_lifecycle(&mut self, body: HclBody) -> Lifecycle {
        let (mut attrs, blocks) = self.split(body);
        let mut lifecycle = Lifecycle::default();
        if let Some(a) = attrs.shift_remove("create_before_destroy") {
            lifecycle.create_before_destroy = self.static_bool(&a, "create_before_destroy argument");
        }
        if let Some(a) = attrs.shift_remove("prevent_destroy") {
            lifecycle.prevent_destroy = self.static_bool(&a, "prevent_destroy argument");
        }
        if let Some(a) = attrs.shift_remove("ignore_changes") {
            lifecycle.ignore_changes = match a.value {
                Expression::Variable(v) if v.as_str() == "all" => IgnoreChanges::All,
                Expression::Array(items) => IgnoreChanges::Attributes(
                    items
                        .into_iter()
                        .filter_map(|item| {
                            if crate::eval::traversal_parts(&item).is_some() {
                                Some(self.expr(item))
                            } else {
                                self.error(item.span(), "Invalid ignore_changes entry", "ignore_changes lists attribute names without quotes, such as tags or tags[\"Name\"], or is the keyword all.");
                                None
                            }
                        })
                        .collect(),
                ),
                other => {
                    self.error(other.span(), "Invalid ignore_changes", "ignore_changes must be a list of attribute names, such as [tags], or the keyword all.");
                    IgnoreChanges::None
                }
            };
        }
        if let Some(a) = attrs.shift_remove("replace_triggered_by") {
            lifecycle.replace_triggered_by = self.depends_on(a.value);
        }
        let mut unexpected = Vec::new();
        for block in blocks {
            match block.ident.as_str() {
                "precondition" => lifecycle.preconditions.extend(self.check_rule(block)),
                "postcondition" => lifecycle.postconditions.extend(self.check_rule(block)),
                _ => unexpected.push(block),
            }
        }
        self.reject_unexpected(
            "lifecycle",
            attrs,
            unexpected,
            &["create_before_destroy", "prevent_destroy", "ignore_changes", "replace_triggered_by"],
            &["precondition", "postcondition"],
        );
        lifecycle
    }

    fn load_module_call(&mut self, name: String, body: HclBody, span: Option<std::ops::Range<usize>>) {
        let (mut attrs, blocks) = self.split(body);
        let source = match attrs.shift_remove("source") {
            Some(a) => self.static_string(&a, "module source"),
            None => {
                self.error(
                    span.clone(),
                    "Missing required argument",
                    format!("The module {name:?} needs a \"source\" argument, such as source = \"./modules/network\"."),
                );
                None
            }
        };
        let version = attrs.shift_remove("version").and_then(|a| self.static_string(&a, "module version"));
        let count = attrs.shift_remove("count");
        let for_each = attrs.shift_remove("for_each");
        if let (Some(_), Some(f)) = (&count, &for_each) {
            self.error(
                f.key.span(),
                "Invalid combination of \"count\" and \"for_each\"",
                "The \"count\" and \"for_each\" meta-arguments are mutually exclusive.",
            );
        }
        let count = count.map(|a| self.expr(a.value));
        let for_each = for_each.map(|a| self.expr(a.value));
        let depends_on = attrs.shift_remove("depends_on").map(|a| self.depends_on(a.value)).unwrap_or_default();
        let mut providers = Vec::new();
        if let Some(a) = attrs.shift_remove("providers") {
            match &a.value {
                Expression::Object(object) => {
                    for (key, value) in object.iter() {
                        let child = match key {
                            ObjectKey::Ident(i) => Some(i.as_str().to_string()),
                            ObjectKey::Expression(e) => crate::eval::traversal_parts(e).map(|(root, ops)| provider_ref_name(root, &ops)),
                        };
                        if let (Some(child), Some(parent)) = (child, self.provider_ref(value.expr())) {
                            providers.push((child, parent));
                        }
                    }
                }
                other => self.error(other.span(), "Invalid providers argument", "providers must be an object mapping the module's provider names to provider configurations, as in { aws = aws.west }."),
            }
        }
        let inputs: IndexMap<String, Attribute> = attrs
            .into_iter()
            .map(|(n, a)| {
                let name_range = self.decl(a.key.span());
                (n.clone(), Attribute { name: n, expr: self.expr(a.value), name_range })
            })
            .collect();
        for block in blocks {
            self.error(
                block.ident.span(),
                "Unsupported block type",
                "A module block takes arguments (the module's input variables), not nested blocks.",
            );
        }
        let range = self.decl(span);
        let Some(source) = source else { return };
        if let Some(previous) = self.module.module_calls.get(&name) {
            let previous = previous.range;
            self.duplicate("module call", &name, previous, range);
            return;
        }
        self.module.module_calls.insert(
            name.clone(),
            ModuleCall { name, source, version, count, for_each, depends_on, providers, inputs, range },
        );
    }

    fn required(
        &mut self,
        attrs: &mut IndexMap<String, hcl_edit::structure::Attribute>,
        name: &str,
        kind: &str,
        span: &Option<std::ops::Range<usize>>,
    ) -> Option<Expr> {
        match attrs.shift_remove(name) {
            Some(a) => Some(self.expr(a.value)),
            None => {
                self.error(
                    span.clone(),
                    "Missing required argument",
                    format!("A {kind} block needs a {name:?} argument."),
                );
                None
            }
        }
    }

    fn load_moved(&mut self, body: HclBody, span: Option<std::ops::Range<usize>>) {
        let (mut attrs, blocks) = self.split(body);
        let from = self.required(&mut attrs, "from", "moved", &span);
        let to = self.required(&mut attrs, "to", "moved", &span);
        self.reject_unexpected("moved", attrs, blocks, &["from", "to"], &[]);
        if let (Some(from), Some(to)) = (from, to) {
            let range = self.decl(span);
            self.module.moved.push(Moved { from, to, range });
        }
    }

    fn load_removed(&mut self, body: HclBody, span: Option<std::ops::Range<usize>>) {
        let (mut attrs, blocks) = self.split(body);
        let from = self.required(&mut attrs, "from", "removed", &span);
        let mut destroy = true;
        let mut unexpected = Vec::new();
        for block in blocks {
            if block.ident.as_str() == "lifecycle" {
                let (mut lattrs, lblocks) = self.split(block.body);
                if let Some(a) = lattrs.shift_remove("destroy") {
                    destroy = self.static_bool(&a, "destroy argument");
                }
                self.reject_unexpected("lifecycle", lattrs, lblocks, &["destroy"], &[]);
            } else {
                unexpected.push(block);
            }
        }
        self.reject_unexpected("removed", attrs, unexpected, &["from"], &["lifecycle"]);
        if let Some(from) = from {
            let range = self.decl(span);
            self.module.removed.push(Removed { from, destroy, range });
        }
    }

    fn load_import(&mut self, body: HclBody, span: Option<std::ops::Range<usize>>) {
        let (mut attrs, blocks) = self.split(body);
        let to = self.required(&mut attrs, "to", "import", &span);
        let id = self.required(&mut attrs, "id", "import", &span);
        let provider = attrs.shift_remove("provider").and_then(|a| self.provider_ref(&a.value));
        let for_each = attrs.shift_remove("for_each").map(|a| self.expr(a.value));
        self.reject_unexpected("import", attrs, blocks, &["to", "id", "provider", "for_each"], &[]);
        if let (Some(to), Some(id)) = (to, id) {
            let range = self.decl(span);
            self.module.imports.push(Import { to, id, provider, for_each, range });
        }
    }

    fn load_check(&mut self, name: String, body: HclBody, span: Option<std::ops::Range<usize>>) {
        let (attrs, blocks) = self.split(body);
        let mut data = Vec::new();
        let mut asserts = Vec::new();
        let mut unexpected = Vec::new();
        for block in blocks {
            match block.ident.as_str() {
                "assert" => asserts.extend(self.check_rule(block)),
                "data" if block.labels.len() == 2 => {
                    let labels: Vec<String> = block.labels.iter().map(|l| l.as_str().to_string()).collect();
                    let bspan = header_span(&block);
                    data.extend(self.load_resource(ResourceMode::Data, &labels, block.body, bspan, false));
                }
                _ => unexpected.push(block),
            }
        }
        self.reject_unexpected("check", attrs, unexpected, &[], &["assert", "data"]);
        if asserts.is_empty() {
            self.error(
                span.clone(),
                "Missing assert block",
                format!("The check {name:?} needs at least one assert block."),
            );
        }
        let range = self.decl(span);
        self.module.checks.insert(name.clone(), Check { name, data, asserts, range });
    }
}

/// The text of a string literal without interpolation.
pub fn literal_string(expr: &Expression) -> Option<String> {
    match expr {
        Expression::String(s) => Some(s.as_str().to_string()),
        Expression::StringTemplate(t) => match t.as_single_element() {
            Some(hcl_edit::template::Element::Literal(l)) => Some(l.value().clone()),
            _ if t.is_empty() => Some(String::new()),
            _ => None,
        },
        // A heredoc without interpolation or directives is a literal too, as in Terraform
        // (`description = <<-EOT ... EOT`); hcl-edit has already removed `<<-`'s indentation.
        Expression::HeredocTemplate(h) => h
            .template
            .iter()
            .map(|element| match element {
                hcl_edit::template::Element::Literal(l) => Some(l.value().as_str()),
                _ => None,
            })
            .collect::<Option<String>>(),
        _ => None,
    }
}

fn object_key_name(key: &ObjectKey) -> Option<String> {
    match key {
        ObjectKey::Ident(i) => Some(i.as_str().to_string()),
        ObjectKey::Expression(e) => literal_string(e),
    }
}

fn provider_ref_name(root: &str, ops: &[&TraversalOperator]) -> String {
    match ops.first() {
        Some(TraversalOperator::GetAttr(a)) => format!("{root}.{}", a.as_str()),
        _ => root.to_string(),
    }
}

fn header_span(block: &HclBlock) -> Option<std::ops::Range<usize>> {
    let start = block.ident.span()?.start;
    let end = block.labels.last().and_then(|l| l.span()).or(block.ident.span())?.end;
    Some(start..end)
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '-')
}

/// Evaluates a constant expression (no references), as the default of `optional(t, default)`.
fn eval_constant(sources: &Sources, file: FileId, expr: &Expression) -> Option<Value> {
    let (value, diags) = crate::eval::eval_constant(sources, file, expr, true);
    if diags.has_errors() || !value.is_wholly_known() { None } else { Some(value) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_syntax_error_at_the_end_inside_a_character_is_reported() {
        // Found by fuzzing: hcl-edit puts an error at end of input on the last byte, here inside
        // the three bytes of U+FFFD, and slicing the text there panicked.
        let mut sources = Sources::new();
        let (_, diags) = load_source("main.tf", "locals {\n  a = 1 //\u{fffd}", &mut sources);
        let d = diags.iter().next().expect("a syntax error");
        assert_eq!(d.summary, "Invalid syntax");
        let subject = d.subject.as_ref().expect("a subject");
        assert_eq!((subject.start.line, subject.start.column), (2, 11));
    }

    #[test]
    fn a_heredoc_without_interpolation_is_a_literal_description() {
        let mut sources = Sources::new();
        let text = "variable \"a\" {\n  description = <<-EOT\n    Two lines\n    of text.\n  EOT\n}\n\nvariable \"b\" {\n  description = <<-EOT\n    ${var.a}\n  EOT\n}\n";
        let (module, diags) = load_source("main.tf", text, &mut sources);
        let errors: Vec<&str> = diags.iter().map(|d| d.detail.as_str()).collect();
        assert_eq!(errors, ["The description must be a literal string, without references or interpolation."]);
        let a = module.variables.get("a").and_then(|v| v.description.clone());
        assert_eq!(a.as_deref(), Some("Two lines\nof text.\n"));
    }
}

//! The function library: Terraform's built-in functions with their names, parameter types and
//! behaviour. This module owns the calling convention that every function shares: argument
//! conversion to the parameter types, null checks, "known after apply" short-circuits and
//! sensitive marks, so each function body handles only known, unmarked, converted values.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use slipway_core::{Type, Value, convert};

use crate::fs::FileSystem;

mod collection;
mod conversion;
mod crypto;
mod datetime;
mod encoding;
mod filesystem;
mod network;
mod numeric;
mod string;

/// One parameter of a function.
#[derive(Clone, Debug)]
pub struct Param {
    pub name: &'static str,
    /// Arguments are converted to this type before the body sees them; `Type::Any` keeps them.
    pub ty: Type,
    /// When false, a null argument is an error before the body runs.
    pub allow_null: bool,
    /// When false, an argument that is not wholly known makes the result unknown without
    /// calling the body. Set it only when the body handles unknowns itself (`length`, `coalesce`).
    pub allow_unknown: bool,
    /// When false, marks are removed before the body runs and put on the result afterwards.
    pub allow_marked: bool,
}

impl Param {
    pub fn new(name: &'static str, ty: Type) -> Param {
        Param { name, ty, allow_null: false, allow_unknown: false, allow_marked: false }
    }

    pub fn allow_null(mut self) -> Param {
        self.allow_null = true;
        self
    }

    pub fn allow_unknown(mut self) -> Param {
        self.allow_unknown = true;
        self
    }

    pub fn allow_marked(mut self) -> Param {
        self.allow_marked = true;
        self
    }
}

/// The type a function returns, needed for the unknown result when an argument is unknown.
#[derive(Clone, Copy)]
pub enum Returns {
    Fixed(fn() -> Type),
    /// Computed from the (converted, possibly unknown) arguments.
    FromArgs(fn(&[Value]) -> Type),
}

/// Why a call failed: a problem with one argument, or with the call as a whole.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FunctionError {
    /// The argument at this index (counting variadic arguments too) is invalid.
    Arg(usize, String),
    Call(String),
}

pub type Body = fn(&[Value], &FunctionContext<'_>) -> Result<Value, FunctionError>;

/// A built-in function.
#[derive(Clone)]
pub struct Function {
    pub name: &'static str,
    pub params: Vec<Param>,
    pub variadic: Option<Param>,
    pub returns: Returns,
    pub body: Body,
    /// Impure functions (`timestamp`, `uuid`) give a new result each call; while validating or
    /// planning their result is known only after apply.
    pub impure: bool,
}

impl Function {
    pub fn new(name: &'static str, params: Vec<Param>, returns: Returns, body: Body) -> Function {
        Function { name, params, variadic: None, returns, body, impure: false }
    }

    pub fn variadic(mut self, param: Param) -> Function {
        self.variadic = Some(param);
        self
    }

    pub fn impure(mut self) -> Function {
        self.impure = true;
        self
    }

    fn return_type(&self, args: &[Value]) -> Type {
        match self.returns {
            Returns::Fixed(f) => f(),
            Returns::FromArgs(f) => f(args),
        }
    }
}

/// Renders a template the way the evaluator renders string templates; `templatefile` uses it.
pub trait TemplateRenderer {
    /// Renders `source` (read from `filename`) with `vars` as its only variables.
    fn render(
        &self,
        source: &str,
        filename: &Path,
        vars: &std::collections::BTreeMap<String, Value>,
        ctx: &FunctionContext<'_>,
    ) -> Result<Value, String>;
}

/// What a function may use beyond its arguments.
pub struct FunctionContext<'a> {
    /// The directory of the module being evaluated (`path.module`); relative paths in file
    /// functions are relative to the working directory, as in Terraform, so this is for
    /// messages only.
    pub module_dir: &'a Path,
    /// The working directory that relative paths in file functions resolve against.
    pub working_dir: &'a Path,
    pub fs: &'a dyn FileSystem,
    /// True while validating or planning: impure functions return unknown.
    pub impure_unknown: bool,
    pub templates: Option<&'a dyn TemplateRenderer>,
}

impl<'a> FunctionContext<'a> {
    /// A context for constant expressions (variable files, type defaults, tests): paths resolve
    /// against the current directory and no templates can be rendered.
    pub fn in_current_dir(fs: &'a dyn FileSystem, impure_unknown: bool) -> FunctionContext<'a> {
        let here = Path::new(".");
        FunctionContext { module_dir: here, working_dir: here, fs, impure_unknown, templates: None }
    }

    /// A path as the user wrote it, resolved against the working directory.
    pub fn resolve(&self, path: &str) -> PathBuf {
        let p = Path::new(path);
        if p.is_absolute() { p.to_path_buf() } else { self.working_dir.join(p) }
    }
}

/// A function name to its definition.
pub struct Registry {
    functions: HashMap<&'static str, Function>,
}

impl Registry {
    pub fn add(&mut self, function: Function) {
        self.functions.insert(function.name, function);
    }
}

static REGISTRY: LazyLock<Registry> = LazyLock::new(|| {
    let mut r = Registry { functions: HashMap::new() };
    numeric::register(&mut r);
    string::register(&mut r);
    collection::register(&mut r);
    encoding::register(&mut r);
    filesystem::register(&mut r);
    crypto::register(&mut r);
    network::register(&mut r);
    conversion::register(&mut r);
    datetime::register(&mut r);
    r
});

/// The built-in function called `name`.
pub fn lookup(name: &str) -> Option<&'static Function> {
    REGISTRY.functions.get(name)
}

/// Every built-in function name, sorted, for suggestions and `console` completion.
pub fn names() -> Vec<&'static str> {
    let mut names: Vec<&'static str> = REGISTRY.functions.keys().copied().collect();
    names.sort_unstable();
    names
}

/// Calls `function` with `args` under the shared calling convention.
pub fn call(function: &Function, args: Vec<Value>, ctx: &FunctionContext<'_>) -> Result<Value, FunctionError> {
    let min = function.params.len();
    if args.len() < min || (function.variadic.is_none() && args.len() > min) {
        let expected = match (&function.variadic, min) {
            (Some(_), 0) => "any number of arguments".to_string(),
            (Some(_), n) => format!("at least {n} argument{}", plural(n)),
            (None, n) => format!("exactly {n} argument{}", plural(n)),
        };
        return Err(FunctionError::Call(format!(
            "Function {:?} expects {expected}, but got {}.",
            function.name,
            args.len()
        )));
    }

    let mut converted = Vec::with_capacity(args.len());
    let mut sensitive = false;
    let mut short_circuit_unknown = false;
    for (index, arg) in args.into_iter().enumerate() {
        let param = function
            .params
            .get(index)
            .or(function.variadic.as_ref())
            .ok_or_else(|| FunctionError::Call(format!("Function {:?} got too many arguments.", function.name)))?;
        let arg = convert(arg, &param.ty)
            .map_err(|e| FunctionError::Arg(index, format!("Invalid value for {:?} parameter: {e}.", param.name)))?;
        let arg = if param.allow_marked {
            arg
        } else {
            let (plain, marked) = arg.unmark_deep();
            sensitive |= marked;
            plain
        };
        if arg.is_null() && !param.allow_null {
            return Err(FunctionError::Arg(
                index,
                format!("Invalid value for {:?} parameter: argument must not be null.", param.name),
            ));
        }
        if !param.allow_unknown && !arg.is_wholly_known() {
            short_circuit_unknown = true;
        }
        converted.push(arg);
    }

    if short_circuit_unknown || (function.impure && ctx.impure_unknown) {
        return Ok(Value::unknown(function.return_type(&converted)).with_sensitive(sensitive));
    }
    let result = (function.body)(&converted, ctx)?;
    Ok(result.with_sensitive(sensitive))
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Helpers for function bodies and their tests.
pub(crate) mod util {
    use super::FunctionError;
    use slipway_core::{Number, Value};

    /// The string argument at `index`; the calling convention guarantees its type.
    pub fn str_arg(args: &[Value], index: usize) -> Result<&str, FunctionError> {
        args.get(index).and_then(Value::as_str).ok_or_else(|| FunctionError::Arg(index, "a string is required".into()))
    }

    pub fn number_arg(args: &[Value], index: usize) -> Result<&Number, FunctionError> {
        args.get(index)
            .and_then(Value::as_number)
            .ok_or_else(|| FunctionError::Arg(index, "a number is required".into()))
    }

    pub fn bool_arg(args: &[Value], index: usize) -> Result<bool, FunctionError> {
        args.get(index).and_then(Value::as_bool).ok_or_else(|| FunctionError::Arg(index, "a bool is required".into()))
    }

    /// A whole number argument that fits in `i64`.
    pub fn int_arg(args: &[Value], index: usize) -> Result<i64, FunctionError> {
        number_arg(args, index)?.to_i64().ok_or_else(|| FunctionError::Arg(index, "a whole number is required".into()))
    }
}

#[cfg(test)]
pub(crate) mod testing {
    //! Calls functions by name the way the evaluator does, for unit tests.
    use super::*;
    use crate::fs::OsFileSystem;

    /// Calls `name` with `args` in the current directory, with impure functions known.
    pub fn call_fn(name: &str, args: Vec<Value>) -> Result<Value, FunctionError> {
        call_fn_in(Path::new("."), name, args)
    }

    /// Calls `name` with `args`, resolving relative paths against `dir`.
    pub fn call_fn_in(dir: &Path, name: &str, args: Vec<Value>) -> Result<Value, FunctionError> {
        let function = lookup(name).ok_or_else(|| FunctionError::Call(format!("no function {name}")))?;
        let fs = OsFileSystem;
        let ctx =
            FunctionContext { module_dir: dir, working_dir: dir, fs: &fs, impure_unknown: false, templates: None };
        call(function, args, &ctx)
    }

    /// A number from its decimal text.
    pub fn num(text: &str) -> Value {
        Value::number(slipway_core::Number::parse(text).expect("test number"))
    }

    /// Calls `name` and checks the result is `expected`, type included.
    pub fn check(name: &str, args: Vec<Value>, expected: Value) {
        let got = call_fn(name, args.clone()).unwrap_or_else(|e| panic!("{name}({args:?}) failed: {e:?}"));
        assert!(got.same_known_value(&expected), "{name}({args:?}) = {got:?}, expected {expected:?}");
        assert_eq!(got.ty(), expected.ty(), "{name}({args:?}) type");
    }

    /// Calls `name` and checks it fails with a message containing `needle`.
    pub fn check_err(name: &str, args: Vec<Value>, needle: &str) {
        match call_fn(name, args.clone()) {
            Ok(v) => panic!("{name}({args:?}) = {v:?}, expected an error containing {needle:?}"),
            Err(FunctionError::Arg(_, m) | FunctionError::Call(m)) => {
                assert!(m.contains(needle), "{name}({args:?}) error {m:?} lacks {needle:?}")
            }
        }
    }

    /// Calls `name` and checks the result is unknown of type `ty`.
    pub fn check_unknown(name: &str, args: Vec<Value>, ty: Type) {
        let got = call_fn(name, args.clone()).unwrap_or_else(|e| panic!("{name}({args:?}) failed: {e:?}"));
        assert_eq!(got, Value::unknown(ty), "{name}({args:?})");
    }
}

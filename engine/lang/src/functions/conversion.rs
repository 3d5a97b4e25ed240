//! Type conversion functions (`tobool`, `tolist`, `tomap`, `tonumber`, `toset`, `tostring`),
//! the sensitivity functions (`sensitive`, `nonsensitive`, `issensitive`) and `type`. `can` and `try` are not
//! here: they need unevaluated expressions, so the evaluator implements them.

use slipway_core::{Type, Value, convert};

use super::{Function, FunctionContext, FunctionError, Param, Registry, Returns};

pub(super) fn register(registry: &mut Registry) {
    // The conversion functions take the value as it is, nulls, unknowns and marks included:
    // `convert` already carries all three into its result, with nested marks kept in place.
    let value = || Param::new("v", Type::Any).allow_null().allow_unknown().allow_marked();
    registry.add(Function::new("tobool", vec![value()], Returns::Fixed(|| Type::Bool), |a, c| to(a, c, Type::Bool)));
    registry
        .add(Function::new("tonumber", vec![value()], Returns::Fixed(|| Type::Number), |a, c| to(a, c, Type::Number)));
    registry
        .add(Function::new("tostring", vec![value()], Returns::Fixed(|| Type::String), |a, c| to(a, c, Type::String)));
    registry.add(Function::new(
        "tolist",
        vec![value()],
        Returns::FromArgs(|a| converted_type(a, list_any())),
        |a, c| to(a, c, list_any()),
    ));
    registry.add(Function::new("toset", vec![value()], Returns::FromArgs(|a| converted_type(a, set_any())), |a, c| {
        to(a, c, set_any())
    }));
    registry.add(Function::new("tomap", vec![value()], Returns::FromArgs(|a| converted_type(a, map_any())), |a, c| {
        to(a, c, map_any())
    }));
    registry.add(Function::new(
        "sensitive",
        vec![value()],
        Returns::FromArgs(|a| a.first().map_or(Type::Any, Value::ty)),
        sensitive,
    ));
    registry.add(Function::new(
        "nonsensitive",
        vec![value()],
        Returns::FromArgs(|a| a.first().map_or(Type::Any, Value::ty)),
        nonsensitive,
    ));
    registry.add(Function::new("issensitive", vec![value()], Returns::Fixed(|| Type::Bool), issensitive));
    registry.add(Function::new("type", vec![value()], Returns::Fixed(|| Type::String), type_of));
}

fn list_any() -> Type {
    Type::list(Type::Any)
}

fn set_any() -> Type {
    Type::set(Type::Any)
}

fn map_any() -> Type {
    Type::map(Type::Any)
}

fn converted_type(args: &[Value], target: Type) -> Type {
    match args.first() {
        Some(v) => convert(v.clone(), &target).map_or(target, |c| c.ty()),
        None => target,
    }
}

/// How Terraform names a type constraint in conversion errors.
fn constraint_name(ty: &Type) -> String {
    match ty {
        Type::List(e) if **e == Type::Any => "list of any single type".into(),
        Type::Set(e) if **e == Type::Any => "set of any single type".into(),
        Type::Map(e) if **e == Type::Any => "map of any single type".into(),
        other => type_name(other),
    }
}

/// A type's friendly name without the article: "string", "list of number", "tuple".
fn type_name(ty: &Type) -> String {
    let name = ty.friendly_name();
    name.strip_prefix("an ").or_else(|| name.strip_prefix("a ")).map_or(name.clone(), str::to_string)
}

fn to(args: &[Value], _: &FunctionContext<'_>, target: Type) -> Result<Value, FunctionError> {
    let value = args.first().cloned().ok_or_else(|| FunctionError::Arg(0, "a value is required".into()))?;
    let source = value.ty();
    let sensitive = value.is_sensitive();
    convert(value.clone(), &target).map_err(|e| {
        let what = |kind: &str| match value.as_str() {
            Some(s) if !sensitive => format!("{s:?}"),
            _ => kind.to_string(),
        };
        let message = match (&source, &target) {
            (Type::String, Type::Bool) => {
                format!("cannot convert {} to bool; only the strings \"true\" or \"false\" are allowed", what("string"))
            }
            (Type::String, Type::Number) => format!(
                "cannot convert {} to number; given string must be a decimal representation of a number",
                what("string")
            ),
            // A problem inside a collection is clearer with where it is.
            _ if !e.path.is_empty() && !sensitive => {
                format!("cannot convert {} to {}: {e}", type_name(&source), constraint_name(&target))
            }
            _ => format!("cannot convert {} to {}", type_name(&source), constraint_name(&target)),
        };
        FunctionError::Arg(0, message)
    })
}

fn sensitive(args: &[Value], _: &FunctionContext<'_>) -> Result<Value, FunctionError> {
    let value = args.first().cloned().ok_or_else(|| FunctionError::Arg(0, "a value is required".into()))?;
    Ok(value.mark_sensitive())
}

fn nonsensitive(args: &[Value], _: &FunctionContext<'_>) -> Result<Value, FunctionError> {
    let value = args.first().cloned().ok_or_else(|| FunctionError::Arg(0, "a value is required".into()))?;
    // A value that is not sensitive passes through unchanged (an error before Terraform 1.9).
    // Only the value's own mark goes; marks on elements stay, as in Terraform.
    Ok(value.unmark().0)
}

/// `issensitive`: whether the value itself is marked sensitive (marks on its elements do not
/// count, as in Terraform); unknown for an unmarked unknown value, which may be marked later.
fn issensitive(args: &[Value], _: &FunctionContext<'_>) -> Result<Value, FunctionError> {
    let value = args.first().ok_or_else(|| FunctionError::Arg(0, "a value is required".into()))?;
    Ok(if value.is_sensitive() {
        Value::bool(true)
    } else if !value.is_known() {
        Value::unknown(Type::Bool)
    } else {
        Value::bool(false)
    })
}

fn type_of(args: &[Value], _: &FunctionContext<'_>) -> Result<Value, FunctionError> {
    let value = args.first().ok_or_else(|| FunctionError::Arg(0, "a value is required".into()))?;
    Ok(Value::string(value.ty().to_string()))
}

#[cfg(test)]
mod tests {
    use super::super::testing::call_fn;
    use super::*;
    use slipway_core::Number;

    fn s(v: &str) -> Value {
        Value::string(v)
    }

    fn err_message(name: &str, args: Vec<Value>) -> String {
        match call_fn(name, args) {
            Err(FunctionError::Arg(0, m)) => m,
            other => panic!("{name}: expected an argument error, got {other:?}"),
        }
    }

    #[test]
    fn tobool_documented_examples() {
        assert_eq!(call_fn("tobool", vec![Value::bool(true)]), Ok(Value::bool(true)));
        assert_eq!(call_fn("tobool", vec![s("true")]), Ok(Value::bool(true)));
        assert_eq!(call_fn("tobool", vec![Value::null(Type::String)]), Ok(Value::null(Type::Bool)));
        assert_eq!(
            err_message("tobool", vec![s("no")]),
            "cannot convert \"no\" to bool; only the strings \"true\" or \"false\" are allowed"
        );
        assert_eq!(err_message("tobool", vec![Value::int(1)]), "cannot convert number to bool");
    }

    #[test]
    fn tonumber_documented_examples() {
        assert_eq!(call_fn("tonumber", vec![Value::int(1)]), Ok(Value::int(1)));
        assert_eq!(call_fn("tonumber", vec![s("1")]), Ok(Value::int(1)));
        assert_eq!(call_fn("tonumber", vec![Value::null(Type::String)]), Ok(Value::null(Type::Number)));
        assert_eq!(
            err_message("tonumber", vec![s("no")]),
            "cannot convert \"no\" to number; given string must be a decimal representation of a number"
        );
        assert!(err_message("tonumber", vec![s("abc")]).contains("\"abc\""));
        let secret = err_message("tonumber", vec![s("hunter2").mark_sensitive()]);
        assert!(!secret.contains("hunter2"), "{secret}");
    }

    #[test]
    fn tostring_documented_examples() {
        assert_eq!(call_fn("tostring", vec![s("hello")]), Ok(s("hello")));
        assert_eq!(call_fn("tostring", vec![Value::int(1)]), Ok(s("1")));
        assert_eq!(call_fn("tostring", vec![Value::bool(true)]), Ok(s("true")));
        assert_eq!(call_fn("tostring", vec![Value::null(Type::String)]), Ok(Value::null(Type::String)));
        let frac = Value::number(Number::parse("1.5").expect("n"));
        assert_eq!(call_fn("tostring", vec![frac]), Ok(s("1.5")));
        assert_eq!(err_message("tostring", vec![Value::tuple(vec![])]), "cannot convert tuple to string");
        assert!(call_fn("tostring", vec![Value::list(Type::String, vec![s("a")])]).is_err());
    }

    #[test]
    fn tolist_documented_examples() {
        let v = call_fn("tolist", vec![Value::tuple(vec![s("a"), s("b"), s("c")])]).expect("converts");
        assert_eq!(v, Value::list(Type::String, vec![s("a"), s("b"), s("c")]));
        let v = call_fn("tolist", vec![Value::tuple(vec![s("a"), s("b"), Value::int(3)])]).expect("converts");
        assert_eq!(v, Value::list(Type::String, vec![s("a"), s("b"), s("3")]));
        let err = err_message("tolist", vec![Value::tuple(vec![s("a"), Value::tuple(vec![])])]);
        assert!(err.starts_with("cannot convert tuple to list of any single type"), "{err}");
        assert_eq!(err_message("tolist", vec![s("a")]), "cannot convert string to list of any single type");
        let set = Value::set(Type::String, vec![s("b"), s("a")]);
        assert_eq!(call_fn("tolist", vec![set]), Ok(Value::list(Type::String, vec![s("a"), s("b")])));
    }

    #[test]
    fn toset_documented_examples() {
        let v = call_fn("toset", vec![Value::tuple(vec![s("a"), s("b"), s("c")])]).expect("converts");
        assert_eq!(v, Value::set(Type::String, vec![s("a"), s("b"), s("c")]));
        let v = call_fn("toset", vec![Value::tuple(vec![s("a"), s("b"), Value::int(3)])]).expect("converts");
        assert_eq!(v, Value::set(Type::String, vec![s("a"), s("b"), s("3")]));
        let v = call_fn("toset", vec![Value::tuple(vec![s("c"), s("b"), s("b")])]).expect("converts");
        assert_eq!(v, Value::set(Type::String, vec![s("b"), s("c")]));
    }

    #[test]
    fn tomap_documented_examples() {
        let v = call_fn("tomap", vec![Value::object_from([("a", s("foo")), ("b", Value::bool(true))])]).expect("ok");
        assert_eq!(v.ty(), Type::map(Type::String));
        assert_eq!(v.get_attr("b"), Some(&s("true")));
        let err = err_message("tomap", vec![Value::object_from([("a", s("foo")), ("b", Value::tuple(vec![]))])]);
        assert!(err.starts_with("cannot convert object to map of any single type"), "{err}");
    }

    #[test]
    fn conversions_keep_unknowns_and_marks() {
        assert_eq!(call_fn("tonumber", vec![Value::unknown(Type::String)]), Ok(Value::unknown(Type::Number)));
        assert_eq!(
            call_fn("tolist", vec![Value::unknown(Type::list(Type::String))]),
            Ok(Value::unknown(Type::list(Type::String)))
        );
        let partly = Value::tuple(vec![s("a"), Value::unknown(Type::String)]);
        let v = call_fn("tolist", vec![partly]).expect("converts");
        assert_eq!(v.ty(), Type::list(Type::String));
        assert!(!v.is_wholly_known());
        let secret = call_fn("tostring", vec![Value::int(1).mark_sensitive()]).expect("converts");
        assert!(secret.is_sensitive());
        // A sensitive element stays the only sensitive part.
        let v = call_fn("tolist", vec![Value::tuple(vec![s("a").mark_sensitive(), s("b")])]).expect("converts");
        assert!(!v.is_sensitive());
        assert!(v.as_elements().is_some_and(|e| e[0].is_sensitive() && !e[1].is_sensitive()));
    }

    #[test]
    fn sensitive_and_nonsensitive() {
        let v = call_fn("sensitive", vec![s("x")]).expect("marks");
        assert!(v.is_sensitive());
        let back = call_fn("nonsensitive", vec![v]).expect("unmarks");
        assert!(!back.is_sensitive());
        assert_eq!(back, s("x"));
        assert!(call_fn("sensitive", vec![Value::null(Type::String)]).expect("null ok").is_sensitive());
        let u = call_fn("sensitive", vec![Value::unknown(Type::String)]).expect("unknown ok");
        assert!(u.is_sensitive() && !u.is_known());
        // Terraform 1.9 and later return a value that is not sensitive unchanged.
        assert_eq!(call_fn("nonsensitive", vec![s("x")]), Ok(s("x")));
        assert_eq!(call_fn("nonsensitive", vec![Value::unknown(Type::String)]), Ok(Value::unknown(Type::String)));
    }

    #[test]
    fn issensitive_looks_at_the_value_itself() {
        assert_eq!(call_fn("issensitive", vec![s("x").mark_sensitive()]), Ok(Value::bool(true)));
        assert_eq!(call_fn("issensitive", vec![s("x")]), Ok(Value::bool(false)));
        assert_eq!(call_fn("issensitive", vec![Value::null(Type::String)]), Ok(Value::bool(false)));
        // A secret element does not make the collection sensitive.
        let list = Value::tuple(vec![s("a").mark_sensitive()]);
        assert_eq!(call_fn("issensitive", vec![list]), Ok(Value::bool(false)));
        assert_eq!(call_fn("issensitive", vec![Value::unknown(Type::String)]), Ok(Value::unknown(Type::Bool)));
        let secret_unknown = Value::unknown(Type::String).mark_sensitive();
        assert_eq!(call_fn("issensitive", vec![secret_unknown]), Ok(Value::bool(true)));
    }

    #[test]
    fn type_describes_values() {
        assert_eq!(call_fn("type", vec![s("x")]), Ok(s("string")));
        let v = Value::object_from([("a", Value::int(1)), ("b", Value::tuple(vec![s("x")]))]);
        assert_eq!(call_fn("type", vec![v]), Ok(s("object({a=number, b=tuple([string])})")));
        assert_eq!(call_fn("type", vec![Value::unknown(Type::list(Type::Bool))]), Ok(s("list(bool)")));
        assert_eq!(call_fn("type", vec![Value::null(Type::Number)]), Ok(s("number")));
        let marked = call_fn("type", vec![s("x").mark_sensitive()]).expect("type");
        assert!(!marked.is_sensitive());
    }
}

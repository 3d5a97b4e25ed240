//! Type constraints as written in a variable's `type`: `list(string)`,
//! `object({ name = string, port = optional(number, 80) })`, and the defaults they imply.

use std::collections::BTreeMap;

use hcl_edit::expr::{Expression, ObjectKey};
use slipway_core::{Data, Type, Value, convert};

/// A type constraint and the defaults of its optional attributes.
#[derive(Clone, Debug, PartialEq)]
pub struct TypeConstraint {
    pub ty: Type,
    pub defaults: Option<Defaults>,
}

impl Default for TypeConstraint {
    fn default() -> Self {
        TypeConstraint { ty: Type::Any, defaults: None }
    }
}

/// Defaults for the optional attributes of an object type, and for objects nested in it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Defaults {
    /// Defaults of this object's own optional attributes.
    pub values: BTreeMap<String, Value>,
    /// Defaults within attributes that are (or contain) objects.
    pub children: BTreeMap<String, Defaults>,
    /// Defaults for the elements, when this is a collection of objects.
    pub elements: Option<Box<Defaults>>,
}

impl Defaults {
    fn is_empty(&self) -> bool {
        self.values.is_empty() && self.children.is_empty() && self.elements.is_none()
    }
}

/// A problem in a type expression: the span of the offending part and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TypeExprError {
    pub span: Option<std::ops::Range<usize>>,
    pub summary: String,
    pub detail: String,
}

/// Parses a type expression; `eval_default` evaluates the constant default of `optional(t, d)`.
pub fn parse_type_constraint(
    expr: &Expression,
    eval_default: &dyn Fn(&Expression) -> Option<Value>,
) -> Result<TypeConstraint, TypeExprError> {
    let (ty, defaults) = parse(expr, eval_default, false)?;
    Ok(TypeConstraint { ty, defaults: defaults.filter(|d| !d.is_empty()) })
}

type Parsed = (Type, Option<Defaults>);

fn parse(
    expr: &Expression,
    eval_default: &dyn Fn(&Expression) -> Option<Value>,
    in_object: bool,
) -> Result<Parsed, TypeExprError> {
    let span = hcl_edit::Span::span(expr);
    let invalid =
        |detail: String| TypeExprError { span: span.clone(), summary: "Invalid type specification".into(), detail };
    match expr {
        Expression::Variable(name) => match name.as_str() {
            "string" => Ok((Type::String, None)),
            "number" => Ok((Type::Number, None)),
            "bool" => Ok((Type::Bool, None)),
            "any" => Ok((Type::Any, None)),
            "list" | "set" | "map" => Err(invalid(format!(
                "The {name} type constructor requires one argument specifying the element type, as in {name}(string).",
                name = name.as_str()
            ))),
            other => Err(invalid(format!(
                "The keyword {other:?} is not a valid type specification. Use string, number, bool, any, or a type constructor such as list(string)."
            ))),
        },
        Expression::String(s) => Err(TypeExprError {
            span,
            summary: "Invalid quoted type constraints".into(),
            detail: format!(
                "Terraform 0.11 and earlier required type constraints to be given in quotes, but that form is no longer supported. Remove the quotes: write {} instead of {:?}.",
                s.as_str(),
                s.as_str()
            ),
        }),
        Expression::Parenthesis(p) => parse(p.inner(), eval_default, in_object),
        Expression::FuncCall(call) => {
            let name = call.name.name.as_str();
            let args: Vec<&Expression> = call.args.iter().collect();
            let one_arg = |args: &[&Expression]| -> Result<Parsed, TypeExprError> {
                match args {
                    [arg] => parse(arg, eval_default, false),
                    _ => Err(invalid(format!("The {name} type constructor requires exactly one argument."))),
                }
            };
            match name {
                "list" | "set" | "map" => {
                    let (elem, defaults) = one_arg(&args)?;
                    let ty = match name {
                        "list" => Type::list(elem),
                        "set" => Type::set(elem),
                        _ => Type::map(elem),
                    };
                    let defaults = defaults.map(|d| Defaults { elements: Some(Box::new(d)), ..Defaults::default() });
                    Ok((ty, defaults))
                }
                "tuple" => match args.as_slice() {
                    [Expression::Array(items)] => {
                        let mut types = Vec::new();
                        for item in items.iter() {
                            types.push(parse(item, eval_default, false)?.0);
                        }
                        Ok((Type::Tuple(types), None))
                    }
                    _ => Err(invalid("The tuple type constructor requires one argument: a list of element types, as in tuple([string, number]).".into())),
                },
                "object" => match args.as_slice() {
                    [Expression::Object(attrs)] => parse_object(attrs, eval_default),
                    _ => Err(invalid("The object type constructor requires one argument: an object of attribute types, as in object({ name = string }).".into())),
                },
                "optional" if in_object => Err(invalid("optional() is handled by the enclosing object type.".into())),
                "optional" => Err(invalid("Keyword \"optional\" is valid only as a modifier for object type attributes.".into())),
                other => Err(invalid(format!("Keyword {other:?} is not a valid type constructor."))),
            }
        }
        _ => Err(invalid(
            "A type specification is a keyword such as string or a type constructor such as list(string).".into(),
        )),
    }
}

fn parse_object(
    attrs: &hcl_edit::expr::Object,
    eval_default: &dyn Fn(&Expression) -> Option<Value>,
) -> Result<Parsed, TypeExprError> {
    let mut object = slipway_core::ObjectType::default();
    let mut defaults = Defaults::default();
    for (key, value) in attrs.iter() {
        let name = match key {
            ObjectKey::Ident(ident) => ident.as_str().to_string(),
            ObjectKey::Expression(Expression::String(s)) => s.as_str().to_string(),
            ObjectKey::Expression(e) => {
                return Err(TypeExprError {
                    span: hcl_edit::Span::span(e),
                    summary: "Invalid type specification".into(),
                    detail: "Object attribute names must be identifiers.".into(),
                });
            }
        };
        let (ty, nested) = match value.expr() {
            Expression::FuncCall(call) if call.name.name.as_str() == "optional" => {
                let args: Vec<&Expression> = call.args.iter().collect();
                let (ty, nested) = match args.first() {
                    Some(inner) if args.len() <= 2 => parse(inner, eval_default, false)?,
                    _ => {
                        return Err(TypeExprError {
                            span: hcl_edit::Span::span(value.expr()),
                            summary: "Invalid type specification".into(),
                            detail:
                                "optional() takes a type and, optionally, a default value: optional(string, \"x\")."
                                    .into(),
                        });
                    }
                };
                object.optional.insert(name.clone());
                if let Some(default_expr) = args.get(1) {
                    let invalid_default = |detail: String| TypeExprError {
                        span: hcl_edit::Span::span(*default_expr),
                        summary: "Invalid default value for optional attribute".into(),
                        detail,
                    };
                    let default = eval_default(default_expr)
                        .ok_or_else(|| invalid_default("The default value must be a constant expression.".into()))?;
                    let default = convert(default, &ty).map_err(|e| {
                        invalid_default(format!(
                            "The default value for attribute {name:?} is not compatible with its type: {e}."
                        ))
                    })?;
                    defaults.values.insert(name.clone(), default);
                }
                (ty, nested)
            }
            other => parse(other, eval_default, true)?,
        };
        if let Some(nested) = nested {
            defaults.children.insert(name.clone(), nested);
        }
        object.attributes.insert(name, ty);
    }
    Ok((Type::Object(object), Some(defaults)))
}

/// Fills missing or null optional attributes with their defaults, through nested objects and
/// collections, before the value is converted to the constraint's type.
pub fn apply_defaults(value: Value, defaults: &Defaults) -> Value {
    if !value.is_known() || value.is_null() {
        return value;
    }
    let (value, sensitive) = value.unmark();
    let result = match value.data().clone() {
        Data::Object(attrs) | Data::Map(_, attrs) if !defaults.values.is_empty() || !defaults.children.is_empty() => {
            let mut attrs = std::sync::Arc::unwrap_or_clone(attrs);
            for (name, default) in &defaults.values {
                let missing = attrs.get(name).is_none_or(Value::is_null);
                if missing {
                    attrs.insert(name.clone(), default.clone());
                }
            }
            for (name, child) in &defaults.children {
                if let Some(v) = attrs.remove(name) {
                    attrs.insert(name.clone(), apply_defaults(v, child));
                }
            }
            Value::object(attrs)
        }
        Data::List(_, items) | Data::Tuple(items) | Data::Set(_, items) if defaults.elements.is_some() => {
            let elem = defaults.elements.as_deref().cloned().unwrap_or_default();
            let items = items.into_iter().map(|v| apply_defaults(v, &elem)).collect();
            match value.data() {
                Data::Set(..) => Value::set_of(items).unwrap_or(value),
                _ => Value::tuple(items),
            }
        }
        Data::Map(_, items) | Data::Object(items) if defaults.elements.is_some() => {
            let elem = defaults.elements.as_deref().cloned().unwrap_or_default();
            Value::object(
                std::sync::Arc::unwrap_or_clone(items)
                    .into_iter()
                    .map(|(k, v)| (k, apply_defaults(v, &elem)))
                    .collect(),
            )
        }
        _ => value,
    };
    result.with_sensitive(sensitive)
}

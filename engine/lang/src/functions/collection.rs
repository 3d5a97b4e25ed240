//! Collection functions: lists, sets, maps and the structural types, with Terraform's rules for
//! which of them give a list, a tuple, a map or an object, and where unknowns stay unknown.

use std::collections::BTreeMap;

use num_bigint::BigInt;
use num_traits::{Signed, ToPrimitive};
use slipway_core::types::unify;
use slipway_core::{Data, Number, Type, Value, convert};

use super::util::{bool_arg, int_arg, number_arg, str_arg};
use super::{Body, Function, FunctionContext, FunctionError, Param, Registry, Returns};

/// `range` stops here, as Terraform does, so a typo cannot exhaust memory.
const MAX_RANGE: usize = 1024;

/// The most elements `setproduct` builds; Terraform has no limit, but beyond this the product
/// would not fit in memory anyway and the call is certainly a mistake.
const MAX_PRODUCT: usize = 1_000_000;

fn one_param(name: &'static str, param: Param, returns: Returns, body: Body) -> Function {
    Function::new(name, vec![param], returns, body)
}

pub(super) fn register(registry: &mut Registry) {
    let any = |name| Param::new(name, Type::Any);
    registry.add(one_param(
        "alltrue",
        Param::new("list", Type::list(Type::Bool)).allow_unknown(),
        Returns::Fixed(|| Type::Bool),
        alltrue,
    ));
    registry.add(one_param(
        "anytrue",
        Param::new("list", Type::list(Type::Bool)).allow_unknown(),
        Returns::Fixed(|| Type::Bool),
        anytrue,
    ));
    registry.add(Function::new(
        "chunklist",
        vec![any("list").allow_unknown(), Param::new("size", Type::Number)],
        Returns::FromArgs(|args| Type::list(list_type(&first_type(args)))),
        chunklist,
    ));
    registry.add(
        Function::new("coalesce", vec![], Returns::FromArgs(|args| coalesce_type(args).unwrap_or(Type::Any)), coalesce)
            .variadic(any("vals").allow_null().allow_unknown()),
    );
    registry.add(
        Function::new("coalescelist", vec![], Returns::FromArgs(coalescelist_type), coalescelist)
            .variadic(any("vals").allow_null().allow_unknown()),
    );
    registry.add(one_param(
        "compact",
        Param::new("list", Type::list(Type::String)),
        Returns::Fixed(|| Type::list(Type::String)),
        compact,
    ));
    registry.add(
        Function::new("concat", vec![], Returns::FromArgs(|args| concat_type(args).unwrap_or(Type::Any)), concat)
            .variadic(any("seqs")),
    );
    registry.add(Function::new(
        "contains",
        vec![any("list").allow_unknown(), any("value").allow_unknown()],
        Returns::Fixed(|| Type::Bool),
        contains,
    ));
    registry.add(one_param("distinct", any("list"), Returns::FromArgs(|args| list_type(&first_type(args))), distinct));
    registry.add(Function::new(
        "element",
        vec![any("list").allow_unknown(), Param::new("index", Type::Number)],
        Returns::FromArgs(element_type),
        element,
    ));
    registry.add(one_param("flatten", any("list"), Returns::Fixed(|| Type::Any), flatten));
    registry.add(Function::new(
        "index",
        vec![any("list").allow_unknown(), any("value").allow_unknown()],
        Returns::Fixed(|| Type::Number),
        index,
    ));
    registry.add(one_param("keys", any("inputMap").allow_unknown(), Returns::FromArgs(keys_type), keys));
    registry.add(one_param(
        "length",
        any("value").allow_unknown().allow_marked(),
        Returns::Fixed(|| Type::Number),
        length,
    ));
    registry.add(
        Function::new(
            "lookup",
            vec![any("inputMap").allow_unknown().allow_marked(), Param::new("key", Type::String).allow_marked()],
            Returns::FromArgs(|args| lookup_type(args).unwrap_or(Type::Any)),
            lookup,
        )
        .variadic(any("default").allow_null().allow_unknown().allow_marked()),
    );
    registry.add(Function::new(
        "matchkeys",
        vec![any("values"), any("keys"), any("searchset")],
        Returns::FromArgs(|args| list_type(&first_type(args))),
        matchkeys,
    ));
    registry.add(
        Function::new("merge", vec![], Returns::FromArgs(|args| merge_type(args).unwrap_or(Type::Any)), merge)
            .variadic(any("maps").allow_null().allow_unknown().allow_marked()),
    );
    registry.add(one_param("one", any("list"), Returns::FromArgs(|args| one_type(args).unwrap_or(Type::Any)), one));
    registry.add(
        Function::new("range", vec![], Returns::Fixed(|| Type::list(Type::Number)), range)
            .variadic(Param::new("params", Type::Number)),
    );
    registry.add(one_param(
        "reverse",
        any("list"),
        Returns::FromArgs(|args| reverse_type(args).unwrap_or(Type::Any)),
        reverse,
    ));
    registry.add(
        Function::new(
            "setintersection",
            vec![Param::new("first_set", Type::set(Type::Any))],
            Returns::FromArgs(|args| set_type(args).unwrap_or(Type::set(Type::Any))),
            |args, _| set_operation(args, |a, b| a.iter().filter(|x| set_contains(b, x)).cloned().collect()),
        )
        .variadic(Param::new("other_sets", Type::set(Type::Any))),
    );
    registry.add(
        Function::new(
            "setunion",
            vec![Param::new("first_set", Type::set(Type::Any))],
            Returns::FromArgs(|args| set_type(args).unwrap_or(Type::set(Type::Any))),
            |args, _| set_operation(args, |a, b| a.iter().chain(b).cloned().collect()),
        )
        .variadic(Param::new("other_sets", Type::set(Type::Any))),
    );
    registry.add(Function::new(
        "setsubtract",
        vec![Param::new("a", Type::set(Type::Any)), Param::new("b", Type::set(Type::Any))],
        Returns::FromArgs(|args| set_type(args).unwrap_or(Type::set(Type::Any))),
        |args, _| set_operation(args, |a, b| a.iter().filter(|x| !set_contains(b, x)).cloned().collect()),
    ));
    registry.add(
        Function::new(
            "setproduct",
            vec![],
            Returns::FromArgs(|args| setproduct_type(args).unwrap_or(Type::Any)),
            setproduct,
        )
        .variadic(any("sets")),
    );
    registry.add(Function::new(
        "slice",
        vec![any("list"), Param::new("start_index", Type::Number), Param::new("end_index", Type::Number)],
        Returns::FromArgs(slice_type),
        slice,
    ));
    registry.add(one_param(
        "sort",
        Param::new("list", Type::list(Type::String)),
        Returns::Fixed(|| Type::list(Type::String)),
        sort,
    ));
    registry.add(one_param("sum", any("list"), Returns::Fixed(|| Type::Number), sum));
    registry.add(one_param(
        "transpose",
        Param::new("values", Type::map(Type::list(Type::String))),
        Returns::Fixed(|| Type::map(Type::list(Type::String))),
        transpose,
    ));
    // Unknown attribute values pass through (a map of resource instances known only after
    // apply gives a list of unknowns), as cty checks only that the argument itself is known.
    registry.add(one_param("values", any("mapping").allow_unknown(), Returns::FromArgs(values_type), values));
    registry.add(Function::new(
        "zipmap",
        vec![Param::new("keys", Type::list(Type::String)), any("values")],
        Returns::FromArgs(|args| zipmap_type(args).unwrap_or(Type::Any)),
        zipmap,
    ));
}

fn invalid(index: usize, param: &str, message: &str) -> FunctionError {
    FunctionError::Arg(index, format!("Invalid value for {param:?} parameter: {message}."))
}

fn arg(args: &[Value], index: usize) -> Result<&Value, FunctionError> {
    args.get(index).ok_or_else(|| FunctionError::Call(format!("argument {} is missing", index + 1)))
}

/// The elements of a list, set or tuple argument; empty for anything else (callers check types).
fn elements(v: &Value) -> &[Value] {
    v.as_elements().unwrap_or_default()
}

fn first_type(args: &[Value]) -> Type {
    args.first().map_or(Type::Any, Value::ty)
}

fn is_sequence(ty: &Type) -> bool {
    matches!(ty, Type::List(_) | Type::Set(_) | Type::Tuple(_))
}

/// The list type a list, set or tuple type converts to.
fn list_type(ty: &Type) -> Type {
    match ty {
        Type::List(e) | Type::Set(e) => Type::List(e.clone()),
        Type::Tuple(ts) => Type::list(unify(ts).unwrap_or(Type::Any)),
        _ => Type::list(Type::Any),
    }
}

/// The argument as a list. A list is taken as it is, because converting it to `list(any)`
/// would lose the element type of an empty list.
fn as_list(args: &[Value], index: usize, param: &str) -> Result<Value, FunctionError> {
    let v = arg(args, index)?;
    if matches!(v.ty(), Type::List(_)) {
        return Ok(v.clone());
    }
    convert(v.clone(), &Type::list(Type::Any)).map_err(|e| invalid(index, param, &e.to_string()))
}

/// The element type of a list or set type.
fn elem_of(ty: &Type) -> Type {
    ty.element_type().cloned().unwrap_or(Type::Any)
}

fn alltrue(args: &[Value], _: &FunctionContext<'_>) -> Result<Value, FunctionError> {
    let list = arg(args, 0)?;
    if !list.is_known() {
        return Ok(Value::unknown(Type::Bool));
    }
    // Like Terraform, the answer is decided at the first unknown, null or false element.
    let items = elements(list);
    for (i, v) in items.iter().enumerate() {
        if !v.is_known() {
            return Ok(Value::unknown(Type::Bool));
        }
        if !bool_arg(items, i).unwrap_or(false) {
            return Ok(Value::bool(false));
        }
    }
    Ok(Value::bool(true))
}

fn anytrue(args: &[Value], _: &FunctionContext<'_>) -> Result<Value, FunctionError> {
    let list = arg(args, 0)?;
    if !list.is_known() {
        return Ok(Value::unknown(Type::Bool));
    }
    // A known true anywhere decides the answer even when other elements are unknown.
    let mut unknown = false;
    let items = elements(list);
    for (i, v) in items.iter().enumerate() {
        if !v.is_known() {
            unknown = true;
        } else if bool_arg(items, i).unwrap_or(false) {
            return Ok(Value::bool(true));
        }
    }
    Ok(if unknown { Value::unknown(Type::Bool) } else { Value::bool(false) })
}

fn chunklist(args: &[Value], _: &FunctionContext<'_>) -> Result<Value, FunctionError> {
    let list = &as_list(args, 0, "list")?;
    let list_ty = list.ty();
    let size = int_arg(args, 1)
        .ok()
        .and_then(|n| usize::try_from(n).ok())
        .ok_or_else(|| invalid(1, "size", "the size must be a whole number, zero or more"))?;
    if !list.is_known() {
        return Ok(Value::unknown(Type::list(list_ty)));
    }
    let items = elements(list);
    let elem = elem_of(&list_ty);
    // A size of zero means "one chunk holding everything".
    let chunks: Vec<Value> = if items.is_empty() {
        Vec::new()
    } else if size == 0 {
        vec![list.clone()]
    } else {
        items.chunks(size).map(|c| Value::list(elem.clone(), c.to_vec())).collect()
    };
    Ok(Value::list(list_ty, chunks))
}

fn coalesce_type(args: &[Value]) -> Option<Type> {
    unify(&args.iter().map(Value::ty).collect::<Vec<_>>())
}

fn coalesce(args: &[Value], _: &FunctionContext<'_>) -> Result<Value, FunctionError> {
    if args.is_empty() {
        return Err(FunctionError::Call("coalesce() needs at least one argument.".into()));
    }
    let ty = coalesce_type(args).ok_or_else(|| {
        FunctionError::Call(
            "All arguments to coalesce() must have the same type, or types that convert to one; convert them with tostring() or similar."
                .into(),
        )
    })?;
    for (i, v) in args.iter().enumerate() {
        let v = convert(v.clone(), &ty).map_err(|e| invalid(i, "vals", &e.to_string()))?;
        // Arguments are taken in order, so an unknown before the first usable value leaves the
        // result unknown, and one after it does not matter.
        if !v.is_known() {
            return Ok(Value::unknown(ty));
        }
        if v.is_null() || (ty == Type::String && v.as_str() == Some("")) {
            continue;
        }
        return Ok(v);
    }
    Err(FunctionError::Call(
        "No non-null, non-empty-string arguments were given to coalesce(); add a final fallback value.".into(),
    ))
}

fn coalescelist_type(args: &[Value]) -> Type {
    let first = first_type(args);
    if args.iter().all(|a| a.is_known() && a.ty() == first) { first } else { Type::Any }
}

fn coalescelist(args: &[Value], _: &FunctionContext<'_>) -> Result<Value, FunctionError> {
    if args.is_empty() {
        return Err(FunctionError::Call("coalescelist() needs at least one argument.".into()));
    }
    for (i, v) in args.iter().enumerate() {
        if v.is_known() && !matches!(v.ty(), Type::List(_) | Type::Tuple(_) | Type::Any) {
            return Err(invalid(
                i,
                "vals",
                &format!("coalescelist arguments must be lists or tuples, but got {}", v.ty().friendly_name()),
            ));
        }
    }
    let ty = coalescelist_type(args);
    for v in args {
        if !v.is_known() {
            return Ok(Value::unknown(ty));
        }
        if !v.is_null() && !elements(v).is_empty() {
            return Ok(v.clone());
        }
    }
    Err(FunctionError::Call("coalescelist() was given no non-null, non-empty lists; add a final fallback list.".into()))
}

fn compact(args: &[Value], _: &FunctionContext<'_>) -> Result<Value, FunctionError> {
    let kept = elements(arg(args, 0)?).iter().filter(|v| !v.is_null() && v.as_str() != Some("")).cloned().collect();
    Ok(Value::list(Type::String, kept))
}

fn concat_type(args: &[Value]) -> Result<Type, FunctionError> {
    if args.is_empty() {
        return Err(FunctionError::Call("concat() needs at least one list or tuple.".into()));
    }
    let types: Vec<Type> = args.iter().map(Value::ty).collect();
    if types.iter().all(|t| matches!(t, Type::List(_)))
        && let Some(t) = unify(&types)
    {
        return Ok(t);
    }
    let mut elems = Vec::new();
    for (i, v) in args.iter().enumerate() {
        match v.ty() {
            Type::Tuple(ts) => elems.extend(ts),
            Type::List(e) if v.is_known() => elems.extend(std::iter::repeat_n(*e, elements(v).len())),
            // Without the length of an unknown list the tuple type cannot be written down.
            Type::List(_) | Type::Any => return Ok(Type::Any),
            other => {
                return Err(invalid(
                    i,
                    "seqs",
                    &format!("all arguments must be lists or tuples; got {}", other.friendly_name()),
                ));
            }
        }
    }
    Ok(Type::Tuple(elems))
}

fn concat(args: &[Value], _: &FunctionContext<'_>) -> Result<Value, FunctionError> {
    let ty = concat_type(args)?;
    let items: Vec<Value> = args.iter().flat_map(|v| elements(v).iter().cloned()).collect();
    match ty {
        Type::List(elem) => {
            let converted = items
                .into_iter()
                .map(|v| convert(v, &elem))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| FunctionError::Call(format!("concat() could not combine the lists: {e}.")))?;
            Ok(Value::list(*elem, converted))
        }
        _ => Ok(Value::tuple(items)),
    }
}

fn contains(args: &[Value], _: &FunctionContext<'_>) -> Result<Value, FunctionError> {
    let list = arg(args, 0)?;
    let value = arg(args, 1)?;
    let ty = list.ty();
    if !is_sequence(&ty) && ty != Type::Any {
        return Err(invalid(0, "list", &format!("a list, tuple or set is required, but got {}", ty.friendly_name())));
    }
    if list.is_known() && elements(list).is_empty() {
        return Ok(Value::bool(false));
    }
    if !list.is_known() || !value.is_known() {
        return Ok(Value::unknown(Type::Bool));
    }
    // A known match wins even when other elements are unknown; otherwise an unknown element
    // might yet be the value.
    let mut unknown = false;
    for item in elements(list) {
        match value.equals(item).as_bool() {
            Some(true) => return Ok(Value::bool(true)),
            Some(false) => {}
            None => unknown = true,
        }
    }
    Ok(if unknown { Value::unknown(Type::Bool) } else { Value::bool(false) })
}

fn distinct(args: &[Value], _: &FunctionContext<'_>) -> Result<Value, FunctionError> {
    let list = &as_list(args, 0, "list")?;
    let mut kept: Vec<Value> = Vec::new();
    for v in elements(list) {
        if !kept.iter().any(|k| k.same_known_value(v)) {
            kept.push(v.clone());
        }
    }
    Ok(Value::list(elem_of(&list.ty()), kept))
}

/// The index wrapped around the length, as `element` does; `None` for an empty list.
fn wrapped_index(index: &Number, len: usize) -> Option<usize> {
    let i = index.to_bigint()?;
    if i.is_negative() || len == 0 {
        return None;
    }
    (i % BigInt::from(len)).to_usize()
}

fn element_type(args: &[Value]) -> Type {
    match (first_type(args), args.get(1).and_then(Value::as_number)) {
        (Type::List(e), _) => *e,
        (Type::Tuple(ts), Some(i)) => wrapped_index(i, ts.len()).and_then(|i| ts.get(i).cloned()).unwrap_or(Type::Any),
        _ => Type::Any,
    }
}

fn element(args: &[Value], _: &FunctionContext<'_>) -> Result<Value, FunctionError> {
    let list = arg(args, 0)?;
    let index = number_arg(args, 1)?;
    let ty = list.ty();
    if !matches!(ty, Type::List(_) | Type::Tuple(_) | Type::Any) {
        return Err(invalid(
            0,
            "list",
            &format!(
                "cannot read elements from {}; element() needs a list or tuple (convert a set with tolist())",
                ty.friendly_name()
            ),
        ));
    }
    if !index.is_integer() {
        return Err(invalid(1, "index", "the index must be a whole number"));
    }
    if index.is_negative() {
        return Err(invalid(1, "index", "cannot use element function with a negative index"));
    }
    if !list.is_known() {
        return Ok(Value::unknown(element_type(args)));
    }
    let items = elements(list);
    let i = wrapped_index(index, items.len())
        .ok_or_else(|| invalid(0, "list", "cannot use element function with an empty list"))?;
    items.get(i).cloned().ok_or_else(|| invalid(1, "index", "the index is out of range"))
}

fn flatten(args: &[Value], _: &FunctionContext<'_>) -> Result<Value, FunctionError> {
    let list = arg(args, 0)?;
    if !is_sequence(&list.ty()) {
        return Err(invalid(
            0,
            "list",
            &format!("can only flatten lists, sets and tuples, not {}", list.ty().friendly_name()),
        ));
    }
    fn walk(items: &[Value], out: &mut Vec<Value>) {
        for v in items {
            // Null lists are kept as elements, as in Terraform; only real sequences are opened.
            match v.as_elements() {
                Some(inner) if !v.is_null() => walk(inner, out),
                _ => out.push(v.clone()),
            }
        }
    }
    let mut out = Vec::new();
    walk(elements(list), &mut out);
    Ok(Value::tuple(out))
}

fn index(args: &[Value], _: &FunctionContext<'_>) -> Result<Value, FunctionError> {
    let list = arg(args, 0)?;
    let value = arg(args, 1)?;
    if !matches!(list.ty(), Type::List(_) | Type::Tuple(_) | Type::Any) {
        return Err(invalid(0, "list", &format!("a list or tuple is required, but got {}", list.ty().friendly_name())));
    }
    if !list.is_known() || !value.is_known() {
        return Ok(Value::unknown(Type::Number));
    }
    let items = elements(list);
    if items.is_empty() {
        return Err(invalid(0, "list", "cannot search an empty list"));
    }
    for (i, item) in items.iter().enumerate() {
        match item.equals(value).as_bool() {
            Some(true) => return Ok(Value::number(Number::from_u64(i as u64))),
            Some(false) => {}
            None => return Ok(Value::unknown(Type::Number)),
        }
    }
    Err(invalid(1, "value", "item not found in the list; check the value with contains() first"))
}

fn keys_type(args: &[Value]) -> Type {
    match first_type(args) {
        Type::Map(_) => Type::list(Type::String),
        Type::Object(o) => Type::Tuple(vec![Type::String; o.attributes.len()]),
        _ => Type::Any,
    }
}

fn keys(args: &[Value], _: &FunctionContext<'_>) -> Result<Value, FunctionError> {
    let map = arg(args, 0)?;
    let ty = map.ty();
    if !matches!(ty, Type::Map(_) | Type::Object(_) | Type::Any) {
        return Err(invalid(0, "inputMap", &format!("a map or object is required, but got {}", ty.friendly_name())));
    }
    // The keys of a known map are known even when its values are not.
    if !map.is_known() {
        return Ok(Value::unknown(keys_type(args)));
    }
    let names: Vec<Value> =
        map.as_entries().map(|e| e.keys().map(|k| Value::string(k.as_str())).collect()).unwrap_or_default();
    Ok(if matches!(ty, Type::Object(_)) { Value::tuple(names) } else { Value::list(Type::String, names) })
}

fn length(args: &[Value], _: &FunctionContext<'_>) -> Result<Value, FunctionError> {
    let v = arg(args, 0)?;
    // Only the value's own mark passes to its length: a list holding a secret has a public length.
    let sensitive = v.is_sensitive();
    let known = |n: usize| Value::number(Number::from_u64(n as u64)).with_sensitive(sensitive);
    let unknown = Value::unknown(Type::Number).with_sensitive(sensitive);
    match (v.data(), v.ty()) {
        // Structural types fix their length in the type, known or not.
        (_, Type::Tuple(ts)) => Ok(known(ts.len())),
        (_, Type::Object(o)) => Ok(known(o.attributes.len())),
        (Data::Unknown(_), Type::String | Type::List(_) | Type::Set(_) | Type::Map(_) | Type::Any) => Ok(unknown),
        // Unknown set elements may turn out equal to others and collapse.
        (Data::Set(_, items), _) if !items.iter().all(Value::is_wholly_known) => Ok(unknown),
        (Data::String(_) | Data::List(..) | Data::Set(..) | Data::Map(..), _) => Ok(known(v.length().unwrap_or(0))),
        _ => Err(invalid(
            0,
            "value",
            &format!(
                "argument must be a string, a collection type, or a structural type, but got {}",
                v.ty().friendly_name()
            ),
        )),
    }
}

fn lookup_type(args: &[Value]) -> Result<Type, FunctionError> {
    let map = arg(args, 0)?;
    match map.ty() {
        Type::Object(o) => {
            let Some(key) = args.get(1).and_then(Value::as_str) else { return Ok(Type::Any) };
            match (o.attributes.get(key), args.get(2)) {
                (Some(t), _) => Ok(t.clone()),
                (None, Some(default)) => Ok(default.ty()),
                (None, None) => Err(invalid(
                    0,
                    "inputMap",
                    &format!("the given object has no attribute {key:?}; add a default as the third argument"),
                )),
            }
        }
        Type::Map(elem) => Ok(*elem),
        Type::Any => Ok(Type::Any),
        other => Err(invalid(
            0,
            "inputMap",
            &format!("lookup() requires a map as the first argument, but got {}", other.friendly_name()),
        )),
    }
}

fn lookup(args: &[Value], _: &FunctionContext<'_>) -> Result<Value, FunctionError> {
    if args.len() > 3 {
        return Err(FunctionError::Call(format!(
            "lookup() takes two or three arguments (map, key and an optional default), but got {}.",
            args.len()
        )));
    }
    let map = arg(args, 0)?;
    let key_value = arg(args, 1)?;
    let key = str_arg(args, 1)?;
    let ty = lookup_type(args)?;
    let default = args.get(2);
    if let (Type::Map(elem), Some(d)) = (map.ty(), default)
        && convert(d.clone(), &elem).is_err()
    {
        return Err(invalid(
            2,
            "default",
            &format!("the default value must have the same type as the map elements ({elem})"),
        ));
    }
    // The map's and the key's own marks reach the result; marks inside the map stay on their
    // elements, so looking up a public entry of a map with secret entries is not sensitive.
    let sensitive = map.is_sensitive() || key_value.is_sensitive();
    if !map.is_wholly_known() {
        return Ok(Value::unknown(ty).with_sensitive(sensitive));
    }
    if let Some(found) = map.get_attr(key) {
        return Ok(found.clone().with_sensitive(sensitive));
    }
    if let Some(d) = default {
        let d = convert(d.clone(), &ty).map_err(|e| invalid(2, "default", &e.to_string()))?;
        return Ok(d.with_sensitive(sensitive));
    }
    let shown = if key_value.is_sensitive() { "(sensitive value)".to_string() } else { format!("{key:?}") };
    Err(FunctionError::Call(format!(
        "lookup failed to find key {shown}; add a default value as the third argument, or check the key with contains(keys(map), key)."
    )))
}

fn matchkeys(args: &[Value], _: &FunctionContext<'_>) -> Result<Value, FunctionError> {
    let values = &as_list(args, 0, "values")?;
    let keys = &as_list(args, 1, "keys")?;
    let searchset = &as_list(args, 2, "searchset")?;
    let values_ty = values.ty();
    let ty = unify(&[keys.ty(), searchset.ty()])
        .ok_or_else(|| invalid(2, "searchset", "keys and searchset must be of the same type"))?;
    if elements(values).len() != elements(keys).len() {
        return Err(invalid(1, "keys", "length of keys and values should be equal"));
    }
    let convert_to =
        |v: &Value, i: usize, name: &str| convert(v.clone(), &ty).map_err(|e| invalid(i, name, &e.to_string()));
    let keys = convert_to(keys, 1, "keys")?;
    let searchset = convert_to(searchset, 2, "searchset")?;
    let mut out = Vec::new();
    for (value, key) in elements(values).iter().zip(elements(&keys)) {
        if elements(&searchset).iter().any(|s| key.same_known_value(s)) {
            out.push(value.clone());
        }
    }
    Ok(Value::list(elem_of(&values_ty), out))
}

fn merge_type(args: &[Value]) -> Result<Type, FunctionError> {
    let Some(first) = args.first() else { return Ok(Type::empty_object()) };
    let mut attrs = BTreeMap::new();
    let mut attrs_known = true;
    for (i, v) in args.iter().enumerate() {
        match v.ty() {
            Type::Any => return Ok(Type::Any),
            Type::Object(o) if !v.is_null() => attrs.extend(o.attributes),
            Type::Object(_) => {}
            Type::Map(elem) => match v.as_entries() {
                Some(entries) => attrs.extend(entries.keys().map(|k| (k.clone(), (*elem).clone()))),
                None if v.is_null() => {}
                None => attrs_known = false,
            },
            other => {
                return Err(invalid(
                    i,
                    "maps",
                    &format!("arguments must be maps or objects, but got {}", other.friendly_name()),
                ));
            }
        }
    }
    let first_ty = first.ty();
    if args.iter().all(|v| v.ty() == first_ty) {
        return Ok(first_ty);
    }
    if !attrs_known {
        return Ok(Type::Any);
    }
    Ok(Type::object(attrs))
}

fn merge(args: &[Value], _: &FunctionContext<'_>) -> Result<Value, FunctionError> {
    let ty = merge_type(args)?;
    // Each argument's own mark reaches the result; marks on entries stay on the entries.
    let sensitive = args.iter().any(Value::is_sensitive);
    if args.iter().any(|v| !v.is_known()) {
        return Ok(Value::unknown(ty).with_sensitive(sensitive));
    }
    let mut out = BTreeMap::new();
    for v in args {
        if let Some(entries) = v.as_entries() {
            out.extend(entries.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
    }
    let result = match ty {
        Type::Map(elem) => Value::map(*elem, out),
        _ => Value::object(out),
    };
    Ok(result.with_sensitive(sensitive))
}

fn one_type(args: &[Value]) -> Result<Type, FunctionError> {
    match first_type(args) {
        Type::List(e) | Type::Set(e) => Ok(*e),
        Type::Tuple(ts) if ts.is_empty() => Ok(Type::Any),
        Type::Tuple(ts) if ts.len() == 1 => Ok(ts.into_iter().next().unwrap_or(Type::Any)),
        _ => Err(invalid(
            0,
            "list",
            "must be a list, set, or tuple value with either zero or one elements; use a for expression or index to pick one",
        )),
    }
}

fn one(args: &[Value], _: &FunctionContext<'_>) -> Result<Value, FunctionError> {
    let ty = one_type(args)?;
    let items = elements(arg(args, 0)?);
    match items {
        [] => Ok(Value::null(ty)),
        [only] => Ok(only.clone()),
        _ => Err(invalid(
            0,
            "list",
            &format!(
                "must be a list, set, or tuple value with either zero or one elements, but it has {}",
                items.len()
            ),
        )),
    }
}

fn range(args: &[Value], _: &FunctionContext<'_>) -> Result<Value, FunctionError> {
    let n = |i| number_arg(args, i).cloned();
    let zero = Number::zero();
    let (start, limit, step) = match args.len() {
        1 => {
            let limit = n(0)?;
            let step = if limit.compare(&zero).is_lt() { -1 } else { 1 };
            (zero.clone(), limit, Number::from_i64(step))
        }
        2 => {
            let (start, limit) = (n(0)?, n(1)?);
            let step = if limit.compare(&start).is_lt() { -1 } else { 1 };
            (start, limit, Number::from_i64(step))
        }
        3 => (n(0)?, n(1)?, n(2)?),
        count => {
            return Err(FunctionError::Call(format!(
                "range() takes one, two or three arguments (start, limit, step), but got {count}."
            )));
        }
    };
    if step.is_zero() {
        return Err(invalid(2, "step", "step must not be zero"));
    }
    let down = step.is_negative();
    if down && limit.compare(&start).is_gt() {
        return Err(invalid(1, "limit", "limit must be less than start when step is negative"));
    }
    if !down && limit.compare(&start).is_lt() {
        return Err(invalid(1, "limit", "limit must be greater than start when step is positive"));
    }
    let mut out = Vec::new();
    let mut current = start;
    while if down { current.compare(&limit).is_gt() } else { current.compare(&limit).is_lt() } {
        if out.len() >= MAX_RANGE {
            return Err(FunctionError::Call(format!(
                "range() would produce more than {MAX_RANGE} values; decrease the difference between start and limit or use a larger step."
            )));
        }
        let next = current.add(&step).ok_or_else(|| FunctionError::Call(out_of_range("range")))?;
        out.push(Value::number(current));
        current = next;
    }
    Ok(Value::list(Type::Number, out))
}

fn reverse_type(args: &[Value]) -> Result<Type, FunctionError> {
    match first_type(args) {
        Type::Tuple(mut ts) => {
            ts.reverse();
            Ok(Type::Tuple(ts))
        }
        Type::List(e) | Type::Set(e) => Ok(Type::list(*e)),
        other => {
            Err(invalid(0, "list", &format!("can only reverse list or tuple values, not {}", other.friendly_name())))
        }
    }
}

fn reverse(args: &[Value], _: &FunctionContext<'_>) -> Result<Value, FunctionError> {
    let ty = reverse_type(args)?;
    let items: Vec<Value> = elements(arg(args, 0)?).iter().rev().cloned().collect();
    Ok(match ty {
        Type::List(e) => Value::list(*e, items),
        _ => Value::tuple(items),
    })
}

/// The common set type of the arguments; empty sets of unknown element type fit any.
fn set_type(args: &[Value]) -> Result<Type, FunctionError> {
    let elems: Vec<Type> = args
        .iter()
        .filter(|a| !(a.is_known() && elements(a).is_empty() && elem_of(&a.ty()) == Type::Any))
        .map(|a| elem_of(&a.ty()))
        .collect();
    unify(&elems).map(Type::set).ok_or_else(|| {
        FunctionError::Call(
            "The given sets must all have compatible element types; convert them to one type first.".into(),
        )
    })
}

fn set_contains(set: &[Value], v: &Value) -> bool {
    set.iter().any(|x| x.same_known_value(v))
}

fn set_operation(args: &[Value], op: fn(&[Value], &[Value]) -> Vec<Value>) -> Result<Value, FunctionError> {
    let ty = set_type(args)?;
    let elem = elem_of(&ty);
    let mut sets = Vec::with_capacity(args.len());
    for (i, a) in args.iter().enumerate() {
        let converted = convert(a.clone(), &ty).map_err(|e| invalid(i, "sets", &e.to_string()))?;
        sets.push(elements(&converted).to_vec());
    }
    let mut iter = sets.into_iter();
    let mut result = iter.next().unwrap_or_default();
    for other in iter {
        result = op(&result, &other);
    }
    Ok(Value::set(elem, result))
}

fn setproduct_type(args: &[Value]) -> Result<Type, FunctionError> {
    if args.len() < 2 {
        return Err(FunctionError::Call("setproduct() needs at least two sets or lists.".into()));
    }
    let mut all_lists = true;
    let mut elems = Vec::with_capacity(args.len());
    for (i, a) in args.iter().enumerate() {
        let elem = match a.ty() {
            Type::Set(e) => {
                all_lists = false;
                *e
            }
            Type::List(e) => *e,
            Type::Tuple(ts) if ts.is_empty() => Type::Any,
            Type::Tuple(ts) => unify(&ts).ok_or_else(|| invalid(i, "sets", "a set or a list is required"))?,
            other => {
                return Err(invalid(
                    i,
                    "sets",
                    &format!("a set or a list is required, but got {}", other.friendly_name()),
                ));
            }
        };
        elems.push(elem);
    }
    let tuple = Type::Tuple(elems);
    Ok(if all_lists { Type::list(tuple) } else { Type::set(tuple) })
}

fn setproduct(args: &[Value], _: &FunctionContext<'_>) -> Result<Value, FunctionError> {
    let ty = setproduct_type(args)?;
    let Some(Type::Tuple(elem_types)) = ty.element_type().cloned() else {
        return Err(FunctionError::Call("setproduct() could not work out its result type.".into()));
    };
    let mut total: usize = 1;
    for a in args {
        total = total.saturating_mul(elements(a).len());
    }
    if total > MAX_PRODUCT {
        return Err(FunctionError::Call(format!(
            "setproduct() would produce {total} combinations, more than the limit of {MAX_PRODUCT}; reduce the inputs."
        )));
    }
    let mut columns = Vec::with_capacity(args.len());
    for (i, (a, t)) in args.iter().zip(&elem_types).enumerate() {
        let column = elements(a)
            .iter()
            .map(|v| convert(v.clone(), t))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| invalid(i, "sets", &e.to_string()))?;
        columns.push(column);
    }
    // Combinations in order, the last argument varying fastest.
    let mut rows: Vec<Vec<Value>> = if total == 0 { Vec::new() } else { vec![Vec::new()] };
    for column in &columns {
        rows = rows
            .into_iter()
            .flat_map(|row| {
                column.iter().map(move |v| {
                    let mut next = row.clone();
                    next.push(v.clone());
                    next
                })
            })
            .collect();
    }
    let tuple_ty = Type::Tuple(elem_types);
    let items = rows.into_iter().map(Value::tuple).collect();
    Ok(match ty {
        Type::List(_) => Value::list(tuple_ty, items),
        _ => Value::set(tuple_ty, items),
    })
}

/// The checked start and end of a slice; `None` for an index that is not known yet.
fn slice_bounds(args: &[Value]) -> Result<Option<(usize, usize)>, FunctionError> {
    let list = arg(args, 0)?;
    let len = match list.ty() {
        Type::Tuple(ts) => Some(ts.len()),
        _ if list.is_known() => Some(elements(list).len()),
        _ => None,
    };
    let bound = |i: usize, name: &str| -> Result<Option<usize>, FunctionError> {
        let Some(n) = args.get(i).and_then(Value::as_number) else { return Ok(None) };
        let what = if i == 1 { "start index" } else { "end index" };
        let n = n.to_bigint().ok_or_else(|| invalid(i, name, &format!("the {what} must be a whole number")))?;
        if n.is_negative() {
            return Err(invalid(i, name, &format!("the {what} must not be less than zero")));
        }
        let n = n.to_usize().unwrap_or(usize::MAX);
        if len.is_some_and(|len| n > len) {
            return Err(invalid(i, name, &format!("the {what} must not be greater than the length of the list")));
        }
        Ok(Some(n))
    };
    let start = bound(1, "start_index")?;
    let end = bound(2, "end_index")?;
    match (start, end) {
        (Some(s), Some(e)) if s > e => {
            Err(invalid(1, "start_index", "the start index must not be greater than the end index"))
        }
        (Some(s), Some(e)) => Ok(Some((s, e))),
        _ => Ok(None),
    }
}

fn slice_type(args: &[Value]) -> Type {
    match first_type(args) {
        Type::List(e) => Type::List(e),
        Type::Tuple(ts) => match slice_bounds(args) {
            Ok(Some((s, e))) => ts.get(s..e).map_or(Type::Any, |t| Type::Tuple(t.to_vec())),
            _ => Type::Any,
        },
        _ => Type::Any,
    }
}

fn slice(args: &[Value], _: &FunctionContext<'_>) -> Result<Value, FunctionError> {
    let list = arg(args, 0)?;
    let ty = list.ty();
    match ty {
        Type::Set(_) => {
            return Err(invalid(
                0,
                "list",
                "cannot slice a set, because its elements do not have indices; explicitly convert to a list if the ordering of the result is not important",
            ));
        }
        Type::List(_) | Type::Tuple(_) => {}
        other => {
            return Err(invalid(0, "list", &format!("must be a list or tuple value, not {}", other.friendly_name())));
        }
    }
    let (start, end) = slice_bounds(args)?.ok_or_else(|| invalid(1, "start_index", "the indices must be known"))?;
    let items = elements(list).get(start..end).unwrap_or_default().to_vec();
    Ok(match ty {
        Type::List(e) => Value::list(*e, items),
        _ => Value::tuple(items),
    })
}

fn sort(args: &[Value], _: &FunctionContext<'_>) -> Result<Value, FunctionError> {
    let mut out = Vec::new();
    for (i, v) in elements(arg(args, 0)?).iter().enumerate() {
        let s = v.as_str().ok_or_else(|| {
            invalid(0, "list", &format!("given list element {i} is null; a null string cannot be sorted"))
        })?;
        out.push(s);
    }
    // Byte order, as Go's sort.Strings: "10" sorts before "9".
    out.sort_unstable();
    Ok(Value::list(Type::String, out.into_iter().map(Value::string).collect()))
}

fn sum(args: &[Value], _: &FunctionContext<'_>) -> Result<Value, FunctionError> {
    let list = arg(args, 0)?;
    if !is_sequence(&list.ty()) {
        return Err(invalid(
            0,
            "list",
            &format!("argument must be list, set, or tuple, but got {}", list.ty().friendly_name()),
        ));
    }
    let items = elements(list);
    if items.is_empty() {
        return Err(invalid(0, "list", "cannot sum an empty list"));
    }
    let mut total = Number::zero();
    for v in items {
        let n = convert(v.clone(), &Type::Number).ok().filter(|n| !n.is_null());
        let n = n
            .as_ref()
            .and_then(Value::as_number)
            .ok_or_else(|| invalid(0, "list", "argument must be list, set, or tuple of number values"))?;
        total = total.add(n).ok_or_else(|| FunctionError::Call(out_of_range("sum")))?;
    }
    Ok(Value::number(total))
}

fn out_of_range(function: &str) -> String {
    format!(
        "The result of {function} is out of range: numbers must lie between 1e-{max} and 1e{max} in magnitude.",
        max = slipway_core::number::MAX_EXPONENT
    )
}

fn transpose(args: &[Value], _: &FunctionContext<'_>) -> Result<Value, FunctionError> {
    let mut out: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for (key, list) in arg(args, 0)?.as_entries().into_iter().flatten() {
        for v in elements(list) {
            let s = v.as_str().ok_or_else(|| {
                invalid(
                    0,
                    "values",
                    &format!("the list for key {key:?} has a null element; input must be a map of lists of strings"),
                )
            })?;
            out.entry(s.to_string()).or_default().push(Value::string(key.as_str()));
        }
    }
    let entries = out.into_iter().map(|(k, v)| (k, Value::list(Type::String, v))).collect();
    Ok(Value::map(Type::list(Type::String), entries))
}

fn values_type(args: &[Value]) -> Type {
    match first_type(args) {
        Type::Map(e) => Type::List(e),
        Type::Object(o) => Type::Tuple(o.attributes.into_values().collect()),
        _ => Type::Any,
    }
}

fn values(args: &[Value], _: &FunctionContext<'_>) -> Result<Value, FunctionError> {
    let map = arg(args, 0)?;
    if !map.is_known() {
        return Ok(Value::unknown(values_type(args)));
    }
    let items: Vec<Value> = map.as_entries().map(|e| e.values().cloned().collect()).unwrap_or_default();
    match map.ty() {
        Type::Map(e) => Ok(Value::list(*e, items)),
        Type::Object(_) => Ok(Value::tuple(items)),
        other => Err(invalid(
            0,
            "mapping",
            &format!("values() requires a map as the first argument, but got {}", other.friendly_name()),
        )),
    }
}

fn zipmap_type(args: &[Value]) -> Result<Type, FunctionError> {
    let keys = arg(args, 0)?;
    match arg(args, 1)?.ty() {
        Type::List(e) => Ok(Type::Map(e)),
        Type::Tuple(ts) => {
            if !keys.is_wholly_known() {
                return Ok(Type::Any);
            }
            let names = elements(keys);
            if names.len() != ts.len() {
                return Err(FunctionError::Call(format!(
                    "The number of keys ({}) does not match the number of values ({}).",
                    names.len(),
                    ts.len()
                )));
            }
            let mut attrs = BTreeMap::new();
            for (i, (k, t)) in names.iter().zip(ts).enumerate() {
                let k =
                    k.as_str().ok_or_else(|| invalid(0, "keys", &format!("keys list has null value at index {i}")))?;
                attrs.insert(k.to_string(), t);
            }
            Ok(Type::object(attrs))
        }
        Type::Any => Ok(Type::Any),
        other => Err(invalid(
            1,
            "values",
            &format!("values argument must be a list or tuple value, not {}", other.friendly_name()),
        )),
    }
}

fn zipmap(args: &[Value], _: &FunctionContext<'_>) -> Result<Value, FunctionError> {
    let ty = zipmap_type(args)?;
    let keys = elements(arg(args, 0)?);
    let values = elements(arg(args, 1)?);
    if keys.len() != values.len() {
        return Err(FunctionError::Call(format!(
            "The number of keys ({}) does not match the number of values ({}).",
            keys.len(),
            values.len()
        )));
    }
    let mut out = BTreeMap::new();
    for (i, (k, v)) in keys.iter().zip(values).enumerate() {
        let k = k.as_str().ok_or_else(|| invalid(0, "keys", &format!("keys list has null value at index {i}")))?;
        // A repeated key keeps the later value.
        out.insert(k.to_string(), v.clone());
    }
    Ok(match ty {
        Type::Map(e) => Value::map(*e, out),
        _ => Value::object(out),
    })
}

#[cfg(test)]
mod tests {
    use super::super::testing::call_fn;
    use super::*;
    use crate::functions::testing::{check, check_err, check_unknown, num};

    fn s(v: &str) -> Value {
        Value::string(v)
    }

    /// A tuple of strings, as the literal `["a", "b"]` is.
    fn tup(items: &[&str]) -> Value {
        Value::tuple(items.iter().map(|i| s(i)).collect())
    }

    fn strings(items: &[&str]) -> Value {
        Value::list(Type::String, items.iter().map(|i| s(i)).collect())
    }

    fn numbers(items: &[&str]) -> Value {
        Value::list(Type::Number, items.iter().map(|i| num(i)).collect())
    }

    fn obj(items: Vec<(&str, Value)>) -> Value {
        Value::object_from(items)
    }

    #[test]
    fn documented_examples() {
        check("alltrue", vec![Value::tuple(vec![s("true"), Value::bool(true)])], Value::bool(true));
        check("alltrue", vec![Value::tuple(vec![Value::bool(true), Value::bool(false)])], Value::bool(false));
        check("anytrue", vec![tup(&["true"])], Value::bool(true));
        check("anytrue", vec![Value::tuple(vec![Value::bool(true)])], Value::bool(true));
        check("anytrue", vec![Value::tuple(vec![Value::bool(true), Value::bool(false)])], Value::bool(true));
        check("anytrue", vec![Value::empty_tuple()], Value::bool(false));
        check(
            "chunklist",
            vec![tup(&["a", "b", "c", "d", "e"]), Value::int(2)],
            Value::list(Type::list(Type::String), vec![strings(&["a", "b"]), strings(&["c", "d"]), strings(&["e"])]),
        );
        check(
            "chunklist",
            vec![tup(&["a", "b", "c", "d", "e"]), Value::int(1)],
            Value::list(Type::list(Type::String), ["a", "b", "c", "d", "e"].iter().map(|x| strings(&[x])).collect()),
        );
        check("coalesce", vec![s("a"), s("b")], s("a"));
        check("coalesce", vec![s(""), s("b")], s("b"));
        check("coalesce", vec![Value::int(1), Value::int(2)], Value::int(1));
        check("coalesce", vec![Value::int(1), s("hello")], s("1"));
        check("coalesce", vec![Value::bool(true), s("hello")], s("true"));
        check_err("coalesce", vec![Value::empty_object(), s("hello")], "same type");
        check("coalescelist", vec![tup(&["a", "b"]), tup(&["c", "d"])], tup(&["a", "b"]));
        check("coalescelist", vec![Value::empty_tuple(), tup(&["c", "d"])], tup(&["c", "d"]));
        check(
            "compact",
            vec![Value::tuple(vec![s("a"), s(""), s("b"), Value::null(Type::Any), s("c")])],
            strings(&["a", "b", "c"]),
        );
        check("concat", vec![tup(&["a", ""]), tup(&["b", "c"])], tup(&["a", "", "b", "c"]));
        check("contains", vec![tup(&["a", "b", "c"]), s("a")], Value::bool(true));
        check("contains", vec![tup(&["a", "b", "c"]), s("d")], Value::bool(false));
        check("distinct", vec![tup(&["a", "b", "a", "c", "d", "b"])], strings(&["a", "b", "c", "d"]));
        check("element", vec![tup(&["a", "b", "c"]), Value::int(1)], s("b"));
        check("element", vec![tup(&["a", "b", "c"]), Value::int(3)], s("a"));
        check("element", vec![tup(&["a", "b", "c"]), Value::int(2)], s("c"));
        check(
            "flatten",
            vec![Value::tuple(vec![tup(&["a", "b"]), Value::empty_tuple(), tup(&["c"])])],
            tup(&["a", "b", "c"]),
        );
        check(
            "flatten",
            vec![Value::tuple(vec![Value::tuple(vec![tup(&["a", "b"]), Value::empty_tuple()]), tup(&["c"])])],
            tup(&["a", "b", "c"]),
        );
        check("index", vec![tup(&["a", "b", "c"]), s("b")], Value::int(1));
        check(
            "keys",
            vec![obj(vec![("a", Value::int(1)), ("c", Value::int(2)), ("d", Value::int(3))])],
            tup(&["a", "c", "d"]),
        );
        check("length", vec![Value::empty_tuple()], Value::int(0));
        check("length", vec![tup(&["a", "b"])], Value::int(2));
        check("length", vec![obj(vec![("a", s("b"))])], Value::int(1));
        check("length", vec![s("hello")], Value::int(5));
        check("length", vec![s("👾")], Value::int(1));
        let m = obj(vec![("a", s("ay")), ("b", s("bee"))]);
        check("lookup", vec![m.clone(), s("a"), s("what?")], s("ay"));
        check("lookup", vec![m, s("c"), s("what?")], s("what?"));
        check(
            "matchkeys",
            vec![tup(&["i-123", "i-abc", "i-def"]), tup(&["us-west", "us-east", "us-east"]), tup(&["us-east"])],
            strings(&["i-abc", "i-def"]),
        );
        check(
            "merge",
            vec![obj(vec![("a", s("b")), ("c", s("d"))]), obj(vec![("e", s("f")), ("c", s("z"))])],
            obj(vec![("a", s("b")), ("c", s("z")), ("e", s("f"))]),
        );
        check(
            "merge",
            vec![
                obj(vec![("a", s("b"))]),
                obj(vec![("a", Value::tuple(vec![Value::int(1), Value::int(2)])), ("c", s("z"))]),
                obj(vec![("d", Value::int(3))]),
            ],
            obj(vec![("a", Value::tuple(vec![Value::int(1), Value::int(2)])), ("c", s("z")), ("d", Value::int(3))]),
        );
        check("one", vec![Value::empty_tuple()], Value::null(Type::Any));
        check("one", vec![tup(&["hello"])], s("hello"));
        check_err("one", vec![tup(&["hello", "goodbye"])], "either zero or one elements");
        check("one", vec![Value::set(Type::String, vec![])], Value::null(Type::String));
        check("one", vec![Value::set(Type::String, vec![s("hello")])], s("hello"));
        check("range", vec![Value::int(3)], numbers(&["0", "1", "2"]));
        check("range", vec![Value::int(1), Value::int(4)], numbers(&["1", "2", "3"]));
        check("range", vec![Value::int(1), Value::int(8), Value::int(2)], numbers(&["1", "3", "5", "7"]));
        check("range", vec![Value::int(1), Value::int(4), num("0.5")], numbers(&["1", "1.5", "2", "2.5", "3", "3.5"]));
        check("range", vec![Value::int(4), Value::int(1)], numbers(&["4", "3", "2"]));
        check("range", vec![Value::int(10), Value::int(5), Value::int(-2)], numbers(&["10", "8", "6"]));
        check(
            "reverse",
            vec![Value::tuple(vec![Value::int(1), Value::int(2), Value::int(3)])],
            Value::tuple(vec![Value::int(3), Value::int(2), Value::int(1)]),
        );
        check(
            "setintersection",
            vec![tup(&["a", "b"]), tup(&["b", "c"]), tup(&["b", "d"])],
            Value::set(Type::String, vec![s("b")]),
        );
        let pair = |a: &str, b: &str| Value::tuple(vec![s(a), s(b)]);
        check(
            "setproduct",
            vec![tup(&["development", "staging", "production"]), tup(&["app1", "app2"])],
            Value::list(
                Type::Tuple(vec![Type::String, Type::String]),
                vec![
                    pair("development", "app1"),
                    pair("development", "app2"),
                    pair("staging", "app1"),
                    pair("staging", "app2"),
                    pair("production", "app1"),
                    pair("production", "app2"),
                ],
            ),
        );
        check("setsubtract", vec![tup(&["a", "b", "c"]), tup(&["a", "c"])], Value::set(Type::String, vec![s("b")]));
        check(
            "setunion",
            vec![tup(&["a", "b"]), tup(&["b", "c"]), tup(&["d"])],
            Value::set(Type::String, vec![s("a"), s("b"), s("c"), s("d")]),
        );
        check("slice", vec![tup(&["a", "b", "c", "d"]), Value::int(1), Value::int(3)], tup(&["b", "c"]));
        check("sort", vec![tup(&["e", "d", "a", "x"])], strings(&["a", "d", "e", "x"]));
        check("sum", vec![Value::tuple(vec![Value::int(10), Value::int(13), Value::int(6), num("4.5")])], num("33.5"));
        check(
            "transpose",
            vec![obj(vec![("a", tup(&["1", "2"])), ("b", tup(&["2", "3"]))])],
            Value::map(
                Type::list(Type::String),
                [("1", strings(&["a"])), ("2", strings(&["a", "b"])), ("3", strings(&["b"]))]
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), v))
                    .collect(),
            ),
        );
        check(
            "values",
            vec![obj(vec![("a", Value::int(3)), ("c", Value::int(2)), ("d", Value::int(1))])],
            Value::tuple(vec![Value::int(3), Value::int(2), Value::int(1)]),
        );
        check(
            "zipmap",
            vec![tup(&["a", "b"]), Value::tuple(vec![Value::int(1), Value::int(2)])],
            obj(vec![("a", Value::int(1)), ("b", Value::int(2))]),
        );
    }

    #[test]
    fn types_follow_terraform() {
        // Lists stay lists, maps stay maps.
        let list = strings(&["a"]);
        check("concat", vec![list.clone(), strings(&["b"])], strings(&["a", "b"]));
        check("concat", vec![list.clone(), numbers(&["1"])], strings(&["a", "1"]));
        check("concat", vec![list.clone(), tup(&["b"])], tup(&["a", "b"]));
        check_err("concat", vec![Value::set(Type::String, vec![])], "all arguments must be lists or tuples");
        let map = |items: &[(&str, &str)]| {
            Value::map(Type::String, items.iter().map(|(k, v)| (k.to_string(), s(v))).collect())
        };
        check("merge", vec![map(&[("a", "1")]), map(&[("a", "2"), ("b", "3")])], map(&[("a", "2"), ("b", "3")]));
        check("merge", vec![], Value::empty_object());
        check("merge", vec![map(&[("a", "1")]), Value::null(Type::map(Type::String))], map(&[("a", "1")]));
        check_err("merge", vec![list.clone()], "arguments must be maps or objects");
        check("keys", vec![map(&[("b", "1"), ("a", "2")])], strings(&["a", "b"]));
        check("values", vec![map(&[("b", "1"), ("a", "2")])], strings(&["2", "1"]));
        // Unknown attributes stay unknown in place: the instances of a resource with for_each.
        let instances = Value::object_from([("web", Value::unknown(Type::Any)), ("db", Value::unknown(Type::Any))]);
        let got = call_fn("values", vec![instances]).expect("values");
        assert_eq!(got, Value::tuple(vec![Value::unknown(Type::Any), Value::unknown(Type::Any)]));
        let got = call_fn("values", vec![Value::unknown(Type::map(Type::String))]).expect("values");
        assert_eq!(got, Value::unknown(Type::list(Type::String)));
        check(
            "zipmap",
            vec![tup(&["a", "b", "a"]), numbers(&["1", "2", "3"])],
            Value::map(Type::Number, [("a".to_string(), Value::int(3)), ("b".to_string(), Value::int(2))].into()),
        );
        check("reverse", vec![Value::set(Type::String, vec![s("a"), s("b")])], strings(&["b", "a"]));
        check("slice", vec![list.clone(), Value::int(0), Value::int(0)], strings(&[]));
        check("lookup", vec![map(&[("a", "1")]), s("a")], s("1"));
        check(
            "setproduct",
            vec![Value::set(Type::String, vec![s("a")]), tup(&["b"])],
            Value::set(Type::Tuple(vec![Type::String, Type::String]), vec![Value::tuple(vec![s("a"), s("b")])]),
        );
        check(
            "setproduct",
            vec![tup(&["a"]), Value::empty_tuple()],
            Value::list(Type::Tuple(vec![Type::String, Type::Any]), vec![]),
        );
        check(
            "setunion",
            vec![tup(&["a"]), Value::tuple(vec![Value::int(1)])],
            Value::set(Type::String, vec![s("1"), s("a")]),
        );
        check("setunion", vec![Value::empty_tuple(), numbers(&["1"])], Value::set(Type::Number, vec![Value::int(1)]));
        check("sort", vec![Value::tuple(vec![Value::int(10), Value::int(9)])], strings(&["10", "9"]));
        check(
            "flatten",
            vec![Value::tuple(vec![Value::null(Type::list(Type::String)), tup(&["a"])])],
            Value::tuple(vec![Value::null(Type::list(Type::String)), s("a")]),
        );
        check("one", vec![strings(&[])], Value::null(Type::String));
        check("coalesce", vec![Value::null(Type::String), s("x")], s("x"));
        check("element", vec![tup(&["a", "b"]), num("1e30")], s("a"));
        check(
            "chunklist",
            vec![tup(&["a", "b"]), Value::int(0)],
            Value::list(Type::list(Type::String), vec![strings(&["a", "b"])]),
        );
        check("chunklist", vec![strings(&[]), Value::int(3)], Value::list(Type::list(Type::String), vec![]));
        check("matchkeys", vec![tup(&["a", "b"]), numbers(&["1", "2"]), tup(&["2"])], strings(&["b"]));
    }

    #[test]
    fn errors_explain_the_fix() {
        check_err(
            "range",
            vec![Value::int(1), Value::int(2), Value::int(0)],
            "Invalid value for \"step\" parameter: step must not be zero.",
        );
        check_err("range", vec![Value::int(1), Value::int(5), Value::int(-1)], "limit must be less than start");
        check_err("range", vec![Value::int(5), Value::int(1), Value::int(1)], "limit must be greater than start");
        check_err("range", vec![Value::int(2000)], "more than 1024 values");
        check_err("range", vec![], "one, two or three arguments");
        check_err("element", vec![Value::empty_tuple(), Value::int(0)], "empty list");
        check_err("element", vec![tup(&["a"]), Value::int(-1)], "negative index");
        check_err("element", vec![tup(&["a"]), num("0.5")], "whole number");
        check_err("element", vec![Value::set(Type::String, vec![s("a")]), Value::int(0)], "tolist()");
        check_err("index", vec![tup(&["a"]), s("b")], "item not found");
        check_err("index", vec![Value::empty_tuple(), s("b")], "cannot search an empty list");
        check_err("lookup", vec![Value::map(Type::String, BTreeMap::new()), s("x")], "lookup failed to find key \"x\"");
        check_err(
            "lookup",
            vec![Value::map(Type::String, BTreeMap::new()), s("x").mark_sensitive()],
            "(sensitive value)",
        );
        check_err("lookup", vec![obj(vec![("a", s("b"))]), s("x")], "no attribute \"x\"");
        check_err("lookup", vec![Value::empty_object(), s("x"), s("a"), s("b")], "two or three arguments");
        check_err(
            "lookup",
            vec![Value::map(Type::String, BTreeMap::new()), s("x"), Value::empty_tuple()],
            "same type as the map elements",
        );
        check_err("lookup", vec![tup(&["a"]), s("x")], "requires a map");
        check_err("sum", vec![Value::empty_tuple()], "cannot sum an empty list");
        check_err("sum", vec![tup(&["a"])], "of number values");
        check_err("sum", vec![Value::tuple(vec![Value::int(1), Value::null(Type::Number)])], "of number values");
        check_err("sum", vec![s("12")], "list, set, or tuple");
        check_err("slice", vec![tup(&["a"]), Value::int(0), Value::int(2)], "greater than the length");
        check_err(
            "slice",
            vec![tup(&["a", "b"]), Value::int(2), Value::int(1)],
            "start index must not be greater than the end index",
        );
        check_err("slice", vec![tup(&["a"]), Value::int(-1), Value::int(1)], "less than zero");
        check_err("slice", vec![Value::set(Type::String, vec![]), Value::int(0), Value::int(0)], "cannot slice a set");
        check_err(
            "zipmap",
            vec![tup(&["a"]), Value::tuple(vec![])],
            "number of keys (1) does not match the number of values (0)",
        );
        check_err(
            "zipmap",
            vec![Value::tuple(vec![Value::null(Type::String)]), Value::tuple(vec![Value::int(1)])],
            "null value at index 0",
        );
        check_err("chunklist", vec![tup(&["a"]), Value::int(-1)], "\"size\" parameter");
        check_err("coalesce", vec![Value::null(Type::String), s("")], "No non-null");
        check_err("coalescelist", vec![s("a")], "must be lists or tuples");
        check_err("coalescelist", vec![Value::empty_tuple()], "no non-null");
        check_err("setproduct", vec![tup(&["a"])], "at least two");
        check_err("sort", vec![Value::tuple(vec![s("a"), Value::null(Type::String)])], "element 1 is null");
        check_err("matchkeys", vec![tup(&["a"]), tup(&[]), tup(&[])], "length of keys and values should be equal");
        check_err("length", vec![Value::int(1)], "a collection type");
        check_err("flatten", vec![s("a")], "can only flatten");
        check_err("reverse", vec![s("a")], "can only reverse");
        check_err("keys", vec![tup(&["a"])], "a map or object is required");
        check_err("values", vec![tup(&["a"])], "requires a map");
        check_err("contains", vec![s("abc"), s("a")], "a list, tuple or set is required");
        check_err("transpose", vec![obj(vec![("a", Value::tuple(vec![Value::null(Type::String)]))])], "null element");
    }

    #[test]
    fn unknowns_stay_unknown_where_terraform_keeps_them() {
        let u = |t: Type| Value::unknown(t);
        // length knows the length of a known list of unknowns, and of any tuple.
        check("length", vec![Value::tuple(vec![u(Type::String); 3])], Value::int(3));
        check("length", vec![Value::list(Type::String, vec![u(Type::String); 3])], Value::int(3));
        check("length", vec![u(Type::Tuple(vec![Type::String; 2]))], Value::int(2));
        check_unknown("length", vec![u(Type::list(Type::String))], Type::Number);
        check_unknown("length", vec![u(Type::Any)], Type::Number);
        check_unknown("length", vec![Value::set(Type::String, vec![s("a"), u(Type::String)])], Type::Number);
        // coalesce takes arguments in order.
        check_unknown("coalesce", vec![u(Type::String), s("a")], Type::String);
        check("coalesce", vec![s("a"), u(Type::String)], s("a"));
        check_unknown("coalescelist", vec![Value::empty_tuple(), u(Type::list(Type::String))], Type::Any);
        // A known true, false or match decides despite unknown elements.
        check("alltrue", vec![Value::tuple(vec![Value::bool(false), u(Type::Bool)])], Value::bool(false));
        check_unknown("alltrue", vec![Value::tuple(vec![Value::bool(true), u(Type::Bool)])], Type::Bool);
        check("anytrue", vec![Value::tuple(vec![u(Type::Bool), Value::bool(true)])], Value::bool(true));
        check_unknown("anytrue", vec![Value::tuple(vec![u(Type::Bool), Value::bool(false)])], Type::Bool);
        check("contains", vec![Value::tuple(vec![u(Type::String), s("a")]), s("a")], Value::bool(true));
        check_unknown("contains", vec![Value::tuple(vec![u(Type::String), s("a")]), s("b")], Type::Bool);
        check_unknown("index", vec![Value::tuple(vec![u(Type::String), s("a")]), s("a")], Type::Number);
        check("keys", vec![obj(vec![("a", u(Type::String))])], tup(&["a"]));
        check("element", vec![Value::tuple(vec![u(Type::String), s("a")]), Value::int(1)], s("a"));
        // Typed unknown results.
        check_unknown("keys", vec![u(Type::map(Type::Number))], Type::list(Type::String));
        check_unknown("concat", vec![strings(&["a"]), u(Type::list(Type::String))], Type::list(Type::String));
        check_unknown("distinct", vec![Value::list(Type::String, vec![u(Type::String)])], Type::list(Type::String));
        check_unknown("sort", vec![Value::list(Type::String, vec![u(Type::String)])], Type::list(Type::String));
        check_unknown("range", vec![u(Type::Number)], Type::list(Type::Number));
        check_unknown("values", vec![u(Type::map(Type::Bool))], Type::list(Type::Bool));
        check_unknown("element", vec![u(Type::list(Type::Bool)), Value::int(0)], Type::Bool);
        check_unknown("lookup", vec![u(Type::map(Type::Bool)), s("a")], Type::Bool);
        check_unknown("merge", vec![obj(vec![("a", s("b"))]), u(Type::Any)], Type::Any);
        check_unknown("setunion", vec![tup(&["a"]), u(Type::set(Type::String))], Type::set(Type::String));
        check_unknown("one", vec![u(Type::list(Type::Number))], Type::Number);
        check_unknown("sum", vec![Value::tuple(vec![u(Type::Number)])], Type::Number);
        check_unknown("zipmap", vec![u(Type::list(Type::String)), numbers(&["1"])], Type::map(Type::Number));
        // Nulls are rejected where Terraform rejects them.
        check_err("length", vec![Value::null(Type::list(Type::String))], "must not be null");
        check_err("keys", vec![Value::null(Type::map(Type::String))], "must not be null");
        check_err("concat", vec![Value::null(Type::list(Type::String))], "must not be null");
        check_err("contains", vec![tup(&["a"]), Value::null(Type::String)], "must not be null");
        check_err("distinct", vec![Value::null(Type::list(Type::String))], "must not be null");
    }

    #[test]
    fn sensitive_marks_reach_results_as_in_terraform() {
        let secret = s("hunter2").mark_sensitive();
        // The length of a list holding a secret is not secret; the length of a secret string is.
        let got = call_fn("length", vec![Value::tuple(vec![secret.clone(), s("a")])]).expect("length");
        assert!(!got.contains_sensitive() && got.same_known_value(&Value::int(2)));
        assert!(call_fn("length", vec![secret.clone()]).expect("length").is_sensitive());
        // lookup returns the entry with its own mark, plus the map's.
        let m = obj(vec![("a", s("public")), ("b", secret.clone())]);
        assert!(!call_fn("lookup", vec![m.clone(), s("a")]).expect("lookup").contains_sensitive());
        assert!(call_fn("lookup", vec![m.clone(), s("b")]).expect("lookup").is_sensitive());
        assert!(call_fn("lookup", vec![m.clone().mark_sensitive(), s("a")]).expect("lookup").is_sensitive());
        // merge keeps entry marks on the entries.
        let merged = call_fn("merge", vec![m, obj(vec![("c", s("x"))])]).expect("merge");
        assert!(!merged.is_sensitive() && merged.get_attr("b").is_some_and(Value::is_sensitive));
        // Functions without special handling mark the whole result.
        let got = call_fn("concat", vec![Value::tuple(vec![secret.clone()]), tup(&["b"])]).expect("concat");
        assert!(got.is_sensitive());
        let got = call_fn("sort", vec![Value::tuple(vec![secret, s("a")])]).expect("sort");
        assert!(got.is_sensitive());
        assert!(!call_fn("sort", vec![tup(&["b", "a"])]).expect("sort").is_sensitive());
    }
}

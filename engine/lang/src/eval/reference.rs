//! References from expressions to named things (`var.region`, `aws_vpc.main`, `each.key`),
//! parsed from the start of a traversal; the evaluator resolves them through a [`Scope`] and the
//! graph builder collects them statically.

use std::fmt;

use hcl_edit::expr::{Expression, TraversalOperator};

use crate::config::{ResourceKey, ResourceMode};

/// A named thing an expression can refer to.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Reference {
    Variable(String),
    Local(String),
    Resource(ResourceKey),
    ModuleCall(String),
    /// `path.module`, `path.root`, `path.cwd`.
    Path(String),
    /// `terraform.workspace`.
    Terraform(String),
    /// `count.index`.
    Count(String),
    /// `each.key`, `each.value`.
    Each(String),
    /// `self` inside lifecycle conditions and provisioners.
    SelfObject,
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reference::Variable(n) => write!(f, "var.{n}"),
            Reference::Local(n) => write!(f, "local.{n}"),
            Reference::Resource(k) => write!(f, "{k}"),
            Reference::ModuleCall(n) => write!(f, "module.{n}"),
            Reference::Path(a) => write!(f, "path.{a}"),
            Reference::Terraform(a) => write!(f, "terraform.{a}"),
            Reference::Count(a) => write!(f, "count.{a}"),
            Reference::Each(a) => write!(f, "each.{a}"),
            Reference::SelfObject => f.write_str("self"),
        }
    }
}

/// Why a traversal is not a valid reference.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReferenceError {
    pub summary: String,
    pub detail: String,
}

/// Splits `root` + `operators` into the reference they start with and how many operators that
/// consumed. `Ok(None)` when the root is not a reference keyword (a for-expression variable).
pub fn parse_reference(root: &str, operators: &[&TraversalOperator]) -> Result<(Reference, usize), ReferenceError> {
    let attr = |i: usize| -> Option<&str> {
        match operators.get(i) {
            Some(TraversalOperator::GetAttr(name)) => Some(name.as_str()),
            _ => None,
        }
    };
    let needs_attr = |what: &str, example: &str| ReferenceError {
        summary: "Invalid reference".into(),
        detail: format!("The {root:?} object must be followed by {what}, as in {example}."),
    };
    match root {
        "var" => attr(0)
            .map(|n| (Reference::Variable(n.into()), 1))
            .ok_or_else(|| needs_attr("an attribute naming the input variable", "var.region")),
        "local" => attr(0)
            .map(|n| (Reference::Local(n.into()), 1))
            .ok_or_else(|| needs_attr("an attribute naming the local value", "local.name")),
        "module" => attr(0)
            .map(|n| (Reference::ModuleCall(n.into()), 1))
            .ok_or_else(|| needs_attr("an attribute naming the module call", "module.network")),
        "path" => {
            attr(0).map(|n| (Reference::Path(n.into()), 1)).ok_or_else(|| needs_attr("an attribute", "path.module"))
        }
        "terraform" => attr(0)
            .map(|n| (Reference::Terraform(n.into()), 1))
            .ok_or_else(|| needs_attr("an attribute", "terraform.workspace")),
        "count" => {
            attr(0).map(|n| (Reference::Count(n.into()), 1)).ok_or_else(|| needs_attr("an attribute", "count.index"))
        }
        "each" => attr(0).map(|n| (Reference::Each(n.into()), 1)).ok_or_else(|| needs_attr("an attribute", "each.key")),
        "self" => Ok((Reference::SelfObject, 0)),
        "data" => match (attr(0), attr(1)) {
            (Some(t), Some(n)) => Ok((
                Reference::Resource(ResourceKey { mode: ResourceMode::Data, type_name: t.into(), name: n.into() }),
                2,
            )),
            _ => Err(needs_attr("the data source type and name", "data.aws_ami.ubuntu")),
        },
        "resource" => match (attr(0), attr(1)) {
            (Some(t), Some(n)) => Ok((
                Reference::Resource(ResourceKey { mode: ResourceMode::Managed, type_name: t.into(), name: n.into() }),
                2,
            )),
            _ => Err(needs_attr("the resource type and name", "resource.aws_vpc.main")),
        },
        type_name => match attr(0) {
            Some(n) => Ok((
                Reference::Resource(ResourceKey {
                    mode: ResourceMode::Managed,
                    type_name: type_name.into(),
                    name: n.into(),
                }),
                1,
            )),
            None => Err(ReferenceError {
                summary: "Invalid reference".into(),
                detail: format!(
                    "A reference to a resource type must be followed by at least one attribute access, specifying the resource name, as in {type_name}.main. If {type_name:?} was meant as a string, quote it."
                ),
            }),
        },
    }
}

/// The root name and operators of a reference-shaped expression (`a`, `a.b[0]`), if it is one.
pub fn traversal_parts(expr: &Expression) -> Option<(&str, Vec<&TraversalOperator>)> {
    match expr {
        Expression::Variable(v) => Some((v.as_str(), Vec::new())),
        Expression::Traversal(t) => match &t.expr {
            Expression::Variable(v) => Some((v.as_str(), t.operators.iter().map(|op| op.value()).collect())),
            _ => None,
        },
        _ => None,
    }
}

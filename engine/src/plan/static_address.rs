//! Addresses written as expressions in `moved`, `removed` and `import` blocks
//! (`module.app.aws_instance.web["a"]`), read statically into address values.

use slipway_core::address::Target;
use slipway_lang::config::Expr;

/// The address an expression names (`aws_instance.a`, `module.x`, `a.b[1]`), or `None` when it
/// is not a plain traversal of names and literal keys.
pub fn static_address(expr: &Expr) -> Option<Target> {
    let (root, operators) = slipway_lang::eval::traversal_parts(&expr.expr)?;
    let mut text = root.to_string();
    for op in operators {
        match op {
            hcl_edit::expr::TraversalOperator::GetAttr(name) => {
                text.push('.');
                text.push_str(name.as_str());
            }
            hcl_edit::expr::TraversalOperator::Index(hcl_edit::expr::Expression::String(s)) => {
                text.push_str(&format!("[{}]", slipway_core::render::quote(s.as_str())));
            }
            hcl_edit::expr::TraversalOperator::Index(hcl_edit::expr::Expression::Number(n)) => {
                text.push_str(&format!("[{}]", n.as_u64()?));
            }
            hcl_edit::expr::TraversalOperator::LegacyIndex(i) => text.push_str(&format!("[{}]", i.value())),
            _ => return None,
        }
    }
    text.parse().ok()
}

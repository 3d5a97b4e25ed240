//! slipway-lang: the Terraform language front end. Loads `.tf` files on hcl-edit (every node
//! keeps its source span), builds the config model, evaluates expressions with unknowns, and
//! holds the function library. No network IO.

pub mod config;
pub mod dependencies;
pub mod eval;
pub mod evaluate;
pub mod format;
pub mod fs;
pub mod functions;
mod json_syntax;
pub mod load;
pub mod references;
pub mod source;
pub mod typeexpr;
pub mod vars;

pub use hcl_edit::expr::Expression as HclExpression;

/// Parses one expression, as `console` reads it; the error carries its byte offset.
pub fn parse_expression(text: &str) -> Result<HclExpression, (usize, String)> {
    hcl_edit::parser::parse_expr(text).map_err(|e| (e.location().offset(), e.message().to_string()))
}

//! slipway-lang: the Terraform language front end. Loads `.tf` files on hcl-edit (every node
//! keeps its source span), builds the config model, evaluates expressions with unknowns, and
//! holds the function library. No network IO.

pub mod format;
pub mod fs;
pub mod functions;

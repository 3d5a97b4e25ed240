//! slipway-core: the vocabulary every other crate speaks. Values and types with unknown and
//! sensitive marks, conversion, diagnostics with source ranges. No IO.

pub mod address;
pub mod backend;
pub mod convert;
pub mod diagnostics;
pub mod encryption;
pub mod json;
pub mod number;
pub mod path;
pub mod provider;
pub mod provider_kit;
pub mod render;
pub mod schema;
pub mod types;
pub mod value;

pub use address::InstanceKey;
pub use convert::{ConversionError, convert};
pub use diagnostics::{Diagnostic, Diagnostics, Pos, Severity, SourceRange};
pub use number::Number;
pub use types::{ObjectType, Type};
pub use value::{Data, Value};

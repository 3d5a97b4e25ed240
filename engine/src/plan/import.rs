//! Bringing existing objects under management: `import` blocks in the root module, planned as
//! part of a normal plan, and the object read that `slipway import ADDR ID` shares with them.
//! Importing only reads (invariant 4): the object enters state when the plan is applied.

use std::collections::BTreeMap;

use futures::future::join_all;
use slipway_core::address::{ProviderConfigAddr, ResourceInstanceAddr, ResourceMode, Target};
use slipway_core::provider::ImportRequest;
use slipway_core::{Diagnostic, Diagnostics, SourceRange, Value};
use slipway_lang::config::{Config, Import, Resource};
use slipway_lang::evaluate::{eval_in_module, evaluate_config};

use super::PlanContext;
use super::prior::PriorInstance;
use super::static_address::static_address;
use crate::marks::mark_schema;
use crate::providers::{ProviderSet, provider_for};
use crate::state::{InstanceObject, InstanceStatus};

/// An object read by its import ID, ready to enter state.
#[derive(Clone, Debug)]
pub struct ImportedObject {
    pub value: Value,
    pub object: InstanceObject,
}

/// Reads the object `id` of the resource type at `addr` through the configuration `provider_addr`.
pub async fn import_object(
    providers: &ProviderSet,
    provider_addr: &ProviderConfigAddr,
    addr: &ResourceInstanceAddr,
    id: &str,
) -> Result<ImportedObject, Diagnostics> {
    let fail = |summary: &str, detail: String| Err(Diagnostic::error(summary, detail).into());
    let Some(schema) = providers.schema(&provider_addr.name, &addr.resource) else {
        return fail(
            "Invalid import target",
            format!(
                "The provider {:?} has no resource type {:?} to import into.",
                provider_addr.name, addr.resource.type_name
            ),
        );
    };
    let Some(provider) = providers.instance(provider_addr) else {
        return Err(super::instance::not_configured(provider_addr, None).into());
    };
    let response =
        provider.import(ImportRequest { type_name: addr.resource.type_name.clone(), id: id.to_string() }).await;
    if response.diagnostics.has_errors() {
        return Err(response.diagnostics);
    }
    let Some(state) = response.state else {
        return fail(
            "Cannot import non-existent remote object",
            format!(
                "While attempting to import an existing object to {addr}, the provider found no object with the ID {id:?}. Only objects that already exist can be imported; check the ID."
            ),
        );
    };
    let value = mark_schema(state, &schema.block);
    let object = InstanceObject {
        provider: provider_addr.clone(),
        schema_version: schema.version,
        attributes: serde_json::Value::Null,
        sensitive_paths: Vec::new(),
        private: response.private,
        dependencies: Vec::new(),
        create_before_destroy: false,
        status: InstanceStatus::Ready,
    };
    Ok(ImportedObject { value, object })
}

/// The resource block an instance address belongs to, if the configuration has it.
pub fn resource_config<'c>(config: &'c Config, addr: &ResourceInstanceAddr) -> Option<&'c Resource> {
    let module = addr.module.0.iter().try_fold(config, |c, (name, _)| c.children.get(name))?;
    module.module.resources.get(&addr.resource)
}

/// One `import` block, resolved: where the object goes and its ID.
struct PendingImport {
    addr: ResourceInstanceAddr,
    provider: ProviderConfigAddr,
    id: String,
    at: Option<SourceRange>,
}

/// Reads the objects the root module's `import` blocks name into `prior`, so that the plan
/// treats them as existing objects; returns the import ID of each address imported.
pub fn import_blocks(
    ctx: &PlanContext<'_>,
    prior: &mut BTreeMap<ResourceInstanceAddr, PriorInstance>,
    diags: &mut Diagnostics,
) -> BTreeMap<ResourceInstanceAddr, String> {
    let blocks = &ctx.config.module.imports;
    if blocks.is_empty() {
        return BTreeMap::new();
    }
    // Import IDs may use variables and locals: evaluate the root module once for them.
    let settings = ctx.settings.observed_by(None, true);
    let (module, _) = evaluate_config(ctx.config, ctx.inputs, ctx.sources, &settings);
    let mut pending: Vec<PendingImport> = Vec::new();
    for block in blocks {
        let Some(p) =
            resolve(ctx, block, |expr| eval_in_module(&expr.expr, expr.file, &module, ctx.sources, &settings), diags)
        else {
            continue;
        };
        if let Some(other) = pending.iter().find(|o| o.addr == p.addr) {
            diags.push(
                Diagnostic::error(
                    "Duplicate import configuration",
                    format!("{} is already the target of the import block at {}.", p.addr, describe_at(&other.at)),
                )
                .with_subject(p.at),
            );
            continue;
        }
        // Already managed: the import block has done its work (Terraform keeps such blocks).
        if prior.contains_key(&p.addr) {
            continue;
        }
        pending.push(p);
    }
    let reads = pending.iter().map(|p| import_object(ctx.providers, &p.provider, &p.addr, &p.id));
    let results = ctx.runtime.block_on(join_all(reads));
    let mut imported = BTreeMap::new();
    for (p, result) in pending.into_iter().zip(results) {
        match result {
            Ok(ImportedObject { value, object }) => {
                prior.insert(p.addr.clone(), PriorInstance { object, saved: value.clone(), current: Some(value) });
                imported.insert(p.addr, p.id);
            }
            Err(errors) => {
                for mut d in errors.iter().cloned() {
                    if d.subject.is_none() {
                        d.subject = p.at.clone();
                    }
                    diags.push(d);
                }
            }
        }
    }
    imported
}

fn describe_at(at: &Option<SourceRange>) -> String {
    match at {
        Some(r) => format!("{}:{}", r.filename, r.start.line),
        None => "another place".into(),
    }
}

/// The target address and ID of one block, checked against the configuration.
fn resolve(
    ctx: &PlanContext<'_>,
    block: &Import,
    eval: impl Fn(&slipway_lang::config::Expr) -> (Value, Diagnostics),
    diags: &mut Diagnostics,
) -> Option<PendingImport> {
    let at = ctx.sources.range(block.range.file, Some(block.range.span()));
    let to_at = ctx.sources.range(block.to.file, block.to.span()).or(at.clone());
    if block.for_each.is_some() {
        diags.push(
            Diagnostic::error(
                "for_each in import blocks is not supported",
                "slipway imports one object per import block. Write one import block for each instance, with a literal key in \"to\", such as aws_subnet.private[\"a\"].",
            )
            .with_subject(at),
        );
        return None;
    }
    let addr = match static_address(&block.to) {
        Some(Target::Instance(addr)) => addr,
        Some(Target::Resource(r)) => ResourceInstanceAddr::new(r.module, r.resource, Default::default()),
        _ => {
            diags.push(
                Diagnostic::error(
                    "Invalid import address",
                    "The \"to\" argument of an import block must be a resource instance address, such as aws_instance.web or module.app.aws_instance.web[\"a\"].",
                )
                .with_subject(to_at),
            );
            return None;
        }
    };
    if addr.resource.mode != ResourceMode::Managed {
        diags.push(
            Diagnostic::error(
                "Invalid import address",
                format!("{addr} is a data source; only managed resources can be imported."),
            )
            .with_subject(to_at),
        );
        return None;
    }
    let Some(resource) = resource_config(ctx.config, &addr) else {
        diags.push(
            Diagnostic::error(
                "Configuration for import target does not exist",
                format!("The configuration has no resource block for {addr}. Add a resource block for it, or remove the import block."),
            )
            .with_subject(to_at),
        );
        return None;
    };
    let (id, id_diags) = eval(&block.id);
    let failed = id_diags.has_errors();
    diags.extend(id_diags);
    if failed {
        return None;
    }
    let id_at = ctx.sources.range(block.id.file, block.id.span()).or(at.clone());
    let id = match id.as_str() {
        Some(id) if !id.is_empty() => id.to_string(),
        _ if !id.is_wholly_known() => {
            diags.push(
                Diagnostic::error(
                    "Invalid import id argument",
                    "The import block \"id\" argument depends on values that are known only after apply; it must be known while planning (a literal, a variable or a local).",
                )
                .with_subject(id_at),
            );
            return None;
        }
        _ => {
            diags.push(
                Diagnostic::error(
                    "Invalid import id argument",
                    "The import block \"id\" argument must be a non-empty string.",
                )
                .with_subject(id_at),
            );
            return None;
        }
    };
    let module_path: Vec<String> = addr.module.0.iter().map(|(name, _)| name.clone()).collect();
    let provider = match &block.provider {
        // An import block's provider is one of the root module's configurations.
        Some((name, alias)) => ProviderConfigAddr { module: Vec::new(), name: name.clone(), alias: alias.clone() },
        None => match provider_for(ctx.config, &module_path, resource) {
            Ok(provider) => provider,
            Err(problem) => {
                diags.push(
                    Diagnostic::error("Provider configuration not present", format!("{addr}: {problem}"))
                        .with_subject(at),
                );
                return None;
            }
        },
    };
    Some(PendingImport { addr, provider, id, at })
}

//! `state mv`: where each instance goes when a user moves an instance, a whole resource or a
//! module to a new address, the rules that refuse a move that does not fit, and the journal
//! entries that carry it out.

use std::collections::{BTreeMap, BTreeSet};

use slipway_core::address::{AbsResourceAddr, InstanceKey, ResourceInstanceAddr, Target};

use super::{JournalEntry, State};

/// Why a move was refused, with the addresses in their printed form. Nothing has changed when
/// one is returned.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MoveError {
    #[error("Nothing in the state matches {from}. Run slipway state list to see the addresses the state holds.")]
    SourceNotFound { from: String },
    #[error(
        "{existing} already exists in the state. Move or remove it first, or choose another destination than {to}."
    )]
    DestinationExists { to: String, existing: String },
    #[error("Cannot move {from} to {to}: {reason}.")]
    DoesNotFit { from: String, to: String, reason: String },
}

/// One instance that moves: where it is and where it goes.
pub type Move = (ResourceInstanceAddr, ResourceInstanceAddr);

/// The instances that `state mv FROM TO` moves, in state order, each with its new address.
///
/// An instance moves to an instance address, or to a resource address that then has that one
/// instance without a key; a resource moves to a resource address with every instance keeping its
/// key; a module moves to a module address with everything in it. An object keeps its mode and
/// type, and nothing moves onto an address the state already holds.
pub fn plan_move(state: &State, from: &Target, to: &Target) -> Result<Vec<Move>, MoveError> {
    let sources: Vec<&ResourceInstanceAddr> = state.instances.keys().filter(|a| from.contains(a)).collect();
    if sources.is_empty() {
        return Err(MoveError::SourceNotFound { from: from.to_string() });
    }
    let does_not_fit = |reason: String| MoveError::DoesNotFit { from: from.to_string(), to: to.to_string(), reason };
    // A whole resource or module moves only to where there is nothing yet.
    let occupied = || match state.instances.keys().find(|a| to.contains(a) && !sources.contains(a)) {
        Some(existing) => Err(MoveError::DestinationExists { to: to.to_string(), existing: existing.to_string() }),
        None => Ok(()),
    };
    let moves: Vec<Move> = match (from, to) {
        (Target::Module(source), Target::Module(destination)) => {
            if destination.0.starts_with(&source.0) {
                return Err(does_not_fit("a module cannot move to itself or into itself".into()));
            }
            occupied()?;
            sources
                .iter()
                .map(|old| {
                    let mut module = destination.clone();
                    module.0.extend(old.module.0[source.0.len()..].iter().cloned());
                    ((*old).clone(), ResourceInstanceAddr::new(module, old.resource.clone(), old.key.clone()))
                })
                .collect()
        }
        (Target::Module(_), _) => return Err(does_not_fit("a module moves only to a module address".into())),
        // A resource without count or for_each is its one instance, which may take a key.
        (Target::Resource(_), _) if sources.len() == 1 && sources[0].key == InstanceKey::None => {
            vec![(sources[0].clone(), instance_destination(sources[0], to).map_err(does_not_fit)?)]
        }
        (Target::Resource(_), Target::Resource(destination)) => {
            occupied()?;
            sources
                .iter()
                .map(|old| {
                    let new = ResourceInstanceAddr::new(
                        destination.module.clone(),
                        destination.resource.clone(),
                        old.key.clone(),
                    );
                    ((*old).clone(), new)
                })
                .collect()
        }
        (Target::Resource(_), _) => {
            return Err(does_not_fit(
                "the resource has instances with keys, so it moves only to a resource address; to move one instance, give its key".into(),
            ));
        }
        (Target::Instance(_), _) => {
            vec![(sources[0].clone(), instance_destination(sources[0], to).map_err(does_not_fit)?)]
        }
    };
    if moves.iter().all(|(old, new)| old == new) {
        return Err(does_not_fit("the source and the destination are the same".into()));
    }
    for (old, new) in &moves {
        if old.resource.mode != new.resource.mode {
            return Err(does_not_fit("a managed resource and a data source cannot take each other's place".into()));
        }
        if old.resource.type_name != new.resource.type_name {
            return Err(does_not_fit(format!(
                "{old} is a {}, not a {}: an object keeps its resource type",
                old.resource.type_name, new.resource.type_name
            )));
        }
    }
    let moving: BTreeSet<&ResourceInstanceAddr> = moves.iter().map(|(old, _)| old).collect();
    let staying = |addr: &ResourceInstanceAddr| state.instances.contains_key(addr) && !moving.contains(addr);
    for (_, new) in &moves {
        if staying(new) {
            return Err(MoveError::DestinationExists { to: to.to_string(), existing: new.to_string() });
        }
        // One resource's instances either all have keys or are its single instance without one.
        let resource = new.without_key();
        let beside = state
            .instances
            .keys()
            .filter(|a| a.without_key() == resource && !moving.contains(a))
            .find(|a| (a.key == InstanceKey::None) != (new.key == InstanceKey::None));
        if let Some(beside) = beside {
            let reason = if new.key == InstanceKey::None {
                format!("{resource} has instances with keys, such as {beside}; give the instance key to move to")
            } else {
                format!("{resource} is in the state without count or for_each, so it has no instance {new}")
            };
            return Err(does_not_fit(reason));
        }
    }
    Ok(moves)
}

/// Where one instance goes: an instance address, or a resource address as its keyless instance.
fn instance_destination(old: &ResourceInstanceAddr, to: &Target) -> Result<ResourceInstanceAddr, String> {
    match to {
        Target::Instance(new) => Ok(new.clone()),
        Target::Resource(new) => {
            Ok(ResourceInstanceAddr::new(new.module.clone(), new.resource.clone(), InstanceKey::None))
        }
        Target::Module(module) => Err(format!(
            "an instance moves to a resource or instance address, not to a module; to move it into the module, give the whole address, as in {}",
            ResourceInstanceAddr::new(module.clone(), old.resource.clone(), old.key.clone())
        )),
    }
}

/// The journal entries that carry out `moves` on `state`: each object removed from its old
/// address and put at its new one. Where every instance of a resource moved into one new
/// resource, the objects that depended on it (moved or not) depend on the new address instead,
/// so that destroying without the configuration still goes in the right order.
pub fn move_entries(state: &State, moves: &[Move]) -> Vec<JournalEntry> {
    let moved: BTreeMap<&ResourceInstanceAddr, &ResourceInstanceAddr> =
        moves.iter().map(|(old, new)| (old, new)).collect();
    let mut renamed: BTreeMap<AbsResourceAddr, Option<AbsResourceAddr>> = BTreeMap::new();
    for (old, new) in moves {
        let target = renamed.entry(old.without_key()).or_insert_with(|| Some(new.without_key()));
        if target.as_ref() != Some(&new.without_key()) {
            *target = None;
        }
    }
    renamed.retain(|resource, _| {
        state.instances.keys().filter(|a| a.without_key() == *resource).all(|a| moved.contains_key(a))
    });
    let mut entries: Vec<JournalEntry> =
        moves.iter().map(|(old, _)| JournalEntry::Remove { address: old.clone() }).collect();
    for (addr, object) in &state.instances {
        let mut dependencies = Vec::with_capacity(object.dependencies.len());
        for dep in &object.dependencies {
            let dep = renamed.get(dep).cloned().flatten().unwrap_or_else(|| dep.clone());
            if !dependencies.contains(&dep) {
                dependencies.push(dep);
            }
        }
        let new_addr = moved.get(addr).copied();
        if new_addr.is_some() || dependencies != object.dependencies {
            let mut object = object.clone();
            object.dependencies = dependencies;
            entries.push(JournalEntry::Put { address: new_addr.unwrap_or(addr).clone(), object });
        }
    }
    entries
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{InstanceObject, InstanceStatus};

    fn state(entries: &[(&str, &[&str])]) -> State {
        let mut state = State::new();
        for (address, dependencies) in entries {
            let object = InstanceObject {
                provider: slipway_core::address::ProviderConfigAddr::root("null"),
                schema_version: 0,
                attributes: serde_json::json!({ "id": address }),
                sensitive_paths: vec![],
                private: vec![],
                dependencies: dependencies.iter().map(|d| resource(d)).collect(),
                create_before_destroy: false,
                status: InstanceStatus::Ready,
            };
            state.instances.insert(address.parse().expect("address"), object);
        }
        state
    }

    fn resource(text: &str) -> AbsResourceAddr {
        match text.parse::<Target>().expect("address") {
            Target::Resource(r) => r,
            other => panic!("not a resource: {other}"),
        }
    }

    fn target(text: &str) -> Target {
        text.parse().expect("address")
    }

    /// The moves as `old -> new` lines, or the error's message.
    fn check(state: &State, from: &str, to: &str) -> Result<Vec<String>, String> {
        plan_move(state, &target(from), &target(to))
            .map(|moves| moves.iter().map(|(old, new)| format!("{old} -> {new}")).collect())
            .map_err(|e| e.to_string())
    }

    /// The state after the move, as `address: dependencies` lines.
    fn after(mut state: State, from: &str, to: &str) -> Vec<String> {
        let moves = plan_move(&state, &target(from), &target(to)).expect("moves");
        for entry in move_entries(&state, &moves) {
            entry.apply_to(&mut state);
        }
        state
            .instances
            .iter()
            .map(|(a, o)| {
                let deps: Vec<String> = o.dependencies.iter().map(ToString::to_string).collect();
                format!("{a}: {}", deps.join(" "))
            })
            .collect()
    }

    #[test]
    fn an_instance_moves_to_an_instance_or_a_resource_address() {
        let s = state(&[("null_resource.a[0]", &[]), ("null_resource.a[1]", &[]), ("null_resource.b", &[])]);
        assert_eq!(
            check(&s, "null_resource.a[1]", "null_resource.c[5]"),
            Ok(vec!["null_resource.a[1] -> null_resource.c[5]".into()])
        );
        assert_eq!(
            check(&s, "null_resource.a[1]", "null_resource.c"),
            Ok(vec!["null_resource.a[1] -> null_resource.c".into()])
        );
        assert_eq!(
            check(&s, "null_resource.b", "null_resource.a[2]"),
            Ok(vec!["null_resource.b -> null_resource.a[2]".into()])
        );
        assert_eq!(
            check(&s, "null_resource.b", "module.m.null_resource.b"),
            Ok(vec!["null_resource.b -> module.m.null_resource.b".into()])
        );
    }

    #[test]
    fn a_resource_moves_with_its_keys_and_a_module_with_everything_in_it() {
        let s = state(&[
            ("null_resource.a[0]", &[]),
            ("null_resource.a[1]", &[]),
            ("module.m.null_resource.x", &[]),
            ("module.m.module.n[\"k\"].null_resource.y", &[]),
            ("module.other.null_resource.x", &[]),
        ]);
        assert_eq!(
            check(&s, "null_resource.a", "module.z.null_resource.b"),
            Ok(vec![
                "null_resource.a[0] -> module.z.null_resource.b[0]".into(),
                "null_resource.a[1] -> module.z.null_resource.b[1]".into(),
            ])
        );
        assert_eq!(
            check(&s, "module.m", "module.p[0]"),
            Ok(vec![
                "module.m.null_resource.x -> module.p[0].null_resource.x".into(),
                "module.m.module.n[\"k\"].null_resource.y -> module.p[0].module.n[\"k\"].null_resource.y".into(),
            ])
        );
    }

    #[test]
    fn what_does_not_fit_is_refused() {
        let s = state(&[
            ("null_resource.a[0]", &[]),
            ("null_resource.a[1]", &[]),
            ("null_resource.b", &[]),
            ("terraform_data.t", &[]),
            ("data.null_data_source.d", &[]),
            ("module.m.null_resource.x", &[]),
            ("module.other.null_resource.z", &[]),
        ]);
        for (from, to, expected) in [
            ("null_resource.nope", "null_resource.c", "Nothing in the state matches null_resource.nope."),
            ("null_resource.a[7]", "null_resource.c", "Nothing in the state matches null_resource.a[7]."),
            ("null_resource.a[0]", "null_resource.a[1]", "null_resource.a[1] already exists in the state"),
            ("null_resource.a[0]", "null_resource.b", "null_resource.b already exists in the state"),
            ("null_resource.b", "null_resource.a", "null_resource.a has instances with keys"),
            ("null_resource.a[0]", "null_resource.a", "null_resource.a has instances with keys"),
            ("null_resource.a[0]", "null_resource.b[3]", "is in the state without count or for_each"),
            ("terraform_data.t", "module.m", "as in module.m.terraform_data.t"),
            ("null_resource.b", "module.m.null_resource.x", "module.m.null_resource.x already exists"),
            ("module.m", "module.other", "module.other.null_resource.z already exists"),
            ("null_resource.a", "null_resource.b", "null_resource.b already exists in the state"),
            ("null_resource.a", "null_resource.c[0]", "it moves only to a resource address"),
            ("null_resource.a", "module.m", "it moves only to a resource address"),
            ("null_resource.b", "module.m", "as in module.m.null_resource.b"),
            ("null_resource.b", "terraform_data.c", "null_resource.b is a null_resource, not a terraform_data"),
            ("null_resource.b", "data.null_resource.b", "a managed resource and a data source"),
            ("data.null_data_source.d", "null_data_source.d", "a managed resource and a data source"),
            ("module.m", "null_resource.z", "a module moves only to a module address"),
            ("module.m", "module.m.module.inner", "a module cannot move to itself or into itself"),
            ("null_resource.b", "null_resource.b", "the source and the destination are the same"),
        ] {
            let err = check(&s, from, to).expect_err(&format!("{from} -> {to} is refused"));
            assert!(err.contains(expected), "{from} -> {to}: {err}");
        }
    }

    #[test]
    fn dependencies_on_a_resource_that_moved_as_a_whole_follow_it() {
        let s = state(&[
            ("null_resource.a[0]", &[]),
            ("null_resource.a[1]", &[]),
            ("null_resource.uses_a", &["null_resource.a"]),
            ("module.m.null_resource.x", &[]),
            ("module.m.null_resource.y", &["module.m.null_resource.x", "null_resource.a"]),
            ("null_resource.uses_x", &["module.m.null_resource.x"]),
        ]);
        assert_eq!(
            after(s.clone(), "module.m", "module.n"),
            [
                "null_resource.a[0]: ",
                "null_resource.a[1]: ",
                "null_resource.uses_a: null_resource.a",
                "null_resource.uses_x: module.n.null_resource.x",
                "module.n.null_resource.x: ",
                "module.n.null_resource.y: module.n.null_resource.x null_resource.a",
            ]
        );
        assert_eq!(
            after(s.clone(), "null_resource.a", "null_resource.b"),
            [
                "null_resource.b[0]: ",
                "null_resource.b[1]: ",
                "null_resource.uses_a: null_resource.b",
                "null_resource.uses_x: module.m.null_resource.x",
                "module.m.null_resource.x: ",
                "module.m.null_resource.y: module.m.null_resource.x null_resource.b",
            ]
        );
        // One instance of two leaves the resource where it is, and what depends on it.
        let one = after(s, "null_resource.a[1]", "null_resource.b");
        assert!(one.contains(&"null_resource.uses_a: null_resource.a".to_string()), "{one:?}");
        assert!(one.contains(&"null_resource.b: ".to_string()), "{one:?}");
    }
}

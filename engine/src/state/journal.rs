//! The journal: one line per completed operation, appended and flushed as soon as the operation
//! finishes, so that apply writes O(1) bytes per operation instead of the whole state, and a run
//! that stops before its final write loses nothing. The next read replays the journal onto the
//! state it was based on.

use serde::{Deserialize, Serialize};
use slipway_core::address::{InstanceKey, ResourceInstanceAddr};

use super::format::{InstanceDoc, instance_doc, instance_object};
use super::{InstanceObject, State, StateError};

/// One completed operation.
#[derive(Clone, Debug, PartialEq)]
// Nearly every entry is a `Put`; boxing the object would add an allocation to each of them to
// shrink the rare `Remove`.
#[allow(clippy::large_enum_variant)]
pub enum JournalEntry {
    /// The instance now exists as `object`.
    Put { address: ResourceInstanceAddr, object: InstanceObject },
    /// The instance no longer exists.
    Remove { address: ResourceInstanceAddr },
}

#[derive(Serialize, Deserialize)]
struct EntryDoc {
    lineage: String,
    /// The serial of the state this entry applies on top of.
    base_serial: u64,
    address: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    provider: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    instance: Option<InstanceDoc>,
}

impl JournalEntry {
    pub fn address(&self) -> &ResourceInstanceAddr {
        match self {
            JournalEntry::Put { address, .. } | JournalEntry::Remove { address } => address,
        }
    }

    /// One line of the journal, for a state of `lineage` at `base_serial`.
    pub fn encode(&self, lineage: &str, base_serial: u64) -> Vec<u8> {
        let (provider, instance) = match self {
            JournalEntry::Put { address, object } => {
                (Some(object.provider.to_string()), Some(instance_doc(&address.key, object)))
            }
            JournalEntry::Remove { .. } => (None, None),
        };
        let doc = EntryDoc {
            lineage: lineage.to_string(),
            base_serial,
            address: self.address().to_string(),
            provider,
            instance,
        };
        let mut line = serde_json::to_vec(&doc).unwrap_or_default();
        line.push(b'\n');
        line
    }

    /// Applies the entry to `state`.
    pub fn apply_to(self, state: &mut State) {
        match self {
            JournalEntry::Put { address, object } => {
                state.instances.insert(address, object);
            }
            JournalEntry::Remove { address } => {
                state.instances.remove(&address);
            }
        }
    }
}

/// What replaying a journal found.
#[derive(Debug, Default, PartialEq)]
pub struct Replay {
    pub applied: usize,
    /// Entries written for another state history or version, left out.
    pub skipped: usize,
}

/// Replays journal lines written on top of `state`. A torn last line (a crash mid-append) is
/// ignored: its operation's result was never acknowledged.
pub fn replay(state: &mut State, entries: &[Vec<u8>]) -> Result<Replay, StateError> {
    let mut replay = Replay::default();
    for raw in entries {
        let Ok(doc) = serde_json::from_slice::<EntryDoc>(raw) else {
            replay.skipped += 1;
            continue;
        };
        if doc.lineage != state.lineage || doc.base_serial != state.serial {
            replay.skipped += 1;
            continue;
        }
        let address: ResourceInstanceAddr = doc.address.parse().map_err(|e: slipway_core::address::AddressError| {
            StateError::Address { address: doc.address.clone(), reason: e.reason }
        })?;
        let entry = match (doc.instance, doc.provider) {
            (Some(instance), Some(provider)) => {
                let mut address = address;
                if address.key == InstanceKey::None {
                    address.key = instance_key_of(&instance);
                }
                JournalEntry::Put { address, object: instance_object(instance, &provider)? }
            }
            _ => JournalEntry::Remove { address },
        };
        entry.apply_to(state);
        replay.applied += 1;
    }
    Ok(replay)
}

fn instance_key_of(doc: &InstanceDoc) -> InstanceKey {
    serde_json::to_value(doc)
        .ok()
        .and_then(|v| v.get("index_key").cloned())
        .and_then(|k| serde_json::from_value(k).ok())
        .unwrap_or_default()
}

/// The lineage the first readable entry was written for: a run that stopped before it ever
/// wrote a state file leaves only a journal, and the state it describes takes that lineage.
pub fn journal_lineage(entries: &[Vec<u8>]) -> Option<String> {
    entries.iter().find_map(|raw| serde_json::from_slice::<EntryDoc>(raw).ok().map(|doc| doc.lineage))
}

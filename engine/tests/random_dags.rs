//! Property test over random dependency graphs of `test_thing`s: apply, then a plan shows no
//! changes; change the names of random resources: the plan replaces exactly those and everything
//! that depends on them, transitively; apply converges again; destroy leaves nothing.

#![allow(clippy::disallowed_methods)]

mod support;

use std::collections::BTreeSet;

use slipway_engine::plan::{Action, PlanMode, PlanOptions};
use support::Harness;

/// xorshift64*: a small deterministic generator, so every failure names its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Each node's dependencies (always on earlier nodes, so the graph is acyclic).
fn random_dag(rng: &mut Rng, nodes: usize) -> Vec<Vec<usize>> {
    (0..nodes)
        .map(|i| {
            let mut deps = BTreeSet::new();
            if i > 0 {
                for _ in 0..rng.below(4) {
                    deps.insert(rng.below(i));
                }
            }
            deps.into_iter().collect()
        })
        .collect()
}

fn config(deps: &[Vec<usize>], generation: &[u32]) -> String {
    let mut out = String::new();
    for (i, ds) in deps.iter().enumerate() {
        out.push_str(&format!("resource \"test_thing\" \"n{i}\" {{\n  name = \"n{i}-{}\"\n", generation[i]));
        if !ds.is_empty() {
            out.push_str("  triggers = {\n");
            for d in ds {
                out.push_str(&format!("    d{d} = test_thing.n{d}.id\n"));
            }
            out.push_str("  }\n");
        }
        out.push_str("}\n\n");
    }
    out
}

fn options(mode: PlanMode) -> PlanOptions {
    PlanOptions { mode, refresh: true, ..Default::default() }
}

#[test]
fn random_graphs_converge_replace_exactly_the_dependents_and_destroy_completely() {
    for seed in 1..=12u64 {
        let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
        let nodes = 5 + rng.below(40);
        let deps = random_dag(&mut rng, nodes);
        let mut generation = vec![0u32; nodes];
        let h = Harness::new(&config(&deps, &generation));

        let (_, outcome) = h.run(&options(PlanMode::Normal), true);
        let outcome = outcome.expect("applied");
        assert!(!outcome.diagnostics.has_errors(), "seed {seed}: {:?}", outcome.diagnostics);
        assert_eq!(outcome.added, nodes, "seed {seed}");
        let (planned, _) = h.run(&options(PlanMode::Normal), false);
        assert!(!planned.plan.has_changes(), "seed {seed}: no changes after apply");

        // Change a random few; expect them and their transitive dependents to be replaced.
        let changed: BTreeSet<usize> = (0..1 + rng.below(3)).map(|_| rng.below(nodes)).collect();
        for &c in &changed {
            generation[c] += 1;
        }
        let mut expected = changed.clone();
        for (i, ds) in deps.iter().enumerate() {
            if ds.iter().any(|d| expected.contains(d)) {
                expected.insert(i);
            }
        }
        h.write(&config(&deps, &generation));
        let (planned, outcome) = h.run(&options(PlanMode::Normal), true);
        let replaced: BTreeSet<usize> = planned
            .plan
            .changes
            .iter()
            .filter(|c| c.action != Action::NoOp)
            .map(|c| {
                assert_eq!(c.action, Action::DeleteThenCreate, "seed {seed}: {}", c.addr);
                c.addr.resource.name[1..].parse::<usize>().expect("node index")
            })
            .collect();
        assert_eq!(replaced, expected, "seed {seed}");
        assert!(!outcome.expect("applied").diagnostics.has_errors(), "seed {seed}");
        let (planned, _) = h.run(&options(PlanMode::Normal), false);
        assert!(!planned.plan.has_changes(), "seed {seed}: converged after the change");

        let (_, outcome) = h.run(&options(PlanMode::Destroy), true);
        assert_eq!(outcome.expect("destroyed").destroyed, nodes, "seed {seed}");
        assert!(h.state_addresses().is_empty(), "seed {seed}: state is empty");
        assert!(h.provider.names().is_empty(), "seed {seed}: nothing left");
    }
}

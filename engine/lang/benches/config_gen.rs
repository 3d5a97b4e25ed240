//! The benchmark configuration, shared by the criterion bench and the `bench_config` example.

use std::fmt::Write;

/// N `null_resource`s in ten chains, each with a few attributes that use variables, locals,
/// templates, an index and a function call, about 8 lines per resource.
pub fn chains_config(n: usize) -> String {
    let mut out = String::with_capacity(n * 170);
    out.push_str("variable \"prefix\" {\n  type    = string\n  default = \"bench\"\n}\n\n");
    out.push_str("locals {\n  zones = [\"a\", \"b\", \"c\"]\n}\n\n");
    for i in 0..n {
        let mut deps = Vec::new();
        if i >= 10 {
            deps.push(format!("null_resource.r{}.id", i - 10));
        }
        if i % 4 == 0 && i >= 30 {
            deps.push(format!("null_resource.r{}.id", i - 30));
        }
        let _ = write!(
            out,
            "resource \"null_resource\" \"r{i}\" {{\n  triggers = {{\n    name = \"${{var.prefix}}-{i}\"\n    zone = local.zones[{}]\n    deps = join(\",\", [{}])\n  }}\n}}\n\n",
            i % 3,
            deps.join(", ")
        );
    }
    out
}

//! The `random` provider (hashicorp/random 3.x): random_id, random_string, random_password,
//! random_integer and random_pet. Values are chosen once at create and live only in state; every
//! argument (and `keepers`) forces a new value, as in hashicorp/random.

use std::collections::BTreeMap;

use async_trait::async_trait;
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use sha2::Digest as _;
use slipway_core::diagnostics::{Diagnostic, Diagnostics};
use slipway_core::provider::{
    ApplyRequest, ApplyResponse, ImportRequest, ImportResponse, PlanRequest, PlanResponse, Provider, ReadBatchRequest,
    ReadBatchResponse, ValidateRequest, ValidateResponse,
};
use slipway_core::schema::{AttributeSchema, BlockSchema, ProviderSchema, ResourceSchema};
use slipway_core::{Number, Type, Value};

use crate::common::{
    attr, bool_attr, decimal, fill_unknowns, hex, int_attr, mark_sensitive, plan_generic, random_below, random_bytes,
    string_attr, unknown_type,
};

const ID: &str = "random_id";
const STRING: &str = "random_string";
const PASSWORD: &str = "random_password";
const INTEGER: &str = "random_integer";
const PET: &str = "random_pet";

const NUMERIC_CHARS: &str = "0123456789";
const LOWER_CHARS: &str = "abcdefghijklmnopqrstuvwxyz";
const UPPER_CHARS: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const SPECIAL_CHARS: &str = "!@#$%&*()-_=+[]{}<>:?";

/// Flags of random_string / random_password whose default is true.
const CLASS_FLAGS: [&str; 4] = ["special", "upper", "lower", "numeric"];
/// Minimum counts of random_string / random_password, default 0.
const MINIMUMS: [&str; 4] = ["min_special", "min_upper", "min_lower", "min_numeric"];

// A small built-in vocabulary for random_pet (hashicorp uses the petname word lists).
const ADVERBS: &[&str] = &[
    "briefly", "calmly", "deeply", "eagerly", "fairly", "gently", "happily", "kindly", "lightly", "merely", "neatly",
    "openly", "quickly", "rarely", "simply", "truly", "vastly", "wildly",
];
const ADJECTIVES: &[&str] = &[
    "able", "bold", "brave", "calm", "clever", "cosmic", "crisp", "daring", "eager", "fair", "fancy", "gentle",
    "golden", "happy", "humble", "jolly", "keen", "lucky", "merry", "noble", "proud", "quiet", "rapid", "smart",
    "steady", "sunny", "tidy", "vital", "warm", "witty",
];
const NAMES: &[&str] = &[
    "badger", "beetle", "bison", "condor", "coyote", "crane", "dingo", "dolphin", "falcon", "ferret", "gecko",
    "gopher", "heron", "ibis", "jackal", "koala", "lemur", "lynx", "marmot", "mole", "newt", "otter", "panda",
    "puffin", "quail", "raven", "salmon", "sloth", "tapir", "walrus", "wombat", "yak", "zebra",
];

pub struct RandomProvider {
    schema: ProviderSchema,
}

impl Default for RandomProvider {
    fn default() -> Self {
        Self::new()
    }
}

fn keepers() -> AttributeSchema {
    AttributeSchema::optional(Type::map(Type::String))
        .force_new()
        .describe("Arbitrary values whose change chooses a new random value.")
}

fn string_block(sensitive: bool) -> BlockSchema {
    let mut block = BlockSchema::new()
        .attribute("keepers", keepers())
        .attribute("length", AttributeSchema::required(Type::Number).force_new().describe("Number of characters."))
        .attribute(
            "override_special",
            AttributeSchema::optional(Type::String)
                .force_new()
                .describe("Special characters to use instead of the default set."),
        );
    for name in CLASS_FLAGS {
        block = block.attribute(name, AttributeSchema::optional_computed(Type::Bool).force_new());
    }
    for name in MINIMUMS {
        block = block.attribute(name, AttributeSchema::optional_computed(Type::Number).force_new());
    }
    let result = AttributeSchema::computed(Type::String).describe("The generated string.");
    block
        .attribute("result", if sensitive { result.sensitive() } else { result })
        .attribute("id", AttributeSchema::computed(Type::String))
}

impl RandomProvider {
    pub fn new() -> Self {
        let id = BlockSchema::new()
            .attribute("keepers", keepers())
            .attribute(
                "byte_length",
                AttributeSchema::required(Type::Number).force_new().describe("Number of random bytes."),
            )
            .attribute("prefix", AttributeSchema::optional(Type::String).force_new())
            .attribute("id", AttributeSchema::computed(Type::String).describe("The bytes as unpadded URL-safe base64."))
            .attribute("b64_url", AttributeSchema::computed(Type::String))
            .attribute("b64_std", AttributeSchema::computed(Type::String))
            .attribute("hex", AttributeSchema::computed(Type::String))
            .attribute("dec", AttributeSchema::computed(Type::String));
        let integer = BlockSchema::new()
            .attribute("keepers", keepers())
            .attribute("min", AttributeSchema::required(Type::Number).force_new())
            .attribute("max", AttributeSchema::required(Type::Number).force_new())
            .attribute(
                "seed",
                AttributeSchema::optional(Type::String).force_new().describe("Makes the result deterministic."),
            )
            .attribute("result", AttributeSchema::computed(Type::Number))
            .attribute("id", AttributeSchema::computed(Type::String));
        let pet = BlockSchema::new()
            .attribute("keepers", keepers())
            .attribute(
                "length",
                AttributeSchema::optional_computed(Type::Number).force_new().describe("Number of words."),
            )
            .attribute("prefix", AttributeSchema::optional(Type::String).force_new())
            .attribute("separator", AttributeSchema::optional_computed(Type::String).force_new())
            .attribute("id", AttributeSchema::computed(Type::String).describe("The pet name."));
        let mut schema = ProviderSchema::default();
        for (name, block) in
            [(ID, id), (STRING, string_block(false)), (PASSWORD, string_block(true)), (INTEGER, integer), (PET, pet)]
        {
            schema.resources.insert(name.to_string(), ResourceSchema { version: 0, block });
        }
        RandomProvider { schema }
    }

    fn block(&self, type_name: &str) -> Option<&BlockSchema> {
        self.schema.resources.get(type_name).map(|r| &r.block)
    }
}

fn defaults(type_name: &str) -> BTreeMap<&'static str, Value> {
    match type_name {
        STRING | PASSWORD => CLASS_FLAGS
            .into_iter()
            .map(|n| (n, Value::bool(true)))
            .chain(MINIMUMS.into_iter().map(|n| (n, Value::int(0))))
            .collect(),
        PET => BTreeMap::from([("length", Value::int(2)), ("separator", Value::string("-"))]),
        _ => BTreeMap::new(),
    }
}

/// The computed attributes of one new object, by name.
fn generate(type_name: &str, planned: &Value) -> Result<BTreeMap<&'static str, Value>, Diagnostic> {
    match type_name {
        ID => {
            let length = int_attr(planned, "byte_length")?.unwrap_or(0);
            let bytes = random_bytes(usize::try_from(length).unwrap_or(0))?;
            let prefix = string_attr(planned, "prefix")?.unwrap_or_default();
            Ok(id_values(&bytes, &prefix))
        }
        STRING | PASSWORD => {
            let result = generate_string(planned)?;
            let id = if type_name == PASSWORD { "none".to_string() } else { result.clone() };
            Ok(BTreeMap::from([("result", Value::string(result)), ("id", Value::string(id))]))
        }
        INTEGER => {
            let min = int_attr(planned, "min")?.unwrap_or(0);
            let max = int_attr(planned, "max")?.unwrap_or(0);
            let result = generate_integer(min, max, string_attr(planned, "seed")?.as_deref())?;
            Ok(BTreeMap::from([("result", Value::int(result)), ("id", Value::string(result.to_string()))]))
        }
        PET => {
            let length = int_attr(planned, "length")?.unwrap_or(2);
            let separator = string_attr(planned, "separator")?.unwrap_or_else(|| "-".to_string());
            let prefix = string_attr(planned, "prefix")?;
            Ok(BTreeMap::from([("id", Value::string(generate_pet(length, &separator, prefix.as_deref())?))]))
        }
        other => Err(unknown_type(other)),
    }
}

fn id_values(bytes: &[u8], prefix: &str) -> BTreeMap<&'static str, Value> {
    BTreeMap::from([
        ("id", Value::string(URL_SAFE_NO_PAD.encode(bytes))),
        ("b64_url", Value::string(format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes)))),
        ("b64_std", Value::string(format!("{prefix}{}", STANDARD.encode(bytes)))),
        ("hex", Value::string(format!("{prefix}{}", hex(bytes)))),
        ("dec", Value::string(format!("{prefix}{}", decimal(bytes)))),
    ])
}

fn pick(chars: &[char], count: i64, out: &mut Vec<char>) -> Result<(), Diagnostic> {
    for _ in 0..count {
        let i = random_below(chars.len() as u64)?;
        if let Some(c) = chars.get(usize::try_from(i).unwrap_or(0)) {
            out.push(*c);
        }
    }
    Ok(())
}

/// hashicorp/random's algorithm: the minimum of each class first, the rest from every enabled
/// class, then a shuffle so the minimums are not all at the front.
fn generate_string(planned: &Value) -> Result<String, Diagnostic> {
    let length = int_attr(planned, "length")?.unwrap_or(0);
    let special: String = string_attr(planned, "override_special")?.unwrap_or_else(|| SPECIAL_CHARS.to_string());
    let classes = [
        ("special", "min_special", special.as_str()),
        ("upper", "min_upper", UPPER_CHARS),
        ("lower", "min_lower", LOWER_CHARS),
        ("numeric", "min_numeric", NUMERIC_CHARS),
    ];
    let mut all = Vec::new();
    let mut out = Vec::new();
    for (flag, minimum, chars) in classes {
        let chars: Vec<char> = chars.chars().collect();
        pick(&chars, int_attr(planned, minimum)?.unwrap_or(0), &mut out)?;
        if bool_attr(planned, flag)?.unwrap_or(true) {
            all.extend(chars);
        }
    }
    let rest = length - out.len() as i64;
    if rest > 0 && all.is_empty() {
        return Err(Diagnostic::error(
            "No characters to choose from",
            "At least one of \"special\", \"upper\", \"lower\" or \"numeric\" must be true (or \"override_special\" non-empty).",
        ));
    }
    pick(&all, rest, &mut out)?;
    // Fisher-Yates shuffle.
    for i in (1..out.len()).rev() {
        let j = usize::try_from(random_below(i as u64 + 1)?).unwrap_or(0);
        out.swap(i, j);
    }
    Ok(out.into_iter().collect())
}

/// A number in `[min, max]`; with a seed, always the same one (splitmix64 seeded from the seed's
/// SHA-256; not the same numbers Go's math/rand gives hashicorp/random, which this cannot match).
fn generate_integer(min: i64, max: i64, seed: Option<&str>) -> Result<i64, Diagnostic> {
    if min > max {
        return Err(min_max_error(min, max));
    }
    let span = (i128::from(max) - i128::from(min) + 1) as u128;
    let draw = match seed {
        Some(seed) => {
            let digest = sha2::Sha256::digest(seed.as_bytes());
            let mut state = digest.iter().take(8).fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            u128::from(z ^ (z >> 31)) % span
        }
        None if span > u128::from(u64::MAX) => u128::from(random_below(u64::MAX)?),
        None => u128::from(random_below(span as u64)?),
    };
    Ok((i128::from(min) + draw as i128) as i64)
}

fn min_max_error(min: i64, max: i64) -> Diagnostic {
    Diagnostic::error(
        "Invalid value for \"min\"",
        format!("The attribute \"min\" ({min}) must be less than or equal to \"max\" ({max})."),
    )
}

/// `length` words: adverbs, then one adjective, then a name (one word is just a name).
fn generate_pet(length: i64, separator: &str, prefix: Option<&str>) -> Result<String, Diagnostic> {
    let mut words: Vec<&str> = prefix.into_iter().collect();
    let choose = |list: &[&'static str]| -> Result<&'static str, Diagnostic> {
        let i = usize::try_from(random_below(list.len() as u64)?).unwrap_or(0);
        Ok(list.get(i).copied().unwrap_or("pet"))
    };
    for _ in 0..(length - 2).max(0) {
        words.push(choose(ADVERBS)?);
    }
    if length >= 2 {
        words.push(choose(ADJECTIVES)?);
    }
    if length >= 1 {
        words.push(choose(NAMES)?);
    }
    Ok(words.join(separator))
}

/// Checks of known configuration values that hashicorp/random makes at validation.
fn validate_config(type_name: &str, config: &Value) -> Diagnostics {
    let mut diagnostics = Diagnostics::new();
    let known_int = |name: &str| int_attr(config, name).ok().flatten();
    let at_least = |name: &str, min: i64, diagnostics: &mut Diagnostics| {
        if let Some(v) = known_int(name)
            && v < min
        {
            diagnostics.push(Diagnostic::error(
                format!("Invalid value for {name:?}"),
                format!("The attribute {name:?} must be at least {min}; got {v}."),
            ));
        }
    };
    match type_name {
        ID => at_least("byte_length", 1, &mut diagnostics),
        PET => at_least("length", 1, &mut diagnostics),
        STRING | PASSWORD => {
            at_least("length", 1, &mut diagnostics);
            for name in MINIMUMS {
                at_least(name, 0, &mut diagnostics);
            }
            let minimums: Option<i64> = MINIMUMS.iter().map(|n| known_int(n).or(Some(0))).sum();
            if let (Some(length), Some(sum)) = (known_int("length"), minimums)
                && sum > length
            {
                diagnostics.push(Diagnostic::error(
                    "Invalid value for \"length\"",
                    format!(
                        "The attribute \"length\" ({length}) must be at least the sum of the min_* attributes ({sum})."
                    ),
                ));
            }
        }
        INTEGER => {
            if let (Some(min), Some(max)) = (known_int("min"), known_int("max"))
                && min > max
            {
                diagnostics.push(min_max_error(min, max));
            }
        }
        _ => {}
    }
    diagnostics
}

/// The state of an imported object, from hashicorp/random's import ID formats.
fn import_state(type_name: &str, id: &str) -> Result<BTreeMap<String, Value>, Diagnostic> {
    let invalid = |format: &str| {
        Diagnostic::error("Invalid import ID", format!("A {type_name} is imported by {format}; got {id:?}."))
    };
    match type_name {
        ID => {
            // "B64_URL" or "PREFIX,B64_URL".
            let (prefix, b64) = match id.split_once(',') {
                Some((prefix, b64)) => (Some(prefix), b64),
                None => (None, id),
            };
            let bytes = URL_SAFE_NO_PAD.decode(b64).map_err(|_| invalid("its unpadded URL-safe base64 id"))?;
            let mut attrs: BTreeMap<String, Value> =
                id_values(&bytes, prefix.unwrap_or_default()).into_iter().map(|(k, v)| (k.to_string(), v)).collect();
            attrs.insert("byte_length".to_string(), Value::int(bytes.len() as i64));
            if let Some(prefix) = prefix {
                attrs.insert("prefix".to_string(), Value::string(prefix));
            }
            Ok(attrs)
        }
        STRING | PASSWORD => {
            let mut attrs: BTreeMap<String, Value> =
                defaults(type_name).into_iter().map(|(k, v)| (k.to_string(), v)).collect();
            attrs.insert("length".to_string(), Value::int(id.chars().count() as i64));
            attrs.insert("result".to_string(), Value::string(id));
            attrs.insert("id".to_string(), Value::string(if type_name == PASSWORD { "none" } else { id }));
            Ok(attrs)
        }
        INTEGER => {
            // "RESULT,MIN,MAX" or "RESULT,MIN,MAX,SEED".
            let parts: Vec<&str> = id.splitn(4, ',').collect();
            let format = "\"result,min,max\" or \"result,min,max,seed\"";
            let number = |s: &str| s.trim().parse::<i64>().map_err(|_| invalid(format));
            let (result, min, max) = match parts.as_slice() {
                [r, min, max] | [r, min, max, _] => (number(r)?, number(min)?, number(max)?),
                _ => return Err(invalid(format)),
            };
            let mut attrs = BTreeMap::from([
                ("result".to_string(), Value::int(result)),
                ("id".to_string(), Value::string(result.to_string())),
                ("min".to_string(), Value::int(min)),
                ("max".to_string(), Value::int(max)),
            ]);
            if let Some(seed) = parts.get(3) {
                attrs.insert("seed".to_string(), Value::string(*seed));
            }
            Ok(attrs)
        }
        PET => Err(Diagnostic::error(
            "Resource cannot be imported",
            "random_pet cannot be imported (as in hashicorp/random): its words are not recoverable from the id.",
        )),
        other => Err(unknown_type(other)),
    }
}

#[async_trait]
impl Provider for RandomProvider {
    fn schema(&self) -> &ProviderSchema {
        &self.schema
    }

    fn validate(&self, request: ValidateRequest) -> ValidateResponse {
        ValidateResponse { diagnostics: validate_config(&request.type_name, &request.config) }
    }

    fn plan(&self, request: PlanRequest) -> PlanResponse {
        let Some(block) = self.block(&request.type_name) else {
            return PlanResponse { diagnostics: unknown_type(&request.type_name).into(), ..Default::default() };
        };
        plan_generic(block, &request, &defaults(&request.type_name))
    }

    async fn apply(&self, request: ApplyRequest) -> ApplyResponse {
        let Some(block) = self.block(&request.type_name) else {
            return ApplyResponse { diagnostics: unknown_type(&request.type_name).into(), ..Default::default() };
        };
        let Some(planned) = request.planned else {
            // Delete: nothing exists outside state.
            return ApplyResponse::default();
        };
        // Every argument forces replacement, so an apply with a prior value and no unknowns is
        // a no-op update; a new object gets new values.
        match generate(&request.type_name, &planned) {
            Ok(values) => {
                let state = fill_unknowns(block, &planned, |name| {
                    values.get(name).cloned().unwrap_or_else(|| Value::null(Type::String))
                });
                ApplyResponse { new_state: Some(state), ..Default::default() }
            }
            Err(d) => ApplyResponse { new_state: request.prior, diagnostics: d.into(), ..Default::default() },
        }
    }

    /// Nothing exists outside state, so the prior value is the current one.
    async fn read_batch(&self, request: ReadBatchRequest) -> ReadBatchResponse {
        crate::common::prior_is_current(request)
    }

    async fn import(&self, request: ImportRequest) -> ImportResponse {
        let Some(block) = self.block(&request.type_name) else {
            return ImportResponse { diagnostics: unknown_type(&request.type_name).into(), ..Default::default() };
        };
        match import_state(&request.type_name, &request.id) {
            Ok(set) => {
                let mut attrs: BTreeMap<String, Value> =
                    block.attributes.iter().map(|(k, a)| (k.clone(), Value::null(a.ty.clone()))).collect();
                attrs.extend(set);
                ImportResponse { state: Some(mark_sensitive(block, Value::object(attrs))), ..Default::default() }
            }
            Err(d) => ImportResponse { diagnostics: d.into(), ..Default::default() },
        }
    }
}

/// `result` of random_integer as an i64 (tests and callers reading state).
pub fn integer_result(state: &Value) -> Option<i64> {
    attr(state, "result").as_number().and_then(Number::to_i64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::common::testing::*;
    use slipway_core::path::AttrPath;

    /// The lifecycle every random resource follows: create, refresh, no-op plan, a keepers
    /// change replaces with a new value, delete. Returns the two states.
    async fn lifecycle(t: &str, args: &[(&str, Value)]) -> (Value, Value) {
        let p = RandomProvider::new();
        let with_keepers = |v: &str| {
            let mut set = args.to_vec();
            set.push(("keepers", strings(&[("k", v)])));
            config(&p, t, &set)
        };
        let c1 = with_keepers("1");
        let planned = plan(&p, t, None, &c1).planned.expect("planned");
        assert!(!attr(&planned, "id").is_known());
        let state = apply(&p, t, None, Some(planned), Some(&c1)).await.new_state.expect("state");
        let state = read(&p, t, &state).await.expect("present");
        assert!(is_no_op(&plan(&p, t, Some(&state), &c1), &state), "{t}: second plan is not a no-op");

        let c2 = with_keepers("2");
        let plan2 = plan(&p, t, Some(&state), &c2);
        assert_eq!(plan2.requires_replace, vec![AttrPath::attr("keepers")]);
        assert!(!attr(plan2.planned.as_ref().expect("planned"), "id").is_known());
        let state2 = apply(&p, t, None, plan2.planned, Some(&c2)).await.new_state.expect("state");
        assert!(apply(&p, t, Some(&state2), None, None).await.new_state.is_none());
        (state, state2)
    }

    #[tokio::test]
    async fn random_id() {
        let (s1, s2) = lifecycle(ID, &[("byte_length", Value::int(8)), ("prefix", Value::string("p-"))]).await;
        assert_ne!(get_str(&s1, "id"), get_str(&s2, "id"));
        assert_eq!(get_str(&s1, "hex").len(), 2 + 16);
        assert!(get_str(&s1, "dec").starts_with("p-"));
        let p = RandomProvider::new();
        let imported = p
            .import(ImportRequest { type_name: ID.to_string(), id: format!("p-,{}", get_str(&s1, "id")) })
            .await
            .state
            .expect("imported");
        for name in ["id", "b64_url", "b64_std", "hex", "dec"] {
            assert_eq!(get_str(&imported, name), get_str(&s1, name), "{name}");
        }
    }

    #[tokio::test]
    async fn random_string_honours_classes_and_minimums() {
        let args = [
            ("length", Value::int(20)),
            ("special", Value::bool(false)),
            ("upper", Value::bool(false)),
            ("min_numeric", Value::int(5)),
        ];
        let (s1, s2) = lifecycle(STRING, &args).await;
        for s in [&s1, &s2] {
            let r = get_str(s, "result");
            assert_eq!(r.len(), 20);
            assert!(r.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()), "{r}");
            assert!(r.chars().filter(char::is_ascii_digit).count() >= 5, "{r}");
            assert_eq!(get_str(s, "id"), r);
        }
        assert_ne!(get_str(&s1, "result"), get_str(&s2, "result"));
    }

    #[tokio::test]
    async fn random_password_is_sensitive() {
        let (s1, _) =
            lifecycle(PASSWORD, &[("length", Value::int(16)), ("override_special", Value::string("_"))]).await;
        assert!(attr(&s1, "result").is_sensitive());
        assert_eq!(get_str(&s1, "id"), "none");
        assert!(get_str(&s1, "result").chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
        // Removing an explicit setting plans the default back, which forces a new password.
        let p = RandomProvider::new();
        let c = config(&p, PASSWORD, &[("length", Value::int(16)), ("special", Value::bool(false))]);
        let state = apply(&p, PASSWORD, None, plan(&p, PASSWORD, None, &c).planned, Some(&c)).await.new_state;
        let state = state.expect("state");
        let c2 = config(&p, PASSWORD, &[("length", Value::int(16))]);
        assert_eq!(plan(&p, PASSWORD, Some(&state), &c2).requires_replace, vec![AttrPath::attr("special")]);
    }

    #[tokio::test]
    async fn random_integer_in_range_and_seeded() {
        let (s1, s2) = lifecycle(INTEGER, &[("min", Value::int(1)), ("max", Value::int(3))]).await;
        for s in [&s1, &s2] {
            let r = integer_result(s).expect("result");
            assert!((1..=3).contains(&r), "{r}");
            assert_eq!(get_str(s, "id"), r.to_string());
        }
        let seeded = [("min", Value::int(1)), ("max", Value::int(1000)), ("seed", Value::string("s"))];
        let (a, b) = lifecycle(INTEGER, &seeded).await;
        assert_eq!(integer_result(&a), integer_result(&b));
        let p = RandomProvider::new();
        let imported =
            p.import(ImportRequest { type_name: INTEGER.to_string(), id: "7,1,10,s".to_string() }).await.state;
        let imported = imported.expect("imported");
        assert_eq!(integer_result(&imported), Some(7));
        assert_eq!(get_str(&imported, "seed"), "s");
    }

    #[tokio::test]
    async fn random_pet() {
        let (s1, _) = lifecycle(PET, &[("length", Value::int(3)), ("prefix", Value::string("dev"))]).await;
        let id = get_str(&s1, "id");
        assert_eq!(id.split('-').count(), 4, "{id}");
        assert!(id.starts_with("dev-"));
        let (s2, _) = lifecycle(PET, &[("separator", Value::string("_"))]).await;
        assert_eq!(get_str(&s2, "id").split('_').count(), 2);
        assert_eq!(integer_result(&Value::object_from([("result", attr(&s2, "length"))])), Some(2));
    }

    #[test]
    fn validation_names_the_attribute() {
        let p = RandomProvider::new();
        let cases = [
            (STRING, vec![("length", Value::int(2)), ("min_upper", Value::int(3))], "Invalid value for \"length\""),
            (INTEGER, vec![("min", Value::int(5)), ("max", Value::int(1))], "Invalid value for \"min\""),
            (ID, vec![("byte_length", Value::int(0))], "Invalid value for \"byte_length\""),
        ];
        for (t, set, summary) in cases {
            let c = config(&p, t, &set);
            let d = p
                .validate(ValidateRequest {
                    mode: slipway_core::address::ResourceMode::Managed,
                    type_name: t.to_string(),
                    config: c,
                })
                .diagnostics;
            assert_eq!(d.iter().map(|d| d.summary.as_str()).collect::<Vec<_>>(), vec![summary], "{t}");
        }
    }
}

//! IP network functions: `cidrhost`, `cidrnetmask`, `cidrsubnet` and `cidrsubnets`, following
//! Terraform's (go-cidr's) arithmetic for IPv4 and IPv6. Addresses are handled as `u128` with
//! the address width alongside, so every shift and mask is checked rather than overflowing.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use num_bigint::BigInt;
use num_traits::{Signed, ToPrimitive};
use slipway_core::{Type, Value};

use super::util::{int_arg, number_arg, str_arg};
use super::{Function, FunctionContext, FunctionError, Param, Registry, Returns};

pub(super) fn register(registry: &mut Registry) {
    registry.add(Function::new(
        "cidrhost",
        vec![Param::new("prefix", Type::String), Param::new("hostnum", Type::Number)],
        Returns::Fixed(|| Type::String),
        cidrhost,
    ));
    registry.add(Function::new(
        "cidrnetmask",
        vec![Param::new("prefix", Type::String)],
        Returns::Fixed(|| Type::String),
        cidrnetmask,
    ));
    registry.add(Function::new(
        "cidrsubnet",
        vec![
            Param::new("prefix", Type::String),
            Param::new("newbits", Type::Number),
            Param::new("netnum", Type::Number),
        ],
        Returns::Fixed(|| Type::String),
        cidrsubnet,
    ));
    registry.add(
        Function::new(
            "cidrsubnets",
            vec![Param::new("prefix", Type::String)],
            Returns::Fixed(|| Type::list(Type::String)),
            cidrsubnets,
        )
        .variadic(Param::new("newbits", Type::Number)),
    );
}

/// A network prefix: its (masked) address, prefix length and address width (32 or 128).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Net {
    addr: u128,
    prefix: u32,
    bits: u32,
}

/// The low `n` bits set, for any `n` up to 128.
fn ones(n: u32) -> u128 {
    if n >= 128 { u128::MAX } else { (1u128 << n) - 1 }
}

impl Net {
    fn parse(text: &str) -> Result<Net, String> {
        let net = ipnet::IpNet::from_str(text)
            .map_err(|_| format!("invalid CIDR expression: invalid CIDR address: {text}"))?;
        let (addr, bits) = match net.addr() {
            IpAddr::V4(a) => (u128::from(u32::from(a)), 32),
            IpAddr::V6(a) => (u128::from(a), 128),
        };
        let prefix = u32::from(net.prefix_len());
        Ok(Net { addr: addr & Net::netmask(prefix, bits), prefix, bits })
    }

    /// The mask with the first `prefix` of `bits` bits set.
    fn netmask(prefix: u32, bits: u32) -> u128 {
        ones(bits) & !ones(bits.saturating_sub(prefix))
    }

    fn host_bits(&self) -> u32 {
        self.bits - self.prefix
    }

    fn last(&self) -> u128 {
        self.addr | ones(self.host_bits())
    }

    fn contains(&self, addr: u128) -> bool {
        addr & Net::netmask(self.prefix, self.bits) == self.addr
    }

    fn with_prefix(addr: u128, prefix: u32, bits: u32) -> Net {
        Net { addr: addr & Net::netmask(prefix, bits), prefix, bits }
    }
}

/// An address as Go's `net.IP.String` prints it: IPv4-mapped IPv6 addresses print as IPv4.
fn format_addr(addr: u128, bits: u32) -> String {
    if bits == 32 {
        return Ipv4Addr::from(u32::try_from(addr & ones(32)).unwrap_or(0)).to_string();
    }
    let v6 = Ipv6Addr::from(addr);
    match v6.to_ipv4_mapped() {
        Some(v4) => v4.to_string(),
        None => v6.to_string(),
    }
}

impl std::fmt::Display for Net {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", format_addr(self.addr, self.bits), self.prefix)
    }
}

/// A whole-number argument as a big integer.
fn bigint_arg(args: &[Value], index: usize) -> Result<BigInt, FunctionError> {
    number_arg(args, index)?.to_bigint().ok_or_else(|| FunctionError::Arg(index, "value must be a whole number".into()))
}

fn cidrhost(args: &[Value], _: &FunctionContext<'_>) -> Result<Value, FunctionError> {
    let net = Net::parse(str_arg(args, 0)?).map_err(FunctionError::Call)?;
    let hostnum = bigint_arg(args, 1)?;
    let max = ones(net.host_bits());
    let too_big =
        || FunctionError::Call(format!("prefix of {} does not accommodate a host numbered {hostnum}", net.prefix));
    // Negative numbers count back from the end of the range: -1 is the last address.
    let host = if hostnum.is_negative() {
        let back = (-&hostnum - 1u8).to_u128().filter(|b| *b <= max).ok_or_else(too_big)?;
        max - back
    } else {
        hostnum.to_u128().filter(|h| *h <= max).ok_or_else(too_big)?
    };
    Ok(Value::string(format_addr(net.addr | host, net.bits)))
}

fn cidrnetmask(args: &[Value], _: &FunctionContext<'_>) -> Result<Value, FunctionError> {
    let text = str_arg(args, 0)?;
    let net = Net::parse(text).map_err(|e| FunctionError::Arg(0, e))?;
    if net.bits != 32 {
        return Err(FunctionError::Arg(0, format!("IPv6 addresses cannot have a netmask: {text}")));
    }
    Ok(Value::string(format_addr(Net::netmask(net.prefix, 32), 32)))
}

fn cidrsubnet(args: &[Value], _: &FunctionContext<'_>) -> Result<Value, FunctionError> {
    let net = Net::parse(str_arg(args, 0)?).map_err(FunctionError::Call)?;
    let newbits = int_arg(args, 1)?;
    let netnum = bigint_arg(args, 2)?;
    if newbits < 0 {
        return Err(FunctionError::Arg(1, "must not be negative".into()));
    }
    let new_prefix = i64::from(net.prefix).saturating_add(newbits);
    if new_prefix > i64::from(net.bits) {
        return Err(FunctionError::Call(format!(
            "insufficient address space to extend prefix of {} by {newbits}",
            net.prefix
        )));
    }
    // Both fit in u32 now: new_prefix is at most 128.
    let new_prefix = u32::try_from(new_prefix).unwrap_or(net.bits);
    let newbits = new_prefix - net.prefix;
    let num = netnum.to_u128().filter(|n| *n <= ones(newbits)).ok_or_else(|| {
        FunctionError::Call(format!("prefix extension of {newbits} does not accommodate a subnet numbered {netnum}"))
    })?;
    // num has at most `newbits` bits, so shifting by the remaining host bits cannot overflow;
    // a shift of the full width only happens with num == 0.
    let shifted = num.checked_shl(net.bits - new_prefix).unwrap_or(0);
    Ok(Value::string(Net { addr: net.addr | shifted, prefix: new_prefix, bits: net.bits }.to_string()))
}

fn cidrsubnets(args: &[Value], _: &FunctionContext<'_>) -> Result<Value, FunctionError> {
    let net = Net::parse(str_arg(args, 0)?).map_err(|e| FunctionError::Arg(0, e))?;
    let protocol = if net.bits == 32 { "IPv4" } else { "IPv6" };
    let mut current: Option<Net> = None;
    let mut out = Vec::with_capacity(args.len().saturating_sub(1));
    for index in 1..args.len() {
        let newbits = int_arg(args, index)?;
        if newbits < 1 {
            return Err(FunctionError::Arg(index, "must extend prefix by at least one bit".into()));
        }
        // Terraform keeps its 32-bit-platform limit here, unlike in cidrsubnet.
        if newbits > 32 {
            return Err(FunctionError::Arg(index, "may not extend prefix by more than 32 bits".into()));
        }
        let length = i64::from(net.prefix) + newbits;
        if length > i64::from(net.bits) {
            return Err(FunctionError::Arg(
                index,
                format!("would extend prefix to {length} bits, which is too long for an {protocol} address"),
            ));
        }
        let length = u32::try_from(length).unwrap_or(net.bits);
        let next = match current {
            // The first subnet starts the range. (go-cidr gets there by stepping from the block
            // before it, which wrongly fails for ranges starting at the all-zero address:
            // hashicorp/terraform#35486.)
            None => Some(Net::with_prefix(net.addr, length, net.bits)),
            // The next aligned block of the new size after everything allocated so far.
            Some(cur) => {
                let block = Net::with_prefix(cur.last(), length, net.bits);
                let last = block.last();
                (last < ones(net.bits)).then(|| Net::with_prefix(last + 1, length, net.bits))
            }
        };
        let next = match next {
            Some(n) if net.contains(n.addr) => n,
            _ => {
                let after = current.map_or_else(|| net.to_string(), |c| c.to_string());
                return Err(FunctionError::Arg(
                    index,
                    format!(
                        "not enough remaining address space for a subnet with a prefix of {length} bits after {after}"
                    ),
                ));
            }
        };
        out.push(Value::string(next.to_string()));
        current = Some(next);
    }
    Ok(Value::list(Type::String, out))
}

#[cfg(test)]
mod tests {
    use super::super::testing::call_fn;
    use super::*;

    fn s(v: &str) -> Value {
        Value::string(v)
    }

    fn n(v: i64) -> Value {
        Value::int(v)
    }

    fn call_err(name: &str, args: Vec<Value>) -> String {
        match call_fn(name, args) {
            Err(FunctionError::Arg(_, m) | FunctionError::Call(m)) => m,
            Ok(v) => panic!("{name} unexpectedly gave {v:?}"),
        }
    }

    #[test]
    fn cidrhost_documented_examples() {
        assert_eq!(call_fn("cidrhost", vec![s("10.12.112.0/20"), n(16)]), Ok(s("10.12.112.16")));
        assert_eq!(call_fn("cidrhost", vec![s("10.12.112.0/20"), n(268)]), Ok(s("10.12.113.12")));
        assert_eq!(
            call_fn("cidrhost", vec![s("fd00:fd12:3456:7890:00a2::/72"), n(34)]),
            Ok(s("fd00:fd12:3456:7890::22"))
        );
    }

    #[test]
    fn cidrhost_negative_numbers_count_from_the_end() {
        assert_eq!(call_fn("cidrhost", vec![s("10.0.0.0/24"), n(-1)]), Ok(s("10.0.0.255")));
        assert_eq!(call_fn("cidrhost", vec![s("10.0.0.0/24"), n(-2)]), Ok(s("10.0.0.254")));
        assert_eq!(call_fn("cidrhost", vec![s("10.0.0.0/24"), n(-256)]), Ok(s("10.0.0.0")));
        assert!(call_err("cidrhost", vec![s("10.0.0.0/24"), n(-257)]).contains("does not accommodate"));
        assert!(
            call_err("cidrhost", vec![s("10.0.0.0/24"), n(256)])
                .contains("prefix of 24 does not accommodate a host numbered 256")
        );
        assert_eq!(call_fn("cidrhost", vec![s("::/0"), n(-1)]), Ok(s("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")));
        assert_eq!(call_fn("cidrhost", vec![s("10.1.2.3/8"), n(5)]), Ok(s("10.0.0.5")), "host bits are masked");
    }

    #[test]
    fn cidrhost_bad_input() {
        assert!(call_err("cidrhost", vec![s("10.0.0.0"), n(1)]).contains("invalid CIDR"));
        assert!(call_err("cidrhost", vec![s("nonsense/8"), n(1)]).contains("invalid CIDR"));
        let huge = Value::number(slipway_core::Number::parse("1e60").expect("n"));
        assert!(call_err("cidrhost", vec![s("::/0"), huge]).contains("does not accommodate"));
        let frac = Value::number(slipway_core::Number::parse("1.5").expect("n"));
        assert!(call_err("cidrhost", vec![s("10.0.0.0/8"), frac]).contains("whole number"));
        assert_eq!(call_fn("cidrhost", vec![Value::unknown(Type::String), n(1)]), Ok(Value::unknown(Type::String)));
        assert!(call_fn("cidrhost", vec![s("10.0.0.0/8"), Value::null(Type::Number)]).is_err());
        assert!(call_fn("cidrhost", vec![s("10.0.0.0/8").mark_sensitive(), n(1)]).expect("ok").is_sensitive());
    }

    #[test]
    fn cidrnetmask_documented_example() {
        assert_eq!(call_fn("cidrnetmask", vec![s("172.16.0.0/12")]), Ok(s("255.240.0.0")));
        assert_eq!(call_fn("cidrnetmask", vec![s("0.0.0.0/0")]), Ok(s("0.0.0.0")));
        assert_eq!(call_fn("cidrnetmask", vec![s("10.0.0.1/32")]), Ok(s("255.255.255.255")));
        assert!(call_err("cidrnetmask", vec![s("fd00::/8")]).contains("IPv6 addresses cannot have a netmask"));
        assert_eq!(call_fn("cidrnetmask", vec![Value::unknown(Type::String)]), Ok(Value::unknown(Type::String)));
    }

    #[test]
    fn cidrsubnet_documented_examples() {
        assert_eq!(call_fn("cidrsubnet", vec![s("172.16.0.0/12"), n(4), n(2)]), Ok(s("172.18.0.0/16")));
        assert_eq!(call_fn("cidrsubnet", vec![s("10.1.2.0/24"), n(4), n(15)]), Ok(s("10.1.2.240/28")));
        assert_eq!(
            call_fn("cidrsubnet", vec![s("fd00:fd12:3456:7890::/56"), n(16), n(162)]),
            Ok(s("fd00:fd12:3456:7800:a200::/72"))
        );
        assert_eq!(call_fn("cidrsubnet", vec![s("10.0.0.0/8"), n(0), n(0)]), Ok(s("10.0.0.0/8")));
        assert_eq!(call_fn("cidrsubnet", vec![s("::/0"), n(128), n(1)]), Ok(s("::1/128")));
        assert_eq!(call_fn("cidrsubnet", vec![s("::/0"), n(0), n(0)]), Ok(s("::/0")));
    }

    #[test]
    fn cidrsubnet_errors_without_panicking() {
        assert!(
            call_err("cidrsubnet", vec![s("10.0.0.0/8"), n(25), n(0)])
                .contains("insufficient address space to extend prefix of 8 by 25")
        );
        assert!(call_err("cidrsubnet", vec![s("10.0.0.0/8"), n(i64::MAX), n(0)]).contains("insufficient"));
        let huge = Value::number(slipway_core::Number::parse("1e40").expect("n"));
        assert!(call_err("cidrsubnet", vec![s("10.0.0.0/8"), huge.clone(), n(0)]).contains("whole number"));
        assert!(call_err("cidrsubnet", vec![s("::/0"), n(128), huge]).contains("does not accommodate"));
        assert!(
            call_err("cidrsubnet", vec![s("10.0.0.0/8"), n(4), n(16)])
                .contains("prefix extension of 4 does not accommodate a subnet numbered 16")
        );
        assert!(call_err("cidrsubnet", vec![s("10.0.0.0/8"), n(4), n(-1)]).contains("does not accommodate"));
        assert!(call_err("cidrsubnet", vec![s("10.0.0.0/8"), n(-1), n(0)]).contains("negative"));
        assert_eq!(
            call_fn("cidrsubnet", vec![s("10.0.0.0/8"), Value::unknown(Type::Number), n(0)]),
            Ok(Value::unknown(Type::String))
        );
    }

    #[test]
    fn cidrsubnets_documented_examples() {
        let list = |items: &[&str]| Value::list(Type::String, items.iter().map(|i| s(i)).collect());
        assert_eq!(
            call_fn("cidrsubnets", vec![s("10.1.0.0/16"), n(4), n(4), n(8), n(4)]),
            Ok(list(&["10.1.0.0/20", "10.1.16.0/20", "10.1.32.0/24", "10.1.48.0/20"]))
        );
        assert_eq!(
            call_fn("cidrsubnets", vec![s("fd00:fd12:3456:7890::/56"), n(16), n(16), n(16), n(32)]),
            Ok(list(&[
                "fd00:fd12:3456:7800::/72",
                "fd00:fd12:3456:7800:100::/72",
                "fd00:fd12:3456:7800:200::/72",
                "fd00:fd12:3456:7800:300::/88",
            ]))
        );
        assert_eq!(call_fn("cidrsubnets", vec![s("10.0.0.0/8")]), Ok(list(&[])));
        assert_eq!(call_fn("cidrsubnets", vec![s("0.0.0.0/1"), n(1), n(1)]), Ok(list(&["0.0.0.0/2", "64.0.0.0/2"])));
    }

    #[test]
    fn cidrsubnets_errors() {
        assert!(
            call_err("cidrsubnets", vec![s("10.0.0.0/24"), n(1), n(1), n(1)]).contains(
                "not enough remaining address space for a subnet with a prefix of 25 bits after 10.0.0.128/25"
            )
        );
        assert!(call_err("cidrsubnets", vec![s("10.0.0.0/24"), n(0)]).contains("at least one bit"));
        assert!(call_err("cidrsubnets", vec![s("fd00::/8"), n(33)]).contains("more than 32 bits"));
        assert!(
            call_err("cidrsubnets", vec![s("10.0.0.0/24"), n(9)])
                .contains("would extend prefix to 33 bits, which is too long for an IPv4 address")
        );
        assert!(call_err("cidrsubnets", vec![s("255.255.255.0/24"), n(1), n(1), n(1)]).contains("not enough"));
        assert!(matches!(call_fn("cidrsubnets", vec![s("10.0.0.0/8"), n(4), n(0)]), Err(FunctionError::Arg(2, _))));
    }
}

//! The address policy: which addresses a user-given URL may reach. One
//! implementation for every component that connects where a user says (the
//! api at creation, the scraper-worker's connector at fetch time, and any
//! later channel or renderer).
//!
//! - [`forbidden_reason`] says why an IP address must never be dialled, or
//!   `None` for a public unicast address. IPv6 forms that carry an IPv4
//!   address (IPv4-mapped, IPv4-translated, IPv4-compatible, NAT64, 6to4,
//!   Teredo) are judged by the IPv4 address they reach.
//! - [`forbidden_host_name`] does the same for names that mean this machine
//!   (`localhost`, `*.localhost`; RFC 6761), given as the URL parser's
//!   IDNA-mapped host.
//! - [`check_address`] is the yes/no with the development exception for
//!   loopback (the local demo shop).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Why an address is refused, shown to the user as is.
pub type Reason = &'static str;

/// The reason [`forbidden_reason`] gives for loopback, the one that
/// [`check_address`] may let through.
pub const LOOPBACK: Reason = "loopback";

/// Why an address must never be fetched, or `None` when it is a public unicast address.
pub fn forbidden_reason(ip: IpAddr) -> Option<Reason> {
    match ip {
        IpAddr::V4(v4) => forbidden_v4(v4),
        IpAddr::V6(v6) => forbidden_v6(v6),
    }
}

/// `Ok` when the address may be fetched; loopback passes only with `allow_loopback`.
pub fn check_address(ip: IpAddr, allow_loopback: bool) -> Result<(), Reason> {
    match forbidden_reason(ip) {
        Some(LOOPBACK) if allow_loopback => Ok(()),
        Some(reason) => Err(reason),
        None => Ok(()),
    }
}

/// Why a host name must never be fetched: `localhost`, `localhost.localdomain`
/// and every `*.localhost` name, with or without the final dot, in any case.
/// Give it the URL parser's host (IDNA-mapped, so full-width forms are caught).
pub fn forbidden_host_name(host: &str) -> Option<Reason> {
    let host = host.strip_suffix('.').unwrap_or(host).to_ascii_lowercase();
    let local =
        host == "localhost" || host.ends_with(".localhost") || host == "localhost.localdomain";
    local.then_some(LOOPBACK)
}

/// The IPv4 address an IPv6 address stands for, in every form that carries
/// one: IPv4-mapped `::ffff:a.b.c.d`, IPv4-translated `::ffff:0:a.b.c.d`,
/// IPv4-compatible `::a.b.c.d`, NAT64 `64:ff9b::a.b.c.d`, 6to4
/// `2002:aabb:ccdd::/48` and Teredo `2001:0::/32` (its client address, stored
/// inverted).
pub fn embedded_ipv4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let low = |hi: u16, lo: u16| {
        let [a, b] = hi.to_be_bytes();
        let [c, d] = lo.to_be_bytes();
        Ipv4Addr::new(a, b, c, d)
    };
    match s {
        [0, 0, 0, 0, 0, 0xffff, hi, lo] => Some(low(hi, lo)),
        [0, 0, 0, 0, 0xffff, 0, hi, lo] => Some(low(hi, lo)),
        [0, 0, 0, 0, 0, 0, hi, lo] if (hi, lo) != (0, 0) && (hi, lo) != (0, 1) => Some(low(hi, lo)),
        [0x0064, 0xff9b, 0, 0, 0, 0, hi, lo] => Some(low(hi, lo)),
        [0x2002, hi, lo, ..] => Some(low(hi, lo)),
        [0x2001, 0, _, _, _, _, hi, lo] => Some(low(!hi, !lo)),
        _ => None,
    }
}

fn forbidden_v4(ip: Ipv4Addr) -> Option<Reason> {
    let [a, b, c, _] = ip.octets();
    if ip.is_loopback() {
        Some(LOOPBACK)
    } else if ip.is_unspecified() || a == 0 {
        Some("unspecified")
    } else if ip.is_private() {
        Some("private network")
    } else if ip == Ipv4Addr::new(169, 254, 169, 254) || ip == Ipv4Addr::new(100, 100, 100, 200) {
        Some("cloud metadata")
    } else if ip.is_link_local() {
        Some("link-local")
    } else if a == 100 && (64..128).contains(&b) {
        Some("carrier-grade NAT")
    } else if ip.is_multicast() || a >= 240 || ip.is_broadcast() {
        Some("multicast or reserved")
    } else if (a == 192 && b == 0 && c == 0) || (a == 198 && (b == 18 || b == 19)) {
        Some("reserved")
    } else if (a == 192 && b == 88 && c == 99) || (a == 192 && b == 31 && c == 196) {
        Some("relay anycast")
    } else if ip.is_documentation() {
        Some("documentation range")
    } else {
        None
    }
}

fn forbidden_v6(ip: Ipv6Addr) -> Option<Reason> {
    let s = ip.segments();
    if ip.is_loopback() {
        return Some(LOOPBACK);
    }
    if ip.is_unspecified() {
        return Some("unspecified");
    }
    if let Some(v4) = embedded_ipv4(ip) {
        // Whatever the wrapping, the packet ends at the IPv4 address inside.
        return forbidden_v4(v4);
    }
    let first = s[0];
    if ip.is_multicast() {
        Some("multicast or reserved")
    } else if (first & 0xfe00) == 0xfc00 {
        Some("unique local")
    } else if (first & 0xffc0) == 0xfe80 {
        Some("link-local")
    } else if (first & 0xffc0) == 0xfec0 {
        Some("site-local (deprecated)")
    } else if ip == Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254) {
        Some("cloud metadata")
    } else if (first == 0x2001 && s[1] == 0x0db8) || (first == 0x3fff && s[1] < 0x1000) {
        Some("documentation range")
    } else if first == 0x0064 && s[1] == 0xff9b {
        // 64:ff9b:1::/48, NAT64 for a local network (RFC 8215).
        Some("local NAT64")
    } else if s[..4] == [0x0100, 0, 0, 0] {
        Some("discard prefix")
    } else if s[..6] == [0, 0, 0, 0, 0, 0] {
        Some("IPv4-compatible (deprecated)")
    } else if first == 0x2001 && s[1] < 0x0200 {
        // 2001::/23: IETF protocol assignments (benchmarking, ORCHID, AMT…).
        Some("reserved")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Every IPv6 form that carries `v4`.
    fn embeddings(v4: Ipv4Addr, seed: [u16; 4]) -> Vec<Ipv6Addr> {
        let [a, b, c, d] = v4.octets();
        let hi = u16::from_be_bytes([a, b]);
        let lo = u16::from_be_bytes([c, d]);
        let mut forms = vec![
            v4.to_ipv6_mapped(),
            Ipv6Addr::new(0, 0, 0, 0, 0xffff, 0, hi, lo),
            Ipv6Addr::new(0x64, 0xff9b, 0, 0, 0, 0, hi, lo),
            Ipv6Addr::new(0x2002, hi, lo, seed[0], seed[1], seed[2], seed[3], 1),
            Ipv6Addr::new(0x2001, 0, seed[0], seed[1], seed[2], seed[3], !hi, !lo),
        ];
        if u32::from(v4) > 1 {
            forms.push(v4.to_ipv6_compatible());
        }
        forms
    }

    fn internal_v4() -> impl Strategy<Value = Ipv4Addr> {
        prop_oneof![
            any::<[u8; 3]>().prop_map(|[b, c, d]| Ipv4Addr::new(127, b, c, d)),
            any::<[u8; 3]>().prop_map(|[b, c, d]| Ipv4Addr::new(10, b, c, d)),
            any::<[u8; 2]>().prop_map(|[c, d]| Ipv4Addr::new(192, 168, c, d)),
            (16u8..32, any::<[u8; 2]>()).prop_map(|(b, [c, d])| Ipv4Addr::new(172, b, c, d)),
            any::<[u8; 2]>().prop_map(|[c, d]| Ipv4Addr::new(169, 254, c, d)),
            (64u8..128, any::<[u8; 2]>()).prop_map(|(b, [c, d])| Ipv4Addr::new(100, b, c, d)),
            any::<[u8; 3]>().prop_map(|[b, c, d]| Ipv4Addr::new(0, b, c, d)),
            (224u8..=255, any::<[u8; 3]>()).prop_map(|(a, [b, c, d])| Ipv4Addr::new(a, b, c, d)),
        ]
    }

    proptest! {
        #[test]
        fn every_embedding_of_an_internal_ipv4_is_refused(v4 in internal_v4(), seed in any::<[u16; 4]>()) {
            let reason = forbidden_v4(v4);
            prop_assert!(reason.is_some());
            for v6 in embeddings(v4, seed) {
                prop_assert_eq!(forbidden_reason(IpAddr::V6(v6)), reason, "{} carries {}", v6, v4);
            }
        }

        #[test]
        fn embeddings_are_judged_like_the_address_they_carry(v4 in any::<[u8; 4]>().prop_map(Ipv4Addr::from), seed in any::<[u16; 4]>()) {
            for v6 in embeddings(v4, seed) {
                prop_assert_eq!(embedded_ipv4(v6), Some(v4), "{}", v6);
                prop_assert_eq!(forbidden_reason(IpAddr::V6(v6)), forbidden_v4(v4), "{}", v6);
            }
        }

        #[test]
        fn loopback_passes_only_when_allowed(v4 in any::<[u8; 3]>().prop_map(|[b, c, d]| Ipv4Addr::new(127, b, c, d)), seed in any::<[u16; 4]>()) {
            for v6 in embeddings(v4, seed) {
                prop_assert!(check_address(IpAddr::V6(v6), false).is_err());
                prop_assert!(check_address(IpAddr::V6(v6), true).is_ok());
            }
        }
    }

    #[test]
    fn the_forms_a_hostile_client_tried() {
        for raw in [
            "2002:7f00:1::",
            "::ffff:0:127.0.0.1",
            "fec0::1",
            "64:ff9b::10.0.0.1",
            "64:ff9b:1::1",
            "2001:0:4136:e378:8000:63bf:80ff:fffe",
            "::1",
            "::",
            "fd00:ec2::254",
        ] {
            let ip: IpAddr = raw.parse().unwrap();
            assert!(forbidden_reason(ip).is_some(), "{raw} must be refused");
        }
        for ok in ["2a00:1450:4001:80b::200e", "8.8.8.8", "2002:0808:0808::1"] {
            let ip: IpAddr = ok.parse().unwrap();
            assert_eq!(forbidden_reason(ip), None, "{ok}");
        }
    }

    #[test]
    fn names_that_mean_this_machine() {
        for name in [
            "localhost",
            "LOCALHOST.",
            "localhost.localdomain",
            "foo.localhost",
            "a.b.localhost.",
        ] {
            assert_eq!(forbidden_host_name(name), Some(LOOPBACK), "{name}");
        }
        for name in ["localhost.example.com", "notlocalhost", "shop.example"] {
            assert_eq!(forbidden_host_name(name), None, "{name}");
        }
    }
}

//! The SSRF guard: subscribers choose the URLs the relay POSTs to, so without it anyone who may
//! subscribe could make the relay call its own admin ports, the cluster network or the cloud
//! metadata service.
//!
//! Targets are checked twice. `check_url` refuses a forbidden URL at subscribe time, with a
//! message the caller can act on. `GuardedResolver` is the HTTP client's resolver: it hands the
//! client only allowed addresses and the client connects to exactly those, so a name that
//! resolved to a public address at subscribe time and to an internal one later (DNS rebinding)
//! is still refused. IP literals never reach a resolver and are checked by the sender itself.

use std::error::Error;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::{Host, Url};

/// Why `ip` may not be a delivery target, or `None` when it may.
pub fn forbidden_reason(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(ip) => forbidden_v4(ip),
        IpAddr::V6(ip) => forbidden_v6(ip),
    }
}

fn forbidden_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    let reason = match (a, b, c) {
        _ if ip.is_unspecified() => "unspecified",
        (0, ..) => "\"this network\" (0.0.0.0/8)",
        (127, ..) => "loopback",
        (10, ..) | (172, 16..=31, _) | (192, 168, _) => "private",
        // AWS, GCP, Azure, OpenStack (169.254.169.254) and ECS task metadata (169.254.170.2).
        _ if ip == Ipv4Addr::new(169, 254, 169, 254) || ip == Ipv4Addr::new(169, 254, 170, 2) => {
            "cloud metadata"
        }
        (169, 254, _) => "link-local",
        (100, 64..=127, _) => "shared address space (CGNAT)",
        (192, 0, 2) | (198, 51, 100) | (203, 0, 113) => "documentation",
        (198, 18..=19, _) => "benchmarking",
        (192, 0, 0) | (192, 88, 99) => "reserved",
        (224..=239, ..) => "multicast",
        _ if ip.is_broadcast() => "broadcast",
        (240..=255, ..) => "reserved",
        _ => return None,
    };
    Some(reason)
}

fn forbidden_v6(ip: Ipv6Addr) -> Option<&'static str> {
    let segments = ip.segments();
    if ip.is_unspecified() {
        return Some("unspecified");
    }
    if ip.is_loopback() {
        return Some("loopback");
    }
    if let Some(embedded) = embedded_v4(ip) {
        return forbidden_v4(embedded);
    }
    let reason = match segments {
        // AWS metadata over IPv6.
        [0xfd00, 0x0ec2, 0, 0, 0, 0, 0, 0x0254] => "cloud metadata",
        [s, ..] if s & 0xffc0 == 0xfe80 => "link-local",
        [s, ..] if s & 0xffc0 == 0xfec0 => "site-local",
        [s, ..] if s & 0xfe00 == 0xfc00 => "unique-local",
        [s, ..] if s & 0xff00 == 0xff00 => "multicast",
        [0x2001, 0x0db8, ..] | [0x3fff, 0..=0x0fff, ..] => "documentation",
        [0x0100, 0, 0, 0, ..] => "reserved",
        _ => return None,
    };
    Some(reason)
}

/// The IPv4 address an IPv6 address stands for, where the network would deliver to it:
/// IPv4-mapped (`::ffff:a.b.c.d`), IPv4-translated (`::ffff:0:a.b.c.d`), IPv4-compatible
/// (`::a.b.c.d`), NAT64 (`64:ff9b::/96`, `64:ff9b:1::/48`) and 6to4 (`2002:AABB:CCDD::/48`).
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let low = |hi: u16, lo: u16| Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
    match s {
        [0, 0, 0, 0, 0, 0xffff, hi, lo]
        | [0, 0, 0, 0, 0xffff, 0, hi, lo]
        | [0, 0, 0, 0, 0, 0, hi, lo]
        | [0x0064, 0xff9b, 0, 0, 0, 0, hi, lo]
        | [0x0064, 0xff9b, 0x0001, _, _, _, hi, lo] => Some(low(hi, lo)),
        [0x2002, hi, lo, ..] => Some(low(hi, lo)),
        _ => None,
    }
}

/// Refuses `url` when it is not an http(s) URL or when any address its host resolves to is
/// forbidden. With `allow_private` every well-formed http(s) URL is accepted without DNS.
pub async fn check_url(url: &str, allow_private: bool) -> Result<(), String> {
    let parsed = Url::parse(url).map_err(|error| format!("the URL is not valid: {error}"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err("the URL must use http or https".to_string());
    }
    let port = parsed
        .port_or_known_default()
        .ok_or_else(|| "the URL has no port".to_string())?;
    let host = parsed
        .host()
        .ok_or_else(|| "the URL has no host".to_string())?;
    if allow_private {
        return Ok(());
    }
    let addresses: Vec<IpAddr> = match host {
        Host::Ipv4(ip) => vec![IpAddr::V4(ip)],
        Host::Ipv6(ip) => vec![IpAddr::V6(ip)],
        Host::Domain(name) => tokio::net::lookup_host((name, port))
            .await
            .map_err(|_| format!("the host {name} does not resolve"))?
            .map(|address| address.ip())
            .collect(),
    };
    if addresses.is_empty() {
        return Err("the host resolves to no address".to_string());
    }
    match addresses.into_iter().find_map(forbidden_reason) {
        Some(class) => Err(format!(
            "the host resolves to a {class} address; internal targets are not allowed"
        )),
        None => Ok(()),
    }
}

/// The HTTP client's DNS resolver: resolves with the system resolver and passes on only allowed
/// addresses (all of them with `allow_private`).
#[derive(Debug, Clone, Copy)]
pub struct GuardedResolver {
    pub allow_private: bool,
}

/// The resolver's error when every address of a host is forbidden; the sender finds it in the
/// error chain and reports the attempt as refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForbiddenTarget {
    /// The class of the first forbidden address, as `forbidden_reason` names it.
    pub class: &'static str,
}

impl fmt::Display for ForbiddenTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the target resolves to a {} address", self.class)
    }
}

impl Error for ForbiddenTarget {}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        let host = name.as_str().to_string();
        Box::pin(async move {
            // Port 0: reqwest puts the URL's port in.
            let resolved: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let (allowed, refused) = allowed_addresses(resolved, allow_private);
            match refused {
                Some(class) if allowed.is_empty() => Err(ForbiddenTarget { class }.into()),
                _ => Ok(Box::new(allowed.into_iter()) as Addrs),
            }
        })
    }
}

/// The allowed addresses, and the class of the first forbidden one.
fn allowed_addresses(
    resolved: Vec<SocketAddr>,
    allow_private: bool,
) -> (Vec<SocketAddr>, Option<&'static str>) {
    if allow_private {
        return (resolved, None);
    }
    let mut refused = None;
    let allowed = resolved
        .into_iter()
        .filter(|address| match forbidden_reason(address.ip()) {
            Some(class) => {
                refused.get_or_insert(class);
                false
            }
            None => true,
        })
        .collect();
    (allowed, refused)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reason(ip: &str) -> Option<&'static str> {
        forbidden_reason(ip.parse().expect("an IP address"))
    }

    fn assert_class(class: &str, ips: &[&str]) {
        for ip in ips {
            assert_eq!(reason(ip), Some(class), "{ip}");
        }
    }

    #[test]
    fn public_addresses_pass() {
        for ip in [
            "8.8.8.8",
            "1.1.1.1",
            "93.184.216.34",
            "172.15.255.255",
            "172.32.0.1",
            "100.63.255.255",
            "100.128.0.0",
            "169.253.255.255",
            "198.17.255.255",
            "223.255.255.255",
            "2606:4700::1111",
            "2001:4860:4860::8888",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
            "2002:808:808::1",
        ] {
            assert_eq!(reason(ip), None, "{ip}");
        }
    }

    #[test]
    fn loopback_and_unspecified() {
        assert_class("loopback", &["127.0.0.1", "127.255.255.254", "::1"]);
        assert_class("unspecified", &["0.0.0.0", "::"]);
        assert_class("\"this network\" (0.0.0.0/8)", &["0.1.2.3"]);
    }

    #[test]
    fn private_ranges() {
        assert_class(
            "private",
            &[
                "10.0.0.1",
                "10.255.255.255",
                "172.16.0.1",
                "172.31.255.255",
                "192.168.1.1",
            ],
        );
    }

    #[test]
    fn link_local_and_metadata() {
        assert_class("link-local", &["169.254.0.1", "169.254.169.253", "fe80::1"]);
        assert_class("link-local", &["febf:ffff::1"]);
        assert_class(
            "cloud metadata",
            &["169.254.169.254", "169.254.170.2", "fd00:ec2::254"],
        );
        assert_class("site-local", &["fec0::1"]);
    }

    #[test]
    fn cgnat_and_unique_local() {
        assert_class(
            "shared address space (CGNAT)",
            &["100.64.0.1", "100.127.255.255"],
        );
        assert_class(
            "unique-local",
            &["fc00::1", "fd12:3456::1", "fd00:ec2::253"],
        );
    }

    #[test]
    fn multicast_broadcast_and_reserved() {
        assert_class("multicast", &["224.0.0.1", "239.255.255.250", "ff02::1"]);
        assert_class("broadcast", &["255.255.255.255"]);
        assert_class("reserved", &["240.0.0.1", "255.255.255.254", "192.0.0.170"]);
        assert_class("reserved", &["100::1"]);
        assert_class("benchmarking", &["198.18.0.1", "198.19.255.255"]);
    }

    #[test]
    fn documentation_ranges() {
        assert_class(
            "documentation",
            &[
                "192.0.2.1",
                "198.51.100.7",
                "203.0.113.255",
                "2001:db8::1",
                "3fff::1",
            ],
        );
    }

    #[test]
    fn ipv6_embeddings_are_classified_by_their_ipv4() {
        assert_class(
            "private",
            &["::ffff:10.0.0.1", "::ffff:0:10.0.0.1", "::10.0.0.1"],
        );
        assert_class("loopback", &["::ffff:127.0.0.1", "::127.0.0.1"]);
        assert_class("cloud metadata", &["::ffff:169.254.169.254"]);
        assert_class("private", &["64:ff9b::a00:1", "64:ff9b:1::a00:1"]);
        assert_class("private", &["2002:c0a8:101::1"]);
        assert_class("loopback", &["2002:7f00:1::"]);
    }

    #[tokio::test]
    async fn check_url_refuses_internal_targets_and_names_the_class() {
        let cases = [
            ("http://127.0.0.1:8080/hook", "loopback"),
            ("http://[::1]/hook", "loopback"),
            ("http://localhost:8080/hook", "loopback"),
            ("https://169.254.169.254/latest/meta-data", "cloud metadata"),
            ("http://10.1.2.3/", "private"),
            ("http://[::ffff:192.168.0.1]/", "private"),
            // The URL parser normalises odd IPv4 spellings, so they are caught too.
            ("http://0x7f.1/", "loopback"),
            ("http://2130706433/", "loopback"),
        ];
        for (url, class) in cases {
            let error = check_url(url, false).await.expect_err(url);
            assert!(error.contains(class), "{url}: {error}");
        }
    }

    #[tokio::test]
    async fn check_url_accepts_public_literals_and_everything_when_allowed() {
        assert_eq!(check_url("https://8.8.8.8/hook", false).await, Ok(()));
        assert_eq!(check_url("http://[2606:4700::1111]/", false).await, Ok(()));
        for url in [
            "http://127.0.0.1:8080/hook",
            "http://localhost/",
            "http://169.254.169.254/",
        ] {
            assert_eq!(check_url(url, true).await, Ok(()), "{url}");
        }
    }

    #[tokio::test]
    async fn check_url_refuses_malformed_urls() {
        for url in ["not a url", "ftp://example.com/", "file:///etc/passwd", ""] {
            assert!(check_url(url, true).await.is_err(), "{url}");
        }
    }

    #[tokio::test]
    async fn check_url_refuses_names_that_do_not_resolve() {
        let error = check_url("http://no-such-host.invalid/", false)
            .await
            .expect_err("unresolvable");
        assert!(error.contains("does not resolve"), "{error}");
    }

    #[test]
    fn only_allowed_addresses_are_passed_on() {
        let address = |s: &str| s.parse::<SocketAddr>().expect("a socket address");
        let mixed = vec![
            address("10.0.0.1:0"),
            address("8.8.8.8:0"),
            address("[::1]:0"),
        ];
        assert_eq!(
            allowed_addresses(mixed.clone(), false),
            (vec![address("8.8.8.8:0")], Some("private"))
        );
        assert_eq!(allowed_addresses(mixed.clone(), true), (mixed, None));
    }

    #[tokio::test]
    async fn the_resolver_refuses_a_name_with_only_forbidden_addresses() {
        let name: Name = "localhost".parse().expect("a host name");
        let result = GuardedResolver {
            allow_private: false,
        }
        .resolve(name)
        .await;
        let error = result.err().expect("localhost is refused");
        let refused = error.downcast_ref::<ForbiddenTarget>().expect("a refusal");
        assert_eq!(refused.class, "loopback");

        let name: Name = "localhost".parse().expect("a host name");
        let allowed = GuardedResolver {
            allow_private: true,
        }
        .resolve(name)
        .await
        .expect("allowed");
        assert!(allowed.into_iter().all(|a| a.ip().is_loopback()));
    }
}

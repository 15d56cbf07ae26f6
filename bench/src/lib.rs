//! Small helpers shared by the benchmark binaries: argument parsing, FlexOps signing, histograms.

use std::collections::HashMap;

use hdrhistogram::Histogram;
use hmac::{Hmac, KeyInit, Mac};

/// `--name value` pairs and bare `--flag`s. Unknown names are an error at lookup time only if the
/// binary asks for them, so each binary documents its own options in its `USAGE`.
pub struct Args {
    values: HashMap<String, String>,
    flags: Vec<String>,
    usage: &'static str,
}

impl Args {
    /// `flags` lists the options that take no value.
    pub fn parse(usage: &'static str, flags: &[&str]) -> Args {
        let mut values = HashMap::new();
        let mut seen_flags = Vec::new();
        let mut it = std::env::args().skip(1);
        while let Some(arg) = it.next() {
            if arg == "-h" || arg == "--help" {
                println!("{usage}");
                std::process::exit(0);
            }
            let Some(name) = arg.strip_prefix("--") else {
                die(usage, &format!("unexpected argument {arg:?}"));
            };
            if flags.contains(&name) {
                seen_flags.push(name.to_string());
                continue;
            }
            let (name, value) = match name.split_once('=') {
                Some((n, v)) => (n.to_string(), v.to_string()),
                None => match it.next() {
                    Some(v) => (name.to_string(), v),
                    None => die(usage, &format!("--{name} needs a value")),
                },
            };
            values.insert(name, value);
        }
        Args {
            values,
            flags: seen_flags,
            usage,
        }
    }

    pub fn flag(&self, name: &str) -> bool {
        self.flags.iter().any(|f| f == name)
    }

    pub fn opt(&self, name: &str) -> Option<String> {
        self.values.get(name).cloned()
    }

    pub fn req(&self, name: &str) -> String {
        self.opt(name)
            .unwrap_or_else(|| die(self.usage, &format!("--{name} is required")))
    }

    pub fn num<T: std::str::FromStr>(&self, name: &str, default: T) -> T {
        match self.values.get(name) {
            None => default,
            Some(v) => v
                .parse()
                .unwrap_or_else(|_| die(self.usage, &format!("--{name}: not a number: {v:?}"))),
        }
    }
}

fn die(usage: &str, msg: &str) -> ! {
    eprintln!("error: {msg}\n\n{usage}");
    std::process::exit(2)
}

/// Lower-case hex HMAC-SHA256 of `body` keyed with the whole `secret` string (the FlexOps scheme).
pub fn sign_hex(secret: &[u8], body: &[u8]) -> String {
    let mut mac = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(secret).expect("any key length");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

/// Latency histogram in microseconds, 1 us to 60 s, 3 significant digits.
pub fn new_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 60_000_000, 3).expect("valid bounds")
}

/// Quantile of a microsecond histogram, in milliseconds (0 when empty).
pub fn q_ms(h: &Histogram<u64>, q: f64) -> f64 {
    if h.is_empty() {
        return 0.0;
    }
    (h.value_at_quantile(q) as f64 / 1000.0 * 1000.0).round() / 1000.0
}

/// A FlexOps `tracking.updated` webhook body (the shape of tests/fixtures/flexops), with `id`.
/// A FlexOps tracking webhook; its 22-digit tracking number follows from `id`, so distinct ids
/// are distinct shipments (and spread over shiprelay's partitions, as real traffic does).
pub fn flexops_body(id: &str) -> String {
    let hash = id
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
    flexops_body_for(id, hash % 100_000_000_000_000)
}

/// The same webhook for shipment number `shipment` (its tracking number), whatever its `id`.
pub fn flexops_body_for(id: &str, shipment: u64) -> String {
    let tracking = format!("94001118{shipment:014}");
    format!(
        r#"{{"id":"{id}","type":"tracking.updated","createdAt":"2026-03-10T14:30:00Z","data":{{"trackingNumber":"{tracking}","carrier":"usps","status":"in_transit","estimatedDelivery":"2026-03-12T17:00:00Z","events":[{{"status":"in_transit","description":"Arrived at USPS Regional Facility","timestamp":"2026-03-10T14:28:00Z","location":{{"city":"Salt Lake City","state":"UT","country":"US"}}}}]}}}}"#
    )
}

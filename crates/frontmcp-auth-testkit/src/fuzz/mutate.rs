//! Mutations: a template becomes wire bytes with one to three changes to its method, path,
//! parameters, encodings, headers, lengths or body, chosen by a seeded generator so that a run
//! is repeatable from its seed.

use serde_json::{Value, json};

use super::wire::{Body, Template, Wire};

/// A small seeded generator (xorshift64*): the same seed, the same requests.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator for `seed` (any value, zero included).
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15 | 1)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number below `n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    /// One of `items`.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next_u64() as u8).collect()
    }

    /// Up to `max` random bytes.
    fn some_bytes(&mut self, max: usize) -> Vec<u8> {
        let len = self.below(max);
        self.bytes(len)
    }
}

/// Values that have broken parsers before.
const PAYLOADS: &[&str] = &[
    "",
    " ",
    "0",
    "-1",
    "18446744073709551616",
    "1e309",
    "NaN",
    "null",
    "true",
    "[]",
    "{}",
    "%",
    "%ZZ",
    "%C0%AF",
    "%00",
    "\u{0}",
    "\r\nSet-Cookie: injected=1",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
    "\u{202e}gnp.exe",
    "<script>alert(1)</script>",
    "' OR '1'='1",
    "${jndi:ldap://127.0.0.1/x}",
    "../../../../etc/passwd",
    "javascript:alert(1)",
    "http://127.0.0.1:1/evil",
    "https://example.com/callback#frag",
    "data:text/html,hi",
    "a b",
    "S256",
    "plain",
    "authorization_code",
    "refresh_token",
    "client_credentials",
    "Bearer",
    "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.",
];

const METHODS: &[&str] = &[
    "GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "TRACE", "CONNECT", "FOO", "get",
    "G\tET",
];

const CONTENT_TYPES: &[&str] = &[
    "application/x-www-form-urlencoded",
    "application/json",
    "application/json; charset=utf-16",
    "text/plain",
    "multipart/form-data; boundary=x",
    "application/x-www-form-urlencoded; charset=latin1",
    "",
    "*/*",
    "application/jwt",
];

fn payload(rng: &mut Rng) -> String {
    match rng.below(6) {
        0 => "A".repeat(1 << rng.below(17)),
        1 => String::from_utf8_lossy(&rng.some_bytes(64)).into_owned(),
        2 => format!("{}", rng.next_u64()),
        _ => (*rng.pick(PAYLOADS)).to_owned(),
    }
}

/// A JSON value of the wrong shape, or a deep or wide one.
fn json_payload(rng: &mut Rng) -> Value {
    match rng.below(8) {
        0 => json!(rng.next_u64()),
        1 => json!(-1.5e300),
        2 => Value::Null,
        3 => json!([payload(rng), payload(rng)]),
        4 => json!({"nested": {"deeper": payload(rng)}}),
        5 => json!(true),
        6 => Value::Array(vec![json!(1); 1 + rng.below(20_000)]),
        _ => json!(payload(rng)),
    }
}

fn mutate_pairs(rng: &mut Rng, pairs: &mut Vec<(String, String)>) {
    let n = pairs.len();
    match rng.below(7) {
        0 if n > 0 => {
            pairs.remove(rng.below(n));
        }
        1 if n > 0 => {
            let pair = pairs[rng.below(n)].clone();
            pairs.push(pair);
        }
        2 if n > 0 => {
            let i = rng.below(n);
            pairs[i].1 = payload(rng);
        }
        3 if n > 0 => {
            let i = rng.below(n);
            pairs[i].0 = payload(rng);
        }
        4 => {
            for i in 0..rng.below(2_000) {
                pairs.push((format!("p{i}"), payload(rng)));
            }
        }
        5 if n > 0 => {
            let i = rng.below(n);
            pairs[i].1.push_str(&payload(rng));
        }
        _ => pairs.push((payload(rng), payload(rng))),
    }
}

fn mutate_json(rng: &mut Rng, value: &mut Value) {
    match value {
        Value::Object(map) if !map.is_empty() && rng.below(4) > 0 => {
            let keys: Vec<String> = map.keys().cloned().collect();
            let key = rng.pick(&keys).clone();
            match rng.below(3) {
                0 => {
                    map.remove(&key);
                }
                1 => {
                    map.insert(key, json_payload(rng));
                }
                _ => {
                    if let Some(inner) = map.get_mut(&key) {
                        mutate_json(rng, inner);
                    }
                }
            }
        }
        Value::Array(items) if !items.is_empty() && rng.below(2) == 0 => {
            let i = rng.below(items.len());
            mutate_json(rng, &mut items[i]);
        }
        _ => *value = json_payload(rng),
    }
}

/// A body nested `depth` levels deep.
fn deep(depth: usize) -> Vec<u8> {
    let mut out = vec![b'['; depth];
    out.extend(std::iter::repeat_n(b']', depth));
    out
}

/// How a template is changed before it is encoded.
fn mutate_template(rng: &mut Rng, template: &mut Template) {
    match rng.below(10) {
        0 => template.method = (*rng.pick(METHODS)).to_owned(),
        1 => mutate_pairs(rng, &mut template.query),
        2 => match rng.below(5) {
            0 => template.path.push_str("/x"),
            1 => template.path = format!("{}/..%2f..%2f", template.path),
            2 => template.path = template.path.replace('/', "//"),
            3 => template.path.push_str("%00"),
            _ => template.path = format!("/{}", "a/".repeat(rng.below(3_000))),
        },
        3 => {
            let n = template.headers.len();
            match rng.below(3) {
                0 if n > 0 => {
                    template.headers.remove(rng.below(n));
                }
                1 if n > 0 => {
                    let i = rng.below(n);
                    template.headers[i].1 = payload(rng).replace(['\r', '\n'], "");
                }
                _ => template.headers.push((
                    (*rng.pick(&[
                        "authorization",
                        "cookie",
                        "mcp-session-id",
                        "origin",
                        "x-forwarded-for",
                        "mcp-protocol-version",
                        "accept",
                        "last-event-id",
                    ]))
                    .to_owned(),
                    payload(rng).replace(['\r', '\n'], ""),
                )),
            }
        }
        _ => match &mut template.body {
            Body::Form(pairs) => mutate_pairs(rng, pairs),
            Body::Json(value) => mutate_json(rng, value),
            Body::Raw(bytes) => bytes.extend(rng.some_bytes(64)),
            Body::Empty => template.body = Body::Form(vec![(payload(rng), payload(rng))]),
        },
    }
}

fn encode_pairs(pairs: &[(String, String)]) -> String {
    let mut serializer = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        serializer.append_pair(k, v);
    }
    serializer.finish()
}

/// `template` with one to three mutations, encoded for `host`; the wire form may be changed
/// further (raw bytes, lengths, encodings).
pub fn mutate(rng: &mut Rng, template: &Template, host: &str) -> Wire {
    let mut template = template.clone();
    for _ in 0..=rng.below(3) {
        mutate_template(rng, &mut template);
    }
    let (content_type, mut body) = match &template.body {
        Body::Empty => (None, Vec::new()),
        Body::Form(pairs) => (
            Some("application/x-www-form-urlencoded"),
            encode_pairs(pairs).into_bytes(),
        ),
        Body::Json(value) => (Some("application/json"), value.to_string().into_bytes()),
        Body::Raw(bytes) => (None, bytes.clone()),
    };
    let mut target = template.path.clone().into_bytes();
    if !template.query.is_empty() {
        target.push(b'?');
        target.extend(encode_pairs(&template.query).into_bytes());
    }
    let mut headers: Vec<(Vec<u8>, Vec<u8>)> = vec![(b"host".to_vec(), host.as_bytes().to_vec())];
    if let Some(content_type) = content_type {
        headers.push((b"content-type".to_vec(), content_type.as_bytes().to_vec()));
    }
    headers.extend(
        template
            .headers
            .iter()
            .map(|(k, v)| (k.as_bytes().to_vec(), v.as_bytes().to_vec())),
    );
    // The declared length: the body's own unless a mutation below declares a shorter one or
    // none (never a longer one: the server would rightly wait for the rest).
    let mut length = Some(usize::MAX);
    let mut half_close = false;
    // Changes below the parameter level: encodings, lengths, raw bytes.
    if rng.below(3) == 0 {
        match rng.below(12) {
            0 => body.truncate(rng.below(body.len() + 1)),
            1 => body = rng.some_bytes(4_096),
            2 => body = deep(1 + rng.below(100_000)),
            3 => {
                let at = rng.below(body.len() + 1);
                body.splice(
                    at..at,
                    rng.pick(&[&b"%"[..], b"%ZZ", b"\xff\xfe", b"\x00", b"&&&", b"=="])
                        .iter()
                        .copied(),
                );
            }
            4 => length = Some(body.len().saturating_sub(1 + rng.below(100))),
            5 if rng.below(2) == 0 => length = None,
            5 => {
                // A client that declares more than it sends, then leaves.
                half_close = true;
                length = Some(body.len() + 1 + rng.below(100));
            }
            6 => {
                headers.retain(|(k, _)| k != b"content-type");
                headers.push((
                    b"content-type".to_vec(),
                    rng.pick(CONTENT_TYPES).as_bytes().to_vec(),
                ));
            }
            7 => {
                length = None;
                headers.push((b"transfer-encoding".to_vec(), b"chunked".to_vec()));
                let size = body.len().saturating_sub(rng.below(3));
                let mut chunked = format!("{size:x}\r\n").into_bytes();
                chunked.extend(&body);
                chunked.extend(b"\r\n0\r\n\r\n");
                body = chunked;
            }
            8 => target.extend(
                rng.pick(&[
                    &b"%"[..],
                    b"%ff",
                    b"\xc3\x28",
                    b"#frag",
                    b"?a=1&a=2",
                    b"%2e%2e/",
                ])
                .iter()
                .copied(),
            ),
            9 => headers.push((b"x-big".to_vec(), vec![b'a'; 1 << (10 + rng.below(8))])),
            10 => {
                let i = rng.below(headers.len());
                let header = headers[i].clone();
                headers.push(header);
            }
            _ => headers.push((rng.bytes(8), rng.bytes(8))),
        }
    }
    if let Some(length) = length {
        let length = if half_close {
            length
        } else {
            length.min(body.len())
        };
        headers.push((b"content-length".to_vec(), length.to_string().into_bytes()));
    }
    headers.push((b"connection".to_vec(), b"close".to_vec()));
    Wire {
        method: template.method.into_bytes(),
        target,
        headers,
        body,
        half_close,
    }
}

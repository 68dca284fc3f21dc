//! The little DER this crate needs: RSA private keys (PKCS#1) inside PKCS#8, read and written
//! as their integer components.

const SEQUENCE: u8 = 0x30;
const INTEGER: u8 = 0x02;
const OCTET_STRING: u8 = 0x04;

/// One TLV: its tag, its value, and what follows it.
fn read_tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 4 || rest.len() < count {
            return None;
        }
        let len = rest[..count]
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        (len, &rest[count..])
    };
    if rest.len() < len {
        return None;
    }
    Some((tag, &rest[..len], &rest[len..]))
}

/// The integers of a `SEQUENCE { INTEGER, ... }`, as unsigned big-endian bytes without
/// leading zeros.
pub(crate) fn sequence_integers(input: &[u8]) -> Option<Vec<Vec<u8>>> {
    let (tag, mut body, _) = read_tlv(input)?;
    if tag != SEQUENCE {
        return None;
    }
    let mut out = Vec::new();
    while !body.is_empty() {
        let (tag, value, rest) = read_tlv(body)?;
        if tag != INTEGER {
            return None;
        }
        let start = value
            .iter()
            .position(|b| *b != 0)
            .unwrap_or(value.len().saturating_sub(1));
        out.push(value[start..].to_vec());
        body = rest;
    }
    Some(out)
}

/// The PKCS#1 `RSAPrivateKey` inside a PKCS#8 `PrivateKeyInfo`.
pub(crate) fn pkcs1_from_pkcs8(pkcs8: &[u8]) -> Option<&[u8]> {
    let (tag, body, _) = read_tlv(pkcs8)?;
    if tag != SEQUENCE {
        return None;
    }
    let (_, _, rest) = read_tlv(body)?;
    let (_, _, rest) = read_tlv(rest)?;
    let (tag, key, _) = read_tlv(rest)?;
    (tag == OCTET_STRING).then_some(key)
}

fn write_len(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        out.push(u8::try_from(len).unwrap_or(0));
        return;
    }
    let bytes: Vec<u8> = len
        .to_be_bytes()
        .into_iter()
        .skip_while(|b| *b == 0)
        .collect();
    out.push(0x80 | u8::try_from(bytes.len()).unwrap_or(0));
    out.extend(bytes);
}

fn write_integer(out: &mut Vec<u8>, unsigned: &[u8]) {
    let start = unsigned
        .iter()
        .position(|b| *b != 0)
        .unwrap_or(unsigned.len());
    let trimmed = &unsigned[start..];
    let pad = trimmed.first().is_none_or(|b| b & 0x80 != 0);
    out.push(INTEGER);
    write_len(out, trimmed.len() + usize::from(pad));
    if pad {
        out.push(0);
    }
    out.extend_from_slice(trimmed);
}

/// A PKCS#1 `RSAPrivateKey` (version 0) from its eight components
/// `n, e, d, p, q, dp, dq, qi` as unsigned big-endian bytes.
pub(crate) fn pkcs1_rsa_private_key(components: &[&[u8]; 8]) -> Vec<u8> {
    let mut body = Vec::new();
    write_integer(&mut body, &[0]);
    for component in components {
        write_integer(&mut body, component);
    }
    let mut out = vec![SEQUENCE];
    write_len(&mut out, body.len());
    out.extend(body);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rsa_components_round_trip() {
        let big = vec![0xffu8; 300];
        let components: [&[u8]; 8] = [
            &big,
            &[1, 0, 1],
            &[0x80, 1],
            &[7],
            &[0],
            &[1, 2],
            &[3],
            &[4],
        ];
        let der = pkcs1_rsa_private_key(&components);
        let read = sequence_integers(&der).expect("parses");
        assert_eq!(read.len(), 9);
        assert_eq!(read[1], big);
        assert_eq!(read[3], [0x80, 1]);
        assert_eq!(read[5], [0]);
    }

    #[test]
    fn truncated_input_is_refused() {
        assert!(sequence_integers(&[0x30, 0x05, 0x02, 0x01]).is_none());
        assert!(pkcs1_from_pkcs8(&[0x30]).is_none());
        assert!(read_tlv(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]).is_none());
    }
}

//! Percent-encoding of W3C baggage values.
//!
//! On the wire a value may hold only `baggage-octet`s: printable ASCII
//! except space, `"`, `,`, `;` and `\`. Everything else is percent-encoded
//! (RFC 3986, uppercase hex, UTF-8 bytes), and so are two octets the W3C
//! grammar allows: `%`, which the spec requires so that decoding is exact,
//! and `+`, which a peer decoding with HTML form rules would read as a
//! space.

/// W3C `baggage-octet`: printable ASCII except space, `"`, `,`, `;`, `\`.
pub(super) fn is_baggage_octet(b: u8) -> bool {
    matches!(b, 0x21 | 0x23..=0x2b | 0x2d..=0x3a | 0x3c..=0x5b | 0x5d..=0x7e)
}

/// Octets sent as they are.
fn is_plain(b: u8) -> bool {
    is_baggage_octet(b) && b != b'%' && b != b'+'
}

/// Appends `value`, encoded, to `out`.
pub(super) fn encode(value: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for b in value.bytes() {
        if is_plain(b) {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0xf)]));
        }
    }
}

/// Bytes that `encode` writes for `value`.
pub(super) fn encoded_len(value: &str) -> usize {
    value.bytes().map(|b| if is_plain(b) { 1 } else { 3 }).sum()
}

/// Percent-decodes, as the W3C text says: `%XX` is the byte `XX`, and
/// decoded bytes that are not UTF-8 become U+FFFD. `+` is a plus sign (no
/// form rules). A `%` not followed by two hex digits stays as it is.
pub(super) fn decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| char::from(b).to_digit(16).map(|d| d as u8);
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(hi), Some(lo)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push(hi << 4 | lo);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_table() {
        // (value, its encoding)
        let cases = [
            (
                "plain-Value_1.~!#$&'()*/:<=>?@[]^`{|}",
                "plain-Value_1.~!#$&'()*/:<=>?@[]^`{|}",
            ),
            ("a+b", "a%2Bb"),
            ("a b", "a%20b"),
            ("100%", "100%25"),
            ("a,b;c", "a%2Cb%3Bc"),
            ("\"q\"\\", "%22q%22%5C"),
            ("caf\u{e9}", "caf%C3%A9"),
            ("\u{1f680}", "%F0%9F%9A%80"),
            ("tab\tnl\n", "tab%09nl%0A"),
            ("", ""),
        ];
        for (value, encoded) in cases {
            let mut out = String::new();
            encode(value, &mut out);
            assert_eq!(out, encoded, "{value:?}");
            assert_eq!(encoded_len(value), encoded.len(), "{value:?}");
            assert_eq!(decode(&out), value, "{value:?}");
        }
    }

    #[test]
    fn decode_table() {
        // (wire text, decoded value)
        let cases = [
            ("a%20b", "a b"),
            ("a+b", "a+b"),
            ("a%2bb", "a+b"),
            ("100%", "100%"),
            ("%zz", "%zz"),
            ("%4", "%4"),
            ("%C3%A9", "\u{e9}"),
            ("%FF", "\u{fffd}"),
            ("a%C3b", "a\u{fffd}b"),
            ("%E2%82", "\u{fffd}"),
        ];
        for (wire, decoded) in cases {
            assert_eq!(decode(wire), decoded, "{wire:?}");
        }
    }
}

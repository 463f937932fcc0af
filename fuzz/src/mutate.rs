//! Input mutation for the stable runner: byte edits, dictionary tokens, splices of two
//! inputs, and edits of the JSON tree when the input parses as JSON.

use serde_json::Value;

/// A small deterministic generator (xorshift64*), so that a run is repeatable from its seed.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// Creates a generator; a zero seed is replaced, because xorshift would stay at zero.
    pub fn new(seed: u64) -> Self {
        Self(if seed == 0 {
            0x9e37_79b9_7f4a_7c15
        } else {
            seed
        })
    }

    /// Returns the next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Returns a number in `0..bound`; `bound` must not be zero.
    pub fn below(&mut self, bound: usize) -> usize {
        (self.next_u64() % bound as u64) as usize
    }

    /// Returns true with probability `1 / n`.
    pub fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }
}

/// Byte values that often sit on a parser's edge cases.
const INTERESTING_BYTES: &[u8] = &[
    0x00, 0x01, 0x7f, 0x80, 0xff, b'"', b'\\', b'{', b'}', b'[', b']', b',', b':', b'.', b'-',
    b'e', b'0', b'9', b'_', b'Z', b' ',
];

/// Mutates `input` in place with one to four edits, keeping it at most `max_len` bytes.
/// `other` is a second input for splicing; `dictionary` contains tokens to insert.
pub fn mutate(
    rng: &mut Rng,
    input: &mut Vec<u8>,
    other: &[u8],
    dictionary: &[&str],
    max_len: usize,
) {
    if rng.one_in(4) && mutate_json(rng, input, dictionary) {
        input.truncate(max_len);
        return;
    }
    let edits = 1 + rng.below(4);
    for _ in 0..edits {
        edit_bytes(rng, input, other, dictionary);
    }
    input.truncate(max_len);
}

fn edit_bytes(rng: &mut Rng, input: &mut Vec<u8>, other: &[u8], dictionary: &[&str]) {
    let len = input.len();
    match rng.below(9) {
        // Flip one bit.
        0 if len > 0 => {
            let at = rng.below(len);
            input[at] ^= 1 << rng.below(8);
        }
        // Overwrite a byte with an interesting value.
        1 if len > 0 => {
            let at = rng.below(len);
            input[at] = INTERESTING_BYTES[rng.below(INTERESTING_BYTES.len())];
        }
        // Insert a byte.
        2 => {
            let at = rng.below(len + 1);
            input.insert(at, INTERESTING_BYTES[rng.below(INTERESTING_BYTES.len())]);
        }
        // Delete a range.
        3 if len > 0 => {
            let start = rng.below(len);
            let end = (start + 1 + rng.below(16)).min(len);
            input.drain(start..end);
        }
        // Duplicate a range, which deepens nesting and lengthens lists.
        4 if len > 0 => {
            let start = rng.below(len);
            let end = (start + 1 + rng.below(64)).min(len);
            let chunk = input[start..end].to_vec();
            let at = rng.below(input.len() + 1);
            input.splice(at..at, chunk);
        }
        // Insert or overwrite with a dictionary token.
        5 | 6 if !dictionary.is_empty() => {
            let token = dictionary[rng.below(dictionary.len())].as_bytes();
            let at = rng.below(len + 1);
            if rng.one_in(2) {
                let end = (at + token.len()).min(len);
                input.splice(at..end, token.iter().copied());
            } else {
                input.splice(at..at, token.iter().copied());
            }
        }
        // Splice: keep a prefix of this input and a suffix of the other.
        7 if !other.is_empty() => {
            let cut = rng.below(len + 1);
            let from = rng.below(other.len());
            input.truncate(cut);
            input.extend_from_slice(&other[from..]);
        }
        // Replace an ASCII digit run with an extreme number.
        _ => {
            let extremes = [
                "0",
                "-1",
                "2147483648",
                "-9223372036854775809",
                "1e400",
                "0.1",
            ];
            let token = extremes[rng.below(extremes.len())].as_bytes();
            match input.iter().position(u8::is_ascii_digit) {
                Some(at) => {
                    let end = input[at..]
                        .iter()
                        .position(|b| !b.is_ascii_digit())
                        .map_or(input.len(), |offset| at + offset);
                    input.splice(at..end, token.iter().copied());
                }
                None => input.extend_from_slice(token),
            }
        }
    }
}

/// Edits one node of the JSON tree of `input`. Returns false when `input` is not JSON.
fn mutate_json(rng: &mut Rng, input: &mut Vec<u8>, dictionary: &[&str]) -> bool {
    let Ok(mut root) = serde_json::from_slice::<Value>(input) else {
        return false;
    };
    let count = count_nodes(&root);
    let target = rng.below(count.max(1));
    let mut seen = 0;
    edit_node(rng, &mut root, target, &mut seen, dictionary);
    match serde_json::to_vec(&root) {
        Ok(bytes) => {
            *input = bytes;
            true
        }
        Err(_) => false,
    }
}

fn count_nodes(value: &Value) -> usize {
    1 + match value {
        Value::Array(items) => items.iter().map(count_nodes).sum(),
        Value::Object(members) => members.values().map(count_nodes).sum(),
        _ => 0,
    }
}

/// Walks the tree in pre-order and edits node number `target`.
fn edit_node(rng: &mut Rng, value: &mut Value, target: usize, seen: &mut usize, dict: &[&str]) {
    if *seen == target {
        *value = replacement(rng, value, dict);
        *seen += 1;
        return;
    }
    *seen += 1;
    match value {
        Value::Array(items) => {
            for item in items {
                edit_node(rng, item, target, seen, dict);
            }
        }
        Value::Object(members) => {
            for member in members.values_mut() {
                edit_node(rng, member, target, seen, dict);
            }
        }
        _ => {}
    }
}

fn replacement(rng: &mut Rng, value: &Value, dictionary: &[&str]) -> Value {
    match rng.below(8) {
        0 => Value::Null,
        1 => Value::from(i64::MAX),
        2 => Value::from(-1),
        3 => Value::String(String::new()),
        4 => Value::Array(vec![value.clone(), value.clone()]),
        5 => {
            let mut members = serde_json::Map::new();
            members.insert("@type".into(), Value::from("type.googleapis.com/x.Y"));
            members.insert("nested".into(), value.clone());
            Value::Object(members)
        }
        6 if !dictionary.is_empty() => {
            let token = dictionary[rng.below(dictionary.len())];
            serde_json::from_str(token).unwrap_or_else(|_| Value::from(token))
        }
        _ => match value {
            Value::String(text) => Value::from(text.repeat(2 + rng.below(3))),
            Value::Number(number) => Value::from(number.to_string()),
            other => Value::from(other.to_string()),
        },
    }
}

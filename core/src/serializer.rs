//! The serializers of `org.apache.kafka.common.serialization` that `key.serializer` and
//! `value.serializer` may name. Scenario keys and values are written as text, the way a
//! user types them; each serializer reads that text as its Java type would be written
//! (`Integer.parseInt`, `Long.parseLong`, `Double.parseDouble`, hex for `byte[]`) and turns
//! it into the bytes that partitioning, sizing and the wire format then use.

use crate::rng::Rng;
use std::borrow::Cow;
use std::fmt;
use std::rc::Rc;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Serializer {
    /// UTF-8 bytes of the string (`StringSerializer`, default encoding).
    String,
    /// 4 bytes, big-endian.
    Integer,
    /// 8 bytes, big-endian.
    Long,
    /// 8 bytes: the IEEE 754 bits of the double, big-endian (`Double.doubleToLongBits`).
    Double,
    /// The bytes as given (`ByteArraySerializer`).
    ByteArray,
    /// Only `null` (`VoidSerializer`): a record without key, or a tombstone value.
    Void,
}

const PACKAGE: &str = "org.apache.kafka.common.serialization.";

impl Serializer {
    pub const ALL: [Serializer; 6] = [
        Serializer::String,
        Serializer::Integer,
        Serializer::Long,
        Serializer::Double,
        Serializer::ByteArray,
        Serializer::Void,
    ];

    pub fn simple_name(self) -> &'static str {
        match self {
            Serializer::String => "StringSerializer",
            Serializer::Integer => "IntegerSerializer",
            Serializer::Long => "LongSerializer",
            Serializer::Double => "DoubleSerializer",
            Serializer::ByteArray => "ByteArraySerializer",
            Serializer::Void => "VoidSerializer",
        }
    }

    pub fn class_name(self) -> String {
        format!("{PACKAGE}{}", self.simple_name())
    }

    /// A class name as a `.properties` file gives it: fully qualified or simple.
    pub fn from_class(name: &str) -> Option<Self> {
        let simple = name.trim().strip_prefix(PACKAGE).unwrap_or(name.trim());
        Serializer::ALL
            .into_iter()
            .find(|s| s.simple_name() == simple)
    }

    /// `serialize(topic, data)`: `None` stays `None` for every serializer.
    pub fn serialize(self, text: Option<&str>) -> Result<Option<Serialized>, SerializationError> {
        let Some(text) = text else {
            return Ok(None);
        };
        let fail = |why: &str| SerializationError {
            serializer: self,
            input: text.to_string(),
            why: why.to_string(),
        };
        let bytes: Vec<u8> = match self {
            Serializer::String => text.as_bytes().to_vec(),
            Serializer::Integer => text
                .trim()
                .parse::<i32>()
                .map_err(|_| fail("not an int (Integer.parseInt)"))?
                .to_be_bytes()
                .to_vec(),
            Serializer::Long => text
                .trim()
                .parse::<i64>()
                .map_err(|_| fail("not a long (Long.parseLong)"))?
                .to_be_bytes()
                .to_vec(),
            Serializer::Double => {
                let d = crate::float::parse_f64(text.trim())
                    .ok_or_else(|| fail("not a double (Double.parseDouble)"))?;
                // doubleToLongBits folds every NaN into the canonical one.
                let bits = if d.is_nan() {
                    0x7ff8_0000_0000_0000
                } else {
                    d.to_bits()
                };
                bits.to_be_bytes().to_vec()
            }
            Serializer::ByteArray => parse_hex(text.trim()).ok_or_else(|| {
                fail("a byte[] is written as hex digits, two per byte (e.g. \"00ff1a\")")
            })?,
            Serializer::Void => {
                return Err(fail("Data should be null for a VoidSerializer."));
            }
        };
        Ok(Some(Serialized::new(bytes, text)))
    }
}

impl fmt::Display for Serializer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.simple_name())
    }
}

/// Hex digits, two per byte (what `ByteArraySerializer` input and `--hex` keys are).
pub fn parse_hex(text: &str) -> Option<Vec<u8>> {
    if text.len() % 2 != 0 {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// A key or value after serialization, with the text it was written as (what the
/// application held before `send()`, shown next to the bytes).
#[derive(Clone, Debug)]
pub struct Serialized(Repr);

#[derive(Clone, Debug)]
enum Repr {
    Written {
        bytes: Rc<[u8]>,
        /// `None` when the text is the bytes (`StringSerializer`'s UTF-8): kept once.
        text: Option<Rc<str>>,
    },
    /// A scenario's `value_bytes`: seeded random bytes, made again from the generator's
    /// state where they start whenever they are read. Most never are (only compression,
    /// the wire format and the inspectors read a value's bytes), and making and holding
    /// them was a fifth of the simulation's time.
    Random { from: Rng, len: u32, letters: bool },
}

impl Serialized {
    pub fn new(bytes: Vec<u8>, text: &str) -> Self {
        let text = (text.as_bytes() != bytes).then(|| Rc::from(text));
        Serialized(Repr::Written {
            bytes: Rc::from(bytes),
            text,
        })
    }

    /// `len` seeded random bytes, taking the draws from `rng` that making them takes
    /// (one per eight bytes). With `letters` (a `String` value) they are ASCII letters,
    /// digits, `-` and `_` (base64url's alphabet), so logs stay printable; else any byte,
    /// written as hex.
    pub fn random(rng: &mut Rng, len: u32, letters: bool) -> Self {
        let from = rng.clone();
        for _ in 0..len.div_ceil(8) {
            rng.next_u64();
        }
        Serialized(Repr::Random { from, len, letters })
    }

    pub fn bytes(&self) -> Cow<'_, [u8]> {
        match &self.0 {
            Repr::Written { bytes, .. } => Cow::Borrowed(bytes),
            Repr::Random { from, len, letters } => {
                Cow::Owned(random_bytes(from.clone(), *len, *letters))
            }
        }
    }

    /// The text the application wrote.
    pub fn text(&self) -> Cow<'_, str> {
        match &self.0 {
            Repr::Written { text: Some(t), .. } => Cow::Borrowed(t),
            Repr::Written { bytes, text: None } => {
                Cow::Borrowed(std::str::from_utf8(bytes).unwrap_or_default())
            }
            Repr::Random { from, len, letters } => {
                let bytes = random_bytes(from.clone(), *len, *letters);
                Cow::Owned(if *letters {
                    String::from_utf8(bytes).expect("letters are ASCII")
                } else {
                    hex(&bytes)
                })
            }
        }
    }

    pub fn len(&self) -> usize {
        match &self.0 {
            Repr::Written { bytes, .. } => bytes.len(),
            Repr::Random { len, .. } => *len as usize,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Equal when the bytes and the text are: a random value equals the same bytes written.
impl PartialEq for Serialized {
    fn eq(&self, other: &Self) -> bool {
        match (&self.0, &other.0) {
            (
                Repr::Random { from, len, letters },
                Repr::Random {
                    from: f,
                    len: l,
                    letters: t,
                },
            ) if (from, len, letters) == (f, l, t) => true,
            _ => {
                self.len() == other.len()
                    && self.bytes() == other.bytes()
                    && self.text() == other.text()
            }
        }
    }
}

impl Eq for Serialized {}

/// Eight bytes per draw, least significant first; a letter from six bits of it, so no
/// letter waits on another.
fn random_bytes(mut rng: Rng, len: u32, letters: bool) -> Vec<u8> {
    const ALPHABET: &[u8; 64] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_";
    let mut out = vec![0; len as usize];
    for chunk in out.chunks_mut(8) {
        let draw = rng.next_u64();
        for (j, b) in chunk.iter_mut().enumerate() {
            *b = if letters {
                ALPHABET[((draw >> (6 * j)) & 63) as usize]
            } else {
                (draw >> (8 * j)) as u8
            };
        }
    }
    out
}

fn hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    bytes
        .iter()
        .flat_map(|&b| {
            [
                HEX[(b >> 4) as usize] as char,
                HEX[(b & 15) as usize] as char,
            ]
        })
        .collect()
}

/// The input cannot be the serializer's Java type (Kafka: `SerializationException` or, for
/// `VoidSerializer`, `IllegalArgumentException`, both thrown by `send()`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SerializationError {
    pub serializer: Serializer,
    pub input: String,
    pub why: String,
}

impl fmt::Display for SerializationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} cannot serialize '{}': {}",
            self.serializer, self.input, self.why
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(s: Serializer, t: &str) -> Vec<u8> {
        s.serialize(Some(t)).unwrap().unwrap().bytes().to_vec()
    }

    #[test]
    fn random_values_are_made_when_read_from_the_draws_they_took() {
        let mut rng = Rng::new(7);
        let mut twin = rng.clone();
        let letters = Serialized::random(&mut rng, 20, true);
        let raw = Serialized::random(&mut rng, 3, false);
        // Three draws then one: what making them at once took.
        let draws: Vec<u64> = (0..4).map(|_| twin.next_u64()).collect();
        assert_eq!(rng, twin);
        let alphabet = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_";
        let expect: Vec<u8> = (0..20)
            .map(|i| alphabet[((draws[i / 8] >> (6 * (i % 8))) & 63) as usize])
            .collect();
        assert_eq!(letters.bytes(), &expect[..]);
        assert_eq!(letters.bytes(), letters.bytes());
        assert_eq!(letters.text(), std::str::from_utf8(&expect).unwrap());
        assert_eq!(letters.len(), 20);
        let expect = draws[3].to_le_bytes()[..3].to_vec();
        assert_eq!(raw.bytes(), &expect[..]);
        assert_eq!(raw.text(), hex(&expect));
        // Equal to the same bytes written by hand, and not to other ones.
        let written = Serializer::ByteArray
            .serialize(Some(&hex(&expect)))
            .unwrap()
            .unwrap();
        assert_eq!(raw, written);
        assert_ne!(
            raw,
            Serializer::String.serialize(Some("abc")).unwrap().unwrap()
        );
        assert_ne!(letters, raw);
    }

    #[test]
    fn java_encodings() {
        assert_eq!(bytes(Serializer::String, "판교"), "판교".as_bytes());
        assert_eq!(bytes(Serializer::Integer, "42"), [0, 0, 0, 42]);
        assert_eq!(bytes(Serializer::Integer, "-1"), [0xff; 4]);
        assert_eq!(bytes(Serializer::Long, "1"), [0, 0, 0, 0, 0, 0, 0, 1]);
        assert_eq!(
            bytes(Serializer::Double, "1.5"),
            [0x3f, 0xf8, 0, 0, 0, 0, 0, 0]
        );
        assert_eq!(bytes(Serializer::ByteArray, "00FF1a"), [0, 255, 26]);
        assert_eq!(bytes(Serializer::ByteArray, ""), Vec::<u8>::new());
    }

    #[test]
    fn null_stays_null_and_bad_input_is_named() {
        for s in Serializer::ALL {
            assert_eq!(s.serialize(None), Ok(None));
        }
        let e = Serializer::Integer
            .serialize(Some("2147483648"))
            .unwrap_err();
        assert!(e.to_string().contains("IntegerSerializer cannot serialize"));
        assert!(Serializer::ByteArray.serialize(Some("abc")).is_err());
        assert!(Serializer::ByteArray.serialize(Some("zz")).is_err());
        assert!(Serializer::Void.serialize(Some("x")).is_err());
    }

    #[test]
    fn class_names() {
        assert_eq!(
            Serializer::from_class("org.apache.kafka.common.serialization.LongSerializer"),
            Some(Serializer::Long)
        );
        assert_eq!(
            Serializer::from_class("ByteArraySerializer"),
            Some(Serializer::ByteArray)
        );
        assert_eq!(Serializer::from_class("com.acme.AvroSerializer"), None);
    }
}

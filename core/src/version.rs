//! `kafka_version`: which Kafka release's defaults and behaviour the simulation follows.

use std::fmt;

/// A Kafka release. A scenario may name `major.minor` (taken as that line's newest
/// patch release) or `major.minor.patch`, because some behaviour changed in patches
/// (e.g. KAFKA-13598 in 3.0.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KafkaVersion {
    pub major: u8,
    pub minor: u8,
    pub patch: u8,
}

/// Release lines this build models, with their newest patch release.
const LINES: &[(u8, u8, u8)] = &[
    (2, 8, 2),
    (3, 0, 2),
    (3, 1, 2),
    (3, 2, 3),
    (3, 3, 2),
    (3, 4, 1),
    (3, 5, 2),
    (3, 6, 2),
    (3, 7, 2),
    (3, 8, 1),
    (3, 9, 2),
    (4, 0, 0),
];

impl KafkaVersion {
    pub const fn new(major: u8, minor: u8, patch: u8) -> Self {
        KafkaVersion {
            major,
            minor,
            patch,
        }
    }

    /// The newest release modelled: the default when a scenario names none.
    pub fn latest() -> Self {
        let (a, b, c) = LINES[LINES.len() - 1];
        KafkaVersion::new(a, b, c)
    }

    /// Release lines the app offers, as `major.minor` strings.
    pub fn supported_lines() -> impl Iterator<Item = String> {
        LINES.iter().map(|(a, b, _)| format!("{a}.{b}"))
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        let parts: Vec<&str> = s.split('.').collect();
        let num = |p: &str| p.parse::<u8>().ok();
        let (major, minor, patch) = match parts.as_slice() {
            [a, b] => (num(a), num(b), None),
            [a, b, c] => (num(a), num(b), num(c).map(Some).unwrap_or(Some(u8::MAX))),
            _ => (None, None, None),
        };
        let supported = || {
            KafkaVersion::supported_lines()
                .collect::<Vec<_>>()
                .join(", ")
        };
        let (Some(major), Some(minor)) = (major, minor) else {
            return Err(format!(
                "'{s}' is not a Kafka version; expected major.minor[.patch], one of {}",
                supported()
            ));
        };
        let Some(&(_, _, newest)) = LINES.iter().find(|l| l.0 == major && l.1 == minor) else {
            return Err(format!(
                "Kafka {major}.{minor} is not modelled; supported: {}",
                supported()
            ));
        };
        match patch {
            None => Ok(KafkaVersion::new(major, minor, newest)),
            Some(p) if p <= newest => Ok(KafkaVersion::new(major, minor, p)),
            Some(_) => Err(format!(
                "'{s}' is not a released Kafka version (newest {major}.{minor} patch is {major}.{minor}.{newest})"
            )),
        }
    }

    pub fn at_least(&self, major: u8, minor: u8) -> bool {
        (self.major, self.minor) >= (major, minor)
    }
}

impl fmt::Display for KafkaVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_lines_and_patches() {
        assert_eq!(
            KafkaVersion::parse("3.0").unwrap(),
            KafkaVersion::new(3, 0, 2)
        );
        assert_eq!(
            KafkaVersion::parse("3.0.0").unwrap(),
            KafkaVersion::new(3, 0, 0)
        );
        assert!(KafkaVersion::parse("3.0.9").is_err());
        assert!(KafkaVersion::parse("1.1").is_err());
        assert!(KafkaVersion::parse("three").is_err());
        assert!(KafkaVersion::parse("3.x").is_err());
        assert!(KafkaVersion::latest().at_least(4, 0));
    }
}

//! Where a JSON reading error is, as the path a person edits (`actions[3].count`):
//! serde_json says the line and column; this walks the text up to there. (A tracking
//! deserializer would say it too, at the cost of a copy of every `Deserialize` impl in
//! the web bundle.)

/// The container the walk is in, and where in it.
enum Frame {
    /// The current key, once read (until the next comma).
    Object(Option<String>),
    /// The current element's index.
    Array(usize),
}

/// The path at line `line`, column `column` (serde_json's, 1-based) of `text`: keys
/// joined by dots, indices in brackets; `"."` at the top level.
pub fn path_at(text: &str, line: usize, column: usize) -> String {
    let start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    let end = (start + column).min(text.len());
    let mut bytes = &text.as_bytes()[..end];
    // An object read whole before it is looked at (an internally tagged enum: serde
    // buffers it) fails once serde_json has read past it and past the `,` or `]` after
    // it: the error is the list element's.
    if let Some((&last, rest)) = trim(bytes).split_last() {
        if matches!(last, b',' | b']') && trim(rest).last() == Some(&b'}') {
            bytes = rest;
        }
    }
    let mut stack: Vec<Frame> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'{' => stack.push(Frame::Object(None)),
            b'[' => stack.push(Frame::Array(0)),
            b'}' | b']' => {
                stack.pop();
            }
            b',' => match stack.last_mut() {
                Some(Frame::Object(key)) => *key = None,
                Some(Frame::Array(index)) => *index += 1,
                None => {}
            },
            b'"' => {
                let (string, next) = read_string(bytes, i + 1);
                // In an object, the first string since `{` or `,` is the key.
                if let Some(Frame::Object(key @ None)) = stack.last_mut() {
                    *key = Some(string);
                }
                i = next;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    let mut path = String::new();
    for frame in &stack {
        match frame {
            Frame::Object(Some(key)) => {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
            }
            Frame::Object(None) => break,
            Frame::Array(index) => path.push_str(&format!("[{index}]")),
        }
    }
    if path.is_empty() {
        ".".into()
    } else {
        path
    }
}

fn trim(b: &[u8]) -> &[u8] {
    &b[..b.len()
        - b.iter()
            .rev()
            .take_while(|c| c.is_ascii_whitespace())
            .count()]
}

/// The string starting at `from` (after its opening quote), unescaped, and the index
/// after its closing quote (or the end, for a string cut short).
fn read_string(bytes: &[u8], from: usize) -> (String, usize) {
    let mut out = Vec::new();
    let mut i = from;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => return (String::from_utf8_lossy(&out).into_owned(), i + 1),
            b'\\' if i + 1 < bytes.len() => {
                let c = match bytes[i + 1] {
                    b'n' => '\n',
                    b't' => '\t',
                    b'r' => '\r',
                    b'b' => '\u{8}',
                    b'f' => '\u{c}',
                    b'u' => {
                        let hex = std::str::from_utf8(&bytes[i + 2..(i + 6).min(bytes.len())])
                            .ok()
                            .and_then(|h| u32::from_str_radix(h, 16).ok());
                        i += 4;
                        hex.and_then(char::from_u32).unwrap_or('\u{fffd}')
                    }
                    other => other as char,
                };
                let mut buf = [0; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                i += 2;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    (String::from_utf8_lossy(&out).into_owned(), i)
}

#[cfg(test)]
mod tests {
    use super::path_at;

    /// The path where serde_json stops reading `text` as a `T`.
    fn path<T: serde::de::DeserializeOwned + std::fmt::Debug>(text: &str) -> String {
        let e = serde_json::from_str::<T>(text).unwrap_err();
        path_at(text, e.line(), e.column())
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        count: u32,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Outer {
        name: String,
        items: Vec<Inner>,
        #[serde(default)]
        config: std::collections::BTreeMap<String, String>,
    }

    #[test]
    fn the_path_is_where_reading_stopped() {
        let ok = r#"{"name":"a","items":[{"count":1}]}"#;
        assert!(serde_json::from_str::<Outer>(ok).is_ok());
        assert_eq!(
            path::<Outer>(r#"{"name":"a","items":[{"count":1},{"count":"x"}]}"#),
            "items[1].count"
        );
        assert_eq!(
            path::<Outer>(r#"{"name":"a","items":[{"count":1},{}]}"#),
            "items[1]"
        );
        assert_eq!(
            path::<Outer>(r#"{"name":"a","items":[],"surprise":1}"#),
            "surprise"
        );
        assert_eq!(path::<Outer>(r#"{"name":7,"items":[]}"#), "name");
        assert_eq!(path::<Outer>(r#"{"name":"a"}"#), ".");
        assert_eq!(
            path::<Outer>(r#"{"name":"a","items":[],"config":{"acks":2}}"#),
            "config.acks"
        );
        assert_eq!(
            path::<Outer>("{\n  \"name\": \"a\",\n  \"items\": [\n    {\"count\": -1}\n  ]\n}"),
            "items[0].count"
        );
        // Escapes in keys, a string with brackets and commas in it, a text cut short.
        assert_eq!(
            path::<Outer>(r#"{"name":"a,[}{","items":[],"con\u0066ig":{"a":1}}"#),
            "config.a"
        );
        assert_eq!(
            path::<Outer>(r#"{"name":"a","items":[{"count":1"#),
            "items[0].count"
        );
        assert_eq!(path::<Outer>("\"x\""), ".");
        // A struct read from a list: its fields by position.
        assert_eq!(path::<Outer>("[1]"), "[0]");
    }
}

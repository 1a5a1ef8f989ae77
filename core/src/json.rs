//! JSON for the scenario files, the CLI's result, the app's links and its lessons: a
//! reader into a small tree whose nodes know where they are in the text, typed reads
//! that name the JSON path of a problem as they go (`actions[3].count`), and a writer.
//! serde and serde_json were a sixth of the app's wasm (issue 8): their generic visitors
//! are instantiated per type, where these functions are not.
//!
//! The wording of errors is serde_json's ("invalid type: string \"3\", expected u32 at
//! line 1 column 42"), which course authors already know from the CLI.

use crate::float::parse_f64;
use crate::vec_map::VecMap;

/// Containers nested deeper than this are refused (serde_json's limit): the reader
/// recurses, and a link is untrusted input.
const MAX_DEPTH: usize = 128;

/// One problem: where (the JSON path, empty at the top level) and what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    pub path: String,
    pub message: String,
}

/// A step of a path: a key or an index, from the parent it borrows.
#[derive(Clone, Copy)]
pub struct Path<'a> {
    parent: Option<&'a Path<'a>>,
    key: Option<&'a str>,
    index: usize,
}

impl<'a> Path<'a> {
    pub const ROOT: Path<'static> = Path {
        parent: None,
        key: None,
        index: 0,
    };

    pub fn key<'b>(&'b self, key: &'b str) -> Path<'b> {
        Path {
            parent: Some(self),
            key: Some(key),
            index: 0,
        }
    }

    pub fn index(&self, index: usize) -> Path<'_> {
        Path {
            parent: Some(self),
            key: None,
            index,
        }
    }

    /// Keys joined by dots, indices in brackets: `producers[0].config.acks`.
    fn render(&self, out: &mut String) {
        let Some(parent) = self.parent else { return };
        parent.render(out);
        match self.key {
            Some(key) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            None => {
                out.push('[');
                out.push_str(&self.index.to_string());
                out.push(']');
            }
        }
    }

    /// An error here, about the value starting at byte `at` of the text.
    pub fn error(&self, at: usize, message: impl Into<String>) -> Located {
        let mut path = String::new();
        self.render(&mut path);
        Located {
            error: Error {
                path,
                message: message.into(),
            },
            at,
        }
    }
}

/// An error before its line and column are known (they are worked out from the text once,
/// by [`read`]).
#[derive(Debug)]
pub struct Located {
    error: Error,
    at: usize,
}

pub type Result<T> = std::result::Result<T, Located>;

/// A value of the document and the byte offset it starts at.
#[derive(Debug)]
pub struct Node<'a> {
    pub at: usize,
    pub value: Value<'a>,
}

#[derive(Debug)]
pub enum Value<'a> {
    Null,
    Bool(bool),
    /// As written: read as an integer or a float by what the field is.
    Number(&'a str),
    String(String),
    Array(Vec<Node<'a>>),
    /// Members in the order written, each key with its offset.
    Object(Vec<(String, usize, Node<'a>)>),
}

/// Reads `text` as one JSON value and then `f` reads that as a `T`; an error says its
/// line and column after the message, as serde_json's do (hand editors use them).
pub fn read<T>(
    text: &str,
    f: impl FnOnce(&Node, &Path) -> Result<T>,
) -> std::result::Result<T, Error> {
    let located = Parser {
        text: text.as_bytes(),
        i: 0,
    }
    .document()
    .and_then(|root| f(&root, &Path::ROOT));
    located.map_err(|Located { mut error, at }| {
        let at = at.min(text.len());
        let before = &text.as_bytes()[..at];
        let line = 1 + before.iter().filter(|&&b| b == b'\n').count();
        let column = 1 + before.iter().rev().take_while(|&&b| b != b'\n').count();
        error.message = format!("{} at line {line} column {column}", error.message);
        error
    })
}

struct Parser<'a> {
    text: &'a [u8],
    i: usize,
}

impl<'a> Parser<'a> {
    fn document(mut self) -> Result<Node<'a>> {
        let root = self.value(&Path::ROOT, 0)?;
        self.skip_space();
        if self.i < self.text.len() {
            return Err(Path::ROOT.error(self.i, "trailing characters"));
        }
        Ok(root)
    }

    fn skip_space(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.text.get(self.i) {
            self.i += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.skip_space();
        self.text.get(self.i).copied()
    }

    fn value(&mut self, path: &Path, depth: usize) -> Result<Node<'a>> {
        let Some(c) = self.peek() else {
            return Err(path.error(self.i, "EOF while parsing a value"));
        };
        let at = self.i;
        let value = match c {
            b'{' | b'[' if depth == MAX_DEPTH => {
                return Err(path.error(at, "recursion limit exceeded"))
            }
            b'{' => self.object(path, depth + 1)?,
            b'[' => self.array(path, depth + 1)?,
            b'"' => Value::String(self.string(path)?),
            b'-' | b'0'..=b'9' => Value::Number(self.number(path)?),
            _ => {
                let word = |w: &[u8]| self.text[at..].starts_with(w);
                let (value, len) = if word(b"null") {
                    (Value::Null, 4)
                } else if word(b"true") {
                    (Value::Bool(true), 4)
                } else if word(b"false") {
                    (Value::Bool(false), 5)
                } else {
                    return Err(path.error(at, "expected value"));
                };
                self.i += len;
                value
            }
        };
        Ok(Node { at, value })
    }

    fn object(&mut self, path: &Path, depth: usize) -> Result<Value<'a>> {
        self.i += 1;
        let mut members = Vec::new();
        if self.peek() == Some(b'}') {
            self.i += 1;
            return Ok(Value::Object(members));
        }
        loop {
            match self.peek() {
                Some(b'"') => {}
                Some(_) => return Err(path.error(self.i, "key must be a string")),
                None => return Err(path.error(self.i, "EOF while parsing an object")),
            }
            let key_at = self.i;
            let key = self.string(path)?;
            let inner = path.key(&key);
            match self.peek() {
                Some(b':') => self.i += 1,
                Some(_) => return Err(inner.error(self.i, "expected `:`")),
                None => return Err(inner.error(self.i, "EOF while parsing an object")),
            }
            let value = self.value(&inner, depth)?;
            members.push((key, key_at, value));
            match self.peek() {
                Some(b',') => {
                    self.i += 1;
                    if self.peek() == Some(b'}') {
                        return Err(path.error(self.i, "trailing comma"));
                    }
                }
                Some(b'}') => {
                    self.i += 1;
                    return Ok(Value::Object(members));
                }
                Some(_) => return Err(path.error(self.i, "expected `,` or `}`")),
                None => return Err(path.error(self.i, "EOF while parsing an object")),
            }
        }
    }

    fn array(&mut self, path: &Path, depth: usize) -> Result<Value<'a>> {
        self.i += 1;
        let mut items = Vec::new();
        if self.peek() == Some(b']') {
            self.i += 1;
            return Ok(Value::Array(items));
        }
        loop {
            items.push(self.value(&path.index(items.len()), depth)?);
            match self.peek() {
                Some(b',') => {
                    self.i += 1;
                    if self.peek() == Some(b']') {
                        return Err(path.error(self.i, "trailing comma"));
                    }
                }
                Some(b']') => {
                    self.i += 1;
                    return Ok(Value::Array(items));
                }
                Some(_) => return Err(path.error(self.i, "expected `,` or `]`")),
                None => return Err(path.error(self.i, "EOF while parsing a list")),
            }
        }
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`, as written.
    fn number(&mut self, path: &Path) -> Result<&'a str> {
        let start = self.i;
        let text = self.text;
        let digits = |i: &mut usize| {
            let from = *i;
            while text.get(*i).is_some_and(u8::is_ascii_digit) {
                *i += 1;
            }
            *i > from
        };
        let mut i = start + usize::from(text[start] == b'-');
        // No leading zeros: `0` alone, or a non-zero digit first.
        let mut ok = if text.get(i) == Some(&b'0') {
            i += 1;
            !text.get(i).is_some_and(u8::is_ascii_digit)
        } else {
            digits(&mut i)
        };
        if ok && text.get(i) == Some(&b'.') {
            i += 1;
            ok = digits(&mut i);
        }
        if ok && matches!(text.get(i), Some(b'e' | b'E')) {
            i += 1;
            if matches!(text.get(i), Some(b'+' | b'-')) {
                i += 1;
            }
            ok = digits(&mut i);
        }
        if !ok {
            return Err(path.error(i, "invalid number"));
        }
        self.i = i;
        // ASCII only, so on character boundaries.
        Ok(std::str::from_utf8(&text[start..i]).unwrap_or_default())
    }

    /// A string (the opening quote at `self.i`), unescaped.
    fn string(&mut self, path: &Path) -> Result<String> {
        let mut out = Vec::new();
        self.i += 1;
        loop {
            let Some(&c) = self.text.get(self.i) else {
                return Err(path.error(self.i, "EOF while parsing a string"));
            };
            self.i += 1;
            match c {
                b'"' => break,
                b'\\' => {
                    let Some(&e) = self.text.get(self.i) else {
                        return Err(path.error(self.i, "EOF while parsing a string"));
                    };
                    self.i += 1;
                    let c = match e {
                        b'"' | b'\\' | b'/' => e as char,
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => self.unicode_escape(path)?,
                        _ => return Err(path.error(self.i - 1, "invalid escape")),
                    };
                    let mut buf = [0; 4];
                    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                }
                0..=0x1f => {
                    return Err(path.error(
                        self.i - 1,
                        "control character (\\u0000-\\u001F) found while parsing a string",
                    ))
                }
                _ => out.push(c),
            }
        }
        // The text is UTF-8 and escapes add whole characters.
        Ok(String::from_utf8(out).unwrap_or_default())
    }

    /// After `\u`: four hex digits, and a second escape for a surrogate pair.
    fn unicode_escape(&mut self, path: &Path) -> Result<char> {
        let first = self.hex4(path)?;
        let code = match first {
            0xd800..=0xdbff => {
                if !self.text[self.i..].starts_with(b"\\u") {
                    return Err(path.error(self.i, "lone leading surrogate in hex escape"));
                }
                self.i += 2;
                let second = self.hex4(path)?;
                if !(0xdc00..=0xdfff).contains(&second) {
                    return Err(path.error(self.i, "lone leading surrogate in hex escape"));
                }
                0x10000 + ((first - 0xd800) << 10) + (second - 0xdc00)
            }
            0xdc00..=0xdfff => {
                return Err(path.error(self.i, "lone trailing surrogate in hex escape"))
            }
            code => code,
        };
        char::from_u32(code).ok_or_else(|| path.error(self.i, "invalid unicode code point"))
    }

    fn hex4(&mut self, path: &Path) -> Result<u32> {
        let mut code = 0;
        for _ in 0..4 {
            let Some(&c) = self.text.get(self.i) else {
                return Err(path.error(self.i, "EOF while parsing a string"));
            };
            let digit = (c as char)
                .to_digit(16)
                .ok_or_else(|| path.error(self.i, "invalid escape"))?;
            code = code * 16 + digit;
            self.i += 1;
        }
        Ok(code)
    }
}

impl Node<'_> {
    /// What the value is, in serde's words, for "invalid type: …".
    fn unexpected(&self) -> String {
        match &self.value {
            Value::Null => "null".into(),
            Value::Bool(b) => format!("boolean `{b}`"),
            Value::Number(n) if is_integer(n) => format!("integer `{n}`"),
            Value::Number(n) => format!("floating point `{n}`"),
            Value::String(s) => {
                // Quoted as JSON writes it. serde quoted with `{:?}`: the same for every
                // printable character, `\u{1}` rather than `\u0001` for the others.
                let mut w = Writer::new(false);
                w.string(s);
                format!("string {}", w.finish())
            }
            Value::Array(_) => "sequence".into(),
            Value::Object(_) => "map".into(),
        }
    }

    /// "invalid type: …, expected `expected`" here.
    pub fn invalid_type(&self, path: &Path, expected: &str) -> Located {
        path.error(
            self.at,
            format!("invalid type: {}, expected {expected}", self.unexpected()),
        )
    }

    /// The value, or `None` for `null`: an `Option` field.
    pub fn non_null(&self) -> Option<&Self> {
        match self.value {
            Value::Null => None,
            _ => Some(self),
        }
    }
}

fn is_integer(n: &str) -> bool {
    !n.contains(['.', 'e', 'E'])
}

/// An unsigned integer of at most `max`, named `ty` in errors.
fn unsigned(node: &Node, path: &Path, max: u64, ty: &str) -> Result<u64> {
    match node.value {
        Value::Number(n) if is_integer(n) => {
            n.parse::<u64>().ok().filter(|&v| v <= max).ok_or_else(|| {
                path.error(
                    node.at,
                    format!("invalid value: integer `{n}`, expected {ty}"),
                )
            })
        }
        _ => Err(node.invalid_type(path, ty)),
    }
}

pub fn u64(node: &Node, path: &Path) -> Result<u64> {
    unsigned(node, path, u64::MAX, "u64")
}

pub fn u32(node: &Node, path: &Path) -> Result<u32> {
    unsigned(node, path, u32::MAX.into(), "u32").map(|v| v as u32)
}

/// Any number, correctly rounded; one too large for a double is refused.
pub fn f64(node: &Node, path: &Path) -> Result<f64> {
    match node.value {
        Value::Number(n) => parse_f64(n)
            .filter(|v| v.is_finite())
            .ok_or_else(|| path.error(node.at, "number out of range")),
        _ => Err(node.invalid_type(path, "f64")),
    }
}

pub fn str<'n>(node: &'n Node, path: &Path) -> Result<&'n str> {
    match &node.value {
        Value::String(s) => Ok(s),
        _ => Err(node.invalid_type(path, "a string")),
    }
}

pub fn string(node: &Node, path: &Path) -> Result<String> {
    str(node, path).map(str::to_string)
}

/// A string or `null`.
pub fn opt_string(node: &Node, path: &Path) -> Result<Option<String>> {
    node.non_null().map(|n| string(n, path)).transpose()
}

pub fn array<'n, 'a>(node: &'n Node<'a>, path: &Path) -> Result<&'n [Node<'a>]> {
    match &node.value {
        Value::Array(items) => Ok(items),
        _ => Err(node.invalid_type(path, "a sequence")),
    }
}

/// A list, each item read by `item` at its index.
pub fn vec<T>(node: &Node, path: &Path, item: fn(&Node, &Path) -> Result<T>) -> Result<Vec<T>> {
    array(node, path)?
        .iter()
        .enumerate()
        .map(|(i, n)| item(n, &path.index(i)))
        .collect()
}

/// A list of exactly `len` items (a tuple).
pub fn tuple<'n, 'a>(node: &'n Node<'a>, path: &Path, len: usize) -> Result<&'n [Node<'a>]> {
    let items = array(node, path)?;
    if items.len() != len {
        return Err(path.error(
            node.at,
            format!(
                "invalid length {}, expected a tuple of size {len}",
                items.len()
            ),
        ));
    }
    Ok(items)
}

/// An object of string values (a config map); a key written twice keeps its last value.
pub fn string_map(node: &Node, path: &Path) -> Result<VecMap<String, String>> {
    match &node.value {
        Value::Object(members) => members
            .iter()
            .map(|(k, _, v)| Ok((k.clone(), string(v, &path.key(k))?)))
            .collect(),
        _ => Err(node.invalid_type(path, "a map")),
    }
}

/// A string naming one of `names`; its index.
pub fn variant(node: &Node, path: &Path, names: &[&str]) -> Result<usize> {
    let name = match &node.value {
        Value::String(s) => s,
        _ => return Err(node.invalid_type(path, &format!("one of {}", list(names)))),
    };
    names.iter().position(|n| n == name).ok_or_else(|| {
        path.error(
            node.at,
            format!("unknown variant `{name}`, expected {}", one_of(names)),
        )
    })
}

/// serde's way to list the names expected.
fn one_of(names: &[&str]) -> String {
    match names {
        [] => "nothing".into(),
        [one] => format!("`{one}`"),
        [a, b] => format!("`{a}` or `{b}`"),
        _ => format!("one of {}", list(names)),
    }
}

fn list(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// An object's members by field, for a struct that refuses unknown fields.
pub struct Fields<'n, 'a, 'p> {
    names: &'static [&'static str],
    slots: Vec<Option<&'n Node<'a>>>,
    at: usize,
    path: &'p Path<'p>,
}

/// The object at `node` as the struct with fields `names`: an unknown or repeated field
/// is refused at its path. `tag`, if given, is the key of an internally tagged enum,
/// read by the caller and skipped here.
pub fn object<'n, 'a, 'p>(
    node: &'n Node<'a>,
    path: &'p Path<'p>,
    names: &'static [&'static str],
    tag: Option<&str>,
) -> Result<Fields<'n, 'a, 'p>> {
    let Value::Object(members) = &node.value else {
        return Err(node.invalid_type(path, "a map"));
    };
    let mut slots = vec![None; names.len()];
    for (key, key_at, value) in members {
        if tag == Some(key.as_str()) {
            continue;
        }
        let Some(i) = names.iter().position(|n| n == key) else {
            return Err(path.key(key).error(
                *key_at,
                format!("unknown field `{key}`, expected {}", one_of(names)),
            ));
        };
        if slots[i].replace(value).is_some() {
            return Err(path
                .key(key)
                .error(*key_at, format!("duplicate field `{key}`")));
        }
    }
    Ok(Fields {
        names,
        slots,
        at: node.at,
        path,
    })
}

/// The string value of `tag` in an object (an internally tagged enum's variant).
pub fn tag(node: &Node, path: &Path, tag: &str, names: &[&str]) -> Result<usize> {
    let Value::Object(members) = &node.value else {
        return Err(node.invalid_type(path, "a map"));
    };
    let mut tags = members.iter().filter(|(k, _, _)| k == tag);
    match (tags.next(), tags.next()) {
        (Some((_, _, value)), None) => variant(value, &path.key(tag), names),
        (_, Some((_, at, _))) => Err(path.key(tag).error(*at, format!("duplicate field `{tag}`"))),
        (None, None) => Err(path.error(node.at, format!("missing field `{tag}`"))),
    }
}

impl<'n, 'a, 'p> Fields<'n, 'a, 'p> {
    /// Field `i`, read by `read` if present (`null` is given to `read`).
    pub fn get<T>(&self, i: usize, read: fn(&Node, &Path) -> Result<T>) -> Result<Option<T>> {
        self.slots[i]
            .map(|n| read(n, &self.path.key(self.names[i])))
            .transpose()
    }

    /// Field `i`, absent or `null` as `None` (an `Option` field).
    pub fn opt<T>(&self, i: usize, read: fn(&Node, &Path) -> Result<T>) -> Result<Option<T>> {
        self.slots[i]
            .and_then(Node::non_null)
            .map(|n| read(n, &self.path.key(self.names[i])))
            .transpose()
    }

    /// Field `i`, which must be there.
    pub fn req<T>(&self, i: usize, read: fn(&Node, &Path) -> Result<T>) -> Result<T> {
        self.get(i, read)?.ok_or_else(|| {
            self.path
                .error(self.at, format!("missing field `{}`", self.names[i]))
        })
    }
}

/// Writes JSON compactly, or as serde_json's pretty printer does (two spaces a level):
/// files people read and diff keep the layout they had.
pub struct Writer {
    out: String,
    pretty: bool,
    depth: usize,
    /// No member written yet in the open container.
    empty: bool,
    /// A key was just written: the value follows it without a separator.
    after_key: bool,
}

impl Writer {
    pub fn new(pretty: bool) -> Writer {
        Writer {
            out: String::new(),
            pretty,
            depth: 0,
            empty: true,
            after_key: false,
        }
    }

    pub fn finish(self) -> String {
        self.out
    }

    fn newline(&mut self) {
        if self.pretty {
            self.out.push('\n');
            for _ in 0..self.depth {
                self.out.push_str("  ");
            }
        }
    }

    /// Before a value: the separator, unless it follows its key.
    fn item(&mut self) {
        if self.after_key {
            self.after_key = false;
        } else if self.depth > 0 {
            if !self.empty {
                self.out.push(',');
            }
            self.newline();
        }
        self.empty = false;
    }

    fn open(&mut self, c: char) {
        self.item();
        self.out.push(c);
        self.depth += 1;
        self.empty = true;
    }

    fn close(&mut self, c: char) {
        self.depth -= 1;
        if !self.empty {
            self.newline();
        }
        self.out.push(c);
        self.empty = false;
    }

    pub fn begin_object(&mut self) {
        self.open('{');
    }

    pub fn end_object(&mut self) {
        self.close('}');
    }

    pub fn begin_array(&mut self) {
        self.open('[');
    }

    pub fn end_array(&mut self) {
        self.close(']');
    }

    pub fn key(&mut self, key: &str) {
        self.item();
        self.quoted(key);
        self.out.push(':');
        if self.pretty {
            self.out.push(' ');
        }
        self.after_key = true;
    }

    /// `"key": "value"` (a member in one call: most members are one of these four).
    pub fn string_field(&mut self, key: &str, value: &str) {
        self.key(key);
        self.string(value);
    }

    pub fn u64_field(&mut self, key: &str, value: u64) {
        self.key(key);
        self.u64(value);
    }

    pub fn i64_field(&mut self, key: &str, value: i64) {
        self.key(key);
        self.i64(value);
    }

    pub fn f64_field(&mut self, key: &str, value: f64) {
        self.key(key);
        self.f64(value);
    }

    pub fn bool_field(&mut self, key: &str, value: bool) {
        self.key(key);
        self.bool(value);
    }

    pub fn string(&mut self, s: &str) {
        self.item();
        self.quoted(s);
    }

    pub fn opt_string(&mut self, s: Option<&str>) {
        match s {
            Some(s) => self.string(s),
            None => self.null(),
        }
    }

    pub fn null(&mut self) {
        self.raw("null");
    }

    pub fn bool(&mut self, b: bool) {
        self.raw(if b { "true" } else { "false" });
    }

    pub fn u64(&mut self, n: u64) {
        self.raw(&n.to_string());
    }

    pub fn i64(&mut self, n: i64) {
        self.raw(&n.to_string());
    }

    /// The shortest decimal that reads back as `x`, laid out as serde_json writes it
    /// (`1.0`, `0.25`, `1e+16`); `null` if not finite.
    pub fn f64(&mut self, x: f64) {
        self.raw(&format_f64(x));
    }

    /// A number already written as JSON writes it (the web formats its few decimals
    /// itself: finding a float's shortest digits takes the standard library's float
    /// formatting, about 10 KB of the bundle).
    pub fn number(&mut self, text: &str) {
        debug_assert_eq!(
            text.parse::<f64>().map(format_f64).as_deref(),
            Ok(text),
            "written as format_f64 would"
        );
        self.raw(text);
    }

    fn raw(&mut self, s: &str) {
        self.item();
        self.out.push_str(s);
    }

    fn quoted(&mut self, s: &str) {
        self.out.push('"');
        for c in s.chars() {
            match c {
                '"' => self.out.push_str("\\\""),
                '\\' => self.out.push_str("\\\\"),
                '\n' => self.out.push_str("\\n"),
                '\r' => self.out.push_str("\\r"),
                '\t' => self.out.push_str("\\t"),
                '\u{8}' => self.out.push_str("\\b"),
                '\u{c}' => self.out.push_str("\\f"),
                '\0'..='\u{1f}' => {
                    const HEX: &[u8; 16] = b"0123456789abcdef";
                    self.out.push_str("\\u00");
                    self.out.push(HEX[c as usize >> 4] as char);
                    self.out.push(HEX[c as usize & 15] as char);
                }
                c => self.out.push(c),
            }
        }
        self.out.push('"');
    }
}

/// `x` as serde_json (ryu) writes it: the fewest significant digits that read back as
/// `x` (Rust's `Display` finds them; ties as ryu breaks them), written plainly for decimal exponents -5 to 15
/// and in `e` notation beyond (`1e+16`).
pub fn format_f64(x: f64) -> String {
    if !x.is_finite() {
        return "null".into();
    }
    let a = x.abs();
    let (mut digits, point) = digits_of(&format!("{a}"));
    // Between two shortest decimals as near, ryu takes the even one and `Display` the
    // one above: 1090377292581276.25 is written …276.2.
    if let Some(last @ (b'1' | b'3' | b'5' | b'7' | b'9')) = digits.bytes().last() {
        let down = format!("{}{}", &digits[..digits.len() - 1], (last - 1) as char);
        if digits_of(&format!("{a:.1100}")) == (format!("{down}5"), point)
            && parse_f64(&format!("0.{down}e{point}")) == Some(a)
        {
            digits = down.trim_end_matches('0').to_string();
        }
    }
    let len = digits.len() as i32;
    let body = if digits.is_empty() {
        "0.0".to_string()
    } else if (len..=16).contains(&point) {
        format!("{digits}{}.0", "0".repeat((point - len) as usize))
    } else if (1..=16).contains(&point) {
        format!(
            "{}.{}",
            &digits[..point as usize],
            &digits[point as usize..]
        )
    } else if (-4..=0).contains(&point) {
        format!("0.{}{digits}", "0".repeat(-point as usize))
    } else {
        let exp = match point - 1 {
            e if e > 0 => format!("+{e}"),
            e => e.to_string(),
        };
        match digits.split_at(1) {
            (first, "") => format!("{first}e{exp}"),
            (first, rest) => format!("{first}.{rest}e{exp}"),
        }
    };
    let sign = if x.is_sign_negative() { "-" } else { "" };
    format!("{sign}{body}")
}

/// A number written in full (`Display`, padded with zeros: `1e300` as 301 digits) as its
/// significant digits and `point`: the value is 0.`digits` × 10^`point`.
fn digits_of(plain: &str) -> (String, i32) {
    let (int, frac) = plain.split_once('.').unwrap_or((plain, ""));
    let all = format!("{int}{frac}");
    let zeros = all.bytes().take_while(|&b| b == b'0').count();
    let digits = all[zeros..].trim_end_matches('0').to_string();
    (digits, int.len() as i32 - zeros as i32)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> std::result::Result<(), Error> {
        read(text, |_, _| Ok(()))
    }

    fn string_of(text: &str) -> std::result::Result<String, Error> {
        read(text, string)
    }

    #[test]
    fn strings_unescape_every_escape() {
        assert_eq!(
            string_of(r#""a\"b\\c\/d\b\f\n\r\t\u00e9\u20AC\ud83d\ude00 판교""#).unwrap(),
            "a\"b\\c/d\u{8}\u{c}\n\r\té€😀 판교"
        );
        for bad in [
            r#""\ud83d""#,
            r#""\ud83d\u0041""#,
            r#""\ude00""#,
            r#""\x""#,
            r#""\u12""#,
            r#""\u12g4""#,
            "\"a\nb\"",
            "\"abc",
            "\"\\",
        ] {
            let e = string_of(bad).unwrap_err();
            assert_eq!(e.path, "", "{bad}");
        }
        assert!(string_of("\"\\ud83d\"")
            .unwrap_err()
            .message
            .starts_with("lone leading surrogate"));
    }

    #[test]
    fn the_writer_escapes_what_json_must() {
        let mut w = Writer::new(false);
        w.string("a\"b\\c\n\r\t\u{8}\u{c}\u{1}\u{1f}\u{7f}é😀/");
        let out = w.finish();
        assert_eq!(
            out,
            r#""a\"b\\c\n\r\t\b\f\u0001\u001f"#.to_string() + "\u{7f}é😀/\""
        );
        assert_eq!(
            string_of(&out).unwrap(),
            "a\"b\\c\n\r\t\u{8}\u{c}\u{1}\u{1f}\u{7f}é😀/"
        );
    }

    #[test]
    fn integers_are_exact_to_their_limits() {
        let u = |t: &str| read(t, u64);
        assert_eq!(u("18446744073709551615"), Ok(u64::MAX));
        assert_eq!(u("0"), Ok(0));
        let e = u("18446744073709551616").unwrap_err();
        assert!(
            e.message
                .starts_with("invalid value: integer `18446744073709551616`, expected u64"),
            "{}",
            e.message
        );
        assert!(u("-1")
            .unwrap_err()
            .message
            .starts_with("invalid value: integer `-1`"));
        assert!(u("1.0")
            .unwrap_err()
            .message
            .starts_with("invalid type: floating point `1.0`"));
        assert!(u("1e3")
            .unwrap_err()
            .message
            .starts_with("invalid type: floating point `1e3`"));
        let v = |t: &str| read(t, u32);
        assert_eq!(v("4294967295"), Ok(u32::MAX));
        assert!(v("4294967296")
            .unwrap_err()
            .message
            .contains("expected u32"));
        assert!(v("\"3\"")
            .unwrap_err()
            .message
            .starts_with("invalid type: string \"3\", expected u32"));
        let f = |t: &str| read(t, f64);
        assert_eq!(f("5"), Ok(5.0));
        assert_eq!(f("-0.25e1"), Ok(-2.5));
        assert_eq!(f("1.7976931348623157e308"), Ok(f64::MAX));
        assert!(f("1e400")
            .unwrap_err()
            .message
            .starts_with("number out of range"));
        assert_eq!(f("1e-400"), Ok(0.0));
        for bad in [
            "01", "-", "1.", ".5", "1e", "+1", "1.e3", "-01", "0x10", "NaN", "Infinity",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        for good in ["0", "-0", "0.5", "10", "1E+2", "1e-2", "-0.0e0"] {
            assert!(parse(good).is_ok(), "{good}");
        }
    }

    #[test]
    fn floats_are_written_as_serde_json_writes_them() {
        for (x, s) in [
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (1.0, "1.0"),
            (0.25, "0.25"),
            (1234.5, "1234.5"),
            (f64::from_bits(0x430e_fd89_f990_4ce2), "1090377292581276.2"),
            (0.1, "0.1"),
            (1.0 / 3.0, "0.3333333333333333"),
            (100.0, "100.0"),
            (1e15, "1000000000000000.0"),
            (1e16, "1e+16"),
            (1.5e17, "1.5e+17"),
            (0.0001, "0.0001"),
            (0.00001, "0.00001"),
            (0.000001, "1e-6"),
            (1.25e-7, "1.25e-7"),
            (f64::MAX, "1.7976931348623157e+308"),
            (5e-324, "5e-324"),
            (f64::NAN, "null"),
            (f64::INFINITY, "null"),
        ] {
            assert_eq!(format_f64(x), s, "{x}");
        }
    }

    #[test]
    fn the_pretty_layout_is_serde_jsons() {
        let mut w = Writer::new(true);
        w.begin_object();
        w.key("a");
        w.u64(1);
        w.key("b");
        w.begin_array();
        w.begin_array();
        w.end_array();
        w.begin_object();
        w.end_object();
        w.i64(-1);
        w.end_array();
        w.key("c");
        w.begin_object();
        w.key("d");
        w.null();
        w.end_object();
        w.end_object();
        assert_eq!(
            w.finish(),
            "{\n  \"a\": 1,\n  \"b\": [\n    [],\n    {},\n    -1\n  ],\n  \"c\": {\n    \"d\": null\n  }\n}"
        );
        let mut w = Writer::new(false);
        w.begin_array();
        w.f64(0.5);
        w.bool(true);
        w.opt_string(None);
        w.end_array();
        assert_eq!(w.finish(), "[0.5,true,null]");
    }

    const NAMES: &[&str] = &["count", "items", "name"];

    /// `{"name": "…", "count": n, "items": [{"count": n}]}`.
    fn outer(node: &Node, path: &Path) -> Result<(u32, Vec<u32>)> {
        let f = object(node, path, NAMES, None)?;
        f.req(2, string)?;
        let items = f.get(1, |n, p| vec(n, p, inner))?.unwrap_or_default();
        Ok((f.req(0, u32)?, items))
    }

    fn inner(node: &Node, path: &Path) -> Result<u32> {
        object(node, path, &["count"], None)?.req(0, u32)
    }

    #[test]
    fn errors_name_their_path_and_place() {
        let at = |t: &str| {
            let e = read(t, outer).unwrap_err();
            (e.path, e.message)
        };
        assert_eq!(
            read(r#"{"name":"a","count":1,"items":[{"count":2}]}"#, outer),
            Ok((1, vec![2]))
        );
        let (path, message) =
            at("{\"name\":\"a\",\"count\":1,\n \"items\":[{\"count\":2},{\"count\":\"x\"}]}");
        assert_eq!(path, "items[1].count");
        assert_eq!(
            message,
            "invalid type: string \"x\", expected u32 at line 2 column 32"
        );
        assert_eq!(at(r#"{"name":"a","count":1,"items":[{}]}"#).0, "items[0]");
        let (path, message) = at(r#"{"name":"a","count":1,"surprise":1}"#);
        assert_eq!(path, "surprise");
        assert!(
            message
                .starts_with("unknown field `surprise`, expected one of `count`, `items`, `name`"),
            "{message}"
        );
        assert_eq!(at(r#"{"name":"a","count":1,"name":"b"}"#).0, "name");
        assert_eq!(
            at(r#"{"name":"a"}"#),
            ("".into(), "missing field `count` at line 1 column 1".into())
        );
        assert_eq!(at(r#"{"name":"a","items":[{"count":1"#).0, "items[0]");
        assert_eq!(at(r#"{"name":"a","items":[{"count":"#).0, "items[0].count");
        assert_eq!(
            at(r#"{"n\u0061me":"a","count":1,"items":[{"c":1}]}"#).0,
            "items[0].c"
        );
        assert_eq!(
            at(r#"{"name":"a","count":1} x"#).1,
            "trailing characters at line 1 column 24"
        );
        assert_eq!(
            at(r#"[1]"#).1,
            "invalid type: sequence, expected a map at line 1 column 1"
        );
        assert_eq!(at(r#"{"":1}"#).0, "");
        let tagged =
            |t: &str| read(t, |n, p| tag(n, p, "action", &["a", "b"])).map_err(|e| e.message);
        assert_eq!(tagged(r#"{"x":1,"action":"b"}"#), Ok(1));
        assert!(tagged(r#"{"action":"a","action":"b"}"#)
            .unwrap_err()
            .starts_with("duplicate field `action`"));
        assert!(tagged(r#"{"x":1}"#)
            .unwrap_err()
            .starts_with("missing field `action`"));
        assert!(at(r#"{"name":"a",}"#).1.starts_with("trailing comma"));
        assert!(at("").1.starts_with("EOF while parsing a value"));
    }

    #[test]
    fn variants_and_maps() {
        let names = &["async", "sync"];
        assert_eq!(read(r#""sync""#, |n, p| variant(n, p, names)), Ok(1));
        let e = read(r#""x""#, |n, p| variant(n, p, names)).unwrap_err();
        assert!(e
            .message
            .starts_with("unknown variant `x`, expected `async` or `sync`"));
        let m = read(r#"{"b":"1","a":"2","b":"3"}"#, string_map).unwrap();
        assert_eq!(
            m.into_iter().collect::<Vec<_>>(),
            [("a".into(), "2".into()), ("b".into(), "3".into())]
        );
        assert_eq!(read(r#"{"a":1}"#, string_map).unwrap_err().path, "a");
    }

    #[test]
    fn deep_or_malformed_input_is_refused_without_panic() {
        let deep = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
        assert!(parse(&deep).is_ok());
        let deeper = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
        assert!(parse(&deeper)
            .unwrap_err()
            .message
            .starts_with("recursion limit exceeded"));
        assert!(parse(&"[".repeat(100_000)).is_err());
        // Every prefix of a document, and every byte replaced: refused or read, never a panic.
        let doc = r#"{"a":[1,-2.5e3,"x\u00e9\ud83d\ude00",true,false,null,{"b":{}}],"c":"판교"}"#;
        assert!(parse(doc).is_ok());
        for end in 0..doc.len() {
            if doc.is_char_boundary(end) {
                let _ = parse(&doc[..end]);
            }
        }
        for i in 0..doc.len() {
            for b in [b'"', b'\\', b'{', b']', b'0', b'-', b'e', b'u', b' ', b'\n'] {
                let mut bytes = doc.as_bytes().to_vec();
                bytes[i] = b;
                if let Ok(text) = String::from_utf8(bytes) {
                    let _ = parse(&text);
                }
            }
        }
    }
}

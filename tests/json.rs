//! `kafka_lab::json` against serde_json, which wrote and read the same documents before
//! (links in course slides, scenario files, the CLI's result): floats written the same,
//! strings and numbers read the same.

use kafka_lab::json::{self, format_f64, Writer};
use kafka_lab_tests::Gen;

#[test]
fn floats_are_written_as_serde_json_wrote_them() {
    let mut g = Gen(11);
    let check = |x: f64| {
        let theirs = serde_json::to_string(&x).unwrap();
        assert_eq!(format_f64(x), theirs, "{x:e} ({:#x})", x.to_bits());
    };
    for _ in 0..5_000 {
        check(f64::from_bits(g.next_u64()));
    }
    // A link's moments (to the µs) and speeds, averages of counts, powers of two and ten.
    for _ in 0..5_000 {
        check((g.below(600_000_000) as f64 / 1000.0 * 1000.0).round() / 1000.0);
        check(g.below(1 << 40) as f64 / (1 + g.below(1000)) as f64);
    }
    for e in -1074..1024 {
        check(2f64.powi(e));
    }
    for e in -323..309 {
        check(format!("1e{e}").parse().unwrap());
    }
}

#[test]
fn strings_read_and_write_as_serde_json_does() {
    let mut g = Gen(12);
    let alphabet: Vec<char> =
        "aZ09 \"\\/\u{0}\u{1}\u{8}\u{c}\n\r\t\u{1f}\u{7f}é판😀\u{fffd}\u{2028}"
            .chars()
            .collect();
    for _ in 0..5_000 {
        let s: String = (0..g.index(12))
            .map(|_| alphabet[g.index(alphabet.len())])
            .collect();
        let mut w = Writer::new(false);
        w.string(&s);
        let ours = w.finish();
        assert_eq!(ours, serde_json::to_string(&s).unwrap());
        assert_eq!(json::read(&ours, json::string), Ok(s.clone()));
        // Escaped every way JSON allows: \uXXXX for each UTF-16 unit.
        let escaped: String = s
            .encode_utf16()
            .map(|u| format!("\\u{u:04X}"))
            .collect::<String>();
        let escaped = format!("\"{escaped}\"");
        assert_eq!(serde_json::from_str::<String>(&escaped).unwrap(), s);
        assert_eq!(json::read(&escaped, json::string), Ok(s));
    }
}

#[test]
fn numbers_read_as_serde_json_reads_them() {
    let texts = [
        "0",
        "-0",
        "1",
        "4294967295",
        "4294967296",
        "18446744073709551615",
        "18446744073709551616",
        "-1",
        "0.5",
        "1e3",
        "1E-3",
        "-2.5e+2",
        "123456789012345678901234567890",
        "1e308",
        "2.2250738585072014e-308",
        "4.9e-324",
    ];
    for t in texts {
        assert_eq!(
            json::read(t, json::u64).ok(),
            serde_json::from_str::<u64>(t).ok(),
            "{t} as u64"
        );
        assert_eq!(
            json::read(t, json::u32).ok(),
            serde_json::from_str::<u32>(t).ok(),
            "{t} as u32"
        );
        assert_eq!(
            json::read(t, json::f64).ok().map(f64::to_bits),
            serde_json::from_str::<f64>(t).ok().map(f64::to_bits),
            "{t} as f64"
        );
    }
}

//! Decimal text to `f64`, correctly rounded (to nearest, ties to even), reading exactly
//! what `str::parse::<f64>` reads: an optional sign, then `inf`, `infinity` or `nan` in
//! any case, or digits with an optional `.` (a digit on at least one side) and an
//! optional exponent (`e` or `E`, an optional sign, digits). The standard library's
//! parser brings ~15 KB of tables and fast paths into the app's wasm (issue 8); this one
//! works the value out with exact integer arithmetic: slow, small, and checked bit for
//! bit against the standard library's (tests below).

use std::cmp::Ordering;

/// Digits kept: a halfway point between two doubles has at most 767 significant digits,
/// so past those a digit only matters as "something non-zero follows".
const MAX_DIGITS: usize = 768;

/// `text` as `text.parse::<f64>().ok()` reads it.
pub fn parse_f64(text: &str) -> Option<f64> {
    let (negative, rest) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let magnitude = if ["inf", "infinity"]
        .iter()
        .any(|name| rest.eq_ignore_ascii_case(name))
    {
        f64::INFINITY
    } else if rest.eq_ignore_ascii_case("nan") {
        f64::NAN
    } else {
        decimal(rest.as_bytes())?
    };
    Some(if negative { -magnitude } else { magnitude })
}

/// An unsigned decimal: `digits` × 10^`exp`, rounded to the nearest double.
fn decimal(s: &[u8]) -> Option<f64> {
    let mut digits = Vec::new();
    let mut exp: i64 = 0;
    let mut truncated = false;
    let (mut point, mut any) = (false, false);
    let mut i = 0;
    while let Some(&c) = s.get(i) {
        match c {
            b'0'..=b'9' => {
                any = true;
                let d = c - b'0';
                if digits.len() == MAX_DIGITS {
                    truncated |= d != 0;
                    exp += i64::from(!point);
                } else {
                    // Leading zeros are not digits, but after the point they scale.
                    if !digits.is_empty() || d != 0 {
                        digits.push(d);
                    }
                    exp -= i64::from(point);
                }
            }
            b'.' if !point => point = true,
            _ => break,
        }
        i += 1;
    }
    if !any {
        return None;
    }
    if let Some(b'e' | b'E') = s.get(i) {
        i += 1;
        let negative = s.get(i) == Some(&b'-');
        i += usize::from(matches!(s.get(i), Some(b'-' | b'+')));
        let start = i;
        let mut e: i64 = 0;
        while let Some(&c) = s.get(i).filter(|c| c.is_ascii_digit()) {
            // Far past any double's range, whatever the digits; never overflows `exp`.
            e = (e * 10 + i64::from(c - b'0')).min(1 << 48);
            i += 1;
        }
        if i == start {
            return None;
        }
        exp += if negative { -e } else { e };
    }
    if i != s.len() {
        return None;
    }
    if truncated {
        digits.push(1);
        exp -= 1;
    }
    if digits.is_empty() {
        return Some(0.0);
    }
    // Below 10^-325 rounds to zero, from 10^309 up to infinity; in between, the numbers
    // stay a few thousand bits long.
    let magnitude = digits.len() as i64 + exp;
    if magnitude <= -325 {
        return Some(0.0);
    }
    if magnitude > 309 {
        return Some(f64::INFINITY);
    }
    let mut num = vec![0u32];
    for &d in &digits {
        mul_add(&mut num, 10, u32::from(d));
    }
    let mut den = vec![1u32];
    for _ in 0..exp.unsigned_abs() {
        mul_add(if exp > 0 { &mut num } else { &mut den }, 10, 0);
    }
    // The value is num / den: find k with num / (den × 2^k) in [2^52, 2^53), or k at the
    // subnormals' -1074; the quotient is then the significand, the remainder rounds it.
    let mut k = bits(&num) as i64 - bits(&den) as i64 - 53;
    if at_least(&num, &den, k + 53) {
        k += 1;
    }
    let k = k.max(-1074);
    let (mut rest, div) = if k >= 0 {
        (num, shl(&den, k as usize))
    } else {
        (shl(&num, (-k) as usize), den)
    };
    let mut q: u64 = 0;
    for b in (0..53).rev() {
        let part = shl(&div, b);
        if cmp(&rest, &part) != Ordering::Less {
            sub(&mut rest, &part);
            q |= 1 << b;
        }
    }
    match cmp(&shl(&rest, 1), &div) {
        Ordering::Greater => q += 1,
        Ordering::Equal => q += q & 1,
        Ordering::Less => {}
    }
    let (q, k) = if q == 1 << 53 {
        (1 << 52, k + 1)
    } else {
        (q, k)
    };
    if k > 971 {
        return Some(f64::INFINITY);
    }
    // A subnormal (k = -1074, q < 2^52) is its significand; a normal's exponent field is
    // k + 1075, with the leading bit implicit.
    let bits = if q >> 52 == 0 {
        q
    } else {
        ((k + 1075) as u64) << 52 | (q & ((1 << 52) - 1))
    };
    Some(f64::from_bits(bits))
}

/// Numbers as 32-bit limbs, least significant first, without high zero limbs (zero is
/// `[0]` or empty).
type Big = Vec<u32>;

fn mul_add(a: &mut Big, m: u32, add: u32) {
    let mut carry = u64::from(add);
    for limb in a.iter_mut() {
        let v = u64::from(*limb) * u64::from(m) + carry;
        *limb = v as u32;
        carry = v >> 32;
    }
    if carry > 0 {
        a.push(carry as u32);
    }
    trim(a);
}

fn trim(a: &mut Big) {
    while a.last() == Some(&0) {
        a.pop();
    }
}

fn bits(a: &Big) -> usize {
    a.last()
        .map_or(0, |top| 32 * a.len() - top.leading_zeros() as usize)
}

fn shl(a: &Big, n: usize) -> Big {
    let (limbs, n) = (n / 32, n % 32);
    let mut out = vec![0u32; limbs];
    let mut carry = 0u32;
    for &limb in a {
        out.push(if n == 0 { limb } else { limb << n | carry });
        carry = if n == 0 { 0 } else { limb >> (32 - n) };
    }
    out.push(carry);
    trim(&mut out);
    out
}

/// Whether `a ≥ b × 2^n`.
fn at_least(a: &Big, b: &Big, n: i64) -> bool {
    let ordering = if n >= 0 {
        cmp(a, &shl(b, n as usize))
    } else {
        cmp(&shl(a, (-n) as usize), b)
    };
    ordering != Ordering::Less
}

fn cmp(a: &Big, b: &Big) -> Ordering {
    a.len()
        .cmp(&b.len())
        .then_with(|| a.iter().rev().cmp(b.iter().rev()))
}

/// `a -= b`, with `a ≥ b`.
fn sub(a: &mut Big, b: &Big) {
    let mut borrow = 0i64;
    for (i, limb) in a.iter_mut().enumerate() {
        let v = i64::from(*limb) - i64::from(b.get(i).copied().unwrap_or(0)) - borrow;
        *limb = v as u32;
        borrow = i64::from(v < 0);
    }
    trim(a);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Both parsers agree on whether `text` is a number, and on its bits.
    fn check(text: &str) {
        let ours = parse_f64(text).map(f64::to_bits);
        let std = text.parse::<f64>().ok().map(f64::to_bits);
        assert_eq!(ours, std, "{text:?}");
    }

    /// A splitmix64 stream: the cases are the same on every run.
    struct Cases(u64);

    impl Cases {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        }

        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }

        fn digits(&mut self, n: usize) -> String {
            (0..n)
                .map(|_| char::from(b'0' + self.below(10) as u8))
                .collect()
        }
    }

    /// The exact decimal expansion of `m × 2^e`.
    fn exact(m: u64, e: i64) -> String {
        let mut n = vec![m as u32, (m >> 32) as u32];
        trim(&mut n);
        if e >= 0 {
            n = shl(&n, e as usize);
        } else {
            // m × 2^-k = m × 5^k / 10^k
            for _ in 0..-e {
                mul_add(&mut n, 5, 0);
            }
        }
        let mut text = String::new();
        while !n.is_empty() {
            // Divides by 10, keeping the remainder: one decimal digit.
            let mut rem = 0u64;
            for limb in n.iter_mut().rev() {
                let v = rem << 32 | u64::from(*limb);
                *limb = (v / 10) as u32;
                rem = v % 10;
            }
            trim(&mut n);
            text.insert(0, char::from(b'0' + rem as u8));
        }
        if e >= 0 {
            return text;
        }
        let k = (-e) as usize;
        let text = format!("{}{text}", "0".repeat((k + 1).saturating_sub(text.len())));
        let (int, frac) = text.split_at(text.len() - k);
        format!("{int}.{frac}")
    }

    #[test]
    fn reads_what_the_standard_library_reads() {
        for text in [
            "0", "-0", "+0", "0.0", "00", "1", "+1", "-1", "1.", ".5", "-.5", "+.5", "1.5",
            "0.1", "0.2", "0.3", "1e5", "1E5", "1e+5", "1e-5", "1.e5", "1.5E-3", "001.100",
            "123456789012345678901234567890", "9007199254740992", "9007199254740993",
            "9007199254740994", "9007199254740995", "2.2250738585072011e-308",
            "2.2250738585072012e-308", "2.2250738585072014e-308", "2.225073858507201e-308",
            "4.9406564584124654e-324", "4.9e-324", "5e-324", "3e-324", "2.4703282292062328e-324",
            "2.4703282292062327e-324", "2.4703282292062327208828439643411068618252990130716238221279284125033775363510437593264991818081799618989828234772285886546332835517796989819938739800539093906315035659515570226392290858392449105184435931802849936536152500319370457678249219365623669863658480757001585769269903706311928279558551332927834338409351978015531246597263579574622766465272827220056374006485499977096599470454020828166226237857393450736339007967761930577506740176324673600968951340535537458516661134223766678604162159680461914467291840300530057530849048765391711386591646239524912623653881879636239373280423891018672348497668235089863388587925628302755995657524455507255189313690836254779186948667994968324049705821028513185451396213837722826145437693412532098591327667236328125e-324",
            "1.7976931348623157e308", "1.7976931348623158e308", "1.7976931348623159e308",
            "1.797693134862315807937289714053e308", "1.7976931348623159077293051907890e308",
            "1e308", "1e309", "1e-400", "0e999999999999999999999", "1e99999999999999999999999",
            "1e-99999999999999999999999", "0.000000000000000000000000000000000001e36",
            "inf", "Inf", "INF", "-inf", "+inf", "infinity", "-Infinity", "INFINITY", "nan",
            "NaN", "-nan", "+NaN", "", ".", "+", "-", "e5", ".e5", "1e", "1e+", "1e-", "1e5.5",
            "1..5", "1.5.", " 1", "1 ", "0x10", "1_000", "1,5", "++1", "+-1", "--1", "infinit",
            "infinityy", "nana", "in", "1f", "1d", "١", "1e٥", "+∞",
        ] {
            check(text);
        }
    }

    #[test]
    fn long_inputs_round_as_their_exact_value() {
        // Halfway between 1 and the next double; just below, just above.
        let half = exact((1 << 53) + 1, -53);
        check(&half);
        check(&format!("{half}00000000000000000000000000000000000001"));
        check(&half[..half.len() - 1]);
        check(&format!("{}{}", half, "0".repeat(5000)));
        check(&format!("{}{}1", half, "0".repeat(5000)));
        check(&format!("0.{}1e400", "0".repeat(20_000)));
        check(&format!("{}e-20000", "1".repeat(20_000)));
        check(&format!("{}.{}", "9".repeat(400), "9".repeat(400)));
    }

    #[test]
    fn agrees_with_the_standard_library_over_random_inputs() {
        let mut cases = Cases(0x6b61_666b_612d_6c61);
        for _ in 0..200_000 {
            let text = match cases.below(6) {
                // Any double, as Rust prints it (shortest round trip) or to a few digits.
                0 => {
                    let x = f64::from_bits(cases.next());
                    match cases.below(3) {
                        0 => format!("{x}"),
                        1 => format!("{x:e}"),
                        _ => format!("{x:.*e}", cases.below(25) as usize),
                    }
                }
                // A halfway point between two doubles, exactly, or a hair either side.
                1 => {
                    let bits = cases.next() >> 1;
                    let e = (bits >> 52) as i64;
                    if e == 0x7ff {
                        continue;
                    }
                    // m × 2^(e - 1075), the implicit bit set but for subnormals.
                    let (m, e) = match e {
                        0 => (bits, 1),
                        _ => (bits & ((1 << 52) - 1) | 1 << 52, e),
                    };
                    let half = exact(2 * m + 1, e - 1076);
                    let point = if half.contains('.') { "" } else { "." };
                    match cases.below(3) {
                        0 => half,
                        1 => format!("{half}{point}{}1", "0".repeat(cases.below(30) as usize)),
                        _ => half[..half.len() - 1].to_string(),
                    }
                }
                // Subnormals and the edges of the range.
                2 => {
                    let m = cases.below(1 << 53);
                    let x = f64::from_bits(m);
                    format!("{:.*e}", cases.below(20) as usize, x)
                }
                // Digit strings with a point and an exponent anywhere.
                3 => {
                    let longest = if cases.below(10) == 0 { 900 } else { 40 };
                    let len = 1 + cases.below(longest) as usize;
                    let mut digits = cases.digits(len);
                    if cases.below(2) == 0 {
                        digits.insert(cases.below(len as u64 + 1) as usize, '.');
                    }
                    let e = cases.below(800) as i64 - 400;
                    let sign = ["", "-", "+"][cases.below(3) as usize];
                    match cases.below(3) {
                        0 => format!("{sign}{digits}"),
                        1 => format!("{sign}{digits}e{e}"),
                        _ => format!("{sign}{digits}E{e:+}"),
                    }
                }
                // Integers around 2^53 and 2^64.
                4 => {
                    let base = [1u128 << 53, 1 << 54, 1 << 64, 1 << 80][cases.below(4) as usize];
                    format!("{}", base + u128::from(cases.below(64)) - 32)
                }
                // Numbers with a character changed, dropped or added: refused alike.
                _ => {
                    let mut text: Vec<u8> = format!("{:e}", f64::from_bits(cases.next())).into();
                    let at = cases.below(text.len() as u64 + 1) as usize;
                    let c = b"0123456789.eE+-_ xinfa"[cases.below(22) as usize];
                    match cases.below(3) {
                        0 if at < text.len() => text[at] = c,
                        1 if at < text.len() => {
                            text.remove(at);
                        }
                        _ => text.insert(at, c),
                    }
                    String::from_utf8(text).unwrap()
                }
            };
            check(&text);
        }
    }
}

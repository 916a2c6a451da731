//! FILE_CHECK (keepalived check_file.c, track_file.c): a real server follows the integer
//! in a tracked file, as a fault or as a change to its weight.

/// keepalived process_track_file: `strtol(text, NULL, 0)` of the file's first 127 bytes
/// (leading blanks, a sign, `0x` for hex, a leading `0` for octal; no digits is 0). None
/// when the number is outside what keepalived accepts (it then ignores the file's change).
pub fn parse_value(text: &[u8]) -> Option<i64> {
    let t = &text[..text.len().min(127)];
    let mut i = t
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(t.len());
    let mut neg = false;
    if let Some(&c) = t.get(i) {
        if c == b'-' || c == b'+' {
            neg = c == b'-';
            i += 1;
        }
    }
    let (radix, start) = match (t.get(i), t.get(i + 1)) {
        (Some(b'0'), Some(b'x' | b'X')) if t.get(i + 2).is_some_and(|c| c.is_ascii_hexdigit()) => {
            (16, i + 2)
        }
        (Some(b'0'), _) => (8, i),
        _ => (10, i),
    };
    let mut v: i128 = 0;
    for &c in &t[start..] {
        let Some(d) = (c as char).to_digit(radix) else {
            break;
        };
        v = v * i128::from(radix) + i128::from(d);
        if v > i128::from(i64::MAX) {
            return None;
        }
    }
    let v = if neg { -v } else { v };
    if v < i128::from(i32::MIN) || v > i128::from(i32::MAX) + 1 {
        return None;
    }
    Some(v as i64)
}

/// keepalived update_track_file_status for a checker: None is a fault (the checker is
/// down), Some(w) is up with `w` added to the real server's weight. With weight 0 any
/// value but 0 is a fault (with `reverse`, 0 is); otherwise value × weight (negated with
/// `reverse`) is the change, and only the lowest integer is a fault.
pub fn status(value: i64, weight: i32, reverse: bool) -> Option<i64> {
    if weight == 0 {
        return if (value != 0) != reverse {
            None
        } else {
            Some(0)
        };
    }
    let m: i128 = if reverse { -1 } else { 1 };
    let s = (i128::from(value) * i128::from(weight) * m)
        .clamp(i128::from(i32::MIN), i128::from(i32::MAX));
    if s == i128::from(i32::MIN) {
        None
    } else {
        Some(s as i64)
    }
}

/// The weight a real server runs with: its configured weight plus its files' changes,
/// never below 0 (keepalived update_svr_wgt).
pub fn effective_weight(base: u32, changes: impl IntoIterator<Item = i64>) -> u32 {
    let w = i64::from(base) + changes.into_iter().sum::<i64>();
    w.clamp(0, i64::from(u32::MAX)) as u32
}

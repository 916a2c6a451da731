//! Wall-clock time in the local time zone (libc's localtime_r, mktime, timegm), for what
//! is scheduled at a time of day (keepalived's reload_time_file).

use std::time::{SystemTime, UNIX_EPOCH};

/// Now, in Unix seconds.
pub fn unix_seconds() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// A tm with every field zero (the time zone name a null pointer, as nothing reads it).
fn blank_tm() -> libc::tm {
    libc::tm {
        tm_sec: 0,
        tm_min: 0,
        tm_hour: 0,
        tm_mday: 0,
        tm_mon: 0,
        tm_year: 0,
        tm_wday: 0,
        tm_yday: 0,
        tm_isdst: 0,
        tm_gmtoff: 0,
        tm_zone: std::ptr::null(),
    }
}

fn tm_of(t: i64, utc: bool) -> Option<libc::tm> {
    let t = t as libc::time_t;
    let mut tm = blank_tm();
    // SAFETY: both take valid pointers to a time_t and a tm, and are reentrant.
    let r = unsafe {
        if utc {
            libc::gmtime_r(&t, &mut tm)
        } else {
            libc::localtime_r(&t, &mut tm)
        }
    };
    (!r.is_null()).then_some(tm)
}

/// The calendar date of `t` (local, or UTC).
pub fn date_of(t: i64, utc: bool) -> (i32, u32, u32) {
    tm_of(t, utc).map_or((1970, 1, 1), |tm| {
        (tm.tm_year + 1900, tm.tm_mon as u32 + 1, tm.tm_mday as u32)
    })
}

/// A calendar time as Unix seconds, in the local zone or UTC; None when it does not exist
/// there (30 February, an hour skipped by a change to summer time), as keepalived finds by
/// comparing what mktime normalised.
pub fn civil_to_unix(date: (i32, u32, u32), hms: (u32, u32, u32), utc: bool) -> Option<i64> {
    let mut tm = blank_tm();
    tm.tm_year = date.0 - 1900;
    tm.tm_mon = date.1 as i32 - 1;
    tm.tm_mday = date.2 as i32;
    tm.tm_hour = hms.0 as i32;
    tm.tm_min = hms.1 as i32;
    tm.tm_sec = hms.2 as i32;
    tm.tm_isdst = -1;
    let asked = tm;
    // SAFETY: mktime and timegm read and normalise the tm they are given.
    let t = unsafe {
        if utc {
            libc::timegm(&mut tm)
        } else {
            libc::mktime(&mut tm)
        }
    };
    let same = (
        tm.tm_year, tm.tm_mon, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
    ) == (
        asked.tm_year,
        asked.tm_mon,
        asked.tm_mday,
        asked.tm_hour,
        asked.tm_min,
        asked.tm_sec,
    );
    (t != -1 && same).then_some(t as i64)
}

/// `YYYY-MM-DD HH:MM:SS` in the local zone.
pub fn format_local(t: i64) -> String {
    match tm_of(t, false) {
        Some(tm) => format!(
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
            tm.tm_year + 1900,
            tm.tm_mon + 1,
            tm.tm_mday,
            tm.tm_hour,
            tm.tm_min,
            tm.tm_sec
        ),
        None => t.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_round_trips_and_the_calendar_is_checked() {
        let t = civil_to_unix((2026, 12, 2), (4, 20, 0), true).unwrap();
        assert_eq!(t, 1_796_185_200);
        assert_eq!(date_of(t, true), (2026, 12, 2));
        assert_eq!(civil_to_unix((2026, 2, 30), (0, 0, 0), true), None);
        assert!(civil_to_unix((2028, 2, 29), (0, 0, 0), true).is_some());
    }
}

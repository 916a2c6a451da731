//! keepalived's `reload_time_file` (core/reload_monitor.c): a file whose first line names
//! when the daemon reloads, `HH:MM:SS`, `YY-MM-DD HH:MM:SS` or `YYYY-MM-DD HH:MM:SS`, local
//! time unless it ends in `Z` (UTC). The parent follows the file (created, changed,
//! removed) through inotify on its directory and reloads at that time; after the reload
//! the file is removed, unless `reload_repeat` and the line has no date (then it reloads
//! at that time every day).

use std::io;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// What the line says, before it is placed in time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Spec {
    /// Year (four digits), month, day, when given.
    pub date: Option<(i32, u32, u32)>,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    pub utc: bool,
}

/// Why a line is not a reload time (keepalived's words).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refused {
    Format(String),
    Invalid(String),
    Past(String),
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refused::Format(t) => write!(f, "Reload time {t} format is incorrect - ignoring"),
            Refused::Invalid(t) => write!(f, "Reload date/time {t} invalid - ignoring"),
            Refused::Past(t) => write!(f, "Reload time {t} is in the past - ignoring"),
        }
    }
}

fn digits(s: &str) -> Option<u32> {
    (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

/// Reads the line exactly as keepalived does: one of the three lengths, one space between
/// date and time, an optional trailing `Z`; ranges checked here, the calendar (Feb 30,
/// a missing local hour) when it is placed in time.
pub fn parse(line: &str) -> Result<Spec, Refused> {
    let (body, utc) = match line.strip_suffix('Z') {
        Some(b) => (b, true),
        None => (line, false),
    };
    let (date, time) = match body.len() {
        8 => (None, body),
        17 | 19 => match body.split_once(' ') {
            Some((d, t)) if t.len() == 8 => (Some(d), t),
            _ => return Err(Refused::Invalid(line.into())),
        },
        _ => return Err(Refused::Format(line.into())),
    };
    let hms: Vec<Option<u32>> = time.split(':').map(digits).collect();
    let [Some(hour), Some(minute), Some(second)] = hms[..] else {
        return Err(Refused::Invalid(line.into()));
    };
    if hour > 23 || minute > 59 || second > 60 {
        return Err(Refused::Invalid(line.into()));
    }
    let date = match date {
        None => None,
        Some(d) => {
            let p: Vec<Option<u32>> = d.split('-').map(digits).collect();
            let [Some(y), Some(m), Some(day)] = p[..] else {
                return Err(Refused::Invalid(line.into()));
            };
            // strptime's %y: 69-99 are 19xx, 00-68 20xx.
            let year = match d.split('-').next().map(str::len) {
                Some(2) if y >= 69 => 1900 + y as i32,
                Some(2) => 2000 + y as i32,
                Some(4) => y as i32,
                _ => return Err(Refused::Invalid(line.into())),
            };
            if !(1..=12).contains(&m) || !(1..=31).contains(&day) {
                return Err(Refused::Invalid(line.into()));
            }
            Some((year, m, day))
        }
    };
    Ok(Spec {
        date,
        hour,
        minute,
        second,
        utc,
    })
}

/// Places `spec` in time (Unix seconds), `now` being the current time: a time alone is
/// today's, or tomorrow's once today's has passed; a date in the past is refused.
/// `civil(spec_with_date, utc)` turns a calendar time into Unix seconds (None when that
/// time does not exist there), `today(now, utc)` gives the date of `now`.
pub fn place(
    spec: &Spec,
    text: &str,
    now: i64,
    civil: &dyn Fn(&Spec) -> Option<i64>,
    today: &dyn Fn(i64, bool) -> (i32, u32, u32),
) -> Result<i64, Refused> {
    let mut s = *spec;
    if s.date.is_none() {
        s.date = Some(today(now, s.utc));
    }
    let t = civil(&s).ok_or_else(|| Refused::Invalid(text.into()))?;
    if t > now {
        return Ok(t);
    }
    if spec.date.is_some() {
        return Err(Refused::Past(text.into()));
    }
    // Tomorrow at that time (the calendar again: a day is not always 86,400 s).
    let (y, m, d) = today(now + 86_400, s.utc);
    s.date = Some((y, m, d));
    civil(&s).ok_or_else(|| Refused::Invalid(text.into()))
}

/// The file followed, and the reload it has scheduled.
pub struct ReloadTimer {
    pub path: PathBuf,
    pub repeat: bool,
    watch: ka_net::inotify::Inotify,
    /// When (Unix seconds, and as an Instant), and whether the line had a date.
    at: Option<(i64, Instant, bool)>,
}

impl ReloadTimer {
    /// Follows `path` (its directory must exist, as keepalived requires) and reads it.
    pub fn new(path: &str, repeat: bool) -> io::Result<ReloadTimer> {
        let path = PathBuf::from(path);
        let dir = path.parent().unwrap_or(Path::new("/"));
        let watch = ka_net::inotify::Inotify::new()?;
        watch.watch_dir(dir)?;
        let mut t = ReloadTimer {
            path,
            repeat,
            watch,
            at: None,
        };
        t.read();
        Ok(t)
    }

    pub fn fd(&self) -> std::os::fd::RawFd {
        self.watch.as_raw_fd()
    }

    /// Something changed in the directory: the file is read again.
    pub fn changed(&mut self) {
        if self.watch.drain() {
            self.read();
        }
    }

    pub fn deadline(&self) -> Option<Instant> {
        self.at.map(|(_, i, _)| i)
    }

    /// The reload is due: the file goes unless it repeats daily (reload_repeat, no date).
    pub fn fire(&mut self) {
        let dated = self.at.is_some_and(|(_, _, d)| d);
        self.at = None;
        if !self.repeat || dated {
            let _ = std::fs::remove_file(&self.path);
        } else {
            // Kept: the same time tomorrow.
            self.read();
        }
    }

    fn read(&mut self) {
        let line = std::fs::read_to_string(&self.path)
            .ok()
            .and_then(|t| t.lines().next().map(str::to_string));
        let Some(line) = line else {
            self.cancel();
            return;
        };
        let now = ka_runtime::clock::unix_seconds();
        let placed = parse(&line).and_then(|spec| {
            place(
                &spec,
                &line,
                now,
                &|s: &Spec| {
                    ka_runtime::clock::civil_to_unix(s.date?, (s.hour, s.minute, s.second), s.utc)
                },
                &ka_runtime::clock::date_of,
            )
            .map(|t| (t, spec.date.is_some()))
        });
        match placed {
            Err(e) => {
                log::info!("{e}");
                self.cancel();
            }
            Ok((t, dated)) => {
                if self.at.map(|(old, _, _)| old) == Some(t) {
                    return;
                }
                let when = ka_runtime::clock::format_local(t);
                match self.at {
                    Some((old, _, _)) => log::info!(
                        "Reload time updated from {} to {when}",
                        ka_runtime::clock::format_local(old)
                    ),
                    None => log::info!("Scheduling reload for {when}"),
                }
                let wait = Duration::from_secs((t - now).max(0) as u64);
                self.at = Some((t, Instant::now() + wait, dated));
            }
        }
    }

    fn cancel(&mut self) {
        if let Some((t, _, _)) = self.at.take() {
            log::info!(
                "Cancelling reload scheduled for {}",
                ka_runtime::clock::format_local(t)
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// UTC only: days from the civil date (Howard Hinnant's algorithm).
    fn civil(s: &Spec) -> Option<i64> {
        let (y, m, d) = s.date?;
        let y = if m <= 2 { y - 1 } else { y } as i64;
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let mp = (m as i64 + 9) % 12;
        let doy = (153 * mp + 2) / 5 + d as i64 - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        let days = era * 146_097 + doe - 719_468;
        Some(days * 86_400 + (s.hour * 3600 + s.minute * 60 + s.second) as i64)
    }

    fn today(t: i64, _utc: bool) -> (i32, u32, u32) {
        // 2026-12-02 00:00:00 UTC is 1,796,169,600; tests stay within that week.
        let day = (t - 1_796_169_600).div_euclid(86_400);
        (2026, 12, 2 + day as u32)
    }

    #[test]
    fn the_three_forms_and_keepalived_refusals() {
        let t = parse("12:30:00").unwrap();
        assert_eq!(
            (t.date, t.hour, t.minute, t.second, t.utc),
            (None, 12, 30, 0, false)
        );
        assert_eq!(
            parse("26-12-02 12:30:00Z").unwrap().date,
            Some((2026, 12, 2))
        );
        assert_eq!(
            parse("2026-12-02 12:30:00").unwrap().date,
            Some((2026, 12, 2))
        );
        assert!(parse("2026-12-02 12:30:00Z").unwrap().utc);
        assert_eq!(parse("12:30").unwrap_err(), Refused::Format("12:30".into()));
        assert_eq!(
            parse(" 12:30:00").unwrap_err().to_string(),
            "Reload time  12:30:00 format is incorrect - ignoring"
        );
        assert!(matches!(parse("25:00:00"), Err(Refused::Invalid(_))));
        assert!(matches!(
            parse("2026-13-02 12:30:00"),
            Err(Refused::Invalid(_))
        ));
        assert!(matches!(
            parse("2026-12-02T12:30:00"),
            Err(Refused::Invalid(_))
        ));
    }

    #[test]
    fn a_time_alone_is_today_or_tomorrow_a_past_date_is_refused() {
        let now = civil(&Spec {
            date: Some((2026, 12, 2)),
            hour: 10,
            minute: 0,
            second: 0,
            utc: true,
        })
        .unwrap();
        let at = |text: &str| place(&parse(text).unwrap(), text, now, &civil, &today);
        assert_eq!(at("12:00:00Z"), Ok(now + 2 * 3600));
        assert_eq!(at("09:00:00Z"), Ok(now + 23 * 3600), "tomorrow");
        assert_eq!(
            at("10:00:00Z"),
            Ok(now + 24 * 3600),
            "now is not the future"
        );
        assert_eq!(at("2026-12-03 10:00:00Z"), Ok(now + 24 * 3600));
        assert_eq!(
            at("2026-12-01 10:00:00Z"),
            Err(Refused::Past("2026-12-01 10:00:00Z".into()))
        );
    }
}

//! Time as the caller's monotonic clock reads it, in microseconds (as in ka-vrrp; each
//! crate keeps its own so that neither depends on the other).

use std::ops::{Add, Sub};
use std::time::Duration;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Time(pub u64);

impl Add<Duration> for Time {
    type Output = Time;
    fn add(self, d: Duration) -> Time {
        Time(self.0.saturating_add(d.as_micros() as u64))
    }
}

impl Sub for Time {
    type Output = Duration;
    fn sub(self, o: Time) -> Duration {
        Duration::from_micros(self.0.saturating_sub(o.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic() {
        assert_eq!(Time(5_000_000) - Time(2_000_000), Duration::from_secs(3));
        assert_eq!(Time(1) - Time(2), Duration::ZERO, "never negative");
        assert_eq!(Time(1) + Duration::from_millis(1), Time(1_001));
    }
}

//! Delayed link state changes (keepalived's `interface_up_down_delays`;
//! keepalived_netlink.c update_interface_flags): once an interface has been seen up, a
//! change to down (or back up) takes effect only after the interface's delay, and a
//! change back before then cancels it. Without a delay, or before the interface was ever
//! up, a change takes effect at once.

use std::time::Duration;

use crate::time::Time;

/// What a link event leads to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The change takes effect now.
    Now(bool),
    /// The change waits (keepalived: "Adding flags change ... delay by").
    Delayed(Duration),
    /// A change that was waiting is dropped: the link is back as it was ("Delay timer
    /// for IF cancelled").
    Cancelled,
    /// A change to this state waits already: nothing to do now.
    Nothing,
}

#[derive(Default)]
pub struct LinkDelays {
    /// Per interface: (down delay, up delay).
    delays: Vec<(String, Duration, Duration)>,
    /// Per interface: the state in effect, and whether it was ever up.
    applied: Vec<(String, bool, bool)>,
    /// Per interface: the state waiting and when it takes effect.
    pending: Vec<(String, bool, Time)>,
}

impl LinkDelays {
    pub fn new(delays: Vec<(String, Duration, Duration)>) -> Self {
        LinkDelays {
            delays,
            ..LinkDelays::default()
        }
    }

    /// Whether any interface has a delay.
    pub fn any(&self) -> bool {
        self.delays
            .iter()
            .any(|(_, d, u)| !d.is_zero() || !u.is_zero())
    }

    fn applied(&self, name: &str) -> Option<(bool, bool)> {
        self.applied
            .iter()
            .find(|(n, ..)| n == name)
            .map(|(_, up, seen)| (*up, *seen))
    }

    /// Records the state in effect (at start, and when a change is applied).
    pub fn set(&mut self, name: &str, up: bool) {
        match self.applied.iter_mut().find(|(n, ..)| n == name) {
            Some(a) => {
                a.1 = up;
                a.2 |= up;
            }
            None => self.applied.push((name.to_string(), up, up)),
        }
    }

    /// The link of `name` is now `up` (as netlink or polling says).
    pub fn event(&mut self, now: Time, name: &str, up: bool) -> Outcome {
        let waiting = self.pending.iter().position(|(n, ..)| n == name);
        if let Some(w) = waiting {
            if self.pending[w].1 == up {
                return Outcome::Nothing;
            }
            self.pending.remove(w);
            // Back to the state in effect: the change is off.
            if self.applied(name).is_some_and(|(a, _)| a == up) {
                return Outcome::Cancelled;
            }
        }
        let (was, seen) = match self.applied(name) {
            Some(a) => a,
            None => {
                self.set(name, up);
                return Outcome::Now(up);
            }
        };
        // Nothing waits and the state is the one in effect: passed on as before, so that
        // what else decides an interface's status (present, has an address) is read again.
        if was == up {
            return Outcome::Now(up);
        }
        let delay = self.delays.iter().find(|(n, ..)| n == name).map_or(
            Duration::ZERO,
            |(_, down, upd)| if up { *upd } else { *down },
        );
        if seen && !delay.is_zero() {
            self.pending.push((name.to_string(), up, now + delay));
            return Outcome::Delayed(delay);
        }
        self.set(name, up);
        Outcome::Now(up)
    }

    /// The changes whose delay has passed at `now`, applied.
    pub fn due(&mut self, now: Time) -> Vec<(String, bool)> {
        let mut out = Vec::new();
        self.pending.retain(|(n, up, at)| {
            if *at <= now {
                out.push((n.clone(), *up));
                false
            } else {
                true
            }
        });
        for (n, up) in &out {
            self.set(n, *up);
        }
        out
    }

    pub fn next_deadline(&self) -> Option<Time> {
        self.pending.iter().map(|(.., at)| *at).min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(n: u64) -> Time {
        Time::ZERO + Duration::from_secs(n)
    }

    #[test]
    fn a_change_waits_its_delay_and_a_change_back_cancels_it() {
        let mut d = LinkDelays::new(vec![(
            "eth0".into(),
            Duration::from_secs(3),
            Duration::from_secs(1),
        )]);
        d.set("eth0", true);
        assert_eq!(
            d.event(s(10), "eth0", false),
            Outcome::Delayed(Duration::from_secs(3))
        );
        assert_eq!(d.event(s(11), "eth0", false), Outcome::Nothing);
        assert_eq!(d.next_deadline(), Some(s(13)));
        assert_eq!(d.due(s(12)), vec![]);
        assert_eq!(d.event(s(12), "eth0", true), Outcome::Cancelled);
        assert_eq!(d.next_deadline(), None);
        assert_eq!(
            d.event(s(20), "eth0", false),
            Outcome::Delayed(Duration::from_secs(3))
        );
        assert_eq!(d.due(s(23)), vec![("eth0".to_string(), false)]);
        // Up again: the up delay.
        assert_eq!(
            d.event(s(30), "eth0", true),
            Outcome::Delayed(Duration::from_secs(1))
        );
        assert_eq!(d.due(s(31)), vec![("eth0".to_string(), true)]);
        // Another interface, no delay: at once.
        assert_eq!(d.event(s(40), "eth1", false), Outcome::Now(false));
        assert_eq!(d.event(s(41), "eth1", true), Outcome::Now(true));
        // The same state again: passed on (the caller reads the interface again).
        assert_eq!(d.event(s(42), "eth1", true), Outcome::Now(true));
    }

    #[test]
    fn before_it_was_ever_up_a_change_is_at_once() {
        let mut d = LinkDelays::new(vec![(
            "eth0".into(),
            Duration::from_secs(3),
            Duration::from_secs(3),
        )]);
        d.set("eth0", false);
        assert_eq!(d.event(s(1), "eth0", true), Outcome::Now(true));
        assert_eq!(
            d.event(s(2), "eth0", false),
            Outcome::Delayed(Duration::from_secs(3))
        );
    }
}

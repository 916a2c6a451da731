//! The real servers' states as the parent remembers them between checker children.

use std::collections::BTreeMap;

use ka_ipc::ServerState;

/// The last reported state of each real server, by virtual server then real server: each
/// virtual server's name is held once, and a report that repeats a state (every hand-over
/// repeats all of them) allocates nothing.
#[derive(Debug, Default)]
pub struct Servers(BTreeMap<String, BTreeMap<String, Reported>>);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Reported {
    alive: bool,
    dynamic_weight: Option<u32>,
}

impl Servers {
    /// Records a report: whether the server went up or down with it (its first report
    /// counts as a change).
    pub fn update(&mut self, st: &ServerState) -> bool {
        let now = Reported {
            alive: st.alive,
            dynamic_weight: st.dynamic_weight,
        };
        if !self.0.contains_key(st.vs.as_str()) {
            self.0.insert(st.vs.clone(), BTreeMap::new());
        }
        let Some(rss) = self.0.get_mut(st.vs.as_str()) else {
            return false;
        };
        match rss.get_mut(st.rs.as_str()) {
            Some(r) => {
                let changed = r.alive != now.alive;
                *r = now;
                changed
            }
            None => {
                rss.insert(st.rs.clone(), now);
                true
            }
        }
    }

    /// Every state, as the checker reports them (what a successor receives).
    pub fn list(&self) -> Vec<ServerState> {
        self.0
            .iter()
            .flat_map(|(vs, rss)| {
                rss.iter().map(move |(rs, r)| ServerState {
                    vs: vs.clone(),
                    rs: rs.clone(),
                    alive: r.alive,
                    dynamic_weight: r.dynamic_weight,
                })
            })
            .collect()
    }

    /// Keeps the real servers `keep` answers true for (virtual server, real server).
    pub fn retain(&mut self, keep: impl Fn(&str, &str) -> bool) {
        self.0.retain(|vs, rss| {
            rss.retain(|rs, _| keep(vs, rs));
            !rss.is_empty()
        });
    }

    /// How many real servers are down in the virtual servers `of` answers true for.
    pub fn down(&self, of: impl Fn(&str) -> bool) -> usize {
        self.0
            .iter()
            .filter(|(vs, _)| of(vs))
            .map(|(_, rss)| rss.values().filter(|r| !r.alive).count())
            .sum()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn st(vs: &str, rs: &str, alive: bool, w: Option<u32>) -> ServerState {
        ServerState {
            vs: vs.into(),
            rs: rs.into(),
            alive,
            dynamic_weight: w,
        }
    }

    #[test]
    fn reports_change_states_and_repeats_do_not() {
        let mut s = Servers::default();
        assert!(s.is_empty());
        assert!(s.update(&st("v1", "r1", false, None)));
        assert!(s.update(&st("v1", "r2", true, None)));
        assert!(s.update(&st("v2", "r1", false, None)));
        assert!(!s.is_empty());
        // The same state again (a hand-over): no change; a new weight is kept all the same.
        assert!(!s.update(&st("v1", "r1", false, Some(7))));
        assert!(s.update(&st("v1", "r2", false, None)));
        assert!(s.update(&st("v1", "r2", true, None)));
        assert_eq!(
            s.list(),
            vec![
                st("v1", "r1", false, Some(7)),
                st("v1", "r2", true, None),
                st("v2", "r1", false, None)
            ]
        );
        assert_eq!(s.down(|_| true), 2);
        assert_eq!(s.down(|vs| vs == "v1"), 1);
        assert_eq!(s.down(|vs| vs == "v3"), 0);
        // A virtual server left without real servers goes whole.
        s.retain(|vs, rs| vs == "v1" && rs == "r2");
        assert_eq!(s.list(), vec![st("v1", "r2", true, None)]);
        s.retain(|_, _| false);
        assert!(s.is_empty());
        assert!(s.list().is_empty());
    }
}

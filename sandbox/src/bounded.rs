//! A map with a cap and a lifetime: what keeps the sandbox's memory bounded however many
//! requests it gets.
//!
//! Entries live `max_age` from their insertion; expired entries are invisible at once and
//! removed by [`Bounded::prune`] (called on every insertion and by the sandbox's periodic
//! pruner). When the map is full, an insertion first removes the oldest entry. Every
//! method that depends on the time has an `_at` form taking it, for tests.

use std::collections::{HashMap, VecDeque};

use time::{Duration, OffsetDateTime};

use crate::util::now;

/// The cap and lifetime of one kind of record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    /// Most entries kept at once.
    pub cap: usize,
    /// How long an entry lives after its insertion.
    pub max_age: Duration,
}

#[derive(Debug)]
struct Entry<V> {
    value: V,
    inserted: OffsetDateTime,
    seq: u64,
}

/// A `String`-keyed map with a [`Limit`].
#[derive(Debug)]
pub struct Bounded<V> {
    limit: Limit,
    map: HashMap<String, Entry<V>>,
    /// Keys in insertion order, with the insertion's sequence number; entries removed or
    /// replaced since are skipped (and compacted away when they pile up).
    order: VecDeque<(u64, String)>,
    next_seq: u64,
    evicted: u64,
}

impl<V> Bounded<V> {
    /// An empty map with this limit (a cap of 0 is taken as 1).
    pub fn new(limit: Limit) -> Self {
        Bounded {
            limit: Limit {
                cap: limit.cap.max(1),
                ..limit
            },
            map: HashMap::new(),
            order: VecDeque::new(),
            next_seq: 0,
            evicted: 0,
        }
    }

    fn live(&self, entry: &Entry<V>, at: OffsetDateTime) -> bool {
        at < entry.inserted + self.limit.max_age
    }

    /// Inserts (or replaces) an entry now.
    pub fn insert(&mut self, key: String, value: V) -> Option<V> {
        self.insert_at(key, value, now())
    }

    /// Inserts (or replaces) an entry at `at`: expired entries go first, then, if the map
    /// is still full, the oldest.
    pub fn insert_at(&mut self, key: String, value: V, at: OffsetDateTime) -> Option<V> {
        self.prune(at);
        let old = self.map.remove(&key).map(|e| e.value);
        while self.map.len() >= self.limit.cap {
            let Some((seq, oldest)) = self.order.pop_front() else {
                break;
            };
            if self.map.get(&oldest).is_some_and(|e| e.seq == seq) {
                self.map.remove(&oldest);
                self.evicted += 1;
            }
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        self.order.push_back((seq, key.clone()));
        self.map.insert(
            key,
            Entry {
                value,
                inserted: at,
                seq,
            },
        );
        self.compact();
        old
    }

    /// Removes the entries that have expired at `at`. Cheap: entries expire in insertion
    /// order, so this stops at the first live one.
    pub fn prune(&mut self, at: OffsetDateTime) {
        while let Some((seq, key)) = self.order.front() {
            match self.map.get(key) {
                Some(e) if e.seq == *seq => {
                    if self.live(e, at) {
                        break;
                    }
                    self.map.remove(key);
                }
                // Removed or replaced since: a stale position.
                _ => {}
            }
            self.order.pop_front();
        }
    }

    /// Drops stale positions once they outnumber the entries.
    fn compact(&mut self) {
        if self.order.len() > 2 * self.map.len() + 64 {
            let map = &self.map;
            self.order
                .retain(|(seq, key)| map.get(key).is_some_and(|e| e.seq == *seq));
        }
    }

    /// The live entry for `key`.
    pub fn get(&self, key: &str) -> Option<&V> {
        self.get_at(key, now())
    }

    /// The entry for `key` if it is live at `at`.
    pub fn get_at(&self, key: &str, at: OffsetDateTime) -> Option<&V> {
        self.map.get(key).filter(|e| self.live(e, at)).map(|e| &e.value)
    }

    /// The live entry for `key`, to change.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut V> {
        let at = now();
        let max_age = self.limit.max_age;
        self.map
            .get_mut(key)
            .filter(|e| at < e.inserted + max_age)
            .map(|e| &mut e.value)
    }

    /// Removes the entry for `key` and returns it if it was live.
    pub fn remove(&mut self, key: &str) -> Option<V> {
        self.remove_at(key, now())
    }

    /// Removes the entry for `key` and returns it if it was live at `at`.
    pub fn remove_at(&mut self, key: &str, at: OffsetDateTime) -> Option<V> {
        let entry = self.map.remove(key)?;
        self.compact();
        self.live(&entry, at).then_some(entry.value)
    }

    /// Keeps only the entries for which `keep` is true.
    pub fn retain(&mut self, mut keep: impl FnMut(&str, &mut V) -> bool) {
        self.map.retain(|k, e| keep(k, &mut e.value));
        self.compact();
    }

    /// Every entry still stored, to change.
    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut V> {
        self.map.values_mut().map(|e| &mut e.value)
    }

    /// Number of entries stored.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether nothing is stored.
    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// How many entries were dropped because the map was full.
    #[cfg(test)]
    pub fn evicted(&self) -> u64 {
        self.evicted
    }

    /// Positions kept for ordering (for tests of the bookkeeping's own bound).
    #[cfg(test)]
    fn positions(&self) -> usize {
        self.order.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const T0: OffsetDateTime = datetime!(2026-01-01 00:00 UTC);

    fn map(cap: usize, max_age_s: i64) -> Bounded<u32> {
        Bounded::new(Limit {
            cap,
            max_age: Duration::seconds(max_age_s),
        })
    }

    #[test]
    fn entries_expire_after_their_lifetime() {
        let mut m = map(10, 60);
        m.insert_at("a".into(), 1, T0);
        m.insert_at("b".into(), 2, T0 + Duration::seconds(30));
        let at = T0 + Duration::seconds(59);
        assert_eq!(m.get_at("a", at), Some(&1));
        let at = T0 + Duration::seconds(60);
        assert_eq!(m.get_at("a", at), None, "expired: invisible before it is pruned");
        assert_eq!(m.get_at("b", at), Some(&2));
        assert_eq!(m.len(), 2);
        m.prune(at);
        assert_eq!(m.len(), 1, "pruned");
        assert_eq!(
            m.remove_at("b", T0 + Duration::seconds(90)),
            None,
            "expired at removal"
        );
        assert!(m.is_empty());
    }

    #[test]
    fn a_full_map_drops_its_oldest_entry() {
        let mut m = map(3, 3600);
        for (i, k) in ["a", "b", "c", "d", "e"].iter().enumerate() {
            m.insert_at((*k).into(), i as u32, T0 + Duration::seconds(i as i64));
        }
        let at = T0 + Duration::seconds(10);
        assert_eq!(m.len(), 3);
        assert_eq!(m.evicted(), 2);
        assert_eq!(m.get_at("a", at), None);
        assert_eq!(m.get_at("b", at), None);
        assert_eq!(m.get_at("c", at), Some(&2));
        assert_eq!(m.get_at("e", at), Some(&4));
    }

    #[test]
    fn expired_entries_go_before_live_ones_are_evicted() {
        let mut m = map(2, 60);
        m.insert_at("old".into(), 1, T0);
        m.insert_at("new".into(), 2, T0 + Duration::seconds(50));
        m.insert_at("newer".into(), 3, T0 + Duration::seconds(70));
        let at = T0 + Duration::seconds(71);
        assert_eq!(m.evicted(), 0, "the expired one made room");
        assert_eq!(m.get_at("new", at), Some(&2));
        assert_eq!(m.get_at("newer", at), Some(&3));
    }

    #[test]
    fn replacing_or_removing_keeps_the_order_right() {
        let mut m = map(2, 3600);
        m.insert_at("a".into(), 1, T0);
        m.insert_at("b".into(), 2, T0 + Duration::seconds(1));
        // Re-inserting "a" makes it the newest: "b" is now the oldest.
        assert_eq!(m.insert_at("a".into(), 10, T0 + Duration::seconds(2)), Some(1));
        m.insert_at("c".into(), 3, T0 + Duration::seconds(3));
        let at = T0 + Duration::seconds(4);
        assert_eq!(m.get_at("b", at), None);
        assert_eq!(m.get_at("a", at), Some(&10));
        assert_eq!(m.get_at("c", at), Some(&3));
        m.retain(|_, v| *v != 3);
        assert_eq!(m.len(), 1);
        m.insert_at("d".into(), 4, at);
        assert_eq!(m.len(), 2, "a retained-away entry frees its place");
    }

    #[test]
    fn the_bookkeeping_stays_bounded_too() {
        let mut m = map(4, 3600);
        for i in 0..10_000 {
            let key = format!("k{i}");
            m.insert_at(key.clone(), i, T0);
            assert_eq!(m.remove_at(&key, T0), Some(i));
        }
        assert!(m.is_empty());
        assert!(m.positions() <= 64 + 1, "{} positions", m.positions());
        for i in 0..10_000 {
            m.insert_at(format!("k{i}"), i, T0 + Duration::seconds(i64::from(i)));
        }
        assert_eq!(m.len(), 4);
        assert!(m.positions() <= 2 * 4 + 64 + 1, "{} positions", m.positions());
    }
}

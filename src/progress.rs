//! Counters that long phases advance (pages read, names checked, actions done) and that the
//! output module shows on a terminal. Pure bookkeeping: nothing here prints or decides.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// A shared done/total pair; clones count together. Cheap to advance from many tasks.
#[derive(Debug, Clone, Default)]
pub struct Counter(Arc<(AtomicU64, AtomicU64)>);

impl Counter {
    /// Starts a new phase of `total` steps (0 when not known yet).
    pub fn start(&self, total: u64) {
        self.0.0.store(0, Ordering::Relaxed);
        self.0.1.store(total, Ordering::Relaxed);
    }

    pub fn set_total(&self, total: u64) {
        self.0.1.store(total, Ordering::Relaxed);
    }

    pub fn set_done(&self, done: u64) {
        self.0.0.store(done, Ordering::Relaxed);
    }

    pub fn advance(&self) {
        self.0.0.fetch_add(1, Ordering::Relaxed);
    }

    /// (done, total).
    pub fn get(&self) -> (u64, u64) {
        (
            self.0.0.load(Ordering::Relaxed),
            self.0.1.load(Ordering::Relaxed),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_count_together() {
        let c = Counter::default();
        c.start(3);
        let d = c.clone();
        d.advance();
        c.advance();
        assert_eq!(c.get(), (2, 3));
        c.start(0);
        assert_eq!(d.get(), (0, 0));
    }
}

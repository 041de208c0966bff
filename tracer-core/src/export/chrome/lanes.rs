//! Lanes: the `tid`s of one process in the Chrome file.
//!
//! A span record carries no thread, so lanes are derived: viewers need the
//! slices of one `tid` to nest properly, and a lane is a place where a
//! group of spans can go without overlapping anything already there. Each
//! tracked lane remembers only the hull of what it holds (earliest start,
//! latest end); a group goes into the first lane whose hull it does not
//! overlap, so memory stays at one pair of numbers per lane.

/// Lanes tracked for reuse, per process. Past this (only with more than
/// this many groups in flight at once), each group gets a lane of its own.
const MAX_TRACKED: usize = 1024;

/// The lanes of one process.
#[derive(Default)]
pub(super) struct Lanes {
    /// `(earliest start, latest end)` of each tracked lane; lane `i + 1`.
    hulls: Vec<(u64, u64)>,
    untracked: u32,
}

impl Lanes {
    /// The lane for a group spanning `start..end`, and whether the lane is
    /// new (its name is then still to be written).
    pub(super) fn place(&mut self, start: u64, end: u64) -> (u32, bool) {
        for (i, hull) in self.hulls.iter_mut().enumerate() {
            if end <= hull.0 || start >= hull.1 {
                hull.0 = hull.0.min(start);
                hull.1 = hull.1.max(end);
                return (i as u32 + 1, false);
            }
        }
        if self.hulls.len() < MAX_TRACKED {
            self.hulls.push((start, end));
            return (self.hulls.len() as u32, true);
        }
        self.untracked += 1;
        (MAX_TRACKED as u32 + self.untracked, true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_share_a_lane_when_they_do_not_overlap() {
        let mut lanes = Lanes::default();
        assert_eq!(lanes.place(10, 20), (1, true));
        assert_eq!(lanes.place(15, 30), (2, true));
        assert_eq!(lanes.place(20, 25), (1, false));
        assert_eq!(lanes.place(0, 10), (1, false));
        // Lane 1 now covers 0..25 (the hull, gaps included).
        assert_eq!(lanes.place(22, 40), (3, true));
        assert_eq!(lanes.place(30, 31), (1, false));
    }

    #[test]
    fn past_the_tracked_lanes_each_group_gets_its_own() {
        let mut lanes = Lanes::default();
        for i in 0..MAX_TRACKED {
            assert_eq!(lanes.place(0, 10), (i as u32 + 1, true));
        }
        assert_eq!(lanes.place(0, 10), (MAX_TRACKED as u32 + 1, true));
        assert_eq!(lanes.place(0, 10), (MAX_TRACKED as u32 + 2, true));
        assert_eq!(lanes.place(10, 20), (1, false));
    }
}

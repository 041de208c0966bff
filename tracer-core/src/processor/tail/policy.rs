//! The tail sampling policy: which traces to keep, judged from their spans.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, Ordering};

use crate::diag;
use crate::model::{RatioRule, SpanData, TraceId, Value};

/// A user's rule over a trace's spans: `true` keeps the trace.
pub(super) type Predicate = Box<dyn Fn(&[SpanData]) -> bool + Send + Sync>;

/// What the policy decided for a trace. The rules are tried in this order,
/// and a kept trace is counted under the first that keeps it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Verdict {
    /// A span failed: error status (a panic included), or cancelled.
    KeptError,
    /// The local root took at least the threshold.
    KeptSlow,
    /// The user's predicate said so.
    KeptPredicate,
    /// The trace id falls in the kept ratio.
    KeptRatio,
    /// None of the rules keeps it.
    Dropped,
}

impl Verdict {
    pub(super) fn keeps(self) -> bool {
        self != Verdict::Dropped
    }
}

/// What one pass over some of a trace's spans finds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct TraceScan {
    /// A span failed (only looked for when errors are kept).
    pub(super) failed: bool,
    /// A local root is among the spans.
    pub(super) has_root: bool,
    /// The longest local root's duration, in nanoseconds.
    pub(super) root_nanos: u64,
}

impl TraceScan {
    /// What two parts of a trace show together.
    pub(super) fn merge(self, other: TraceScan) -> TraceScan {
        TraceScan {
            failed: self.failed | other.failed,
            has_root: self.has_root | other.has_root,
            root_nanos: self.root_nanos.max(other.root_nanos),
        }
    }
}

/// Whether `span` is a local root: the outermost span of its trace in this
/// process, known by its parent being absent (a new trace) or remote (the
/// caller's span, from a propagated context).
#[inline(always)]
pub(super) fn is_local_root(span: &SpanData) -> bool {
    span.parent_span_id.is_none() | span.parent_is_remote
}

/// Whether `span` failed: an error status (which a panic sets, with the
/// message "panicked"), or the `cancelled = true` attribute of a future
/// dropped before it completed.
pub(super) fn failed(span: &SpanData) -> bool {
    span.status.is_error() || matches!(span.attribute("cancelled"), Some(Value::Bool(true)))
}

/// One pass over `spans`: their trace, if they all share one, and what the
/// policy needs from them. Failures are looked for only when
/// `look_for_failures`: a batch whose spans own no heap memory has no error
/// status and no attribute, so it is not read for them.
#[inline]
pub(super) fn scan(spans: &[SpanData], look_for_failures: bool) -> Option<(TraceId, TraceScan)> {
    let trace_id = spans.first()?.trace_id();
    let first = trace_id.to_u128();
    // The bits in which some span's trace id differs from the first's,
    // gathered without a branch: the common batch is one trace.
    let mut differ = 0;
    let mut scan = TraceScan::default();
    for span in spans {
        differ |= span.trace_id().to_u128() ^ first;
        if is_local_root(span) {
            scan.has_root = true;
            scan.root_nanos = scan
                .root_nanos
                .max(span.end_time_unix_nano.saturating_sub(span.start_time_unix_nano));
        }
    }
    if look_for_failures {
        scan.failed = spans.iter().any(failed);
    }
    (differ == 0).then_some((trace_id, scan))
}

/// The rules, as configured.
pub(super) struct Policy {
    pub(super) keep_errors: bool,
    /// Keep traces whose local root took at least this many nanoseconds.
    pub(super) slower_than_nanos: Option<u64>,
    pub(super) predicate: Option<Predicate>,
    pub(super) ratio: RatioRule,
}

impl Policy {
    /// The verdict for a trace, from its spans gathered so far and their
    /// scan. Without a local root among them (a trace decided before its
    /// root ended), the slow rule does not apply.
    pub(super) fn decide(&self, trace_id: TraceId, spans: &[SpanData], scan: TraceScan) -> Verdict {
        if self.keep_errors && scan.failed {
            Verdict::KeptError
        } else if scan.has_root && self.slower_than_nanos.is_some_and(|at| scan.root_nanos >= at) {
            Verdict::KeptSlow
        } else if self.predicate.as_ref().is_some_and(|p| predicate_keeps(p, spans)) {
            Verdict::KeptPredicate
        } else if self.ratio.selects(trace_id) {
            Verdict::KeptRatio
        } else {
            Verdict::Dropped
        }
    }
}

/// Asks the user's predicate. One that panics counts as `false`, and the
/// first panic is reported: the spans are then still decided and counted.
fn predicate_keeps(predicate: &Predicate, spans: &[SpanData]) -> bool {
    static REPORTED: AtomicBool = AtomicBool::new(false);
    match catch_unwind(AssertUnwindSafe(|| predicate(spans))) {
        Ok(keep) => keep,
        Err(_) => {
            if !REPORTED.swap(true, Ordering::Relaxed) {
                diag::warn("a tail sampling predicate panicked; it counts as false (later panics are not reported)");
            }
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_spans::{child, remote_root, root};
    use super::*;
    use crate::model::Status;

    const SECOND: u64 = 1_000_000_000;

    fn policy(slower_than: Option<u64>, predicate: Option<Predicate>, ratio: f64) -> Policy {
        Policy {
            keep_errors: true,
            slower_than_nanos: slower_than,
            predicate,
            ratio: RatioRule::new(ratio),
        }
    }

    fn decide(policy: &Policy, spans: &[SpanData]) -> Verdict {
        let (trace_id, scan) = scan(spans, true).expect("one trace");
        policy.decide(trace_id, spans, scan)
    }

    /// Trace ids whose low 56 bits are 2^52 (a sixteenth of 2^56) and
    /// 2^55 (a half): below and above a quarter.
    const LOW: u128 = 0xffff_0000_0000_0000_0010_0000_0000_0000;
    const HIGH: u128 = 0x0000_0000_0000_0000_0080_0000_0000_0000;

    #[test]
    fn a_failed_span_keeps_the_trace() {
        let policy = policy(None, None, 0.0);
        let mut failing = child(HIGH, 2, 1, 0, 10);
        failing.status = Status::error("boom");
        assert_eq!(decide(&policy, &[root(HIGH, 1, 0, 10), failing]), Verdict::KeptError);
        let mut panicked = child(HIGH, 2, 1, 0, 10);
        panicked.status = Status::error("panicked");
        assert_eq!(decide(&policy, &[panicked]), Verdict::KeptError);
        let mut cancelled = child(HIGH, 2, 1, 0, 10);
        cancelled.set_attribute("cancelled", true);
        assert_eq!(decide(&policy, &[cancelled.clone()]), Verdict::KeptError);
        // `cancelled = false` and an `Ok` status are no failures.
        cancelled.set_attribute("cancelled", false);
        cancelled.status = Status::Ok;
        assert_eq!(decide(&policy, &[cancelled]), Verdict::Dropped);
        let off = Policy {
            keep_errors: false,
            ..self::policy(None, None, 0.0)
        };
        let mut failing = root(HIGH, 1, 0, 10);
        failing.status = Status::error("boom");
        assert_eq!(decide(&off, &[failing]), Verdict::Dropped, "errors not kept");
    }

    #[test]
    fn a_slow_local_root_keeps_the_trace() {
        let policy = policy(Some(2 * SECOND), None, 0.0);
        assert_eq!(decide(&policy, &[root(HIGH, 1, SECOND, 3 * SECOND)]), Verdict::KeptSlow);
        assert_eq!(
            decide(&policy, &[root(HIGH, 1, SECOND, 3 * SECOND - 1)]),
            Verdict::Dropped
        );
        // A root under a remote parent is a local root too.
        assert_eq!(
            decide(&policy, &[remote_root(HIGH, 1, 0, 2 * SECOND)]),
            Verdict::KeptSlow
        );
        // A slow child is not a slow root.
        let spans = [root(HIGH, 1, 0, SECOND), child(HIGH, 2, 1, 0, 5 * SECOND)];
        assert_eq!(decide(&policy, &spans), Verdict::Dropped);
        assert_eq!(
            decide(&policy, &spans[1..]),
            Verdict::Dropped,
            "no root: the rule does not apply"
        );
    }

    #[test]
    fn the_predicate_sees_every_span_and_a_panic_counts_as_false() {
        let gold: Predicate = Box::new(|spans: &[SpanData]| {
            spans
                .iter()
                .any(|s| s.attribute("user.tier") == Some(&Value::from("gold")))
        });
        let policy = self::policy(None, Some(gold), 0.0);
        let mut tier = child(HIGH, 2, 1, 0, 10);
        tier.set_attribute("user.tier", "gold");
        assert_eq!(
            decide(&policy, &[root(HIGH, 1, 0, 10), tier.clone()]),
            Verdict::KeptPredicate
        );
        tier.set_attribute("user.tier", "silver");
        assert_eq!(decide(&policy, &[root(HIGH, 1, 0, 10), tier]), Verdict::Dropped);
        let panics = self::policy(None, Some(Box::new(|_: &[SpanData]| panic!("predicate"))), 0.0);
        assert_eq!(decide(&panics, &[root(HIGH, 1, 0, 10)]), Verdict::Dropped);
    }

    #[test]
    fn the_ratio_decides_by_the_low_56_bits_of_the_trace_id() {
        let quarter = policy(None, None, 0.25);
        assert_eq!(decide(&quarter, &[root(LOW, 1, 0, 10)]), Verdict::KeptRatio);
        assert_eq!(decide(&quarter, &[root(HIGH, 1, 0, 10)]), Verdict::Dropped);
    }

    #[test]
    fn a_kept_trace_counts_under_the_first_rule_that_keeps_it() {
        let all: Predicate = Box::new(|_: &[SpanData]| true);
        let policy = policy(Some(SECOND), Some(all), 1.0);
        let mut failing = root(LOW, 1, 0, 2 * SECOND);
        failing.status = Status::error("boom");
        assert_eq!(decide(&policy, &[failing]), Verdict::KeptError);
        assert_eq!(decide(&policy, &[root(LOW, 1, 0, 2 * SECOND)]), Verdict::KeptSlow);
        assert_eq!(decide(&policy, &[root(LOW, 1, 0, 10)]), Verdict::KeptPredicate);
        let ratio_only = self::policy(Some(SECOND), None, 1.0);
        assert_eq!(decide(&ratio_only, &[root(LOW, 1, 0, 10)]), Verdict::KeptRatio);
    }

    #[test]
    fn a_scan_finds_the_trace_its_roots_and_failures() {
        let mut failing = child(HIGH, 3, 2, 0, 10);
        failing.status = Status::error("boom");
        let spans = [
            child(HIGH, 2, 1, 5, 50),
            root(HIGH, 1, 0, 40),
            failing,
            remote_root(HIGH, 4, 0, 70),
        ];
        let expected = TraceScan {
            failed: true,
            has_root: true,
            root_nanos: 70,
        };
        assert_eq!(scan(&spans, true), Some((TraceId::from_u128(HIGH).unwrap(), expected)));
        let unread = TraceScan {
            failed: false,
            ..expected
        };
        assert_eq!(scan(&spans, false).map(|(_, s)| s), Some(unread));
        assert_eq!(scan(&spans[..1], true).map(|(_, s)| s), Some(TraceScan::default()));
        assert_eq!(
            scan(&[root(HIGH, 1, 0, 1), root(LOW, 2, 0, 1)], true),
            None,
            "two traces"
        );
        assert_eq!(scan(&[], true), None);
        let merged = TraceScan::default().merge(TraceScan {
            failed: true,
            has_root: false,
            root_nanos: 3,
        });
        assert_eq!((merged.failed, merged.has_root, merged.root_nanos), (true, false, 3));
    }
}

use std::collections::{HashMap, HashSet, VecDeque};
use std::fmt::Write as _;
use std::io::Write;
use std::time::Duration;

use super::{ExportError, SpanExporter};
use crate::model::KeyValue;
use crate::model::{SpanData, SpanKind, Status};
use crate::model::{SpanId, TraceId};

/// Prints each trace as a readable tree: names, durations, kinds, tags,
/// events and status.
///
/// Spans are held until their trace's local root ends, then the whole tree
/// is printed at once. A span that ends after its root (in a spawned task)
/// is printed with the batch it arrives in, under a `(late)` heading: at
/// once under a simple processor, within the export interval under a batch
/// one. Spans whose root never ends are printed on `force_flush`/`shutdown`
/// (or once more than 10 000 spans are held).
///
/// ```text
/// trace 5b8aa5a2d2c872e8321cf37308d69df2
/// order_processing 2.31ms order_id=ord_123
/// ├─ payment_processing 1.02ms amount=99.99
/// └─ inventory_update 0.48ms items_count=3 ✗ out of stock
///    • exception +0.45ms exception.type=Stock exception.message=out of stock
/// ```
pub struct ConsoleExporter {
    writer: Box<dyn Write + Send>,
    pending: HashMap<TraceId, Vec<SpanData>>,
    held: usize,
    /// Traces whose root was printed, the latest [`MAX_PRINTED`]: their
    /// late spans are printed as they come.
    printed: HashSet<TraceId>,
    printed_order: VecDeque<TraceId>,
}

const MAX_HELD: usize = 10_000;
const MAX_PRINTED: usize = 4096;

impl Default for ConsoleExporter {
    fn default() -> ConsoleExporter {
        ConsoleExporter::new()
    }
}

impl ConsoleExporter {
    /// Prints to stdout.
    pub fn new() -> ConsoleExporter {
        ConsoleExporter::with_writer(std::io::stdout())
    }

    /// Prints to `writer`.
    pub fn with_writer(writer: impl Write + Send + 'static) -> ConsoleExporter {
        ConsoleExporter {
            writer: Box::new(writer),
            pending: HashMap::new(),
            held: 0,
            printed: HashSet::new(),
            printed_order: VecDeque::new(),
        }
    }

    fn print_trace(&mut self, trace_id: TraceId) -> std::io::Result<()> {
        let Some(mut spans) = self.pending.remove(&trace_id) else {
            return Ok(());
        };
        self.held -= spans.len();
        spans.sort_by_key(|s| s.start_time_unix_nano);
        let late = !self.remember_printed(trace_id);
        let text = render_trace(trace_id, &spans, late);
        self.writer.write_all(text.as_bytes())?;
        self.writer.flush()
    }

    /// Notes that `trace_id`'s root was printed; false if it already was.
    fn remember_printed(&mut self, trace_id: TraceId) -> bool {
        if !self.printed.insert(trace_id) {
            return false;
        }
        self.printed_order.push_back(trace_id);
        if self.printed_order.len() > MAX_PRINTED {
            if let Some(oldest) = self.printed_order.pop_front() {
                self.printed.remove(&oldest);
            }
        }
        true
    }
}

impl SpanExporter for ConsoleExporter {
    fn export(&mut self, batch: &[SpanData]) -> Result<(), ExportError> {
        let mut complete = Vec::new();
        for span in batch {
            let is_local_root = span.parent_span_id.is_none() || span.parent_is_remote;
            // A late span of a printed trace goes out with this batch.
            if is_local_root || self.printed.contains(&span.trace_id()) {
                complete.push(span.trace_id());
            }
            self.pending.entry(span.trace_id()).or_default().push(span.clone());
            self.held += 1;
        }
        complete.dedup();
        for trace_id in complete {
            self.print_trace(trace_id)?;
        }
        if self.held > MAX_HELD {
            self.force_flush()?;
        }
        Ok(())
    }

    fn force_flush(&mut self) -> Result<(), ExportError> {
        let traces: Vec<TraceId> = self.pending.keys().copied().collect();
        for trace_id in traces {
            self.print_trace(trace_id)?;
        }
        Ok(())
    }
}

/// The text of one trace's tree.
fn render_trace(trace_id: TraceId, spans: &[SpanData], late: bool) -> String {
    let ids: HashMap<SpanId, usize> = spans.iter().enumerate().map(|(i, s)| (s.span_id(), i)).collect();
    let mut children: HashMap<Option<SpanId>, Vec<usize>> = HashMap::new();
    for (i, span) in spans.iter().enumerate() {
        // A span whose parent is not here is drawn at the top.
        let parent = span.parent_span_id.filter(|p| ids.contains_key(p));
        children.entry(parent).or_default().push(i);
    }
    let mut out = format!("trace {trace_id}{}\n", if late { " (late)" } else { "" });
    if let Some(tops) = children.get(&None) {
        for &top in tops {
            render_span(&mut out, spans, &children, top, "", None);
        }
    }
    out.push('\n');
    out
}

fn render_span(
    out: &mut String,
    spans: &[SpanData],
    children: &HashMap<Option<SpanId>, Vec<usize>>,
    index: usize,
    prefix: &str,
    last: Option<bool>,
) {
    let span = &spans[index];
    let (branch, child_prefix) = match last {
        None => ("", prefix.to_string()),
        Some(true) => ("└─ ", format!("{prefix}   ")),
        Some(false) => ("├─ ", format!("{prefix}│  ")),
    };
    let _ = write!(
        out,
        "{prefix}{branch}{} {}",
        span.name,
        format_duration(span.duration())
    );
    if span.kind != SpanKind::Internal {
        let _ = write!(out, " [{}]", span.kind.as_str());
    }
    if span.parent_is_remote {
        if let Some(parent) = span.parent_span_id {
            let _ = write!(out, " (remote parent {parent})");
        }
    }
    write_tags(out, &span.attributes);
    match &span.status {
        Status::Error { message } => {
            let _ = write!(out, " ✗ {message}");
        }
        Status::Ok => out.push_str(" ✓"),
        Status::Unset => {}
    }
    out.push('\n');
    let kids = children.get(&Some(span.span_id()));
    let detail_prefix = match kids {
        Some(_) => format!("{child_prefix}│  "),
        None => format!("{child_prefix}   "),
    };
    for event in &span.events {
        let offset = Duration::from_nanos(event.timestamp_unix_nano.saturating_sub(span.start_time_unix_nano));
        let _ = write!(out, "{detail_prefix}• {} +{}", event.name, format_duration(offset));
        write_tags(out, &event.attributes);
        out.push('\n');
    }
    if let Some(kids) = kids {
        for (i, &kid) in kids.iter().enumerate() {
            render_span(out, spans, children, kid, &child_prefix, Some(i + 1 == kids.len()));
        }
    }
}

fn write_tags(out: &mut String, attributes: &[KeyValue]) {
    for kv in attributes {
        let _ = write!(out, " {}={}", kv.key, kv.value);
    }
}

fn format_duration(d: Duration) -> String {
    let nanos = d.as_nanos();
    if nanos < 1_000 {
        format!("{nanos}ns")
    } else if nanos < 1_000_000 {
        format!("{:.2}µs", nanos as f64 / 1e3)
    } else if nanos < 1_000_000_000 {
        format!("{:.2}ms", nanos as f64 / 1e6)
    } else {
        format!("{:.2}s", nanos as f64 / 1e9)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::sync::{Arc, Mutex};

    use crate::model::{SpanContext, TraceFlags, TraceState};

    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn span(name: &'static str, trace: u128, id: u64, parent: Option<u64>) -> SpanData {
        let context = SpanContext::new(
            TraceId::from_u128(trace).unwrap(),
            SpanId::from_u64(id).unwrap(),
            TraceFlags::SAMPLED,
            false,
            TraceState::empty(),
        );
        let parent = parent.map(|p| {
            SpanContext::new(
                TraceId::from_u128(trace).unwrap(),
                SpanId::from_u64(p).unwrap(),
                TraceFlags::SAMPLED,
                false,
                TraceState::empty(),
            )
        });
        let mut data = SpanData::new(name.into(), SpanKind::Internal, context, parent.as_ref(), 1_000);
        data.end_time_unix_nano = 2_000;
        data
    }

    #[test]
    fn a_span_ending_after_its_root_is_printed_with_its_batch() {
        let out = Shared::default();
        let mut exporter = ConsoleExporter::with_writer(out.clone());
        exporter
            .export(&[span("child", 7, 2, Some(1)), span("root", 7, 1, None)])
            .unwrap();
        exporter.export(&[span("spawned_task", 7, 3, Some(1))]).unwrap();
        let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
        assert_eq!(
            text,
            "trace 00000000000000000000000000000007\nroot 1.00µs\n└─ child 1.00µs\n\n\
             trace 00000000000000000000000000000007 (late)\nspawned_task 1.00µs\n\n"
        );
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(format_duration(Duration::from_nanos(12)), "12ns");
        assert_eq!(format_duration(Duration::from_micros(1500)), "1.50ms");
        assert_eq!(format_duration(Duration::from_secs(2)), "2.00s");
    }
}

//! The Chrome trace-event exporter: spans as a file that Perfetto
//! (ui.perfetto.dev, which runs in the browser and uploads nothing) and
//! `chrome://tracing` open.

mod events;
mod flows;
mod forest;
mod lanes;
mod sink;

use std::io::{Seek, Write};
use std::path::Path;

use events::{FlowKind, Place};
use flows::{Drawn, Flows, Waiting};
use forest::Forest;
use lanes::Lanes;
use sink::{EventSink, Output};

use super::{ExportError, SpanExporter};
use crate::model::{Resource, SpanData, SpanId, TraceId};

const DAY_NANOS: u64 = 86_400 * 1_000_000_000;

/// Writes spans in the Chrome trace-event format (the JSON Array Format),
/// which [Perfetto](https://ui.perfetto.dev) and `chrome://tracing` open:
/// a timeline per service, no backend needed.
///
/// What the file holds:
///
/// - Each span is a complete event (`"ph":"X"`): `name`, `cat` (the span
///   kind), `ts` and `dur` in microseconds (fractions down to the
///   nanosecond), `pid`, `tid`, and `args` with `trace_id`, `span_id`,
///   `parent_span_id`, `status` (and `status_message`), `attributes`,
///   `links` and any dropped counts. Error spans get `"cname":"terrible"`
///   and cancelled futures `"cname":"grey"` (the legacy viewer's colours).
/// - Each span event is an instant event (`"ph":"i"`, scope `t`) on its
///   span's lane, its attributes as `args`.
/// - A child drawn in another lane than its parent, and a link, is a flow
///   arrow: a `"ph":"s"` event in the parent (or linked span) and a
///   `"ph":"f"` event with `"bp":"e"` in the child, sharing an `id`.
/// - `pid` is one per service (`service.name` of the resource given to
///   [`set_resource`](SpanExporter::set_resource); spans exported after a
///   new resource go to that service's process), named by a `process_name`
///   metadata event, which also holds the time origin as
///   `time_origin_unix_nano`.
///
/// **Lanes, not threads.** A span record has no thread, and recording one
/// would cost the hot path, so `tid` is a *lane*, named `lane N` by a
/// `thread_name` event. A span and its descendants that nest in it without
/// overlapping each other share their lane: usually what one thread ran
/// between two hand-overs. Children that overlap a sibling (concurrent
/// futures, tasks on other threads) or outlive their parent start a lane of
/// their own, with a flow arrow from the parent. A group goes into the first
/// lane that holds nothing in its time range, so the lane count follows
/// the concurrency, and the slices in every lane nest as viewers require.
///
/// **Times.** `ts` counts from a time origin: by default midnight UTC of
/// the day before the exporter was made, which keeps numbers small enough
/// to be exact as JSON doubles (microseconds since 1970 would be rounded to
/// a quarter microsecond). Spans that started before the origin are
/// written at 0. [`with_time_origin`](Self::with_time_origin) sets another.
///
/// **Streaming.** The `[` opening the array is written at the first export
/// and each event as it comes, in pieces of 64 KiB, so memory stays flat
/// whatever the number of spans (a few hundred kilobytes of tables, plus
/// the largest batch's tree). For a file ([`create`](Self::create)) or any
/// other seekable writer ([`seekable`](Self::seekable)), `force_flush` and
/// `shutdown` write the closing `]`, and the next export steps back over
/// it: the file is valid JSON after every flush. A plain writer
/// ([`new`](Self::new)) gets the closing `]` on `shutdown` only; until then
/// it holds an unclosed array, which Chrome and Perfetto load as it is (the
/// format allows it, so a file cut short by a crash still opens).
///
/// **Arrows between batches** are drawn through two bounded tables (recent
/// spans, and arrows waiting for a parent still to come); an arrow that
/// falls out of them, or would point back in time, is left out and counted
/// ([`flows_left_out`](Self::flows_left_out)).
///
/// It writes well over a million spans per second on one core (run
/// `cargo run --release --example chrome_trace_speed`).
///
/// ```
/// use tracer_core::export::ChromeTraceExporter;
/// use tracer_core::{in_span, TracerProvider};
///
/// # let dir = std::env::temp_dir().join("tracer-chrome-doc");
/// # std::fs::create_dir_all(&dir).unwrap();
/// let path = dir.join("trace.json");
/// let guard = TracerProvider::builder()
///     .service_name("checkout")
///     .with_batch_exporter(ChromeTraceExporter::create(&path).unwrap())
///     .install()
///     .unwrap();
/// in_span("load_cart", |_| {});
/// drop(guard); // shuts down: the file is closed
/// let text = std::fs::read_to_string(&path).unwrap();
/// assert!(text.contains(r#""name":"load_cart""#));
/// assert!(text.ends_with("]\n"));
/// ```
pub struct ChromeTraceExporter {
    out: Drawing,
    forest: Forest,
    /// Per span of the batch being written: where it went (also marks it
    /// visited).
    drawn: Vec<Option<Drawn>>,
    /// Spans still to write: index, lane, whether it starts a lane group.
    stack: Vec<(u32, u32, bool)>,
    shut_down: bool,
}

/// The file being written and what it says so far: processes, lanes,
/// arrows.
struct Drawing {
    sink: EventSink,
    origin: u64,
    processes: Vec<Process>,
    current: Option<usize>,
    flows: Flows,
}

/// One service: a `pid` and its lanes.
struct Process {
    service: String,
    named: bool,
    lanes: Lanes,
}

/// Where a span ends for lane purposes: an end before the start (bad
/// input) counts as the start.
fn end_of(span: &SpanData) -> u64 {
    span.end_time_unix_nano.max(span.start_time_unix_nano)
}

impl ChromeTraceExporter {
    fn with_output(output: Output) -> ChromeTraceExporter {
        let now = crate::clock::now_unix_nanos();
        ChromeTraceExporter {
            out: Drawing {
                sink: EventSink::new(output),
                origin: (now - now % DAY_NANOS).saturating_sub(DAY_NANOS),
                processes: Vec::new(),
                current: None,
                flows: Flows::default(),
            },
            forest: Forest::default(),
            drawn: Vec::new(),
            stack: Vec::new(),
            shut_down: false,
        }
    }

    /// Writes to `writer`, closing the array on `shutdown`.
    pub fn new(writer: impl Write + Send + 'static) -> ChromeTraceExporter {
        ChromeTraceExporter::with_output(Output::Stream(Box::new(writer)))
    }

    /// Writes to a seekable `writer` (a file, an `io::Cursor`): the array is
    /// closed after every flush, and reopened before the next events.
    pub fn seekable(writer: impl Write + Seek + Send + 'static) -> ChromeTraceExporter {
        ChromeTraceExporter::with_output(Output::Seekable(Box::new(writer)))
    }

    /// Creates (or truncates) the file at `path`. A path that cannot seek (a
    /// pipe) is written as a plain stream.
    pub fn create(path: impl AsRef<Path>) -> std::io::Result<ChromeTraceExporter> {
        let mut file = std::fs::File::create(path)?;
        Ok(if file.stream_position().is_ok() {
            ChromeTraceExporter::seekable(std::io::BufWriter::new(file))
        } else {
            ChromeTraceExporter::new(std::io::BufWriter::new(file))
        })
    }

    /// Counts `ts` from `unix_nano` instead.
    ///
    /// ```
    /// use tracer_core::export::ChromeTraceExporter;
    ///
    /// let exporter = ChromeTraceExporter::new(std::io::sink()).with_time_origin(1_700_000_000_000_000_000);
    /// assert_eq!(exporter.time_origin(), 1_700_000_000_000_000_000);
    /// ```
    pub fn with_time_origin(mut self, unix_nano: u64) -> ChromeTraceExporter {
        self.out.origin = unix_nano;
        self
    }

    /// What `ts` 0 stands for, in unix nanoseconds.
    pub fn time_origin(&self) -> u64 {
        self.out.origin
    }

    /// Flow arrows left out so far (see the type's docs).
    pub fn flows_left_out(&self) -> u64 {
        self.out.flows.left_out()
    }

    fn write_batch(&mut self, batch: &[SpanData]) -> std::io::Result<()> {
        self.out.name_process()?;
        self.forest.build(batch);
        self.drawn.clear();
        self.drawn.resize(batch.len(), None);
        let forest = &self.forest;
        // Spans in a parent cycle (bad input) are no root's descendants:
        // after the roots, whatever is left is drawn as a root too.
        for root in forest.roots().iter().copied().chain(0..batch.len() as u32) {
            if self.drawn[root as usize].is_some() {
                continue;
            }
            let span = &batch[root as usize];
            let place = self.out.place_group(span.start_time_unix_nano, end_of(span))?;
            self.stack.push((root, place.tid, true));
            while let Some((i, tid, starts_group)) = self.stack.pop() {
                if self.drawn[i as usize].is_some() {
                    continue;
                }
                let span = &batch[i as usize];
                let (start, end) = (span.start_time_unix_nano, end_of(span));
                // Children that nest one after another stay in this lane;
                // the others start groups in other lanes.
                let mut cursor = start;
                let mut first_nested = None;
                let pushed = self.stack.len();
                for &kid in forest.children(i) {
                    let child = &batch[kid as usize];
                    let (child_start, child_end) = (child.start_time_unix_nano, end_of(child));
                    if child_start >= cursor && child_end <= end {
                        first_nested.get_or_insert(child_start);
                        cursor = child_end;
                        self.stack.push((kid, tid, false));
                    } else {
                        let place = self.out.place_group(child_start, child_end)?;
                        self.stack.push((kid, place.tid, true));
                    }
                }
                self.stack[pushed..].reverse();
                // Arrows attach before the first nested child, where this
                // span is the innermost slice of its lane.
                let anchor = start + (first_nested.unwrap_or(end) - start) / 2;
                let drawn = Drawn {
                    place: Place {
                        pid: self.out.pid(),
                        tid,
                    },
                    start,
                    anchor,
                };
                self.drawn[i as usize] = Some(drawn);
                let parent = forest.parent(i).and_then(|p| self.drawn[p as usize]);
                self.out.write_span(span, drawn, starts_group, parent)?;
            }
        }
        Ok(())
    }
}

impl Drawing {
    fn pid(&self) -> u32 {
        self.current.map_or(1, |i| i as u32 + 1)
    }

    /// Switches to the process of `service`, adding it if new.
    fn switch_to(&mut self, service: &str) {
        let index = match self.processes.iter().position(|p| p.service == service) {
            Some(index) => index,
            None => {
                self.processes.push(Process {
                    service: service.to_string(),
                    named: false,
                    lanes: Lanes::default(),
                });
                self.processes.len() - 1
            }
        };
        self.current = Some(index);
    }

    /// Writes the current process's name once.
    fn name_process(&mut self) -> std::io::Result<()> {
        if self.current.is_none() {
            self.switch_to(Resource::default().service_name());
        }
        let pid = self.pid();
        let Some(process) = self.current.map(|i| &mut self.processes[i]) else {
            return Ok(());
        };
        if !process.named {
            process.named = true;
            events::write_process_name(self.sink.next_event()?, pid, &process.service, self.origin);
        }
        Ok(())
    }

    /// The lane for a group of spans spanning `start..end`, named if new.
    fn place_group(&mut self, start: u64, end: u64) -> std::io::Result<Place> {
        let pid = self.pid();
        let Some(process) = self.current.map(|i| &mut self.processes[i]) else {
            return Ok(Place { pid, tid: 1 });
        };
        let (tid, new) = process.lanes.place(start, end);
        let place = Place { pid, tid };
        if new {
            events::write_lane_name(self.sink.next_event()?, place);
        }
        Ok(place)
    }

    /// The span, its events and its arrows. `parent` is where its parent
    /// went if it is in the same batch.
    fn write_span(
        &mut self,
        span: &SpanData,
        drawn: Drawn,
        starts_group: bool,
        parent: Option<Drawn>,
    ) -> std::io::Result<()> {
        let origin = self.origin;
        events::write_span(self.sink.next_event()?, span, drawn.place, origin);
        for event in &span.events {
            let out = self.sink.next_event()?;
            events::write_instant(
                out,
                &event.name,
                &event.attributes,
                event.timestamp_unix_nano,
                drawn.place,
                origin,
            );
        }
        let trace_id = span.trace_id();
        if let (true, Some(parent_id)) = (starts_group, span.parent_span_id) {
            let from = parent.or_else(|| self.flows.find(trace_id, parent_id));
            self.arrow_from(
                FlowKind::Parent,
                trace_id,
                parent_id,
                from,
                span.parent_is_remote,
                drawn,
            )?;
        }
        for link in &span.links {
            let (linked_trace, linked_span) = (link.context.trace_id(), link.context.span_id());
            let from = self.flows.find(linked_trace, linked_span);
            self.arrow_from(
                FlowKind::Link,
                linked_trace,
                linked_span,
                from,
                link.context.is_remote(),
                drawn,
            )?;
        }
        if let Some(waiting) = self.flows.take_waiting(trace_id, span.span_id()) {
            for arrow in waiting {
                self.write_flow(arrow.kind, drawn, arrow.place, arrow.at)?;
            }
        }
        self.flows.remember(trace_id, span.span_id(), drawn);
        self.sink.spill_if_full()
    }

    /// An arrow from `(trace_id, span_id)` to `to`: drawn now if the span is
    /// known, else kept until it comes (not for remote spans, which do not).
    fn arrow_from(
        &mut self,
        kind: FlowKind,
        trace_id: TraceId,
        span_id: SpanId,
        from: Option<Drawn>,
        remote: bool,
        to: Drawn,
    ) -> std::io::Result<()> {
        match from {
            Some(from) => self.write_flow(kind, from, to.place, to.anchor),
            None if !remote => {
                let waiting = Waiting {
                    kind,
                    place: to.place,
                    at: to.anchor,
                };
                self.flows.wait_for(trace_id, span_id, waiting);
                Ok(())
            }
            None => Ok(()),
        }
    }

    /// Both ends of an arrow from `from` to `at` on lane `to`. The start is
    /// at `from`'s anchor, or earlier to keep the arrow forward in time; an
    /// arrow to before `from` started is left out.
    fn write_flow(&mut self, kind: FlowKind, from: Drawn, to: Place, at: u64) -> std::io::Result<()> {
        if at < from.start {
            self.flows.leave_out();
            return Ok(());
        }
        let id = self.flows.next_id();
        let origin = self.origin;
        events::write_flow_end(
            self.sink.next_event()?,
            true,
            kind,
            id,
            from.anchor.min(at),
            from.place,
            origin,
        );
        events::write_flow_end(self.sink.next_event()?, false, kind, id, at, to, origin);
        Ok(())
    }
}

/// Dropped without `shutdown`, the exporter still writes what it gathered
/// and closes the array (errors cannot be reported there).
impl Drop for ChromeTraceExporter {
    fn drop(&mut self) {
        let _ = self.shutdown();
    }
}

impl SpanExporter for ChromeTraceExporter {
    fn export(&mut self, batch: &[SpanData]) -> Result<(), ExportError> {
        if self.shut_down {
            return Err(ExportError::ShutDown);
        }
        if !batch.is_empty() {
            self.write_batch(batch)?;
        }
        Ok(())
    }

    fn force_flush(&mut self) -> Result<(), ExportError> {
        if !self.shut_down {
            self.out.sink.flush(false)?;
        }
        Ok(())
    }

    fn shutdown(&mut self) -> Result<(), ExportError> {
        if !self.shut_down {
            self.shut_down = true;
            self.out.sink.flush(true)?;
        }
        Ok(())
    }

    /// Spans exported from now on belong to the process of the resource's
    /// `service.name`.
    fn set_resource(&mut self, resource: &Resource) {
        self.out.switch_to(resource.service_name());
    }
}

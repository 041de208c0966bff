//! The streamed JSON array the Chrome exporter writes into: `[` before the
//! first event, `,` between events, and the closing `]` on flush (seekable
//! writers, stepping back over it before the next event) or on shutdown.

use std::io::{Seek, SeekFrom, Write};

/// What ends the array; a seekable writer steps back over it.
const CLOSING: &str = "\n]\n";

/// Events are gathered in memory and written out in pieces of about this
/// size, so memory stays flat however many spans pass.
const SPILL_AT: usize = 64 * 1024;

/// A writer that can step back over the closing bracket.
pub(super) trait WriteSeek: Write + Seek + Send {}

impl<T: Write + Seek + Send> WriteSeek for T {}

pub(super) enum Output {
    /// Closed once, on shutdown.
    Stream(Box<dyn Write + Send>),
    /// Closed on every flush.
    Seekable(Box<dyn WriteSeek>),
}

pub(super) struct EventSink {
    output: Output,
    text: String,
    opened: bool,
    events: u64,
    /// The closing bracket is the last thing written.
    closed: bool,
}

impl EventSink {
    pub(super) fn new(output: Output) -> EventSink {
        EventSink {
            output,
            text: String::with_capacity(SPILL_AT + 4096),
            opened: false,
            events: 0,
            closed: false,
        }
    }

    fn writer(&mut self) -> &mut dyn Write {
        match &mut self.output {
            Output::Stream(writer) => writer,
            Output::Seekable(writer) => writer,
        }
    }

    /// The buffer to write the next event into, after the separator.
    pub(super) fn next_event(&mut self) -> std::io::Result<&mut String> {
        if self.closed {
            if let Output::Seekable(writer) = &mut self.output {
                writer.seek(SeekFrom::Current(-(CLOSING.len() as i64)))?;
            }
            self.closed = false;
        }
        if !self.opened {
            self.text.push_str("[\n");
            self.opened = true;
        }
        if self.events > 0 {
            self.text.push_str(",\n");
        }
        self.events += 1;
        Ok(&mut self.text)
    }

    /// Writes the gathered events out once there are enough of them.
    pub(super) fn spill_if_full(&mut self) -> std::io::Result<()> {
        if self.text.len() >= SPILL_AT {
            self.spill()?;
        }
        Ok(())
    }

    fn spill(&mut self) -> std::io::Result<()> {
        let text = std::mem::take(&mut self.text);
        let result = self.writer().write_all(text.as_bytes());
        self.text = text;
        self.text.clear();
        result
    }

    /// Writes out what is gathered; closes the array when `close` is set or
    /// the writer is seekable (it is reopened before the next event).
    pub(super) fn flush(&mut self, close: bool) -> std::io::Result<()> {
        let close = close || matches!(self.output, Output::Seekable(_));
        if close && !self.closed {
            if !self.opened {
                self.text.push_str("[\n");
                self.opened = true;
            }
            self.text.push_str(CLOSING);
        }
        self.spill()?;
        if close {
            self.closed = true;
        }
        self.writer().flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;
    use std::sync::{Arc, Mutex};

    /// A seekable buffer the test reads after the sink has written it.
    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Cursor<Vec<u8>>>>);

    impl Write for Shared {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().write(bytes)
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Seek for Shared {
        fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
            self.0.lock().unwrap().seek(to)
        }
    }

    impl Shared {
        fn text(&self) -> String {
            String::from_utf8(self.0.lock().unwrap().get_ref().clone()).unwrap()
        }
    }

    #[test]
    fn a_seekable_array_is_closed_after_every_flush() {
        let shared = Shared::default();
        let mut sink = EventSink::new(Output::Seekable(Box::new(shared.clone())));
        sink.flush(false).unwrap();
        assert_eq!(shared.text(), "[\n\n]\n");
        sink.next_event().unwrap().push('1');
        sink.flush(false).unwrap();
        assert_eq!(shared.text(), "[\n1\n]\n");
        sink.next_event().unwrap().push('2');
        sink.next_event().unwrap().push('3');
        sink.flush(true).unwrap();
        assert_eq!(shared.text(), "[\n1,\n2,\n3\n]\n");
    }

    #[test]
    fn a_stream_is_closed_once() {
        let shared = Shared::default();
        let mut sink = EventSink::new(Output::Stream(Box::new(shared.clone())));
        sink.next_event().unwrap().push('1');
        sink.flush(false).unwrap();
        assert_eq!(shared.text(), "[\n1");
        sink.next_event().unwrap().push('2');
        sink.flush(true).unwrap();
        sink.flush(true).unwrap();
        assert_eq!(shared.text(), "[\n1,\n2\n]\n");
    }
}

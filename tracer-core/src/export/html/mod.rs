//! The HTML exporter: one self-contained page showing each trace as a
//! waterfall, for looking at traces without a backend.

mod page_data;

use std::io::Write;
use std::path::{Path, PathBuf};

use page_data::PageSummary;

use super::{ExportError, SpanExporter};
use crate::model::{Resource, SpanData};

/// The page around the data: markers `/*STYLE*/`, `/*DATA*/` and
/// `/*SCRIPT*/` are replaced by the style sheet, the spans and the script.
const PAGE: &str = include_str!("page.html");
const STYLE: &str = include_str!("viewer.css");
const SCRIPT: &str = include_str!("viewer.js");

/// Writes one self-contained `.html` page (no network: the script, the
/// style sheet and the spans are all inside) that shows each trace as a
/// waterfall.
///
/// The page lists the traces (sortable by start, duration or errors) and
/// shows the chosen one as one row per span, indented by depth, with a bar
/// from its start for its duration, coloured by status; error and
/// cancelled spans are marked, events are ticks on the bar. Clicking a span
/// shows its attributes, events, links and ids; the search box keeps the
/// spans whose name contains the text (and their ancestors); subtrees
/// collapse. Only the rows on screen are drawn, so a trace of 100 000 spans
/// scrolls smoothly.
///
/// **Memory.** The exporter keeps every span it receives, as page text
/// (about 150 to 400 bytes a span, more with many attributes or events),
/// and rewrites the whole page on each `force_flush` and on `shutdown`
/// (through a temporary file renamed over the page, so the page on disk is
/// always whole). At most [`DEFAULT_MAX_SPANS`](Self::DEFAULT_MAX_SPANS) spans are kept, or the
/// number given to [`with_max_spans`](Self::with_max_spans); spans past it
/// are counted ([`spans_left_out`](Self::spans_left_out)) and the page
/// says how many were left out.
///
/// Spans are grouped under the `service.name` of the resource given to
/// [`set_resource`](SpanExporter::set_resource) before them.
///
/// ```
/// use tracer_core::export::HtmlExporter;
/// use tracer_core::{in_span, TracerProvider};
///
/// # let dir = std::env::temp_dir().join("tracer-html-doc");
/// # std::fs::create_dir_all(&dir).unwrap();
/// let path = dir.join("trace.html");
/// let guard = TracerProvider::builder()
///     .service_name("checkout")
///     .with_simple_exporter(HtmlExporter::create(&path).unwrap())
///     .install()
///     .unwrap();
/// in_span("load_cart", |_| {});
/// drop(guard); // shuts down: the page is written
/// let page = std::fs::read_to_string(&path).unwrap();
/// assert!(page.contains(r#""n":"load_cart""#));
/// ```
pub struct HtmlExporter {
    path: PathBuf,
    /// The span objects, joined by commas.
    spans: String,
    kept: usize,
    max_spans: usize,
    left_out: u64,
    origin: Option<u64>,
    services: Vec<String>,
    current: Option<usize>,
    /// Spans arrived since the page was last written.
    changed: bool,
    shut_down: bool,
}

impl HtmlExporter {
    /// Spans kept by default: a page of this size (about 50 MB) still opens
    /// in a few seconds.
    pub const DEFAULT_MAX_SPANS: usize = 200_000;

    /// Writes the page to `path`: an empty page at once (so a path that
    /// cannot be written fails here), the spans on each flush.
    pub fn create(path: impl AsRef<Path>) -> std::io::Result<HtmlExporter> {
        let exporter = HtmlExporter {
            path: path.as_ref().to_path_buf(),
            spans: String::new(),
            kept: 0,
            max_spans: HtmlExporter::DEFAULT_MAX_SPANS,
            left_out: 0,
            origin: None,
            services: Vec::new(),
            current: None,
            changed: false,
            shut_down: false,
        };
        exporter.write_file()?;
        Ok(exporter)
    }

    /// Keeps at most `max_spans` spans; later ones are counted and left out.
    ///
    /// ```
    /// use tracer_core::export::{HtmlExporter, SpanExporter};
    /// # let path = std::env::temp_dir().join("tracer-html-doc-cap.html");
    ///
    /// let mut exporter = HtmlExporter::create(&path).unwrap().with_max_spans(1_000);
    /// assert_eq!(exporter.spans_left_out(), 0);
    /// # exporter.shutdown().unwrap();
    /// ```
    pub fn with_max_spans(mut self, max_spans: usize) -> HtmlExporter {
        self.max_spans = max_spans;
        self
    }

    /// Spans left out so far, past the cap.
    pub fn spans_left_out(&self) -> u64 {
        self.left_out
    }

    /// Writes the page as it stands to `writer`.
    pub fn write_page(&self, writer: &mut dyn Write) -> std::io::Result<()> {
        let (before_style, rest) = PAGE.split_once("/*STYLE*/").unwrap_or((PAGE, ""));
        let (before_data, rest) = rest.split_once("/*DATA*/").unwrap_or((rest, ""));
        let (before_script, after_script) = rest.split_once("/*SCRIPT*/").unwrap_or((rest, ""));
        writer.write_all(before_style.as_bytes())?;
        writer.write_all(STYLE.as_bytes())?;
        writer.write_all(before_data.as_bytes())?;
        let summary = PageSummary {
            origin: self.origin.unwrap_or(0),
            services: &self.services,
            left_out: self.left_out,
            max_spans: self.max_spans,
        };
        page_data::write_data(writer, &summary, &self.spans)?;
        writer.write_all(before_script.as_bytes())?;
        writer.write_all(SCRIPT.as_bytes())?;
        writer.write_all(after_script.as_bytes())
    }

    fn write_file(&self) -> std::io::Result<()> {
        let mut temporary = self.path.clone().into_os_string();
        temporary.push(".tmp");
        let temporary = PathBuf::from(temporary);
        let mut file = std::io::BufWriter::new(std::fs::File::create(&temporary)?);
        self.write_page(&mut file)?;
        file.into_inner().map_err(|e| e.into_error())?.sync_data()?;
        std::fs::rename(&temporary, &self.path)
    }

    fn service(&mut self) -> usize {
        match self.current {
            Some(index) => index,
            None => self.switch_to(Resource::default().service_name()),
        }
    }

    fn switch_to(&mut self, service: &str) -> usize {
        let index = match self.services.iter().position(|s| s == service) {
            Some(index) => index,
            None => {
                self.services.push(service.to_string());
                self.services.len() - 1
            }
        };
        self.current = Some(index);
        index
    }
}

/// Dropped without `shutdown`, the exporter still writes the page if spans
/// came since it was last written (errors cannot be reported there).
impl Drop for HtmlExporter {
    fn drop(&mut self) {
        let _ = self.shutdown();
    }
}

impl SpanExporter for HtmlExporter {
    fn export(&mut self, batch: &[SpanData]) -> Result<(), ExportError> {
        if self.shut_down {
            return Err(ExportError::ShutDown);
        }
        let service = self.service();
        for span in batch {
            if self.kept >= self.max_spans {
                self.left_out += 1;
                continue;
            }
            let origin = *self.origin.get_or_insert(span.start_time_unix_nano);
            if self.kept > 0 {
                self.spans.push(',');
            }
            page_data::write_span(&mut self.spans, span, service, origin);
            self.kept += 1;
        }
        self.changed = true;
        Ok(())
    }

    fn force_flush(&mut self) -> Result<(), ExportError> {
        if self.changed && !self.shut_down {
            self.write_file()?;
            self.changed = false;
        }
        Ok(())
    }

    fn shutdown(&mut self) -> Result<(), ExportError> {
        let result = self.force_flush();
        self.shut_down = true;
        result
    }

    /// Spans exported from now on belong to the resource's `service.name`.
    fn set_resource(&mut self, resource: &Resource) {
        self.switch_to(resource.service_name());
    }
}

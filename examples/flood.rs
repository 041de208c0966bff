//! Eight threads make spans as fast as they can, on however many cores the
//! machine has, into the default batch processor: what fraction of spans
//! the bounded queue drops when the export thread cannot keep up, how full
//! the queue gets, and the process's memory. The exporter writes OTLP/JSON
//! lines to nowhere, so the export thread pays a real encoding cost.
//!
//! ```sh
//! cargo run --release --example flood            # 8 threads, 5 seconds, queue 2048
//! cargo run --release --example flood -- 8 5 65536
//! ```

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tracer::export::JsonLinesExporter;
use tracer::processor::{BatchConfig, BatchSpanProcessor};
use tracer::{Span, TracerProvider, in_span};

fn resident_mib() -> f64 {
    // Pages resident, from /proc (Linux); 0 elsewhere.
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: f64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0.0);
    pages * 4096.0 / (1024.0 * 1024.0)
}

fn main() {
    let mut args = std::env::args().skip(1).map(|a| a.parse::<usize>().expect("a number"));
    let threads = args.next().unwrap_or(8);
    let seconds = args.next().unwrap_or(5);
    let queue = args.next().unwrap_or(BatchConfig::default().max_queue_size);

    let processor = BatchSpanProcessor::new(
        JsonLinesExporter::new(std::io::sink()),
        BatchConfig::default().max_queue_size(queue),
    );
    let guard = TracerProvider::builder().with_processor(processor).install().unwrap();
    let provider = guard.provider().unwrap();

    let stop = Arc::new(AtomicBool::new(false));
    let peak = Arc::new(AtomicU64::new(0));
    let monitor = {
        let (stop, peak) = (Arc::clone(&stop), Arc::clone(&peak));
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                peak.fetch_max(provider.stats().processors.queued, Ordering::Relaxed);
                std::thread::sleep(Duration::from_micros(200));
            }
        })
    };
    let start = Instant::now();
    let producers: Vec<_> = (0..threads)
        .map(|_| {
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let _root = Span::root("request").entered();
                    for _ in 0..99 {
                        in_span("step", |_| {});
                    }
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs(seconds as u64));
    let rss = resident_mib();
    stop.store(true, Ordering::Relaxed);
    for producer in producers {
        producer.join().unwrap();
    }
    let elapsed = start.elapsed();
    monitor.join().unwrap();
    let _ = provider.force_flush(Duration::from_secs(30));
    let stats = provider.stats().processors;
    println!("threads {threads}, queue {queue}, {:.1} s", elapsed.as_secs_f64());
    println!(
        "spans: {} made, {} exported, {} dropped ({:.1}%)",
        stats.received,
        stats.exported,
        stats.dropped_queue_full,
        100.0 * stats.dropped_queue_full as f64 / stats.received.max(1) as f64
    );
    println!(
        "made {:.1} M spans/s; exported {:.1} M spans/s",
        stats.received as f64 / elapsed.as_secs_f64() / 1e6,
        stats.exported as f64 / elapsed.as_secs_f64() / 1e6
    );
    println!(
        "queue peak {} of {queue}; resident memory {rss:.0} MiB",
        peak.load(Ordering::Relaxed)
    );
    drop(guard);
}

//! `TRACER_TAIL_SAMPLING_*`: tracer's own variables for a tail sampler in
//! front of each exporter's processor.

use super::parse::Parser;
use crate::processor::TailSamplingConfig;

const RATIO: &str = "TRACER_TAIL_SAMPLING_RATIO";
const SLOWER_THAN_MS: &str = "TRACER_TAIL_SAMPLING_SLOWER_THAN_MS";
const KEEP_ERRORS: &str = "TRACER_TAIL_SAMPLING_KEEP_ERRORS";
const MAX_TRACES: &str = "TRACER_TAIL_SAMPLING_MAX_TRACES";
const MAX_SPANS: &str = "TRACER_TAIL_SAMPLING_MAX_SPANS";
const LATE_SPAN_WINDOW_MS: &str = "TRACER_TAIL_SAMPLING_LATE_SPAN_WINDOW_MS";
const REMEMBERED_TRACES: &str = "TRACER_TAIL_SAMPLING_REMEMBERED_TRACES";

/// Every tail sampling variable: setting any one of them asks for a tail
/// sampler.
const VARIABLES: [&str; 7] = [
    RATIO,
    SLOWER_THAN_MS,
    KEEP_ERRORS,
    MAX_TRACES,
    MAX_SPANS,
    LATE_SPAN_WINDOW_MS,
    REMEMBERED_TRACES,
];

impl Parser<'_> {
    /// The tail sampler's settings when any of its variables is set (even
    /// to an invalid value, which is warned about and replaced by its
    /// default), and `None` otherwise.
    pub(super) fn tail_sampling(&mut self) -> Option<TailSamplingConfig> {
        if VARIABLES.iter().all(|name| self.get(name).is_none()) {
            return None;
        }
        let defaults = TailSamplingConfig::default();
        let mut config = defaults.clone();
        config.ratio = self.ratio(RATIO, defaults.ratio);
        config.slower_than = match self.get(SLOWER_THAN_MS) {
            None => None,
            Some(v) => match v.parse::<u64>() {
                Ok(ms) if ms > 0 => Some(std::time::Duration::from_millis(ms)),
                _ => {
                    self.warn(SLOWER_THAN_MS, &v, "is not a positive number of milliseconds", "none");
                    None
                }
            },
        };
        config.keep_errors = self.flag(KEEP_ERRORS, defaults.keep_errors);
        let count = |parser: &mut Parser<'_>, name: &'static str, default: usize| {
            let n = parser.count(&[name], 1, default as u64);
            usize::try_from(n).unwrap_or(usize::MAX)
        };
        config.max_traces = count(self, MAX_TRACES, defaults.max_traces);
        config.max_spans = count(self, MAX_SPANS, defaults.max_spans);
        config.late_span_window = self.millis(&[LATE_SPAN_WINDOW_MS], defaults.late_span_window);
        config.remembered_traces = count(self, REMEMBERED_TRACES, defaults.remembered_traces);
        Some(config)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::buffer::SpanBatch;
    use crate::env::EnvConfig;
    use crate::model::{SpanContext, SpanData, SpanId, SpanKind, TraceFlags, TraceId, TraceState};

    fn parse(vars: &[(&str, &str)]) -> EnvConfig {
        EnvConfig::from_lookup(|name| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| (*v).to_owned()))
    }

    /// A configuration from its fields, in the order of the variables.
    fn config(
        ratio: f64,
        slower_than_ms: Option<u64>,
        keep_errors: bool,
        max_traces: usize,
        max_spans: usize,
        window_ms: u64,
    ) -> TailSamplingConfig {
        TailSamplingConfig {
            ratio,
            slower_than: slower_than_ms.map(Duration::from_millis),
            keep_errors,
            max_traces,
            max_spans,
            late_span_window: Duration::from_millis(window_ms),
            remembered_traces: 65_536,
        }
    }

    #[test]
    fn unset_means_no_tail_sampler() {
        assert_eq!(parse(&[]).tail_sampling, None);
        assert_eq!(
            parse(&[(RATIO, " "), (MAX_SPANS, "")]).tail_sampling,
            None,
            "empty is unset"
        );
    }

    #[test]
    fn each_variable_sets_its_field_and_the_rest_default() {
        let mut remembered = config(0.0, None, true, 2048, 16_384, 30_000);
        remembered.remembered_traces = 100_000;
        let cases: [(&[(&str, &str)], TailSamplingConfig); 9] = [
            (&[(RATIO, "0.01")], config(0.01, None, true, 2048, 16_384, 30_000)),
            (&[(RATIO, "1")], config(1.0, None, true, 2048, 16_384, 30_000)),
            (
                &[(SLOWER_THAN_MS, "250")],
                config(0.0, Some(250), true, 2048, 16_384, 30_000),
            ),
            (
                &[(KEEP_ERRORS, "FALSE")],
                config(0.0, None, false, 2048, 16_384, 30_000),
            ),
            (&[(KEEP_ERRORS, "true")], config(0.0, None, true, 2048, 16_384, 30_000)),
            (&[(MAX_TRACES, "64")], config(0.0, None, true, 64, 16_384, 30_000)),
            (&[(MAX_SPANS, "1000")], config(0.0, None, true, 2048, 1000, 30_000)),
            (
                &[(LATE_SPAN_WINDOW_MS, "5000")],
                config(0.0, None, true, 2048, 16_384, 5000),
            ),
            (&[(REMEMBERED_TRACES, "100000")], remembered),
        ];
        for (vars, expected) in cases {
            let parsed = parse(vars);
            assert_eq!(parsed.tail_sampling, Some(expected), "{vars:?}");
            assert_eq!(parsed.warnings, Vec::<String>::new(), "{vars:?}");
        }
        let all = [
            (RATIO, "0.5"),
            (SLOWER_THAN_MS, "1500"),
            (KEEP_ERRORS, "false"),
            (MAX_TRACES, "10"),
            (MAX_SPANS, "100"),
            (LATE_SPAN_WINDOW_MS, "2000"),
        ];
        assert_eq!(
            parse(&all).tail_sampling,
            Some(config(0.5, Some(1500), false, 10, 100, 2000))
        );
    }

    #[test]
    fn invalid_values_warn_naming_the_variable_and_default() {
        let cases: [(&str, &str, &str); 14] = [
            (
                RATIO,
                "1.5",
                "TRACER_TAIL_SAMPLING_RATIO=\"1.5\" is not a ratio between 0 and 1; using 0.0",
            ),
            (
                RATIO,
                "-0.1",
                "TRACER_TAIL_SAMPLING_RATIO=\"-0.1\" is not a ratio between 0 and 1; using 0.0",
            ),
            (
                RATIO,
                "1%",
                "TRACER_TAIL_SAMPLING_RATIO=\"1%\" is not a ratio between 0 and 1; using 0.0",
            ),
            (
                RATIO,
                "NaN",
                "TRACER_TAIL_SAMPLING_RATIO=\"NaN\" is not a ratio between 0 and 1; using 0.0",
            ),
            (
                SLOWER_THAN_MS,
                "0",
                "TRACER_TAIL_SAMPLING_SLOWER_THAN_MS=\"0\" is not a positive number of milliseconds; using none",
            ),
            (
                SLOWER_THAN_MS,
                "2s",
                "TRACER_TAIL_SAMPLING_SLOWER_THAN_MS=\"2s\" is not a positive number of milliseconds; using none",
            ),
            (
                KEEP_ERRORS,
                "yes",
                "TRACER_TAIL_SAMPLING_KEEP_ERRORS=\"yes\" is not true or false; using true",
            ),
            (
                MAX_TRACES,
                "0",
                "TRACER_TAIL_SAMPLING_MAX_TRACES=\"0\" is not a positive integer; using 2048",
            ),
            (
                MAX_TRACES,
                "-5",
                "TRACER_TAIL_SAMPLING_MAX_TRACES=\"-5\" is not a positive integer; using 2048",
            ),
            (
                MAX_SPANS,
                "1e4",
                "TRACER_TAIL_SAMPLING_MAX_SPANS=\"1e4\" is not a positive integer; using 16384",
            ),
            (
                REMEMBERED_TRACES,
                "lots",
                "TRACER_TAIL_SAMPLING_REMEMBERED_TRACES=\"lots\" is not a positive integer; using 65536",
            ),
            (
                LATE_SPAN_WINDOW_MS,
                "0",
                "TRACER_TAIL_SAMPLING_LATE_SPAN_WINDOW_MS=\"0\" is not a positive number of milliseconds; using 30000",
            ),
            (
                LATE_SPAN_WINDOW_MS,
                "soon",
                "TRACER_TAIL_SAMPLING_LATE_SPAN_WINDOW_MS=\"soon\" is not a positive number of milliseconds; using 30000",
            ),
            (
                LATE_SPAN_WINDOW_MS,
                "18446744073709551616",
                "TRACER_TAIL_SAMPLING_LATE_SPAN_WINDOW_MS=\"18446744073709551616\" is not a positive number of milliseconds; using 30000",
            ),
        ];
        for (name, value, warning) in cases {
            let parsed = parse(&[(name, value)]);
            assert_eq!(parsed.warnings, [warning], "{name}={value}");
            // Still a tail sampler, with the defaults.
            assert_eq!(
                parsed.tail_sampling,
                Some(TailSamplingConfig::default()),
                "{name}={value}"
            );
        }
    }

    #[test]
    fn the_exporters_processor_is_wrapped_in_a_tail_sampler() {
        let vars = [("OTEL_TRACES_EXPORTER", "console"), (RATIO, "0")];
        let provider = parse(&vars).provider_builder().build();
        let context = SpanContext::new(
            TraceId::from_u128(0x00ff_ffff_ffff_ffff).unwrap(),
            SpanId::from_u64(1).unwrap(),
            TraceFlags::SAMPLED,
            false,
            TraceState::empty(),
        );
        let mut root = SpanData::new("root".into(), SpanKind::Internal, context, None, 1);
        root.end_time_unix_nano = 2;
        provider.inner.on_end_batch(SpanBatch::from(vec![root]));
        let stats = provider.stats().processors;
        // Dropped by the policy (ratio 0, no error), so nothing is printed.
        assert_eq!((stats.received, stats.sampled_out, stats.exported), (1, 1, 0));
    }
}

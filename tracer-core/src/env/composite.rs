//! The global propagator that `OTEL_PROPAGATORS` asks for.

use super::choice::PropagatorChoice;
use crate::propagation::{BaggagePropagator, CompositePropagator, TraceContextPropagator};

/// The propagator for `chosen`, in its order, and a warning for each
/// choice tracer cannot honour (left out): `xray` and `ottrace`, and `b3`,
/// `b3multi` and `jaeger` without the `propagators` feature.
pub(super) fn composite_of(chosen: &[PropagatorChoice]) -> (CompositePropagator, Vec<String>) {
    let mut composite = CompositePropagator::new();
    let mut skipped = Vec::new();
    for choice in chosen {
        composite = match choice {
            PropagatorChoice::TraceContext => composite.with(TraceContextPropagator),
            PropagatorChoice::Baggage => composite.with(BaggagePropagator),
            #[cfg(feature = "propagators")]
            PropagatorChoice::B3 => composite.with(crate::propagation::B3Propagator::single()),
            #[cfg(feature = "propagators")]
            PropagatorChoice::B3Multi => composite.with(crate::propagation::B3Propagator::multi()),
            #[cfg(feature = "propagators")]
            PropagatorChoice::Jaeger => composite.with(crate::propagation::JaegerPropagator),
            #[cfg(not(feature = "propagators"))]
            PropagatorChoice::B3 | PropagatorChoice::B3Multi | PropagatorChoice::Jaeger => {
                skipped.push(format!(
                    "OTEL_PROPAGATORS: {} needs tracer's `propagators` feature; ignored",
                    choice.name()
                ));
                composite
            }
            PropagatorChoice::XRay | PropagatorChoice::OtTrace => {
                skipped.push(format!(
                    "OTEL_PROPAGATORS: {} is not implemented by tracer; ignored",
                    choice.name()
                ));
                composite
            }
        };
    }
    (composite, skipped)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::propagation::Propagator as _;

    /// The header names `composite_of(chosen)` reads and writes, and its
    /// warnings.
    fn composite_fields(chosen: &[PropagatorChoice]) -> (Vec<&'static str>, Vec<String>) {
        let (composite, skipped) = composite_of(chosen);
        (composite.fields(), skipped)
    }

    #[test]
    fn chosen_propagators_make_the_global_one_in_order() {
        let (fields, skipped) = composite_fields(&[PropagatorChoice::Baggage, PropagatorChoice::TraceContext]);
        assert_eq!(fields, ["baggage", "traceparent", "tracestate"]);
        assert!(skipped.is_empty());

        let (fields, skipped) = composite_fields(&[]);
        assert!(fields.is_empty(), "`none`: nothing is read or written");
        assert!(skipped.is_empty());

        let (fields, skipped) = composite_fields(&[
            PropagatorChoice::XRay,
            PropagatorChoice::TraceContext,
            PropagatorChoice::OtTrace,
        ]);
        assert_eq!(fields, ["traceparent", "tracestate"], "unimplemented ones are left out");
        assert_eq!(
            skipped,
            [
                "OTEL_PROPAGATORS: xray is not implemented by tracer; ignored",
                "OTEL_PROPAGATORS: ottrace is not implemented by tracer; ignored",
            ]
        );
    }

    #[test]
    fn b3_and_jaeger_need_the_propagators_feature() {
        let (fields, skipped) = composite_fields(&[
            PropagatorChoice::B3,
            PropagatorChoice::B3Multi,
            PropagatorChoice::Jaeger,
        ]);
        if cfg!(feature = "propagators") {
            assert!(skipped.is_empty());
            for header in ["b3", "x-b3-traceid", "uber-trace-id"] {
                assert!(fields.contains(&header), "{header} in {fields:?}");
            }
        } else {
            assert!(fields.is_empty());
            assert_eq!(skipped.len(), 3);
            assert!(skipped.iter().all(|w| w.contains("`propagators` feature")));
        }
    }
}

//! Recording a function's result on its span: the `Err` of any
//! `Result<T, E: Display>` (`err`, on by default), and status `Ok` on
//! success (`ok = true`).

use proc_macro2::TokenStream;
use quote::quote;
use syn::Type;

use crate::instrumenter::Instrumenter;
use crate::return_type::{is_never, is_unit};
use crate::settings::Settings;

impl Instrumenter<'_> {
    /// Whether a function returning `output` (`None` for `()`) has a
    /// result to record.
    pub fn records(&self, output: Option<&Type>) -> bool {
        let Settings { err, ok, .. } = *self.settings;
        match output {
            Some(ty) if is_never(ty) => false,
            Some(ty) if !is_unit(ty) => err || ok,
            _ => ok,
        }
    }

    /// Records `result` (a reference) on `span` (a reference to the span),
    /// only when the span is recording.
    ///
    /// Whether `result` is a `Result` is known only once types are: the
    /// generated method call picks `RecordResult` for a `Result` and
    /// `RecordOther` for anything else ("autoref specialization").
    pub fn record(&self, result: TokenStream, span: TokenStream) -> TokenStream {
        let krate = self.krate;
        let Settings { err, ok, .. } = *self.settings;
        quote! {
            if #krate::__private::FnSpan::is_recording(#span) {
                #[allow(unused_imports)]
                use #krate::__private::{RecordOther as _, RecordResult as _};
                (&#krate::__private::Outcome(#result)).__tracer_record(#span, #err, #ok);
            }
        }
    }
}

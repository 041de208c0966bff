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
    pub fn has_result_to_record(&self, output: Option<&Type>) -> bool {
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

#[cfg(test)]
mod tests {
    use quote::quote;

    use crate::test_support::expand;

    #[test]
    fn err_and_ok_are_arguments_of_the_private_recorder() {
        let output = expand(
            quote!(ok = true, err = false),
            quote!(
                fn f() -> Result<(), String> {
                    Ok(())
                }
            ),
            true,
        );
        let record = "if :: tracer :: __private :: FnSpan :: is_recording (& __tracer_span) { \
                      # [allow (unused_imports)] \
                      use :: tracer :: __private :: { RecordOther as _ , RecordResult as _ } ; \
                      (& :: tracer :: __private :: Outcome (& __tracer_result)) \
                      . __tracer_record (& __tracer_span , false , true) ; }";
        assert!(output.contains(record), "{output}");
        // Nothing but calls: no type of its own for `err = false`.
        assert!(!output.contains("struct"), "{output}");

        let output = expand(
            quote!(),
            quote!(
                async fn f() -> Result<(), String> {
                    Ok(())
                }
            ),
            true,
        );
        assert!(
            output.contains(
                "| __tracer_output , __tracer_span | { if :: tracer :: __private :: FnSpan :: is_recording (__tracer_span)"
            ),
            "{output}"
        );
        assert!(
            output.contains(". __tracer_record (__tracer_span , true , false) ; }"),
            "{output}"
        );
    }
}

//! `Instrumenter` writes one function's instrumented body. This file has
//! what every shape shares: starting the span and setting its attributes.
//! The shapes are in `sync_fn` and `async_fn`, result recording in
//! `record`.
//!
//! Generated code names everything by absolute path, through the crate
//! path (`::tracer` unless `crate = ...` says otherwise) and its
//! `__private` module, so that nothing of the caller's in scope (a `Span`,
//! a `Result`, a glob import) changes what it means. The two method calls,
//! which pick an implementation by type, have `__tracer_` names.

use proc_macro2::TokenStream;
use quote::quote;
use syn::LitStr;

use crate::hygiene::Locals;
use crate::settings::Settings;

pub struct Instrumenter<'a> {
    pub settings: &'a Settings,
    /// The path of the `tracer` crate.
    pub krate: &'a TokenStream,
    pub locals: Locals,
}

impl<'a> Instrumenter<'a> {
    pub fn new(settings: &'a Settings) -> Instrumenter<'a> {
        Instrumenter {
            settings,
            krate: &settings.krate,
            locals: Locals::new(),
        }
    }

    /// `let __tracer_span = ...;` and its attributes. `owned` makes a
    /// `Span` (for futures) rather than an entered guard.
    pub fn start(&self, owned: bool) -> TokenStream {
        let krate = self.krate;
        let span = &self.locals.span;
        let Settings { name, kind, root, .. } = self.settings;
        let start = if owned { quote!(start_fn) } else { quote!(enter_fn) };
        let attributes = self.attributes();
        quote! {
            let #span = #krate::__private::#start(#name, #kind, #root);
            #attributes
        }
    }

    /// Sets the attributes, computing their values only when the span is
    /// recording.
    fn attributes(&self) -> TokenStream {
        let krate = self.krate;
        let span = &self.locals.span;
        if self.settings.attributes.is_empty() {
            return TokenStream::new();
        }
        let sets = self.settings.attributes.iter().map(|attribute| {
            let key = LitStr::new(&attribute.key, attribute.key_span);
            let value = &attribute.value;
            quote! {
                #krate::__private::FnSpan::set_attribute(
                    &#span,
                    #key,
                    (&#krate::__private::Arg(&(#value))).__tracer_value(),
                );
            }
        });
        quote! {
            if #krate::__private::FnSpan::is_recording(&#span) {
                #[allow(unused_imports)]
                use #krate::__private::{ArgDebug as _, ArgTyped as _};
                #(#sets)*
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use crate::test_support::expand;

    #[test]
    fn attributes_are_computed_only_when_recording() {
        let output = expand(
            quote!(attributes(a = expensive())),
            quote!(
                fn f() {}
            ),
            true,
        );
        let recording = output
            .find("if :: tracer :: __private :: FnSpan :: is_recording (& __tracer_span)")
            .expect("a recording check");
        assert!(output.find("expensive").unwrap() > recording, "{output}");
    }
}

//! A sync `fn`: the span is entered for the whole body.
//!
//! When the result is recorded, the body runs in a `move` closure, so that
//! `return` and `?` keep their meaning and the value can be looked at
//! before it is returned.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{Block, Signature};

use crate::instrumenter::Instrumenter;
use crate::return_type::{closure_output, output_type};

impl Instrumenter<'_> {
    /// The body of `sig`'s function. `track_caller` keeps the body out of
    /// a closure, which would report its own location to
    /// `Location::caller()` and panics; the result is then not recorded.
    pub fn sync_fn(&self, sig: &Signature, block: Block, track_caller: bool) -> TokenStream {
        let start = self.start(false);
        if track_caller || !self.has_result_to_record(output_type(sig)) {
            return quote! {
                #start
                #block
            };
        }
        let krate = self.krate;
        let span = &self.locals.span;
        let result = &self.locals.result;
        let ret = closure_output(sig);
        let record = self.record(quote!(&#result), quote!(&#span));
        // `call_once` checks the closure as `FnOnce`: a body returning a
        // borrow of `&mut self` compiles as it does without the closure
        // (`(move || ..)()` would make it `FnMut`, and such a borrow could
        // not escape).
        quote! {
            #start
            let #result = #krate::__private::call_once(move || -> #ret #block);
            #record
            #result
        }
    }
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use crate::test_support::expand;

    #[test]
    fn only_functions_with_a_result_to_record_use_a_closure() {
        for (args, item, closure) in [
            (
                quote!(),
                quote!(
                    fn f() {}
                ),
                false,
            ),
            (
                quote!(),
                quote!(
                    fn f() -> () {}
                ),
                false,
            ),
            (
                quote!(),
                quote!(
                    fn f() -> ! {
                        loop {}
                    }
                ),
                false,
            ),
            (
                quote!(ok),
                quote!(
                    fn f() -> ! {
                        loop {}
                    }
                ),
                false,
            ),
            (
                quote!(err = false),
                quote!(
                    fn f() -> u32 {
                        1
                    }
                ),
                false,
            ),
            (
                quote!(),
                quote!(
                    fn f() -> u32 {
                        1
                    }
                ),
                true,
            ),
            (
                quote!(ok = true),
                quote!(
                    fn f() {}
                ),
                true,
            ),
        ] {
            let output = expand(args.clone(), item.clone(), true);
            assert_eq!(output.contains("call_once"), closure, "{args} {item}: {output}");
            assert!(output.contains("enter_fn"), "{output}");
        }
    }
}

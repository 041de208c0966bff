//! Functions whose body is a future. Its span is current on every poll and
//! finishes when the future completes (or is dropped):
//!
//! - **`async fn`**: the body becomes an `async move` block, instrumented
//!   with an owned span started at the first poll;
//! - **`fn -> impl Future`**: the span starts at the call, the synchronous
//!   part runs inside it, and the returned future is instrumented;
//! - **async-trait's expansion** (`Pin<Box<dyn Future>>` returned by
//!   `Box::pin(async move { .. })`): the span starts at the call and the
//!   inner `async move` block is instrumented.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{Block, Expr, Signature, Stmt, Type};

use crate::instrumenter::Instrumenter;
use crate::return_type::{closure_output, infer_impl_trait, output_type};

impl Instrumenter<'_> {
    pub fn async_fn(&self, sig: &Signature, block: Block) -> TokenStream {
        let start = self.start(true);
        let typed = self.typed_future();
        let ret = closure_output(sig);
        let future = quote!(#typed::<#ret, _>(async move #block));
        let instrumented = self.instrument(future, self.has_result_to_record(output_type(sig)));
        quote! {
            #start
            #instrumented.await
        }
    }

    /// `output` is the future's output type.
    pub fn impl_future_fn(&self, output: &Type, block: Block) -> TokenStream {
        let krate = self.krate;
        let span = &self.locals.span;
        let future = &self.locals.future;
        let start = self.start(true);
        let instrumented = self.instrument(quote!(#future), self.has_result_to_record(Some(output)));
        quote! {
            #start
            let #future = #krate::__private::in_scope(&#span, move || #block);
            #instrumented
        }
    }

    /// `output` is the boxed future's output type; `block` ends in
    /// `Box::pin(async move { .. })` (see [`boxed_async_tail`]).
    pub fn async_trait_fn(&self, output: &Type, mut block: Block) -> TokenStream {
        let start = self.start(true);
        let typed = self.typed_future();
        let records = self.has_result_to_record(Some(output));
        let output = infer_impl_trait(output);
        let tail = boxed_async_tail(&mut block).expect("checked by the caller");
        let inner = std::mem::replace(tail, Expr::Verbatim(TokenStream::new()));
        *tail = Expr::Verbatim(self.instrument(quote!(#typed::<#output, _>(#inner)), records));
        let stmts = &block.stmts;
        quote! {
            #start
            #(#stmts)*
        }
    }

    /// `instrument(future, span, recorder)`, or no recorder when there is
    /// nothing to record.
    fn instrument(&self, future: TokenStream, records: bool) -> TokenStream {
        let krate = self.krate;
        let span = &self.locals.span;
        if !records {
            return quote!(#krate::__private::instrument_only(#future, #span));
        }
        let output = &self.locals.output;
        // The recorder's span parameter shadows the moved span, by the
        // same (mixed-site) name.
        let record = self.record(quote!(#output), quote!(#span));
        quote! {
            #krate::__private::instrument(#future, #span, |#output, #span| { #record })
        }
    }

    /// `typed_future::<Output, _>(future)` pins an async block's output
    /// type, so that `?` inside it knows what to convert to.
    fn typed_future(&self) -> TokenStream {
        let krate = self.krate;
        quote!(#krate::__private::typed_future)
    }
}

/// The `async move { .. }` of a body ending in `Box::pin(async move { .. })`.
pub fn boxed_async_tail(block: &mut Block) -> Option<&mut Expr> {
    let Some(Stmt::Expr(Expr::Call(call), None)) = block.stmts.last_mut() else {
        return None;
    };
    let Expr::Path(func) = &*call.func else { return None };
    let mut segments = func.path.segments.iter().rev();
    let is_box_pin = matches!(
        (segments.next(), segments.next()),
        (Some(pin), Some(boxed)) if pin.ident == "pin" && boxed.ident == "Box"
    );
    if !is_box_pin || call.args.len() != 1 {
        return None;
    }
    match call.args.first_mut()? {
        arg @ Expr::Async(_) => Some(arg),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use crate::test_support::expand;

    #[test]
    fn async_shapes() {
        let output = expand(
            quote!(),
            quote!(
                async fn f() -> u32 {
                    1
                }
            ),
            true,
        );
        assert!(output.starts_with("async fn f () -> u32"), "{output}");
        assert!(output.contains("start_fn"), "{output}");
        assert!(
            output.contains(":: tracer :: __private :: typed_future :: < u32 , _ > (async move { 1 })"),
            "{output}"
        );

        let output = expand(
            quote!(),
            quote!(
                fn f() -> impl Future<Output = u32> {
                    async { 1 }
                }
            ),
            true,
        );
        assert!(
            output.contains(":: tracer :: __private :: in_scope (& __tracer_span , move || { async { 1 } })"),
            "{output}"
        );

        let boxed = quote! {
            fn f<'a>(&'a self) -> Pin<Box<dyn Future<Output = u32> + Send + 'a>> {
                Box::pin(async move { 1 })
            }
        };
        let output = expand(quote!(), boxed, true);
        assert!(
            output.contains(
                "Box :: pin (:: tracer :: __private :: instrument (:: tracer :: __private :: typed_future :: < u32 , _ > (async move { 1 })"
            ),
            "{output}"
        );
    }
}

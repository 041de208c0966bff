//! The attribute's entry point: parses the arguments, dispatches on the
//! item, and picks the shape of each instrumented body.

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::{Attribute, Block, Expr, Item, ItemFn, Signature, Stmt};

use crate::async_fn::boxed_async_tail;
use crate::impl_block;
use crate::instrumenter::Instrumenter;
use crate::keep_used::keep_arguments_used;
use crate::parse::TraceArgs;
use crate::return_type::{boxed_future_output, impl_future_output};
use crate::settings::Settings;
use crate::validate;

/// `#[trace(args)] item`. `enabled` is the crate's `enabled` feature.
pub fn trace(args: TokenStream, item: TokenStream, enabled: bool) -> TokenStream {
    match try_trace(args, item.clone(), enabled) {
        Ok(output) => output,
        Err(error) => {
            // Keep the item, so the error is the only one reported.
            let mut output = error.to_compile_error();
            output.extend(impl_block::without_markers(item));
            output
        }
    }
}

fn try_trace(args: TokenStream, item: TokenStream, enabled: bool) -> syn::Result<TokenStream> {
    let args: TraceArgs = syn::parse2(args)?;
    match syn::parse2::<Item>(item)? {
        Item::Fn(function) => trace_fn(&args, function, enabled),
        Item::Impl(block) => impl_block::trace_impl(&args, block, enabled),
        other => Err(validate::unsupported_item(other)),
    }
}

fn trace_fn(args: &TraceArgs, mut function: ItemFn, enabled: bool) -> syn::Result<TokenStream> {
    let settings = args.resolve(&function.sig)?;
    rewrite_body(&settings, &function.attrs, &function.sig, &mut function.block, enabled);
    Ok(function.into_token_stream())
}

/// Instruments a function's body or, with the `enabled` feature off, keeps
/// it as written but for what keeps the arguments used.
pub fn rewrite_body(settings: &Settings, attrs: &[Attribute], sig: &Signature, block: &mut Block, enabled: bool) {
    if enabled {
        let written = std::mem::replace(block, empty_block());
        *block = instrument_body(settings, attrs, sig, written);
    } else {
        keep_arguments_used(settings, sig, block);
    }
}

fn empty_block() -> Block {
    Block {
        brace_token: Default::default(),
        stmts: Vec::new(),
    }
}

/// The new body of an instrumented function, in the shape its signature
/// (and, for async-trait's expansion, its body) calls for.
fn instrument_body(settings: &Settings, attrs: &[Attribute], sig: &Signature, mut block: Block) -> Block {
    let brace_token = block.brace_token;
    let instrumenter = Instrumenter::new(settings);
    let body = if sig.asyncness.is_some() {
        instrumenter.async_fn(sig, block)
    } else if let Some(output) = impl_future_output(&sig.output) {
        instrumenter.impl_future_fn(output, block)
    } else if let Some(output) = boxed_future_output(&sig.output).filter(|_| boxed_async_tail(&mut block).is_some()) {
        instrumenter.async_trait_fn(output, block)
    } else {
        let track_caller = attrs.iter().any(|attr| attr.path().is_ident("track_caller"));
        instrumenter.sync_fn(sig, block, track_caller)
    };
    Block {
        brace_token,
        stmts: vec![Stmt::Expr(Expr::Verbatim(body), None)],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    use crate::test_support::{expand, expect_error};

    #[test]
    fn enabled_keeps_attributes_visibility_and_signature() {
        let item = quote! {
            /// Docs.
            #[inline]
            #[must_use]
            pub(crate) unsafe extern "C" fn checkout<'a, T: Clone>(user: &'a str, items: Vec<T>) -> Result<&'a str, String>
            where
                T: Send,
            {
                Ok(user)
            }
        };
        let before: ItemFn = syn::parse2(item.clone()).unwrap();
        let after: ItemFn = syn::parse2(trace(quote!(), item, true)).unwrap();
        let head = |f: &ItemFn| {
            let ItemFn { attrs, vis, sig, .. } = f;
            quote!(#(#attrs)* #vis #sig).to_string()
        };
        assert_eq!(head(&after), head(&before));
        assert_ne!(
            after.block.to_token_stream().to_string(),
            before.block.to_token_stream().to_string()
        );
    }

    #[test]
    fn disabled_still_validates() {
        expect_error(
            quote!(nmae = "x"),
            quote!(
                fn f() {}
            ),
            false,
        );
        expect_error(
            quote!(args(missing)),
            quote!(
                fn f(present: u32) {}
            ),
            false,
        );
        expect_error(
            quote!(),
            quote!(
                const fn f() {}
            ),
            false,
        );
        expect_error(
            quote!(),
            quote!(
                struct S;
            ),
            false,
        );
        expect_error(quote!(name = "x"), quote!(impl S { fn f() {} }), false);
        expect_error(quote!(), quote!(impl S { #[trace(bogus)] fn f() {} }), false);
    }

    #[test]
    fn errors_keep_the_item_without_markers() {
        let output = expect_error(quote!(name = 1), quote!(impl S { #[notrace] fn f() {} }), true);
        assert!(output.ends_with("impl S { fn f () { } }"), "{output}");
    }

    #[test]
    fn the_crate_path_is_used_everywhere() {
        let output = expand(
            quote!(crate = ::my::tracer, attributes(a = 1)),
            quote!(
                fn f() -> Result<(), String> {
                    Ok(())
                }
            ),
            true,
        );
        let ours = output.matches(":: my :: tracer :: __private").count();
        assert!(ours >= 4, "{output}");
        assert_eq!(output.matches(":: tracer :: __private").count(), ours, "{output}");
    }

    #[test]
    fn a_kind_path_is_used_as_written() {
        let output = expand(
            quote!(kind = SpanKind::Server),
            quote!(
                fn f() {}
            ),
            true,
        );
        assert!(
            output.contains("enter_fn (\"f\" , SpanKind :: Server , false)"),
            "{output}"
        );
        let output = expand(
            quote!(kind = Server),
            quote!(
                fn f() {}
            ),
            true,
        );
        assert!(
            output.contains("enter_fn (\"f\" , :: tracer :: __private :: SpanKind :: Server , false)"),
            "{output}"
        );
    }
}

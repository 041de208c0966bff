//! `#[trace]` on an `impl` block: every method is traced with the block's
//! arguments, merged with its own `#[trace(...)]`, except those marked
//! `#[notrace]` and (unless they ask) `const fn`s.

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::{ImplItem, ImplItemFn, ItemImpl};

use crate::attribute::SpanAttribute;
use crate::expand::rewrite_body;
use crate::markers::{MethodMarking, check_no_markers, crate_name, strip_markers, take_markers};
use crate::parse::{Argument, TraceArgs};
use crate::validate;

pub fn trace_impl(args: &TraceArgs, mut block: ItemImpl, enabled: bool) -> syn::Result<TokenStream> {
    validate::check_block_arguments(args)?;
    let krate = crate_name(args);
    // Every method's error is reported, not just the first.
    let mut errors: Option<syn::Error> = None;
    let mut push_error = |error: syn::Error| match &mut errors {
        Some(errors) => errors.combine(error),
        None => errors = Some(error),
    };
    for item in &mut block.items {
        let method = match item {
            ImplItem::Fn(method) => method,
            ImplItem::Const(item) => {
                check_no_markers(&item.attrs, &krate).unwrap_or_else(&mut push_error);
                continue;
            }
            ImplItem::Type(item) => {
                check_no_markers(&item.attrs, &krate).unwrap_or_else(&mut push_error);
                continue;
            }
            ImplItem::Macro(item) => {
                check_no_markers(&item.attrs, &krate).unwrap_or_else(&mut push_error);
                continue;
            }
            _ => continue,
        };
        trace_method(args, &krate, method, enabled).unwrap_or_else(&mut push_error);
    }
    match errors {
        Some(errors) => Err(errors),
        None => Ok(block.into_token_stream()),
    }
}

fn trace_method(block_args: &TraceArgs, krate: &str, method: &mut ImplItemFn, enabled: bool) -> syn::Result<()> {
    let settings = match take_markers(&mut method.attrs, krate)? {
        MethodMarking::NoTrace => return Ok(()),
        MethodMarking::Trace(own) => method_arguments(&own, block_args).resolve(&method.sig)?,
        // A `const fn` cannot be instrumented, and is left alone unless
        // it asks to be traced itself.
        MethodMarking::Unmarked if method.sig.constness.is_some() => return Ok(()),
        MethodMarking::Unmarked => block_args.resolve(&method.sig)?,
    };
    rewrite_body(&settings, &method.attrs, &method.sig, &mut method.block, enabled);
    Ok(())
}

/// A method's own arguments over its `impl` block's: each argument the
/// method gives wins; `attributes` are merged by key, the method's value
/// winning. `name` and `args` are the method's alone.
fn method_arguments(own: &TraceArgs, block: &TraceArgs) -> TraceArgs {
    fn pick<T: Clone>(own: &Option<T>, block: &Option<T>) -> Option<T> {
        own.clone().or_else(|| block.clone())
    }
    let attributes = match (&block.attributes, &own.attributes) {
        (Some(block), Some(own)) => {
            let mut attributes: Vec<SpanAttribute> = block
                .value
                .iter()
                .filter(|attribute| own.value.iter().all(|o| o.key != attribute.key))
                .cloned()
                .collect();
            attributes.extend(own.value.iter().cloned());
            Some(Argument {
                key: own.key.clone(),
                value: attributes,
            })
        }
        (block, own) => pick(own, block),
    };
    TraceArgs {
        name: own.name.clone(),
        kind: pick(&own.kind, &block.kind),
        attributes,
        args: own.args.clone(),
        err: pick(&own.err, &block.err),
        ok: pick(&own.ok, &block.ok),
        root: pick(&own.root, &block.root),
        krate: pick(&own.krate, &block.krate),
    }
}

/// What is emitted next to an error: the item, without the markers that
/// would add errors of their own.
pub fn without_markers(item: TokenStream) -> TokenStream {
    match syn::parse2::<ItemImpl>(item.clone()) {
        Ok(mut block) => {
            strip_markers(&mut block.items);
            block.into_token_stream()
        }
        Err(_) => item,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    use crate::expand::trace;
    use crate::test_support::{expand, expect_error};

    #[test]
    fn method_arguments_override_the_block_field_by_field() {
        let block: TraceArgs = syn::parse2(quote!(kind = Client, err = false, attributes(a = 1, b = 2))).unwrap();
        let method: TraceArgs = syn::parse2(quote!(kind = Server, attributes(b = 3, c = 4))).unwrap();
        let merged = method_arguments(&method, &block);
        assert_eq!(merged.kind.unwrap().value.variant, "Server");
        assert!(!merged.err.unwrap().value);
        let attributes: Vec<(String, String)> = merged
            .attributes
            .unwrap()
            .value
            .into_iter()
            .map(|f| (f.key, f.value.to_string()))
            .collect();
        assert_eq!(
            attributes,
            [
                ("a".into(), "1".into()),
                ("b".into(), "3".into()),
                ("c".into(), "4".into())
            ]
        );
    }

    #[test]
    fn enabled_impl_blocks_keep_everything_but_the_markers() {
        let item = quote! {
            #[derive_nothing]
            impl<T> Repo<T> where T: Send {
                /// Docs.
                #[notrace]
                pub fn a(&self) {}
                #[trace(kind = Server)]
                #[inline]
                pub(crate) fn b(&self) {}
                const C: u32 = 1;
            }
        };
        let after: ItemImpl = syn::parse2(trace(quote!(), item, true)).unwrap();
        let methods: Vec<&ImplItemFn> = after
            .items
            .iter()
            .filter_map(|item| match item {
                ImplItem::Fn(method) => Some(method),
                _ => None,
            })
            .collect();
        assert_eq!(after.attrs.len(), 1);
        assert_eq!(
            methods[0].to_token_stream().to_string(),
            quote!(
                #[doc = r" Docs."]
                pub fn a(&self) {}
            )
            .to_string()
        );
        assert_eq!(methods[1].attrs.len(), 1);
        assert!(methods[1].attrs[0].path().is_ident("inline"));
        assert!(
            methods[1]
                .block
                .to_token_stream()
                .to_string()
                .contains("SpanKind :: Server")
        );
        assert_eq!(after.items.len(), 3);
    }

    #[test]
    fn disabled_strips_only_the_markers_of_an_impl_block() {
        let item = quote! {
            impl Repo {
                #[notrace]
                fn a(&self) {}
                /// Docs.
                #[trace(kind = Server, args(id))]
                fn b(&self, id: u32) {}
                #[tracer::trace]
                #[inline]
                fn c(&self) {}
                const fn d() {}
                #[other::trace]
                fn e(&self) {}
            }
        };
        let expected = quote! {
            impl Repo {
                fn a(&self) {}
                /// Docs.
                fn b(&self, id: u32) {
                    if false {
                        let _ = (&(id),);
                    }
                }
                #[inline]
                fn c(&self) {}
                const fn d() {}
                #[other::trace]
                fn e(&self) {}
            }
        };
        assert_eq!(expand(quote!(kind = Client), item, false), expected.to_string());
    }

    #[test]
    fn markers_through_the_crate_path() {
        let item = quote!(impl S { #[crate::reexport::trace(bogus)] fn f() {} });
        expect_error(quote!(crate = crate::reexport), item.clone(), false);
        assert!(!expand(quote!(), item, false).contains("compile_error"));
    }
}

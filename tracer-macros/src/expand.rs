//! Code generation for `#[trace]`.
//!
//! Every function body becomes one of four shapes, picked from the
//! signature (and, for async-trait's expansion, the body):
//!
//! - **sync** `fn`: the span is entered for the whole body. When the result
//!   is recorded, the body runs in a `move` closure (called through a
//!   `FnOnce` helper, so references borrowed from `&mut self` can be
//!   returned), so that `return` and `?` keep their meaning;
//! - **`async fn`**: the body becomes an `async move` block, instrumented
//!   with an owned span started at the first poll;
//! - **`fn -> impl Future`**: the span starts at the call, the synchronous
//!   part runs inside it, and the returned future is instrumented;
//! - **async-trait's expansion** (`Pin<Box<dyn Future>>` returned by
//!   `Box::pin(async move { .. })`): the span starts at the call and the
//!   inner `async move` block is instrumented.
//!
//! Generated locals are `__tracer_`-prefixed and use mixed-site hygiene, so
//! user code can neither see nor shadow them. Attribute values are computed,
//! and results looked at, only when the span is recording.

use proc_macro2::{Span, TokenStream};
use quote::{quote, ToTokens};
use syn::spanned::Spanned;
use syn::visit_mut::{self, VisitMut};
use syn::{
    Attribute, Block, Expr, GenericArgument, ImplItem, ImplItemFn, Item, ItemFn, ItemImpl, Meta, PathArguments,
    ReturnType, Signature, Stmt, Type, TypeParamBound,
};

use crate::parse::{Settings, TraceArgs};

/// The attribute's entry point: `enabled` is the crate's `enabled` feature.
pub fn trace(args: TokenStream, item: TokenStream, enabled: bool) -> TokenStream {
    match try_trace(args, item.clone(), enabled) {
        Ok(output) => output,
        Err(error) => {
            // Keep the item, so the error is the only one reported.
            let mut output = error.to_compile_error();
            output.extend(fallback_item(item));
            output
        }
    }
}

fn try_trace(args: TokenStream, item: TokenStream, enabled: bool) -> syn::Result<TokenStream> {
    let args: TraceArgs = syn::parse2(args)?;
    match syn::parse2::<Item>(item.clone())? {
        Item::Fn(function) => trace_fn(&args, function, enabled),
        Item::Impl(block) => trace_impl(&args, block, enabled),
        Item::Verbatim(tokens) => Err(verbatim_error(tokens)),
        Item::Trait(item) => Err(syn::Error::new(
            item.trait_token.span,
            "`#[trace]` cannot instrument a trait definition; put it on the trait's `impl` blocks or on its \
             provided methods",
        )),
        other => Err(syn::Error::new(
            item_keyword_span(&other),
            "`#[trace]` applies to functions, methods and `impl` blocks",
        )),
    }
}

/// A function without a body parses as a verbatim item.
fn verbatim_error(tokens: TokenStream) -> syn::Error {
    match syn::parse2::<syn::TraitItemFn>(tokens.clone()) {
        Ok(function) if function.default.is_none() => syn::Error::new(
            function.sig.ident.span(),
            "`#[trace]` needs a function body to instrument; this function has none",
        ),
        _ => syn::Error::new_spanned(tokens, "`#[trace]` applies to functions, methods and `impl` blocks"),
    }
}

/// The span of the keyword that says what an item is.
fn item_keyword_span(item: &Item) -> Span {
    match item {
        Item::Const(item) => item.const_token.span,
        Item::Enum(item) => item.enum_token.span,
        Item::ExternCrate(item) => item.extern_token.span,
        Item::ForeignMod(item) => item.abi.extern_token.span,
        Item::Macro(item) => item.mac.path.span(),
        Item::Mod(item) => item.mod_token.span,
        Item::Static(item) => item.static_token.span,
        Item::Struct(item) => item.struct_token.span,
        Item::TraitAlias(item) => item.trait_token.span,
        Item::Type(item) => item.type_token.span,
        Item::Union(item) => item.union_token.span,
        Item::Use(item) => item.use_token.span,
        other => other.span(),
    }
}

/// What is emitted next to an error: the item, without the markers that
/// would add errors of their own.
fn fallback_item(item: TokenStream) -> TokenStream {
    match syn::parse2::<ItemImpl>(item.clone()) {
        Ok(mut block) => {
            for item in &mut block.items {
                if let Some(attrs) = impl_item_attrs(item) {
                    attrs.retain(|attr| marker(attr, "tracer").is_none());
                }
            }
            block.into_token_stream()
        }
        Err(_) => item,
    }
}

fn impl_item_attrs(item: &mut ImplItem) -> Option<&mut Vec<Attribute>> {
    match item {
        ImplItem::Fn(item) => Some(&mut item.attrs),
        ImplItem::Const(item) => Some(&mut item.attrs),
        ImplItem::Type(item) => Some(&mut item.attrs),
        ImplItem::Macro(item) => Some(&mut item.attrs),
        _ => None,
    }
}

fn trace_fn(args: &TraceArgs, mut function: ItemFn, enabled: bool) -> syn::Result<TokenStream> {
    let settings = args.resolve(&function.sig)?;
    if !enabled {
        keep_arguments_used(&settings, &function.sig, &mut function.block);
        return Ok(function.into_token_stream());
    }
    let block = std::mem::replace(&mut *function.block, empty_block());
    *function.block = instrument_body(&settings, &function.attrs, &function.sig, block);
    Ok(function.into_token_stream())
}

/// The markers `#[trace]` reads on the methods of an `impl` block.
enum Marker {
    NoTrace,
    Trace,
}

/// `#[notrace]`, or `#[trace]` by its bare name, through `tracer::`, or
/// through the block's `crate = path` (`krate`, as written by
/// [`crate_name`]); another crate's `trace` attribute is not a marker.
fn marker(attr: &Attribute, krate: &str) -> Option<Marker> {
    let path = attr.path();
    if path.is_ident("notrace") {
        return Some(Marker::NoTrace);
    }
    let mut segments: Vec<String> = path.segments.iter().map(|segment| segment.ident.to_string()).collect();
    if segments.pop()? != "trace" {
        return None;
    }
    let prefix = segments.join("::");
    (prefix.is_empty() || prefix == "tracer" || prefix == krate).then_some(Marker::Trace)
}

/// The crate path of `#[trace(crate = ...)]` as `a::b`, for [`marker`].
fn crate_name(args: &TraceArgs) -> String {
    match &args.krate {
        Some(krate) => {
            let segments: Vec<String> = krate.value.segments.iter().map(|s| s.ident.to_string()).collect();
            segments.join("::")
        }
        None => "tracer".to_owned(),
    }
}

/// Removes a method's markers: `Ok(None)` for `#[notrace]`, else its own
/// `#[trace(...)]` arguments (empty when it has none).
fn take_markers(attrs: &mut Vec<Attribute>, krate: &str) -> syn::Result<Option<Option<TraceArgs>>> {
    let mut notrace: Option<Attribute> = None;
    let mut trace: Option<(Attribute, TraceArgs)> = None;
    let mut kept = Vec::with_capacity(attrs.len());
    for attr in attrs.drain(..) {
        match marker(&attr, krate) {
            None => kept.push(attr),
            Some(Marker::NoTrace) => {
                if let Meta::List(_) | Meta::NameValue(_) = &attr.meta {
                    return Err(syn::Error::new_spanned(&attr.meta, "`#[notrace]` takes no arguments"));
                }
                if notrace.is_some() {
                    return Err(syn::Error::new_spanned(&attr, "duplicate `#[notrace]`"));
                }
                notrace = Some(attr);
            }
            Some(Marker::Trace) => {
                let args = match &attr.meta {
                    Meta::Path(_) => TraceArgs::default(),
                    Meta::List(list) => list.parse_args::<TraceArgs>()?,
                    Meta::NameValue(value) => {
                        return Err(syn::Error::new_spanned(value, "expected `#[trace]` or `#[trace(...)]`"))
                    }
                };
                if trace.is_some() {
                    return Err(syn::Error::new_spanned(&attr, "duplicate `#[trace]` on this method"));
                }
                trace = Some((attr, args));
            }
        }
    }
    *attrs = kept;
    match (notrace, trace) {
        (Some(notrace), Some(_)) => Err(syn::Error::new_spanned(
            notrace,
            "this method is marked both `#[notrace]` and `#[trace]`; keep one",
        )),
        (Some(_), None) => Ok(None),
        (None, trace) => Ok(Some(trace.map(|(_, args)| args))),
    }
}

fn trace_impl(args: &TraceArgs, mut block: ItemImpl, enabled: bool) -> syn::Result<TokenStream> {
    args.check_block_level()?;
    let krate = crate_name(args);
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
        match trace_method(args, &krate, method, enabled) {
            Ok(()) => {}
            Err(error) => push_error(error),
        }
    }
    match errors {
        Some(errors) => Err(errors),
        None => Ok(block.into_token_stream()),
    }
}

fn check_no_markers(attrs: &[Attribute], krate: &str) -> syn::Result<()> {
    match attrs.iter().find(|attr| marker(attr, krate).is_some()) {
        Some(attr) => Err(syn::Error::new_spanned(
            attr,
            "`#[trace]` and `#[notrace]` apply to methods",
        )),
        None => Ok(()),
    }
}

fn trace_method(block_args: &TraceArgs, krate: &str, method: &mut ImplItemFn, enabled: bool) -> syn::Result<()> {
    let settings = match take_markers(&mut method.attrs, krate)? {
        None => return Ok(()),
        Some(Some(own)) => own.merged_over(block_args).resolve(&method.sig)?,
        // A `const fn` cannot be instrumented, and is left alone unless
        // it asks to be traced itself.
        Some(None) if method.sig.constness.is_some() => return Ok(()),
        Some(None) => block_args.resolve(&method.sig)?,
    };
    if enabled {
        let block = std::mem::replace(&mut method.block, empty_block());
        method.block = instrument_body(&settings, &method.attrs, &method.sig, block);
    } else {
        keep_arguments_used(&settings, &method.sig, &mut method.block);
    }
    Ok(())
}

/// With the `enabled` feature off, the body gets one dead statement that
/// refers to the kind and the attribute values, so that an import, a
/// parameter or a helper used only in the arguments stays used: turning the
/// feature off must not bring `unused` warnings. It never runs, and
/// compiles to nothing. Where the enabled expansion evaluates the values (in
/// the function, so `?` works the same), and not in a `const fn`, which
/// could not call them.
fn keep_arguments_used(settings: &Settings, sig: &Signature, block: &mut Block) {
    if sig.constness.is_some() {
        return;
    }
    let kind = settings.kind_path.iter();
    let values = settings.attributes.iter().map(|field| &field.value);
    if settings.kind_path.is_none() && settings.attributes.is_empty() {
        return;
    }
    let statement: Stmt = syn::parse_quote! {
        if false {
            let _ = (#(#kind,)* #(&(#values),)*);
        }
    };
    block.stmts.insert(0, statement);
}

fn empty_block() -> Block {
    Block {
        brace_token: Default::default(),
        stmts: Vec::new(),
    }
}

/// The new body of an instrumented function.
fn instrument_body(settings: &Settings, attrs: &[Attribute], sig: &Signature, mut block: Block) -> Block {
    let brace_token = block.brace_token;
    let gen = Gen::new(settings);
    let body = if sig.asyncness.is_some() {
        gen.async_fn(sig, block)
    } else if let Some(output) = impl_future_output(&sig.output) {
        gen.impl_future_fn(output, block)
    } else if let Some(output) = boxed_future_output(&sig.output).filter(|_| boxed_async_tail(&mut block).is_some()) {
        gen.async_trait_fn(output, block)
    } else {
        // A closure would report its own location to `Location::caller()`
        // and panics: a `#[track_caller]` body stays in the function, and
        // its result is not recorded.
        let track_caller = attrs.iter().any(|attr| attr.path().is_ident("track_caller"));
        gen.sync_fn(sig, block, track_caller)
    };
    Block {
        brace_token,
        stmts: vec![Stmt::Expr(Expr::Verbatim(body), None)],
    }
}

/// Generates the pieces of an instrumented body.
struct Gen<'a> {
    settings: &'a Settings,
    krate: &'a TokenStream,
    /// `__tracer_span`, with mixed-site hygiene.
    span: syn::Ident,
}

fn local(name: &str) -> syn::Ident {
    syn::Ident::new(name, Span::mixed_site())
}

impl<'a> Gen<'a> {
    fn new(settings: &'a Settings) -> Gen<'a> {
        Gen {
            settings,
            krate: &settings.krate,
            span: local("__tracer_span"),
        }
    }

    /// `let __tracer_span = ...;` and its attributes. `owned` makes a
    /// `Span` (for futures) rather than an entered guard.
    fn start(&self, owned: bool) -> TokenStream {
        let Gen { krate, span, .. } = self;
        let Settings { name, kind, root, .. } = self.settings;
        let start = if owned { quote!(start_fn) } else { quote!(enter_fn) };
        let attributes = self.attributes();
        quote! {
            let #span = #krate::__private::#start(#name, #kind, #root);
            #attributes
        }
    }

    /// Sets the attributes, only when the span is recording.
    fn attributes(&self) -> TokenStream {
        let Gen { krate, span, .. } = self;
        if self.settings.attributes.is_empty() {
            return TokenStream::new();
        }
        let sets = self.settings.attributes.iter().map(|field| {
            let key = syn::LitStr::new(&field.key, field.key_span);
            let value = &field.value;
            quote! {
                #span.set_attribute(#key, (&#krate::__private::Arg(&(#value))).__tracer_value());
            }
        });
        quote! {
            if #span.is_recording() {
                #[allow(unused_imports)]
                use #krate::__private::{ArgDebug as _, ArgTyped as _};
                #(#sets)*
            }
        }
    }

    /// Whether a function returning `output` (`None` for `()`) has a
    /// result to record.
    fn records(&self, output: Option<&Type>) -> bool {
        let Settings { err, ok, .. } = *self.settings;
        match output {
            Some(ty) if matches!(strip(ty), Type::Never(_)) => false,
            Some(ty) if !is_unit(ty) => err || ok,
            _ => ok,
        }
    }

    /// Records `result` (a reference) on `span` (a reference), only when
    /// the span is recording.
    fn record(&self, result: TokenStream, span: TokenStream) -> TokenStream {
        let krate = self.krate;
        let Settings { err, ok, .. } = *self.settings;
        let sink = if err {
            span.clone()
        } else {
            // `ok = true, err = false`: set `Ok` on success, ignore errors.
            quote! {{
                struct __TracerOkOnly<'__tracer, S: ?::core::marker::Sized>(&'__tracer S);
                impl<S: #krate::__private::ResultSink + ?::core::marker::Sized> #krate::__private::ResultSink
                    for __TracerOkOnly<'_, S>
                {
                    fn record_error(&self, _: &'static ::core::primitive::str, _: ::std::string::String) {}
                    fn record_ok(&self) {
                        self.0.record_ok()
                    }
                }
                &__TracerOkOnly(#span)
            }}
        };
        quote! {
            if (#span).is_recording() {
                #[allow(unused_imports)]
                use #krate::__private::{RecordOther as _, RecordResult as _};
                (&#krate::__private::Outcome(#result)).__tracer_record(#sink, #ok);
            }
        }
    }

    /// `instrument(future, span, recorder)`, or no recorder when there is
    /// nothing to record.
    fn instrument(&self, future: TokenStream, records: bool) -> TokenStream {
        let Gen { krate, span, .. } = self;
        if !records {
            return quote!(#krate::__private::instrument_only(#future, #span));
        }
        let output = local("__tracer_output");
        let record = self.record(quote!(#output), quote!(#span));
        quote! {
            #krate::__private::instrument(#future, #span, |#output, #span| { #record })
        }
    }

    fn sync_fn(&self, sig: &Signature, block: Block, track_caller: bool) -> TokenStream {
        let start = self.start(false);
        if track_caller || !self.records(output_type(sig)) {
            return quote! {
                #start
                #block
            };
        }
        let span = &self.span;
        let krate = self.krate;
        let result = local("__tracer_result");
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

    fn async_fn(&self, sig: &Signature, block: Block) -> TokenStream {
        let start = self.start(true);
        let typed = self.typed_future();
        let ret = closure_output(sig);
        let future = quote!(#typed::<#ret, _>(async move #block));
        let instrumented = self.instrument(future, self.records(output_type(sig)));
        quote! {
            #start
            #instrumented.await
        }
    }

    fn impl_future_fn(&self, output: &Type, block: Block) -> TokenStream {
        let span = &self.span;
        let start = self.start(true);
        let future = local("__tracer_future");
        let instrumented = self.instrument(quote!(#future), self.records(Some(output)));
        quote! {
            #start
            let #future = #span.in_scope(move || #block);
            #instrumented
        }
    }

    fn async_trait_fn(&self, output: &Type, mut block: Block) -> TokenStream {
        let start = self.start(true);
        let typed = self.typed_future();
        let records = self.records(Some(output));
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

    /// `typed_future::<Output, _>(future)` pins an async block's output
    /// type, so that `?` inside it knows what to convert to.
    fn typed_future(&self) -> TokenStream {
        let krate = self.krate;
        quote!(#krate::__private::typed_future)
    }
}

/// The declared return type, `None` for none.
fn output_type(sig: &Signature) -> Option<&Type> {
    match &sig.output {
        ReturnType::Default => None,
        ReturnType::Type(_, ty) => Some(ty),
    }
}

/// The return type, as a closure's return type or a turbofish argument.
fn closure_output(sig: &Signature) -> TokenStream {
    match output_type(sig) {
        None => quote!(()),
        Some(ty) => infer_impl_trait(ty).into_token_stream(),
    }
}

/// Looks through the invisible groups `macro_rules!` wraps types in.
fn strip(ty: &Type) -> &Type {
    match ty {
        Type::Group(group) => strip(&group.elem),
        Type::Paren(paren) => strip(&paren.elem),
        ty => ty,
    }
}

fn is_unit(ty: &Type) -> bool {
    matches!(strip(ty), Type::Tuple(tuple) if tuple.elems.is_empty())
}

/// The type with every `impl Trait` replaced by `_`, for a closure's return
/// type or a turbofish.
fn infer_impl_trait(ty: &Type) -> Type {
    struct ImplToInfer;
    impl VisitMut for ImplToInfer {
        fn visit_type_mut(&mut self, ty: &mut Type) {
            if let Type::ImplTrait(impl_trait) = ty {
                *ty = Type::Infer(syn::TypeInfer {
                    underscore_token: syn::Token![_](impl_trait.impl_token.span),
                });
                return;
            }
            visit_mut::visit_type_mut(self, ty);
        }
    }
    let mut ty = ty.clone();
    ImplToInfer.visit_type_mut(&mut ty);
    ty
}

/// `X` in a `Future<Output = X>` bound.
fn future_output<'a>(bounds: impl IntoIterator<Item = &'a TypeParamBound>) -> Option<&'a Type> {
    bounds.into_iter().find_map(|bound| {
        let TypeParamBound::Trait(bound) = bound else {
            return None;
        };
        let last = bound.path.segments.last()?;
        if last.ident != "Future" {
            return None;
        }
        let PathArguments::AngleBracketed(args) = &last.arguments else {
            return None;
        };
        args.args.iter().find_map(|arg| match arg {
            GenericArgument::AssocType(assoc) if assoc.ident == "Output" => Some(&assoc.ty),
            _ => None,
        })
    })
}

/// `X` for a function returning `impl Future<Output = X>`.
fn impl_future_output(output: &ReturnType) -> Option<&Type> {
    let ReturnType::Type(_, ty) = output else { return None };
    let Type::ImplTrait(impl_trait) = strip(ty) else {
        return None;
    };
    future_output(&impl_trait.bounds)
}

/// The single generic argument of a path type whose last segment is `name`.
fn single_generic<'a>(ty: &'a Type, name: &str) -> Option<&'a Type> {
    let Type::Path(path) = strip(ty) else { return None };
    let last = path.path.segments.last()?;
    if last.ident != name {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    match args.args.first()? {
        GenericArgument::Type(ty) if args.args.len() == 1 => Some(ty),
        _ => None,
    }
}

/// `X` for a function returning `Pin<Box<dyn Future<Output = X> + ...>>`,
/// as async-trait writes them.
fn boxed_future_output(output: &ReturnType) -> Option<&Type> {
    let ReturnType::Type(_, ty) = output else { return None };
    let boxed = single_generic(ty, "Pin")?;
    let Type::TraitObject(object) = strip(single_generic(boxed, "Box")?) else {
        return None;
    };
    future_output(&object.bounds)
}

/// The `async move { .. }` of a body ending in `Box::pin(async move { .. })`.
fn boxed_async_tail(block: &mut Block) -> Option<&mut Expr> {
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
    use super::*;

    fn expand(args: TokenStream, item: TokenStream, enabled: bool) -> String {
        trace(args, item, enabled).to_string()
    }

    fn error(args: TokenStream, item: TokenStream, enabled: bool) -> String {
        let output = expand(args, item, enabled);
        assert!(output.contains("compile_error"), "expected an error, got {output}");
        output
    }

    #[test]
    fn disabled_returns_a_function_as_written_with_its_arguments_kept_used() {
        let item = quote! {
            /// Docs.
            #[inline]
            pub(crate) async unsafe fn checkout<'a, T: Clone>(user: &'a str, items: Vec<T>) -> Result<&'a str, String>
            where
                T: Send,
            {
                let _ = items;
                Ok(user)
            }
        };
        let args = quote!(
            name = "c",
            kind = SpanKind::Server,
            args(user),
            attributes(n = items.len()),
            ok = true
        );
        // One dead statement mentions the kind's path and the values, so that
        // what only they use stays used; nothing else changes.
        let kept = quote! {
            /// Docs.
            #[inline]
            pub(crate) async unsafe fn checkout<'a, T: Clone>(user: &'a str, items: Vec<T>) -> Result<&'a str, String>
            where
                T: Send,
            {
                if false {
                    let _ = (SpanKind::Server, &(user), &(items.len()),);
                }
                let _ = items;
                Ok(user)
            }
        };
        assert_eq!(expand(args, item.clone(), false), kept.to_string());
        // Nothing to keep used: the function exactly as written.
        assert_eq!(expand(quote!(), item.clone(), false), item.to_string());
        assert_eq!(
            expand(quote!(kind = Server, ok = true), item.clone(), false),
            item.to_string()
        );
    }

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
        assert!(methods[1]
            .block
            .to_token_stream()
            .to_string()
            .contains("SpanKind :: Server"));
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
        error(quote!(crate = crate::reexport), item.clone(), false);
        assert!(!expand(quote!(), item, false).contains("compile_error"));
    }

    #[test]
    fn disabled_still_validates() {
        error(
            quote!(nmae = "x"),
            quote!(
                fn f() {}
            ),
            false,
        );
        error(
            quote!(args(missing)),
            quote!(
                fn f(present: u32) {}
            ),
            false,
        );
        error(
            quote!(),
            quote!(
                const fn f() {}
            ),
            false,
        );
        error(
            quote!(),
            quote!(
                struct S;
            ),
            false,
        );
        error(quote!(name = "x"), quote!(impl S { fn f() {} }), false);
        error(quote!(), quote!(impl S { #[trace(bogus)] fn f() {} }), false);
    }

    #[test]
    fn errors_keep_the_item_without_markers() {
        let output = error(quote!(name = 1), quote!(impl S { #[notrace] fn f() {} }), true);
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
            .find("if __tracer_span . is_recording ()")
            .expect("a recording check");
        assert!(output.find("expensive").unwrap() > recording, "{output}");
    }

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
        assert!(output.contains("in_scope (move || { async { 1 } })"), "{output}");

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

//! Checks of the arguments against the item they are on. Each returns a
//! `syn::Error` spanned at the offending token: the item's keyword, the
//! `const`, the argument's key or the parameter name.

use proc_macro2::{Span, TokenStream};
use syn::ext::IdentExt;
use syn::parse::{ParseStream, Parser};
use syn::spanned::Spanned;
use syn::{Attribute, FnArg, Ident, Item, Pat, Signature, TraitItemFn, Visibility};

use crate::attribute::SpanAttribute;
use crate::parse::TraceArgs;

/// The error for an item that is neither a function nor an `impl` block.
pub fn unsupported_item(item: Item) -> syn::Error {
    match item {
        Item::Verbatim(tokens) => verbatim_error(tokens),
        Item::Trait(item) => syn::Error::new(
            item.trait_token.span,
            "`#[trace]` cannot instrument a trait definition; put it on the trait's `impl` blocks or on its \
             provided methods",
        ),
        other => syn::Error::new(
            item_keyword_span(&other),
            "`#[trace]` applies to functions, methods and `impl` blocks",
        ),
    }
}

/// syn keeps what it does not model as tokens: a function without a body
/// (in a trait), and items without a value (`const X: u32;`).
fn verbatim_error(tokens: TokenStream) -> syn::Error {
    let error_at_keyword = |input: ParseStream| {
        input.call(Attribute::parse_outer)?;
        input.parse::<Visibility>()?;
        let keyword = input.span();
        let error = match input.fork().parse::<TraitItemFn>() {
            Ok(function) if function.default.is_none() => syn::Error::new(
                function.sig.ident.span(),
                "`#[trace]` needs a function body to instrument; this function has none",
            ),
            _ => syn::Error::new(keyword, "`#[trace]` applies to functions, methods and `impl` blocks"),
        };
        input.parse::<TokenStream>()?;
        Ok(error)
    };
    error_at_keyword.parse2(tokens.clone()).unwrap_or_else(|_: syn::Error| {
        syn::Error::new_spanned(tokens, "`#[trace]` applies to functions, methods and `impl` blocks")
    })
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

/// Rejects functions that cannot be instrumented.
pub fn check_signature(sig: &Signature) -> syn::Result<()> {
    if let Some(constness) = &sig.constness {
        return Err(syn::Error::new(
            constness.span(),
            "`#[trace]` cannot instrument a `const fn`: spans start at run time; remove `const` or `#[trace]`",
        ));
    }
    Ok(())
}

/// Rejects the arguments that only make sense on one method, given to a
/// `#[trace]` on an `impl` block.
pub fn check_block_arguments(args: &TraceArgs) -> syn::Result<()> {
    if let Some(name) = &args.name {
        return Err(syn::Error::new(
            name.key.span(),
            "`name` cannot be given for a whole `impl` block; put `#[trace(name = \"...\")]` on the method",
        ));
    }
    if let Some(args) = &args.args {
        return Err(syn::Error::new(
            args.key.span(),
            "`args` cannot be given for a whole `impl` block; put `#[trace(args(...))]` on the method",
        ));
    }
    Ok(())
}

/// Checks that `name`, from `args(...)`, is a parameter of `sig`.
pub fn check_parameter(sig: &Signature, name: &Ident) -> syn::Result<()> {
    let params = param_names(sig);
    let text = name.unraw().to_string();
    if params.contains(&text) {
        return Ok(());
    }
    let mut message = format!("`{}` has no parameter named `{text}`", sig.ident);
    if !params.is_empty() {
        let list: Vec<String> = params.iter().map(|p| format!("`{p}`")).collect();
        message += &format!("; its parameters are: {}", list.join(", "));
    }
    if has_patterns(sig) {
        message += &format!("; to record a name bound by a pattern, use `attributes({text} = {text})`");
    }
    Err(syn::Error::new(name.span(), message))
}

/// Checks that `attribute`, from `attributes(...)`, is not also recorded by
/// `args(...)`, whose attributes are in `recorded`.
pub fn check_not_in_args(recorded: &[SpanAttribute], attribute: &SpanAttribute) -> syn::Result<()> {
    if recorded.iter().any(|earlier| earlier.key == attribute.key) {
        return Err(syn::Error::new_spanned(
            &attribute.key_tokens,
            format!(
                "attribute `{}` is already recorded by `args({})`",
                attribute.key, attribute.key
            ),
        ));
    }
    Ok(())
}

/// Whether some parameter is a pattern rather than a name.
fn has_patterns(sig: &Signature) -> bool {
    sig.inputs.iter().any(|input| match input {
        FnArg::Receiver(_) => false,
        FnArg::Typed(typed) => !matches!(&*typed.pat, Pat::Ident(ident) if ident.subpat.is_none()),
    })
}

/// The names `args(...)` can refer to: `self` and plain identifier
/// parameters.
fn param_names(sig: &Signature) -> Vec<String> {
    sig.inputs
        .iter()
        .filter_map(|input| match input {
            FnArg::Receiver(_) => Some("self".to_owned()),
            FnArg::Typed(typed) => match &*typed.pat {
                Pat::Ident(ident) if ident.subpat.is_none() => Some(ident.ident.unraw().to_string()),
                _ => None,
            },
        })
        .collect()
}

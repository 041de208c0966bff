//! The syntax of `#[trace(...)]`'s arguments: `TraceArgs`, as written.
//! Errors are spanned at the offending token; checks against the item come
//! later (`validate`).

use proc_macro2::TokenStream;
use quote::ToTokens;
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseBuffer, ParseStream};
use syn::{Expr, Ident, LitBool, LitStr, Path, Token};

use crate::attribute::SpanAttribute;

/// The argument names, for "unknown argument" errors.
const ARGUMENT_NAMES: &str =
    "expected one of `name`, `kind`, `attributes`, `tags`, `args`, `err`, `ok`, `root`, `crate`";

/// The span kinds, as `SpanKind` variants.
const SPAN_KINDS: [&str; 5] = ["Internal", "Server", "Client", "Producer", "Consumer"];

/// One argument's value, with the key it was given under (`tags` or
/// `attributes`), for errors spanned at the key.
#[derive(Clone)]
pub struct Argument<T> {
    pub key: Ident,
    pub value: T,
}

/// A `kind = ...` value: a known `SpanKind` variant, as a bare variant
/// (`Server`) or a path to it (`SpanKind::Server`).
#[derive(Clone)]
pub struct SpanKindValue {
    /// The variant.
    pub variant: Ident,
    /// The path as written, when it has more than one segment. It is used
    /// as written, so that an imported `SpanKind` counts as used and a
    /// path to some other type is a type error.
    pub path: Option<Path>,
}

/// The arguments of one `#[trace(...)]`, as written.
#[derive(Clone, Default)]
pub struct TraceArgs {
    pub name: Option<Argument<LitStr>>,
    pub kind: Option<Argument<SpanKindValue>>,
    pub attributes: Option<Argument<Vec<SpanAttribute>>>,
    pub args: Option<Argument<Vec<Ident>>>,
    pub err: Option<Argument<bool>>,
    pub ok: Option<Argument<bool>>,
    pub root: Option<Argument<bool>>,
    pub krate: Option<Argument<Path>>,
}

impl Parse for TraceArgs {
    fn parse(input: ParseStream) -> syn::Result<TraceArgs> {
        let mut args = TraceArgs::default();
        while !input.is_empty() {
            if !input.peek(Ident::peek_any) {
                return Err(input.error(format!("expected an argument of `#[trace]`; {ARGUMENT_NAMES}")));
            }
            let key = Ident::parse_any(input)?;
            match key.to_string().as_str() {
                "name" => {
                    let value = parse_name(input, &key)?;
                    set_once(&mut args.name, key, value)?;
                }
                "kind" => {
                    let value = parse_kind(input, &key)?;
                    set_once(&mut args.kind, key, value)?;
                }
                "attributes" | "tags" => {
                    let content = parse_parens(input, &key, "key = value, ...")?;
                    let value = SpanAttribute::parse_list(&content)?;
                    set_once(&mut args.attributes, key, value)?;
                }
                "args" => {
                    let content = parse_parens(input, &key, "param, ...")?;
                    let value = parse_param_names(&content)?;
                    set_once(&mut args.args, key, value)?;
                }
                "err" => {
                    let value = parse_flag(input, &key)?;
                    set_once(&mut args.err, key, value)?;
                }
                "ok" => {
                    let value = parse_flag(input, &key)?;
                    set_once(&mut args.ok, key, value)?;
                }
                "root" => {
                    let value = parse_flag(input, &key)?;
                    set_once(&mut args.root, key, value)?;
                }
                "crate" => {
                    let value = parse_crate(input, &key)?;
                    set_once(&mut args.krate, key, value)?;
                }
                other => {
                    return Err(syn::Error::new(
                        key.span(),
                        format!("unknown argument `{other}` of `#[trace]`; {ARGUMENT_NAMES}"),
                    ));
                }
            }
            if input.is_empty() {
                break;
            }
            if !input.peek(Token![,]) {
                return Err(input.error("expected `,` between the arguments of `#[trace]`"));
            }
            input.parse::<Token![,]>()?;
        }
        Ok(args)
    }
}

/// Fills `slot`, rejecting an argument given twice (under either name).
fn set_once<T>(slot: &mut Option<Argument<T>>, key: Ident, value: T) -> syn::Result<()> {
    if let Some(earlier) = slot {
        let message = if earlier.key == key {
            format!("duplicate argument `{key}`")
        } else {
            format!(
                "`{key}` is the same argument as `{}`, which is already given",
                earlier.key
            )
        };
        return Err(syn::Error::new(key.span(), message));
    }
    *slot = Some(Argument { key, value });
    Ok(())
}

/// Parses `= value` after `key`.
fn parse_eq(input: ParseStream, key: &Ident, example: &str) -> syn::Result<()> {
    if !input.peek(Token![=]) {
        return Err(syn::Error::new(key.span(), format!("expected `{key} = {example}`")));
    }
    input.parse::<Token![=]>()?;
    if input.is_empty() || input.peek(Token![,]) {
        return Err(syn::Error::new(
            key.span(),
            format!("expected a value: `{key} = {example}`"),
        ));
    }
    Ok(())
}

/// The value's tokens, for an error spanned at it.
fn parse_any_value(input: ParseStream) -> syn::Result<TokenStream> {
    Ok(input.parse::<Expr>()?.into_token_stream())
}

fn parse_name(input: ParseStream, key: &Ident) -> syn::Result<LitStr> {
    parse_eq(input, key, "\"...\"")?;
    if input.peek(LitStr) {
        let name: LitStr = input.parse()?;
        if name.value().is_empty() {
            return Err(syn::Error::new(name.span(), "the span name must not be empty"));
        }
        return Ok(name);
    }
    let value = parse_any_value(input)?;
    Err(syn::Error::new_spanned(
        value,
        "`name` takes a string literal: `name = \"checkout\"`",
    ))
}

fn parse_kind(input: ParseStream, key: &Ident) -> syn::Result<SpanKindValue> {
    parse_eq(input, key, "SpanKind::Server")?;
    let value: Expr = input.parse()?;
    let path = match &value {
        Expr::Path(path) if path.qself.is_none() && path.attrs.is_empty() => &path.path,
        _ => {
            return Err(syn::Error::new_spanned(
                value,
                "`kind` takes a span kind: `kind = SpanKind::Server` or `kind = Server`",
            ));
        }
    };
    let last = path.segments.last().expect("a path has a segment");
    if !last.arguments.is_none() {
        return Err(syn::Error::new_spanned(
            &last.arguments,
            "a span kind takes no generic arguments",
        ));
    }
    if !SPAN_KINDS.iter().any(|kind| last.ident == kind) {
        return Err(syn::Error::new(
            last.ident.span(),
            format!(
                "unknown span kind `{}`; expected one of `Internal`, `Server`, `Client`, `Producer`, `Consumer`",
                last.ident
            ),
        ));
    }
    Ok(SpanKindValue {
        variant: last.ident.clone(),
        path: (path.segments.len() > 1 || path.leading_colon.is_some()).then(|| path.clone()),
    })
}

fn parse_flag(input: ParseStream, key: &Ident) -> syn::Result<bool> {
    if !input.peek(Token![=]) {
        // A bare flag: `root` means `root = true`.
        return Ok(true);
    }
    parse_eq(input, key, "true")?;
    if input.peek(LitBool) {
        return Ok(input.parse::<LitBool>()?.value);
    }
    let value = parse_any_value(input)?;
    Err(syn::Error::new_spanned(
        value,
        format!("`{key}` takes `true` or `false`"),
    ))
}

fn parse_crate(input: ParseStream, key: &Ident) -> syn::Result<Path> {
    parse_eq(input, key, "::path::to::tracer")?;
    let fork = input.fork();
    if let Ok(path) = fork.call(Path::parse_mod_style) {
        if fork.is_empty() || fork.peek(Token![,]) {
            input.call(Path::parse_mod_style)?;
            return Ok(path);
        }
    }
    let value = parse_any_value(input)?;
    Err(syn::Error::new_spanned(
        value,
        "`crate` takes the path of the `tracer` crate: `crate = ::my_crate::tracer`",
    ))
}

/// The contents of `key(...)`.
fn parse_parens<'a>(input: ParseStream<'a>, key: &Ident, example: &str) -> syn::Result<ParseBuffer<'a>> {
    if !input.peek(syn::token::Paren) {
        return Err(syn::Error::new(key.span(), format!("expected `{key}({example})`")));
    }
    let content;
    syn::parenthesized!(content in input);
    Ok(content)
}

/// The names in `args(...)`, each once. Whether the function has such
/// parameters is checked against its signature later.
fn parse_param_names(content: ParseStream) -> syn::Result<Vec<Ident>> {
    let mut names: Vec<Ident> = Vec::new();
    while !content.is_empty() {
        if !content.peek(Ident::peek_any) {
            return Err(content.error("expected a parameter name"));
        }
        let name = Ident::parse_any(content)?;
        if names.iter().any(|n| n.unraw() == name.unraw()) {
            return Err(syn::Error::new(name.span(), format!("`{name}` is already in `args`")));
        }
        names.push(name);
        if content.is_empty() {
            break;
        }
        if !content.peek(Token![,]) {
            return Err(content.error("expected `,` between parameter names"));
        }
        content.parse::<Token![,]>()?;
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    fn parse(tokens: TokenStream) -> syn::Result<TraceArgs> {
        syn::parse2(tokens)
    }

    fn error(tokens: TokenStream) -> String {
        match parse(tokens) {
            Ok(_) => panic!("expected an error"),
            Err(error) => error.to_string(),
        }
    }

    #[test]
    fn parses_every_argument() {
        let args = parse(quote!(
            name = "n",
            kind = SpanKind::Server,
            attributes(a = 1, http.method = "GET", "x.y" = z()),
            args(a, self),
            err = false,
            ok = true,
            root,
            crate = ::my::tracer,
        ))
        .unwrap();
        assert_eq!(args.name.unwrap().value.value(), "n");
        let kind = args.kind.unwrap().value;
        assert_eq!(kind.variant, "Server");
        assert_eq!(kind.path.unwrap().to_token_stream().to_string(), "SpanKind :: Server");
        let keys: Vec<String> = args.attributes.unwrap().value.into_iter().map(|f| f.key).collect();
        assert_eq!(keys, ["a", "http.method", "x.y"]);
        assert_eq!(args.args.unwrap().value.len(), 2);
        assert!(!args.err.unwrap().value);
        assert!(args.ok.unwrap().value);
        assert!(args.root.unwrap().value);
        assert_eq!(
            args.krate.unwrap().value.to_token_stream().to_string(),
            ":: my :: tracer"
        );
    }

    #[test]
    fn kind_takes_a_bare_variant_and_tags_is_attributes() {
        let args = parse(quote!(kind = Consumer, tags(k = 1), root = false)).unwrap();
        let kind = args.kind.unwrap().value;
        assert_eq!(kind.variant, "Consumer");
        assert!(kind.path.is_none());
        assert_eq!(args.attributes.unwrap().key, "tags");
        assert!(!args.root.unwrap().value);
    }

    #[test]
    fn rejects_bad_arguments() {
        assert!(error(quote!(nmae = "x")).starts_with("unknown argument `nmae`"));
        assert!(error(quote!(name = "a", name = "b")).starts_with("duplicate argument `name`"));
        assert!(error(quote!(attributes(a = 1), tags(b = 2))).contains("same argument as `attributes`"));
        assert!(error(quote!(name = 3)).contains("string literal"));
        assert!(error(quote!(kind = SpanKind::Serverr)).starts_with("unknown span kind `Serverr`"));
        assert!(error(quote!(err = "no")).contains("`true` or `false`"));
        assert!(error(quote!(attributes(a = 1, a = 2))).starts_with("duplicate attribute `a`"));
        assert!(error(quote!(args(a, a))).contains("already in `args`"));
        assert!(error(quote!(crate = "tracer")).contains("path"));
        assert!(error(quote!(name)).contains("expected `name = "));
    }
}

//! `#[trace(...)]` arguments: parsing, validation and resolution against a
//! function's signature. Every error is spanned at the offending token.

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Expr, FnArg, Ident, LitBool, LitStr, Pat, Path, Signature, Token};

/// The argument names, for "unknown argument" errors.
const EXPECTED: &str = "expected one of `name`, `kind`, `attributes`, `tags`, `args`, `err`, `ok`, `root`, `crate`";

/// The span kinds, as `SpanKind` variants.
const KINDS: [&str; 5] = ["Internal", "Server", "Client", "Producer", "Consumer"];

/// One `key = value` of `attributes(...)`, or a parameter from `args(...)`.
#[derive(Clone)]
pub struct Field {
    /// The attribute key: `http.method` for a dotted key.
    pub key: String,
    /// Where the key was written (its first token).
    pub key_span: Span,
    /// The key as written, for errors spanned over all of it.
    pub key_tokens: TokenStream,
    /// The value, evaluated only when the span is recorded.
    pub value: TokenStream,
}

/// An argument's value, with the key it was given under.
#[derive(Clone)]
pub struct Given<T> {
    pub key: Ident,
    pub value: T,
}

/// A `kind = ...` value: a known `SpanKind` variant, as a bare variant
/// (`Server`) or a path to it (`SpanKind::Server`).
#[derive(Clone)]
pub struct Kind {
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
    pub name: Option<Given<LitStr>>,
    pub kind: Option<Given<Kind>>,
    pub attributes: Option<Given<Vec<Field>>>,
    pub args: Option<Given<Vec<Ident>>>,
    pub err: Option<Given<bool>>,
    pub ok: Option<Given<bool>>,
    pub root: Option<Given<bool>>,
    pub krate: Option<Given<Path>>,
}

/// What one function's span gets: the arguments resolved against its
/// signature, with the defaults filled in.
pub struct Settings {
    pub name: LitStr,
    /// The `SpanKind` expression.
    pub kind: TokenStream,
    /// The kind as written when it was given as a path (`SpanKind::Server`),
    /// which may be all an import is used for.
    pub kind_path: Option<TokenStream>,
    /// `args(...)` first, then `attributes(...)`.
    pub attributes: Vec<Field>,
    pub err: bool,
    pub ok: bool,
    pub root: bool,
    /// The path of the `tracer` crate.
    pub krate: TokenStream,
}

impl Parse for TraceArgs {
    fn parse(input: ParseStream) -> syn::Result<TraceArgs> {
        let mut args = TraceArgs::default();
        while !input.is_empty() {
            if !input.peek(Ident::peek_any) {
                return Err(input.error(format!("expected an argument of `#[trace]`; {EXPECTED}")));
            }
            let key = Ident::parse_any(input)?;
            match key.to_string().as_str() {
                "name" => {
                    let value = parse_name(input, &key)?;
                    set(&mut args.name, key, value)?;
                }
                "kind" => {
                    let value = parse_kind(input, &key)?;
                    set(&mut args.kind, key, value)?;
                }
                "attributes" | "tags" => {
                    let value = parse_fields(input, &key)?;
                    set(&mut args.attributes, key, value)?;
                }
                "args" => {
                    let value = parse_args(input, &key)?;
                    set(&mut args.args, key, value)?;
                }
                "err" => {
                    let value = parse_flag(input, &key)?;
                    set(&mut args.err, key, value)?;
                }
                "ok" => {
                    let value = parse_flag(input, &key)?;
                    set(&mut args.ok, key, value)?;
                }
                "root" => {
                    let value = parse_flag(input, &key)?;
                    set(&mut args.root, key, value)?;
                }
                "crate" => {
                    let value = parse_crate(input, &key)?;
                    set(&mut args.krate, key, value)?;
                }
                other => {
                    return Err(syn::Error::new(
                        key.span(),
                        format!("unknown argument `{other}` of `#[trace]`; {EXPECTED}"),
                    ))
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

fn set<T>(slot: &mut Option<Given<T>>, key: Ident, value: T) -> syn::Result<()> {
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
    *slot = Some(Given { key, value });
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

fn parse_kind(input: ParseStream, key: &Ident) -> syn::Result<Kind> {
    parse_eq(input, key, "SpanKind::Server")?;
    let value: Expr = input.parse()?;
    let path = match &value {
        Expr::Path(path) if path.qself.is_none() && path.attrs.is_empty() => &path.path,
        _ => {
            return Err(syn::Error::new_spanned(
                value,
                "`kind` takes a span kind: `kind = SpanKind::Server` or `kind = Server`",
            ))
        }
    };
    let last = path.segments.last().expect("a path has a segment");
    if !last.arguments.is_none() {
        return Err(syn::Error::new_spanned(
            &last.arguments,
            "a span kind takes no generic arguments",
        ));
    }
    if !KINDS.iter().any(|kind| last.ident == kind) {
        return Err(syn::Error::new(
            last.ident.span(),
            format!(
                "unknown span kind `{}`; expected one of `Internal`, `Server`, `Client`, `Producer`, `Consumer`",
                last.ident
            ),
        ));
    }
    Ok(Kind {
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

fn parse_parens<'a>(input: ParseStream<'a>, key: &Ident, example: &str) -> syn::Result<syn::parse::ParseBuffer<'a>> {
    if !input.peek(syn::token::Paren) {
        return Err(syn::Error::new(key.span(), format!("expected `{key}({example})`")));
    }
    let content;
    syn::parenthesized!(content in input);
    Ok(content)
}

fn parse_fields(input: ParseStream, key: &Ident) -> syn::Result<Vec<Field>> {
    let content = parse_parens(input, key, "key = value, ...")?;
    let fields = Punctuated::<Field, Token![,]>::parse_terminated(&content)?;
    let mut seen: Vec<&Field> = Vec::new();
    for field in &fields {
        if seen.iter().any(|f| f.key == field.key) {
            return Err(syn::Error::new_spanned(
                &field.key_tokens,
                format!("duplicate attribute `{}`", field.key),
            ));
        }
        seen.push(field);
    }
    Ok(fields.into_iter().collect())
}

impl Parse for Field {
    fn parse(input: ParseStream) -> syn::Result<Field> {
        let (key, key_span, key_tokens) = if input.peek(LitStr) {
            let lit: LitStr = input.parse()?;
            if lit.value().is_empty() {
                return Err(syn::Error::new(lit.span(), "an attribute key must not be empty"));
            }
            (lit.value(), lit.span(), lit.to_token_stream())
        } else if input.peek(Ident::peek_any) {
            // A dotted key: `http.method`.
            let first = Ident::parse_any(input)?;
            let mut key = first.unraw().to_string();
            let mut tokens = first.to_token_stream();
            while input.peek(Token![.]) {
                let dot = input.parse::<Token![.]>()?;
                if !input.peek(Ident::peek_any) {
                    return Err(input.error("expected the next part of a dotted key, like `http.method`"));
                }
                let part = Ident::parse_any(input)?;
                key.push('.');
                key.push_str(&part.unraw().to_string());
                dot.to_tokens(&mut tokens);
                part.to_tokens(&mut tokens);
            }
            (key, first.span(), tokens)
        } else {
            return Err(
                input.error("expected an attribute key: `key = value`, `http.method = value` or `\"key\" = value`")
            );
        };
        if !input.peek(Token![=]) {
            return Err(syn::Error::new_spanned(
                &key_tokens,
                format!("expected `{key} = value`"),
            ));
        }
        input.parse::<Token![=]>()?;
        if input.is_empty() || input.peek(Token![,]) {
            return Err(syn::Error::new_spanned(
                &key_tokens,
                format!("expected a value: `{key} = value`"),
            ));
        }
        let value: Expr = input.parse()?;
        Ok(Field {
            key,
            key_span,
            key_tokens,
            value: value.into_token_stream(),
        })
    }
}

fn parse_args(input: ParseStream, key: &Ident) -> syn::Result<Vec<Ident>> {
    let content = parse_parens(input, key, "param, ...")?;
    let mut names: Vec<Ident> = Vec::new();
    while !content.is_empty() {
        if !content.peek(Ident::peek_any) {
            return Err(content.error("expected a parameter name"));
        }
        let name = Ident::parse_any(&content)?;
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

impl TraceArgs {
    /// Checks the arguments of a `#[trace]` on an `impl` block.
    pub fn check_block_level(&self) -> syn::Result<()> {
        if let Some(name) = &self.name {
            return Err(syn::Error::new(
                name.key.span(),
                "`name` cannot be given for a whole `impl` block; put `#[trace(name = \"...\")]` on the method",
            ));
        }
        if let Some(args) = &self.args {
            return Err(syn::Error::new(
                args.key.span(),
                "`args` cannot be given for a whole `impl` block; put `#[trace(args(...))]` on the method",
            ));
        }
        Ok(())
    }

    /// A method's own arguments over its `impl` block's: each argument the
    /// method gives wins; `attributes` are merged by key, the method's
    /// value winning.
    pub fn merged_over(&self, block: &TraceArgs) -> TraceArgs {
        fn pick<T: Clone>(own: &Option<T>, block: &Option<T>) -> Option<T> {
            own.clone().or_else(|| block.clone())
        }
        let attributes = match (&block.attributes, &self.attributes) {
            (Some(block), Some(own)) => {
                let mut fields: Vec<Field> = block
                    .value
                    .iter()
                    .filter(|f| own.value.iter().all(|o| o.key != f.key))
                    .cloned()
                    .collect();
                fields.extend(own.value.iter().cloned());
                Some(Given {
                    key: own.key.clone(),
                    value: fields,
                })
            }
            (block, own) => pick(own, block),
        };
        TraceArgs {
            name: self.name.clone(),
            kind: pick(&self.kind, &block.kind),
            attributes,
            args: self.args.clone(),
            err: pick(&self.err, &block.err),
            ok: pick(&self.ok, &block.ok),
            root: pick(&self.root, &block.root),
            krate: pick(&self.krate, &block.krate),
        }
    }

    /// The settings for the function with signature `sig`.
    pub fn resolve(&self, sig: &Signature) -> syn::Result<Settings> {
        check_signature(sig)?;
        let mut attributes = Vec::new();
        if let Some(args) = &self.args {
            let params = param_names(sig);
            for arg in &args.value {
                let name = arg.unraw().to_string();
                if !params.contains(&name) {
                    let mut message = format!("`{}` has no parameter named `{name}`", sig.ident);
                    if !params.is_empty() {
                        let list: Vec<String> = params.iter().map(|p| format!("`{p}`")).collect();
                        message += &format!("; its parameters are: {}", list.join(", "));
                    }
                    if has_patterns(sig) {
                        message += &format!("; to record a name bound by a pattern, use `attributes({name} = {name})`");
                    }
                    return Err(syn::Error::new(arg.span(), message));
                }
                attributes.push(Field {
                    key: name,
                    key_span: arg.span(),
                    key_tokens: arg.to_token_stream(),
                    value: arg.to_token_stream(),
                });
            }
        }
        if let Some(fields) = &self.attributes {
            for field in &fields.value {
                if attributes.iter().any(|a: &Field| a.key == field.key) {
                    return Err(syn::Error::new_spanned(
                        &field.key_tokens,
                        format!("attribute `{}` is already recorded by `args({})`", field.key, field.key),
                    ));
                }
                attributes.push(field.clone());
            }
        }
        let krate = match &self.krate {
            Some(path) => path.value.to_token_stream(),
            None => quote::quote!(::tracer),
        };
        Ok(Settings {
            name: match &self.name {
                Some(name) => name.value.clone(),
                None => LitStr::new(&sig.ident.unraw().to_string(), sig.ident.span()),
            },
            kind: match &self.kind {
                Some(Given {
                    value: Kind { path: Some(path), .. },
                    ..
                }) => path.to_token_stream(),
                Some(Given {
                    value: Kind { variant, .. },
                    ..
                }) => quote::quote!(#krate::__private::SpanKind::#variant),
                None => quote::quote!(#krate::__private::SpanKind::Internal),
            },
            kind_path: self
                .kind
                .as_ref()
                .and_then(|kind| kind.value.path.as_ref())
                .map(ToTokens::to_token_stream),
            attributes,
            err: self.err.as_ref().is_none_or(|e| e.value),
            ok: self.ok.as_ref().is_some_and(|o| o.value),
            root: self.root.as_ref().is_some_and(|r| r.value),
            krate,
        })
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

    #[test]
    fn method_arguments_override_the_block_field_by_field() {
        let block = parse(quote!(kind = Client, err = false, attributes(a = 1, b = 2))).unwrap();
        let method = parse(quote!(kind = Server, attributes(b = 3, c = 4))).unwrap();
        let merged = method.merged_over(&block);
        assert_eq!(merged.kind.unwrap().value.variant, "Server");
        assert!(!merged.err.unwrap().value);
        let fields: Vec<(String, String)> = merged
            .attributes
            .unwrap()
            .value
            .into_iter()
            .map(|f| (f.key, f.value.to_string()))
            .collect();
        assert_eq!(
            fields,
            [
                ("a".into(), "1".into()),
                ("b".into(), "3".into()),
                ("c".into(), "4".into())
            ]
        );
    }
}

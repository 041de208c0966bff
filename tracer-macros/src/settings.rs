//! What one function's span gets: its `#[trace]` arguments checked against
//! its signature, with the defaults filled in.

use proc_macro2::TokenStream;
use quote::{ToTokens, quote};
use syn::ext::IdentExt;
use syn::{LitStr, Signature};

use crate::attribute::SpanAttribute;
use crate::parse::{Argument, SpanKindValue, TraceArgs};
use crate::validate;

pub struct Settings {
    pub name: LitStr,
    /// The `SpanKind` expression.
    pub kind: TokenStream,
    /// The kind as written when it was given as a path (`SpanKind::Server`),
    /// which may be all an import is used for.
    pub kind_path: Option<TokenStream>,
    /// `args(...)` first, then `attributes(...)`.
    pub attributes: Vec<SpanAttribute>,
    pub err: bool,
    pub ok: bool,
    pub root: bool,
    /// The path of the `tracer` crate.
    pub krate: TokenStream,
}

impl TraceArgs {
    /// The settings for the function with signature `sig`.
    pub fn resolve(&self, sig: &Signature) -> syn::Result<Settings> {
        validate::check_signature(sig)?;
        let mut attributes = Vec::new();
        if let Some(args) = &self.args {
            for name in &args.value {
                validate::check_parameter(sig, name)?;
                attributes.push(SpanAttribute::from_param(name));
            }
        }
        if let Some(given) = &self.attributes {
            for attribute in &given.value {
                validate::check_not_in_args(&attributes, attribute)?;
                attributes.push(attribute.clone());
            }
        }
        let krate = match &self.krate {
            Some(path) => path.value.to_token_stream(),
            None => quote!(::tracer),
        };
        Ok(Settings {
            name: match &self.name {
                Some(name) => name.value.clone(),
                None => LitStr::new(&sig.ident.unraw().to_string(), sig.ident.span()),
            },
            kind: match &self.kind {
                Some(Argument {
                    value: SpanKindValue { path: Some(path), .. },
                    ..
                }) => path.to_token_stream(),
                Some(Argument {
                    value: SpanKindValue { variant, .. },
                    ..
                }) => quote!(#krate::__private::SpanKind::#variant),
                None => quote!(#krate::__private::SpanKind::Internal),
            },
            kind_path: self
                .kind
                .as_ref()
                .and_then(|kind| kind.value.path.as_ref())
                .map(ToTokens::to_token_stream),
            attributes,
            err: self.err.as_ref().is_none_or(|err| err.value),
            ok: self.ok.as_ref().is_some_and(|ok| ok.value),
            root: self.root.as_ref().is_some_and(|root| root.value),
            krate,
        })
    }
}

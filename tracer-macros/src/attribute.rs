//! One span attribute: a `key = value` of `attributes(...)` (or `tags`), or
//! a parameter named in `args(...)`.

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Expr, Ident, LitStr, Token};

#[derive(Clone)]
pub struct SpanAttribute {
    /// The attribute key: `http.method` for a dotted key.
    pub key: String,
    /// Where the key was written (its first token).
    pub key_span: Span,
    /// The key as written, for errors spanned over all of it.
    pub key_tokens: TokenStream,
    /// The value, evaluated only when the span is recording.
    pub value: TokenStream,
}

impl SpanAttribute {
    /// The contents of `attributes(...)`, each key once.
    pub fn parse_list(content: ParseStream) -> syn::Result<Vec<SpanAttribute>> {
        let attributes = Punctuated::<SpanAttribute, Token![,]>::parse_terminated(content)?;
        let mut seen: Vec<&SpanAttribute> = Vec::new();
        for attribute in &attributes {
            if seen.iter().any(|earlier| earlier.key == attribute.key) {
                return Err(syn::Error::new_spanned(
                    &attribute.key_tokens,
                    format!("duplicate attribute `{}`", attribute.key),
                ));
            }
            seen.push(attribute);
        }
        Ok(attributes.into_iter().collect())
    }

    /// The attribute `args(name)` records: the parameter, under its name.
    pub fn from_param(name: &Ident) -> SpanAttribute {
        SpanAttribute {
            key: name.unraw().to_string(),
            key_span: name.span(),
            key_tokens: name.to_token_stream(),
            value: name.to_token_stream(),
        }
    }
}

impl Parse for SpanAttribute {
    fn parse(input: ParseStream) -> syn::Result<SpanAttribute> {
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
        Ok(SpanAttribute {
            key,
            key_span,
            key_tokens,
            value: value.into_token_stream(),
        })
    }
}

//! The attributes `#[trace]` reads on the items of an `impl` block it is
//! on: `#[notrace]`, and a method's own `#[trace(...)]`.

use syn::{Attribute, ImplItem, Meta};

use crate::parse::TraceArgs;

enum Marker {
    NoTrace,
    Trace,
}

/// What a method's markers ask for.
pub enum MethodMarking {
    /// `#[notrace]`: left as written.
    NoTrace,
    /// No marker: traced with the block's arguments.
    Unmarked,
    /// Its own `#[trace]` or `#[trace(...)]`, merged over the block's.
    Trace(Box<TraceArgs>),
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
pub fn crate_name(args: &TraceArgs) -> String {
    match &args.krate {
        Some(krate) => {
            let segments: Vec<String> = krate.value.segments.iter().map(|s| s.ident.to_string()).collect();
            segments.join("::")
        }
        None => "tracer".to_owned(),
    }
}

/// Removes a method's markers and says what they ask for.
pub fn take_markers(attrs: &mut Vec<Attribute>, krate: &str) -> syn::Result<MethodMarking> {
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
                        return Err(syn::Error::new_spanned(value, "expected `#[trace]` or `#[trace(...)]`"));
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
        (Some(_), None) => Ok(MethodMarking::NoTrace),
        (None, None) => Ok(MethodMarking::Unmarked),
        (None, Some((_, args))) => Ok(MethodMarking::Trace(Box::new(args))),
    }
}

/// Rejects markers on what is not a method (an associated const, type or
/// macro).
pub fn check_no_markers(attrs: &[Attribute], krate: &str) -> syn::Result<()> {
    match attrs.iter().find(|attr| marker(attr, krate).is_some()) {
        Some(attr) => Err(syn::Error::new_spanned(
            attr,
            "`#[trace]` and `#[notrace]` apply to methods",
        )),
        None => Ok(()),
    }
}

/// Removes every marker of the default crate path, for the item emitted
/// next to an error: left in, they would add errors of their own.
pub fn strip_markers(items: &mut [ImplItem]) {
    for item in items {
        if let Some(attrs) = impl_item_attrs(item) {
            attrs.retain(|attr| marker(attr, "tracer").is_none());
        }
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

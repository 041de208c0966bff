//! Reading a function's return type: whether it has a result to record,
//! what to name it as in generated code, and which future it returns.

use proc_macro2::TokenStream;
use quote::{ToTokens, quote};
use syn::visit_mut::{self, VisitMut};
use syn::{GenericArgument, PathArguments, ReturnType, Signature, Type, TypeParamBound};

/// The declared return type, `None` for none.
pub fn output_type(sig: &Signature) -> Option<&Type> {
    match &sig.output {
        ReturnType::Default => None,
        ReturnType::Type(_, ty) => Some(ty),
    }
}

/// The return type, as a closure's return type or a turbofish argument.
pub fn closure_output(sig: &Signature) -> TokenStream {
    match output_type(sig) {
        None => quote!(()),
        Some(ty) => infer_impl_trait(ty).into_token_stream(),
    }
}

/// Looks through the invisible groups `macro_rules!` wraps types in, and
/// through parentheses.
pub fn without_groups(ty: &Type) -> &Type {
    match ty {
        Type::Group(group) => without_groups(&group.elem),
        Type::Paren(paren) => without_groups(&paren.elem),
        ty => ty,
    }
}

pub fn is_unit(ty: &Type) -> bool {
    matches!(without_groups(ty), Type::Tuple(tuple) if tuple.elems.is_empty())
}

pub fn is_never(ty: &Type) -> bool {
    matches!(without_groups(ty), Type::Never(_))
}

/// The type with every `impl Trait` replaced by `_`, for a closure's return
/// type or a turbofish.
pub fn infer_impl_trait(ty: &Type) -> Type {
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

/// `X` for a function returning `impl Future<Output = X>`.
pub fn impl_future_output(output: &ReturnType) -> Option<&Type> {
    let ReturnType::Type(_, ty) = output else { return None };
    let Type::ImplTrait(impl_trait) = without_groups(ty) else {
        return None;
    };
    future_output(&impl_trait.bounds)
}

/// `X` for a function returning `Pin<Box<dyn Future<Output = X> + ...>>`,
/// as async-trait writes them.
pub fn boxed_future_output(output: &ReturnType) -> Option<&Type> {
    let ReturnType::Type(_, ty) = output else { return None };
    let boxed = single_generic(ty, "Pin")?;
    let Type::TraitObject(object) = without_groups(single_generic(boxed, "Box")?) else {
        return None;
    };
    future_output(&object.bounds)
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

/// The single generic argument of a path type whose last segment is `name`.
fn single_generic<'a>(ty: &'a Type, name: &str) -> Option<&'a Type> {
    let Type::Path(path) = without_groups(ty) else {
        return None;
    };
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

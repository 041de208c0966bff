//! With the `enabled` feature off, a function comes back as written but
//! for one dead statement that refers to the kind and the attribute
//! values: an import, a parameter or a helper used only in the arguments
//! stays used, so turning the feature off brings no `unused` warnings.

use syn::{Block, Signature, Stmt};

use crate::settings::Settings;

/// Adds the dead statement to `block`. It never runs, and compiles to
/// nothing. It sits where the enabled expansion evaluates the values (in
/// the function, so `?` works the same), and not in a `const fn`, which
/// could not call them.
pub fn keep_arguments_used(settings: &Settings, sig: &Signature, block: &mut Block) {
    if sig.constness.is_some() || (settings.kind_path.is_none() && settings.attributes.is_empty()) {
        return;
    }
    let kind = settings.kind_path.iter();
    let values = settings.attributes.iter().map(|attribute| &attribute.value);
    let statement: Stmt = syn::parse_quote! {
        if false {
            let _ = (#(#kind,)* #(&(#values),)*);
        }
    };
    block.stmts.insert(0, statement);
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use crate::test_support::expand;

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
}

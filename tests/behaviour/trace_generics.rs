//! Generic functions and methods: type, lifetime and const parameters,
//! `where` clauses, `impl Trait` arguments, unsized parameters.
use crate::common;

use std::collections::HashMap;
use std::fmt::{Debug, Display};
use std::hash::Hash;

use common::{one, traced};
use tracer::{Status, Value, trace};

#[trace(args(key))]
fn count_by<K, V, I>(items: I, key: K) -> Result<HashMap<K, usize>, String>
where
    K: Eq + Hash + Clone + Debug,
    I: IntoIterator<Item = (K, V)>,
{
    let mut counts = HashMap::new();
    for (k, _) in items {
        *counts.entry(k).or_insert(0) += 1;
    }
    if !counts.contains_key(&key) {
        return Err(format!("missing {key:?}"));
    }
    Ok(counts)
}

#[trace]
fn longest<'a, 'b: 'a>(a: &'a str, b: &'b str) -> &'a str {
    if a.len() >= b.len() { a } else { b }
}

#[trace]
fn first_n<const N: usize, T: Copy + Default>(items: &[T]) -> [T; N] {
    let mut out = [T::default(); N];
    out.copy_from_slice(&items[..N]);
    out
}

#[trace]
fn show(value: &(impl Display + ?Sized)) -> String {
    value.to_string()
}

#[trace]
fn unsized_param<T: ?Sized + AsRef<[u8]>>(bytes: &T) -> usize {
    bytes.as_ref().len()
}

struct Cache<K, V> {
    entries: Vec<(K, V)>,
}

impl<K: PartialEq, V> Cache<K, V>
where
    V: Clone,
{
    #[trace]
    fn get(&self, key: &K) -> Option<V> {
        self.entries.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
    }

    #[trace]
    fn get_mut<Q: ?Sized>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: PartialEq<Q>,
    {
        self.entries.iter_mut().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    #[trace]
    async fn get_async(&self, key: &K) -> Option<V> {
        self.get(key)
    }
}

#[test]
fn generic_functions() {
    let (out, spans) = traced(|| {
        let counts = count_by(vec![("a", 1), ("b", 2), ("a", 3)], "a").unwrap();
        let missing = count_by(Vec::<(u8, ())>::new(), 9).unwrap_err();
        (
            counts["a"],
            missing,
            longest("ab", "abc").to_owned(),
            first_n::<2, u8>(&[1, 2, 3]),
            show("str"),
            show(&4),
            unsized_param("four"),
        )
    });
    assert_eq!(
        out,
        (2, "missing 9".into(), "abc".into(), [1, 2], "str".into(), "4".into(), 4)
    );
    let counts: Vec<_> = spans.iter().filter(|s| s.name == "count_by").collect();
    // The recording is chosen from the declared bounds, not per
    // instantiation: `K: Debug` records the `Debug` text even for `&str`.
    assert_eq!(counts[0].attribute("key"), Some(&Value::from("\"a\"")));
    assert_eq!(counts[1].attribute("key"), Some(&Value::from("9")));
    assert_eq!(counts[1].status, Status::error("missing 9"));
    one(&spans, "longest");
    one(&spans, "first_n");
    assert_eq!(spans.iter().filter(|s| s.name == "show").count(), 2);
}

#[test]
fn generic_impls() {
    let (out, spans) = traced(|| {
        let mut cache = Cache {
            entries: vec![(String::from("k"), 1u32)],
        };
        *cache.get_mut("k").unwrap() += 1;
        let async_value = futures_executor::block_on(cache.get_async(&String::from("k")));
        (cache.get(&String::from("k")), async_value)
    });
    assert_eq!(out, (Some(2), Some(2)));
    one(&spans, "get_mut");
    one(&spans, "get_async");
    assert_eq!(spans.iter().filter(|s| s.name == "get").count(), 2);
}

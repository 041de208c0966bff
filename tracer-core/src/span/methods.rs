//! The methods every span handle shares.

/// The methods shared by every span handle. Each is a no-op when the span
/// is not recording. `$data` is a method returning `Option<R>` after running
/// a closure on the open record.
macro_rules! span_methods {
    () => {
        /// Sets an attribute, replacing any earlier value for the same key.
        ///
        /// ```
        /// # let span = tracer_core::Span::new("doc");
        /// span.set_attribute("user_id", "usr_123");
        /// span.set_attribute("attempt", 2);
        /// ```
        pub fn set_attribute(&self, key: impl Into<$crate::Key>, value: impl Into<$crate::Value>) {
            let kv = $crate::KeyValue::new(key, value);
            self.with_data(|data| $crate::runtime::with_limits(|limits| data.put_attribute(kv, limits)));
        }

        /// Another name for [`set_attribute`](Self::set_attribute), as
        /// attributes are called "tags" in many tracers.
        pub fn set_tag(&self, key: impl Into<$crate::Key>, value: impl Into<$crate::Value>) {
            self.set_attribute(key, value);
        }

        /// Sets several attributes.
        pub fn set_attributes(&self, attributes: impl IntoIterator<Item = $crate::KeyValue>) {
            if !self.is_recording() {
                return;
            }
            let attributes: ::std::vec::Vec<_> = attributes.into_iter().collect();
            self.with_data(|data| {
                $crate::runtime::with_limits(|limits| {
                    for kv in attributes {
                        data.put_attribute(kv, limits);
                    }
                })
            });
        }

        /// Adds an event, timestamped now.
        ///
        /// ```
        /// use tracer_core::KeyValue;
        /// # let span = tracer_core::Span::new("doc");
        /// span.add_event("cache_miss", [KeyValue::new("key", "user:123")]);
        /// span.add_event("retrying", []);
        /// ```
        pub fn add_event(
            &self,
            name: impl Into<::std::borrow::Cow<'static, str>>,
            attributes: impl IntoIterator<Item = $crate::KeyValue>,
        ) {
            if self.is_recording() {
                self.add_event_at_nanos(name.into(), $crate::clock::now_unix_nanos(), attributes);
            }
        }

        /// Adds an event with an explicit timestamp.
        pub fn add_event_at(
            &self,
            name: impl Into<::std::borrow::Cow<'static, str>>,
            time: ::std::time::SystemTime,
            attributes: impl IntoIterator<Item = $crate::KeyValue>,
        ) {
            if self.is_recording() {
                let nanos = $crate::clock::system_time_to_unix_nanos(time);
                self.add_event_at_nanos(name.into(), nanos, attributes);
            }
        }

        fn add_event_at_nanos(
            &self,
            name: ::std::borrow::Cow<'static, str>,
            timestamp_unix_nano: u64,
            attributes: impl IntoIterator<Item = $crate::KeyValue>,
        ) {
            let event = $crate::Event {
                name,
                timestamp_unix_nano,
                attributes: attributes.into_iter().collect(),
                dropped_attributes_count: 0,
            };
            self.with_data(|data| {
                $crate::runtime::with_limits(|limits| $crate::buffer::add_event(data, event, limits))
            });
        }

        /// Links this span to another span's context.
        pub fn add_link(&self, context: $crate::SpanContext, attributes: impl IntoIterator<Item = $crate::KeyValue>) {
            if self.is_recording() {
                let link = $crate::Link::new(context, attributes);
                self.with_data(|data| $crate::runtime::with_limits(|limits| data.add_link(link, limits)));
            }
        }

        /// Sets the status. `Ok` is final and `Unset` is ignored.
        ///
        /// ```
        /// use tracer_core::Status;
        /// # let span = tracer_core::Span::new("doc");
        /// span.set_status(Status::error("Database connection failed"));
        /// ```
        pub fn set_status(&self, status: $crate::Status) {
            self.with_data(|data| data.set_status(status));
        }

        /// Sets the status to `Ok`.
        pub fn set_ok(&self) {
            self.set_status($crate::Status::Ok);
        }

        /// Records an error: the status becomes `Error` with the error's
        /// message, and an `exception` event carries `exception.type` and
        /// `exception.message`.
        ///
        /// ```
        /// # let span = tracer_core::Span::new("doc");
        /// let err = std::io::Error::other("disk full");
        /// span.set_error(&err);
        /// ```
        pub fn set_error<E: ::std::error::Error + ?Sized>(&self, error: &E) {
            if self.is_recording() {
                self.record_error_parts(::std::any::type_name::<E>(), error.to_string());
            }
        }

        /// Renames the span.
        pub fn update_name(&self, name: impl Into<::std::borrow::Cow<'static, str>>) {
            let name = name.into();
            self.with_data(|data| data.name = name);
        }

        /// Records an error from its type name and message (also for
        /// `#[trace]`, whose errors need only `Display`).
        pub(crate) fn record_error_parts(&self, type_name: &'static str, message: ::std::string::String) {
            let now = $crate::clock::now_unix_nanos();
            self.with_data(|data| {
                $crate::runtime::with_limits(|limits| {
                    $crate::buffer::record_exception(data, type_name, message, now, limits)
                })
            });
        }

        /// The trace id, or `None` when no trace is active.
        pub fn trace_id(&self) -> Option<$crate::TraceId> {
            self.context().map(|c| c.trace_id())
        }

        /// The span id, or `None` when no span is active.
        pub fn span_id(&self) -> Option<$crate::SpanId> {
            self.context().map(|c| c.span_id())
        }
    };
}
pub(crate) use span_methods;

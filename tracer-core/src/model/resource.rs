//! The resource: attributes that describe the process producing spans.
//!
//! Every exported span belongs to a resource. `service.name` is the one a
//! backend needs to group spans; when not set it is
//! `unknown_service:<executable>`, as OpenTelemetry specifies. The
//! `telemetry.sdk.*` attributes name this library.

use super::value::{KeyValue, Value};

/// Attributes of the traced process.
///
/// ```
/// use tracer_core::Resource;
///
/// let resource = Resource::builder().service_name("checkout").attribute("deployment.environment", "prod").build();
/// assert_eq!(resource.service_name(), "checkout");
/// assert_eq!(resource.get("telemetry.sdk.language").unwrap().as_str(), Some("rust"));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Resource {
    attributes: Vec<KeyValue>,
}

impl Default for Resource {
    fn default() -> Resource {
        Resource::builder().build()
    }
}

impl Resource {
    /// A builder, starting from the defaults.
    pub fn builder() -> ResourceBuilder {
        ResourceBuilder { attributes: Vec::new() }
    }

    /// Every attribute.
    pub fn attributes(&self) -> &[KeyValue] {
        &self.attributes
    }

    /// The value for `key`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.attributes
            .iter()
            .find(|kv| kv.key.as_str() == key)
            .map(|kv| &kv.value)
    }

    /// `service.name`.
    pub fn service_name(&self) -> &str {
        self.get("service.name")
            .and_then(Value::as_str)
            .unwrap_or("unknown_service")
    }
}

/// Builds a [`Resource`]. Later values for a key replace earlier ones.
#[derive(Clone, Debug, Default)]
pub struct ResourceBuilder {
    attributes: Vec<KeyValue>,
}

impl ResourceBuilder {
    /// Sets `service.name`.
    pub fn service_name(self, name: impl Into<Value>) -> ResourceBuilder {
        self.attribute("service.name", name)
    }

    /// Sets `service.version`.
    pub fn service_version(self, version: impl Into<Value>) -> ResourceBuilder {
        self.attribute("service.version", version)
    }

    /// Sets any attribute.
    pub fn attribute(mut self, key: impl Into<crate::Key>, value: impl Into<Value>) -> ResourceBuilder {
        let kv = KeyValue::new(key, value);
        self.attributes.retain(|old| old.key != kv.key);
        self.attributes.push(kv);
        self
    }

    /// The resource: the defaults, overridden by what was set.
    pub fn build(self) -> Resource {
        let mut attributes = vec![
            KeyValue::new("service.name", default_service_name()),
            KeyValue::new("telemetry.sdk.name", "tracer"),
            KeyValue::new("telemetry.sdk.language", "rust"),
            KeyValue::new("telemetry.sdk.version", env!("CARGO_PKG_VERSION")),
        ];
        for kv in self.attributes {
            attributes.retain(|old| old.key != kv.key);
            attributes.push(kv);
        }
        Resource { attributes }
    }
}

fn default_service_name() -> String {
    let exe = std::env::current_exe()
        .ok()
        .and_then(|path| path.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .unwrap_or_default();
    format!("unknown_service:{exe}")
}

//! Reading one input file: a sequence of JSON values (one per line for JSON
//! lines, or one pretty-printed request body), each an OTLP `Span` or an
//! `ExportTraceServiceRequest`.

use std::fmt;

use serde_json::Value as Json;
use tracer_core::{Resource, SpanData};

use crate::otlp_json;

/// Spans under the resource they came with.
pub type Group = (Resource, Vec<SpanData>);

/// Bad input: the file, the line (and column, for JSON syntax) and what is
/// wrong.
#[derive(Debug, PartialEq)]
pub struct InputError {
    pub file: String,
    pub line: usize,
    pub column: Option<usize>,
    pub message: String,
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.column {
            Some(column) => write!(f, "{}:{}:{}: {}", self.file, self.line, column, self.message),
            None => write!(f, "{}:{}: {}", self.file, self.line, self.message),
        }
    }
}

/// The spans in `text`, read from the file called `file`. Spans written one
/// by one (JSON lines) have no resource: they go under `service`.
pub fn read(file: &str, text: &str, service: &str) -> Result<Vec<Group>, InputError> {
    let error = |line: usize, column: Option<usize>, message: String| InputError {
        file: file.to_string(),
        line,
        column,
        message,
    };
    let mut groups: Vec<Group> = Vec::new();
    let mut loose: Vec<SpanData> = Vec::new();
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<Json>();
    let mut line = 1;
    let mut counted_to = 0;
    loop {
        let before = stream.byte_offset();
        let value = match stream.next() {
            None => break,
            Some(Ok(value)) => value,
            Some(Err(e)) => {
                // serde_json's message ends with the position, given apart.
                let message = e.to_string();
                let message = message.split(" at line ").next().unwrap_or_default().to_string();
                return Err(error(e.line(), Some(e.column()), message));
            }
        };
        let start = before + text[before..].len() - text[before..].trim_start().len();
        line += text[counted_to..start].matches('\n').count();
        counted_to = start;
        let Some(object) = value.as_object() else {
            return Err(error(line, None, format!("expected a JSON object, found {value}")));
        };
        let located = |e: otlp_json::FieldError| error(line, None, format!("{}: {}", e.path, e.message));
        if object.contains_key("resourceSpans") {
            groups.extend(otlp_json::request(object).map_err(located)?);
        } else if object.contains_key("traceId") {
            loose.push(otlp_json::span(&value).map_err(located)?);
        } else {
            return Err(error(
                line,
                None,
                "neither an OTLP span (no traceId) nor an OTLP request (no resourceSpans)".to_string(),
            ));
        }
    }
    if !loose.is_empty() {
        groups.insert(
            0,
            (Resource::builder().service_name(service.to_string()).build(), loose),
        );
    }
    Ok(groups)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPAN: &str = r#"{"traceId":"5b8aa5a2d2c872e8321cf37308d69df2","spanId":"051581bf3cb55c13","name":"a","startTimeUnixNano":"1","endTimeUnixNano":"2"}"#;

    #[test]
    fn json_lines_and_request_bodies() {
        let request = format!(
            "{{\n  \"resourceSpans\": [{{\n    \"resource\": {{\"attributes\": [{{\"key\": \"service.name\", \"value\": {{\"stringValue\": \"api\"}}}}]}},\n    \"scopeSpans\": [{{\"spans\": [{SPAN}]}}]\n  }}]\n}}"
        );
        let text = format!("{SPAN}\n\n{SPAN}\n{request}\n");
        let groups = read("in.jsonl", &text, "in").unwrap();
        assert_eq!(groups.len(), 2);
        assert_eq!(groups[0].0.service_name(), "in");
        assert_eq!(groups[0].1.len(), 2);
        assert_eq!(groups[1].0.service_name(), "api");
        assert_eq!(groups[1].1.len(), 1);
    }

    #[test]
    fn errors_name_the_line() {
        let text = format!("{SPAN}\n{}\n", SPAN.replace("\"name\":\"a\",", ""));
        assert_eq!(
            read("in.jsonl", &text, "in").unwrap_err().to_string(),
            "in.jsonl:2: name: missing"
        );
        let text = format!("{SPAN}\n{SPAN}\n{{\"traceId\": oops}}\n");
        assert_eq!(
            read("in.jsonl", &text, "in").unwrap_err().to_string(),
            "in.jsonl:3:13: expected value"
        );
        assert_eq!(
            read("in.jsonl", "\n[1]\n", "in").unwrap_err().to_string(),
            "in.jsonl:2: expected a JSON object, found [1]"
        );
        assert_eq!(
            read("in.jsonl", "{\"spans\": []}", "in").unwrap_err().to_string(),
            "in.jsonl:1: neither an OTLP span (no traceId) nor an OTLP request (no resourceSpans)"
        );
    }
}

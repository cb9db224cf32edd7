//! The Weavz error body, `{ "error": …, "code": …, "details"?: … }`, as an axum response.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// An API failure: HTTP status, machine code, message for people, optional details.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// HTTP status to answer with.
    pub status: StatusCode,
    /// Machine-readable code, e.g. `VALIDATION_ERROR`.
    pub code: &'static str,
    /// Human-readable message.
    pub message: String,
    /// Extra structured information.
    pub details: Option<Value>,
    /// Seconds for a `Retry-After` header.
    pub retry_after: Option<u32>,
}

impl ApiError {
    /// A new error without details.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            details: None,
            retry_after: None,
        }
    }

    /// Attaches `details`.
    pub fn with_details(mut self, details: Value) -> Self {
        self.details = Some(details);
        self
    }

    /// 400 `VALIDATION_ERROR` for one field.
    pub fn invalid_field(path: &str, message: impl Into<String>) -> Self {
        Validation::default()
            .field(path, message)
            .into_error()
            .unwrap_or_else(|| {
                ApiError::new(StatusCode::BAD_REQUEST, "VALIDATION_ERROR", "Validation failed")
            })
    }

    /// Replaces the machine code.
    pub fn with_code(mut self, code: &'static str) -> Self {
        self.code = code;
        self
    }

    /// 401 `UNAUTHORIZED`.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::UNAUTHORIZED, "UNAUTHORIZED", message)
    }

    /// 404 with the given code.
    pub fn not_found(code: &'static str, message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::NOT_FOUND, code, message)
    }

    /// The JSON body.
    pub fn body(&self) -> Value {
        let mut body = json!({ "error": self.message, "code": self.code });
        if let Some(details) = &self.details {
            body["details"] = details.clone();
        }
        body
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut res = (self.status, axum::Json(self.body())).into_response();
        if let Some(secs) = self.retry_after {
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        res
    }
}

/// Collects field problems so a client sees all of them at once.
#[derive(Debug, Default)]
pub struct Validation {
    fields: Vec<(String, String)>,
}

impl Validation {
    /// Records a problem with `path`.
    pub fn field(mut self, path: &str, message: impl Into<String>) -> Self {
        self.push(path, message);
        self
    }

    /// Records a problem with `path` in place.
    pub fn push(&mut self, path: &str, message: impl Into<String>) {
        self.fields.push((path.to_owned(), message.into()));
    }

    /// Whether nothing was recorded.
    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// `Err` with a 400 `VALIDATION_ERROR` listing every problem, or `Ok(())`.
    pub fn finish(self) -> Result<(), ApiError> {
        match self.into_error() {
            Some(err) => Err(err),
            None => Ok(()),
        }
    }

    fn into_error(self) -> Option<ApiError> {
        let (path, message) = self.fields.first()?;
        let summary = format!("Validation failed: {path}: {message}");
        let fields: Vec<Value> = self
            .fields
            .iter()
            .map(|(p, m)| json!({ "path": p, "message": m }))
            .collect();
        Some(
            ApiError::new(StatusCode::BAD_REQUEST, "VALIDATION_ERROR", summary)
                .with_details(json!({ "fields": fields })),
        )
    }
}

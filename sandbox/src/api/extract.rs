//! Request extraction with Weavz-style errors: JSON bodies, API-key auth.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use serde::de::DeserializeOwned;
use serde_json::json;

use crate::error::ApiError;
use crate::state::Shared;
use crate::util::{MAX_BODY_BYTES, secrets_equal};

/// A JSON request body whose every failure is a Weavz error body:
/// 415 for a non-JSON content type, 413 past [`MAX_BODY_BYTES`], 400 `VALIDATION_ERROR`
/// (with the failing path) for malformed JSON, missing fields and wrong types.
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"));
        if !is_json {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "UNSUPPORTED_MEDIA_TYPE",
                "Expected a JSON body with Content-Type: application/json",
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|_| too_large())?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// An optional JSON body: absent (no content type and no bytes) is `None`.
impl<S, T> axum::extract::OptionalFromRequest<S> for ApiJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Option<Self>, Self::Rejection> {
        if req.headers().contains_key(header::CONTENT_TYPE) {
            return <Self as FromRequest<S>>::from_request(req, state).await.map(Some);
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|_| too_large())?;
        if bytes.is_empty() {
            Ok(None)
        } else {
            Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "UNSUPPORTED_MEDIA_TYPE",
                "Expected a JSON body with Content-Type: application/json",
            ))
        }
    }
}

fn too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "PAYLOAD_TOO_LARGE",
        format!("Request body is larger than {} KiB", MAX_BODY_BYTES / 1024),
    )
}

/// Parses a JSON document into `T`, reporting the path of the first problem.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.len() > MAX_BODY_BYTES {
        return Err(too_large());
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "VALIDATION_ERROR",
            "Request body is empty",
        )
        .with_details(json!({ "fields": [] })));
    }
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "VALIDATION_ERROR",
                format!("Malformed JSON: {inner}"),
            )
            .with_details(json!({ "fields": [] }))
        } else {
            // serde's messages carry "at line L column C"; the path says more.
            let message = inner.to_string();
            let message = message.split(" at line ").next().unwrap_or(&message).to_owned();
            let path = if path == "." { String::new() } else { path };
            ApiError::invalid_field(&path, message)
        }
    })
}

/// Query parameters whose parse failures are 400 `VALIDATION_ERROR` with the Weavz body.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> axum::extract::FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or("");
        serde_urlencoded::from_str(query)
            .map(ApiQuery)
            .map_err(|e| ApiError::invalid_field("query", format!("invalid query string: {e}")))
    }
}

/// One path segment, percent-decoded; a segment that is not UTF-8 is a 404 with the
/// Weavz body (nothing can be named that).
pub struct ApiPath(pub String);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for ApiPath {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<String>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(p)| ApiPath(p))
            .map_err(|_| ApiError::not_found("NOT_FOUND", "No such resource"))
    }
}

/// Middleware: `Authorization: Bearer <api key>` must carry the sandbox key.
pub async fn require_api_key(
    State(state): State<Shared>,
    req: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let given = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::trim);
    match given {
        None => Err(ApiError::unauthorized(
            "Missing API key: send Authorization: Bearer <key>",
        )),
        Some(value) => {
            let key = value
                .strip_prefix("Bearer ")
                .or_else(|| value.strip_prefix("bearer "))
                .map(str::trim)
                .unwrap_or("");
            if !key.is_empty() && secrets_equal(key, &state.config.api_key) {
                Ok(next.run(req).await)
            } else {
                Err(ApiError::unauthorized("Invalid API key"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[serde(rename_all = "camelCase")]
    #[allow(dead_code)]
    struct Body {
        integration_name: String,
        count: Option<u32>,
    }

    #[test]
    fn errors_name_the_path() {
        let err = parse_json::<Body>(br#"{"integrationName": 5}"#).unwrap_err();
        assert_eq!(err.code, "VALIDATION_ERROR");
        assert_eq!(err.details.unwrap()["fields"][0]["path"], "integrationName");

        let err = parse_json::<Body>(br#"{"count": 1}"#).unwrap_err();
        assert!(err.message.contains("integrationName"), "{}", err.message);

        let err = parse_json::<Body>(b"{not json").unwrap_err();
        assert!(err.message.starts_with("Malformed JSON"));

        let err = parse_json::<Body>(b"  ").unwrap_err();
        assert_eq!(err.status, StatusCode::BAD_REQUEST);

        let err = parse_json::<Body>(b"[]").unwrap_err();
        assert_eq!(err.code, "VALIDATION_ERROR");
    }
}

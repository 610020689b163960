//! Prometheus counters and histograms per route, served at `/metrics`
//! (on the main listener, or on `S3LIFT_METRICS_BIND` alone).
//!
//! Every label value comes from a closed set, so no request, authenticated
//! or not, can add a series: the method is one of [`METHODS`] or `other`,
//! the route is the matched pattern or `unmatched`, the status is a number
//! the server itself chose. A label series is never freed, so a label taken
//! from the request (a random method, a path) would be unbounded memory.

use actix_web::http::Method;
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, Opts, Registry, TextEncoder,
};

/// The methods that get their own label value; any other is `other`.
pub const METHODS: [&str; 6] = ["GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS"];

/// The `method` label of a request: one of [`METHODS`], or `other`.
pub fn method_label(method: &Method) -> &'static str {
    METHODS
        .into_iter()
        .find(|m| *m == method.as_str())
        .unwrap_or("other")
}

/// The label of requests that matched no route.
pub const UNMATCHED: &str = "unmatched";

/// The signer's metrics.
pub struct Metrics {
    registry: Registry,
    /// Requests by route pattern, method and status.
    pub requests: IntCounterVec,
    /// Latency by route pattern.
    pub latency: HistogramVec,
    /// Presigned URLs issued, by kind (put, post, part, get).
    pub presigned: IntCounterVec,
    /// Webhook events by outcome (queued, delivered, failed).
    pub webhook_events: IntCounterVec,
}

impl Metrics {
    /// Registers everything.
    pub fn new() -> Metrics {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new(
                "s3lift_http_requests_total",
                "HTTP requests by route, method and status",
            ),
            &["route", "method", "status"],
        )
        .expect("valid metric");
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "s3lift_http_request_duration_seconds",
                "HTTP request latency by route",
            )
            .buckets(vec![
                0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                10.0,
            ]),
            &["route"],
        )
        .expect("valid metric");
        let presigned = IntCounterVec::new(
            Opts::new(
                "s3lift_presigned_urls_total",
                "Presigned URLs issued by kind",
            ),
            &["kind"],
        )
        .expect("valid metric");
        let webhook_events = IntCounterVec::new(
            Opts::new(
                "s3lift_webhook_events_total",
                "Webhook events by outcome (queued, delivered, failed)",
            ),
            &["outcome"],
        )
        .expect("valid metric");
        for c in [
            Box::new(requests.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(latency.clone()),
            Box::new(presigned.clone()),
            Box::new(webhook_events.clone()),
        ] {
            registry.register(c).expect("unique metric");
        }
        Metrics {
            registry,
            requests,
            latency,
            presigned,
            webhook_events,
        }
    }

    /// The text exposition format.
    pub fn render(&self) -> String {
        let mut buf = Vec::new();
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut buf);
        String::from_utf8(buf).unwrap_or_default()
    }
}

/// `GET /metrics`: the text exposition format.
pub async fn serve(
    state: actix_web::web::Data<crate::routes::AppState>,
) -> actix_web::HttpResponse {
    actix_web::HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(state.metrics.render())
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn method_labels_are_a_closed_set() {
        assert_eq!(method_label(&Method::GET), "GET");
        assert_eq!(method_label(&Method::OPTIONS), "OPTIONS");
        assert_eq!(method_label(&Method::PATCH), "other");
        assert_eq!(
            method_label(&Method::from_bytes(b"XYZZY123").unwrap()),
            "other"
        );
    }
}

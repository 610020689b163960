//! The bucket: the readiness ping, and the set-up of its CORS and lifecycle rules.

use aws_sdk_s3::types::{
    AbortIncompleteMultipartUpload, BucketLifecycleConfiguration, CorsConfiguration, CorsRule,
    ExpirationStatus, LifecycleRule, LifecycleRuleFilter,
};

use super::error::map_err;
use super::{Store, StoreError};

impl Store {
    /// `HeadBucket`, for `/readyz`.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.client
            .head_bucket()
            .bucket(&self.bucket)
            .send()
            .await
            .map_err(map_err)?;
        Ok(())
    }

    /// Creates the bucket when it does not exist.
    pub async fn ensure_bucket(&self) -> Result<(), StoreError> {
        if self.ping().await.is_ok() {
            return Ok(());
        }
        match self
            .client
            .create_bucket()
            .bucket(&self.bucket)
            .send()
            .await
            .map_err(map_err)
        {
            Ok(_) => Ok(()),
            Err(StoreError::Refused { code, .. }) if code.starts_with("BucketAlready") => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Applies the CORS rule browsers need: the allowed origins may PUT, POST
    /// and GET, and may read the `ETag` header, without which no multipart
    /// upload can be completed from a browser.
    pub async fn put_cors(&self, origins: &[String], expose_etag: bool) -> Result<(), StoreError> {
        let mut rule = CorsRule::builder()
            .set_allowed_origins(Some(origins.to_vec()))
            .allowed_methods("PUT")
            .allowed_methods("POST")
            .allowed_methods("GET")
            .allowed_methods("HEAD")
            .allowed_headers("*")
            .max_age_seconds(3600);
        if expose_etag {
            rule = rule.expose_headers("ETag");
        }
        let rule = rule.build().map_err(|e| StoreError::Refused {
            code: "BadCors".into(),
            message: e.to_string(),
        })?;
        self.client
            .put_bucket_cors()
            .bucket(&self.bucket)
            .cors_configuration(
                CorsConfiguration::builder()
                    .cors_rules(rule)
                    .build()
                    .map_err(|e| StoreError::Refused {
                        code: "BadCors".into(),
                        message: e.to_string(),
                    })?,
            )
            .send()
            .await
            .map_err(map_err)?;
        Ok(())
    }

    /// A lifecycle rule that aborts incomplete multipart uploads after `days`,
    /// so abandoned uploads do not keep costing storage.
    pub async fn put_abort_lifecycle(&self, days: i32) -> Result<(), StoreError> {
        let rule = LifecycleRule::builder()
            .id("s3lift-abort-incomplete-multipart")
            .status(ExpirationStatus::Enabled)
            .filter(LifecycleRuleFilter::builder().prefix("").build())
            .abort_incomplete_multipart_upload(
                AbortIncompleteMultipartUpload::builder()
                    .days_after_initiation(days)
                    .build(),
            )
            .build()
            .map_err(|e| StoreError::Refused {
                code: "BadLifecycle".into(),
                message: e.to_string(),
            })?;
        self.client
            .put_bucket_lifecycle_configuration()
            .bucket(&self.bucket)
            .lifecycle_configuration(
                BucketLifecycleConfiguration::builder()
                    .rules(rule)
                    .build()
                    .map_err(|e| StoreError::Refused {
                        code: "BadLifecycle".into(),
                        message: e.to_string(),
                    })?,
            )
            .send()
            .await
            .map_err(map_err)?;
        Ok(())
    }
}

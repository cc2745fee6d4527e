//! The object store, through `object_store`: S3-compatible storage (SeaweedFS in development and
//! tests; a SeaweedFS cluster, S3, Greenfield or MinIO in production). Phones get presigned part
//! URLs signed for the store's *public* endpoint; the enclave's own calls use the internal one.

use futures::StreamExt;
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::multipart::{MultipartStore, PartId};
use object_store::path::Path;
use object_store::signer::{SignedUrlOptions, Signer};
use object_store::{ObjectStore, ObjectStoreExt};
use std::io::Read;
use std::time::Duration;

/// Where the objects live and how to reach them. `Debug` hides the secret key.
#[derive(Clone)]
pub struct StoreConfig {
    /// What the enclave calls, e.g. `http://127.0.0.1:8333`.
    pub endpoint: String,
    /// What phones are sent to in presigned URLs (a CDN or proxy in front of the store); the
    /// same as `endpoint` unless set.
    pub public_endpoint: Option<String>,
    pub bucket: String,
    pub region: String,
    pub access_key: String,
    pub secret_key: String,
}

impl std::fmt::Debug for StoreConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreConfig")
            .field("endpoint", &self.endpoint)
            .field("public_endpoint", &self.public_endpoint)
            .field("bucket", &self.bucket)
            .field("region", &self.region)
            .field("access_key", &self.access_key)
            .field("secret_key", &"<redacted>")
            .finish()
    }
}

/// Errors from the object store, without its message (which may quote keys or URLs).
#[derive(Debug, thiserror::Error)]
#[error("object store: {kind}")]
pub struct ObjectError {
    pub kind: &'static str,
    pub not_found: bool,
}

fn object_error(e: &object_store::Error) -> ObjectError {
    let not_found = matches!(e, object_store::Error::NotFound { .. });
    let kind = match e {
        object_store::Error::NotFound { .. } => "not found",
        object_store::Error::Precondition { .. } | object_store::Error::AlreadyExists { .. } => {
            "conflict"
        }
        object_store::Error::NotSupported { .. } => "not supported",
        _ => "request failed",
    };
    ObjectError { kind, not_found }
}

/// The bucket, for the enclave's own calls and for signing phones' URLs.
#[derive(Debug, Clone)]
pub struct Objects {
    store: AmazonS3,
    signer: AmazonS3,
}

fn build(config: &StoreConfig, endpoint: &str) -> Result<AmazonS3, ObjectError> {
    AmazonS3Builder::new()
        .with_endpoint(endpoint)
        .with_allow_http(endpoint.starts_with("http://"))
        .with_bucket_name(&config.bucket)
        .with_region(&config.region)
        .with_access_key_id(&config.access_key)
        .with_secret_access_key(&config.secret_key)
        .with_virtual_hosted_style_request(false)
        .build()
        .map_err(|e| object_error(&e))
}

impl Objects {
    pub fn new(config: &StoreConfig) -> Result<Self, ObjectError> {
        let store = build(config, &config.endpoint)?;
        let signer = build(config, config.public_endpoint.as_deref().unwrap_or(&config.endpoint))?;
        Ok(Self { store, signer })
    }

    pub async fn create_multipart(&self, key: &str) -> Result<String, ObjectError> {
        self.store.create_multipart(&Path::from(key)).await.map_err(|e| object_error(&e))
    }

    /// A presigned `PUT` for one part of a multipart upload.
    pub async fn part_url(
        &self,
        key: &str,
        multipart_id: &str,
        number: u32,
        ttl: Duration,
    ) -> Result<String, ObjectError> {
        let options = SignedUrlOptions::default().with_query([
            ("partNumber", number.to_string()),
            ("uploadId", multipart_id.to_owned()),
        ]);
        self.signer
            .signed_url_opts(object_store::signer::Method::PUT, &Path::from(key), ttl, &options)
            .await
            .map(|u| u.to_string())
            .map_err(|e| object_error(&e))
    }

    /// A presigned `GET` of a whole object.
    pub async fn get_url(&self, key: &str, ttl: Duration) -> Result<String, ObjectError> {
        self.signer
            .signed_url(object_store::signer::Method::GET, &Path::from(key), ttl)
            .await
            .map(|u| u.to_string())
            .map_err(|e| object_error(&e))
    }

    pub async fn complete(
        &self,
        key: &str,
        multipart_id: &str,
        etags: Vec<String>,
    ) -> Result<(), ObjectError> {
        let parts = etags.into_iter().map(|content_id| PartId { content_id }).collect();
        self.store
            .complete_multipart(&Path::from(key), &multipart_id.to_owned(), parts)
            .await
            .map(|_| ())
            .map_err(|e| object_error(&e))
    }

    pub async fn abort(&self, key: &str, multipart_id: &str) -> Result<(), ObjectError> {
        self.store
            .abort_multipart(&Path::from(key), &multipart_id.to_owned())
            .await
            .map_err(|e| object_error(&e))
    }

    /// Size of an object, `None` if there is none.
    pub async fn size(&self, key: &str) -> Result<Option<u64>, ObjectError> {
        match self.store.head(&Path::from(key)).await {
            Ok(meta) => Ok(Some(meta.size)),
            Err(e) => {
                let e = object_error(&e);
                if e.not_found {
                    Ok(None)
                } else {
                    Err(e)
                }
            }
        }
    }

    /// Deletes an object; one that is already gone is fine.
    pub async fn delete(&self, key: &str) -> Result<(), ObjectError> {
        match self.store.delete(&Path::from(key)).await {
            Ok(()) => Ok(()),
            Err(e) => {
                let e = object_error(&e);
                if e.not_found {
                    Ok(())
                } else {
                    Err(e)
                }
            }
        }
    }

    /// Keys under `prefix` (tests check nothing is left behind).
    pub async fn list(&self, prefix: &str) -> Result<Vec<String>, ObjectError> {
        let prefix = Path::from(prefix);
        let mut stream = self.store.list(Some(&prefix));
        let mut keys = Vec::new();
        while let Some(meta) = stream.next().await {
            keys.push(meta.map_err(|e| object_error(&e))?.location.to_string());
        }
        Ok(keys)
    }

    /// A blocking reader over an object's bytes, streamed: for use inside `spawn_blocking`.
    pub async fn reader(&self, key: &str) -> Result<ObjectReader, ObjectError> {
        let result = self.store.get(&Path::from(key)).await.map_err(|e| object_error(&e))?;
        Ok(ObjectReader {
            stream: result.into_stream(),
            chunk: bytes::Bytes::new(),
            runtime: tokio::runtime::Handle::current(),
        })
    }
}

/// Pulls an object's byte stream from blocking code, one network chunk at a time.
pub struct ObjectReader {
    stream: futures::stream::BoxStream<'static, object_store::Result<bytes::Bytes>>,
    chunk: bytes::Bytes,
    runtime: tokio::runtime::Handle,
}

impl std::fmt::Debug for ObjectReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ObjectReader")
    }
}

impl Read for ObjectReader {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        while self.chunk.is_empty() {
            match self.runtime.block_on(self.stream.next()) {
                Some(Ok(bytes)) => self.chunk = bytes,
                Some(Err(_)) => return Err(std::io::Error::other("object read failed")),
                None => return Ok(0),
            }
        }
        let n = out.len().min(self.chunk.len());
        out[..n].copy_from_slice(&self.chunk[..n]);
        let _ = self.chunk.split_to(n);
        Ok(n)
    }
}

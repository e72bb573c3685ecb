//! Google Cloud Storage on fake-gcs-server (started here on 127.0.0.1, in
//! memory): a bucket of objects made from the fixtures, `check_all` of
//! `gs://media/` with the reports of local checks (common/bucket.rs), the
//! server found as Google's client libraries find an emulator:
//! `STORAGE_EMULATOR_HOST=127.0.0.1:PORT` (no credentials).
//!
//! `fake-gcs-server` is found on `PATH` or at `$PREFLIGHT_FAKE_GCS_SERVER`.
//! Without it the test prints why and passes, unless
//! `PREFLIGHT_REQUIRE_FAKE_GCS=1` (`.ci/remote.sh` sets it after installing
//! it). `PREFLIGHT_GCS_OBJECTS` sets the object count (500).

#[path = "common/bucket.rs"]
mod bucket;
mod common;

use common::{fake_gcs_bucket, fake_gcs_put, start_fake_gcs};
use object_store::gcp::GoogleCloudStorageBuilder;
use object_store::ClientOptions;
use preflight_remote::RemoteOptions;
use std::sync::Arc;

#[test]
fn bucket_of_fixtures_checks_like_local() {
    let Some((_gcs, endpoint)) = start_fake_gcs() else {
        return;
    };
    // This test binary's only test: the process environment is its own.
    std::env::set_var(
        "STORAGE_EMULATOR_HOST",
        endpoint.trim_start_matches("http://"),
    );
    preflight_remote::install_crypto_provider();
    fake_gcs_bucket(&endpoint, "media");
    let n = bucket::object_count("PREFLIGHT_GCS_OBJECTS");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let store = Arc::new(
            GoogleCloudStorageBuilder::new()
                .with_bucket_name("media")
                .with_base_url(&endpoint)
                .with_skip_signature(true)
                .with_client_options(ClientOptions::new().with_allow_http(true))
                .build()
                .unwrap(),
        );
        // fake-gcs-server answers object_store's XML-API `PUT` with 400
        // "invalid uploadType": objects go in by its JSON API.
        let e = endpoint.clone();
        let upload: bucket::Upload =
            Arc::new(move |key, body| fake_gcs_put(&e, "media", key, body));
        bucket::bucket_checks_like_local(
            store,
            "gs://media/",
            RemoteOptions::default(),
            n,
            Some(upload),
        )
        .await;
    });
}

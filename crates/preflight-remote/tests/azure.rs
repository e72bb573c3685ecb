//! Azure Blob Storage on Azurite (its blob service, started here on
//! 127.0.0.1, in memory): a container of objects made from the fixtures,
//! `check_all` of `az://media/` with the reports of local checks
//! (common/bucket.rs), the store found as object_store finds Azurite:
//! `AZURE_STORAGE_USE_EMULATOR=true`, `AZURITE_BLOB_STORAGE_URL`.
//!
//! `azurite-blob` is found on `PATH` or at `$PREFLIGHT_AZURITE_BLOB`.
//! Without it the test prints why and passes, unless
//! `PREFLIGHT_REQUIRE_AZURITE=1` (`.ci/remote.sh` sets it after installing
//! Azurite). `PREFLIGHT_AZURE_OBJECTS` sets the object count (500).

#[path = "common/bucket.rs"]
mod bucket;
mod common;

use common::{azurite_put, start_azurite};
use object_store::azure::MicrosoftAzureBuilder;
use preflight_remote::RemoteOptions;
use std::sync::Arc;

#[test]
fn container_of_fixtures_checks_like_local() {
    let Some((_azurite, endpoint)) = start_azurite() else {
        return;
    };
    // This test binary's only test: the process environment is its own.
    std::env::set_var("AZURE_STORAGE_USE_EMULATOR", "true");
    std::env::set_var("AZURITE_BLOB_STORAGE_URL", &endpoint);
    preflight_remote::install_crypto_provider();
    azurite_put(&endpoint, "/media", &[("restype", "container")], b"");
    let n = bucket::object_count("PREFLIGHT_AZURE_OBJECTS");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let store = Arc::new(
            MicrosoftAzureBuilder::new()
                .with_use_emulator(true)
                .with_container_name("media")
                .build()
                .unwrap(),
        );
        bucket::bucket_checks_like_local(store, "az://media/", RemoteOptions::default(), n, None)
            .await;
    });
}

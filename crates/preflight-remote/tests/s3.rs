//! A real S3-compatible server (moto_server, started here on 127.0.0.1)
//! with a bucket of objects made from the fixtures: `check_all` of the
//! bucket lists and checks them all with the reports of local checks, and
//! its rate is compared with plain single ranged GETs at the same
//! concurrency (common/bucket.rs).
//!
//! moto_server is found on `PATH` or at `$PREFLIGHT_MOTO_SERVER`. Without it
//! the test prints why and passes, unless `PREFLIGHT_REQUIRE_MOTO=1`
//! (`.ci/remote.sh` sets it after installing moto). `PREFLIGHT_S3_OBJECTS`
//! sets the object count (500; `.ci/remote.sh` sets 10,000).

#[path = "common/bucket.rs"]
mod bucket;
mod common;

use common::{moto_bucket, replies, set_credentials, start_moto, Mode, Server, MOTO};
use object_store::aws::AmazonS3Builder;
use object_store::ClientOptions;
use preflight_remote::RemoteOptions;
use std::collections::HashMap;
use std::sync::Arc;

/// What tells a started emulator from whatever else answers on its port
/// (another test's server may sit there while the emulator starts): the
/// tests' own HTTP server replies, but not as moto does, and moto does.
#[test]
fn a_server_is_taken_for_moto_only_when_moto_replies() {
    let other = Server::start(
        HashMap::new(),
        Mode {
            ranges: true,
            fail_first: false,
        },
    );
    let other_addr = other.base.trim_start_matches("http://").to_string();
    assert!(!replies(&other_addr, MOTO.probe));
    assert!(
        replies(&other_addr, ("/", "HTTP/1.1 404")),
        "the tests' server does reply"
    );
    let Some((_moto, endpoint)) = start_moto() else {
        return;
    };
    assert!(replies(endpoint.trim_start_matches("http://"), MOTO.probe));
}

#[test]
fn bucket_of_fixtures_checks_like_local_at_the_server_rate() {
    let Some((_moto, endpoint)) = start_moto() else {
        return;
    };
    set_credentials();
    preflight_remote::install_crypto_provider();
    let n = bucket::object_count("PREFLIGHT_S3_OBJECTS");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let bucket = "media";
    moto_bucket(&endpoint, bucket);
    rt.block_on(async {
        let s3 = Arc::new(
            AmazonS3Builder::from_env()
                .with_bucket_name(bucket)
                .with_endpoint(&endpoint)
                .with_allow_http(true)
                .with_client_options(ClientOptions::new().with_allow_http(true))
                .build()
                .unwrap(),
        );
        let opts = RemoteOptions::default().endpoint_url(Some(endpoint.clone()));
        bucket::bucket_checks_like_local(s3, &format!("s3://{bucket}/"), opts, n, None).await;
    });
}

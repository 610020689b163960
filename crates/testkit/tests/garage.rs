//! The harness itself: a Garage node comes up with the bucket and key, and
//! survives a stop and restart with its data.

use s3lift_testkit::{http_status, Garage};

#[test]
fn a_node_starts_with_its_bucket_and_restarts() {
    let started = std::time::Instant::now();
    let mut g = Garage::start();
    eprintln!("garage started in {:?}", started.elapsed());
    assert!(g.cli(&["bucket", "list"]).contains("s3lift-test"));
    let port: u16 = g.endpoint().rsplit(':').next().unwrap().parse().unwrap();
    // Unsigned requests are refused by a real store (403), not served.
    assert_eq!(http_status(port, "/s3lift-test"), Some(403));
    g.stop();
    assert_eq!(http_status(port, "/s3lift-test"), None);
    g.restart();
    assert_eq!(http_status(port, "/s3lift-test"), Some(403));
}

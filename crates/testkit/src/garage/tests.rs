//! The test kit's own Garage: set-up failures are errors, not hangs.

use super::*;

/// What failed CI once: another socket held a node's RPC port, Garage
/// aborted at start, the port check passed on the other socket, and
/// `layout assign` then met "connection refused" for 30 s.
#[test]
fn a_node_whose_rpc_port_is_taken_is_an_error_not_a_hang() {
    let mut held = Vec::new();
    let started = Instant::now();
    let err = Garage::set_up(1, &mut |nodes| {
        held.push(TcpListener::bind(("127.0.0.1", nodes[0].rpc_port)).unwrap());
    })
    .err()
    .expect("the set-up fails");
    assert!(err.contains("exited"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(25), "{err}");
}

#[test]
fn cluster_makes_a_working_store() {
    let garage = Garage::cluster(1);
    assert!(http_status(garage.nodes[0].s3_port, "/s3lift-test").is_some_and(|s| s < 500));
}

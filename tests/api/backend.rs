//! Which Redis the suites run on: one `redis-server` per test (the default), or, with
//! `SHIPRELAY_TEST_REDIS=cluster`, a real 3-master Redis Cluster per test (`scripts/test` runs the
//! ingest, events and delivery suites both ways). Tests inspect Redis through [`TestConn`], which
//! routes each command by its key on a cluster.

use redis::aio::{ConnectionLike, MultiplexedConnection};
use redis::cluster_async::ClusterConnection;
use redis::{Cmd, Pipeline, RedisFuture, Value};

use crate::cluster_harness::TestCluster;

/// Whether this run's suites use a Redis Cluster.
pub fn on_cluster() -> bool {
    std::env::var("SHIPRELAY_TEST_REDIS").is_ok_and(|v| v == "cluster")
}

/// `toml` (the test config on one Redis) pointed at `cluster` instead.
pub fn on_the_cluster(toml: &str, cluster: &TestCluster) -> String {
    let (before, rest) = toml
        .split_once("\nurl = ")
        .expect("the test config has a redis url");
    let rest = rest.split_once('\n').map_or("", |(_, after)| after);
    format!(
        "{before}\nmode = \"cluster\"\n{}\n{rest}",
        cluster.urls_toml()
    )
}

/// A connection for a test to look into Redis with.
pub enum TestConn {
    Single(MultiplexedConnection),
    Cluster(ClusterConnection),
}

impl ConnectionLike for TestConn {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            TestConn::Single(conn) => conn.req_packed_command(cmd),
            TestConn::Cluster(conn) => conn.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            TestConn::Single(conn) => conn.req_packed_commands(pipeline, offset, count),
            TestConn::Cluster(conn) => conn.req_packed_commands(pipeline, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        0
    }
}

impl TestCluster {
    /// A connection that follows the cluster's slot map.
    pub async fn conn(&self) -> TestConn {
        let client = redis::cluster::ClusterClient::new(self.urls()).unwrap();
        TestConn::Cluster(client.get_async_connection().await.unwrap())
    }
}

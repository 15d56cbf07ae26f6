//! Which Redis the suites run on: one `redis-server` per test (the default), or, with
//! `SHIPRELAY_TEST_REDIS=cluster`, a real 3-master Redis Cluster per test (`scripts/test` runs the
//! ingest, events and delivery suites both ways). Tests inspect Redis through [`TestConn`], the
//! crate's own connection, which routes each command by its key on a cluster.

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

/// A connection for a test to look into Redis with: the crate's own, which routes each command
/// by its key on a cluster.
pub type TestConn = shiprelay::queue::Conn;

/// The crate's connection to the Redis these settings name.
pub fn inspect(settings: &shiprelay::config::RedisSettings) -> TestConn {
    shiprelay::queue::Queue::connect(settings)
        .expect("the test's Redis settings are valid")
        .inspection_connection()
}

impl TestCluster {
    /// A connection that follows the cluster's slot map.
    pub async fn conn(&self) -> TestConn {
        inspect(&shiprelay::config::RedisSettings {
            mode: shiprelay::config::RedisMode::Cluster,
            urls: self.urls(),
            ..Default::default()
        })
    }
}

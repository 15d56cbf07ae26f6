//! One connection type for both topologies: a `ConnectionManager` to one Redis, or a cluster
//! connection that follows the slot map (MOVED/ASK, failover) by itself. Everything else in
//! `queue/` sends commands through [`Conn`] and never asks which one it is, except `WAIT`, which
//! has no key and must reach the master that took the write.

use std::time::Duration;

use redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};
use redis::cluster::ClusterConfig;
use redis::cluster_async::ClusterConnection;
use redis::cluster_routing::{Route, RoutingInfo, SingleNodeRoutingInfo, SlotAddr};
use redis::{Cmd, Pipeline, RedisFuture, Value};

use super::QueueError;
use crate::config::{RedisMode, RedisSettings};

/// How connections are made: to one Redis, or to a cluster from its seed nodes.
#[derive(Clone)]
pub enum Connector {
    Single(redis::Client),
    Cluster(Box<redis::cluster::ClusterClient>),
}

/// A connection, made on first use and re-made after failures.
#[derive(Clone)]
pub enum Conn {
    Single(ConnectionManager),
    Cluster(ClusterConnection),
}

/// A blocking read's connection has no response timeout of its own (the caller bounds it); a
/// cluster connection needs one, so it gets this.
const UNBOUNDED: Duration = Duration::from_secs(3600);

impl Connector {
    pub fn new(settings: &RedisSettings) -> Result<Connector, QueueError> {
        Ok(match settings.mode {
            RedisMode::Single => Connector::Single(redis::Client::open(settings.url.as_str())?),
            RedisMode::Cluster => Connector::Cluster(Box::new(
                redis::cluster::ClusterClient::builder(settings.urls.clone())
                    .retries(2)
                    .build()?,
            )),
        })
    }

    pub fn connect(
        &self,
        connect_timeout: Duration,
        response_timeout: Option<Duration>,
    ) -> Result<Conn, QueueError> {
        Ok(match self {
            Connector::Single(client) => {
                let config = ConnectionManagerConfig::new()
                    .set_connection_timeout(Some(connect_timeout))
                    .set_response_timeout(response_timeout)
                    .set_number_of_retries(1)
                    .set_max_delay(Duration::from_secs(1));
                Conn::Single(ConnectionManager::new_lazy_with_config(
                    client.clone(),
                    config,
                )?)
            }
            Connector::Cluster(client) => {
                let config = ClusterConfig::new()
                    .set_connection_timeout(connect_timeout)
                    .set_response_timeout(response_timeout.unwrap_or(UNBOUNDED));
                Conn::Cluster(client.get_pending_async_connection_with_config(config))
            }
        })
    }
}

impl Conn {
    /// `cmd` (a keyless command such as `WAIT`) on the master that holds `key`'s slot.
    pub async fn on_master_of<T: redis::FromRedisValue>(
        &mut self,
        key: &str,
        cmd: &Cmd,
    ) -> redis::RedisResult<T> {
        match self {
            Conn::Single(conn) => cmd.query_async(conn).await,
            Conn::Cluster(conn) => {
                let route = Route::with_key(key, SlotAddr::Master);
                let routing = RoutingInfo::SingleNode(SingleNodeRoutingInfo::SpecificNode(route));
                let value = conn.route_command(cmd.clone(), routing).await?;
                redis::from_redis_value(value).map_err(Into::into)
            }
        }
    }

    pub fn is_cluster(&self) -> bool {
        matches!(self, Conn::Cluster(_))
    }
}

impl ConnectionLike for Conn {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Conn::Single(conn) => conn.req_packed_command(cmd),
            Conn::Cluster(conn) => conn.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Conn::Single(conn) => conn.req_packed_commands(pipeline, offset, count),
            Conn::Cluster(conn) => conn.req_packed_commands(pipeline, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Conn::Single(conn) => conn.get_db(),
            Conn::Cluster(conn) => conn.get_db(),
        }
    }
}

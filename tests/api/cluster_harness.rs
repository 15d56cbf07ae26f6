//! A real Redis Cluster for tests: `redis-server --cluster-enabled yes` nodes on free loopback
//! ports, joined by `redis-cli --cluster create`; killed and removed when dropped.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::helpers::free_port;

pub struct TestCluster {
    pub ports: Vec<u16>,
    dir: PathBuf,
    children: Vec<Option<Child>>,
}

fn redis_server() -> String {
    std::env::var("REDIS_SERVER").unwrap_or_else(|_| "redis-server".into())
}

fn redis_cli() -> String {
    std::env::var("REDIS_CLI").unwrap_or_else(|_| "redis-cli".into())
}

impl TestCluster {
    /// `masters` masters with `replicas` replicas each; returns once every slot is served and
    /// every replica is in sync.
    pub fn start(masters: usize, replicas: usize) -> TestCluster {
        let nodes = masters * (1 + replicas);
        let dir = std::env::temp_dir().join(format!(
            "shiprelay-test-cluster-{}-{}",
            std::process::id(),
            free_port()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let mut cluster = TestCluster {
            ports: Vec::new(),
            dir,
            children: Vec::new(),
        };
        while cluster.ports.len() < nodes {
            let port = free_port();
            // The cluster bus listens on port + 10000.
            if port > 55_535 {
                continue;
            }
            if let Some(child) = cluster.spawn_node(port) {
                cluster.ports.push(port);
                cluster.children.push(Some(child));
            }
        }
        let addresses: Vec<String> = cluster
            .ports
            .iter()
            .map(|p| format!("127.0.0.1:{p}"))
            .collect();
        let created = Command::new(redis_cli())
            .args(["--cluster", "create"])
            .args(&addresses)
            .args(["--cluster-replicas", &replicas.to_string(), "--cluster-yes"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("redis-cli must be installed (scripts/test installs it)");
        assert!(created.success(), "redis-cli --cluster create failed");
        cluster.wait_until_healthy(masters, replicas, Duration::from_secs(30));
        cluster
    }

    fn spawn_node(&self, port: u16) -> Option<Child> {
        let dir = self.dir.join(port.to_string());
        std::fs::create_dir_all(&dir).unwrap();
        let mut child = Command::new(redis_server())
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args([
                "--cluster-enabled",
                "yes",
                "--cluster-config-file",
                "nodes.conf",
            ])
            .args(["--cluster-node-timeout", "1500", "--save", ""])
            .args(["--appendonly", "yes", "--appendfsync", "everysec"])
            .arg("--dir")
            .arg(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server must be installed (scripts/test installs it)");
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if child.try_wait().unwrap().is_some() {
                return None; // the port was taken in the meantime
            }
            if ping(port) {
                return Some(child);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
        None
    }

    /// Seed URLs for `redis.urls`.
    pub fn urls(&self) -> Vec<String> {
        self.ports
            .iter()
            .map(|p| format!("redis://127.0.0.1:{p}"))
            .collect()
    }

    /// The TOML line `urls = [...]`.
    pub fn urls_toml(&self) -> String {
        let quoted: Vec<String> = self.urls().iter().map(|u| format!("\"{u}\"")).collect();
        format!("urls = [{}]", quoted.join(", "))
    }

    /// Ports of the nodes that are masters now.
    pub fn masters(&self) -> Vec<u16> {
        self.live_ports()
            .into_iter()
            .filter(|&p| info(p, "replication").contains("role:master"))
            .collect()
    }

    fn live_ports(&self) -> Vec<u16> {
        self.ports
            .iter()
            .zip(&self.children)
            .filter(|(_, c)| c.is_some())
            .map(|(p, _)| *p)
            .collect()
    }

    /// SIGKILL the node on `port`, as a crash would.
    pub fn kill(&mut self, port: u16) {
        let i = self.ports.iter().position(|&p| p == port).unwrap();
        if let Some(mut child) = self.children[i].take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the node on `port` again (same directory: it rejoins the cluster, as a replica
    /// when its master was failed over).
    pub fn restart(&mut self, port: u16) {
        let i = self.ports.iter().position(|&p| p == port).unwrap();
        let child = self
            .spawn_node(port)
            .expect("the node restarts on its port");
        self.children[i] = Some(child);
    }

    /// Every live node sees `cluster_state:ok`, `masters` masters and their replicas in sync.
    pub fn wait_until_healthy(&self, masters: usize, replicas: usize, limit: Duration) {
        let deadline = Instant::now() + limit;
        loop {
            let live = self.live_ports();
            let ok = live
                .iter()
                .all(|&p| info_cluster(p).contains("cluster_state:ok"));
            let masters_now = self.masters();
            let synced = masters_now.iter().all(|&p| {
                info(p, "replication")
                    .lines()
                    .filter(|l| l.starts_with("slave") && l.contains("state=online"))
                    .count()
                    >= replicas
            });
            if ok && masters_now.len() == masters && synced {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the cluster did not become healthy"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Moves `slots` slots (with their keys) from the master on `from` to the one on `to`, as an
    /// operator's `redis-cli --cluster reshard` does: clients see ASK and MOVED meanwhile.
    pub fn reshard(from: u16, to: u16, slots: usize) {
        let id = |port: u16| cli(port, &["CLUSTER", "MYID"]).trim().to_string();
        let status = Command::new(redis_cli())
            .args(["--cluster", "reshard", &format!("127.0.0.1:{from}")])
            .args(["--cluster-from", &id(from), "--cluster-to", &id(to)])
            .args(["--cluster-slots", &slots.to_string(), "--cluster-yes"])
            .args(["--cluster-pipeline", "10"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "redis-cli --cluster reshard failed");
    }

    /// Keys each live master holds.
    pub fn keys_per_master(&self) -> Vec<(u16, u64)> {
        self.masters()
            .into_iter()
            .map(|p| (p, cli(p, &["DBSIZE"]).trim().parse().unwrap_or(0)))
            .collect()
    }
}

impl Drop for TestCluster {
    fn drop(&mut self) {
        for child in self.children.iter_mut().flatten() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn cli(port: u16, args: &[&str]) -> String {
    Command::new(redis_cli())
        .args(["-p", &port.to_string()])
        .args(args)
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default()
}

fn ping(port: u16) -> bool {
    cli(port, &["PING"]).trim() == "PONG"
}

fn info(port: u16, section: &str) -> String {
    cli(port, &["INFO", section])
}

fn info_cluster(port: u16) -> String {
    cli(port, &["CLUSTER", "INFO"])
}

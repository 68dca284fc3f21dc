//! A Redis Cluster of the test's own: three masters with one replica each, every node a
//! `redis-server --cluster-enabled yes` on free loopback ports (the client port and the cluster
//! bus port both chosen free), joined by `redis-cli --cluster create`. Killed on drop.

use std::process::Command;
use std::time::{Duration, Instant};

use super::{RedisServer, free_port};

/// Milliseconds after which a silent master is failed over.
pub const NODE_TIMEOUT_MS: u64 = 1000;

/// Six nodes: three masters, three replicas.
pub struct RedisCluster {
    nodes: Vec<RedisServer>,
}

impl RedisCluster {
    /// Starts the nodes, creates the cluster, and waits until every slot is served.
    ///
    /// # Panics
    ///
    /// When a node does not start or the cluster is not ready within 60 s.
    pub fn start() -> RedisCluster {
        let timeout = NODE_TIMEOUT_MS.to_string();
        let nodes: Vec<RedisServer> = (0..6)
            .map(|_| {
                let bus = free_port().to_string();
                RedisServer::start_with(&[
                    "--cluster-enabled",
                    "yes",
                    "--cluster-config-file",
                    "nodes.conf",
                    "--cluster-node-timeout",
                    &timeout,
                    "--cluster-port",
                    &bus,
                    "--cluster-replica-validity-factor",
                    "0",
                    "--cluster-require-full-coverage",
                    "no",
                ])
            })
            .collect();
        let addresses: Vec<String> = nodes
            .iter()
            .map(|n| format!("127.0.0.1:{}", n.port))
            .collect();
        let output = Command::new("redis-cli")
            .args(["--cluster", "create"])
            .args(&addresses)
            .args(["--cluster-replicas", "1", "--cluster-yes"])
            .output()
            .expect("redis-cli runs");
        assert!(
            output.status.success(),
            "redis-cli --cluster create failed: {}",
            String::from_utf8_lossy(&output.stdout)
        );
        let cluster = RedisCluster { nodes };
        cluster.wait_until_ok(Duration::from_secs(60));
        cluster
    }

    /// The seed nodes, `host:port`.
    pub fn seeds(&self) -> Vec<String> {
        self.nodes
            .iter()
            .filter(|n| n.is_running())
            .map(|n| format!("127.0.0.1:{}", n.port))
            .collect()
    }

    /// The running node on `port`.
    fn node(&self, port: u16) -> &RedisServer {
        self.nodes
            .iter()
            .find(|n| n.port == port && n.is_running())
            .expect("a running node on that port")
    }

    /// The port of the master serving `key` now.
    pub fn master_of(&self, key: &str) -> u16 {
        let any = self
            .nodes
            .iter()
            .find(|n| n.is_running())
            .expect("a running node");
        let slot = any.cli(&["CLUSTER", "KEYSLOT", key]);
        let slot: u16 = slot.parse().expect("a slot");
        let shards = any.cli(&["CLUSTER", "SLOTS"]);
        // Lines: start, end, master ip, master port, id, replicas...
        let lines: Vec<&str> = shards.lines().collect();
        let mut i = 0;
        while i + 3 < lines.len() {
            let (start, end) = (lines[i].parse::<u16>(), lines[i + 1].parse::<u16>());
            if let (Ok(start), Ok(end)) = (start, end)
                && (start..=end).contains(&slot)
                && let Ok(port) = lines[i + 3].parse::<u16>()
            {
                return port;
            }
            i += 1;
        }
        panic!("no master serves slot {slot}: {shards}");
    }

    /// Stops (SIGKILL) the node on `port`; its replica takes over after the node timeout.
    pub fn kill(&mut self, port: u16) {
        if let Some(node) = self.nodes.iter_mut().find(|n| n.port == port) {
            node.kill();
        }
    }

    /// Waits until the running nodes report `cluster_state:ok`.
    ///
    /// # Panics
    ///
    /// When they do not within `limit`.
    pub fn wait_until_ok(&self, limit: Duration) {
        let start = Instant::now();
        loop {
            let ok = self.nodes.iter().filter(|n| n.is_running()).all(|n| {
                let info = n.cli(&["CLUSTER", "INFO"]);
                info.contains("cluster_state:ok") && info.contains("cluster_slots_ok:16384")
            });
            if ok {
                return;
            }
            assert!(
                start.elapsed() < limit,
                "the cluster is not ready after {limit:?}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// The ports of the running masters.
    pub fn masters(&self) -> Vec<u16> {
        self.nodes
            .iter()
            .filter(|n| n.is_running() && n.cli(&["ROLE"]).starts_with("master"))
            .map(|n| n.port)
            .collect()
    }

    /// How many keys start with `prefix`, on all masters.
    pub fn count_keys(&self, prefix: &str) -> u64 {
        self.nodes
            .iter()
            .filter(|n| n.is_running() && n.cli(&["ROLE"]).starts_with("master"))
            .map(|n| n.count_keys(prefix))
            .sum()
    }

    /// Runs `redis-cli` against the node on `port`.
    pub fn cli(&self, port: u16, args: &[&str]) -> String {
        self.node(port).cli(args)
    }

    /// The directories of every node's append-only file.
    pub fn data_dirs(&self) -> Vec<&std::path::Path> {
        self.nodes.iter().map(RedisServer::data_dir).collect()
    }
}

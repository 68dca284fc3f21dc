//! A real load balancer on loopback: HAProxy (Debian's package), round robin with no
//! stickiness, in front of the given instances. Each response names the instance that served it
//! (`X-Served-By: s0`, `s1`, ...). A dead instance is taken out by a health check every 200 ms,
//! and a request whose connection it refuses is sent to the next one. Killed on drop.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::free_port;

/// HAProxy in front of some instances.
pub struct LoadBalancer {
    child: Child,
    /// The port it listens on.
    pub port: u16,
    dir: super::tempdir::TempDir,
}

impl LoadBalancer {
    /// Balances over `backends` (`host:port` each), round robin.
    ///
    /// # Panics
    ///
    /// When `haproxy` is missing, or not listening within 20 s.
    pub fn start(backends: &[String]) -> LoadBalancer {
        Self::start_on(free_port(), backends)
    }

    /// As [`LoadBalancer::start`], on `port` (chosen before the instances, which need the
    /// balancer's address as their public URL).
    ///
    /// # Panics
    ///
    /// As [`LoadBalancer::start`].
    pub fn start_on(port: u16, backends: &[String]) -> LoadBalancer {
        let dir = super::tempdir::TempDir::new();
        let mut config = format!(
            "global\n  maxconn 512\n\
             defaults\n  mode http\n  timeout connect 1s\n  timeout client 60s\n  timeout server 60s\n\
             \x20 retries 3\n  option redispatch 1\n  retry-on conn-failure\n\
             frontend front\n  bind 127.0.0.1:{port}\n  default_backend instances\n\
             backend instances\n  balance roundrobin\n\
             \x20 http-response set-header X-Served-By %[srv_name]\n"
        );
        for (i, backend) in backends.iter().enumerate() {
            config.push_str(&format!(
                "  server s{i} {backend} check inter 200ms fall 1 rise 2\n"
            ));
        }
        let path = dir.path().join("haproxy.cfg");
        std::fs::write(&path, config).expect("write the haproxy config");
        assert!(
            Command::new("haproxy").arg("-v").output().is_ok(),
            "haproxy is not installed; run ./scripts/test (it installs the Debian package)"
        );
        let child = Command::new("haproxy")
            .arg("-db")
            .arg("-f")
            .arg(&path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("haproxy starts");
        let balancer = LoadBalancer { child, port, dir };
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "haproxy is not listening on {port}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        balancer
    }

    /// Its base URL, `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The directory of its configuration.
    pub fn dir(&self) -> &std::path::Path {
        self.dir.path()
    }
}

impl Drop for LoadBalancer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

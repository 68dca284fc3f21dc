//! Redis over TLS (rustls) with a password, as the seeds' production configuration has it; and
//! a server that cannot reach or log in to its Redis refuses to start, saying why.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use frontmcp_auth_testkit::flow::{Flow, SECRET};
use frontmcp_auth_testkit::{ExampleServer, RedisServer, free_port};

const BINARY: &str = env!("CARGO_BIN_EXE_example-local");
const PASSWORD: &str = "a-redis-password";

fn openssl(dir: &Path, args: &[&str]) {
    let status = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("openssl runs (./scripts/test installs it)");
    assert!(status.success(), "openssl {args:?}");
}

/// A CA and a server certificate for 127.0.0.1 signed by it: `ca.pem`, `server.pem`,
/// `server.key`.
fn certificates(dir: &Path) {
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=frontmcp-auth test CA",
        ],
    );
    openssl(
        dir,
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=127.0.0.1",
        ],
    );
    std::fs::write(
        dir.join("san.ext"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n",
    )
    .expect("write");
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.pem",
            "-days",
            "2",
            "-extfile",
            "san.ext",
        ],
    );
}

/// Runs the binary expecting it to stop at start-up: its stderr.
fn refused_start(env: &[(&str, &str)]) -> String {
    let dir = tempfile::tempdir().expect("dir");
    let mut child = Command::new(BINARY)
        .current_dir(dir.path())
        .env_clear()
        .env("FRONTMCP_HTTP__PORT", "0")
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts");
    let deadline = Instant::now() + Duration::from_secs(20);
    while child.try_wait().expect("wait").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the server kept running without its Redis");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let output = child.wait_with_output().expect("output");
    assert!(!output.status.success(), "it must not start");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(!stdout.contains("serving MCP"), "{stdout}");
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[tokio::test]
async fn redis_over_tls_with_a_password() {
    let certs = tempfile::tempdir().expect("dir");
    certificates(certs.path());
    let file = |name: &str| certs.path().join(name).display().to_string();
    let tls_port = free_port().to_string();
    let _redis = RedisServer::start_with(&[
        "--port",
        "0",
        "--tls-port",
        &tls_port,
        "--tls-cert-file",
        &file("server.pem"),
        "--tls-key-file",
        &file("server.key"),
        "--tls-ca-cert-file",
        &file("ca.pem"),
        "--tls-auth-clients",
        "no",
        "--requirepass",
        PASSWORD,
    ]);
    let ca = file("ca.pem");
    let mut env = vec![
        ("JWT_SECRET", SECRET),
        ("FRONTMCP_AUTH__TOKEN_STORAGE__REDIS__HOST", "127.0.0.1"),
        ("FRONTMCP_AUTH__TOKEN_STORAGE__REDIS__TLS", "true"),
        ("REDIS_PORT", tls_port.as_str()),
        ("REDIS_PASSWORD", PASSWORD),
        ("SSL_CERT_FILE", ca.as_str()),
    ];

    let server = ExampleServer::start_with_users(BINARY, &env, &["ada@example.com"]);
    assert!(
        server.process.line.contains("serving MCP"),
        "{}",
        server.process.line
    );
    let flow = Flow::default();
    let base = server.base_url();
    let client_id = flow.register(&base).await;
    let code = flow.authorize(&base, &client_id, "ada@example.com").await;
    let tokens = flow.exchange(&base, &client_id, &code).await;
    let refresh = tokens["refresh_token"].as_str().expect("refresh");
    let rotated = flow.refresh(&base, &client_id, refresh).await;
    assert_eq!(rotated.status, 200, "{}", rotated.text);
    drop(server);

    env.retain(|(name, _)| *name != "REDIS_PASSWORD");
    env.push(("REDIS_PASSWORD", "not-the-password"));
    let stderr = refused_start(&env);
    assert!(stderr.contains("token storage"), "{stderr}");
    assert!(
        !stderr.contains("not-the-password"),
        "the password is never printed: {stderr}"
    );

    env.retain(|(name, _)| *name != "SSL_CERT_FILE" && *name != "REDIS_PASSWORD");
    env.push(("REDIS_PASSWORD", PASSWORD));
    let stderr = refused_start(&env);
    assert!(
        stderr.contains("token storage"),
        "a certificate from an untrusted CA is refused: {stderr}"
    );
}

#[test]
fn a_server_does_not_start_without_its_redis() {
    let port = free_port().to_string();
    let stderr = refused_start(&[
        ("JWT_SECRET", SECRET),
        ("FRONTMCP_AUTH__TOKEN_STORAGE__REDIS__HOST", "127.0.0.1"),
        ("REDIS_PORT", port.as_str()),
    ]);
    assert!(
        stderr.contains("token storage") && stderr.contains(&format!("127.0.0.1:{port}")),
        "the error names the storage and its address: {stderr}"
    );
}

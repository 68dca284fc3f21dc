//! Discovery, stateless sessions, email domains, the admin endpoint and the code exchange's client authentication.

use super::*;

#[tokio::test]
async fn discovery_names_this_server_as_the_authorization_server_never_the_provider() {
    let idp = Idp::start(3600);
    let local = server(&idp).await;
    let resource = local.get("/.well-known/oauth-protected-resource/mcp").await;
    assert_eq!(resource.status, 200);
    let resource = resource.json();
    assert_eq!(
        resource["authorization_servers"],
        json!([local.base()]),
        "MCP clients talk OAuth to this server: {resource}"
    );
    assert!(!resource.to_string().contains(&idp.issuer), "{resource}");
    let metadata = local
        .get("/.well-known/oauth-authorization-server")
        .await
        .json();
    assert_eq!(metadata["issuer"], local.base());
    assert_eq!(
        metadata["registration_endpoint"],
        local.url("/oauth/register")
    );
    assert_eq!(
        metadata["authorization_endpoint"],
        local.url("/oauth/authorize")
    );
}

#[tokio::test]
async fn stateless_sessions_sign_in_upstream_but_keep_no_upstream_tokens() {
    let idp = Idp::start(3600);
    logs();
    let local = remote::start(
        &idp.issuer,
        json!({"session_mode": "stateless", "vault_key": null}),
    )
    .await;
    let (_, tokens) = tokens(&local, "ada").await;
    let access = tokens["access_token"].as_str().expect("access token");
    assert_eq!(claims_of(access)["sub"], "ada");
    let mut client = mcp(&local, access).await;
    let text = text_of(&client.call("upstream_token_state", json!({})).await);
    assert!(
        text.starts_with("error: ") && text.contains("keeps no upstream tokens"),
        "{text}"
    );
}

#[tokio::test]
async fn allowed_email_domains_admit_only_addresses_the_provider_verified() {
    let idp = Idp::start(3600);
    logs();
    let local = remote::start_with(
        &idp.issuer,
        json!({}),
        json!({"security": {"allowed_email_domains": ["example.com"]}}),
    )
    .await;
    let (_, tokens) = tokens(&local, "ada").await;
    assert_eq!(
        claims_of(tokens["access_token"].as_str().expect("access"))["email"],
        "ada@example.com"
    );

    // eve@example.com is in the domain, but the provider says it is not verified.
    let sign_in = SignIn::begin(&local).await;
    let callback = sign_in.at_provider("eve").await;
    let done = sign_in.finish(&callback).await;
    assert_eq!(done.status, 403, "{}", done.text);
    assert!(
        done.text.contains("Email domain not allowed"),
        "{}",
        done.text
    );
    assert!(done.header("location").is_none());
}

#[tokio::test]
async fn the_admin_endpoint_ends_a_user_by_subject_and_their_upstream_grant() {
    const ADMIN: &str = "admin-credential-0123456789abcdef-remote";
    let idp = Idp::start(3600);
    logs();
    let local = remote::start_with(
        &idp.issuer,
        json!({}),
        json!({"security": {"admin_token": ADMIN, "max_concurrent_sessions": 5}}),
    )
    .await;
    let (_, ada) = tokens(&local, "ada").await;
    let (_, bob) = tokens(&local, "bob").await;
    let bearer = format!("Bearer {ADMIN}");
    let auth = [("authorization", bearer.as_str())];

    let by_email = local
        .post_json(
            "/admin/sessions/revoke",
            json!({"user_email": "ada@example.com", "revoke_all": true}),
            &auth,
        )
        .await;
    assert_eq!(by_email.status, 400, "{}", by_email.text);
    assert!(by_email.text.contains("subject"), "{}", by_email.text);

    let revoked = local
        .post_json(
            "/admin/sessions/revoke",
            json!({"subject": "ada", "reason": "Account compromise", "revoke_all": true}),
            &auth,
        )
        .await;
    assert_eq!(revoked.status, 200, "{}", revoked.text);
    assert_eq!(revoked.json()["revoked_sessions"], 1);
    assert_eq!(idp.stats().await["revocations"], 1, "ada's upstream grant");

    let access = |t: &Value| t["access_token"].as_str().expect("access").to_owned();
    let mut client = Client::new(local.url("/mcp")).with_token(&access(&ada));
    assert_eq!(client.initialize().await.status, 401, "ada's session ended");
    let mut client = mcp(&local, &access(&bob)).await;
    let text = text_of(&client.call("upstream_token_state", json!({})).await);
    assert!(text.starts_with("ok "), "bob is untouched: {text}");
}

#[tokio::test]
async fn the_code_exchange_authenticates_the_way_the_provider_registered_this_server() {
    let idp = Idp::start(3600);
    logs();
    for (client, secret, method) in [
        (
            "mcp-remote-post",
            Some("mcp-remote-post-secret"),
            "client_secret_post",
        ),
        ("mcp-remote-public", None, "none"),
    ] {
        let mut auth = json!({
            "client_id": client,
            "client_secret": secret,
            "provider_config": {"token_endpoint_auth_method": method},
        });
        let local = remote::start(&idp.issuer, auth.clone()).await;
        let (_, tokens) = tokens(&local, "ada").await;
        let access = tokens["access_token"].as_str().expect("access");
        assert_eq!(claims_of(access)["sub"], "ada", "{method}");
        let mut client = mcp(&local, access).await;
        let text = text_of(&client.call("upstream_token_state", json!({})).await);
        assert!(text.starts_with("ok "), "{method}: {text}");

        // The other method is refused by the provider: a page, no code, no 500.
        if let Some(obj) = auth.as_object_mut() {
            obj.insert(
                String::from("provider_config"),
                json!({"token_endpoint_auth_method": if secret.is_some() { "client_secret_basic" } else { "client_secret_post" }}),
            );
            obj.insert(
                String::from("client_secret"),
                json!("a-wrong-client-secret"),
            );
        }
        let wrong = remote::start(&idp.issuer, auth).await;
        let sign_in = SignIn::begin(&wrong).await;
        let callback = sign_in.at_provider("ada").await;
        let done = sign_in.finish(&callback).await;
        assert!(
            (400..500).contains(&done.status),
            "{method}: {} {}",
            done.status,
            done.text
        );
        assert!(done.header("location").is_none(), "{method}");
    }
    assert_eq!(idp.stats().await["authorization_code"], 2);
}

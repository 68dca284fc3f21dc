use frontmcp_auth::prelude::*;

#[frontmcp(
    auth(
        mode = "local",
        dcr(clients(service(grant_types = ["client_credentials"]))),
        id_jag(issuers(corp(issuer = "https://idp.example.com", algorithms = ["HS256"]))),
    ),
)]
struct Server;

fn main() {
    let _ = Server::definition();
}

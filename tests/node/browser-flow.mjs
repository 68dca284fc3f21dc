// What the browser scripts share: the redirect URI the MCP client registers (nothing listens
// there; the scripts answer the browser's request to it themselves), a page's text for error
// messages, and the official TypeScript MCP client connecting through OAuth, where
// `signIn(authorizationUrl)` plays the user in the browser and returns the code.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { UnauthorizedError } from "@modelcontextprotocol/sdk/client/auth.js";

export const redirectUri = "http://127.0.0.1:8976/callback";

export async function pageText(page) {
  return (await page.content()).replace(/<style>.*<\/style>/s, "").slice(0, 2000);
}

// A connected MCP client named `name` (a fresh public client registered for it) and the client
// id it registered.
export async function connectSigningIn(mcpUrl, name, signIn) {
  let code = null;
  const store = {};
  const provider = {
    get redirectUrl() { return redirectUri; },
    get clientMetadata() {
      return {
        client_name: name, redirect_uris: [redirectUri],
        grant_types: ["authorization_code", "refresh_token"], response_types: ["code"],
        token_endpoint_auth_method: "none",
      };
    },
    state() { return `state-${name.replace(/\W/g, "-")}-0123456789`; },
    clientInformation() { return store.client; },
    saveClientInformation(info) { store.client = info; },
    tokens() { return store.tokens; },
    saveTokens(tokens) { store.tokens = tokens; },
    saveCodeVerifier(v) { store.verifier = v; },
    codeVerifier() { return store.verifier; },
    async redirectToAuthorization(url) { code = await signIn(url.toString()); },
  };
  let transport = new StreamableHTTPClientTransport(new URL(mcpUrl), { authProvider: provider });
  let client = new Client({ name, version: "0.0.0" });
  try {
    await client.connect(transport);
  } catch (error) {
    if (!(error instanceof UnauthorizedError) || !code) throw error;
    await transport.finishAuth(code);
    transport = new StreamableHTTPClientTransport(new URL(mcpUrl), { authProvider: provider });
    client = new Client({ name, version: "0.0.0" });
    await client.connect(transport);
  }
  return { client, clientId: store.client?.client_id ?? null };
}

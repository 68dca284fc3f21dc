// The official TypeScript MCP client through the whole OAuth flow of a local-mode server,
// headless: 401 probe -> protected-resource metadata -> AS metadata -> dynamic registration ->
// authorize (the login form filled here) -> code -> token -> tools/list and tools/call ->
// the stored access token replaced by a dead one -> the next call refreshes silently.
// Usage: node oauth-client.mjs <mcp-url> --email E [--password P] [--call name[=json]]...
// Prints one JSON report line.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';

const [url, ...rest] = process.argv.slice(2);
let email = 'ada@example.com';
let password = '';
const calls = [];
for (let i = 0; i < rest.length; i += 1) {
  if (rest[i] === '--email') email = rest[++i];
  else if (rest[i] === '--password') password = rest[++i];
  else if (rest[i] === '--call') {
    const [name, args] = rest[++i].split(/=(.*)/s);
    calls.push([name, args ? JSON.parse(args) : {}]);
  }
}

const report = { steps: [], logins: 0, registrations: 0, refreshes: 0, calls: [], after: [] };
const requests = [];
const loggingFetch = async (input, init) => {
  const target = new URL(typeof input === 'string' ? input : input.url ?? String(input));
  const response = await fetch(input, init);
  requests.push(`${init?.method ?? 'GET'} ${target.pathname} ${response.status}`);
  if (target.pathname.endsWith('/oauth/token')) {
    const body = String(init?.body ?? '');
    if (body.includes('grant_type=refresh_token')) report.refreshes += 1;
  }
  return response;
};

// An HTML attribute value as a browser reads it (the pages escape `&`, `<`, `>`, quotes and `/`).
const decodeAttribute = (text) => text
  ?.replace(/&#x([0-9a-f]+);/gi, (_, hex) => String.fromCodePoint(parseInt(hex, 16)))
  .replace(/&#([0-9]+);/g, (_, dec) => String.fromCodePoint(Number(dec)))
  .replaceAll('&quot;', '"').replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&amp;', '&');

const state = `st-${Math.random().toString(36).slice(2)}~é&x`;
let pendingCode = null;
const provider = {
  store: {},
  get redirectUrl() { return 'http://127.0.0.1:8976/callback'; },
  get clientMetadata() {
    return {
      client_name: 'frontmcp-auth tests',
      redirect_uris: ['http://127.0.0.1:8976/callback'],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    };
  },
  state() { return state; },
  clientInformation() { return this.store.client; },
  saveClientInformation(info) { report.registrations += 1; this.store.client = info; },
  tokens() { return this.store.tokens; },
  saveTokens(tokens) { this.store.tokens = tokens; },
  saveCodeVerifier(v) { this.store.verifier = v; },
  codeVerifier() { return this.store.verifier; },
  async redirectToAuthorization(authorizationUrl) {
    report.logins += 1;
    // The user's browser: load the login page, fill the form, follow the redirect.
    const page = await fetch(authorizationUrl, { redirect: 'manual' });
    const html = await page.text();
    report.loginPageStatus = page.status;
    const cookie = (page.headers.getSetCookie?.() ?? []).map((c) => c.split(';')[0]).join('; ');
    const field = (name) => html.match(new RegExp(`name="${name}" value="([^"]*)"`))?.[1];
    const action = decodeAttribute(html.match(/<form method="post" action="([^"]*)"/)?.[1]);
    const form = new URLSearchParams({
      pending_auth_id: field('pending_auth_id'),
      csrf_token: field('csrf_token'),
      email,
      name: 'Ada Lovelace',
      username: email,
      password,
    });
    const submitted = await fetch(action, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
      body: form,
    });
    const location = new URL(submitted.headers.get('location'));
    report.redirect = {
      status: submitted.status,
      target: `${location.origin}${location.pathname}`,
      stateEchoed: location.searchParams.get('state') === state,
      iss: location.searchParams.get('iss'),
    };
    pendingCode = location.searchParams.get('code');
  },
};

async function connect() {
  const client = new Client({ name: 'frontmcp-auth-oauth-tests', version: '0.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(url), { authProvider: provider, fetch: loggingFetch });
  await client.connect(transport);
  return { client, transport };
}

let session;
try {
  session = await connect();
  report.steps.push('connected without login');
} catch (error) {
  if (!(error instanceof UnauthorizedError) || !pendingCode) {
    report.error = String(error?.message ?? error);
    console.log(JSON.stringify({ ...report, requests }));
    process.exit(0);
  }
  const transport = new StreamableHTTPClientTransport(new URL(url), { authProvider: provider, fetch: loggingFetch });
  await transport.finishAuth(pendingCode);
  report.steps.push('code exchanged');
  const client = new Client({ name: 'frontmcp-auth-oauth-tests', version: '0.0.0' });
  await client.connect(transport);
  session = { client, transport };
  report.steps.push('connected after login');
}

const callAll = async (into) => {
  for (const [name, args] of calls) {
    try {
      const result = await session.client.callTool({ name, arguments: args });
      into.push({ name, ok: !result.isError, text: result.content?.[0]?.text ?? null });
    } catch (error) {
      into.push({ name, ok: false, error: String(error?.message ?? error), code: error?.code ?? null });
    }
  }
};

report.tools = (await session.client.listTools()).tools.map((tool) => tool.name).sort();
await callAll(report.calls);
report.firstRefreshToken = provider.store.tokens?.refresh_token ? 'present' : 'absent';
report.expiresIn = provider.store.tokens?.expires_in ?? null;
const firstRefresh = provider.store.tokens?.refresh_token;
// Force a refresh: the stored access token is replaced by a dead one.
provider.store.tokens = { ...provider.store.tokens, access_token: 'dead.token.value' };
await callAll(report.after);
report.refreshTokenRotated = Boolean(provider.store.tokens?.refresh_token) && provider.store.tokens.refresh_token !== firstRefresh;
report.accessTokenReplaced = provider.store.tokens?.access_token !== 'dead.token.value';
await session.client.close();
console.log(JSON.stringify({ ...report, requests }));

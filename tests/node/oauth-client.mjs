// The official TypeScript MCP client through the whole OAuth flow of a local-mode server,
// headless: 401 probe -> protected-resource metadata -> AS metadata -> dynamic registration ->
// authorize (the login form filled here) -> code -> token -> tools/list and tools/call ->
// the stored access token replaced by a dead one -> the next call refreshes silently.
// Usage: node oauth-client.mjs <mcp-url> --email E [--password P] [--call name[=json]]...
//        node oauth-client.mjs <mcp-url> --upstream LOGIN:PASSWORD [--call name[=json]]...
//        node oauth-client.mjs <mcp-url> --local USER:PASSWORD --upstream LOGIN:PASSWORD ...
// With --upstream (remote mode) the user's browser is played here: our authorize redirects to
// the upstream identity provider, whose login and consent pages are filled in (cookies kept per
// origin, every redirect followed by hand), until the redirect reaches the client's callback.
// With --local as well (federation), our own login form comes first (its hidden fields and the
// providers it checks kept as they are), then each provider's pages in turn.
// With --rounds N, tools are listed and the calls made N times over one MCP session (behind a
// load balancer: `X-Served-By` names the instance of each request); with --kill PID@ROUND, the
// process PID is killed (SIGKILL) before that round, and the session must carry on.
// Prints one JSON report line.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';

const [url, ...rest] = process.argv.slice(2);
let email = 'ada@example.com';
let password = '';
let upstream = null;
let local = null;
const calls = [];
let rounds = 0;
let kill = null;
for (let i = 0; i < rest.length; i += 1) {
  if (rest[i] === '--rounds') { rounds = Number(rest[++i]); continue; }
  if (rest[i] === '--kill') { const [pid, round] = rest[++i].split('@'); kill = { pid: Number(pid), round: Number(round) }; continue; }
  if (rest[i] === '--email') email = rest[++i];
  else if (rest[i] === '--password') password = rest[++i];
  else if (rest[i] === '--upstream') upstream = rest[++i].split(/:(.*)/s);
  else if (rest[i] === '--local') local = rest[++i].split(/:(.*)/s);
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
  const served = response.headers.get('x-served-by');
  requests.push(`${init?.method ?? 'GET'} ${target.pathname} ${response.status}${served ? ` @${served}` : ''}`);
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
    if (upstream) return signInUpstream(authorizationUrl);
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

// The browser of --upstream: cookies per origin, redirects followed by hand.
const jar = new Map();
const cookieHeader = (target) => [...(jar.get(target.origin) ?? new Map())].map(([k, v]) => `${k}=${v}`).join('; ');
const keepCookies = (target, response) => {
  for (const line of response.headers.getSetCookie?.() ?? []) {
    const [pair] = line.split(';');
    const at = pair.indexOf('=');
    const cookies = jar.get(target.origin) ?? new Map();
    cookies.set(pair.slice(0, at).trim(), pair.slice(at + 1));
    jar.set(target.origin, cookies);
  }
};
const clientCallback = 'http://127.0.0.1:8976/callback';
async function browse(start, method = 'GET', body = undefined) {
  let target = new URL(start);
  for (let hop = 0; hop < 20; hop += 1) {
    if (`${target.origin}${target.pathname}` === clientCallback) return { callback: target };
    const headers = { cookie: cookieHeader(target) };
    if (body) headers['content-type'] = 'application/x-www-form-urlencoded';
    const response = await fetch(target, { method, body, headers, redirect: 'manual' });
    keepCookies(target, response);
    report.pages.push(`${method} ${target.host === new URL(url).host ? 'server' : 'idp'} ${target.pathname} ${response.status}`);
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      target = new URL(location, target);
      method = 'GET';
      body = undefined;
      continue;
    }
    return { status: response.status, html: await response.text(), page: target };
  }
  throw new Error('too many redirects');
}
async function signInUpstream(authorizationUrl) {
  report.pages = [];
  let step = await browse(authorizationUrl);
  for (let i = 0; i < 12 && !step.callback; i += 1) {
    const action = decodeAttribute(step.html.match(/<form method="post" action="([^"]*)"/)?.[1]);
    if (local && step.html.includes('name="pending_auth_id"') && action) {
      // Our login form: its hidden fields, the providers it checks, the local user.
      const fields = new URLSearchParams();
      for (const m of step.html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
        fields.append(decodeAttribute(m[1]), decodeAttribute(m[2]));
      }
      for (const m of step.html.matchAll(/name="(provider\.[^"]+)" value="on" checked/g)) {
        fields.append(decodeAttribute(m[1]), 'on');
      }
      fields.set('username', local[0]);
      fields.set('password', local[1]);
      report.localLogins = (report.localLogins ?? 0) + 1;
      step = await browse(new URL(action, step.page), 'POST', fields);
    } else if (step.html.includes('name="password"') && action) {
      const [login, secret] = upstream;
      step = await browse(new URL(action, step.page), 'POST', new URLSearchParams({ login, password: secret }));
    } else if (step.html.includes('id="allow"')) {
      const allow = step.html.match(/<form method="post" action="([^"]*\/confirm)"/)?.[1];
      step = await browse(new URL(allow, step.page), 'POST', new URLSearchParams());
    } else {
      report.stuck = { status: step.status, page: step.page?.pathname, html: step.html.slice(0, 400) };
      return;
    }
  }
  if (!step.callback) return;
  const location = step.callback;
  report.redirect = {
    status: 302,
    target: `${location.origin}${location.pathname}`,
    stateEchoed: location.searchParams.get('state') === state,
    iss: location.searchParams.get('iss'),
    error: location.searchParams.get('error'),
  };
  pendingCode = location.searchParams.get('code');
}

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
if (rounds > 0) {
  report.sessionBefore = session.transport.sessionId ?? null;
  report.rounds = [];
  for (let round = 0; round < rounds; round += 1) {
    if (kill && round === kill.round) {
      process.kill(kill.pid, 'SIGKILL');
      report.killedAtRound = round;
      report.requestsAtKill = requests.length;
    }
    const entry = { round, tools: 0, calls: [] };
    try {
      entry.tools = (await session.client.listTools()).tools.length;
    } catch (error) {
      entry.error = String(error?.message ?? error);
    }
    await callAll(entry.calls);
    report.rounds.push(entry);
  }
  report.sessionAfter = session.transport.sessionId ?? null;
}
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

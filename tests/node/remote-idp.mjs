// A real OpenID provider (oidc-provider) on 127.0.0.1 with an interactive login, for the
// remote-mode tests: users sign in on its own pages (/interaction/{uid}), then allow or deny.
//
// Its clients: `mcp-remote` / `mcp-remote-secret` (client_secret_basic), `mcp-remote-post` /
// `mcp-remote-post-secret` (client_secret_post) and `mcp-remote-public` (none, PKCE only), whose
// redirect URIs are http://127.0.0.1/oauth/provider/{default,github,slack}/callback on any
// loopback port (RFC 8252 §7.3). Users: ada / ada-password (Ada Lovelace), bob / bob-password, eve /
// eve-password (an email the provider has not verified). Access tokens live
// IDP_ACCESS_TTL seconds (default 3600); refresh tokens are issued without offline_access.
//
// GET /__test/stats answers the counts the tests assert on: code and refresh grants, userinfo
// calls, revocations. GET /__test/tokens lists every token value it issued (access, refresh and
// id tokens), so tests can look for them where they must not be. POST /__test/end-grants ends
// every grant, so the next refresh is refused with invalid_grant. Prints "ISSUER <url>" when ready.
import http from 'node:http';
import Provider from 'oidc-provider';
import * as jose from 'jose';

const ec = await jose.generateKeyPair('ES256', { extractable: true });
const keys = [{ ...(await jose.exportJWK(ec.privateKey)), kid: 'idp-ec-1', alg: 'ES256', use: 'sig' }];

const users = {
  ada: { password: 'ada-password', email: 'ada@example.com', name: 'Ada Lovelace' },
  bob: { password: 'bob-password', email: 'bob@example.com', name: 'Bob Builder' },
  // An address the provider has not verified: never an identity at our server.
  eve: { password: 'eve-password', email: 'eve@example.com', name: 'Eve', verified: false },
};
const stats = { authorization_code: 0, refresh_token: 0, userinfo: 0, revocations: 0, logins: 0 };
const issued = [];
const grants = [];

const server = http.createServer();
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;
const accessTtl = Number(process.argv[2] ?? process.env.IDP_ACCESS_TTL ?? 3600);

// Our callbacks: remote mode's provider (`default`) and the federated providers of the tests,
// which stand in for GitHub and Slack.
const CALLBACKS = ['default', 'github', 'slack'].map((id) => `http://127.0.0.1/oauth/provider/${id}/callback`);

const provider = new Provider(issuer, {
  clients: [{
    client_id: 'mcp-remote',
    client_secret: 'mcp-remote-secret',
    application_type: 'native',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: CALLBACKS,
    token_endpoint_auth_method: 'client_secret_basic',
    id_token_signed_response_alg: 'ES256',
  }, {
    // The same server registered to send its secret in the form body.
    client_id: 'mcp-remote-post',
    client_secret: 'mcp-remote-post-secret',
    application_type: 'native',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: CALLBACKS,
    token_endpoint_auth_method: 'client_secret_post',
    id_token_signed_response_alg: 'ES256',
  }, {
    // A public client: PKCE only, no secret.
    client_id: 'mcp-remote-public',
    application_type: 'native',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: CALLBACKS,
    token_endpoint_auth_method: 'none',
    id_token_signed_response_alg: 'ES256',
  }],
  jwks: { keys },
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  scopes: ['openid', 'email', 'profile', 'offline_access'],
  findAccount: async (_ctx, id) => users[id] && {
    accountId: id,
    claims: async () => ({ sub: id, email: users[id].email, email_verified: users[id].verified ?? true, name: users[id].name }),
  },
  issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  features: {
    devInteractions: { enabled: false },
    revocation: { enabled: true },
    userinfo: { enabled: true },
  },
  ttl: { AccessToken: accessTtl, RefreshToken: 86400, Grant: 86400, Session: 86400, Interaction: 600 },
  cookies: { keys: ['remote-idp-cookie-key-0123456789'] },
});
provider.on('grant.success', (ctx) => {
  const type = ctx.oidc.params?.grant_type;
  if (type in stats) stats[type] += 1;
  for (const name of ['access_token', 'refresh_token', 'id_token']) {
    if (typeof ctx.body?.[name] === 'string') issued.push(ctx.body[name]);
  }
});

const page = (title, body) => `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title></head><body><h1>${title}</h1>${body}</body></html>`;
const escape = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

async function readForm(req) {
  let body = '';
  for await (const chunk of req) {
    body += chunk;
    if (body.length > 16384) break;
  }
  return new URLSearchParams(body);
}

function send(res, status, html) {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' });
  res.end(html);
}

async function interaction(req, res, uid, action) {
  const details = await provider.interactionDetails(req, res);
  const { prompt, params, session } = details;
  if (action === 'login' && req.method === 'POST') {
    const form = await readForm(req);
    const user = users[form.get('login')];
    if (!user || user.password !== form.get('password')) {
      return send(res, 401, page('Sign in to the test IdP', `<p id="error">wrong username or password</p>${loginForm(uid)}`));
    }
    stats.logins += 1;
    return provider.interactionFinished(req, res, { login: { accountId: form.get('login') } }, { mergeWithLastSubmission: false });
  }
  if (action === 'confirm' && req.method === 'POST') {
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
    if (prompt.details.missingOIDCScope) grant.addOIDCScope(prompt.details.missingOIDCScope.join(' '));
    if (prompt.details.missingOIDCClaims) grant.addOIDCClaims(prompt.details.missingOIDCClaims);
    const grantId = await grant.save();
    grants.push(grantId);
    return provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  }
  if (action === 'abort' && req.method === 'POST') {
    return provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'the user denied the request' }, { mergeWithLastSubmission: false });
  }
  if (prompt.name === 'login') {
    return send(res, 200, page('Sign in to the test IdP', loginForm(uid)));
  }
  return send(res, 200, page('Allow access', `<p>${escape(params.client_id)} asks for: ${escape(params.scope)}</p>
<form method="post" action="/interaction/${uid}/confirm"><button id="allow" type="submit">Allow</button></form>
<form method="post" action="/interaction/${uid}/abort"><button id="deny" type="submit">Deny</button></form>`));
}

function loginForm(uid) {
  return `<form method="post" action="/interaction/${uid}/login">
<label>Username <input id="login" name="login" autocomplete="username"></label>
<label>Password <input id="password" name="password" type="password" autocomplete="current-password"></label>
<button id="sign-in" type="submit">Sign in</button></form>`;
}

const callback = provider.callback();
server.on('request', async (req, res) => {
  const url = new URL(req.url, issuer);
  if (url.pathname === '/__test/stats') {
    res.writeHead(200, { 'content-type': 'application/json' });
    return res.end(JSON.stringify(stats));
  }
  if (url.pathname === '/__test/tokens') {
    res.writeHead(200, { 'content-type': 'application/json' });
    return res.end(JSON.stringify(issued));
  }
  if (url.pathname === '/__test/end-grants' && req.method === 'POST') {
    for (const id of grants.splice(0)) {
      const grant = await provider.Grant.find(id);
      if (grant) await grant.destroy();
    }
    res.writeHead(204);
    return res.end();
  }
  const match = url.pathname.match(/^\/interaction\/([\w-]+)(?:\/(login|confirm|abort))?$/);
  if (match) {
    try {
      return await interaction(req, res, match[1], match[2]);
    } catch (error) {
      return send(res, 400, page('Interaction failed', escape(error.message)));
    }
  }
  if (url.pathname === '/me') stats.userinfo += 1;
  if (url.pathname === '/token/revocation') {
    res.on('finish', () => { if (res.statusCode === 200) stats.revocations += 1; });
  }
  return callback(req, res);
});
console.log(`ISSUER ${issuer}`);

// A real OpenID provider (oidc-provider) on 127.0.0.1 for transparent-mode tests.
// It issues JWT access tokens through the client_credentials grant; the `resource` parameter
// (RFC 8707) becomes the token's audience, and a resource containing "rs256" is signed with
// RS256, any other with ES256. Prints "ISSUER <url>" when ready.
import http from 'node:http';
import Provider from 'oidc-provider';
import * as jose from 'jose';

const rsa = await jose.generateKeyPair('RS256', { extractable: true });
const ec = await jose.generateKeyPair('ES256', { extractable: true });
const keys = [
  { ...(await jose.exportJWK(rsa.privateKey)), kid: 'rsa-1', alg: 'RS256', use: 'sig' },
  { ...(await jose.exportJWK(ec.privateKey)), kid: 'ec-1', alg: 'ES256', use: 'sig' },
];

const server = http.createServer();
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  clients: [{
    client_id: 'mcp-tests',
    client_secret: 'mcp-tests-secret',
    grant_types: ['client_credentials'],
    redirect_uris: [],
    response_types: [],
    scope: 'mcp:read mcp:write profile',
  }],
  jwks: { keys },
  scopes: ['mcp:read', 'mcp:write', 'profile'],
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      useGrantedResource: () => true,
      getResourceServerInfo: (_ctx, resource) => ({
        scope: 'mcp:read mcp:write profile',
        audience: resource,
        accessTokenTTL: 600,
        accessTokenFormat: 'jwt',
        jwt: { sign: { alg: resource.includes('rs256') ? 'RS256' : 'ES256' } },
      }),
    },
  },
});
server.on('request', provider.callback());
console.log(`ISSUER ${issuer}`);

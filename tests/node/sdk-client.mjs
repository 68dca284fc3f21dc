// The official TypeScript MCP client against a server: connect, list tools, call tools.
// Usage: node sdk-client.mjs <mcp-url> [--token T] [--call name[=json-args]]... [--probe-call name]
// --probe-call sends a bare `tools/call` with fetch and reports the status and WWW-Authenticate.
// Prints one JSON report line.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

const [url, ...rest] = process.argv.slice(2);
let token;
const calls = [];
const probes = [];
for (let i = 0; i < rest.length; i += 1) {
  if (rest[i] === '--token') token = rest[++i];
  else if (rest[i] === '--call') {
    const [name, args] = rest[++i].split(/=(.*)/s);
    calls.push([name, args ? JSON.parse(args) : {}]);
  } else if (rest[i] === '--probe-call') probes.push(rest[++i]);
}

const report = { tools: null, calls: [], probes: [] };
for (const name of probes) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: {} } }),
  });
  report.probes.push({ name, status: response.status, wwwAuthenticate: response.headers.get('www-authenticate') });
}
const headers = token ? { Authorization: `Bearer ${token}` } : {};
const client = new Client({ name: 'frontmcp-auth-tests', version: '0.0.0' });
const transport = new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } });
try {
  await client.connect(transport);
} catch (error) {
  report.connectError = String(error?.message ?? error);
  report.connectCode = error?.code ?? null;
  console.log(JSON.stringify(report));
  process.exit(0);
}
report.serverInfo = client.getServerVersion();
report.tools = (await client.listTools()).tools.map((tool) => tool.name).sort();
for (const [name, args] of calls) {
  try {
    const result = await client.callTool({ name, arguments: args });
    report.calls.push({ name, ok: !result.isError, text: result.content?.[0]?.text ?? null });
  } catch (error) {
    report.calls.push({ name, ok: false, error: String(error?.message ?? error), code: error?.code ?? null });
  }
}
await client.close();
console.log(JSON.stringify(report));

// The official TypeScript MCP client answering a server's requests during tool calls: sampling
// (`sampling/createMessage`) and elicitation (`elicitation/create`), collecting progress and log
// notifications in the order they arrive, and resource updates while subscribed (and not after).
// Usage: node sdk-interactive.mjs <mcp-url> [--token T]
// Prints one JSON report line.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  LoggingMessageNotificationSchema,
  ResourceUpdatedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';

const [url, ...rest] = process.argv.slice(2);
const token = rest[0] === '--token' ? rest[1] : undefined;
const headers = token ? { Authorization: `Bearer ${token}` } : {};
const client = new Client(
  { name: 'frontmcp-auth-interactive', version: '0.0.0' },
  { capabilities: { sampling: {}, elicitation: {} } },
);
const report = { sampling: [], elicitation: [], progress: [], logs: [], updates: [], results: {} };
client.setRequestHandler(CreateMessageRequestSchema, async (request) => {
  report.sampling.push(request.params.messages?.[0]?.content?.text ?? null);
  return {
    role: 'assistant',
    content: { type: 'text', text: 'sampled by the client' },
    model: 'client-model',
    stopReason: 'endTurn',
  };
});
client.setRequestHandler(ElicitRequestSchema, async (request) => {
  report.elicitation.push(request.params.message);
  return { action: 'accept', content: { username: 'ada', email: 'ada@example.com' } };
});
client.setNotificationHandler(LoggingMessageNotificationSchema, (notification) => {
  report.logs.push(notification.params.data);
});
client.setNotificationHandler(ResourceUpdatedNotificationSchema, (notification) => {
  report.updates.push(notification.params.uri);
});
const transport = new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } });
await client.connect(transport);
const text = (result) => result.content?.[0]?.text ?? null;
report.results.sampling = text(
  await client.callTool({ name: 'test_sampling', arguments: { prompt: 'What is 2+2?' } }),
);
report.results.elicitation = text(
  await client.callTool({ name: 'test_elicitation', arguments: { message: 'Who are you?' } }),
);
await client.setLoggingLevel('debug');
report.results.progress = text(
  await client.callTool(
    { name: 'test_tool_with_progress', arguments: {} },
    undefined,
    { onprogress: (progress) => report.progress.push(progress.progress) },
  ),
);
report.results.logging = text(await client.callTool({ name: 'test_tool_with_logging', arguments: {} }));
const watched = 'test://watched-resource';
const settle = () => new Promise((resolve) => setTimeout(resolve, 300));
await client.subscribeResource({ uri: watched });
report.results.touched = text(
  await client.callTool({ name: 'touch_resource', arguments: { uri: watched } }),
);
await settle();
await client.unsubscribeResource({ uri: watched });
report.results.touchedAfter = text(
  await client.callTool({ name: 'touch_resource', arguments: { uri: watched } }),
);
await settle();
await client.close();
console.log(JSON.stringify(report));

// Debian Chromium (playwright-core) signs a user in through a remote-mode server for the
// official TypeScript MCP client: our authorize sends the browser to the upstream identity
// provider, whose login and consent pages are filled in here; back at our server the consent
// screen offers the tools and only `allow` are kept. The client then lists and calls tools.
//
//   node browser-remote.mjs <mcp-url> <screenshot-dir> <login> <password> <tool,tool,...>
//
// Screenshots: idp-login.png, idp-consent.png, consent.png. Prints one JSON report line.
import { launchChromium } from "./chromium.mjs";
import { join } from "node:path";
import { connectSigningIn, pageText, redirectUri } from "./browser-flow.mjs";

const [mcpUrl, shots, login, password, allowList] = process.argv.slice(2);
const allow = allowList.split(",").filter(Boolean);
const report = { hosts: [] };

const browser = await launchChromium();

try {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.setDefaultTimeout(20000);
  page.on("framenavigated", (frame) => {
    if (frame === page.mainFrame() && frame.url().startsWith("http")) {
      const at = new URL(frame.url());
      const who = at.port === new URL(mcpUrl).port ? "server" : at.port === new URL(redirectUri).port ? "client" : "idp";
      report.hosts.push(`${who} ${at.pathname}`);
    }
  });
  // Nothing listens at the client's redirect URI: the browser's request there is answered here.
  await page.route(`${redirectUri}**`, (route) => route.fulfill({ status: 200, body: "signed in" }));

  async function signIn(url) {
    await page.goto(url);
    try {
      await page.waitForSelector("#login");
    } catch {
      throw new Error(`no provider login page at ${page.url()}: ${await pageText(page)}`);
    }
    report.idpLoginTitle = await page.title();
    await page.screenshot({ path: join(shots, "idp-login.png"), fullPage: true });
    await page.fill("#login", login);
    await page.fill("#password", password);
    await Promise.all([page.waitForNavigation(), page.click("#sign-in")]);
    await page.waitForSelector("#allow");
    report.idpConsentTitle = await page.title();
    await page.screenshot({ path: join(shots, "idp-consent.png"), fullPage: true });
    await Promise.all([page.waitForNavigation(), page.click("#allow")]);
    try {
      await page.waitForSelector("input[name=tool]");
    } catch {
      throw new Error(`no consent page at ${page.url()}: ${await pageText(page)}`);
    }
    report.consentTitle = await page.title();
    report.offered = await page.$$eval("input[name=tool]", (boxes) => boxes.map((b) => b.value));
    await page.screenshot({ path: join(shots, "consent.png"), fullPage: true });
    for (const tool of report.offered) {
      await page.setChecked(`input[name=tool][value="${tool}"]`, allow.includes(tool));
    }
    const [request] = await Promise.all([
      page.waitForRequest((r) => r.url().startsWith(redirectUri)),
      page.click("button[value=allow]"),
    ]);
    const params = new URL(request.url()).searchParams;
    report.redirect = { iss: params.get("iss"), state: params.get("state") };
    return params.get("code");
  }

  const { client } = await connectSigningIn(mcpUrl, "browser-remote", signIn);
  report.tools = (await client.listTools()).tools.map((t) => t.name).sort();
  const result = await client.callTool({ name: "whoami", arguments: {} });
  report.whoami = result.content?.[0]?.text ?? null;
  await client.close();
  console.log(JSON.stringify(report));
} finally {
  await browser.close();
}

// Debian Chromium (playwright-core) signs a user in through a local-mode server with federated
// providers, for the official TypeScript MCP client: our login page (which lists the providers
// to link), then each provider's own login and consent pages in turn, until the redirect
// reaches the client. The client then calls a tool that reads each provider's token.
//
//   node browser-federation.mjs <mcp-url> <screenshot-dir> <user> <password> <login> <idp-password>
//
// Screenshots: login.png, github-login.png, github-consent.png, slack-login.png,
// slack-consent.png. Prints one JSON report line.
import { launchChromium } from "./chromium.mjs";
import { join } from "node:path";
import { connectSigningIn, pageText, redirectUri } from "./browser-flow.mjs";

const [mcpUrl, shots, user, password, login, idpPassword] = process.argv.slice(2);
const report = { hosts: [], providers: [] };

const browser = await launchChromium();

try {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.setDefaultTimeout(20000);
  page.on("framenavigated", (frame) => {
    if (frame === page.mainFrame() && frame.url().startsWith("http")) {
      const at = new URL(frame.url());
      const who = at.port === new URL(mcpUrl).port ? "server" : at.port === new URL(redirectUri).port ? "client" : `idp:${at.port}`;
      report.hosts.push(`${who} ${at.pathname}`);
    }
  });
  await page.route(`${redirectUri}**`, (route) => route.fulfill({ status: 200, body: "signed in" }));

  async function atProvider(name) {
    try {
      await page.waitForSelector("#login");
    } catch {
      throw new Error(`no ${name} login page at ${page.url()}: ${await pageText(page)}`);
    }
    await page.screenshot({ path: join(shots, `${name}-login.png`), fullPage: true });
    await page.fill("#login", login);
    await page.fill("#password", idpPassword);
    await Promise.all([page.waitForNavigation(), page.click("#sign-in")]);
    await page.waitForSelector("#allow");
    await page.screenshot({ path: join(shots, `${name}-consent.png`), fullPage: true });
  }

  async function signIn(url) {
    await page.goto(url);
    try {
      await page.waitForSelector("input[name=password]");
    } catch {
      throw new Error(`no login page at ${page.url()}: ${await pageText(page)}`);
    }
    report.loginTitle = await page.title();
    report.providers = await page.$$eval("fieldset.providers label", (labels) => labels.map((l) => l.textContent.trim()));
    await page.screenshot({ path: join(shots, "login.png"), fullPage: true });
    await page.fill("input[name=username]", user);
    await page.fill("input[name=password]", password);
    await Promise.all([page.waitForNavigation(), page.click("button[type=submit]")]);
    await atProvider("github");
    await Promise.all([page.waitForNavigation(), page.click("#allow")]);
    await atProvider("slack");
    const [request] = await Promise.all([
      page.waitForRequest((r) => r.url().startsWith(redirectUri)),
      page.click("#allow"),
    ]);
    const params = new URL(request.url()).searchParams;
    report.redirect = { iss: params.get("iss"), state: params.get("state") };
    return params.get("code");
  }

  const { client } = await connectSigningIn(mcpUrl, "browser-federation", signIn);
  const call = async (name, args) => (await client.callTool({ name, arguments: args })).content?.[0]?.text ?? null;
  report.whoami = await call("whoami", {});
  report.github = await call("provider_profile", { provider: "github" });
  report.slack = await call("provider_profile", { provider: "slack" });
  await client.close();
  console.log(JSON.stringify(report));
} finally {
  await browser.close();
}

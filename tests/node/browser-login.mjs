// Debian Chromium (playwright-core) signs a user in through the login page of a local-mode
// server, for the official TypeScript MCP client, twice:
//   1. with a password, then registers a passkey on the page that follows (a Chrome DevTools
//      virtual authenticator stands in for the device);
//   2. with that passkey, for a second, freshly registered client.
// After each sign-in the SDK client calls `whoami` as that user.
//
//   node browser-login.mjs <mcp-url> <screenshot-dir> <username> <password>
//
// Prints one JSON report line.
import { launchChromium } from "./chromium.mjs";
import { join } from "node:path";
import { connectSigningIn, pageText, redirectUri } from "./browser-flow.mjs";

const [mcpUrl, shots, username, password] = process.argv.slice(2);
const report = { runs: [] };

const browser = await launchChromium();

try {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.setDefaultTimeout(20000);
  const cdp = await context.newCDPSession(page);
  await cdp.send("WebAuthn.enable");
  const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: {
      protocol: "ctap2", transport: "internal", hasResidentKey: true,
      hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true,
    },
  });
  // Nothing listens at the client's redirect URI: the browser's request there is answered here.
  await page.route(`${redirectUri}**`, (route) => route.fulfill({ status: 200, body: "signed in" }));

  // Opens `url`; a navigation still settling from the previous sign-in (the client's redirect
  // answered above) may interrupt the first attempt, so it is made again, at most twice more.
  async function open(url) {
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await page.goto(url);
      } catch (error) {
        if (attempt >= 2 || !String(error?.message).includes("interrupted by another navigation")) throw error;
        await page.waitForTimeout(250);
      }
    }
  }

  // Finishes a sign-in on the current page: waits for the redirect to the client, returns its code.
  async function codeAfter(action) {
    const [request] = await Promise.all([
      page.waitForRequest((r) => r.url().startsWith(redirectUri)),
      action(),
    ]);
    return new URL(request.url()).searchParams.get("code");
  }

  const logins = {
    async password(url) {
      await open(url);
      await page.waitForSelector("input[name=password]");
      await page.screenshot({ path: join(shots, "login.png"), fullPage: true });
      await page.fill("input[name=username]:not(#passkey-username)", username);
      await page.fill("input[name=password]", password);
      await Promise.all([page.waitForNavigation(), page.click("button[type=submit]:not(#passkey-start)")]);
      try {
        await page.waitForSelector("#passkey-go");
      } catch {
        throw new Error(`no passkey offer at ${page.url()}: ${await pageText(page)}`);
      }
      report.offerTitle = await page.title();
      await page.screenshot({ path: join(shots, "passkey-register.png"), fullPage: true });
      return codeAfter(() => page.click("#passkey-go"));
    },
    async passkey(url) {
      await open(url);
      await page.waitForSelector("#passkey-username");
      await page.fill("#passkey-username", username);
      await Promise.all([page.waitForNavigation(), page.click("#passkey-start")]);
      try {
        await page.waitForSelector("#passkey-go");
      } catch {
        throw new Error(`no passkey page at ${page.url()}: ${await pageText(page)}`);
      }
      report.signInTitle = await page.title();
      await page.screenshot({ path: join(shots, "passkey-signin.png"), fullPage: true });
      return codeAfter(() => page.click("#passkey-go"));
    },
  };

  for (const how of ["password", "passkey"]) {
    const { client, clientId } = await connectSigningIn(mcpUrl, `browser-${how}`, logins[how]);
    const result = await client.callTool({ name: "whoami", arguments: {} });
    report.runs.push({ how, whoami: result.content?.[0]?.text ?? null, clientId });
    await client.close();
  }
  const { credentials } = await cdp.send("WebAuthn.getCredentials", { authenticatorId });
  report.credentials = credentials.map((c) => ({ rpId: c.rpId, signCount: c.signCount }));
  console.log(JSON.stringify(report));
} finally {
  await browser.close();
}

// A real browser (Debian Chromium, driven by playwright-core) walks the login and consent pages.
//
//   node browser-consent.mjs <authorize-url> <screenshot-dir> <email> <tool,tool,...>
//
// Opens the authorization URL, saves a screenshot of the login page, signs in, saves one of the
// consent page, unchecks every tool, checks the listed ones, allows, and catches the browser's
// request to the client's redirect URI (nothing needs to listen there). Prints a
// JSON report: the redirect's query parameters, the tools offered, which were pre-checked.
import { launchChromium } from "./chromium.mjs";
import { join } from "node:path";

const [authorizeUrl, shots, email, wanted] = process.argv.slice(2);
const tools = (wanted || "").split(",").filter(Boolean);
const redirectUri = new URL(authorizeUrl).searchParams.get("redirect_uri");

const browser = await launchChromium();
try {
  const page = await browser.newPage();
  page.setDefaultTimeout(20000);
  let redirect = null;

  await page.goto(authorizeUrl);
  await page.waitForSelector("input[name=email]");
  await page.screenshot({ path: join(shots, "login.png"), fullPage: true });
  await page.fill("input[name=email]", email);
  await page.fill("input[name=name]", "Ada Lovelace");
  await Promise.all([page.waitForNavigation(), page.click("button[type=submit]")]);

  try {
    await page.waitForSelector("input[name=tool]");
  } catch (error) {
    const text = (await page.content()).replace(/<style>.*<\/style>/s, "").slice(0, 1500);
    throw new Error(`no consent page at ${page.url()}: ${text}`);
  }
  const offered = await page.$$eval("input[name=tool]", (boxes) =>
    boxes.map((b) => ({ name: b.value, checked: b.checked })));
  const legends = await page.$$eval("fieldset:not(.scopes) legend", (ls) => ls.map((l) => l.textContent));
  const title = await page.title();
  await page.screenshot({ path: join(shots, "consent.png"), fullPage: true });
  for (const box of offered) {
    await page.setChecked(`input[name=tool][value="${box.name}"]`, tools.includes(box.name));
  }
  // The redirect to the client is caught as the browser requests it (nothing listens there).
  const [request] = await Promise.all([
    page.waitForRequest((r) => r.url().startsWith(redirectUri)),
    page.click("button[value=allow]"),
  ]);
  redirect = redirect || request.url();
  const params = Object.fromEntries(new URL(redirect).searchParams);
  console.log(JSON.stringify({ title, offered, legends, params }));
} finally {
  await browser.close();
}

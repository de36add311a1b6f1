import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { chromium, type BrowserContext, type Locator, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../scripts/stack/paths.js";
import { contentImage, styleImage } from "../../scripts/stack/sample-images.js";
import { adminClient, stack } from "./support.js";

const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
const SCREENSHOT = () => join(REPO_ROOT, "test-results", `gallery-${stack().name}.png`);
const README_SCREENSHOT = join(REPO_ROOT, "docs", "gallery.png");

let profile: string;
let browser: BrowserContext;
let page: Page;

beforeAll(async () => {
  profile = mkdtempSync(join(tmpdir(), "easel-chromium-"));
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1100, height: 1000 },
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  page = browser.pages()[0] ?? (await browser.newPage());
});

afterAll(async () => {
  await browser?.close();
  rmSync(profile, { recursive: true, force: true });
});

/** Submits the form, then waits for the new job's end and for all its images to have loaded in the page. */
async function submitAndExpectImages(count: number) {
  const previous = await page.textContent("#current-id");
  await page.click("#submit");
  await expect.poll(() => page.textContent("#current-id"), { timeout: 30_000 }).not.toBe(previous);
  await page.locator('[data-testid="job-status"][data-status="completed"]').waitFor({ timeout: 60_000 });
  const images = page.locator('[data-testid="job-images"] img');
  await expect.poll(() => images.count()).toBe(count);
  await expectLoaded(images);
}

/** Every image the locator finds has loaded real pixels (a broken or missing URL leaves naturalWidth at 0). */
async function expectLoaded(images: Locator) {
  for (const image of await images.all()) {
    await expect.poll(() => image.evaluate((element: HTMLImageElement) => element.complete && element.naturalWidth)).toBeGreaterThan(0);
  }
}

describe("the gallery, in headless Chromium", () => {
  it("takes an API key, runs a text-to-image job and a style transfer uploaded from the browser, and shows their images", async () => {
    const { key } = await adminClient().keys.create({ owner: "e2e-gallery" });
    await page.goto(stack().workerUrl);
    await page.fill("#api-key", key);
    await page.click("#key-form button");
    await expect.poll(() => page.textContent("#key-status")).toBe("key accepted");

    await page.fill('textarea[name="prompt"]', "a lighthouse on a cliff at dusk, oil painting");
    await page.selectOption('select[name="size"]', "512");
    await page.fill('input[name="num_images"]', "2");
    await submitAndExpectImages(2);

    await page.check('input[value="style-transfer"]');
    await page.setInputFiles('input[name="style"]', { name: "style.png", mimeType: "image/png", buffer: Buffer.from(styleImage(512)) });
    await page.setInputFiles('input[name="content"]', { name: "content.png", mimeType: "image/png", buffer: Buffer.from(contentImage(512)) });
    await page.fill('input[name="num_images"]', "3");
    await submitAndExpectImages(3);

    await expect.poll(() => page.locator("#jobs li").count()).toBe(2);
    await expect.poll(() => page.locator("#jobs li").first().textContent()).toContain("style-transfer · completed · 3 images");
    // The past jobs' thumbnails: the list's own display URLs (include=urls), loaded in this store mode.
    const thumbnails = page.locator("#jobs li img.thumb");
    await expect.poll(() => thumbnails.count()).toBe(2);
    await expectLoaded(thumbnails);

    mkdirSync(dirname(SCREENSHOT()), { recursive: true });
    await page.screenshot({ path: SCREENSHOT(), fullPage: true });
    expect(existsSync(SCREENSHOT())).toBe(true);
    // The README's copy is refreshed on request only, so a test run leaves the checkout clean.
    const refresh = !existsSync(README_SCREENSHOT) || process.env.EASEL_UPDATE_SCREENSHOT === "1";
    if (refresh && stack().name === "presigned") copyFileSync(SCREENSHOT(), README_SCREENSHOT);
  });
});

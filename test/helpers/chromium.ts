/**
 * Headless Chromium for the browser tests, driven by playwright-core with the
 * system's Chromium (Debian's `chromium` package at /usr/bin/chromium; no
 * browser download). Each launch gets a fresh temporary profile
 * (playwright passes its own new --user-data-dir and deletes it on close).
 *
 * Without the binary, {@link describeWithChromium} skips with a one-line
 * notice; when `CI` is set it runs anyway and fails loudly, so CI cannot skip
 * the browser tests silently (the same pattern as describeWithMosquitto).
 */
import { accessSync, constants } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';
import { describe } from 'vitest';

export type { Browser, Page } from 'playwright-core';

/** The Chromium binary: `$CHROMIUM_BIN`, else Debian's. */
export const CHROMIUM_PATH = process.env.CHROMIUM_BIN || '/usr/bin/chromium';

/** Quiet, hermetic headless Chromium: no GPU, no QUIC, no background traffic to Google. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const INSTALL_HINT = 'install it with `apt-get install -y chromium`';

export function chromiumInstalled(): boolean {
  try {
    accessSync(CHROMIUM_PATH, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

let noticeShown = false;

/** `describe` that skips (with a one-line notice) without Chromium, except under CI, where it runs and fails. */
export function describeWithChromium(name: string, fn: () => void): void {
  const skip = !chromiumInstalled() && !process.env.CI;
  if (skip && !noticeShown) {
    noticeShown = true;
    console.warn(`skipping: Chromium not found at ${CHROMIUM_PATH}; ${INSTALL_HINT}`);
  }
  describe.skipIf(skip)(name, fn);
}

/** Launches headless Chromium with a fresh profile. */
export async function launchChromium(): Promise<Browser> {
  if (!chromiumInstalled()) throw new Error(`Chromium not found at ${CHROMIUM_PATH}: CI must ${INSTALL_HINT}`);
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS, timeout: 60_000 });
}

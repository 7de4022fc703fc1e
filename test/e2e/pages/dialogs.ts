import type { Page } from 'playwright-core';

/**
 * Presses a confirmation dialog's confirm button and waits for it to close. When the engine refuses, the dialog stays
 * open with its error: that message becomes the thrown error, so a failing spec says why.
 */
export async function confirmDialog(page: Page, testid: string, timeoutMs = 10_000): Promise<void> {
  await page.getByTestId(`${testid}-confirm`).click();
  const dialog = page.getByTestId(testid);
  const error = page.getByTestId(`${testid}-error`);
  await Promise.race([dialog.waitFor({ state: 'hidden', timeout: timeoutMs }), error.waitFor({ state: 'visible', timeout: timeoutMs })]);
  if (await error.isVisible()) throw new Error(`${testid}: the engine refused: ${(await error.textContent())?.trim()}`);
}

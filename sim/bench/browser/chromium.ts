/**
 * The Chromium the browser tests and the frame-rate benchmark drive: Debian's package at
 * /usr/bin/chromium. When it is missing it is installed the way `playwright install-deps` installs
 * system packages (apt-get, as root); without root the error says which command to run. A missing
 * browser is never a skipped test.
 */
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

export const CHROMIUM = '/usr/bin/chromium';
const INSTALL = 'apt-get update && apt-get install -y chromium';

export function ensureChromium(): string {
  if (existsSync(CHROMIUM)) return CHROMIUM;
  if (process.getuid?.() !== 0) {
    throw new Error(`${CHROMIUM} is missing; install it with: sudo apt-get update && sudo apt-get install -y chromium`);
  }
  process.stderr.write(`${CHROMIUM} is missing; running: ${INSTALL}\n`);
  // apt's output goes to stderr, so a command whose stdout is JSON stays parseable.
  const r = spawnSync('sh', ['-c', INSTALL], {
    stdio: ['ignore', 2, 2],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (existsSync(CHROMIUM)) return CHROMIUM;
  const why = r.error ? r.error.message : `exit status ${r.status ?? `signal ${r.signal}`}`;
  throw new Error(`${CHROMIUM} is still missing after "${INSTALL}" (${why})`);
}

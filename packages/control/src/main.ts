#!/usr/bin/env node
// geoctl entry point: subcommand + flags → config → run.
import { readFileSync } from 'node:fs';
import { ConfigError, createLogger } from '@geoedge/shared';
import { parseCli, HELP, type Cli } from './cli.js';
import { loadConfig } from './config.js';
import { runServe, runGeoipUpdate, runMigrate, runCheck } from './run.js';

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

async function main(): Promise<number> {
  let cli: Cli;
  try {
    cli = parseCli(process.argv.slice(2));
    if (cli.version && !cli.help) {
      process.stdout.write(`geoctl ${version()}\n`);
      return 0;
    }
    if (cli.help || !cli.command) {
      process.stdout.write(HELP);
      return cli.help ? 0 : 2;
    }
    const cfg = loadConfig(cli.configFile, cli.overrides);
    if (cli.check) return runCheck(cfg, cli.command);
    // The one-shot commands keep stdout for their result; logs go to stderr.
    const log = createLogger({ name: 'geoctl', level: cfg.logLevel, ...(cli.command === 'serve' ? {} : { destination: process.stderr }) });
    if (cli.command === 'serve') return await runServe(cfg, log);
    if (cli.command === 'geoip-update') return await runGeoipUpdate(cfg, log);
    return await runMigrate(cfg, log);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`geoctl: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}

main().then(
  (code) => {
    // serve keeps running on its own handles; the one-shot commands end here.
    if (code !== -1) process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`geoctl: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    process.exit(1);
  },
);

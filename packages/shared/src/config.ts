// Config loading shared by the programs: read YAML or JSON, validate against the
// program's TypeBox schema, report every problem by its JSON path.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { Value } from '@sinclair/typebox/value';
import type { TSchema, Static } from '@sinclair/typebox';
import { ConfigError } from './errors.js';
import { explainErrors } from './config-errors.js';

/** Reads a config file; `.json` is parsed as JSON, anything else as YAML (a superset of JSON). */
export function readConfigFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError([`${file}: cannot read: ${(err as Error).message}`]);
  }
  try {
    if (file.endsWith('.json')) return JSON.parse(text);
    return parseYaml(text, { prettyErrors: true }) ?? {};
  } catch (err) {
    throw new ConfigError([`${file}: not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${(err as Error).message}`]);
  }
}

/**
 * Validates `input` against `schema` after filling defaults. Unknown keys are
 * errors (a typo must not be silently ignored). Returns the typed value or
 * throws ConfigError listing every problem, one line per mistake, as
 * "/path/to/key: expected <what the key accepts>, got <value>".
 */
export function checkConfig<T extends TSchema>(schema: T, input: unknown): Static<T> {
  const value = Value.Default(schema, structuredClone(input ?? {}));
  const problems = explainErrors(schema, value);
  if (problems.length > 0) throw new ConfigError(problems);
  return value as Static<T>;
}

// Errors with stable codes, so logs and tests match on `code`, not on message text.
export class SuiteError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = 'SuiteError';
  }
}

/** A configuration problem; `problems` lists each one as "path: message". */
export class ConfigError extends SuiteError {
  readonly problems: string[];
  constructor(problems: string[]) {
    super('ERR_CONFIG', `invalid configuration:\n  ${problems.join('\n  ')}`);
    this.problems = problems;
    this.name = 'ConfigError';
  }
}

// Public surface of the LUA-record runtime (re-exported by the package index by the lead).
export { createLuaRuntime, LuaRuntime, type LuaRuntimeOptions } from './runtime.js';
export { createHealthChecker, HealthChecker, checkId, type HealthCheckerOptions, type CheckState } from './health.js';
export type { LuaRecordRef, LuaClient, Deps, EvalResult, LimitKind, LuaEvaluator, IncludeResolver, CheckSpec, HealthOracle } from './types.js';

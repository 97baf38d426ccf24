import { dassMethod } from './dass-method.js';
import { magnitudeMethod } from './magnitude-method.js';
import { sparsegptMethod } from './sparsegpt-method.js';
import type { ScoringMethod } from './types.js';
import { wandaMethod } from './wanda-method.js';

const registry: Record<string, ScoringMethod> = {
  magnitude: magnitudeMethod,
  wanda: wandaMethod,
  dass: dassMethod,
  sparsegpt: sparsegptMethod,
};

/** Scoring methods keyed by name (the CLI's `--method`). Add more with `registerScoringMethod`. */
export const scoringMethods: Readonly<Record<string, ScoringMethod>> = registry;

export function scoringMethodNames(): string[] {
  return Object.keys(registry);
}

/** The method called `name`; the error lists the known names. */
export function getScoringMethod(name: string): ScoringMethod {
  const method = Object.hasOwn(registry, name) ? registry[name] : undefined;
  if (!method) {
    throw new RangeError(`method: unknown scoring method ${JSON.stringify(name)}; known: ${scoringMethodNames().join(', ')}`);
  }
  return method;
}

/** Adds a method under `method.name`; replacing an existing name needs `{ replace: true }`. */
export function registerScoringMethod(method: ScoringMethod, options: { replace?: boolean } = {}): void {
  if (method === null || typeof method !== 'object' || typeof method.score !== 'function' || typeof method.plan !== 'function') {
    throw new TypeError(`method: expected a ScoringMethod {name, plan, score, ...}, got ${String(method)}`);
  }
  if (typeof method.name !== 'string' || !/^[a-z0-9][a-z0-9_-]*$/i.test(method.name)) {
    throw new RangeError(`method.name: expected a non-empty identifier, got ${JSON.stringify(method.name)}`);
  }
  if (Object.hasOwn(registry, method.name) && !options.replace) {
    throw new RangeError(`method.name: ${JSON.stringify(method.name)} is already registered (pass { replace: true })`);
  }
  registry[method.name] = method;
}

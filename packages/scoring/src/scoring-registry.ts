import { dassMethod } from './dass-method.js';
import { magnitudeMethod } from './magnitude-method.js';
import { checkOptionDeclaration, resolveOptions } from './method-options.js';
import { obsUpdate } from './obs-update.js';
import { riaMethod } from './ria-method.js';
import { sparsegptMethod } from './sparsegpt-method.js';
import { STATISTIC_NAMES } from './types.js';
import type { MethodOption, MethodOptions, PruningMethod, StatisticName, WeightUpdate } from './types.js';
import { wandaMethod } from './wanda-method.js';
import { InvalidArgumentError } from '@dass/errors';

const NAME = /^[a-z0-9][a-z0-9_-]*$/i;

const registry: Record<string, PruningMethod> = {
  magnitude: magnitudeMethod,
  wanda: wandaMethod,
  dass: dassMethod,
  sparsegpt: sparsegptMethod,
  ria: riaMethod,
};
const updates: Record<string, WeightUpdate> = { obs: obsUpdate };

/** Pruning methods keyed by name (the CLI's `--method`), a live view of the registry. */
export const scoringMethods: Readonly<Record<string, PruningMethod>> = registry;
/** Weight updates keyed by name (the CLI's `--update`), a live view. */
export const weightUpdates: Readonly<Record<string, WeightUpdate>> = updates;

/** Registered method names, in registration order. */
export function scoringMethodNames(): string[] {
  return Object.keys(registry);
}

/** The method called `name`; the error lists the registered names. */
export function getScoringMethod(name: string): PruningMethod {
  const method = typeof name === 'string' && Object.hasOwn(registry, name) ? registry[name] : undefined;
  if (!method) {
    throw new InvalidArgumentError('method', `unknown pruning method ${JSON.stringify(name)}; registered: ${scoringMethodNames().join(', ')}`);
  }
  return method;
}

function checkNeeds(owner: string, needs: unknown): void {
  if (!Array.isArray(needs) || !needs.every((n) => (STATISTIC_NAMES as readonly unknown[]).includes(n))) {
    throw new InvalidArgumentError(owner, `needs: expected a list of ${STATISTIC_NAMES.join(', ')}, got ${JSON.stringify(needs)}`);
  }
}

/** Two declarations of one option name (in different entries) must agree on type, so one CLI flag or grid key serves both. */
function checkOptionClashes(
  owner: string,
  options: readonly MethodOption[],
  others: Iterable<{ name: string; options: readonly MethodOption[] }>,
  self: string,
): void {
  for (const other of others) {
    if (other.name === self) continue;
    for (const o of other.options) {
      const mine = options.find((m) => m.name === o.name);
      if (mine && mine.type !== o.type) {
        throw new InvalidArgumentError(
          owner,
          `option ${o.name} is ${mine.type} here but ${o.type} in ${other.name}; one option name serves both (one CLI flag, one grid key), so their types must agree`,
        );
      }
    }
  }
}

function checkEntry(kind: 'method' | 'update', entry: PruningMethod | WeightUpdate): void {
  const what =
    kind === 'method'
      ? 'a PruningMethod {name, label, description, needs, options, plan, score | prune}'
      : 'a WeightUpdate {name, label, description, needs, options, apply}';
  if (entry === null || typeof entry !== 'object') throw new InvalidArgumentError(kind, `expected ${what}, got ${String(entry)}`);
  if (typeof entry.name !== 'string' || !NAME.test(entry.name)) {
    throw new InvalidArgumentError(`${kind}.name`, `expected a non-empty identifier (letters, digits, _ and -), got ${JSON.stringify(entry.name)}`);
  }
  const owner = `${kind} ${entry.name}`;
  if (typeof entry.label !== 'string' || entry.label === '')
    throw new InvalidArgumentError(owner, `label: expected a non-empty string (shown in tables), got ${JSON.stringify(entry.label)}`);
  if (typeof entry.description !== 'string') throw new InvalidArgumentError(owner, `description: expected a string`);
  checkNeeds(owner, entry.needs);
  if (!Array.isArray(entry.options)) throw new InvalidArgumentError(owner, `options: expected a list of option declarations (possibly empty)`);
  const seen = new Set<string>();
  for (const o of entry.options) {
    checkOptionDeclaration(owner, o);
    if (seen.has(o.name)) throw new InvalidArgumentError(owner, `option ${o.name} is declared twice`);
    seen.add(o.name);
  }
  checkOptionClashes(owner, entry.options, [...Object.values(registry), ...Object.values(updates)], entry.name);
  if (kind === 'method') {
    const m = entry as PruningMethod;
    if (typeof m.plan !== 'function') throw new InvalidArgumentError(owner, `plan: expected a function (kind) => {group, nmAxis, scoreKind}`);
    if ((typeof m.score === 'function') === (typeof m.prune === 'function')) {
      throw new InvalidArgumentError(owner, `expected exactly one of score() (scores → mask) or prune() (its own per-matrix step)`);
    }
  } else if (typeof (entry as WeightUpdate).apply !== 'function') {
    throw new InvalidArgumentError(owner, `apply: expected a function`);
  }
}

/** Adds a method under `method.name` (checked: see `PruningMethod`); replacing a name needs `{ replace: true }`. */
export function registerScoringMethod(method: PruningMethod, options: { replace?: boolean } = {}): void {
  checkEntry('method', method);
  if (Object.hasOwn(registry, method.name) && !options.replace) {
    throw new InvalidArgumentError('method.name', `${JSON.stringify(method.name)} is already registered (pass { replace: true })`);
  }
  registry[method.name] = method;
}

/** Removes a method; returns whether it was registered. */
export function unregisterScoringMethod(name: string): boolean {
  if (!Object.hasOwn(registry, name)) return false;
  delete registry[name];
  return true;
}

export function weightUpdateNames(): string[] {
  return Object.keys(updates);
}

/** The weight update called `name`; the error lists the registered ones. */
export function getWeightUpdate(name: string): WeightUpdate {
  const update = typeof name === 'string' && Object.hasOwn(updates, name) ? updates[name] : undefined;
  if (!update)
    throw new InvalidArgumentError('update', `unknown weight update ${JSON.stringify(name)}; registered: ${['none', ...weightUpdateNames()].join(', ')}`);
  return update;
}

export function registerWeightUpdate(update: WeightUpdate, options: { replace?: boolean } = {}): void {
  checkEntry('update', update);
  if (Object.hasOwn(updates, update.name) && !options.replace) {
    throw new InvalidArgumentError('update.name', `${JSON.stringify(update.name)} is already registered (pass { replace: true })`);
  }
  updates[update.name] = update;
}

export function unregisterWeightUpdate(name: string): boolean {
  if (!Object.hasOwn(updates, name)) return false;
  delete updates[name];
  return true;
}

/** The statistics a method (and its update) read: the union of their `needs`. */
export function neededStatistics(method: PruningMethod, update?: WeightUpdate): Set<StatisticName> {
  return new Set([...method.needs, ...(update?.needs ?? [])]);
}

/**
 * The options of a method and its update, defaults filled in and each given value checked. A given name that
 * neither declares is refused. Errors: RangeError `<option>: expected ..., got ...`.
 */
export function resolveMethodOptions(method: PruningMethod, update: WeightUpdate | undefined, given?: Readonly<Record<string, unknown>>): MethodOptions {
  if (update && method.prune) {
    throw new InvalidArgumentError(
      'update',
      (name) => `${method.name} chooses its mask inside its own step (prune()); ${name('update')} needs a method that scores`,
    );
  }
  const declared = [...method.options, ...(update?.options ?? []).filter((o) => !method.options.some((m) => m.name === o.name))];
  return resolveOptions(declared, given, update ? (name) => `${method.name} with ${name('update')} ${update.name}` : method.name);
}

/** Who declares an option: a pruning method or a weight update, by its registered name. */
export interface OptionOwner {
  kind: 'method' | 'update';
  name: string;
}

/**
 * Every option any registered method or update declares, once per name (for CLI flags and grid keys), with its
 * owners: `owners` as text (`sparsegpt`, `update obs`) and `declaredBy` as records (to name them otherwise).
 */
export function allMethodOptions(): { option: MethodOption; owners: string[]; declaredBy: OptionOwner[] }[] {
  const out = new Map<string, { option: MethodOption; owners: string[]; declaredBy: OptionOwner[] }>();
  const entries: { owner: OptionOwner; options: readonly MethodOption[] }[] = [
    ...Object.values(registry).map((m) => ({ owner: { kind: 'method' as const, name: m.name }, options: m.options })),
    ...Object.values(updates).map((u) => ({ owner: { kind: 'update' as const, name: u.name }, options: u.options })),
  ];
  for (const { owner, options } of entries) {
    const text = owner.kind === 'method' ? owner.name : `update ${owner.name}`;
    for (const option of options) {
      const seen = out.get(option.name);
      if (seen) {
        seen.owners.push(text);
        seen.declaredBy.push(owner);
      } else out.set(option.name, { option, owners: [text], declaredBy: [owner] });
    }
  }
  return [...out.values()];
}

// The plug-in names, as aliases of the historical ones.
export {
  getScoringMethod as getPruningMethod,
  registerScoringMethod as registerPruningMethod,
  unregisterScoringMethod as unregisterPruningMethod,
  scoringMethodNames as pruningMethodNames,
};

import type { MethodOption, MethodOptions, OptionValue } from './types.js';
import { InvalidArgumentError, type MessageText } from '@dass/errors';

const OPTION_NAME = /^[a-z][A-Za-z0-9]*$/;
const OPTION_TYPES = ['number', 'integer', 'string', 'boolean'] as const;

/** `percdamp` → `percdamp`, `layerRatios` → `layer-ratios`: the CLI flag of an option. */
export function optionFlag(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** What a value of `option` must be, for messages: `a finite number >= 0`, `one of a, b`. */
function typeProblem(option: MethodOption, value: unknown): string | undefined {
  switch (option.type) {
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) ? undefined : 'a finite number';
    case 'integer':
      return typeof value === 'number' && Number.isSafeInteger(value) ? undefined : 'an integer';
    case 'boolean':
      return typeof value === 'boolean' ? undefined : 'true or false';
    case 'string':
      if (typeof value !== 'string') return option.choices ? `one of ${option.choices.join(', ')}` : 'a string';
      return option.choices && !option.choices.includes(value) ? `one of ${option.choices.join(', ')}` : undefined;
  }
}

/** The problem with `value` for `option` (type, choices, then the option's own `validate`), or undefined. */
export function optionProblem(option: MethodOption, value: unknown): string | undefined {
  return typeProblem(option, value) ?? option.validate?.(value as OptionValue);
}

/** Checks one declaration (at registration): identifier, type, default valid under its own rules. */
export function checkOptionDeclaration(owner: string, option: MethodOption): void {
  if (option === null || typeof option !== 'object')
    throw new InvalidArgumentError(owner, `options: expected {name, type, default, description}, got ${String(option)}`);
  if (typeof option.name !== 'string' || !OPTION_NAME.test(option.name)) {
    throw new InvalidArgumentError(owner, `option name: expected a camelCase identifier, got ${JSON.stringify(option.name)}`);
  }
  if (!(OPTION_TYPES as readonly string[]).includes(option.type)) {
    throw new InvalidArgumentError(owner, `option ${option.name}: type: expected one of ${OPTION_TYPES.join(', ')}, got ${JSON.stringify(option.type)}`);
  }
  if (typeof option.description !== 'string' || option.description === '')
    throw new InvalidArgumentError(owner, `option ${option.name}: description: expected a non-empty string`);
  if (option.validate !== undefined && typeof option.validate !== 'function')
    throw new InvalidArgumentError(owner, `option ${option.name}: validate: expected a function`);
  const problem = optionProblem(option, option.default);
  if (problem) throw new InvalidArgumentError(owner, `option ${option.name}: default ${JSON.stringify(option.default)} is not ${problem}`);
}

/**
 * Fills in the defaults of `declared` and checks every given value; a given name nobody declared is an error.
 * Errors are InvalidArgumentErrors whose field is the option's name (`percdamp: expected ..., got ...`). `owners`
 * names who declared the options, for the unknown-name message (a function of the field namer when it names fields).
 */
export function resolveOptions(declared: readonly MethodOption[], given: Readonly<Record<string, unknown>> | undefined, owners: MessageText): MethodOptions {
  const ownersText = typeof owners === 'function' ? owners : () => owners;
  const out: Record<string, OptionValue> = {};
  for (const option of declared) out[option.name] = option.default;
  for (const [name, value] of Object.entries(given ?? {})) {
    if (value === undefined) continue;
    const option = declared.find((o) => o.name === name);
    if (!option) {
      const known = declared.map((o) => o.name);
      throw new InvalidArgumentError(name, (field) => `${ownersText(field)} take${known.length ? `s only ${known.join(', ')}` : 's no options'}`);
    }
    const problem = optionProblem(option, value);
    if (problem) throw new InvalidArgumentError(name, `expected ${problem}, got ${JSON.stringify(value)}`);
    out[name] = value as OptionValue;
  }
  return out;
}

/** Finite and >= 0 (exponents). */
export const nonNegative = (v: OptionValue): string | undefined => ((v as number) >= 0 ? undefined : 'a finite number >= 0');
/** Strictly between 0 and 1 (damping fractions). */
export const openUnit = (v: OptionValue): string | undefined => ((v as number) > 0 && (v as number) < 1 ? undefined : 'a number in (0, 1)');
/** >= 1 (block sizes). */
export const positive = (v: OptionValue): string | undefined => ((v as number) >= 1 ? undefined : 'a positive integer');

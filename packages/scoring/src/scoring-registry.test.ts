import { describe, expect, it } from 'vitest';
import { magnitudeMethod } from './magnitude-method.js';
import { getScoringMethod, registerScoringMethod, scoringMethodNames, scoringMethods } from './scoring-registry.js';

describe('scoring registry', () => {
  it('holds the four SPEC methods by name', () => {
    expect(scoringMethodNames().slice(0, 4)).toEqual(['magnitude', 'wanda', 'dass', 'sparsegpt']);
    for (const name of ['magnitude', 'wanda', 'dass', 'sparsegpt']) {
      expect(getScoringMethod(name).name).toBe(name);
      expect(scoringMethods[name]).toBe(getScoringMethod(name));
    }
    expect(() => getScoringMethod('toString')).toThrow('unknown scoring method "toString"; known: magnitude, wanda, dass, sparsegpt');
  });

  it('registers new methods and refuses silent replacement', () => {
    registerScoringMethod({ ...magnitudeMethod, name: 'magnitude-copy' });
    expect(getScoringMethod('magnitude-copy').plan('up_proj').group).toBe('matrix');
    expect(() => registerScoringMethod(magnitudeMethod)).toThrow('"magnitude" is already registered');
    expect(() => registerScoringMethod({ ...magnitudeMethod, name: '' })).toThrow('method.name');
    expect(() => registerScoringMethod({ name: 'x' } as never)).toThrow('expected a ScoringMethod');
  });
});

import { describe, expect, it } from 'vitest';
import { hellaswagTask, preprocessHellaswag, pythonCapitalize } from './hellaswag-task.js';

describe('HellaSwag (harness preprocessing)', () => {
  it('preprocess: strip, " [title]" → ". ", drop [tags], collapse double spaces', () => {
    expect(preprocessHellaswag('  [header] How to bowl [title] Grip the ball. [step] Spin it.  ')).toBe(' How to bowl. Grip the ball. Spin it.');
    // The harness collapses double spaces once, so a tag at the very start leaves its space behind.
    expect(preprocessHellaswag('[title] If outside, dribble. [title] If inside.')).toBe(' If outside, dribble.. If inside.');
  });

  it('capitalize as Python does: first character up, the rest down', () => {
    expect(pythonCapitalize('a few women')).toBe('A few women');
    expect(pythonCapitalize('the DOG runs')).toBe('The dog runs');
    expect(pythonCapitalize('')).toBe('');
  });

  it('builds "{activity_label}: {ctx_a} {Ctx_b}" and preprocessed endings', () => {
    const row = {
      ind: 1,
      activity_label: 'Pole vault',
      ctx_a: 'Pole vault is a sport.',
      ctx_b: 'a few WOMEN',
      endings: ['go down.', '[title] watch.', 'swim.', 'jump.'],
      label: '3',
    };
    const [doc] = hellaswagTask.parse(JSON.stringify(row), 'h');
    expect(doc.choices[0].context).toBe('Pole vault: Pole vault is a sport. A few women');
    expect(doc.choices.map((c) => c.continuation)).toEqual([' go down.', '  watch.', ' swim.', ' jump.']);
    expect(doc.gold).toBe(3);
  });

  it('an empty ctx_b leaves no trailing space (strip)', () => {
    const row = { activity_label: 'Sports', ctx_a: '[header] How to bowl [title] Grip it.', ctx_b: '', endings: ['a', 'b'], label: 0 };
    expect(hellaswagTask.parse(JSON.stringify(row), 'h')[0].choices[0].context).toBe('Sports: How to bowl. Grip it.');
  });
});

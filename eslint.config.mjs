// ESLint flat config: @eslint/js and typescript-eslint's recommended rules over packages/, apps/ and scripts/.
// Formatting is prettier's job (`pnpm lint:format`), so no stylistic rules here. The rules switched off or tuned below
// each say why. The non-type-checked presets keep `pnpm lint` to seconds on the 2-core CI machine; `tsc` (pnpm
// typecheck) already does the type-level checks.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: ['**/node_modules/**', '**/dist/**', '**/.turbo/**', '**/test-artifacts/**', '**/coverage/**', '**/fixtures/**', '**/assets/**', 'shared/**'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { ...globals.node },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // Unused bindings are real findings, except the deliberate `_name` placeholders (positional parameters a
      // callback signature needs, destructured fields left out on purpose).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
    },
  },
  {
    files: ['**/*.cjs'],
    rules: {
      // The .cjs files are CommonJS on purpose (the pack smoke checks that `require` of each package works).
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
  {
    files: ['**/*.test.ts', '**/test/**/*.ts', '**/test-support/**/*.ts'],
    rules: {
      // Tests build deliberately malformed inputs (hostile grids, wrong-typed options, JSON edited in place), for which
      // `any` is the honest type; product code keeps the rule.
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
);

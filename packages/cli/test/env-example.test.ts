import { readFileSync } from 'node:fs';
import { EnvVar } from '@pipeline/pipeline';
import { describe, expect, it } from 'vitest';
import { localSettings } from '../src/settings.js';

const example = readFileSync(new URL('../../../.env.example', import.meta.url), 'utf8');

/** The value a line of .env.example gives a variable, commented out or not. */
const exampleValue = (variable: string): string | undefined =>
  new RegExp(`^#? ?${variable}=(.*)$`, 'm').exec(example)?.[1];

describe('.env.example', () => {
  it.each(Object.values(localSettings).map((setting) => [setting.env, setting] as const))(
    'gives %s, a setting of npm start, with its default and its flag',
    (variable, setting) => {
      expect(exampleValue(variable)).toBe(setting.default);
      expect(example).toContain(`--${setting.flag}:`);
    },
  );

  it.each([...Object.values(EnvVar), 'AWS_REGION'])(
    'names %s, which the operator commands read',
    (variable) => {
      expect(exampleValue(variable)).toBeDefined();
    },
  );
});

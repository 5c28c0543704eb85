import type { CommandModule } from 'yargs';
import { evaluateCommand } from './evaluate.js';

// Each command lives in its own module; the CLI is a thin shell over the library API.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- yargs' module type is invariant in its args
export const commands: CommandModule<object, any>[] = [evaluateCommand];

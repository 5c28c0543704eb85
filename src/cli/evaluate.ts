import type { CommandModule } from 'yargs';
export const evaluateCommand: CommandModule<object, object> = {
  command: 'evaluate',
  describe: 'Evaluate an encoder on SentEval tasks (under construction)',
  handler: () => undefined,
};

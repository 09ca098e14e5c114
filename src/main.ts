/** Entry point of `npm start`, `npx tsx src/main.ts …` and `bin/paper-trading.js`. */
import { runCli } from './cli/index.ts';

process.exitCode = await runCli(process.argv);

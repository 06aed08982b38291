// `charrnn sample`: its options (sampling rules, beam search, stop texts) and the handler that streams the
// generated text to stdout, stopping cleanly on Ctrl-C.
import { Command, InvalidArgumentError, Option } from 'commander';
import type { BackendChoice } from '../../backends/index.js';
import {
  backendOption,
  ExitCode,
  int,
  loadModelForCli,
  num,
  signalExitCode,
  UsageError,
  writeOut,
} from '../args.js';
import { MAX_SEED } from '../../util/rng.js';

interface SampleCliOptions {
  backend: BackendChoice;
  prime?: string;
  length: number;
  temperature: number;
  greedy: boolean;
  seed: number;
  topK?: number;
  topP?: number;
  repetitionPenalty?: number;
  ban?: string;
  stop?: string[];
  maxLength?: number;
  beam?: number;
  lengthPenalty: number;
  unknown?: 'error' | 'skip';
}

async function sampleCommand(file: string, opts: SampleCliOptions, cmd: Command): Promise<void> {
  const given = (name: string) => cmd.getOptionValueSource(name) === 'cli';
  if (opts.beam !== undefined) {
    const clash = ['temperature', 'greedy', 'topK', 'topP', 'repetitionPenalty', 'maxLength'].filter(given);
    if (clash.length > 0)
      throw new UsageError(
        `--beam is deterministic and takes no ${clash.map((c) => '--' + c.replace(/[A-Z]/g, (m) => '-' + m.toLowerCase())).join(', ')}`,
      );
  }
  const model = await loadModelForCli(file, opts.backend);
  const prime = opts.prime ?? '';
  const common = {
    prime: prime === '' ? undefined : prime,
    length: opts.length,
    stop: opts.stop,
    unknown: opts.unknown,
  };
  if (opts.beam !== undefined) {
    const [best] = model.beamSearch({
      ...common,
      width: opts.beam,
      lengthPenalty: opts.lengthPenalty,
      banned: opts.ban,
    });
    await writeOut(prime + best.text + '\n');
    return;
  }
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.on('SIGINT', onSignal);
  try {
    const pieces = model.stream({
      ...common,
      temperature: opts.temperature,
      greedy: opts.greedy,
      topK: opts.topK,
      topP: opts.topP,
      repetitionPenalty: opts.repetitionPenalty,
      banned: opts.ban,
      maxLength: opts.maxLength,
      seed: opts.seed,
      signal: controller.signal,
    });
    await writeOut(prime);
    for await (const piece of pieces) await writeOut(piece);
    await writeOut('\n');
  } catch (err) {
    if ((err as Error).name !== 'AbortError') throw err;
    await writeOut('\n');
    process.stderr.write('charrnn: stopped\n');
    throw new ExitCode(signalExitCode('SIGINT')); // 130, as shells expect of a command stopped by Ctrl-C
  } finally {
    process.off('SIGINT', onSignal);
  }
}

/** Adds `charrnn sample` (its options and handler) to the program. */
export function registerSample(program: Command): void {
  const collect = (value: string, previous: string[] = []) => [...previous, value];
  program
    .command('sample')
    .description('generate text from a saved model, streaming it to stdout')
    .argument('<model>', 'a model file written by `charrnn train`')
    .addOption(backendOption())
    .option('--prime <text>', 'text that primes the hidden state (printed before the sample)')
    .option('--length <n>', 'tokens (characters, or words) to generate', int('--length'), 500)
    .option('--temperature <t>', 'softmax temperature (0 = greedy)', num('--temperature', { min: 0 }), 1)
    .option('--greedy', 'always pick the most likely token (same as --temperature 0)', false)
    .option('--top-k <k>', 'sample among the k most likely tokens only', int('--top-k', 1))
    .option(
      '--top-p <p>',
      'sample from the smallest set of tokens whose probability reaches p, in (0, 1]',
      (value: string): number => {
        const n = Number(value);
        if (value.trim() === '' || !(n > 0 && n <= 1))
          throw new InvalidArgumentError(
            `expected a number in (0, 1] for --top-p, got ${JSON.stringify(value)}`,
          );
        return n;
      },
    )
    .option(
      '--repetition-penalty <r>',
      'divide the probability of recently seen tokens by r ≥ 1',
      num('--repetition-penalty', { min: 1 }),
    )
    .option('--ban <chars>', 'characters (or words of a word model) never to generate')
    .option('--stop <text>', 'stop before this text (repeatable)', collect)
    .option('--max-length <n>', 'stop after this many characters', int('--max-length'))
    .option('--beam <k>', 'beam search with k beams (deterministic; prints the best)', int('--beam', 1))
    .option(
      '--length-penalty <a>',
      'beam search: rank beams by logProb / length^a',
      num('--length-penalty', { min: 0 }),
      0,
    )
    .option('--seed <n>', 'sampling seed', int('--seed', 0, MAX_SEED), 1)
    .addOption(
      new Option(
        '--unknown <policy>',
        'prime characters outside the vocabulary (default: error; <unk> for words of a word model)',
      ).choices(['error', 'skip']),
    )
    .action((file: string, opts: SampleCliOptions, cmd: Command) => sampleCommand(file, opts, cmd));
}

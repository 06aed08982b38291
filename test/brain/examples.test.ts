// brain.js's recurrent examples (its README and well-known tutorials: the children's book, learn-math) run
// through charrnn/brain unchanged apart from the import, and complete their prompts as their authors expected.
import { describe, expect, it } from 'vitest';
import brain from '../../src/brain/index.js';

describe('brain.js README examples', () => {
  it('LSTM on direct strings completes a line from its start', () => {
    const net = new brain.recurrent.LSTM();

    net.train(['doe, a deer, a female deer', 'ray, a drop of golden sun', 'me, a name I call myself']);

    const output = net.run('doe'); // ', a deer, a female deer'
    expect(output).toBe(', a deer, a female deer');
    expect(net.run('ray')).toBe(', a drop of golden sun');
    expect(net.run('me')).toBe(', a name I call myself');
  });

  it('LSTM on { input, output } strings maps a sentence to its sentiment', () => {
    const net = new brain.recurrent.LSTM();

    net.train([
      { input: 'I feel great about the world!', output: 'happy' },
      { input: 'The world is a terrible place!', output: 'sad' },
    ]);

    const output = net.run('I feel great about the world!'); // 'happy'
    expect(output).toBe('happy');
    expect(net.run('The world is a terrible place!')).toBe('sad');
  });

  it('RNN on { input, output } arrays learns XOR', () => {
    // provide optional config object, defaults shown.
    const config = {
      inputSize: 20,
      inputRange: 20,
      hiddenLayers: [20, 20],
      outputSize: 20,
      learningRate: 0.01,
      decayRate: 0.999,
    };

    // create a simple recurrent neural network
    const net = new brain.recurrent.RNN(config);

    net.train([
      { input: [0, 0], output: [0] },
      { input: [0, 1], output: [1] },
      { input: [1, 0], output: [1] },
      { input: [1, 1], output: [0] },
    ]);

    expect(net.run([0, 0])).toEqual([0]);
    expect(net.run([0, 1])).toEqual([1]);
    expect(net.run([1, 0])).toEqual([1]);
    expect(net.run([1, 1])).toEqual([0]);
  });
});

describe('brain.js tutorials', () => {
  it("the children's book: LSTM, 1500 iterations, errorThresh 0.011, logging details", () => {
    const trainingData = [
      'Jane saw Doug.',
      'Doug saw Jane.',
      'Spot saw Doug and Jane looking at each other.',
      'It was love at first sight, and Spot had a frontrow seat. It was a very special moment for all.',
    ];
    const logged: string[] = [];
    const lstm = new brain.recurrent.LSTM();
    const result = lstm.train(trainingData, {
      iterations: 1500,
      log: (details) => logged.push(details),
      errorThresh: 0.011,
    });
    // Stops early once the error reaches the threshold, as brain.js does.
    expect(result.iterations).toBeLessThan(1500);
    expect(result.error).toBeLessThanOrEqual(0.011);
    expect(logged[0]).toMatch(/^iterations: 0, training error: \d/);
    expect(logged.length).toBe(Math.ceil(result.iterations / 10));

    expect('Jane' + lstm.run('Jane')).toBe('Jane saw Doug.');
    expect('Doug' + lstm.run('Doug')).toBe('Doug saw Jane.');
    expect('Spot' + lstm.run('Spot')).toBe('Spot saw Doug and Jane looking at each other.');
    expect('It' + lstm.run('It')).toBe(trainingData[3]);
  });

  it('learn-math: LSTM answers the sums it learned', () => {
    const mathProblemsSet = new Set<string>();
    for (let i = 0; i < 10; i++)
      for (let j = 0; j < 10; j++) {
        mathProblemsSet.add(`${i}+${j}=${i + j}`);
        mathProblemsSet.add(`${j}+${i}=${i + j}`);
      }
    const mathProblems = Array.from(mathProblemsSet);
    const net = new brain.recurrent.LSTM();
    const result = net.train(mathProblems, { log: false, errorThresh: 0.03 });
    expect(result.error).toBeLessThanOrEqual(0.03);

    let errors = 0;
    for (const problem of mathProblems) {
      const input = problem.split('=')[0] + '=';
      const output = net.run(input);
      if (mathProblems.indexOf(input + output) <= -1) errors++;
    }
    // brain.js's example prints its error rate; charrnn/brain gets (nearly) all of them right.
    expect(errors / mathProblems.length).toBeLessThanOrEqual(0.05);
  });

  it('GRU, callback and sampling: callback every callbackPeriod iterations, isSampleI draws from the net', () => {
    const net = new brain.recurrent.GRU({ hiddenLayers: [32] });
    const calls: { error: number; iterations: number }[] = [];
    net.train(['hello world', 'help me'], {
      iterations: 300,
      callback: (s) => calls.push(s),
      callbackPeriod: 100,
    });
    expect(calls.map((c) => c.iterations)).toEqual([0, 100, 200]);
    expect(calls[2].error).toBeLessThan(calls[0].error);
    expect(net.run('hell')).toBe('o world');
    expect(net.run('help')).toBe(' me');
    // A cold temperature samples the most likely continuation; a hot one strays from it sometimes.
    expect(net.run('hell', true, 0.05)).toBe('o world');
    const hot = Array.from({ length: 20 }, () => net.run('h', true, 3));
    expect(new Set(hot).size).toBeGreaterThan(1);
  });

  it('trainAsync gives the same net as train and lets timers run meanwhile', async () => {
    const data = ['doe, a deer', 'ray, a drop'];
    const a = new brain.recurrent.LSTM({ hiddenLayers: [24] });
    const b = new brain.recurrent.LSTM({ hiddenLayers: [24] });
    const ra = a.train(data, { iterations: 400 });
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const pending = b.trainAsync(data, { iterations: 400 });
    expect(() => b.train(data)).toThrow(/already training/);
    const rb = await pending;
    clearInterval(timer);
    expect(rb).toEqual(ra);
    expect(b.run('ray')).toBe(a.run('ray'));
    expect(ticks).toBeGreaterThan(0);
  });
});

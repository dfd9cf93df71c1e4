import { Swarm } from './lib/swarm.js';
const swarm = await Swarm.create({ payloadBytes: 200e6, netns: false });
try {
  const pair = await swarm.addSyncthingPair({ receiver: { wrap: ['strace', '-f', '-c', '-S', 'calls', '-o', '/tmp/st-recv.txt'] } });
  const t = await pair.receiver.completed(120_000);
  console.log('done', t - pair.receiver.startedAt);
} finally { await swarm.close(); }

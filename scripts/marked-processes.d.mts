// Types of scripts/marked-processes.mjs (imported by bench/lib/swarm/processes.ts).
export declare function markedPids(name: string, value: string): number[];
export declare function killMarkedSync(name: string, value: string): number;

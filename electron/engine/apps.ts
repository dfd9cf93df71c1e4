// The owner's list of apps (kept in the settings): add, change, remove. A definition is
// validated, its id made from its name, and its nominal shares admitted against every
// profile's caps (limits.ts) before it is kept.
import { CommandError, type ParsedCommandArgs } from '../common/contract.js';
import { AppDefinitionSchema, MAX_APPS, ceilingConflict, type AppDefinition, type AppView } from '../common/model.js';
import type { EngineContext } from './context.js';
import type { AppSupervisor } from './creator/supervisor.js';
import { assertSharesFit, findApp, makeAppId } from './limits.js';

export class AppDefinitions {
  constructor(
    private readonly ctx: EngineContext,
    private readonly apps: AppSupervisor,
  ) {}

  /** At start: every app of the settings, stopped. */
  load(): void {
    for (const def of this.ctx.data.apps) this.apps.add(def);
  }

  async add(input: ParsedCommandArgs<'addApp'>): Promise<AppView> {
    const { ctx } = this;
    if (ctx.data.apps.length >= MAX_APPS) throw new CommandError('conflict', `at most ${MAX_APPS} apps`);
    const id = makeAppId(input.name, new Set(ctx.data.apps.map((d) => d.id)));
    const def = AppDefinitionSchema.parse({ ...input, id });
    assertCeilingsFit('addApp', def);
    assertSharesFit([...ctx.data.apps, def], ctx.data.profiles);
    ctx.data.apps = [...ctx.data.apps, def];
    const rt = this.apps.add(def);
    try {
      await ctx.save();
    } catch (error) {
      ctx.data.apps = ctx.data.apps.filter((d) => d.id !== id);
      this.apps.remove(id);
      throw error;
    }
    ctx.log.add('info', `${def.name} added`, id);
    return this.apps.view(rt);
  }

  async update({ id, patch }: ParsedCommandArgs<'updateApp'>): Promise<AppView> {
    const { ctx } = this;
    const current = findApp(ctx.data.apps, id);
    const ceilings = { ...current.ceilings, ...patch.ceilings };
    const parsed = AppDefinitionSchema.safeParse({ ...current, ...patch, ceilings, id });
    if (!parsed.success) throw new CommandError('invalid', `updateApp: ${parsed.error.issues[0]!.message}`);
    const next = parsed.data;
    assertCeilingsFit('updateApp', next);
    const apps = ctx.data.apps.map((d) => (d.id === id ? next : d));
    assertSharesFit(apps, ctx.data.profiles);
    ctx.data.apps = apps;
    await ctx.save();
    this.apps.redefine(id, next);
    return this.apps.view(this.apps.runtime(id));
  }

  /** Stops the app first. */
  async remove(id: string): Promise<null> {
    const { ctx } = this;
    const { name } = findApp(ctx.data.apps, id);
    await this.apps.serialize(id, () => this.apps.stop(id));
    ctx.data.apps = ctx.data.apps.filter((d) => d.id !== id);
    await ctx.save();
    this.apps.remove(id);
    ctx.log.add('info', `${name} removed`, id);
    return null;
  }
}

function assertCeilingsFit(command: string, def: AppDefinition): void {
  const conflict = ceilingConflict(def.shares, def.ceilings);
  if (conflict) throw new CommandError('invalid', `${command}: ${conflict}`);
}

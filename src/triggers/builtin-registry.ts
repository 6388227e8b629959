/**
 * The built-in triggers (./builtin.ts) as the API holds them: each checked as POST /triggers
 * checks a body (with every task reachable: they are the application's), by event name.
 * A declaration that fails the check is a programming error: it is thrown at start, where
 * the unit test of the list finds it first.
 */
import { validateTrigger, type TriggerDefinition } from './definition';
import { BUILTIN_TRIGGERS, type TriggerDeclaration } from './builtin';

export interface BuiltinTrigger extends TriggerDefinition {
  description: string;
}

export class BuiltinTriggers {
  private readonly byEvent = new Map<string, BuiltinTrigger[]>();
  readonly all: readonly BuiltinTrigger[];

  constructor(declarations: readonly TriggerDeclaration[] = BUILTIN_TRIGGERS) {
    this.all = declarations.map(checked);
    for (const trigger of this.all) this.byEvent.set(trigger.event, [...(this.byEvent.get(trigger.event) ?? []), trigger]);
    const ids = this.all.map((t) => t.id);
    const twice = ids.find((id, i) => ids.indexOf(id) !== i);
    if (twice) throw new Error(`built-in trigger id ${twice} is declared twice (src/triggers/builtin.ts)`);
  }

  forEvent(event: string): readonly BuiltinTrigger[] {
    return this.byEvent.get(event) ?? [];
  }

  find(id: string): BuiltinTrigger | undefined {
    return this.all.find((t) => t.id === id);
  }
}

function checked(declaration: TriggerDeclaration): BuiltinTrigger {
  const { description, ...body } = declaration;
  const validation = validateTrigger(body, { reach: 'internal', newId: () => declaration.id });
  if (!validation.ok) {
    const problems = validation.issues.map((i) => `${i.path}: ${i.message}`).join('; ');
    throw new Error(`built-in trigger ${declaration.id} is not valid (src/triggers/builtin.ts): ${problems}`);
  }
  return { ...validation.value, description };
}

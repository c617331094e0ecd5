/**
 * Cosmos-style events: a type plus string attributes, all indexed so that CometBFT's kv
 * indexer (and `tx_search`, CosmJS's `searchTx`) can find them. Modules declare their event
 * types in their own `events.ts` and build events only through typed constructors.
 */
import type { Event } from "cosmjs-types/tendermint/abci/types";

export type Attributes = Readonly<Record<string, string>>;

export function makeEvent(type: string, attrs: Attributes): Event {
  return {
    type,
    attributes: Object.entries(attrs).map(([key, value]) => ({ key, value, index: true })),
  };
}

/** Collects the events of one execution scope; dropped with the scope's branch on failure. */
export class EventManager {
  private readonly list: Event[] = [];

  emit(type: string, attrs: Attributes): void {
    this.list.push(makeEvent(type, attrs));
  }
  emitEvent(e: Event): void {
    this.list.push(e);
  }
  events(): Event[] {
    return this.list;
  }
  /** Appends `msg_index` to every event, as Cosmos SDK 0.50 does for message events. */
  withMsgIndex(i: number): Event[] {
    return this.list.map((e) => ({
      type: e.type,
      attributes: [...e.attributes, { key: "msg_index", value: String(i), index: true }],
    }));
  }
}

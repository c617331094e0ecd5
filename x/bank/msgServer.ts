/** Message handlers of x/bank: validation and effects. */
import { MsgSend, MsgSendResponse } from "cosmjs-types/cosmos/bank/v1beta1/tx";
import type { Context } from "../../base/context";
import { ErrInvalidCoins } from "../../base/errors";
import type { MsgHandler, MsgResponse } from "../../base/module";
import { parseAddress } from "../../base/types/address";
import { parseCoins, type Coin } from "../../base/types/coins";
import { ErrBlockedAddress, ErrSendDisabled } from "./errors";
import type { BankKeeper } from "./keeper";
import { EventTypeMessage } from "./events";

export interface Send {
  readonly from: string;
  readonly to: string;
  readonly amount: readonly Coin[];
}

export function msgSendHandler(bank: BankKeeper, blockedAddresses: () => ReadonlySet<string>): MsgHandler<Send> {
  return {
    typeUrl: "/cosmos.bank.v1beta1.MsgSend",
    decode(value: Uint8Array): Send {
      const m = MsgSend.decode(value);
      return { from: m.fromAddress, to: m.toAddress, amount: parseCoins(m.amount) };
    },
    signers: (msg) => [msg.from],
    validateBasic(msg): void {
      parseAddress(msg.from, undefined, "from address");
      parseAddress(msg.to, undefined, "to address");
      if (msg.amount.length === 0) throw ErrInvalidCoins.wrap("send amount is empty");
    },
    execute(ctx: Context, msg): MsgResponse {
      const params = bank.getParams(ctx.store);
      for (const c of msg.amount) {
        const entry = params.sendEnabled.find((e) => e.denom === c.denom);
        if (!(entry ? entry.enabled : params.defaultSendEnabled)) throw ErrSendDisabled.wrap(`${c.denom} transfers are disabled`);
      }
      if (blockedAddresses().has(msg.to)) throw ErrBlockedAddress.wrap(`${msg.to} is a module account`);
      bank.sendCoins(ctx, msg.from, msg.to, msg.amount);
      ctx.events.emit(EventTypeMessage, { module: "bank" });
      return { typeUrl: "/cosmos.bank.v1beta1.MsgSendResponse", value: MsgSendResponse.encode({}).finish() };
    },
  };
}

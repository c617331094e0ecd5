/** `inferd`: the node, its keys and a Cosmos-style client, in one CLI. */
import { Command } from "commander";
import { queryChallengeCommand, txChallengeCommand } from "./commands/challenge";
import { keysCommand } from "./commands/keys";
import { genesisCommand, initCommand, localnetCommand, startCommand } from "./commands/node";
import { queryCommand, statusCommand, txCommand } from "./commands/client";
import { inferCommand, inferenceQueryCommand, inferenceTxCommand, modelsQueryCommand } from "./commands/inference";
import { paramsCommand } from "./commands/params";
import { sidecarCommand } from "./commands/sidecar";
import { queryStakingCommand, querySlashingCommand, txSlashingCommand, txStakingCommand } from "./commands/staking";
import { toCliError } from "../client/errors";

export function buildCli(): Command {
  const program = new Command("inferd")
    .description("inferchain: verifiable AI inference on a CometBFT appchain")
    .version(require("../../package.json").version as string)
    .showHelpAfterError();
  const tx = txCommand().addCommand(inferenceTxCommand()).addCommand(txStakingCommand()).addCommand(txSlashingCommand()).addCommand(txChallengeCommand());
  const query = queryCommand().addCommand(inferenceQueryCommand()).addCommand(modelsQueryCommand()).addCommand(queryStakingCommand()).addCommand(querySlashingCommand()).addCommand(queryChallengeCommand());
  for (const c of [initCommand(), startCommand(), keysCommand(), genesisCommand(), localnetCommand(), tx, query, inferCommand(), sidecarCommand(), paramsCommand(), statusCommand()]) {
    program.addCommand(c);
  }
  return program;
}

if (require.main === module || process.argv[1]?.endsWith("inferd.js") || process.argv[1]?.endsWith("inferd")) {
  buildCli()
    .parseAsync(process.argv)
    .catch((e: unknown) => {
      const err = toCliError(e);
      process.stderr.write(`Error: ${err.message}\n`);
      process.exit(err.exitCode);
    });
}

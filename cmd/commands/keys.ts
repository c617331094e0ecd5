/**
 * `inferd keys …`: manage the local keyring (see ../keyring.ts), shaped after
 * `<appd> keys` of the Cosmos SDK. Output goes to stdout (text or one JSON value);
 * prompts, warnings and the freshly generated mnemonic go to stderr. Failures are
 * thrown as `CliError` for the top-level CLI to print and exit on.
 */
import { Command, Option } from "commander";
import * as os from "node:os";
import * as path from "node:path";
import { CliError, toCliError } from "../../client/errors";
import { KEYRING_BACKENDS, PASSPHRASE_ENV, type KeyringBackend } from "../../client/home";
import type { KeyInfo, Keyring } from "../../client/keyring";
import { loadKeyring } from "../keyring";

/** The keyring (and CosmJS under it) loads when a keys command runs, not when the CLI is defined (issue 12). */
const lazy = {
  keyring: loadKeyring,
};

type OutputFormat = "text" | "json";

interface CommonOpts {
  home: string;
  keyringBackend: KeyringBackend;
  output: OutputFormat;
}

/** Where commands write and how they ask for secrets; tests substitute their own. */
export interface KeysCommandIO {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly readPassphrase: (prompt: string) => Promise<string>;
  readonly readMnemonic: () => Promise<string>;
  /** True when a person types the passphrase (so a new one is asked twice). */
  readonly interactive: boolean;
}

export const DEFAULT_HOME = "~/.inferchain";

function defaultIO(): KeysCommandIO {
  return {
    stdout: (t) => void process.stdout.write(t),
    stderr: (t) => void process.stderr.write(t),
    readPassphrase: (prompt) => lazy.keyring().readPassphraseFromStdin(prompt),
    readMnemonic: () => lazy.keyring().readMnemonicFromStdin(),
    // A getter: touching process.stdin opens it, which only a keys command that asks should pay for.
    get interactive() {
      return process.stdin.isTTY === true && process.env[PASSPHRASE_ENV] === undefined;
    },
  };
}

export function keysCommand(io: KeysCommandIO = defaultIO()): Command {
  const keys = new Command("keys").description("Manage the local keyring (secp256k1 account keys, prefix infer)");

  keys.addCommand(
    withCommonOptions(new Command("add"))
      .description("Create a key from a new 24-word mnemonic, or recover one with --recover")
      .argument("<name>", "key name")
      .option("--recover", "read an existing bip39 mnemonic from stdin", false)
      .option("--overwrite", "replace an existing key of the same name", false)
      .addHelpText(
        "after",
        `\nWith piped stdin, --recover reads the mnemonic from the first non-empty line and the file\n` +
          `backend's passphrase from the next one, unless ${PASSPHRASE_ENV} is set.`,
      )
      .action(
        wrap(async (name: string, opts: CommonOpts & { recover: boolean; overwrite: boolean }) => {
          // Read before the keyring asks for its passphrase: piped stdin is "mnemonic, then passphrase".
          const mnemonic = opts.recover ? await io.readMnemonic() : undefined;
          const keyring = await open(opts, io, { confirmNewPassphrase: true });
          const added = await keyring.add(name, { mnemonic, overwrite: opts.overwrite });
          const shownMnemonic = opts.recover ? undefined : added.mnemonic;
          if (opts.output === "json") {
            io.stdout(`${JSON.stringify(shownMnemonic === undefined ? added.info : { ...added.info, mnemonic: shownMnemonic })}\n`);
            return;
          }
          io.stdout(formatKeys([added.info]));
          if (shownMnemonic !== undefined) {
            io.stderr(
              "\n**Important** write this mnemonic phrase in a safe place.\n" +
                "It is the only way to recover your account if you ever forget your password.\n\n" +
                `${shownMnemonic}\n`,
            );
          }
        }),
      ),
  );

  keys.addCommand(
    withCommonOptions(new Command("list"))
      .description("List all keys")
      .action(
        wrap(async (opts: CommonOpts) => {
          const infos = await (await open(opts, io)).list();
          if (opts.output === "json") io.stdout(`${JSON.stringify(infos)}\n`);
          else if (infos.length === 0) io.stderr("No keys found.\n");
          else io.stdout(formatKeys(infos));
        }),
      ),
  );

  keys.addCommand(
    withCommonOptions(new Command("show"))
      .description("Show a key by name or address")
      .argument("<name>", "key name or infer1… address")
      .option("-a, --address", "print only the address", false)
      .action(
        wrap(async (name: string, opts: CommonOpts & { address: boolean }) => {
          const info = await (await open(opts, io)).show(name);
          if (opts.address) io.stdout(`${info.address}\n`);
          else if (opts.output === "json") io.stdout(`${JSON.stringify(info)}\n`);
          else io.stdout(formatKeys([info]));
        }),
      ),
  );

  keys.addCommand(
    withCommonOptions(new Command("export"))
      .description("Print a key's mnemonic; with --unarmored-hex --unsafe, its raw private key")
      .argument("<name>", "key name")
      .option("--unarmored-hex", "print the private key as hex", false)
      .option("--unsafe", "confirm printing the unencrypted private key", false)
      .action(
        wrap(async (name: string, opts: CommonOpts & { unarmoredHex: boolean; unsafe: boolean }) => {
          if (opts.unarmoredHex !== opts.unsafe) {
            throw new CliError("--unarmored-hex and --unsafe must be given together");
          }
          const keyring = await open(opts, io);
          if (opts.unarmoredHex) {
            const privateKeyHex = await keyring.exportPrivateKeyHex(name);
            io.stdout(opts.output === "json" ? `${JSON.stringify({ name, privateKeyHex })}\n` : `${privateKeyHex}\n`);
            return;
          }
          const mnemonic = await keyring.exportMnemonic(name);
          if (mnemonic === undefined) {
            throw new CliError(
              `key "${name}" was imported from a private key and has no mnemonic; use --unarmored-hex --unsafe to print the private key`,
            );
          }
          io.stdout(opts.output === "json" ? `${JSON.stringify({ name, mnemonic })}\n` : `${mnemonic}\n`);
        }),
      ),
  );

  keys.addCommand(
    withCommonOptions(new Command("delete"))
      .description("Delete a key (there is no undo: keep its mnemonic)")
      .argument("<name>", "key name")
      .option("-y, --yes", "confirm the deletion", false)
      .action(
        wrap(async (name: string, opts: CommonOpts & { yes: boolean }) => {
          if (!opts.yes) throw new CliError(`refusing to delete key "${name}" without --yes`);
          await (await open(opts, io)).delete(name);
          if (opts.output === "json") io.stdout(`${JSON.stringify({ deleted: name })}\n`);
          else io.stderr(`Key "${name}" deleted.\n`);
        }),
      ),
  );

  return keys;
}

function withCommonOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option("--home <dir>", "node home directory").default(DEFAULT_HOME))
    .addOption(new Option("--keyring-backend <backend>", "keyring backend").choices(KEYRING_BACKENDS).default("test"))
    .addOption(new Option("--output <format>", "output format").choices(["text", "json"]).default("text"));
}

/** `--home '~/x'` is not expanded by the shell when quoted or written `--home=~/x`. */
export function expandHome(dir: string): string {
  if (dir === "~") return os.homedir();
  if (dir.startsWith("~/")) return path.join(os.homedir(), dir.slice(2));
  return dir;
}

async function open(opts: CommonOpts, io: KeysCommandIO, flags: { confirmNewPassphrase?: boolean } = {}): Promise<Keyring> {
  const { openKeyring } = lazy.keyring();
  const home = expandHome(opts.home);
  let isNewKeyring = false;
  if (flags.confirmNewPassphrase === true && opts.keyringBackend === "file" && io.interactive) {
    // A person choosing a passphrase for an empty keyring types it twice; list() needs none.
    isNewKeyring = (await (await openKeyring({ home, backend: "file" })).list()).length === 0;
  }
  return openKeyring({
    home,
    backend: opts.keyringBackend,
    passphrase: async () => {
      const passphrase = await io.readPassphrase("Enter keyring passphrase: ");
      if (isNewKeyring && (await io.readPassphrase("Re-enter keyring passphrase: ")) !== passphrase) {
        throw new CliError("passphrases do not match");
      }
      return passphrase;
    },
  });
}

/** Cosmos SDK's text layout: a YAML list, pubkey as its JSON Any. */
function formatKeys(infos: readonly KeyInfo[]): string {
  return infos
    .map(
      (k) =>
        `- address: ${k.address}\n` +
        `  name: ${k.name}\n` +
        `  pubkey: '${JSON.stringify(k.pubkeyAny)}'\n` +
        `  type: ${k.type}\n`,
    )
    .join("");
}

/** Commander passes (args…, opts, command); every failure leaves as a CliError. */
function wrap<A extends unknown[]>(fn: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A): Promise<void> => {
    try {
      await fn(...args);
    } catch (err) {
      throw toCliError(err);
    }
  };
}
